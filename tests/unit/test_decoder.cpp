// Decoder-only families: parameter counts, FLOP closed forms, KV cache, precision, MoE routing,
// and Hugging Face import.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "builder.hpp"
#include "families/decoder.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

namespace {
GraphSummary summary_of(const std::string& model, RunSpec run) { return summarize(load_model(model)->build(run)); }

RunSpec prefill(std::int64_t batch, std::int64_t len) {
    RunSpec r;
    r.phase = RunPhase::prefill;
    r.batch = batch;
    r.input_len = len;
    return r;
}

const std::string kHf = std::string(FMSIM_TEST_DATA_DIR) + "/hf/";
}  // namespace

TEST(DecoderParams, ExactCountsOfHuggingFaceCheckpoints) {
    // Counts of the released checkpoints as Hugging Face loads them.
    EXPECT_EQ(summary_of("gpt2", prefill(1, 8)).params_total, 124'439'808);
    EXPECT_EQ(summary_of("llama2-7b", prefill(1, 8)).params_total, 6'738'415'616);
    EXPECT_EQ(summary_of("llama2-70b", prefill(1, 8)).params_total, 68'976'648'192);
    EXPECT_EQ(summary_of("mixtral-8x7b", prefill(1, 8)).params_total, 46'702'792'704);
}

TEST(DecoderParams, LlamaClosedForm) {
    // V*d (embedding) + V*d (untied head) + L*(d*(d + 2*kv*hd) + d*d + 3*d*F + 2*d) + d
    const std::int64_t d = 8192, L = 80, F = 28672, V = 32000, kv = 8 * 128;
    const std::int64_t expected = 2 * V * d + L * (d * (d + 2 * kv) + d * d + 3 * d * F + 2 * d) + d;
    EXPECT_EQ(summary_of("llama2-70b", prefill(1, 8)).params_total, expected);
}

TEST(DecoderParams, MixtralActiveParameters) {
    // Active = everything but the experts + top_k/num_experts of the experts: 2 of 8.
    const auto s = summary_of("mixtral-8x7b", prefill(1, 8));
    const double expert_params = 32.0 * 8 * 3 * 4096 * 14336;
    EXPECT_NEAR(s.params_active, static_cast<double>(s.params_total) - expert_params * 6 / 8, 1.0);
    EXPECT_NEAR(s.params_active / 12.9e9, 1.0, 0.005);
}

TEST(DecoderFlops, LlamaPrefillEqualsClosedForm) {
    const std::int64_t S = 512, d = 4096, L = 32, F = 11008, V = 32000, H = 32;
    const auto s = summary_of("llama2-7b", prefill(1, S));
    const double matmul = 2.0 * S * (d * 3 * d + d * d + d * 2 * F + F * d);  // qkv, o, gate_up, down
    const double attention = 4.0 * S * S * d + 5.0 * H * S * S;             // QK^T, PV, softmax
    const double rope = 3.0 * S * 2 * d;
    const double norms = 2 * 4.0 * S * d, residuals = 2.0 * S * d, swiglu = 5.0 * S * F;
    const double per_layer = matmul + attention + rope + norms + residuals + swiglu;
    const double head = 4.0 * S * d /*final norm*/ + 2.0 * d * V /*last token only*/;
    EXPECT_DOUBLE_EQ(s.flops, L * per_layer + head);
    // Forward ~ 2 * params * tokens plus the attention terms (Kaplan et al. 2020).
    const double approx = 2.0 * (s.params_total - 2.0 * V * d) * S + L * 4.0 * S * S * d;
    EXPECT_NEAR(s.flops / approx, 1.0, 0.01);
}

TEST(DecoderFlops, SurveyGpt2Table) {
    // "A Survey of Resource-efficient LLM and Multimodal Foundation Models", Fig. 5; tolerances
    // from the file's unit_note (0.5% up to 64 tokens, 3% beyond, where the survey itself is
    // 2.3-2.6% above its closed forms).
    std::ifstream in(std::string(FMSIM_TEST_DATA_DIR) + "/survey_gpt2_flops.json");
    ASSERT_TRUE(in);
    const auto table = nlohmann::json::parse(in);
    ASSERT_GE(table["rows"].size(), 10u);
    for (const auto& row : table["rows"]) {
        const std::int64_t T = row["seq_len"];
        const auto s = summary_of("gpt2", prefill(1, T));
        const double tol = T <= 64 ? 0.005 : 0.03;
        EXPECT_NEAR(s.group(ModuleGroup::attention).flops / (row["attention_mflops"].get<double>() * 1e6), 1.0, tol)
            << "attention, seq_len " << T;
        EXPECT_NEAR(s.group(ModuleGroup::ffn).flops / (row["ffn_mflops"].get<double>() * 1e6), 1.0, tol)
            << "ffn, seq_len " << T;
    }
}

TEST(DecoderKvCache, MatchesFormula) {
    // 2 * layers * kv_heads * head_dim * tokens * batch * bytes per element
    RunSpec r;
    r.phase = RunPhase::decode;
    r.batch = 4;
    r.input_len = 1000;
    EXPECT_EQ(summary_of("llama2-70b", r).kv_cache_bytes, 2LL * 80 * 8 * 128 * 1001 * 4 * 2);
    r.precision.kv_cache = DType::int8;
    EXPECT_EQ(summary_of("llama2-70b", r).kv_cache_bytes, 2LL * 80 * 8 * 128 * 1001 * 4 * 1);
    EXPECT_EQ(summary_of("llama2-7b", prefill(2, 300)).kv_cache_bytes, 2LL * 32 * 32 * 128 * 300 * 2 * 2);
    // Mistral's rolling buffer keeps the last 4096 tokens (sliding window).
    r.precision.kv_cache = DType::bf16;
    r.input_len = 10000;
    r.batch = 1;
    EXPECT_EQ(summary_of("mistral-7b", r).kv_cache_bytes, 2LL * 32 * 8 * 128 * 4096 * 2);
}

TEST(DecoderPhases, GenerateIsPrefillPlusDecodeSteps) {
    RunSpec r;
    r.phase = RunPhase::generate;
    r.input_len = 100;
    r.output_len = 10;
    const auto w = load_model("llama2-7b")->build(r);
    ASSERT_EQ(w.stages.size(), 10u);  // prefill yields token 1; 9 decode steps yield tokens 2..10
    EXPECT_EQ(w.stages.front().name, "prefill");
    EXPECT_EQ(w.stages.back().name, "decode@108");
    EXPECT_EQ(summarize(w).kv_cache_bytes, 2LL * 32 * 32 * 128 * 109 * 2);
    // The sum of the parts.
    double flops = summarize(load_model("llama2-7b")->build(prefill(1, 100))).flops;
    for (std::int64_t ctx = 100; ctx < 109; ++ctx) {
        RunSpec d;
        d.phase = RunPhase::decode;
        d.input_len = ctx;
        flops += summary_of("llama2-7b", d).flops;
    }
    EXPECT_DOUBLE_EQ(summarize(w).flops, flops);
}

TEST(DecoderPhases, DecodeReadsTheKvCache) {
    RunSpec r;
    r.phase = RunPhase::decode;
    r.input_len = 2048;
    const auto w = load_model("llama2-7b")->build(r);
    const OpGraph& g = *w.stages.front().graph;
    std::int64_t kv_read = 0, kv_written = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        kv_read += g.op(i).bytes_read(TensorClass::kv_cache);
        kv_written += g.op(i).bytes_written(TensorClass::kv_cache);
    }
    EXPECT_EQ(kv_read, 2LL * 32 * 4096 * 2048 * 2);  // every cached token, every layer
    EXPECT_EQ(kv_written, 2LL * 32 * 4096 * 1 * 2);  // the new token's K and V
}

TEST(DecoderAttention, FusedAndUnfusedSameFlopsDifferentMemory) {
    RunSpec fused = prefill(1, 2048), unfused = prefill(1, 2048);
    unfused.attention = AttentionImpl::unfused;
    const auto f = summary_of("llama2-7b", fused), u = summary_of("llama2-7b", unfused);
    EXPECT_DOUBLE_EQ(f.flops, u.flops);
    // Unfused attention materialises 32 heads x 2048 x 2048 scores (bf16) = 256 MiB per layer.
    EXPECT_GE(u.activation_bytes - f.activation_bytes, 32LL * 2048 * 2048 * 2);
    // ... and writes it twice (scores, probabilities); everything else is the same.
    EXPECT_DOUBLE_EQ(u.bytes_written - f.bytes_written, 32.0 * 32 * 2048 * 2048 * 2 * 2);
}

TEST(DecoderAttention, GqaAndMqaShrinkKvNotFlops) {
    // Llama-2-70B: 64 query heads share 8 KV heads; the score FLOPs use all 64 query heads.
    RunSpec r = prefill(1, 1024);
    r.attention = AttentionImpl::unfused;
    const auto w = load_model("llama2-70b")->build(r);
    const OpGraph& g = *w.stages.front().graph;
    bool found = false;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.name != "layers.0.attn.scores") continue;
        found = true;
        EXPECT_DOUBLE_EQ(o.flops, 2.0 * 64 * 1024 * 1024 * 128);
        const auto& gd = std::get<GemmDims>(o.dims);
        EXPECT_EQ(gd.batch, 64);
    }
    EXPECT_TRUE(found);
}

