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

// Simulates one kernel on `hw`.
KernelTiming simulate_kernel(const TileProgram& plan, const HardwareSpec& hw);

struct OpTiming {
    workloads::OpId op = 0;
    double start_s = 0;
    KernelTiming timing;
};

struct Timeline {
    double total_s = 0;
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

// Runs the graph's ops one after another in dependency order (one stream), reusing the simulated
// time of identical kernels (same tile program on the same device): equal to a full replay.
// Without a cache every op is simulated, for checking that reuse changes nothing.
Timeline replay_graph(const workloads::OpGraph& graph, const HardwareSpec& hw, KernelCache* cache);

}  // namespace fmsim::hwmodels
