// The metric table (sim/metrics.hpp) and people's numbers (sim/format.hpp): one declaration per
// metric, every output iterating it, and numbers printed as people write them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "fmsim/sim/format.hpp"
#include "fmsim/sim/metrics.hpp"
#include "fmsim/sim/report.hpp"
#include "fmsim/sim/results_db.hpp"

using namespace fmsim::sim;

namespace {

std::filesystem::path temp_dir() {
    const auto dir = std::filesystem::temp_directory_path() / ("fmsim_metrics_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

// A training run on a device, filled by hand: every metric of the table applies.
RunReport training_report() {
    RunReport r;
    r.name = "hand-made";
    r.resolved_json = "{}";
    r.graph.workload.run.phase = fmsim::workloads::RunPhase::train;
    r.graph.summary.params_total = 7'000'000'000;
    r.graph.summary.params_trainable = 7'000'000'000;
    r.graph.summary.flops = 1.5e15;
    ReplayResult p;
    p.latency_s = 2.5;
    p.ttft_s = 0.1;
    p.tpot_s = 0.01;
    p.memory_peak_bytes = 60e9;
    p.memory_capacity_bytes = 80e9;
    p.energy_j = 5000;
    p.energy_per_token_j = 0.5;
    p.energy_per_sample_j = 10;
    r.replay = p;
    r.throughput_tokens_per_s = 4000;
    r.throughput_samples_per_s = 2;
    r.facility_energy_kwh = 0.0015;
    r.cost_usd = 0.02095;
    r.co2_kg = 0.0006;
    TrainingReport t;
    t.step_time_s = 2.5;
    t.mfu = 0.42;
    t.hfu = 0.5;
    t.tokens = 3e11;
    t.steps = 73'242;
    t.total_days = 2.1;
    t.device_hours = 1.781e5;
    t.energy_kwh = 1.2e5;
    t.cost_usd = 673'400;
    t.co2_kg = 4.2e4;
    t.tokens_per_s = 1.6e6;
    t.tflops_per_device = 312;
    t.memory_per_device_bytes = 70e9;
    r.training = t;
    return r;
}

}  // namespace

TEST(Metrics, NamesAreUniqueIdentifiersAndAliasesResolve) {
    std::set<std::string_view> names, paths;
    const std::regex identifier("[a-z][a-z0-9_]*");
    for (const Metric& m : metric_table()) {
        EXPECT_TRUE(names.insert(m.name).second) << "duplicate metric name " << m.name;
        // A name is a CSV column and an SQLite column: a plain identifier.
        EXPECT_TRUE(std::regex_match(std::string(m.name), identifier)) << m.name;
        EXPECT_FALSE(m.label.empty()) << m.name;
        EXPECT_FALSE(m.description.empty()) << m.name;
        EXPECT_NE(m.value, nullptr) << m.name;
        if (m.unit == MetricUnit::count) {
            EXPECT_FALSE(m.noun.empty()) << m.name << ": a count needs its noun";
        }
        if (!m.report_path.empty()) {
            EXPECT_TRUE(paths.insert(m.report_path).second) << "duplicate report path " << m.report_path;
            EXPECT_EQ(find_metric(m.report_path), &m) << m.report_path;
        }
        EXPECT_EQ(find_metric(m.name), &m);
        EXPECT_EQ(&metric_table()[metric_index(m)], &m);
    }
    // A report path never names a different metric than the metric of that name.
    for (const Metric& m : metric_table())
        if (names.count(m.report_path)) {
            EXPECT_EQ(m.report_path, m.name);
        }
    EXPECT_EQ(find_metric("energy.per_token_j")->name, "energy_per_token_j");
    EXPECT_EQ(find_metric("nothing"), nullptr);
}

TEST(Metrics, EveryMetricOfTheReportIsACsvAndSqliteColumn) {
    const RunReport r = training_report();
    const auto report = nlohmann::json::parse(report_json(r));
    ASSERT_TRUE(report.contains("metrics"));
    const auto& metrics = report["metrics"];
    EXPECT_EQ(metrics.size(), metric_table().size());
    // Every metric has a value in this report, at its canonical name and at its older path.
    const auto values = metric_values_from_report(report_json(r));
    for (const Metric& m : metric_table()) {
        ASSERT_TRUE(metrics.contains(std::string(m.name))) << m.name;
        EXPECT_FALSE(metrics[std::string(m.name)].is_null()) << m.name << " is null in a full training report";
        EXPECT_TRUE(values[metric_index(m)].has_value()) << m.name;
        if (!m.report_path.empty()) {
            const std::string pointer = "/" + std::regex_replace(std::string(m.report_path), std::regex("\\."), "/");
            EXPECT_EQ(report[nlohmann::json::json_pointer(pointer)], metrics[std::string(m.name)]) << m.report_path;
        }
    }
    EXPECT_EQ(metrics["fits"], true);
    EXPECT_EQ(metrics["params"], 7'000'000'000);  // whole counts as integers
    EXPECT_EQ(report["training"]["global_batch"], 0);

    // Stored as a sweep point: one SQLite column and one CSV column per metric, the same values.
    const auto path = (temp_dir() / "columns.sqlite").string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    StoredPoint p;
    p.sweep = "s";
    p.point_key = "{}";
    p.axis_values = "{}";
    p.status = "ok";
    p.report = report_json(r);
    p.metrics = metrics_from_report(p.report);
    {
        auto db = ResultsDb::open(path, true);
        db.store(p, false);
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    std::set<std::string> columns;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA table_info(points)", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) columns.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    sqlite3_close(raw);
    const auto db = ResultsDb::open(path, false);
    const auto rows = db.points();
    ASSERT_EQ(rows.size(), 1u);
    const std::string csv = results_csv(rows);
    std::string header = "," + csv.substr(0, csv.find('\n')) + ",";
    const auto exported = nlohmann::json::parse(results_json(rows));
    for (const Metric& m : metric_table()) {
        EXPECT_TRUE(columns.count(std::string(m.name))) << m.name << " has no SQLite column";
        EXPECT_NE(header.find("," + std::string(m.name) + ","), std::string::npos) << m.name << " has no CSV column";
        EXPECT_TRUE(exported[0].contains(std::string(m.name))) << m.name << " missing from results --json";
        EXPECT_EQ(rows[0].metrics.get(m.name), values[metric_index(m)]) << m.name << " did not round-trip";
    }
}

TEST(Metrics, AVersionOneDatabaseGetsTheNewColumnsFromItsReports) {
    const auto path = (temp_dir() / "v1.sqlite").string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    const std::string report = report_json(training_report());
    {
        // The tables as fmsim wrote them at schema version 1.
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
        const std::string sql = R"sql(
CREATE TABLE sweeps (name TEXT PRIMARY KEY, file TEXT NOT NULL, description TEXT NOT NULL, base TEXT NOT NULL,
  mode TEXT NOT NULL, axes TEXT NOT NULL, points INTEGER NOT NULL);
CREATE TABLE points (id INTEGER PRIMARY KEY, sweep TEXT NOT NULL, point_key TEXT NOT NULL, axis_values TEXT NOT NULL,
  point_index INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('ok', 'error')), error TEXT, latency_s REAL,
  ttft_s REAL, tpot_s REAL, throughput_tokens_per_s REAL, throughput_samples_per_s REAL, peak_bytes_per_device REAL,
  fits INTEGER, energy_j REAL, energy_per_token_j REAL, cost_usd REAL, co2_kg REAL, report TEXT, elapsed_s REAL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), UNIQUE (sweep, point_key));
PRAGMA user_version=1;
)sql";
        ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(raw,
                           "INSERT INTO points (sweep, point_key, axis_values, point_index, status, latency_s, fits, "
                           "report, elapsed_s) VALUES ('old', '{}', '{}', 0, 'ok', 2.5, 1, ?, 1)",
                           -1, &st, nullptr);
        sqlite3_bind_text(st, 1, report.c_str(), -1, SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        sqlite3_close(raw);
    }
    const auto db = ResultsDb::open(path, false);
    const auto rows = db.points("old");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].metrics.get("latency_s"), 2.5);
    // Columns the version 1 file did not have, filled from its stored report.
    EXPECT_EQ(rows[0].metrics.get("mfu"), 0.42);
    EXPECT_EQ(rows[0].metrics.get("training_cost_usd"), 673'400);
    EXPECT_EQ(rows[0].metrics.get("capacity_bytes_per_device"), 80e9);
    EXPECT_EQ(pareto_points(rows, parse_pareto_objectives("mfu")).points.size(), 1u);
}

TEST(Format, PeoplesNumbers) {
    EXPECT_EQ(format_number(178100), "178,100");
    EXPECT_EQ(format_number(1.781e5), "178,100");
    EXPECT_EQ(format_number(1234.5678), "1,235");
    EXPECT_EQ(format_number(999.95), "1,000");
    EXPECT_EQ(format_number(0.0123456), "0.01235");
    EXPECT_EQ(format_number(42), "42");
    EXPECT_EQ(format_number(-178100), "-178,100");
    EXPECT_EQ(format_number(3e11), "300 billion");
    EXPECT_EQ(format_number(7e9), "7 billion");
    EXPECT_EQ(format_number(12'345'678), "12.35 million");
    EXPECT_EQ(format_number(1.2e12), "1.2 trillion");
    EXPECT_EQ(format_number(0), "0");
}

TEST(Format, CountsTakeSingularOrPlural) {
    EXPECT_EQ(format_count(1, "token"), "1 token");
    EXPECT_EQ(format_count(2, "token"), "2 tokens");
    EXPECT_EQ(format_count(0, "token"), "0 tokens");
    EXPECT_EQ(format_count(1.781e5, "device-hour"), "178,100 device-hours");
    EXPECT_EQ(format_count(3e11, "token"), "300 billion tokens");
    EXPECT_EQ(format_count(1, "micro-batch", "micro-batches"), "1 micro-batch");
    EXPECT_EQ(format_count(16, "micro-batch", "micro-batches"), "16 micro-batches");
}

TEST(Format, MoneyToTheCent) {
    EXPECT_EQ(format_usd(673400), "$673,400.00");
    EXPECT_EQ(format_usd(6.734e5), "$673,400.00");
    EXPECT_EQ(format_usd(159.8), "$159.80");
    EXPECT_EQ(format_usd(0.02095), "$0.02");
    EXPECT_EQ(format_usd(1234567.891), "$1,234,567.89");
    EXPECT_EQ(format_usd(5.867e-06), "$0.0000059");  // below a cent: two significant digits, no exponent
    EXPECT_EQ(format_usd(0), "$0.00");
}

TEST(Format, DurationsInHumanUnits) {
    EXPECT_EQ(format_duration(0.00942), "9.42 ms");
    EXPECT_EQ(format_duration(0.00041), "410 µs");
    EXPECT_EQ(format_duration(1.42), "1.42 s");
    EXPECT_EQ(format_duration(0.9997), "1 s");  // not "1000 ms"
    EXPECT_EQ(format_duration(750), "12.5 min");
    EXPECT_EQ(format_duration(3.2 * 3600), "3.2 h");
    EXPECT_EQ(format_duration(86400), "1 day");
    EXPECT_EQ(format_duration(14.6 * 86400), "14.6 days");
}

TEST(Format, UnitsWithPrefixes) {
    EXPECT_EQ(format_bytes(16.2e9), "16.2 GB");
    EXPECT_EQ(format_bytes(512e6), "512 MB");
    EXPECT_EQ(format_si(5.867e-3, "J"), "5.87 mJ");
    EXPECT_EQ(format_si(989e12, "FLOP/s", false), "989 TFLOP/s");
    EXPECT_EQ(format_kwh(1.781e3), "1.78 MWh");
    EXPECT_EQ(format_co2_kg(0.07), "70 g");
    EXPECT_EQ(format_co2_kg(42000), "42 t");
    EXPECT_EQ(format_percent(0.4213), "42.1%");
}

TEST(Format, TrainingReportLabelsStepAndRunFigures) {
    const std::string text = report_text(training_report());
    // The step's cost and the run's cost, each saying which it is, in people's numbers.
    EXPECT_NE(text.find("$0.02           per step"), std::string::npos) << text;
    EXPECT_NE(text.find("training cost"), std::string::npos) << text;
    EXPECT_NE(text.find("$673,400.00     per training run"), std::string::npos) << text;
    EXPECT_NE(text.find("178,100 device-hours"), std::string::npos) << text;
    EXPECT_NE(text.find("300 billion tokens"), std::string::npos) << text;
    EXPECT_NE(text.find("MFU"), std::string::npos) << text;
    EXPECT_NE(text.find("42.0%"), std::string::npos) << text;
    // No machine numbers: no exponents anywhere in the figures.
    EXPECT_FALSE(std::regex_search(text, std::regex("[0-9]e[+-][0-9]"))) << text;
}

TEST(Docs, MetricTableInCliDocsIsCurrent) {
    std::ifstream in(std::string(FMSIM_DOCS_DIR) + "/cli.md");
    ASSERT_TRUE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_NE(ss.str().find(metrics_reference_markdown()), std::string::npos)
        << "docs/cli.md's metric table is stale; replace it with the output of: build/fmsim docs metrics";
}