TEST(DecoderPrecision, WeightOnlyInt4AndW8A8AreDifferentGraphs) {
    RunSpec bf16 = prefill(1, 256), w4 = prefill(1, 256), w8a8 = prefill(1, 256);
    w4.precision.weights = DType::int4;
    w8a8.precision = Precision{DType::int8, DType::int8, DType::int8, DType::int8};
    const auto a = summary_of("llama2-7b", bf16), b = summary_of("llama2-7b", w4), c = summary_of("llama2-7b", w8a8);
    // Matmul weights at 4 bits plus an fp16 scale per 128 (4.125 bits); embedding table and norms
    // stay at 16 bits.
    const double matmul_params = 32.0 * (4 * 4096.0 * 4096 + 3 * 4096.0 * 11008) + 32000.0 * 4096 /*lm_head*/;
    EXPECT_NEAR(static_cast<double>(b.weight_bytes), matmul_params * 4.125 / 8 + (a.params_total - matmul_params) * 2,
                300.0);  // each weight tensor rounds up to whole bytes
    EXPECT_EQ(a.flops, b.flops);
    // int4g32 (llama.cpp Q4_0, MLC q4f16_1): an fp16 scale per 32 values, 4.5 bits; the same math.
    RunSpec g32 = w4;
    g32.precision.weights = DType::int4g32;
    const auto d = summary_of("llama2-7b", g32);
    EXPECT_NEAR(static_cast<double>(d.weight_bytes), matmul_params * 4.5 / 8 + (a.params_total - matmul_params) * 2,
                300.0);
    EXPECT_EQ(a.flops, d.flops);
    // W8A8: int8 weights and int8 activations, int8 math.
    EXPECT_NEAR(static_cast<double>(c.weight_bytes), matmul_params + (a.params_total - matmul_params) * 2, 1.0);
    EXPECT_LT(c.activation_bytes, b.activation_bytes);
    const auto w = load_model("llama2-7b")->build(w8a8);
    const OpGraph& g = *w.stages.front().graph;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name == "layers.0.qkv_proj") {
            EXPECT_EQ(g.op(i).math_dtype, DType::int8);
            EXPECT_EQ(g.op(i).reads.front().dtype, DType::int8);  // the int8 activation input
        }
}

