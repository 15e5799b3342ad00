#pragma once
// The results database of `fmsim sweep` and `fmsim results` (docs/scenarios.md, "Sweeps and
// results"): an SQLite file in WAL mode, one row per sweep point, UNIQUE(sweep, point_key). Each
// stored point is its own transaction, so a sweep killed at any moment loses at most the points
// still running, and a rerun finds exactly the points it still has to run.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fmsim/sim/sweep.hpp"

struct sqlite3;

namespace fmsim::sim {

struct StoredPoint {
    std::string sweep;
    std::string point_key;    // canonical JSON of the axis values
    std::string axis_values;  // JSON object in axis order
    std::int64_t point_index = 0;
    std::string status;  // "ok" or "error"
    std::string error;   // empty when ok
    PointMetrics metrics;
    std::string report;  // the full report JSON; empty on error
    double elapsed_s = 0;
};

struct StoredSweep {
    std::string name, file, description, base, mode;
    std::string axes;  // JSON object: axis path -> values
    std::int64_t points = 0;
};

class ResultsDb {
public:
    // Opens (`create`: creating it and its tables when absent) the database at `path`; a
    // UserError when it cannot be opened or is not a results database.
    static ResultsDb open(const std::string& path, bool create);
    ResultsDb(ResultsDb&& other) noexcept;
    ResultsDb& operator=(ResultsDb&&) = delete;
    ResultsDb(const ResultsDb&) = delete;
    ~ResultsDb();

    const std::string& path() const { return path_; }
    // Records (or updates) the sweep's definition.
    void record_sweep(const SweepSpec& spec, std::size_t points);
    // The point keys stored for `sweep`; `ok_only`: only those with status "ok".
    std::set<std::string> stored_keys(const std::string& sweep, bool ok_only) const;
    // Stores one point in its own transaction. An existing row of the same (sweep, point_key) is
    // kept, unless `replace` (a rerun of an error).
    void store(const StoredPoint& p, bool replace);
    // Stored points, by sweep then point index; all sweeps when `sweep` is empty.
    std::vector<StoredPoint> points(const std::string& sweep = "") const;
    std::vector<StoredSweep> sweeps() const;

private:
    explicit ResultsDb(std::string path) : path_(std::move(path)) {}
    void exec(const std::string& sql) const;
    // Adds the columns of metrics the points table lacks and fills them from the stored reports.
    void add_metric_columns();
    [[noreturn]] void fail(const std::string& what) const;
    std::string path_;
    sqlite3* db_ = nullptr;
};

// The stored points of the sweep's current definition (its expansion), in point order: points
// of an earlier definition under the same name are left out.
std::vector<StoredPoint> sweep_points(const SweepSpec& spec, const ResultsDb& db);

// Views for `fmsim results` and `fmsim sweep --pareto`.

// `--where key=value`: an axis path (or `status`) and a value, JSON when it parses as JSON.
struct WhereFilter {
    std::string key;
    std::string value_json;
};
// UserError on an item without '=' or with an empty key.
std::vector<WhereFilter> parse_where(const std::vector<std::string>& items);
// The points whose axis values (or status) match every filter; numbers compare by value (8 == 8.0).
// A key that is no axis of any of `points` is a UserError with a did-you-mean.
std::vector<StoredPoint> filter_points(const std::vector<StoredPoint>& points, const std::vector<WhereFilter>& where);

// A readable table per sweep: axis values, status, main metrics; error messages under it.
std::string results_table(const std::vector<StoredPoint>& points);
// One row per point: sweep, point_index, status, one column per axis path, the metric columns, error.
std::string results_csv(const std::vector<StoredPoint>& points);
// An array of objects: sweep, point_index, axes {path: value}, status, error, the metric columns
// and the full report (null on error).
std::string results_json(const std::vector<StoredPoint>& points);

struct ParetoFront {
    std::vector<ParetoObjective> objectives;
    std::vector<StoredPoint> points;          // the front, by the first objective
    std::vector<std::vector<double>> values;  // one per point and objective
    std::size_t considered = 0;               // ok points that fit, with every objective
    std::size_t not_fitting = 0;              // left out: memory.fits is false
    std::size_t missing = 0;                  // left out: an objective is null or absent
};
// The non-dominated points among the ok ones that fit in memory. A UserError when an objective
// is not a number in any report (with a did-you-mean over the report's keys).
ParetoFront pareto_points(const std::vector<StoredPoint>& points, const std::vector<ParetoObjective>& objectives);
std::string pareto_table(const ParetoFront& front);
std::string pareto_csv(const ParetoFront& front);

}  // namespace fmsim::sim
