#pragma once
// Totals of a workload: parameters, FLOPs and bytes, per module group and per phase.
#include <array>
#include <cstdint>
#include <string>

#include "fmsim/workloads/model.hpp"

namespace fmsim::workloads {

struct GroupTotals {
    std::int64_t params = 0;
    double flops = 0;
    std::int64_t bytes = 0;  // read + written by the group's ops
};

struct GraphSummary {
    std::int64_t params_total = 0;
    double params_active = 0;  // per token: MoE experts count top_k / num_experts
    std::int64_t params_trainable = 0;
    double flops = 0;  // all stages, times their repeat counts
    std::array<double, 3> flops_by_phase{};  // indexed by Phase
    std::int64_t weight_bytes = 0;      // the model's weights at their storage precision
    std::int64_t kv_cache_bytes = 0;    // largest KV cache held at a stage end
    std::int64_t activation_bytes = 0;  // peak live activations of the largest stage
    std::int64_t gradient_bytes = 0;
    std::int64_t optimizer_state_bytes = 0;
    double bytes_read = 0;     // all ops, all stages, times repeat
    double bytes_written = 0;
    std::int64_t op_count = 0;  // ops over all distinct stage graphs
    std::int64_t edge_count = 0;
    std::int64_t stage_count = 0;
    std::array<GroupTotals, 7> groups{};  // indexed by ModuleGroup
    GroupTotals& group(ModuleGroup g) { return groups[static_cast<std::size_t>(g)]; }
    const GroupTotals& group(ModuleGroup g) const { return groups[static_cast<std::size_t>(g)]; }
};

GraphSummary summarize(const Workload& w);

// Peak bytes of activation-class values alive at once when ops run in id order; a value lives
// from its producer until its last consumer: the maximum of live_activation_bytes_by_op (memory.hpp).
std::int64_t peak_live_activation_bytes(const OpGraph& g);

// The `fmsim graph --json` object (stable keys; docs/cli.md).
std::string summary_json(const Workload& w, const GraphSummary& s);
// The human-readable summary.
std::string summary_text(const Workload& w, const GraphSummary& s);
// The whole IR as JSON: stages, ops, edges, weights (docs/ir.md).
std::string graph_json(const Workload& w);

}  // namespace fmsim::workloads
