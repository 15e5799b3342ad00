#include "fmsim/sim/report.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "fmsim/sim/format.hpp"
#include "fmsim/sim/metrics.hpp"
#include "fmsim/workloads/errors.hpp"
#include "scale.hpp"

namespace fmsim::sim {

using namespace workloads;
using ojson = nlohmann::ordered_json;

GraphResult describe_at_key(const Scenario& sc, const RunSpec& run) {
    try {
        return describe_graph(*sc.model, sc.phase, run);
    } catch (const ConfigError&) {
        throw;
    } catch (const ScenarioError& e) {
        fail_at_model_key(sc.file, e.what());
    }
}

void set_throughput(RunReport& r, double sequences, double seconds) {
    if (seconds <= 0) return;
    const RunSpec& run = r.graph.workload.run;
    r.throughput_samples_per_s = sequences / seconds;
    switch (run.phase) {
        case RunPhase::generate: r.throughput_tokens_per_s = sequences * static_cast<double>(run.output_len) / seconds; break;
        case RunPhase::decode: r.throughput_tokens_per_s = sequences / seconds; break;
        case RunPhase::prefill:
        case RunPhase::encode:
        case RunPhase::train: r.throughput_tokens_per_s = sequences * static_cast<double>(run.input_len) / seconds; break;
        case RunPhase::sample: break;
    }
}

void set_price(RunReport& r, const Scenario& sc, double system_energy_j, double seconds) {
    r.facility_energy_kwh = system_energy_j * sc.cost.pue / 3.6e6;
    r.co2_kg = *r.facility_energy_kwh * sc.cost.kg_co2_per_kwh;
    if (sc.cost.usd_per_device_hour)
        r.cost_usd = *sc.cost.usd_per_device_hour * static_cast<double>(sc.system.devices) * seconds / 3600;
}

namespace {
RunReport run_without_notes(const Scenario& sc, const ReplayOptions& options) {
    const bool training = sc.phase.value_or(sc.model->default_phase()) == RunPhase::train;
    if (sc.system.devices > 1 || (training && sc.training)) return run_scaled(sc, options);
    RunReport r;
    r.name = sc.name;
    r.description = sc.description;
    r.resolved_json = sc.resolved_json;
    r.devices = sc.system.devices;
    r.graph = describe_at_key(sc, sc.run);
    if (!sc.hardware) return r;
    r.replay = replay_workload(r.graph, *sc.hardware, sc.runtime, options);
    const ReplayResult& p = *r.replay;
    // One device (multi-device runs: scale.cpp).
    set_throughput(r, static_cast<double>(r.graph.workload.run.batch), p.latency_s);
    set_price(r, sc, p.energy_j, p.latency_s);
    return r;
}
}  // namespace

RunReport run_scenario(const Scenario& sc, const ReplayOptions& options) {
    RunReport r = run_without_notes(sc, options);
    r.notes = run_notes(sc, r);
    return r;
}

namespace {
std::string run_line(const RunReport& r) {
    const RunSpec& run = r.graph.workload.run;
    std::ostringstream os;
    os << r.graph.workload.model << " " << to_string(run.phase) << ", batch " << run.batch;
    if (run.input_len > 0) os << ", " << run.input_len << " tokens in";
    if (run.phase == RunPhase::generate) os << " + " << run.output_len << " out";
    os << ", weights " << to_string(run.precision.weights) << ", activations " << to_string(run.precision.activations);
    if (r.replay) os << ", on " << r.devices << " x " << r.replay->hardware << " (" << r.replay->runtime << ")";
    return os.str();
}
}  // namespace

std::string report_text(const RunReport& r) {
    std::ostringstream os;
    os << r.name << ": " << run_line(r) << "\n";
    if (!r.description.empty()) os << "  " << r.description << "\n";
    for (const auto& note : r.notes) os << "  note: " << note << "\n";
    if (!r.replay) {
        os << "\n" << summary_text(r.graph.workload, r.graph.summary)
           << "\n  (no hardware in the scenario: set \"hardware\" to replay it)\n";
        return os.str();
    }
    const ReplayResult& p = *r.replay;
    const bool training = r.graph.workload.run.phase == RunPhase::train;
    os << "\n  on " << p.hardware << " driven by " << p.runtime << " (accuracy: docs/validation.md)\n";
    // One line per metric of the table that applies: label, value as people read it, and what
    // one value covers (per step, per training run, ...) unless the label says it already.
    // Pads to `width` columns as a terminal shows them (µ is two bytes, one column).
    auto pad = [](const std::string& text, std::size_t width) {
        std::size_t columns = 0;
        for (unsigned char c : text) columns += (c & 0xC0) != 0x80 ? 1 : 0;
        return text + std::string(columns + 2 > width ? 2 : width - columns, ' ');
    };
    for (const Metric& m : metric_table()) {
        const auto v = m.value(r);
        if (!v && m.when_absent.empty()) continue;
        if (v && *v == 0 && m.text_hides_zero) continue;
        const std::string label(m.label);
        std::string scope = scope_text(m.scope, training);
        if (!scope.empty() && label.find(scope) != std::string::npos) scope.clear();
        const std::string value = v ? format_metric(m, v) : std::string(m.when_absent);
        std::string line = "  " + pad(label, 30) + pad(value, 16) + (v ? scope : std::string());
        while (!line.empty() && line.back() == ' ') line.pop_back();
        os << line << "\n";
    }
    std::vector<std::pair<std::string, std::string>> extra;
    if (training) {
        const auto& s = r.graph.summary;
        extra.emplace_back("training state", "gradients + optimizer states " +
                                                 format_bytes(static_cast<double>(s.gradient_bytes + s.optimizer_state_bytes)) +
                                                 " in all");
    }
    if (!r.parallelism.empty())
        extra.emplace_back("parallelism", r.parallelism + " on " + format_count(static_cast<double>(r.devices), "device"));
    if (r.training) {
        const auto& t = *r.training;
        extra.emplace_back("training batch", "global batch " + format_count(static_cast<double>(t.global_batch), "sequence") +
                                                 " per step, " +
                                                 format_count(static_cast<double>(t.microbatches), "micro-batch", "micro-batches") +
                                                 " per replica");
    }
    os << replay_details_text(p, extra);
    return os.str();
}

namespace {
// A metric's value as the report JSON writes it: null where it does not apply, flags as booleans,
// whole counts as integers.
ojson metric_json(const Metric& m, const std::optional<double>& v) {
    if (!v) return nullptr;
    if (m.unit == MetricUnit::flag) return *v != 0;
    if (m.unit == MetricUnit::count && std::floor(*v) == *v && std::fabs(*v) < 9.0e15) return static_cast<std::int64_t>(*v);
    return *v;
}

// Sets `value` at a dotted path ("energy.per_token_j"), creating the objects on the way.
void set_at(ojson& j, std::string_view path, ojson value) {
    ojson* node = &j;
    while (true) {
        const auto dot = path.find('.');
        const std::string key(path.substr(0, dot));
        if (dot == std::string_view::npos) {
            (*node)[key] = std::move(value);
            return;
        }
        ojson& next = (*node)[key];
        if (!next.is_object()) next = ojson::object();
        node = &next;
        path = path.substr(dot + 1);
    }
}
}  // namespace

std::string report_json(const RunReport& r) {
    ojson j;
    j["name"] = r.name;
    const ReplayResult* p = r.replay ? &*r.replay : nullptr;
    const GraphSummary& s = r.graph.summary;
    // Every metric of the table: at its report path (the nested keys of docs/scenarios.md), and in
    // the flat "metrics" object under its canonical name.
    ojson metrics = ojson::object();
    for (const Metric& m : metric_table()) {
        const ojson v = metric_json(m, m.value(r));
        if (!m.report_path.empty()) set_at(j, m.report_path, v);
        metrics[std::string(m.name)] = v;
    }
    j["warnings"] = r.notes;  // what the run changed, ignored or fell back from (run_notes)
    // With a device, the memory at the timeline's peak; without, the workload's own totals.
    ojson& mem = j["memory"];
    if (p) {
        mem["weights_bytes"] = p->memory_at_peak.weights_bytes;
        mem["kv_cache_bytes"] = p->memory_at_peak.kv_cache_bytes;
        mem["activation_bytes"] = p->memory_at_peak.activation_bytes;
        mem["workspace_bytes"] = p->memory_at_peak.workspace_bytes;
        mem["training_state_bytes"] = p->memory_at_peak.training_state_bytes;
        mem["runtime_bytes"] = p->memory_at_peak.runtime_bytes;
    } else {
        mem["weights_bytes"] = s.weight_bytes;
        mem["kv_cache_bytes"] = s.kv_cache_bytes;
        mem["activation_bytes"] = s.activation_bytes;
        mem["workspace_bytes"] = nullptr;
        mem["training_state_bytes"] = s.gradient_bytes + s.optimizer_state_bytes;
        mem["runtime_bytes"] = nullptr;
    }
    // The system's: a multi-device replay (scale.cpp) already sums its devices.
    if (p)
        j["energy"]["by_part_j"] = {{"matrix", p->energy.matrix_j}, {"vector", p->energy.vector_j},
                                    {"dram", p->energy.dram_j},     {"chip_sram", p->energy.chip_sram_j},
                                    {"core_sram", p->energy.core_sram_j}, {"static", p->energy.static_j}};
    else
        j["energy"]["by_part_j"] = nullptr;
    ojson breakdown = ojson::object();
    for (ModuleGroup g : kAllGroups) {
        const auto& t = s.group(g);
        if (t.flops == 0 && t.bytes == 0 && t.params == 0) continue;
        breakdown[std::string(to_string(g))] = {{"time_s", p ? nlohmann::json(p->group_time(g)) : nlohmann::json(nullptr)},
                                                {"flops", t.flops},
                                                {"bytes", t.bytes},
                                                {"energy_j", p ? nlohmann::json(p->group_energy(g)) : nlohmann::json(nullptr)}};
    }
    j["breakdown"] = breakdown;
    ojson top = ojson::array();
    if (p)
        for (const auto& [name, t] : p->top_ops) top.push_back({{"op", name}, {"time_s", t}});
    j["top_ops"] = top;
    j["hardware"] = p ? nlohmann::json(p->hardware) : nlohmann::json(nullptr);
    j["runtime"] = p ? nlohmann::json(p->runtime) : nlohmann::json(nullptr);
    j["kernels"] = p ? ojson{{"simulated", p->kernels_simulated}, {"reused", p->kernels_reused}} : ojson(nullptr);
    j["parallelism"] = r.parallelism.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.parallelism);
    if (r.training) {
        j["training"]["global_batch"] = r.training->global_batch;
        j["training"]["microbatches"] = r.training->microbatches;
    } else {
        j["training"] = nullptr;
    }
    j["metrics"] = metrics;
    j["scenario"] = ojson::parse(r.resolved_json);
    return j.dump(2);
}

