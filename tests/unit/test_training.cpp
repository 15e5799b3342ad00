// The training pass: forward + backward + AdamW, with and without activation recomputation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/memory.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

namespace {
RunSpec train(std::int64_t batch, std::int64_t len, Recompute rc, AttentionImpl attn = AttentionImpl::unfused) {
    RunSpec r;
    r.phase = RunPhase::train;
    r.batch = batch;
    r.input_len = len;
    r.recompute = rc;
    r.attention = attn;
    return r;
}
GraphSummary summary_of(const std::string& model, const RunSpec& r) { return summarize(load_model(model)->build(r)); }
}  // namespace

TEST(Training, BackwardIsTwiceForwardWithoutRecomputation) {
    const auto s = summary_of("llama2-7b", train(1, 1024, Recompute::none));
    const double fwd = s.flops_by_phase[0], bwd = s.flops_by_phase[1];
    // Every op's backward is 2x its forward (matmuls: input and weight gradients). The token
    // embedding has no forward FLOPs but a scatter-add backward (d per token), a ~1e-6 excess.
    EXPECT_NEAR(bwd / fwd, 2.0, 1e-4);
    // Forward of a training step: all 1024 logits plus the loss, i.e. ~6*N*T in total.
    EXPECT_NEAR((fwd + bwd) / (6.0 * s.params_total * 1024), 1.0, 0.15);
    // AdamW: 16 FLOPs per parameter; 2-byte grads; fp32 m, v and master copy (12 bytes/param).
    EXPECT_DOUBLE_EQ(s.flops_by_phase[2], 16.0 * s.params_total);
    EXPECT_EQ(s.gradient_bytes, 2 * s.params_total);
    EXPECT_EQ(s.optimizer_state_bytes, 12 * s.params_total);
}

TEST(Training, FullRecomputationIsFourTimesForward) {
    const auto none = summary_of("llama2-7b", train(1, 1024, Recompute::none));
    const auto full = summary_of("llama2-7b", train(1, 1024, Recompute::full));
    const double fwd = full.flops_by_phase[0];
    EXPECT_DOUBLE_EQ(fwd, none.flops_by_phase[0]);
    // Blocks are re-run once in backward; the embedding, final norm and LM head (2.5% of the
    // forward here) are not, so the ratio sits just under 4.
    const double ratio = (fwd + full.flops_by_phase[1]) / fwd;
    EXPECT_GT(ratio, 3.9);
    EXPECT_LT(ratio, 4.0);
    EXPECT_LT(full.activation_bytes, none.activation_bytes / 4);
}

TEST(Training, SelectiveRecomputationDropsTheScoreTensors) {
    const auto none = summary_of("llama2-7b", train(1, 2048, Recompute::none));
    const auto sel = summary_of("llama2-7b", train(1, 2048, Recompute::selective));
    const auto full = summary_of("llama2-7b", train(1, 2048, Recompute::full));
    // Korthikanti et al. 2022: selective recomputation removes the 5*a*s/h term (scores, softmax)
    // from the activations and costs only the attention core's FLOPs again.
    EXPECT_LT(sel.activation_bytes, none.activation_bytes);
    EXPECT_GT(sel.activation_bytes, full.activation_bytes);
    // Saved per layer without recomputation: scores and probabilities, 2 x 32 heads x 2048^2 bf16.
    EXPECT_GE(none.activation_bytes - sel.activation_bytes, 31LL * 2 * 32 * 2048 * 2048 * 2);
    const double extra = sel.flops_by_phase[1] - none.flops_by_phase[1];
    EXPECT_NEAR(extra, 32 * (4.0 * 2048 * 2048 * 4096 + 5.0 * 32 * 2048 * 2048), 1.0);
}

