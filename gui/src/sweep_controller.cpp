#include "sweep_controller.hpp"

#include <QDateTime>
#include <QTemporaryDir>

#include "fmsim/sim/scenario.hpp"
#include "fmsim/workloads/errors.hpp"
#include "run_controller.hpp"
#include "scenario_file.hpp"

namespace fmsim::gui {

namespace {
constexpr double kMsPerS = 1e3;
}

SweepController::SweepController(QObject* parent) : QObject(parent) {}

bool SweepController::isRunning() const {
    for (const RunController* s : m_slots)
        if (s->isRunning()) return true;
    return false;
}

QList<qint64> SweepController::workerPids() const {
    QList<qint64> pids;
    for (const RunController* s : m_slots)
        if (s->workerPid() > 0) pids << s->workerPid();
    return pids;
}

bool SweepController::start(const QJsonObject& base, const QString& originDir, const QString& displayName,
                            const QVector<SweepPointSpec>& points, int jobs) {
    if (isRunning()) {
        emit failed("a sweep is already running");
        return false;
    }
    if (points.isEmpty()) {
        emit failed("the sweep has no points");
        return false;
    }
    // The first point, validated here: loading a scenario builds no device model.
    QTemporaryDir dir;
    QString error;
    const QString file = dir.filePath("base.json");
    if (!writeScenarioFile(base, originDir, file, &error)) {
        emit failed(error);
        return false;
    }
    try {
        std::vector<std::string> sets;
        for (const QString& s : points.front().sets) sets.push_back(s.toStdString());
        sim::load_scenario(file.toStdString(), sets);
    } catch (const UserError& e) {
        emit failed(QString::fromUtf8(e.what()).replace(file, displayName));
        return false;
    }
    qDeleteAll(m_slots);
    m_slots.clear();
    m_base = base;
    m_originDir = originDir;
    m_displayName = displayName;
    m_points = points;
    m_results.clear();
    m_next = 0;
    m_cancelling = false;
    const int n = std::max(1, std::min(jobs, static_cast<int>(points.size())));
    m_slotPoint.fill(-1, n);
    m_slotStartMs.fill(0, n);
    for (int i = 0; i < n; ++i) {
        auto* slot = new RunController(this);
        m_slots << slot;
        connect(slot, &RunController::finished, this, [this, slot](const RunResult& r) {
            SweepPointResult p;
            p.ok = true;
            p.result = r;
            onPointDone(slot, p);
        });
        connect(slot, &RunController::failed, this, [this, slot](const QString& message) {
            SweepPointResult p;
            p.error = message;
            onPointDone(slot, p);
        });
        connect(slot, &RunController::cancelled, this, [this] {
            if (!isRunning()) emit cancelled();
        });
    }
    emit progress(0, total());
    for (RunController* slot : m_slots) startNext(slot);
    return true;
}

void SweepController::startNext(RunController* slot) {
    const int s = static_cast<int>(m_slots.indexOf(slot));
    if (m_cancelling || m_next >= m_points.size()) {
        m_slotPoint[s] = -1;
        return;
    }
    const int i = m_next++;
    m_slotPoint[s] = i;
    m_slotStartMs[s] = QDateTime::currentMSecsSinceEpoch();
    slot->start(m_base, m_originDir, m_displayName, m_points.at(i).sets, false);
}

void SweepController::onPointDone(RunController* slot, SweepPointResult r) {
    const int s = static_cast<int>(m_slots.indexOf(slot));
    r.point = m_points.at(m_slotPoint.at(s));
    r.elapsedS = static_cast<double>(QDateTime::currentMSecsSinceEpoch() - m_slotStartMs.at(s)) / kMsPerS;
    if (r.ok) r.result.label = r.point.label;
    m_results << r;
    emit pointFinished(r);
    emit progress(static_cast<int>(m_results.size()), total());
    startNext(slot);
    if (!isRunning() && !m_cancelling) emit finished();
}

void SweepController::cancel() {
    if (!isRunning()) return;
    m_cancelling = true;
    for (RunController* s : m_slots) s->cancel();
}

}  // namespace fmsim::gui
