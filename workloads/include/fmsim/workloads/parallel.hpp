#pragma once
// Parallelism passes: the workload one device runs when a model is split over several
// (docs/parallelism.md). Devices of one split are symmetric, so one device's graph stands for all.
#include <cstdint>
#include <utility>

#include "fmsim/workloads/model.hpp"

namespace fmsim::workloads {

struct ParallelPlan {
    std::int64_t tp = 1;  // tensor parallel: Megatron column/row splits of each block
    std::int64_t pp = 1;  // pipeline stages
    std::int64_t dp = 1;  // data-parallel replicas
    std::int64_t ep = 1;  // expert parallel (MoE): experts spread over ep devices
    bool sp = false;      // sequence parallel: norms and residuals split too (reduce-scatter/all-gather)
};

// Shapes the split must divide, read from a built workload.
struct ParallelShape {
    std::int64_t layers = 0;    // transformer blocks of the largest component
    std::int64_t heads = 0;     // query heads of its attention
    std::int64_t kv_heads = 0;
    std::int64_t hidden = 0;    // model width (the activations a block reads and writes)
    std::int64_t experts = 0;   // MoE experts per layer, 0 for dense models
};
ParallelShape parallel_shape(const Workload& w);

// Throws ScenarioError when the plan cannot split this workload: tp must divide the heads (and
// the KV heads, or be a multiple of them), ep the experts, pp at most the layers; pp > 1 needs a
// decoder-only model.
void check_parallel_plan(const Workload& w, const ParallelPlan& p);

// One device's share under tensor (and expert) parallelism: the Megatron split (column-parallel
// qkv/fc1/gate_up/lm_head, row-parallel o_proj/fc2/down; attention heads split), with an
// all-reduce after each row-parallel product in the forward pass and after each column-parallel
// input gradient in the backward pass (reduce-scatter + all-gather with sp), expert all-to-alls
// with ep. Norms, residuals and embeddings stay whole on every device unless sp.
Workload shard_tensor_parallel(const Workload& w, const ParallelPlan& p);

// The blocks [first, last) of pipeline stage `stage` of `pp`: ceil(L/pp) each, fewer at the ends
// when pp does not divide L.
std::pair<std::int64_t, std::int64_t> stage_layers(std::int64_t layers, std::int64_t pp, std::int64_t stage);

// The ops of pipeline stage `stage` of `pp`: its blocks (stage_layers), the embedding on the first
// stage, the final norm, head, loss on the last; optimizer updates of its weights.
Workload pipeline_stage(const Workload& w, std::int64_t pp, std::int64_t stage);

}  // namespace fmsim::workloads
