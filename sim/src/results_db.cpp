// The SQLite results database of sweeps (results_db.hpp).
#include "fmsim/sim/results_db.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fmsim/sim/metrics.hpp"
#include "fmsim/workloads/errors.hpp"

namespace fmsim::sim {

namespace {

// Bumped when the tables change shape; a newer database is refused rather than misread.
// 1: fixed metric columns. 2: the metric columns follow the metric table (metrics.hpp): opening a
// database adds the columns of metrics it lacks (a version 1 file, or one written before a metric
// was added) and fills them from the report JSON each point keeps, so older files keep working.
// Columns of metrics no longer in the table stay and are ignored.
constexpr int kSchemaVersion = 2;

constexpr const char* kCreateSweeps = R"sql(
CREATE TABLE IF NOT EXISTS sweeps (
  name        TEXT PRIMARY KEY,
  file        TEXT NOT NULL,
  description TEXT NOT NULL,
  base        TEXT NOT NULL,
  mode        TEXT NOT NULL,
  axes        TEXT NOT NULL,     -- JSON object: axis path -> list of values, in file order
  points      INTEGER NOT NULL
);
)sql";

// SQLite's type of a metric's column: flags are 0/1 integers, everything else REAL.
std::string column_type(const Metric& m) { return m.unit == MetricUnit::flag ? "INTEGER" : "REAL"; }

// The points table: the point's identity and status, one column per metric, the report.
std::string create_points_sql() {
    std::string sql = R"sql(
CREATE TABLE IF NOT EXISTS points (
  id            INTEGER PRIMARY KEY,
  sweep         TEXT NOT NULL,
  point_key     TEXT NOT NULL,   -- canonical JSON of the axis values (sorted keys)
  axis_values   TEXT NOT NULL,   -- the same values in axis order
  point_index   INTEGER NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('ok', 'error')),
  error         TEXT,
)sql";
    for (const Metric& m : metric_table())
        sql += "  \"" + std::string(m.name) + "\" " + column_type(m) + ",  -- " + std::string(to_string(m.unit)) + "\n";
    sql += R"sql(  report        TEXT,            -- the full report JSON (null on error)
  elapsed_s     REAL,            -- wall time of the point in its worker
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  UNIQUE (sweep, point_key)
);
)sql";
    return sql;
}

// The columns a point is stored and read with: identity, metrics in table order, report, time.
std::string point_columns() {
    std::string cols = "sweep, point_key, axis_values, point_index, status, error";
    for (const Metric& m : metric_table()) cols += ", \"" + std::string(m.name) + "\"";
    return cols + ", report, elapsed_s";
}
constexpr int kLeadingColumns = 6;  // before the metrics

class Stmt {
public:
    Stmt(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) fail();
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int i, const std::string& v) { check(sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT)); }
    void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
    void bind(int i, double v) { check(sqlite3_bind_double(s_, i, v)); }
    void bind(int i, const std::optional<double>& v) { v ? bind(i, *v) : check(sqlite3_bind_null(s_, i)); }
    void bind_null(int i) { check(sqlite3_bind_null(s_, i)); }
    // True while there is a row.
    bool step() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail();
    }
    std::string text(int col) const {
        const auto* t = sqlite3_column_text(s_, col);
        return t ? reinterpret_cast<const char*>(t) : "";
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
    std::optional<double> real(int col) const {
        if (sqlite3_column_type(s_, col) == SQLITE_NULL) return std::nullopt;
        return sqlite3_column_double(s_, col);
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) fail();
    }
    [[noreturn]] void fail() const { throw UserError(path_ + ": " + sqlite3_errmsg(db_)); }
    sqlite3* db_;
    std::string path_;
    sqlite3_stmt* s_ = nullptr;
};

}  // namespace

ResultsDb ResultsDb::open(const std::string& path, bool create) {
    std::error_code unreadable;  // a path the OS refuses (too long) is no database either
    if (!create && !std::filesystem::is_regular_file(path, unreadable))
        throw UserError(path + ": no such results database (`fmsim sweep FILE --db " + path + "` writes one)");
    ResultsDb r(path);
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &r.db_, flags, nullptr) != SQLITE_OK) r.fail("cannot open the database");
    // Concurrent writers (two sweeps into one file) wait for each other instead of failing.
    sqlite3_busy_timeout(r.db_, 30000);
    std::int64_t v = 0;
    {
        Stmt version(r.db_, "PRAGMA user_version", path);
        version.step();
        v = version.integer(0);
    }  // finalized: an open statement would hold a read transaction
    if (v > kSchemaVersion)
        throw UserError(path + ": results database version " + std::to_string(v) +
                        " is newer than this fmsim understands (" + std::to_string(kSchemaVersion) + ")");
    if (create) {
        // WAL: a commit is one append to the log, readers never block the writer, and a process
        // killed mid-write leaves the last committed state. synchronous=FULL syncs every commit.
        r.exec("PRAGMA journal_mode=WAL");
        r.exec("PRAGMA synchronous=FULL");
        r.exec(kCreateSweeps);
        r.exec(create_points_sql());
    } else {
        Stmt t(r.db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('points', 'sweeps')", path);
        t.step();
        if (t.integer(0) != 2) throw UserError(path + ": not an fmsim results database (no 'points' and 'sweeps' tables)");
    }
    r.add_metric_columns();
    if (v != kSchemaVersion) r.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    return r;
}

