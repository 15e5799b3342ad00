#pragma once
// Replay: tile programs executed on a SystemC model of one device (cores with double-buffered
// tile loads, an L2 and a memory controller whose channels arbitrate bandwidth among the cores).
// This header has no SystemC in it; device_sc.cpp holds the modules.
#include <map>
#include <string>
#include <vector>

#include "fmsim/hwmodels/energy.hpp"
#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/workloads/graph.hpp"

namespace fmsim::hwmodels {

// Achieved fraction of peak DRAM bandwidth for streaming access: BabelStream Triad on an A100
// 80GB reaches 1774 of 2039 GB/s (87%); the reference sheet's rule of thumb is 85-94% of HBM peak
// (hardware_specs.md section 8).
inline constexpr double kDramEfficiency = 0.87;

struct KernelTiming {
    double time_s = 0;          // launch overhead + simulated execution
    double launch_s = 0;
    double compute_bound_s = 0;  // the tiles' engine time alone (waves x cycles)
    double memory_bound_s = 0;   // the DRAM traffic alone at achievable bandwidth
    std::string bound;           // "compute", "memory" or "latency"
    TileProgram plan;
    EnergyBreakdown energy;      // the plan's actions x the device's costs + static power x time_s
};

// Simulates one kernel on `hw`: its launch and its execution, on an idle device.
KernelTiming simulate_kernel(const TileProgram& plan, const HardwareSpec& hw);

// One op called on its own and waited for, as a benchmark loop times it (`time()` around the call
// and a synchronize): the host's dispatch, the kernel's launch and execution, the wake-up.
double isolated_call_s(const workloads::Op& op, const KernelTiming& k, const RuntimeSpec& rt);

struct OpTiming {
    workloads::OpId op = 0;
    double start_s = 0;   // the kernel's start on the device
    // timing.time_s is the op's share of the timeline: from the previous kernel's end to its own
    // (an idle device waiting on the host is charged to the op it waits for).
    KernelTiming timing;
};

struct Timeline {
    double total_s = 0;  // the last kernel's end plus the host's wake-up (RuntimeSpec::sync_us)
    std::vector<OpTiming> ops;
    std::int64_t simulated = 0;  // distinct kernels simulated
    std::int64_t reused = 0;     // ops whose identical twin had been simulated already
};

// Simulated kernels by tile program, shared across graphs (the stages of one workload) so that a
// kernel seen in an earlier stage is not simulated again. One cache per device.
class KernelCache {
public:
    const KernelTiming* find(const std::string& key) const;
    const KernelTiming& insert(const std::string& key, KernelTiming t);
    std::size_t size() const { return entries_.size(); }

private:
    std::map<std::string, KernelTiming> entries_;
};

// Runs the graph's ops one after another in dependency order (one stream) as `rt` drives them:
// the host dispatches and launches each kernel while the device runs the earlier ones, so a
// kernel starts when both the device and its launch are ready (docs/hardware-model.md,
// "Runtime"). Identical kernels (same tile program on the same device) reuse their simulated
// time: equal to a full replay. Without a cache every op is simulated, for checking that.
Timeline replay_graph(const workloads::OpGraph& graph, const HardwareSpec& hw, const RuntimeSpec& rt,
                      KernelCache* cache);

}  // namespace fmsim::hwmodels
