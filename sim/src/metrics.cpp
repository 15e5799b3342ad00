// The metric table (metrics.hpp): every output metric of a run, declared once.
#include "fmsim/sim/metrics.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

#include "fmsim/sim/format.hpp"
#include "fmsim/sim/report.hpp"

namespace fmsim::sim {

namespace {

using Opt = std::optional<double>;
using workloads::RunPhase;

const ReplayResult* replay(const RunReport& r) { return r.replay ? &*r.replay : nullptr; }
const TrainingReport* training(const RunReport& r) { return r.training ? &*r.training : nullptr; }
// A device figure: none without a device.
template <class F>
Opt dev(const RunReport& r, F f) {
    const ReplayResult* p = replay(r);
    return p ? Opt(f(*p)) : std::nullopt;
}
// A training-run figure: none outside training.
template <class F>
Opt train(const RunReport& r, F f) {
    const TrainingReport* t = training(r);
    return t ? Opt(f(*t)) : std::nullopt;
}

using U = MetricUnit;
using S = MetricScope;
using B = Better;

// The table. Names are the public contract of CSV columns, SQLite columns, the report's "metrics"
// object and `--pareto`; report paths are the report JSON's older nested keys (kept: docs/scenarios.md).
// clang-format off
const Metric kMetrics[] = {
    // The first eleven are the results database's columns of version 1, in its order.
    {.name = "latency_s", .report_path = "latency_s", .label = "latency", .unit = U::seconds, .scope = S::per_batch,
     .better = B::lower, .description = "The scenario's batch from start to end: prefill and every decode step of a "
     "generation; one optimizer step in training.",
     .value = [](const RunReport& r) { return dev(r, [](const ReplayResult& p) { return p.latency_s; }); }, .headline = true},
    {.name = "ttft_s", .report_path = "ttft_s", .label = "TTFT (time to first token)", .unit = U::seconds,
     .scope = S::per_request, .better = B::lower, .description = "Generation: the prefill stage, until the first "
     "output token.", .value = [](const RunReport& r) { return r.replay ? r.replay->ttft_s : std::nullopt; }, .headline = true},
    {.name = "tpot_s", .report_path = "tpot_s", .label = "TPOT (time per output token)", .unit = U::seconds,
     .scope = S::per_token, .better = B::lower, .description = "Generation: the mean decode step after the first token.",
     .value = [](const RunReport& r) { return r.replay ? r.replay->tpot_s : std::nullopt; }, .headline = true},
    {.name = "throughput_tokens_per_s", .report_path = "throughput_tokens_per_s", .label = "throughput",
     .unit = U::tokens_per_s, .scope = S::none, .better = B::higher, .description = "Output tokens per second for "
     "generate and decode; tokens processed per second for prefill, encode and train. Whole system.",
     .value = [](const RunReport& r) { return r.throughput_tokens_per_s; }, .headline = true},
    {.name = "throughput_samples_per_s", .report_path = "throughput_samples_per_s", .label = "throughput (samples)",
     .unit = U::samples_per_s, .scope = S::none, .better = B::higher, .description = "Sequences (or images) of the "
     "batch per second. Whole system.", .value = [](const RunReport& r) { return r.throughput_samples_per_s; }},
    {.name = "peak_bytes_per_device", .report_path = "memory.peak_bytes_per_device", .label = "memory peak",
     .unit = U::bytes, .scope = S::per_device, .better = B::lower, .description = "The device memory timeline's "
     "highest point: weights, KV cache, live activations, workspace, training state and runtime.",
     .value = [](const RunReport& r) { return dev(r, [](const ReplayResult& p) { return p.memory_peak_bytes; }); },
     .headline = true},
    {.name = "fits", .report_path = "memory.fits", .label = "fits in memory", .unit = U::flag, .scope = S::per_device,
     .better = B::higher, .description = "Whether the memory peak is within the capacity (Pareto fronts leave out "
     "points that do not fit).",
     .value = [](const RunReport& r) { return dev(r, [](const ReplayResult& p) { return p.fits ? 1.0 : 0.0; }); }},
    {.name = "energy_j", .report_path = "energy.total_j", .label = "energy", .unit = U::joules,
     .scope = S::per_batch, .better = B::lower, .description = "The devices' energy: action counts priced by the "
     "technology table plus static power times time, all devices.",
     .value = [](const RunReport& r) { return dev(r, [](const ReplayResult& p) { return p.energy_j; }); }, .headline = true},
    {.name = "energy_per_token_j", .report_path = "energy.per_token_j", .label = "energy per token", .unit = U::joules,
     .scope = S::per_token, .better = B::lower, .description = "energy_j over the tokens throughput counts (output "
     "tokens of a generation, input tokens otherwise); none for diffusion sampling.",
     .value = [](const RunReport& r) { return r.replay ? r.replay->energy_per_token_j : std::nullopt; }, .headline = true},
    {.name = "cost_usd", .report_path = "cost.usd", .label = "cost", .unit = U::usd, .scope = S::per_batch,
     .better = B::lower, .description = "Device-hours times cost.usd_per_device_hour; none when unpriced.",
     .value = [](const RunReport& r) { return r.cost_usd; }, .headline = true,
     .when_absent = "not priced (set cost.usd_per_device_hour)"},
    {.name = "co2_kg", .report_path = "cost.co2_kg", .label = "CO2", .unit = U::kg_co2, .scope = S::per_batch,
     .better = B::lower, .description = "facility_energy_kwh times the grid's cost.kg_co2_per_kwh.",
     .value = [](const RunReport& r) { return r.co2_kg; }, .headline = true},
    {.name = "capacity_bytes_per_device", .report_path = "memory.capacity_bytes_per_device", .label = "memory capacity",
     .unit = U::bytes, .scope = S::per_device, .better = B::neither, .description = "The device's memory capacity.",
     .value = [](const RunReport& r) { return dev(r, [](const ReplayResult& p) { return p.memory_capacity_bytes; }); }},
    {.name = "over_bytes_per_device", .report_path = "memory.over_bytes", .label = "memory over capacity",
     .unit = U::bytes, .scope = S::per_device, .better = B::lower, .description = "How far the peak exceeds the "
     "capacity; 0 when it fits.",
     .value = [](const RunReport& r) {
         return dev(r, [](const ReplayResult& p) { return p.fits ? 0.0 : p.memory_peak_bytes - p.memory_capacity_bytes; });
     }, .text_hides_zero = true},
    {.name = "tokens_per_joule", .report_path = "", .label = "energy efficiency", .unit = U::tokens_per_j,
     .scope = S::none, .better = B::higher, .description = "Tokens per joule of device energy: 1 / energy_per_token_j "
     "(the tokens throughput counts); none for diffusion sampling.",
     .value = [](const RunReport& r) {
         const auto e = r.replay ? r.replay->energy_per_token_j : std::nullopt;
         return e && *e > 0 ? Opt(1 / *e) : std::nullopt;
     }},
    {.name = "energy_per_sample_j", .report_path = "energy.per_sample_j", .label = "energy per sample",
     .unit = U::joules, .scope = S::per_sample, .better = B::lower, .description = "energy_j over the batch's "
     "sequences or images.",
     .value = [](const RunReport& r) { return dev(r, [](const ReplayResult& p) { return p.energy_per_sample_j; }); }},
    {.name = "facility_energy_kwh", .report_path = "energy.facility_kwh", .label = "energy at the wall",
     .unit = U::kwh, .scope = S::per_batch, .better = B::lower, .description = "energy_j times the facility's PUE "
     "(cost.pue).", .value = [](const RunReport& r) { return r.facility_energy_kwh; }},
    {.name = "flops", .report_path = "flops", .label = "work", .unit = U::flop, .scope = S::per_batch,
     .better = B::neither, .description = "Model FLOPs of the workload, all stages times their repeats.",
     .value = [](const RunReport& r) { return Opt(r.graph.summary.flops); }},
    {.name = "params", .report_path = "params", .label = "model", .unit = U::count, .scope = S::none,
     .better = B::neither, .description = "The model's parameters.",
     .value = [](const RunReport& r) { return Opt(static_cast<double>(r.graph.summary.params_total)); },
     .noun = "parameter"},
    {.name = "params_trainable", .report_path = "params_trainable", .label = "trainable", .unit = U::count,
     .scope = S::none, .better = B::neither, .description = "Training: the parameters that get gradients (all, or "
     "the adapters of a fine-tune).",
     .value = [](const RunReport& r) {
         return r.graph.workload.run.phase == RunPhase::train ? Opt(static_cast<double>(r.graph.summary.params_trainable))
                                                              : std::nullopt;
     }, .noun = "parameter"},
    // Training (docs/parallelism.md): one optimizer step, then the whole run of training.tokens.
    {.name = "step_time_s", .report_path = "training.step_time_s", .label = "training step", .unit = U::seconds,
     .scope = S::per_step, .better = B::lower, .description = "One optimizer step: every micro-batch, the pipeline "
     "bubble, exposed communication and the optimizer.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.step_time_s; }); }},
    {.name = "step_compute_s", .report_path = "training.time_split_s.compute", .label = "step: compute",
     .unit = U::seconds, .scope = S::per_step, .better = B::lower, .description = "The step's compute (forward and "
     "backward of every micro-batch).",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.compute_s; }); }},
    {.name = "step_exposed_communication_s", .report_path = "training.time_split_s.exposed_communication",
     .label = "step: exposed communication", .unit = U::seconds, .scope = S::per_step, .better = B::lower,
     .description = "Collectives and pipeline sends the step waits for (not hidden behind compute).",
     .value = [](const RunReport& r) {
         return train(r, [](const TrainingReport& t) { return t.exposed_communication_s; });
     }},
    {.name = "step_bubble_s", .report_path = "training.time_split_s.pipeline_bubble", .label = "step: pipeline bubble",
     .unit = U::seconds, .scope = S::per_step, .better = B::lower, .description = "The pipeline's fill and drain.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.bubble_s; }); }},
    {.name = "step_optimizer_s", .report_path = "training.time_split_s.optimizer", .label = "step: optimizer",
     .unit = U::seconds, .scope = S::per_step, .better = B::lower, .description = "The optimizer update.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.optimizer_s; }); }},
    {.name = "training_tokens_per_s", .report_path = "training.tokens_per_s", .label = "training throughput",
     .unit = U::tokens_per_s, .scope = S::none, .better = B::higher, .description = "Tokens of the global batch per "
     "second of step time, whole system.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.tokens_per_s; }); }},
    {.name = "tflops_per_device", .report_path = "training.tflops_per_device", .label = "model FLOP/s per device",
     .unit = U::tflop_per_s, .scope = S::per_device, .better = B::higher, .description = "Model FLOPs per second "
     "per device, in TFLOP/s.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.tflops_per_device; }); }},
    {.name = "mfu", .report_path = "training.mfu", .label = "MFU", .unit = U::fraction, .scope = S::none,
     .better = B::higher, .description = "Model FLOPs utilization: model FLOP/s over the devices' dense peak.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.mfu; }); }},
    {.name = "hfu", .report_path = "training.hfu", .label = "HFU", .unit = U::fraction, .scope = S::none,
     .better = B::higher, .description = "Hardware FLOPs utilization: with recomputation counted.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.hfu; }); }},
    {.name = "training_memory_per_device_bytes", .report_path = "training.memory_per_device_bytes",
     .label = "training memory", .unit = U::bytes, .scope = S::per_device, .better = B::lower,
     .description = "Per device with ZeRO sharding and the micro-batches in flight.",
     .value = [](const RunReport& r) {
         return train(r, [](const TrainingReport& t) { return t.memory_per_device_bytes; });
     }},
    {.name = "training_fits", .report_path = "training.fits", .label = "training fits in memory", .unit = U::flag,
     .scope = S::per_device, .better = B::higher, .description = "training_memory_per_device_bytes within the "
     "capacity.", .value = [](const RunReport& r) {
         return train(r, [](const TrainingReport& t) { return t.fits ? 1.0 : 0.0; });
     }},
    {.name = "training_steps", .report_path = "training.steps", .label = "training length", .unit = U::count,
     .scope = S::per_run, .better = B::neither, .description = "Optimizer steps to train on training.tokens.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.steps; }); },
     .noun = "step"},
    {.name = "training_tokens", .report_path = "training.tokens", .label = "training data", .unit = U::count,
     .scope = S::per_run, .better = B::neither, .description = "The tokens the run trains on.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.tokens; }); },
     .noun = "token"},
    {.name = "training_days", .report_path = "training.total_days", .label = "training time", .unit = U::days,
     .scope = S::per_run, .better = B::lower, .description = "Wall-clock days of the run.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.total_days; }); }},
    {.name = "device_hours", .report_path = "training.device_hours", .label = "device time", .unit = U::count,
     .scope = S::per_run, .better = B::lower, .description = "Devices times the run's hours.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.device_hours; }); },
     .noun = "device-hour"},
    {.name = "training_energy_kwh", .report_path = "training.energy_kwh", .label = "training energy at the wall",
     .unit = U::kwh, .scope = S::per_run, .better = B::lower, .description = "The run's energy times PUE.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.energy_kwh; }); }},
    {.name = "training_cost_usd", .report_path = "training.cost_usd", .label = "training cost", .unit = U::usd,
     .scope = S::per_run, .better = B::lower, .description = "device_hours times cost.usd_per_device_hour; none "
     "when unpriced.",
     .value = [](const RunReport& r) { return r.training ? r.training->cost_usd : std::nullopt; }},
    {.name = "training_co2_kg", .report_path = "training.co2_kg", .label = "training CO2", .unit = U::kg_co2,
     .scope = S::per_run, .better = B::lower, .description = "training_energy_kwh times the grid intensity.",
     .value = [](const RunReport& r) { return train(r, [](const TrainingReport& t) { return t.co2_kg; }); }},
};
// clang-format on

}  // namespace

std::span<const Metric> metric_table() { return kMetrics; }

const Metric* find_metric(std::string_view name_or_path) {
    for (const Metric& m : kMetrics)
        if (m.name == name_or_path) return &m;
    for (const Metric& m : kMetrics)
        if (!m.report_path.empty() && m.report_path == name_or_path) return &m;
    return nullptr;
}

std::size_t metric_index(const Metric& m) { return static_cast<std::size_t>(&m - kMetrics); }

std::vector<std::string> metric_names() {
    std::vector<std::string> out;
    for (const Metric& m : kMetrics) out.emplace_back(m.name);
    return out;
}

std::string format_metric(const Metric& m, std::optional<double> value) {
    if (!value) return "–";
    const double v = *value;
    switch (m.unit) {
        case MetricUnit::seconds: return format_duration(v);
        case MetricUnit::bytes: return format_bytes(v);
        case MetricUnit::joules: return format_si(v, "J");
        case MetricUnit::kwh: return format_kwh(v);
        case MetricUnit::usd: return format_usd(v);
        case MetricUnit::kg_co2: return format_co2_kg(v);
        case MetricUnit::tokens_per_s: return format_number(v) + " tokens/s";
        case MetricUnit::samples_per_s: return format_number(v) + " samples/s";
        case MetricUnit::tokens_per_j: return format_number(v) + " tokens/J";
        case MetricUnit::flop: return format_si(v, "FLOP", false);
        case MetricUnit::tflop_per_s: return format_si(v * 1e12, "FLOP/s", false);
        case MetricUnit::fraction: return format_percent(v);
        case MetricUnit::days: return format_duration(v * 86400);
        case MetricUnit::count: return format_count(v, m.noun.empty() ? "" : m.noun, m.plural);
        case MetricUnit::flag: return v != 0 ? "yes" : "no";
    }
    return format_number(v);
}

std::string scope_text(MetricScope scope, bool training) {
    switch (scope) {
        case MetricScope::none: return "";
        case MetricScope::per_batch: return training ? "per step" : "per batch";
        case MetricScope::per_request: return "per request";
        case MetricScope::per_token: return "per token";
        case MetricScope::per_sample: return "per sample";
        case MetricScope::per_device: return "per device";
        case MetricScope::per_step: return "per step";
        case MetricScope::per_run: return "per training run";
    }
    return "";
}

std::string_view to_string(MetricUnit unit) {
    switch (unit) {
        case MetricUnit::seconds: return "s";
        case MetricUnit::bytes: return "B";
        case MetricUnit::joules: return "J";
        case MetricUnit::kwh: return "kWh";
        case MetricUnit::usd: return "USD";
        case MetricUnit::kg_co2: return "kg CO2";
        case MetricUnit::tokens_per_s: return "tokens/s";
        case MetricUnit::samples_per_s: return "samples/s";
        case MetricUnit::tokens_per_j: return "tokens/J";
        case MetricUnit::flop: return "FLOP";
        case MetricUnit::tflop_per_s: return "TFLOP/s";
        case MetricUnit::fraction: return "fraction";
        case MetricUnit::days: return "days";
        case MetricUnit::count: return "count";
        case MetricUnit::flag: return "true/false";
    }
    return "";
}

std::string_view to_string(Better better) {
    switch (better) {
        case Better::lower: return "min";
        case Better::higher: return "max";
        case Better::neither: return "-";
    }
    return "";
}

std::vector<std::optional<double>> metric_values_from_report(const std::string& report_json) {
    std::vector<std::optional<double>> out(std::size(kMetrics));
    const nlohmann::json j = nlohmann::json::parse(report_json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return out;
    auto number = [](const nlohmann::json* v) -> std::optional<double> {
        if (!v) return std::nullopt;
        if (v->is_boolean()) return v->get<bool>() ? 1.0 : 0.0;
        if (v->is_number()) return v->get<double>();
        return std::nullopt;
    };
    const auto metrics = j.find("metrics");
    const bool flat = metrics != j.end() && metrics->is_object();
    for (std::size_t i = 0; i < std::size(kMetrics); ++i) {
        const Metric& m = kMetrics[i];
        if (flat) {
            const auto it = metrics->find(std::string(m.name));
            if (it != metrics->end()) {
                out[i] = number(&*it);
                continue;
            }
        }
        if (m.report_path.empty()) continue;
        const nlohmann::json* node = &j;
        std::string_view path = m.report_path;
        while (node && !path.empty()) {
            const auto dot = path.find('.');
            const std::string key(path.substr(0, dot));
            path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
            const auto it = node->is_object() ? node->find(key) : node->end();
            node = node->is_object() && it != node->end() ? &*it : nullptr;
        }
        out[i] = number(node);
    }
    return out;
}

std::string metrics_reference_markdown() {
    std::ostringstream os;
    os << "| name | unit | scope | better | report JSON path | description |\n"
       << "|---|---|---|---|---|---|\n";
    for (const Metric& m : kMetrics) {
        std::string scope = scope_text(m.scope, false);
        if (m.scope == MetricScope::per_batch) scope = "per batch (per step in training)";
        os << "| `" << m.name << "` | " << (m.unit == MetricUnit::count ? std::string(m.noun) + "s" : std::string(to_string(m.unit)))
           << " | " << (scope.empty() ? "-" : scope) << " | " << to_string(m.better) << " | "
           << (m.report_path.empty() ? std::string("-") : "`" + std::string(m.report_path) + "`") << " | " << m.description
           << " |\n";
    }
    return os.str();
}

}  // namespace fmsim::sim
