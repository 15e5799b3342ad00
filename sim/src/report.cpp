#include "fmsim/sim/report.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

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

RunReport run_scenario(const Scenario& sc, const ReplayOptions& options) {
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

namespace {
nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

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
    if (!r.replay) {
        os << "\n" << summary_text(r.graph.workload, r.graph.summary)
           << "\n  (no hardware in the scenario: set \"hardware\" to replay it)\n";
        return os.str();
    }
    const ReplayResult& p = *r.replay;
    char buf[160];
    auto fmt = [&](const char* f, double v) {
        std::snprintf(buf, sizeof buf, f, v);
        return std::string(buf);
    };
    std::vector<std::pair<std::string, std::string>> extra;
    if (r.throughput_tokens_per_s)
        extra.emplace_back("throughput", fmt("%.4g tokens/s", *r.throughput_tokens_per_s) +
                                             (r.graph.workload.run.phase == RunPhase::generate ? " (output)" : "") +
                                             fmt(", %.4g samples/s", r.throughput_samples_per_s.value_or(0)));
    if (r.graph.workload.run.phase == RunPhase::train) {
        const auto& s = r.graph.summary;
        extra.emplace_back("trainable", fmt("%.4g parameters", static_cast<double>(s.params_trainable)) +
                                            fmt(" of %.4g", static_cast<double>(s.params_total)) +
                                            fmt("; gradients + optimizer states %.3g GB",
                                                static_cast<double>(s.gradient_bytes + s.optimizer_state_bytes) / 1e9));
    }
    if (!r.parallelism.empty()) extra.emplace_back("parallelism", r.parallelism + fmt(" on %.0f devices", static_cast<double>(r.devices)));
    if (r.training) {
        const auto& t = *r.training;
        extra.emplace_back("training step", fmt("%.4g s", t.step_time_s) + fmt(" (%.0f micro-batches", static_cast<double>(t.microbatches)) +
                                                fmt(" per replica, global batch %.0f)", static_cast<double>(t.global_batch)));
        extra.emplace_back("step split", fmt("compute %.4g s", t.compute_s) + fmt(", exposed comm %.4g s", t.exposed_communication_s) +
                                             fmt(", bubble %.4g s", t.bubble_s) + fmt(", optimizer %.4g s", t.optimizer_s));
        extra.emplace_back("MFU / HFU", fmt("%.1f%%", t.mfu * 100) + fmt(" / %.1f%%", t.hfu * 100) +
                                            fmt(", %.4g TFLOP/s per device", t.tflops_per_device));
        extra.emplace_back("training run", fmt("%.4g tokens", t.tokens) + fmt(" in %.4g days", t.total_days) +
                                               fmt(", %.4g device-hours", t.device_hours) + fmt(", %.4g MWh", t.energy_kwh / 1e3) +
                                               (t.cost_usd ? fmt(", $%.4g", *t.cost_usd) : std::string()) +
                                               fmt(", %.4g t CO2", t.co2_kg / 1e3));
    }
    extra.emplace_back("cost", r.cost_usd ? fmt("$%.4g", *r.cost_usd) : std::string("not priced (set cost.usd_per_device_hour)"));
    extra.emplace_back("CO2", fmt("%.4g g", r.co2_kg.value_or(0) * 1e3) +
                                  fmt(" (%.4g kWh at the wall)", r.facility_energy_kwh.value_or(0)));
    os << replay_text(p, extra);
    return os.str();
}

std::string report_json(const RunReport& r) {
    ojson j;
    j["name"] = r.name;
    const ReplayResult* p = r.replay ? &*r.replay : nullptr;
    const GraphSummary& s = r.graph.summary;
    j["latency_s"] = p ? nlohmann::json(p->latency_s) : nlohmann::json(nullptr);
    j["ttft_s"] = p ? opt(p->ttft_s) : nullptr;
    j["tpot_s"] = p ? opt(p->tpot_s) : nullptr;
    j["throughput_tokens_per_s"] = opt(r.throughput_tokens_per_s);
    j["throughput_samples_per_s"] = opt(r.throughput_samples_per_s);
    j["flops"] = s.flops;
    j["params"] = s.params_total;
    j["params_trainable"] = r.graph.workload.run.phase == RunPhase::train ? nlohmann::json(s.params_trainable)
                                                                           : nlohmann::json(nullptr);
    // With a device, the memory at the timeline's peak; without, the workload's own totals.
    ojson mem;
    if (p) {
        mem["peak_bytes_per_device"] = p->memory_peak_bytes;
        mem["capacity_bytes_per_device"] = p->memory_capacity_bytes;
        mem["weights_bytes"] = p->memory_at_peak.weights_bytes;
        mem["kv_cache_bytes"] = p->memory_at_peak.kv_cache_bytes;
        mem["activation_bytes"] = p->memory_at_peak.activation_bytes;
        mem["workspace_bytes"] = p->memory_at_peak.workspace_bytes;
        mem["training_state_bytes"] = p->memory_at_peak.training_state_bytes;
        mem["runtime_bytes"] = p->memory_at_peak.runtime_bytes;
        mem["fits"] = p->fits;
        mem["over_bytes"] = p->fits ? 0.0 : p->memory_peak_bytes - p->memory_capacity_bytes;
    } else {
        mem["peak_bytes_per_device"] = nullptr;
        mem["capacity_bytes_per_device"] = nullptr;
        mem["weights_bytes"] = s.weight_bytes;
        mem["kv_cache_bytes"] = s.kv_cache_bytes;
        mem["activation_bytes"] = s.activation_bytes;
        mem["workspace_bytes"] = nullptr;
        mem["training_state_bytes"] = s.gradient_bytes + s.optimizer_state_bytes;
        mem["runtime_bytes"] = nullptr;
        mem["fits"] = nullptr;
        mem["over_bytes"] = nullptr;
    }
    j["memory"] = mem;
    ojson energy;
    // The system's: a multi-device replay (scale.cpp) already sums its devices.
    energy["total_j"] = p ? nlohmann::json(p->energy_j) : nlohmann::json(nullptr);
    energy["per_token_j"] = p ? opt(p->energy_per_token_j) : nullptr;
    energy["per_sample_j"] = p ? nlohmann::json(p->energy_per_sample_j) : nlohmann::json(nullptr);
    energy["facility_kwh"] = opt(r.facility_energy_kwh);
    if (p)
        energy["by_part_j"] = {{"matrix", p->energy.matrix_j}, {"vector", p->energy.vector_j}, {"dram", p->energy.dram_j},
                               {"chip_sram", p->energy.chip_sram_j}, {"core_sram", p->energy.core_sram_j},
                               {"static", p->energy.static_j}};
    else
        energy["by_part_j"] = nullptr;
    j["energy"] = energy;
    j["cost"] = {{"usd", opt(r.cost_usd)}, {"co2_kg", opt(r.co2_kg)}};
    ojson breakdown = ojson::object();
    for (ModuleGroup g : kAllGroups) {
        const auto i = static_cast<std::size_t>(g);
        const auto& t = s.groups[i];
        if (t.flops == 0 && t.bytes == 0 && t.params == 0) continue;
        breakdown[std::string(to_string(g))] = {{"time_s", p ? nlohmann::json(p->group_time_s[i]) : nlohmann::json(nullptr)},
                                                {"flops", t.flops},
                                                {"bytes", t.bytes},
                                                {"energy_j", p ? nlohmann::json(p->group_energy_j[i]) : nlohmann::json(nullptr)}};
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
        const auto& t = *r.training;
        j["training"] = {{"global_batch", t.global_batch},
                         {"microbatches", t.microbatches},
                         {"step_time_s", t.step_time_s},
                         {"tokens_per_s", t.tokens_per_s},
                         {"tflops_per_device", t.tflops_per_device},
                         {"mfu", t.mfu},
                         {"hfu", t.hfu},
                         {"tokens", t.tokens},
                         {"steps", t.steps},
                         {"total_days", t.total_days},
                         {"device_hours", t.device_hours},
                         {"energy_kwh", t.energy_kwh},
                         {"cost_usd", opt(t.cost_usd)},
                         {"co2_kg", t.co2_kg},
                         {"memory_per_device_bytes", t.memory_per_device_bytes},
                         {"fits", t.fits},
                         {"time_split_s",
                          {{"compute", t.compute_s},
                           {"exposed_communication", t.exposed_communication_s},
                           {"pipeline_bubble", t.bubble_s},
                           {"optimizer", t.optimizer_s}}}};
    } else {
        j["training"] = nullptr;
    }
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
