#pragma once
// Runs one scenario in a worker process (`fmsim-gui --worker`): the window stays responsive while
// it runs, and cancelling kills the process (a SystemC simulation cannot be stopped in-process).
// The worker's output is parsed off the GUI thread.
#include <QFutureWatcher>
#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>

#include "run_result.hpp"

namespace fmsim::gui {

class RunController : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject* parent = nullptr);
    ~RunController() override;

    // The executable started in worker mode; by default this program. Tests point it at fmsim-gui.
    static void setWorkerProgram(const QString& path);
    static QString workerProgram();

    // Writes `scenario` to a temporary file (its relative references resolved against `originDir`)
    // and starts a worker on it with `sets` ("key.path=value") applied. `withOps`: also the per-op
    // records and the whole memory timeline. Error messages name `displayName` instead of the
    // temporary file. False (and failed() emitted) when a run is going or the file cannot be written.
    bool start(const QJsonObject& scenario, const QString& originDir, const QString& displayName,
               const QStringList& sets = {}, bool withOps = true);
    // Kills the worker; cancelled() follows once it is gone. Nothing happens when idle.
    void cancel();
    bool isRunning() const { return m_busy; }
    qint64 workerPid() const;  // 0 when no worker process is alive

signals:
    void finished(const fmsim::gui::RunResult& result);
    // The worker's progress: ops replayed of the workload's (a multi-device run: per pipeline stage).
    void progress(qint64 done, qint64 total);
    void failed(const QString& message);
    void cancelled();

private:
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onParsed();
    void end();
    // Reads the worker's stderr as it comes: progress lines become progress(), the rest is kept
    // as the error text.
    void onStderr();

    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    QFutureWatcher<std::pair<RunResult, QString>> m_parse;  // the result, or why there is none
    QString m_scenarioFile, m_displayName;
    QByteArray m_stderr;  // what the worker wrote on stderr, progress lines taken out
    QByteArray m_partialLine;
    bool m_withOps = false;
    bool m_busy = false;  // from start() until finished, failed or cancelled
    bool m_cancelling = false;
};

}  // namespace fmsim::gui