TEST(DecoderMoe, DecodeReadsOnlyTheRoutedExperts) {
    EXPECT_EQ(expected_active_experts(8, 2, 1), 2);
    EXPECT_EQ(expected_active_experts(8, 2, 2), 4);  // 8 * (1 - 0.75^2) = 3.5 -> 4
    EXPECT_EQ(expected_active_experts(8, 2, 1024), 8);
    RunSpec d;
    d.phase = RunPhase::decode;
    d.input_len = 100;
    const auto w = load_model("mixtral-8x7b")->build(d);
    const OpGraph& g = *w.stages.front().graph;
    std::int64_t expert_bytes = 0;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name.find("experts.") != std::string::npos) expert_bytes += g.op(i).bytes_read(TensorClass::weight);
    EXPECT_EQ(expert_bytes, 32LL * 2 * 3 * 4096 * 14336 * 2);  // 2 experts per layer, bf16
}

TEST(DecoderImport, HuggingFaceConfigsGiveTheZooGraph) {
    const std::pair<const char*, const char*> cases[] = {{"gpt2.json", "gpt2"},
                                                         {"Llama-2-7b-hf.json", "llama2-7b"},
                                                         {"Llama-3.1-8B.json", "llama3.1-8b"},
                                                         {"Mistral-7B-v0.1.json", "mistral-7b"},
                                                         {"Mixtral-8x7B-v0.1.json", "mixtral-8x7b"},
                                                         {"opt-175b.json", "opt-175b"}};
    for (const auto& [file, zoo] : cases) {
        RunSpec r = prefill(2, 64);
        const auto imported = summarize(load_model(kHf + file)->build(r));
        const auto builtin = summary_of(zoo, r);
        EXPECT_EQ(imported.params_total, builtin.params_total) << file;
        EXPECT_DOUBLE_EQ(imported.flops, builtin.flops) << file;
        EXPECT_EQ(imported.op_count, builtin.op_count) << file;
        EXPECT_EQ(imported.kv_cache_bytes, builtin.kv_cache_bytes) << file;
    }
}

