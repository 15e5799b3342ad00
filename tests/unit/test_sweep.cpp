// Sweeps: the sweep file's validation, point expansion, the Pareto front, and the results
// database round trip (the runner itself, which forks workers, is tested by cli/sweep_resume.cmake).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fmsim/sim/results_db.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/sim/sweep.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"

using namespace fmsim;
using namespace fmsim::sim;

namespace {

// One folder per test: ctest runs the tests in parallel processes.
std::filesystem::path temp_dir() {
    const auto dir = std::filesystem::path(::testing::TempDir()) / "fmsim_sweep" /
                     ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir);
    return dir;
}

// A sweep file next to a base scenario; returns the sweep file's path.
std::string write_sweep(const std::string& name, const std::string& text) {
    const auto dir = temp_dir();
    std::ofstream(dir / "base.json") << R"({"name": "b", "model": "gpt2", "hardware": "a100-sxm-80gb"})";
    const auto path = dir / (name + ".json");
    std::ofstream(path) << text;
    return path.string();
}

SweepSpec spec_of(std::vector<SweepAxis> axes, SweepMode mode) {
    SweepSpec s;
    s.name = "s";
    s.axes = std::move(axes);
    s.mode = mode;
    return s;
}

}  // namespace

TEST(Sweep, ProductExpandsEveryCombinationLastAxisFastest) {
    const auto points = expand_points(spec_of({{"batch", {"1", "8", "32"}}, {"precision", {"\"bf16\"", "\"fp8\""}}},
                                              SweepMode::product));
    ASSERT_EQ(points.size(), 6u);
    EXPECT_EQ(points[0].label(), "batch=1 precision=bf16");
    EXPECT_EQ(points[1].label(), "batch=1 precision=fp8");
    EXPECT_EQ(points[2].label(), "batch=8 precision=bf16");
    EXPECT_EQ(points[5].label(), "batch=32 precision=fp8");
    EXPECT_EQ(points[5].index, 5u);
    EXPECT_EQ(points[3].sets(), (std::vector<std::string>{"batch=8", "precision=\"fp8\""}));
    EXPECT_EQ(points[3].key, R"({"batch":8,"precision":"fp8"})");
    EXPECT_EQ(points[3].values_json, R"({"batch":8,"precision":"fp8"})");
}

TEST(Sweep, PointKeyIsCanonicalWhateverTheAxisOrder) {
    const auto a = expand_points(spec_of({{"z.y", {"{\"b\":1,\"a\":2}"}}, {"batch", {"4"}}}, SweepMode::product));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].key, R"({"batch":4,"z.y":{"a":2,"b":1}})");
    EXPECT_EQ(a[0].values_json, R"({"z.y":{"b":1,"a":2},"batch":4})");  // axis order, as written
    EXPECT_EQ(point_key({{"batch", "4"}, {"z.y", "{\"a\":2,\"b\":1}"}}), a[0].key);
}

TEST(Sweep, ZipTakesTheIthValueOfEveryAxis) {
    const auto points = expand_points(spec_of({{"batch", {"1", "8", "32"}}, {"input_len", {"4096", "512", "128"}}},
                                              SweepMode::zip));
    ASSERT_EQ(points.size(), 3u);
    EXPECT_EQ(points[0].label(), "batch=1 input_len=4096");
    EXPECT_EQ(points[1].label(), "batch=8 input_len=512");
    EXPECT_EQ(points[2].label(), "batch=32 input_len=128");
}

TEST(Sweep, LoadKeepsTheFileOrderOfAxesAndResolvesTheBase) {
    const auto path = write_sweep("ok", R"({
      "name": "two-axes", "description": "d", "base": "base.json",
      "axes": {"precision": ["bf16", "fp8"], "batch": [1, 2, 4],
               "hardware_overrides.memory.bandwidth_gb_per_s": [1600, 3200]}
    })");
    const auto spec = load_sweep(path);
    EXPECT_EQ(spec.name, "two-axes");
    EXPECT_EQ(spec.mode, SweepMode::product);
    ASSERT_EQ(spec.axes.size(), 3u);
    EXPECT_EQ(spec.axes[0].path, "precision");
    EXPECT_EQ(spec.axes[1].path, "batch");
    EXPECT_EQ(spec.axes[2].values, (std::vector<std::string>{"1600", "3200"}));
    EXPECT_EQ(std::filesystem::path(spec.base_path), temp_dir() / "base.json");
    EXPECT_EQ(expand_points(spec).size(), 12u);
    // Each point is a valid scenario.
    const auto sc = load_scenario(spec.base_path, expand_points(spec)[11].sets());
    EXPECT_EQ(sc.run.batch, 4);
    EXPECT_EQ(sc.hardware->memory.bandwidth_gb_per_s, 3200);
}

