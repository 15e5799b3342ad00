#pragma once
// Runs the points of a sweep in worker processes, `jobs` at a time: progress counts points,
// cancelling kills the running workers and keeps the points already finished.
#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <QVector>
#include <utility>

#include "run_result.hpp"

namespace fmsim::gui {

class RunController;

// One point: the base scenario with one "path=value" per axis (sim::SweepPoint, in Qt types).
struct SweepPointSpec {
    int index = 0;
    QStringList sets;
    QString label;                              // "batch=8 precision=fp8"
    QString key;                                // canonical JSON of the axis values
    QString valuesJson;                         // the same in axis order
    QVector<std::pair<QString, QString>> values;  // axis path -> JSON text
};

// A finished point: its report, or the worker's error.
struct SweepPointResult {
    SweepPointSpec point;
    bool ok = false;
    QString error;
    RunResult result;  // report and memory timeline (no per-op records)
    double elapsedS = 0;
};

class SweepController : public QObject {
    Q_OBJECT
public:
    explicit SweepController(QObject* parent = nullptr);

    // Checks the first point in-process (a bad axis path fails at once, with the facade's message)
    // and starts the workers. False (and failed() emitted) when it cannot start.
    bool start(const QJsonObject& base, const QString& originDir, const QString& displayName,
               const QVector<SweepPointSpec>& points, int jobs);
    void cancel();
    bool isRunning() const;
    QList<qint64> workerPids() const;
    // Finished points, in the order they finished.
    const QVector<SweepPointResult>& results() const { return m_results; }
    int total() const { return static_cast<int>(m_points.size()); }

signals:
    void pointFinished(const fmsim::gui::SweepPointResult& result);
    void progress(int done, int total);
    void finished();   // every point ran
    void cancelled();  // stopped by cancel(); results() keeps what finished
    void failed(const QString& message);

private:
    void startNext(RunController* slot);
    void onPointDone(RunController* slot, SweepPointResult r);

    QVector<RunController*> m_slots;
    QVector<int> m_slotPoint;   // the point each slot runs, -1 when idle
    QVector<qint64> m_slotStartMs;
    QVector<SweepPointSpec> m_points;
    QVector<SweepPointResult> m_results;
    QJsonObject m_base;
    QString m_originDir, m_displayName;
    int m_next = 0;
    bool m_cancelling = false;
};

}  // namespace fmsim::gui
