#pragma once
// A scenario run end to end (`fmsim run`): the workload, its replay on the device, and what the
// run costs. The report's JSON keys are a public contract (docs/scenarios.md).
#include <optional>
#include <string>

#include "fmsim/sim/facade.hpp"
#include "fmsim/sim/scenario.hpp"

namespace fmsim::sim {

// A training run (phase train with a `training` block, or any multi-device train): docs/parallelism.md.
struct TrainingReport {
    std::int64_t global_batch = 0;     // sequences per optimizer step
    std::int64_t microbatches = 0;     // per data-parallel replica per step
    double step_time_s = 0;
    double tokens_per_s = 0;           // whole system
    double tflops_per_device = 0;      // model FLOPs per second per device
    double mfu = 0, hfu = 0;           // model / hardware FLOPs over the devices' dense peak
    double steps = 0, tokens = 0;
    double total_days = 0, device_hours = 0, energy_kwh = 0;  // energy at the wall (x PUE)
    std::optional<double> cost_usd;
    double co2_kg = 0;
    // Where a step's time goes (they add up to step_time_s).
    double compute_s = 0, exposed_communication_s = 0, bubble_s = 0, optimizer_s = 0;
    double memory_per_device_bytes = 0;  // with ZeRO sharding and the micro-batches in flight
    bool fits = true;
};

struct RunReport {
    std::string name, description, resolved_json;
    std::int64_t devices = 1;
    GraphResult graph;
    std::optional<ReplayResult> replay;  // none without a device
    // Derived; none where a phase or a missing device makes them meaningless.
    std::optional<double> throughput_tokens_per_s;  // generate/decode: output tokens; else tokens processed
    std::optional<double> throughput_samples_per_s;
    std::optional<double> facility_energy_kwh;  // device energy x PUE
    std::optional<double> cost_usd;             // device-hours x price
    std::optional<double> co2_kg;               // facility energy x grid intensity
    std::optional<TrainingReport> training;
    std::string parallelism;                    // "tp 8 x pp 1 x dp 1" (multi-device), else empty
    // What the run changed, ignored or fell back from (run_notes): `note:` lines, JSON `warnings`.
    std::vector<std::string> notes;
};

// The notes of a run of `sc` (run_notes.cpp): matrix math the device lacks, a training batch that
// training.global_batch overrides, a batch split over data-parallel replicas, CUDA graphs on a
// device that has none.
std::vector<std::string> run_notes(const Scenario& sc, const RunReport& r);

// `options.op_records` keeps every op's record for ops_csv and trace_json.
RunReport run_scenario(const Scenario& sc, const ReplayOptions& options = {});

std::string report_text(const RunReport& r);
// One JSON object with stable keys (docs/scenarios.md): latency_s, ttft_s, tpot_s, throughput_*,
// memory.*, energy.*, cost.*, breakdown, top_ops, scenario (as resolved). Inapplicable keys are null.
std::string report_json(const RunReport& r);
// One row per op: stage, name, kind, group, layer, start_s, duration_s, flops, bytes, dram_bytes,
// energy_j, bound, engine, mapping, repeat, kernel_flops. Needs a run with op records.
std::string ops_csv(const RunReport& r);
// Chrome/Perfetto trace-event JSON: one track per engine and one per memory channel.
std::string trace_json(const RunReport& r);

}  // namespace fmsim::sim
