#pragma once
// Replay: tile programs executed on a SystemC model of one device (cores with double-buffered
// tile loads, an L2 and a memory controller whose channels arbitrate bandwidth among the cores).
// This header has no SystemC in it; device_sc.cpp holds the modules.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fmsim/hwmodels/energy.hpp"
#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/workloads/graph.hpp"

namespace fmsim::hwmodels {

struct KernelTiming {
    double time_s = 0;          // launch overhead + simulated execution
    double launch_s = 0;
    double compute_bound_s = 0;  // the tiles' engine time alone (waves x cycles)
    double memory_bound_s = 0;   // the DRAM traffic alone at achievable bandwidth
    std::string bound;           // "compute", "memory" or "latency"
    TileProgram plan;
    EnergyBreakdown energy;      // the plan's actions x the device's costs + static power x time_s
};

// Simulates one kernel on `hw`: its launch and its execution, on an idle device. A kernel of many
// waves of tiles is simulated for a few full waves and the rest extrapolated from the last one
// (device_sc.cpp, extrapolated_run); `extrapolate_after_waves` 0 simulates every wave (tests).
KernelTiming simulate_kernel(const TileProgram& plan, const HardwareSpec& hw, std::int64_t extrapolate_after_waves = 4);

// One op called on its own and waited for, as a benchmark loop times it (`time()` around the call
// and a synchronize): the host's dispatch, the kernel's launch and execution, the wake-up.
double isolated_call_s(const workloads::Op& op, const KernelTiming& k, const RuntimeSpec& rt);

// One op of a replayed graph. What it runs is Timeline::kernels[kernel], shared by the graph's
// identical ops; what depends on its place in the timeline is here.
struct OpTiming {
    workloads::OpId op = 0;
    std::uint32_t kernel = 0;  // index in Timeline::kernels
    double start_s = 0;        // the kernel's start on the device
    // The op's share of the timeline: from the previous kernel's end to its own (an idle device
    // waiting on the host is charged to the op it waits for).
    double time_s = 0;
    double launch_s = 0;       // the launch it paid: the driver's, or the gap inside a CUDA graph
    EnergyBreakdown energy;    // its kernel's actions priced + static power x time_s
};

struct Timeline {
    double total_s = 0;  // the last kernel's end plus the host's wake-up (RuntimeSpec::sync_us)
    std::vector<OpTiming> ops;
    // The graph's distinct kernels, each as simulated alone on an idle device; its plan is the
    // ops' own (their FLOPs and bytes, too).
    std::vector<KernelTiming> kernels;
    std::int64_t simulated = 0;  // distinct kernels simulated
    std::int64_t reused = 0;     // ops whose identical twin had been simulated already

    const KernelTiming& kernel_of(const OpTiming& o) const { return kernels[o.kernel]; }
};

// An op's kernel on one device: its own tile program, the simulated timing of that program (shared
// by every op with the same program) and the dynamic energy of the program's actions.
struct OpKernel {
    KernelTiming timing;  // timing.plan: the op's own tile program
    EnergyBreakdown dynamic_energy;
};

// Kernels shared across graphs (the stages of one workload), so that an op seen before is neither
// planned nor simulated again: ops are looked up by what their tile program depends on
// (append_plan_key), and tile programs by their fields, so different ops with the same program
// share one simulation. One cache per device.
class KernelCache {
public:
    struct Found {
        std::size_t index = 0;   // of the op's kernel, for at()
        bool simulated = false;  // its tile program was new and has just been simulated
    };
    // The kernel of `op` on `hw` driven by `rt`: planned and simulated if it is new.
    Found find_or_simulate(const workloads::Op& op, const HardwareSpec& hw, const RuntimeSpec& rt);
    const OpKernel& at(std::size_t index) const { return kernels_[index]; }
    std::size_t size() const { return kernels_.size(); }

private:
    std::vector<OpKernel> kernels_;
    std::unordered_map<std::string, std::size_t> by_op_;           // append_plan_key -> kernels_ index
    std::unordered_map<std::string, KernelTiming> by_program_;     // tile program fields -> its simulation
    std::string key_;  // scratch for the lookup keys: no allocation per op
};

// Runs the graph's ops one after another in dependency order (one stream) as `rt` drives them:
// the host dispatches and launches each kernel while the device runs the earlier ones, so a
// kernel starts when both the device and its launch are ready (docs/hardware-model.md,
// "Runtime"). Identical kernels (same tile program on the same device) reuse their simulated
// time: equal to a full replay. Without a cache every op is planned and simulated, for checking that.
//
// Collectives (inserted by the parallelism passes) are timed by `comm` on the device's stream, as
// Megatron's blocking all-reduces run; without `comm` (one device) they are skipped.
struct CommCost {
    double time_s = 0;    // the collective on the links, launch excluded
    double energy_j = 0;  // link energy, this device's share
    std::string algorithm;
};
using CommModel = std::function<CommCost(const workloads::CollectiveDims&)>;
Timeline replay_graph(const workloads::OpGraph& graph, const HardwareSpec& hw, const RuntimeSpec& rt,
                      KernelCache* cache, const CommModel* comm = nullptr);

}  // namespace fmsim::hwmodels