TEST(Sweep, ShippedSweepsLoad) {
    const auto dir = workloads::config_dir() / "sweeps";
    EXPECT_EQ(expand_points(load_sweep((dir / "hbm-x-matrix.json").string())).size(), 12u);
    EXPECT_EQ(expand_points(load_sweep((dir / "serving-batch-x-precision.json").string())).size(), 15u);
}

TEST(Sweep, BadSweepFilesNameFilePointerAndExpectation) {
    struct Case {
        const char* json;
        const char* message;  // expected after "<path>: "
    };
    const Case cases[] = {
        {R"({"name": "s", "base": "base.json", "axis": {"batch": [1]}})",
         "/axis: unknown key for sweep (did you mean 'axes'?)"},
        {R"({"name": 3, "base": "base.json", "axes": {"batch": [1]}})", "/name: expected a string, got number 3"},
        {R"({"base": "base.json", "axes": {"batch": [1]}})", "/: missing required key 'name'"},
        {R"({"name": "s", "base": "base.json", "axes": {}})", "/axes: expected at least one axis"},
        {R"({"name": "s", "base": "base.json", "axes": [1]})",
         "/axes: expected an object from scenario key path to a list of values, got an array"},
        {R"({"name": "s", "base": "base.json", "axes": {"batch": 8}})",
         "/axes/batch: expected a non-empty list of values, got number 8"},
        {R"({"name": "s", "base": "base.json", "axes": {"batch": []}})",
         "/axes/batch: expected a non-empty list of values, got []"},
        {R"({"name": "s", "base": "base.json", "axes": {"bach": [1]}})",
         "/axes/bach: 'bach': unknown key 'bach' for scenario (did you mean 'batch'?)"},
        {R"({"name": "s", "base": "base.json", "axes": {"hardware_overrides.memory.bandwidth": [1]}})",
         "/axes/hardware_overrides.memory.bandwidth: 'hardware_overrides.memory.bandwidth': unknown key "
         "'bandwidth' for hardware.memory (did you mean 'bandwidth_gb_per_s'?)"},
        {R"({"name": "s", "base": "base.json", "axes": {"cost.pu": [1.2]}})",
         "/axes/cost.pu: 'cost.pu': unknown key 'pu' for scenario.cost (did you mean 'pue'?)"},
        {R"({"name": "s", "base": "base.json", "axes": {"batch.size": [1]}})",
         "/axes/batch.size: 'batch.size': scenario key 'batch' is not an object"},
        {R"({"name": "s", "base": "base.json", "axes": {"batch..x": [1]}})",
         "/axes/batch..x: 'batch..x': expected a scenario key path"},
        {R"({"name": "s", "base": "base.json", "mode": "zipped", "axes": {"batch": [1]}})",
         "/mode: expected one of \"product\", \"zip\", got \"zipped\""},
        {R"({"name": "s", "base": "base.json", "mode": "zip", "axes": {"batch": [1, 2, 3], "input_len": [8, 16]}})",
         "/axes/input_len: zip mode: expected 3 values, as many as 'batch', got 2"},
        {R"({"name": "s", "base": "base.json", "axes": {"batch": [1, 2, 1]}})",
         "/axes/batch/2: duplicate value 1 (already at index 0)"},
        {R"({"name": "s", "base": "base.json", "mode": "zip", "axes": {"batch": [1, 1], "steps": [2, 2]}})",
         "/axes: zip mode: points 0 and 1 have the same values"},
        {R"({"name": "s", "base": "missing.json", "axes": {"batch": [1]}})",
         "/base: cannot find the scenario file"},
        {R"({"name": "", "base": "base.json", "axes": {"batch": [1]}})", "/name: expected a non-empty name"},
        {R"([1, 2])", "/: expected an object, got an array"},
        {R"({"name": "s", )", "/: invalid JSON"},
    };
    for (const auto& c : cases) {
        const auto path = write_sweep("bad", c.json);
        try {
            load_sweep(path);
            ADD_FAILURE() << c.json << " loaded without error";
        } catch (const ConfigError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.rfind(path + ": " + c.message, 0), 0u) << "got: " << what;
            // Several problems of the file come at once, one line each, each naming the file.
            for (std::size_t at = 0; at != std::string::npos; at = what.find('\n', at + 1))
                EXPECT_EQ(what.compare(at == 0 ? 0 : at + 1, path.size() + 2, path + ": "), 0) << what;
        }
    }
}