void ResultsDb::add_metric_columns() {
    std::set<std::string> have;
    {
        Stmt info(db_, "PRAGMA table_info(points)", path_);
        while (info.step()) have.insert(info.text(1));
    }
    std::vector<const Metric*> missing;
    for (const Metric& m : metric_table())
        if (!have.count(std::string(m.name))) missing.push_back(&m);
    if (missing.empty()) return;
    // One transaction: the new columns and their values from the stored reports, or none of it.
    exec("BEGIN IMMEDIATE");
    try {
        for (const Metric* m : missing)
            exec("ALTER TABLE points ADD COLUMN \"" + std::string(m->name) + "\" " + column_type(*m));
        std::vector<std::pair<std::int64_t, std::string>> reports;
        {
            Stmt s(db_, "SELECT id, report FROM points WHERE report IS NOT NULL", path_);
            while (s.step()) reports.emplace_back(s.integer(0), s.text(1));
        }
        std::string set;
        for (const Metric* m : missing) set += (set.empty() ? "" : ", ") + ("\"" + std::string(m->name) + "\" = ?");
        for (const auto& [id, report] : reports) {
            const auto values = metric_values_from_report(report);
            Stmt u(db_, "UPDATE points SET " + set + " WHERE id = ?", path_);
            int i = 0;
            for (const Metric* m : missing) u.bind(++i, values[metric_index(*m)]);
            u.bind(++i, id);
            u.step();
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

ResultsDb::ResultsDb(ResultsDb&& other) noexcept : path_(std::move(other.path_)), db_(other.db_) { other.db_ = nullptr; }

ResultsDb::~ResultsDb() {
    if (db_) sqlite3_close(db_);
}

void ResultsDb::exec(const std::string& sql) const {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string text = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw UserError(path_ + ": " + text);
    }
}

void ResultsDb::fail(const std::string& what) const {
    throw UserError(path_ + ": " + what + (db_ ? std::string(": ") + sqlite3_errmsg(db_) : std::string()));
}

void ResultsDb::record_sweep(const SweepSpec& spec, std::size_t points) {
    nlohmann::ordered_json axes = nlohmann::ordered_json::object();
    for (const auto& a : spec.axes) {
        auto& list = axes[a.path] = nlohmann::ordered_json::array();
        for (const auto& v : a.values) list.push_back(nlohmann::ordered_json::parse(v));
    }
    Stmt s(db_,
           "INSERT INTO sweeps (name, file, description, base, mode, axes, points) VALUES (?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (name) DO UPDATE SET file = excluded.file, description = excluded.description, "
           "base = excluded.base, mode = excluded.mode, axes = excluded.axes, points = excluded.points",
           path_);
    s.bind(1, spec.name);
    s.bind(2, spec.file);
    s.bind(3, spec.description);
    s.bind(4, spec.base);
    s.bind(5, std::string(spec.mode == SweepMode::zip ? "zip" : "product"));
    s.bind(6, axes.dump());
    s.bind(7, static_cast<std::int64_t>(points));
    s.step();
}

std::set<std::string> ResultsDb::stored_keys(const std::string& sweep, bool ok_only) const {
    Stmt s(db_, std::string("SELECT point_key FROM points WHERE sweep = ?") + (ok_only ? " AND status = 'ok'" : ""),
           path_);
    s.bind(1, sweep);
    std::set<std::string> out;
    while (s.step()) out.insert(s.text(0));
    return out;
}

void ResultsDb::store(const StoredPoint& p, bool replace) {
    // One statement outside any open transaction: SQLite commits it on its own (autocommit), so
    // the point is either wholly stored or absent after a crash.
    std::string marks;
    for (int k = 0; k < kLeadingColumns + static_cast<int>(metric_table().size()) + 2; ++k) marks += k ? ", ?" : "?";
    Stmt s(db_,
           std::string("INSERT OR ") + (replace ? "REPLACE" : "IGNORE") + " INTO points (" + point_columns() +
               ") VALUES (" + marks + ")",
           path_);
    int i = 0;
    s.bind(++i, p.sweep);
    s.bind(++i, p.point_key);
    s.bind(++i, p.axis_values);
    s.bind(++i, p.point_index);
    s.bind(++i, p.status);
    if (p.error.empty()) s.bind_null(++i);
    else s.bind(++i, p.error);
    for (const Metric& m : metric_table()) {
        const auto v = p.metrics.get(m.name);
        if (v && m.unit == MetricUnit::flag) s.bind(++i, static_cast<std::int64_t>(*v != 0 ? 1 : 0));
        else s.bind(++i, v);
    }
    if (p.report.empty()) s.bind_null(++i);
    else s.bind(++i, p.report);
    s.bind(++i, p.elapsed_s);
    s.step();
}

std::vector<StoredPoint> ResultsDb::points(const std::string& sweep) const {
    Stmt s(db_,
           "SELECT " + point_columns() + " FROM points" + (sweep.empty() ? "" : " WHERE sweep = ?") +
               " ORDER BY sweep, point_index, id",
           path_);
    if (!sweep.empty()) s.bind(1, sweep);
    std::vector<StoredPoint> out;
    while (s.step()) {
        StoredPoint p;
        int c = 0;
        p.sweep = s.text(c++);
        p.point_key = s.text(c++);
        p.axis_values = s.text(c++);
        p.point_index = s.integer(c++);
        p.status = s.text(c++);
        p.error = s.text(c++);
        for (std::size_t k = 0; k < metric_table().size(); ++k) p.metrics.values.push_back(s.real(c++));
        p.report = s.text(c++);
        p.elapsed_s = s.real(c++).value_or(0);
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<StoredSweep> ResultsDb::sweeps() const {
    Stmt s(db_, "SELECT name, file, description, base, mode, axes, points FROM sweeps ORDER BY name", path_);
    std::vector<StoredSweep> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.integer(6)});
    return out;
}

}  // namespace fmsim::sim