TEST(Training, FusedAttentionBackwardRecomputesScores) {
    // FlashAttention-2 backward: 2.5x the forward attention FLOPs (Dao 2023).
    const auto u = summary_of("gpt2", train(1, 1024, Recompute::none, AttentionImpl::unfused));
    const auto f = summary_of("gpt2", train(1, 1024, Recompute::none, AttentionImpl::fused));
    // The unfused graph also drops out its 12 x 12 x 1024^2 attention probabilities (GPT-2's
    // attn_pdrop 0.1): 2 FLOPs per score forward, 1 backward; the fused kernel does it inside.
    const double scores = 12.0 * 12 * 1024 * 1024;
    EXPECT_DOUBLE_EQ(f.flops_by_phase[0], u.flops_by_phase[0] - 2 * scores);
    const double attn_fwd = 12 * (4.0 * 1024 * 1024 * 768 + 5.0 * 12 * 1024 * 1024);
    EXPECT_NEAR(f.flops_by_phase[1] - (u.flops_by_phase[1] - scores), 0.5 * attn_fwd, 1.0);
}

TEST(Training, DropoutFollowsTheConfigAndOnlyTrains) {
    // GPT-2 (attn/resid/embd_pdrop 0.1): the embeddings, each block's two sub-block outputs and,
    // unfused, its attention probabilities; each writes a 1-byte mask that its backward reads.
    const auto w = load_model("gpt2")->build(train(2, 128, Recompute::none, AttentionImpl::unfused));
    const OpGraph& g = *w.stages.front().graph;
    int forward = 0, backward = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.kind != OpKind::dropout) continue;
        (o.phase == Phase::forward ? forward : backward)++;
        if (o.name == "layers.0.attn.dropout") {
            ASSERT_EQ(o.writes.size(), 2u);
            EXPECT_EQ(o.writes[1].bytes(), 2 * 12 * 128 * 128) << "the keep-mask: a byte per score";
        }
        if (o.name == "layers.0.attn.dropout.bwd") {  // dY (2 bytes) and the mask (1) per score
            EXPECT_EQ(o.bytes_read(), 3 * 2 * 12 * 128 * 128);
        }
    }
    EXPECT_EQ(forward, 1 + 12 * 3);
    EXPECT_EQ(backward, forward);
    auto count = [](const Workload& x) {
        int n = 0;
        for (const auto& st : x.stages)
            for (OpId i = 0; i < st.graph->op_count(); ++i) n += st.graph->op(i).kind == OpKind::dropout;
        return n;
    };
    RunSpec prefill;
    prefill.phase = RunPhase::prefill;
    prefill.input_len = 128;
    EXPECT_EQ(count(load_model("gpt2")->build(prefill)), 0) << "dropout is off at inference";
    EXPECT_EQ(count(load_model("llama2-7b")->build(train(1, 128, Recompute::none))), 0) << "LLaMA trains without dropout";
    // BERT (hidden_dropout_prob and attention_probs_dropout_prob 0.1): the embeddings and, per
    // block, the attention probabilities and two outputs; each forward op has its backward.
    EXPECT_EQ(count(load_model("bert-base")->build(train(2, 128, Recompute::none, AttentionImpl::unfused))), 2 * (1 + 12 * 3));
}

TEST(Training, TiedEmbeddingGetsOneGradient) {
    const auto w = load_model("gpt2")->build(train(1, 64, Recompute::none));
    const OpGraph& g = *w.stages.front().graph;
    int updates = 0, accumulations = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.name == "embed_tokens.weight.adamw") ++updates;
        if (o.name.find("wgrad_accumulate") != std::string::npos) ++accumulations;
    }
    EXPECT_EQ(updates, 1);
    EXPECT_EQ(accumulations, 1);  // LM head and embedding lookup both contribute
    EXPECT_NO_THROW(g.topological_order());
}

TEST(Training, QuantizedWeightsCannotBeTrained) {
    RunSpec r = train(1, 64, Recompute::none);
    r.precision.weights = DType::int4;
    EXPECT_THROW(load_model("gpt2")->build(r), fmsim::ScenarioError);
}