TEST(Sweep, ParetoFrontOfHandMadePoints) {
    const std::vector<ParetoObjective> min2{{"latency_s", false}, {"energy.total_j", false}};
    const std::vector<std::vector<double>> rows{
        {1, 5},  // 0: best latency
        {2, 3},  // 1
        {3, 4},  // 2: dominated by 1
        {4, 1},  // 3: best energy
        {2, 3},  // 4: equal to 1, kept
        {5, 5},  // 5: dominated by all
        {4, 2},  // 6: dominated by 3
    };
    EXPECT_EQ(pareto_front(rows, min2), (std::vector<std::size_t>{0, 1, 3, 4}));
    // Maximizing the second: (1, 5) has the best latency and the best value (tied with (5, 5)), so it
    // dominates every other row.
    const std::vector<ParetoObjective> min_max{{"latency_s", false}, {"throughput", true}};
    EXPECT_EQ(pareto_front(rows, min_max), (std::vector<std::size_t>{0}));
    EXPECT_EQ(pareto_front({{1, 5}, {2, 6}, {3, 6}}, min_max), (std::vector<std::size_t>{0, 1}));
    EXPECT_TRUE(pareto_front({}, min2).empty());
    const std::vector<ParetoObjective> one{{"latency_s", false}};
    EXPECT_EQ(pareto_front({{3}, {1}, {1}, {2}}, one), (std::vector<std::size_t>{1, 2}));
}

TEST(Sweep, ParetoObjectivesParse) {
    const auto o = parse_pareto_objectives("latency_s, energy.total_j,throughput_tokens_per_s:max");
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[1].path, "energy_j");  // the older report path names the metric energy_j
    EXPECT_FALSE(o[1].maximize);
    EXPECT_EQ(o[2].path, "throughput_tokens_per_s");
    EXPECT_TRUE(o[2].maximize);
    EXPECT_THROW(parse_pareto_objectives("latency_s,,energy.total_j"), UserError);
    EXPECT_THROW(parse_pareto_objectives(""), UserError);
    // Without a suffix a metric goes its better way; other report paths are minimized.
    const auto d = parse_pareto_objectives("energy_per_token_j,throughput_tokens_per_s,training.mfu,"
                                           "latency_s:max,breakdown.attention.time_s");
    EXPECT_EQ(d[0].path, "energy_per_token_j");
    EXPECT_FALSE(d[0].maximize);
    EXPECT_TRUE(d[1].maximize);
    EXPECT_EQ(d[2].path, "mfu");
    EXPECT_TRUE(d[2].maximize);
    EXPECT_TRUE(d[3].maximize);
    EXPECT_EQ(d[4].path, "breakdown.attention.time_s");
    EXPECT_FALSE(d[4].maximize);
}

TEST(Sweep, MetricsFromAReport) {
    const std::string report = R"({"latency_s": 1.5, "ttft_s": null, "tpot_s": 0.01,
        "throughput_tokens_per_s": 100, "throughput_samples_per_s": 2,
        "memory": {"peak_bytes_per_device": 1e10, "fits": false},
        "energy": {"total_j": 300, "per_token_j": 3}, "cost": {"usd": null, "co2_kg": 0.001}})";
    // A report without a "metrics" object (written before it had one): the older nested keys.
    const auto m = metrics_from_report(report);
    EXPECT_EQ(m.get("latency_s"), 1.5);
    EXPECT_FALSE(m.get("ttft_s"));
    EXPECT_EQ(m.get("peak_bytes_per_device"), 1e10);
    EXPECT_EQ(m.fits(), false);
    EXPECT_EQ(m.get("energy_j"), 300);
    EXPECT_EQ(m.get("energy.total_j"), 300);  // the older path names the same metric
    EXPECT_FALSE(m.get("cost_usd"));
    EXPECT_EQ(m.get("co2_kg"), 0.001);
    EXPECT_FALSE(m.get("no_such_metric"));
    // The "metrics" object wins over the nested keys.
    const auto flat = metrics_from_report(R"({"latency_s": 1.5, "metrics": {"latency_s": 2.5, "fits": true}})");
    EXPECT_EQ(flat.get("latency_s"), 2.5);
    EXPECT_EQ(flat.fits(), true);
    EXPECT_EQ(json_number_at(report, "energy.per_token_j"), 3);
    EXPECT_FALSE(json_number_at(report, "energy.nothing"));
    EXPECT_FALSE(json_number_at(report, "memory.fits"));  // a boolean is not a number
    const auto paths = json_number_paths(report);
    EXPECT_NE(std::find(paths.begin(), paths.end(), "memory.peak_bytes_per_device"), paths.end());
    EXPECT_NE(std::find(paths.begin(), paths.end(), "cost.usd"), paths.end());  // null: a number elsewhere
}