namespace {
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}
}  // namespace

std::string ops_csv(const RunReport& r) {
    if (!r.replay) throw UserError("a per-op CSV needs a device: set \"hardware\" in the scenario");
    std::ostringstream os;
    os << "stage,name,kind,group,layer,start_s,duration_s,flops,bytes,dram_bytes,energy_j,bound,engine,mapping,repeat,"
          "kernel_flops\n";
    char buf[512];
    for (const auto& o : r.replay->op_records) {
        std::snprintf(buf, sizeof buf, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,", o.layer, o.start_s, o.duration_s, o.flops,
                      o.bytes, o.dram_bytes, o.energy_j);
        os << csv_field(o.stage) << ',' << csv_field(o.name) << ',' << o.kind << ',' << o.group << ',' << buf << o.bound
           << ',' << o.engine << ',' << csv_field(o.mapping) << ',' << o.repeat << ',' << o.kernel_flops << '\n';
    }
    return os.str();
}

std::string trace_json(const RunReport& r) {
    if (!r.replay) throw UserError("a trace needs a device: set \"hardware\" in the scenario");
    const ReplayResult& p = *r.replay;
    // Thread ids: 1 matrix engine, 2 vector engine, 10 + c memory channel c.
    std::ostringstream os;
    os << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
    auto meta = [&](int tid, const std::string& name) {
        os << ojson{{"ph", "M"}, {"pid", 1}, {"tid", tid}, {"name", "thread_name"}, {"args", {{"name", name}}}}.dump()
           << ",\n";
    };
    os << ojson{{"ph", "M"}, {"pid", 1}, {"name", "process_name"},
                {"args", {{"name", p.hardware + " (" + p.runtime + ")"}}}}
              .dump()
       << ",\n";
    meta(1, "matrix engine");
    meta(2, "vector engine");
    const std::int64_t channels = std::max<std::int64_t>(1, p.memory_channels);
    for (std::int64_t c = 0; c < channels; ++c) meta(10 + static_cast<int>(c), "memory channel " + std::to_string(c));
    bool first = true;
    char buf[160];
    for (const auto& o : p.op_records) {
        const double ts = o.start_s * 1e6, dur = o.duration_s * 1e6;
        os << (first ? "" : ",\n");
        first = false;
        os << ojson{{"name", o.name},
                    {"cat", o.kind},
                    {"ph", "X"},
                    {"pid", 1},
                    {"tid", o.engine == "matrix" ? 1 : 2},
                    {"ts", ts},
                    {"dur", dur},
                    {"args",
                     {{"stage", o.stage}, {"group", o.group}, {"flops", o.flops}, {"bytes", o.bytes}, {"bound", o.bound},
                      {"mapping", o.mapping}, {"energy_j", o.energy_j}}}}
                  .dump();
        if (o.dram_bytes <= 0 || dur <= 0) continue;
        const double per_channel = o.dram_bytes / static_cast<double>(channels);
        std::snprintf(buf, sizeof buf, "%.4g GB/s", per_channel / o.duration_s / 1e9);
        for (std::int64_t c = 0; c < channels; ++c)
            os << ",\n"
               << ojson{{"name", o.name},
                        {"cat", "dram"},
                        {"ph", "X"},
                        {"pid", 1},
                        {"tid", 10 + static_cast<int>(c)},
                        {"ts", ts},
                        {"dur", dur},
                        {"args", {{"bandwidth", buf}}}}
                      .dump();
    }
    os << "\n]}\n";
    return os.str();
}

}  // namespace fmsim::sim
