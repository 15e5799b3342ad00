#pragma once
// The facade the CLI and the GUI call: requests in, results out. No parsing or printing here.
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>
#include <string>

#include "fmsim/hwmodels/energy.hpp"
#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

namespace fmsim::sim {

// What to build: a model (zoo name or config path) and a run. An unset phase means the model's
// default (prefill for decoders, encode for encoders, sample for diffusion).
struct GraphQuery {
    std::string model;
    std::optional<workloads::RunPhase> phase;
    workloads::RunSpec run;  // run.phase is ignored; see `phase`
};

struct GraphResult {
    workloads::Workload workload;
    workloads::GraphSummary summary;
};

GraphResult describe_graph(const GraphQuery& query);
GraphResult describe_graph(const workloads::Model& model, std::optional<workloads::RunPhase> phase,
                           workloads::RunSpec run);

struct MemoryPoint {
    double time_s = 0;  // when the op starts
    double weights_bytes = 0, kv_cache_bytes = 0, activation_bytes = 0, workspace_bytes = 0;
    double training_state_bytes = 0;  // gradients + optimizer states
    double runtime_bytes = 0;         // what the software stack holds (RuntimeSpec::context_memory_mb)
    double total_bytes() const {
        return weights_bytes + kv_cache_bytes + activation_bytes + workspace_bytes + training_state_bytes +
               runtime_bytes;
    }
};

// One op as it ran (the first repeat of its stage), for per-op CSV and traces.
struct OpRecord {
    std::string stage, name, kind, group;
    int layer = -1;
    double start_s = 0;      // kernel start, from the start of the workload
    double duration_s = 0;   // the kernel's execution on the device (launch excluded)
    double flops = 0, bytes = 0;  // the op's useful work and traffic
    double dram_bytes = 0;   // what its kernel moves to and from off-chip memory
    double energy_j = 0;
    std::string bound;       // compute, memory or latency
    std::string engine;      // matrix or vector
    std::string mapping;     // the tile program, e.g. "gemm 128x256 split-k 1"
    double repeat = 1;       // times its stage runs (diffusion steps)
    // What the mapped kernel computes: tile padding included, the key blocks a causal attention
    // kernel skips left out (`flops` counts the whole rectangle, as MFU does). Rooflines plot this.
    double kernel_flops = 0;
};

struct ReplayOptions {
    bool op_records = false;  // fill ReplayResult::op_records (one per op: large for long generations)
    const hwmodels::CommModel* comm = nullptr;  // times collectives (multi-device); none: skipped
    // Called after each stage graph is replayed with (ops replayed so far, ops in the workload),
    // for a client's progress bar; a multi-device run reports each pipeline stage's replay in turn.
    std::function<void(std::size_t, std::size_t)> progress;
};

// A workload replayed on one device (docs/hardware-model.md).
struct ReplayResult {
    std::string hardware;
    std::string runtime;                 // the software stack (configs/runtime/)
    double latency_s = 0;                // all stages x their repeats
    std::optional<double> ttft_s;        // generation: the prefill stage
    std::optional<double> tpot_s;        // generation: mean decode step
    std::array<double, 7> group_time_s{};  // by workloads::ModuleGroup (training: a device's per step)
    std::array<double, 7> optimizer_group_time_s{};  // of which the optimizer phase (one replay)
    std::vector<std::pair<std::string, double>> top_ops;  // op kind + name -> time, longest first
    std::int64_t kernels_simulated = 0, kernels_reused = 0;
    // Device memory over time, one point per op as it runs (the first repeat of each stage):
    // weights, the KV cache the stage ends with, the activations alive (producer through last
    // consumer), the kernel's workspace, gradients and optimizer states (training). Its peak is
    // checked against the device's capacity.
    std::vector<MemoryPoint> memory_timeline;
    MemoryPoint memory_at_peak;
    double memory_peak_bytes = 0;
    double memory_capacity_bytes = 0;
    bool fits = true;
    // Energy (docs/hardware-model.md, "Energy"): each op's action counts priced by the preset's
    // technology table, plus static power x its time; all stages x their repeats.
    double energy_j = 0;
    hwmodels::EnergyBreakdown energy;           // by component: matrix, vector, DRAM, SRAM levels, static
    std::array<double, 7> group_energy_j{};     // by workloads::ModuleGroup; each op carries its static share
    double tokens = 0;                          // what energy_per_token_j divides by (see below)
    // generate: per output token (batch x output_len); decode: per new token (batch); prefill,
    // encode and train: per input token (batch x input_len); none for diffusion sampling.
    std::optional<double> energy_per_token_j;
    double energy_per_sample_j = 0;             // per sequence or image of the batch
    std::int64_t memory_channels = 1;           // of the device, for traces
    std::array<double, 3> phase_time_s{};       // by workloads::Phase (forward, backward, optimizer), all stages
    double communication_s = 0;                 // collectives' share of latency_s
    std::vector<OpRecord> op_records;           // with ReplayOptions::op_records

    // The per-group and per-phase arrays by name rather than by index.
    double group_time(workloads::ModuleGroup g) const { return group_time_s[static_cast<std::size_t>(g)]; }
    double group_energy(workloads::ModuleGroup g) const { return group_energy_j[static_cast<std::size_t>(g)]; }
    double phase_time(workloads::Phase p) const { return phase_time_s[static_cast<std::size_t>(p)]; }
    double forward_s() const { return phase_time(workloads::Phase::forward); }
    double backward_s() const { return phase_time(workloads::Phase::backward); }
    double optimizer_s() const { return phase_time(workloads::Phase::optimizer); }
};
// Replays a built workload; its summary (computed once, by describe_graph) gives the memory peak.
// `runtime`: a preset in configs/runtime/ or a path to one.
ReplayResult replay_workload(const GraphResult& g, const std::string& hardware,
                             const std::string& runtime = hwmodels::kDefaultRuntime);
ReplayResult replay_workload(const GraphResult& g, const hwmodels::HardwareSpec& hw, const hwmodels::RuntimeSpec& rt,
                             const ReplayOptions& options = {});
// `extra` lines (key, value) follow latency, TTFT and TPOT.
std::string replay_text(const ReplayResult& r, const std::vector<std::pair<std::string, std::string>>& extra = {});
// The detail lines that follow the figures: `extra`, memory at peak, kernels, power, energy by
// part, time and energy by module group, top ops (people's numbers: format.hpp).
std::string replay_details_text(const ReplayResult& r,
                                const std::vector<std::pair<std::string, std::string>>& extra = {});
// The replay as the "replay" object of `fmsim graph --json --hardware` (docs/cli.md); keys that do
// not apply (TTFT outside generation) are null.
std::string replay_json(const ReplayResult& r);
// At most `points` points of the timeline: each of that many equal time buckets keeps its highest point.
std::vector<MemoryPoint> downsample_memory(const std::vector<MemoryPoint>& timeline, std::size_t points);
// The whole timeline as CSV (time_s, weights, kv_cache, activations, workspace, training_state, total; bytes).
std::string memory_csv(const ReplayResult& r);

// Precision from one dtype name for every class, or from per-class names; unset classes default
// as docs/config-reference.md says (kv_cache and math follow activations).
workloads::Precision make_precision(const std::string& all, const std::string& weights, const std::string& activations,
                                    const std::string& kv_cache, const std::string& math);

// The attention a run asks for ("fused", "unfused", or "auto": the stack's own, fused when the
// stack does not say; RuntimeSpec::attention).
workloads::AttentionImpl resolve_attention(const std::string& requested, const hwmodels::RuntimeSpec& runtime);

}  // namespace fmsim::sim
