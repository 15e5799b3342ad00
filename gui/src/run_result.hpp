#pragma once
// One finished run as the GUI holds it: the facade's report and what the charts need, parsed from
// the JSON envelope a worker process prints (sim/session.hpp, run_envelope_json) and the per-op and
// memory CSV files it writes.
#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QVector>

namespace fmsim::gui {

// One op as it ran: a row of the facade's per-op CSV (ops_csv).
struct OpRow {
    QString stage, name, kind, group, bound, engine, mapping;
    int layer = -1;
    double startS = 0, durationS = 0;  // kernel start from the start of the workload; its duration
    double flops = 0, bytes = 0, dramBytes = 0, energyJ = 0;
    double kernelFlops = 0;  // what the kernel computed (a causal attention kernel skips half the scores)
    double repeat = 1;                 // times its stage runs
};

// Device memory over time (bytes), one entry per timeline point.
struct MemorySeries {
    QVector<double> timeS, weights, kvCache, activations, workspace, trainingState, runtime;
};

struct RunResult {
    QString label;            // what the run is called in the compare view and exports
    QByteArray reportJson;    // report_json as the facade wrote it (exported as is)
    QJsonObject report;
    QJsonObject hardware;     // hardware_json: derived peaks and ridge points; empty without a device
    int memoryChannels = 0;
    MemorySeries memory;
    QVector<OpRow> ops;
    QByteArray opsCsv, memoryCsv;  // as the facade wrote them (ops_csv, memory_csv), for export

    bool isValid() const { return !report.isEmpty(); }
    // A metric of the table by name ("energy_j"; its older report path "energy.total_j" too),
    // flags as 1/0, or any other number of the report at a dotted path; NaN when null or absent.
    double metric(const QString& name) const;
    // The memory peak within the device's capacity (true where the report does not say).
    bool fits() const { return metric("fits") != 0; }
    // Parses an envelope and the CSVs (empty when the run had no op records); on failure returns
    // an invalid result and sets `error`. Large runs take a while: call it off the GUI thread.
    static RunResult parse(const QByteArray& envelope, const QByteArray& opsCsv, const QByteArray& memoryCsv,
                           QString* error);
};

// The rows of a per-op CSV (ops_csv's columns, by name).
QVector<OpRow> parseOpsCsv(const QByteArray& csv);

}  // namespace fmsim::gui