TEST(Training, BackwardProductsAreGemmsOfTheirFlops) {
    // Every input- and weight-gradient product carries GEMM dimensions (so the mapper tiles it on
    // the matrix engine) whose 2*m*n*k is its FLOP count: dX = dY W^T and dW = X^T dY.
    const auto w = load_model("gpt2")->build(train(2, 128, Recompute::none));
    int gemms = 0;
    for (const auto& st : w.stages)
        for (OpId id = 0; id < st.graph->op_count(); ++id) {
            const Op& op = st.graph->op(id);
            if (op.phase != Phase::backward || (op.kind != OpKind::matmul && op.kind != OpKind::batched_matmul)) continue;
            const auto* g = std::get_if<GemmDims>(&op.dims);
            ASSERT_NE(g, nullptr) << op.name;
            // (A forward with a bias also counts its m*n adds: at most 1/k more.)
            const double mnk2 = 2.0 * g->batch * g->m * g->n * g->k;
            EXPECT_GE(op.flops, mnk2) << op.name;
            EXPECT_LE(op.flops, mnk2 * (1 + 1.0 / 128)) << op.name;
            ++gemms;
        }
    EXPECT_EQ(gemms, 2 * (4 * 12 + 1) + 2 * 2 * 12);  // dgrad + wgrad of 49 linears; grad_a + grad_b of 24 bmms
    // The weight gradient of fc1 (768 -> 3072) sums over all 256 tokens: [768, 3072] over 256.
    const auto& g = w.stages.front().graph;
    for (OpId id = 0; id < g->op_count(); ++id)
        if (g->op(id).name == "layers.0.fc1.wgrad") {
            const auto& d = std::get<GemmDims>(g->op(id).dims);
            EXPECT_EQ(d.m, 768);
            EXPECT_EQ(d.n, 3072);
            EXPECT_EQ(d.k, 256);
        }
}

TEST(Training, LoraTrainsOnlyItsAdapters) {
    // LoRA rank 16 on the attention projections of Llama-2-7B (Hu et al. 2021): per layer
    // qkv_proj [4096, 12288] and o_proj [4096, 4096] get A [k, 16] and B [16, n].
    RunSpec r = train(1, 512, Recompute::none, AttentionImpl::fused);
    r.finetune.method = FineTuneMethod::lora;
    r.finetune.rank = 16;
    const auto s = summary_of("llama2-7b", r);
    const std::int64_t per_layer = 16 * (4096 + 12288) + 16 * (4096 + 4096);
    EXPECT_EQ(s.params_trainable, 32 * per_layer);
    EXPECT_EQ(s.gradient_bytes, 2 * s.params_trainable);
    EXPECT_EQ(s.optimizer_state_bytes, 12 * s.params_trainable);
    // The frozen base still passes gradients down (dgrad) but computes no weight gradients:
    // backward is the forward once (input gradients) plus the adapters', not twice.
    EXPECT_LT(s.flops_by_phase[1], 1.2 * s.flops_by_phase[0]);
    EXPECT_GT(s.flops_by_phase[1], 0.9 * s.flops_by_phase[0]);
    // QLoRA: the same adapters on a 4-bit frozen base, which training would otherwise refuse.
    r.finetune.method = FineTuneMethod::qlora;
    r.precision.weights = DType::int4;
    const auto q = summary_of("llama2-7b", r);
    EXPECT_EQ(q.params_trainable, s.params_trainable);
    EXPECT_LT(q.weight_bytes, s.weight_bytes / 3);
    r.finetune.targets = {"no_such_layer"};
    EXPECT_THROW(summary_of("llama2-7b", r), fmsim::ScenarioError);
}

TEST(Training, SelectiveRecomputationSavesKorthikantisActivations) {
    // Korthikanti et al. 2022, section 4: a GPT layer with selective recomputation keeps 34·s·b·h
    // bytes for its backward pass (fp16 tensors and 1-byte dropout masks: 11 sbh in attention,
    // 19 in the MLP, 4 in the two LayerNorms). Two models that differ only in depth isolate one layer.
    auto saved = [](int layers) {
        const auto path = std::filesystem::temp_directory_path() / ("fmsim_gpt_" + std::to_string(layers) + "_layers.json");
        std::ofstream(path) << R"({"model_type": "gpt2", "n_embd": 1024, "n_head": 16, "n_positions": 2048,
                                   "vocab_size": 50304, "n_layer": )" << layers << "}";
        const auto w = load_model(path.string())->build(train(2, 2048, Recompute::selective, AttentionImpl::unfused));
        return static_cast<double>(saved_for_backward_bytes(*w.stages.front().graph));
    };
    const double per_layer = saved(3) - saved(2);
    const double sbh = 2048.0 * 2 * 1024;
    EXPECT_NEAR(per_layer / sbh, 34.0, 34.0 * 0.05) << per_layer / sbh;
}
