// Parallelism passes: a device's share of a tensor-, expert- and pipeline-parallel split.
#include <gtest/gtest.h>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/parallel.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

namespace {
RunSpec run(RunPhase phase, std::int64_t batch, std::int64_t len, std::int64_t out = 0) {
    RunSpec r;
    r.phase = phase;
    r.batch = batch;
    r.input_len = len;
    r.output_len = out;
    return r;
}
struct Count {
    int all_reduce = 0, all_gather = 0, all_to_all = 0, other = 0;
    double matmul_flops = 0;
};
Count count(const Workload& w, std::size_t stage = 0) {
    Count c;
    const OpGraph& g = *w.stages[stage].graph;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& op = g.op(i);
        if (op.kind == OpKind::matmul) c.matmul_flops += op.flops;
        const auto* d = std::get_if<CollectiveDims>(&op.dims);
        if (!d) continue;
        if (d->kind == CollectiveKind::all_reduce) ++c.all_reduce;
        else if (d->kind == CollectiveKind::all_gather) ++c.all_gather;
        else if (d->kind == CollectiveKind::all_to_all) ++c.all_to_all;
        else ++c.other;
    }
    return c;
}
}  // namespace

TEST(Parallel, MegatronTensorParallelPrefill) {
    const auto whole = load_model("llama2-7b")->build(run(RunPhase::prefill, 2, 512));
    const auto shape = parallel_shape(whole);
    EXPECT_EQ(shape.layers, 32);
    EXPECT_EQ(shape.heads, 32);
    EXPECT_EQ(shape.hidden, 4096);
    const auto tp4 = shard_tensor_parallel(whole, ParallelPlan{4});
    const Count c = count(tp4), c1 = count(whole);
    // Two all-reduces per block (after o_proj and down_proj), one after the vocab-split
    // embedding, and the logits gathered once.
    EXPECT_EQ(c.all_reduce, 2 * 32 + 1);
    EXPECT_EQ(c.all_gather, 1);
    // Every linear layer is split four ways.
    EXPECT_NEAR(c.matmul_flops / c1.matmul_flops, 0.25, 1e-9);
    // Each all-reduce carries the block's whole output: 2 x 512 tokens x 4096 x 2 bytes.
    const OpGraph& g = *tp4.stages[0].graph;
    for (OpId i = 0; i < g.op_count(); ++i) {
        if (g.op(i).name != "layers.0.o_proj.tp_reduce") continue;
        EXPECT_EQ(std::get<CollectiveDims>(g.op(i).dims).bytes, 2 * 512 * 4096 * 2);
    }
    // Weights: everything but the norms is split (embedding by vocabulary).
    const auto s1 = summarize(whole), s4 = summarize(tp4);
    EXPECT_NEAR(static_cast<double>(s4.weight_bytes) / static_cast<double>(s1.weight_bytes), 0.25, 0.001);
    // The KV cache of 32 KV heads is split too.
    EXPECT_EQ(tp4.stages[0].kv_cache_bytes * 4, whole.stages[0].kv_cache_bytes);
}

TEST(Parallel, TrainingAddsBackwardAllReducesAndSplitsStates) {
    const auto whole = load_model("gpt2")->build(run(RunPhase::train, 1, 256));
    const auto tp2 = shard_tensor_parallel(whole, ParallelPlan{2});
    const Count c = count(tp2);
    // Forward: 2 per block + the embedding; backward: the input gradients of qkv_proj and fc1.
    EXPECT_EQ(c.all_reduce, 2 * 12 + 1 + 2 * 12);
    EXPECT_LT(tp2.stages[0].optimizer_state_bytes, whole.stages[0].optimizer_state_bytes * 0.55);
    EXPECT_GT(tp2.stages[0].optimizer_state_bytes, whole.stages[0].optimizer_state_bytes * 0.45);
}