TEST(DecoderErrors, LearnedPositionsBoundTheSequence) {
    EXPECT_THROW(summary_of("gpt2", prefill(1, 1025)), fmsim::ScenarioError);
    // A default prompt leaves room in the 1024 positions for what is generated after it; a rotary
    // model's default stays min(2048, its context).
    const auto gpt2 = fmsim::workloads::load_model("gpt2");
    RunSpec gen;
    gen.phase = RunPhase::generate;
    EXPECT_EQ(gpt2->resolve(gen).input_len, 1024 - 128);
    RunSpec dec;
    dec.phase = RunPhase::decode;
    EXPECT_EQ(gpt2->resolve(dec).input_len, 1023);
    EXPECT_EQ(fmsim::workloads::load_model("llama2-7b")->resolve(gen).input_len, 2048);
    RunSpec enc;
    enc.phase = RunPhase::encode;
    try {
        summary_of("llama2-7b", enc);
        FAIL() << "encode is not a decoder phase";
    } catch (const fmsim::ScenarioError& e) {
        EXPECT_NE(std::string(e.what()).find("supported phases: prefill, decode, generate, train"), std::string::npos);
    }
}

TEST(DecoderAttention, MultiQueryAttentionKeepsOneKvHead) {
    // MHA, GQA and MQA differ only in num_key_value_heads: K/V projections and the cache shrink,
    // the query-side FLOPs of attention do not.
    auto write = [](const std::string& name, int kv_heads) {
        const std::string path = ::testing::TempDir() + name;
        std::ofstream(path) << nlohmann::json{{"model_type", "llama"}, {"hidden_size", 1024},
                                              {"intermediate_size", 2816}, {"num_hidden_layers", 4},
                                              {"num_attention_heads", 16}, {"num_key_value_heads", kv_heads},
                                              {"vocab_size", 1000}, {"max_position_embeddings", 4096}}
                                   .dump();
        return path;
    };
    RunSpec r;
    r.phase = RunPhase::decode;
    r.input_len = 1000;
    const auto mha = summarize(load_model(write("mha.json", 16))->build(r));
    const auto mqa = summarize(load_model(write("mqa.json", 1))->build(r));
    EXPECT_EQ(mha.kv_cache_bytes, 2LL * 4 * 16 * 64 * 1001 * 2);
    EXPECT_EQ(mqa.kv_cache_bytes, 2LL * 4 * 1 * 64 * 1001 * 2);
    // K and V projections: 2 * d * (heads - 1) * head_dim fewer weights per layer.
    EXPECT_EQ(mha.params_total - mqa.params_total, 4LL * 2 * 1024 * 15 * 64);
    EXPECT_EQ(mha.group(ModuleGroup::attention).flops - mqa.group(ModuleGroup::attention).flops,
              4 * (2.0 * 2 * 1024 * 15 * 64 /*k,v projections*/ + 3.0 * 15 * 64 /*rope on k*/));
}
