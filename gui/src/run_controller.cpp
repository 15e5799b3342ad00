#include "run_controller.hpp"

#include <QCoreApplication>
#include <QFile>
#include <QtConcurrent/QtConcurrentRun>

#include "scenario_file.hpp"
#include "worker_main.hpp"

namespace fmsim::gui {

namespace {
QString& workerProgramOverride() {
    static QString path;
    return path;
}
constexpr int kKillWaitMs = 5000;  // a killed process is gone within milliseconds; this bounds the wait

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
}  // namespace

RunController::RunController(QObject* parent) : QObject(parent) {
    connect(&m_parse, &QFutureWatcher<std::pair<RunResult, QString>>::finished, this, &RunController::onParsed);
}

RunController::~RunController() {
    m_parse.disconnect(this);
    m_parse.waitForFinished();
    if (!m_process) return;
    m_process->disconnect(this);
    m_process->kill();
    m_process->waitForFinished(kKillWaitMs);
}

void RunController::setWorkerProgram(const QString& path) { workerProgramOverride() = path; }

QString RunController::workerProgram() {
    return workerProgramOverride().isEmpty() ? QCoreApplication::applicationFilePath() : workerProgramOverride();
}

qint64 RunController::workerPid() const { return m_process ? m_process->processId() : 0; }

bool RunController::start(const QJsonObject& scenario, const QString& originDir, const QString& displayName,
                          const QStringList& sets, bool withOps) {
    if (m_busy) {
        emit failed("a run is already going");
        return false;
    }
    QString error;
    m_scenarioFile = m_dir.filePath("scenario.json");
    if (!m_dir.isValid() || !writeScenarioFile(scenario, originDir, m_scenarioFile, &error)) {
        emit failed(error.isEmpty() ? "cannot create a temporary folder for the run" : error);
        return false;
    }
    m_displayName = displayName;
    m_withOps = withOps;
    QStringList args{"--worker", m_scenarioFile};
    for (const QString& s : sets) args << "--set" << s;
    if (withOps) {
        QFile::remove(m_dir.filePath("ops.csv"));
        QFile::remove(m_dir.filePath("memory.csv"));
        args << "--csv" << m_dir.filePath("ops.csv") << "--memory-csv" << m_dir.filePath("memory.csv");
    }
    m_busy = true;
    m_cancelling = false;
    m_stderr.clear();
    m_partialLine.clear();
    m_process = std::make_unique<QProcess>();
    connect(m_process.get(), &QProcess::readyReadStandardError, this, &RunController::onStderr);
    connect(m_process.get(), &QProcess::finished, this, &RunController::onFinished);
    connect(m_process.get(), &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart) return;  // crashes arrive through finished()
        const QString message = "cannot start the worker " + workerProgram() + ": " + m_process->errorString();
        m_process.release()->deleteLater();
        end();
        emit failed(message);
    });
    m_process->start(workerProgram(), args);
    return true;
}

void RunController::cancel() {
    if (!m_busy) return;
    m_cancelling = true;
    if (m_process) m_process->kill();  // while parsing, cancelled() follows the parse
}

void RunController::end() {
    m_busy = false;
    m_cancelling = false;
}

void RunController::onStderr() {
    m_partialLine += m_process->readAllStandardError();
    for (qsizetype nl = m_partialLine.indexOf('\n'); nl >= 0; nl = m_partialLine.indexOf('\n')) {
        const QByteArray line = m_partialLine.left(nl + 1);
        m_partialLine.remove(0, nl + 1);
        if (line.startsWith(kWorkerProgressPrefix)) {
            const QList<QByteArray> parts = line.mid(qstrlen(kWorkerProgressPrefix)).trimmed().split(' ');
            if (parts.size() == 2) emit progress(parts[0].toLongLong(), parts[1].toLongLong());
        } else {
            m_stderr += line;
        }
    }
}

void RunController::onFinished(int exitCode, QProcess::ExitStatus status) {
    if (m_process) onStderr();  // what arrived with the exit
    // Take the process out first: the signals below may start the next run.
    QProcess* process = m_process.release();
    process->deleteLater();
    if (m_cancelling) {
        end();
        emit cancelled();
        return;
    }
    const QString err = QString::fromUtf8(m_stderr + m_partialLine).trimmed().replace(m_scenarioFile, m_displayName);
    if (status == QProcess::CrashExit) {
        end();
        emit failed("the worker process crashed" + (err.isEmpty() ? QString() : ": " + err));
        return;
    }
    if (exitCode != 0) {
        end();
        emit failed(err.isEmpty() ? "the worker exited with code " + QString::number(exitCode) : err);
        return;
    }
    const QByteArray envelope = process->readAllStandardOutput();
    const QByteArray ops = m_withOps ? readAll(m_dir.filePath("ops.csv")) : QByteArray();
    const QByteArray memory = m_withOps ? readAll(m_dir.filePath("memory.csv")) : QByteArray();
    m_parse.setFuture(QtConcurrent::run([envelope, ops, memory] {
        QString error;
        RunResult r = RunResult::parse(envelope, ops, memory, &error);
        return std::pair<RunResult, QString>(std::move(r), error);
    }));
}

void RunController::onParsed() {
    const bool wasCancelled = m_cancelling;
    const auto [result, error] = m_parse.result();
    end();
    if (wasCancelled) emit cancelled();
    else if (!result.isValid()) emit failed(error);
    else emit finished(result);
}

}  // namespace fmsim::gui