TEST(Parallel, UnfusedAttentionSplitsItsScoresByHead) {
    // Pre-FlashAttention Megatron runs materialize [batch, heads, q, k] scores; tp splits the heads.
    RunSpec r = run(RunPhase::train, 2, 256);
    r.attention = AttentionImpl::unfused;
    const auto whole = load_model("gpt2")->build(r);
    EXPECT_EQ(parallel_shape(whole).heads, 12);
    EXPECT_EQ(parallel_shape(whole).kv_heads, 12);
    const auto tp4 = shard_tensor_parallel(whole, ParallelPlan{4});
    const OpGraph& g1 = *whole.stages[0].graph;
    const OpGraph& g4 = *tp4.stages[0].graph;
    int checked = 0;
    for (OpId i = 0; i < g4.op_count(); ++i) {
        const Op& op = g4.op(i);
        if (op.group != ModuleGroup::attention || (op.kind != OpKind::softmax && op.kind != OpKind::batched_matmul)) continue;
        const Op* orig = nullptr;
        for (OpId j = 0; j < g1.op_count() && !orig; ++j)
            if (g1.op(j).name == op.name) orig = &g1.op(j);
        ASSERT_NE(orig, nullptr) << op.name;
        EXPECT_NEAR(op.flops * 4, orig->flops, 1e-6 * orig->flops) << op.name;
        EXPECT_EQ(op.bytes_read() * 4, orig->bytes_read()) << op.name;
        if (op.kind == OpKind::softmax && op.phase == Phase::forward) {
            EXPECT_EQ(op.reads.front().shape, (Shape{2, 3, 256, 256})) << "a device keeps 3 of 12 heads, whole rows";
            ++checked;
        }
    }
    EXPECT_EQ(checked, 12);
    EXPECT_THROW(shard_tensor_parallel(whole, ParallelPlan{5}), fmsim::ScenarioError);  // 12 heads
}

TEST(Parallel, ExpertParallelKeepsItsShareOfExperts) {
    const auto whole = load_model("mixtral-8x7b")->build(run(RunPhase::prefill, 1, 128));
    EXPECT_EQ(parallel_shape(whole).experts, 8);
    const auto ep4 = shard_tensor_parallel(whole, ParallelPlan{1, 1, 4, 4});
    const Count c = count(ep4);
    EXPECT_EQ(c.all_to_all, 2 * 32);  // dispatch and combine of every MoE layer
    const auto s1 = summarize(whole), s4 = summarize(ep4);
    // Experts are ~96% of Mixtral's weights: a quarter of them stay.
    EXPECT_LT(static_cast<double>(s4.weight_bytes) / static_cast<double>(s1.weight_bytes), 0.3);
}

TEST(Parallel, PipelineStagesPartitionTheModel) {
    const auto whole = load_model("llama2-7b")->build(run(RunPhase::train, 1, 128));
    std::int64_t weights = 0;
    for (std::int64_t s = 0; s < 4; ++s) {
        const auto st = pipeline_stage(whole, 4, s);
        weights += summarize(st).weight_bytes;
        bool embedding = false, head = false;
        const OpGraph& g = *st.stages[0].graph;
        for (OpId i = 0; i < g.op_count(); ++i) {
            embedding = embedding || g.op(i).name == "embed_tokens";
            head = head || g.op(i).name == "lm_head";
            if (g.op(i).layer >= 0) {
                EXPECT_GE(g.op(i).layer, 8 * s);
                EXPECT_LT(g.op(i).layer, 8 * (s + 1));
            }
        }
        EXPECT_EQ(embedding, s == 0);
        EXPECT_EQ(head, s == 3);
    }
    EXPECT_EQ(weights, summarize(whole).weight_bytes);
}

TEST(Parallel, PlansThatDoNotDivideAreRefused) {
    const auto w = load_model("llama2-7b")->build(run(RunPhase::prefill, 1, 64));
    EXPECT_THROW(check_parallel_plan(w, ParallelPlan{3}), fmsim::ScenarioError);        // 32 heads
    EXPECT_THROW(check_parallel_plan(w, ParallelPlan{1, 33}), fmsim::ScenarioError);    // 32 layers
    EXPECT_THROW(check_parallel_plan(w, ParallelPlan{1, 1, 2, 2}), fmsim::ScenarioError);  // no experts
    EXPECT_NO_THROW(check_parallel_plan(w, ParallelPlan{8, 4}));
    const auto vit = load_model("stable-diffusion-2.1")->build(run(RunPhase::sample, 1, 0));
    EXPECT_THROW(check_parallel_plan(vit, ParallelPlan{1, 2}), fmsim::ScenarioError);  // not a decoder LM
}

TEST(Parallel, UnevenStagesAreShortAtTheEnds) {
    // Llama 3 405B: 126 layers on 16 stages, 7 on the first and last, 8 on the others.
    EXPECT_EQ(stage_layers(126, 16, 0), (std::pair<std::int64_t, std::int64_t>{0, 7}));
    EXPECT_EQ(stage_layers(126, 16, 1), (std::pair<std::int64_t, std::int64_t>{7, 15}));
    EXPECT_EQ(stage_layers(126, 16, 15), (std::pair<std::int64_t, std::int64_t>{119, 126}));
    EXPECT_EQ(stage_layers(32, 4, 2), (std::pair<std::int64_t, std::int64_t>{16, 24}));
}