TEST(Sweep, ResultsDbStoresEachPointOnce) {
    const auto path = (temp_dir() / "results.sqlite").string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    EXPECT_THROW(ResultsDb::open(path, false), UserError);  // absent, and not created
    auto spec = spec_of({{"batch", {"1", "8"}}, {"precision", {"\"bf16\"", "\"fp8\""}}}, SweepMode::product);
    const auto points = expand_points(spec);
    {
        auto db = ResultsDb::open(path, true);
        db.record_sweep(spec, points.size());
        auto stored = [&](const SweepPoint& p, const std::string& status, double latency) {
            StoredPoint s;
            s.sweep = "s";
            s.point_key = p.key;
            s.axis_values = p.values_json;
            s.point_index = static_cast<std::int64_t>(p.index);
            s.status = status;
            if (status == "ok") {
                s.report = R"({"latency_s": )" + std::to_string(latency) + R"(, "memory": {"fits": true}})";
                s.metrics = metrics_from_report(s.report);
            } else {
                s.error = "base.json: /batch: bad";
            }
            return s;
        };
        db.store(stored(points[2], "ok", 2.0), false);
        db.store(stored(points[0], "ok", 1.0), false);
        db.store(stored(points[1], "error", 0), false);
        db.store(stored(points[0], "ok", 9.0), false);  // already there: kept as it was
        EXPECT_EQ(db.stored_keys("s", false).size(), 3u);
        EXPECT_EQ(db.stored_keys("s", true).size(), 2u);
        EXPECT_TRUE(db.stored_keys("other", false).empty());
        db.store(stored(points[1], "ok", 1.5), true);  // a retried error replaces its row
    }
    const auto db = ResultsDb::open(path, false);
    const auto rows = db.points();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].point_index, 0);  // by point index, not by insertion
    EXPECT_EQ(rows[0].metrics.get("latency_s"), 1.0);
    EXPECT_EQ(rows[1].status, "ok");
    EXPECT_EQ(rows[1].metrics.get("latency_s"), 1.5);
    EXPECT_EQ(rows[1].metrics.fits(), true);
    EXPECT_EQ(rows[2].axis_values, R"({"batch":8,"precision":"bf16"})");
    ASSERT_EQ(db.sweeps().size(), 1u);
    EXPECT_EQ(db.sweeps()[0].points, 4);
    EXPECT_EQ(db.sweeps()[0].axes, R"({"batch":[1,8],"precision":["bf16","fp8"]})");
    EXPECT_EQ(sweep_points(spec, db).size(), 3u);

    // Filters and exports.
    EXPECT_EQ(filter_points(rows, parse_where({"batch=8"})).size(), 1u);
    EXPECT_EQ(filter_points(rows, parse_where({"batch=1.0"})).size(), 2u);  // numbers by value
    EXPECT_EQ(filter_points(rows, parse_where({"precision=fp8", "batch=1"})).size(), 1u);
    EXPECT_EQ(filter_points(rows, parse_where({"status=ok"})).size(), 3u);
    EXPECT_THROW(filter_points(rows, parse_where({"bach=8"})), UserError);
    EXPECT_THROW(parse_where({"batch"}), UserError);
    const auto csv = results_csv(rows);
    // The columns of version 1 keep their names and places; the metric table's others follow.
    const std::string header = csv.substr(0, csv.find('\n'));
    EXPECT_TRUE(header.starts_with("sweep,point_index,status,batch,precision,latency_s,ttft_s,tpot_s,"
                                   "throughput_tokens_per_s,throughput_samples_per_s,peak_bytes_per_device,fits,"
                                   "energy_j,energy_per_token_j,cost_usd,co2_kg,capacity_bytes_per_device,"))
        << header;
    EXPECT_TRUE(header.ends_with(",training_co2_kg,error")) << header;
    EXPECT_NE(csv.find("\ns,0,ok,1,bf16,1.0,"), std::string::npos) << csv;
    const auto table = results_table(rows);
    EXPECT_NE(table.find("sweep s: 3 points (3 ok, 0 error)"), std::string::npos) << table;

    EXPECT_THROW(pareto_points(rows, {{"latency", false}}), UserError);      // a typo
    EXPECT_THROW(pareto_points(rows, {{"memory.fits", false}}), UserError);  // a boolean
    EXPECT_THROW(pareto_points(rows, {{"fits", false}}), UserError);         // by its name too
    EXPECT_EQ(filter_points(rows, parse_where({"fits=true"})).size(), 3u);     // a metric as a filter
    EXPECT_EQ(filter_points(rows, parse_where({"latency_s=1.5"})).size(), 1u);
    const auto one = pareto_points(rows, {{"latency_s", false}});
    ASSERT_EQ(one.points.size(), 1u);
    EXPECT_EQ(one.points[0].point_index, 0);
}
