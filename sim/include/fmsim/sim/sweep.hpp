#pragma once
// Sweeps (`fmsim sweep FILE`, docs/scenarios.md "Sweeps and results"): a base scenario and axes of
// scenario key paths, expanded into points (the product of the axes, or the axes zipped). Each
// point is the base scenario with one `--set path=value` per axis. This header holds the pure
// parts (the sweep file, the expansion, the Pareto front) and the runner that sends points to
// worker processes and stores each result in a results database (results_db.hpp).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fmsim/workloads/model.hpp"

namespace fmsim::sim {

class ResultsDb;

enum class SweepMode { product, zip };

struct SweepAxis {
    std::string path;                 // a scenario key path, e.g. "hardware_overrides.memory.bandwidth_gb_per_s"
    std::vector<std::string> values;  // each a compact JSON text: 8, "fp8", {"bf16": 4096}
};

struct SweepSpec {
    std::string file;  // where it was read from
    std::string name;
    std::string description;
    std::string base;             // the base scenario as given in the file
    std::string base_path;        // ... resolved against the sweep file's folder
    std::vector<SweepAxis> axes;  // in file order; the last axis varies fastest in product mode
    SweepMode mode = SweepMode::product;
};

struct SweepPoint {
    std::size_t index = 0;                                    // in expansion order
    std::vector<std::pair<std::string, std::string>> values;  // axis path -> JSON text, in axis order
    std::string key;          // canonical JSON object of the axis values (sorted keys, compact): the DB identity
    std::string values_json;  // the same object in axis order (for display and export)
    // One "path=value" per axis, for load_scenario.
    std::vector<std::string> sets() const;
    // "batch=8 precision=fp8": strings without quotes.
    std::string label() const;
};

// Reads and validates a sweep file: unknown keys (with a did-you-mean), wrong types, an empty
// `axes`, empty or duplicate axis values, zip axes of unequal length, axis paths that are not
// scenario keys, a missing base scenario. Errors are ConfigErrors naming the file and JSON path.
SweepSpec load_sweep(const std::string& path);
std::vector<workloads::SchemaDoc> sweep_schema_docs();

// The points of a sweep: product mode, every combination (the last axis varies fastest); zip
// mode, the i-th value of every axis together.
std::vector<SweepPoint> expand_points(const SweepSpec& spec);
// The canonical key of a set of axis values (JSON texts): compact JSON with sorted keys.
std::string point_key(const std::vector<std::pair<std::string, std::string>>& values);

// A point's metrics: one value per metric_table() entry (metrics.hpp), read from its report JSON
// and stored as the results database's metric columns.
struct PointMetrics {
    std::vector<std::optional<double>> values;  // by metric_table() index; empty: none known
    // By canonical name or legacy report path; none when absent or not a metric.
    std::optional<double> get(std::string_view name) const;
    std::optional<bool> fits() const;
};
PointMetrics metrics_from_report(const std::string& report_json);
// A number at a dotted path in a JSON object ("energy.total_j"); none where absent, null or not a number.
std::optional<double> json_number_at(const std::string& json_text, const std::string& dotted_path);
// The dotted paths of every number in a JSON object (for did-you-mean on --pareto keys).
std::vector<std::string> json_number_paths(const std::string& json_text);

// Pareto front. An objective is a metric name (metrics.hpp; its older dotted report path, e.g.
// "energy.per_token_j", is accepted and means the same metric) or any other dotted path of a
// number in the report ("breakdown.attention.time_s").
struct ParetoObjective {
    std::string path;  // the canonical metric name, or a report path that is no metric
    bool maximize = false;
};
// "latency_s,energy_j,throughput_tokens_per_s:max"; a UserError on an empty list or key. Without
// ":min" or ":max" a metric goes the table's better way (throughput up, latency down); other
// report paths are minimized.
std::vector<ParetoObjective> parse_pareto_objectives(const std::string& text);
// Indices of the non-dominated rows: no other row is as good in every objective and better in
// one. Rows with equal values are all kept. Every row must have one value per objective.
std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& rows,
                                      const std::vector<ParetoObjective>& objectives);

// Running a sweep.
struct SweepOptions {
    int jobs = 1;               // worker processes
    bool retry_errors = false;  // also rerun points stored with status "error"
    // Progress on stderr: a bar redrawn in place on a terminal, else one line per point.
    bool progress = true;
};
struct SweepOutcome {
    std::size_t points = 0, already_stored = 0, ran = 0, errors = 0;
    double elapsed_s = 0;
};
// Runs the sweep's points that `db` does not hold yet in `jobs` forked worker processes (the
// SystemC device is a per-process singleton, so a worker runs one point at a time); the calling
// process alone writes `db`, one transaction per finished point. A point whose scenario is
// invalid, that throws, or whose worker dies is stored with status "error" and its message.
// The workers are forks of the caller, so call it before the calling process runs the device model
// itself (the CLI never does; a GUI should run sweeps from a helper process).
SweepOutcome run_sweep(const SweepSpec& spec, ResultsDb& db, const SweepOptions& options);

}  // namespace fmsim::sim
