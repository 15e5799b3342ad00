// Encoder-decoder families: T5 and Whisper (docs/families/encoder-decoder.md).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

namespace {

const std::string kHfDir = std::string(FMSIM_TEST_DATA_DIR) + "/hf/";

RunSpec run_of(RunPhase phase, std::int64_t batch = 1, std::int64_t input_len = 0, std::int64_t output_len = 0) {
    RunSpec r;
    r.phase = phase;
    r.batch = batch;
    r.input_len = input_len;
    r.output_len = output_len;
    return r;
}

const Op* find_op(const OpGraph& g, const std::string& name) {
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name == name) return &g.op(i);
    return nullptr;
}

double graph_flops(const OpGraph& g) {
    double f = 0;
    for (OpId i = 0; i < g.op_count(); ++i) f += g.op(i).flops;
    return f;
}

// Writes `text` to a fresh file and returns its path.
std::string write_temp(const std::string& stem, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / ("fmsim_encdec_" + stem + ".json");
    std::ofstream(path) << text;
    return path.string();
}

// Expects load_model(path) to throw a ConfigError at `pointer` whose message contains `expect`.
void expect_config_error(const std::string& path, const std::string& pointer, const std::string& expect) {
    try {
        load_model(path);
        FAIL() << "no ConfigError for " << pointer;
    } catch (const fmsim::ConfigError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.pointer(), pointer);
        const std::string what = e.what();
        EXPECT_NE(what.find(path), std::string::npos) << what;
        EXPECT_NE(what.find(pointer), std::string::npos) << what;
        EXPECT_NE(what.find(expect), std::string::npos) << what;
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Parameter counts

TEST(EncDecParams, ZooEntriesWithinPublishedPrecision) {
    for (const char* name : {"t5-small", "t5-base", "whisper-large"}) {
        auto m = load_model(name);
        ASSERT_TRUE(m->published_params) << name;
        const auto s = summarize(m->build(run_of(m->default_phase())));
        const double published = *m->published_params;
        EXPECT_LE(std::fabs(static_cast<double>(s.params_total) - published), m->published_params_precision * published)
            << name << ": " << s.params_total << " vs published " << published;
    }
}

TEST(EncDecParams, T5ExactCountsWorkedByHand) {
    // T5 v1.0, d, heads*d_kv = d here, ffn f, L layers per stack, V vocab, 32 buckets:
    //   shared embedding V d (the head is tied)
    //   encoder block: q,k,v,o 4 d^2 + wi,wo 2 d f + 2 RMS-norm weights 2d
    //   decoder block: self 4 d^2 + cross 4 d^2 + 2 d f + 3 norms 3d
    //   + 32 x heads bias table and a final norm d per stack.
    auto count = [](std::int64_t d, std::int64_t f, std::int64_t L, std::int64_t heads) {
        const std::int64_t V = 32128;
        return V * d + L * (4 * d * d + 2 * d * f + 2 * d) + L * (8 * d * d + 2 * d * f + 3 * d) + 2 * 32 * heads + 2 * d;
    };
    EXPECT_EQ(count(512, 2048, 6, 8), 60506624);    // = Hugging Face num_parameters() of t5-small
    EXPECT_EQ(count(768, 3072, 12, 12), 222903552); // = Hugging Face num_parameters() of t5-base
    EXPECT_EQ(summarize(load_model("t5-small")->build(run_of(RunPhase::encode))).params_total, count(512, 2048, 6, 8));
    EXPECT_EQ(summarize(load_model("t5-base")->build(run_of(RunPhase::encode))).params_total, count(768, 3072, 12, 12));
}

TEST(EncDecParams, ParamsDoNotDependOnThePhase) {
    for (const char* name : {"t5-small", "whisper-large"}) {
        auto m = load_model(name);
        const auto ref = summarize(m->build(run_of(RunPhase::prefill))).params_total;
        for (RunPhase p : {RunPhase::encode, RunPhase::decode, RunPhase::generate, RunPhase::train})
            EXPECT_EQ(summarize(m->build(run_of(p, 1, 0, 3))).params_total, ref) << name << " " << to_string(p);
    }
}

TEST(EncDecParams, T5RelativeBiasTablesOnlyInFirstBlocks) {
    const auto w = load_model("t5-small")->build(run_of(RunPhase::prefill, 1, 64));
    const OpGraph& g = *w.stages.at(0).graph;
    int tables = 0;
    for (const Weight& wt : g.weights())
        if (wt.name.find("relative_attention_bias") != std::string::npos) {
            ++tables;
            EXPECT_EQ(wt.elements(), 32 * 8) << wt.name;  // num_buckets x heads
            EXPECT_EQ(wt.layer, 0) << wt.name;
        }
    EXPECT_EQ(tables, 2);  // one in the encoder, one in the decoder
    EXPECT_NE(g.find_weight("encoder.layers.0.relative_attention_bias.weight"), nullptr);
    EXPECT_NE(g.find_weight("decoder.layers.0.relative_attention_bias.weight"), nullptr);
}

TEST(EncDecParams, T5v11GatedUntiedWithNarrowHeads) {
    // google/t5-v1_1-small's config.json: gated-GELU FFN, untied head, 6 heads x 64 = 384 != d_model 512.
    const std::string path = write_temp("t5v11", R"({
      "architectures": ["T5ForConditionalGeneration"], "d_ff": 1024, "d_kv": 64, "d_model": 512,
      "decoder_start_token_id": 0, "dropout_rate": 0.1, "eos_token_id": 1, "feed_forward_proj": "gated-gelu",
      "initializer_factor": 1.0, "is_encoder_decoder": true, "layer_norm_epsilon": 1e-06, "model_type": "t5",
      "num_decoder_layers": 8, "num_heads": 6, "num_layers": 8, "output_past": true, "pad_token_id": 0,
      "relative_attention_num_buckets": 32, "tie_word_embeddings": false, "vocab_size": 32128})");
    const std::int64_t d = 512, inner = 384, f = 1024, L = 8, V = 32128;
    // Shared embedding + separate lm_head; blocks: attention 4 d inner, gated FFN 3 d f, norms.
    const std::int64_t expected = 2 * V * d + L * (4 * d * inner + 3 * d * f + 2 * d) +
                                  L * (8 * d * inner + 3 * d * f + 3 * d) + 2 * 32 * 6 + 2 * d;
    const auto w = load_model(path)->build(run_of(RunPhase::encode, 1, 16));
    EXPECT_EQ(summarize(w).params_total, expected);
    // gelu_new (tanh GELU, 9 FLOPs) times up, 1 FLOP per output element: (9 + 1) x tokens x d_ff.
    const Op* act = find_op(*w.stages[0].graph, "encoder.layers.0.act");
    ASSERT_NE(act, nullptr);
    EXPECT_DOUBLE_EQ(act->flops, 10.0 * 16 * f);
    const Op* qkv = find_op(*w.stages[0].graph, "encoder.layers.0.qkv_proj");
    ASSERT_NE(qkv, nullptr);
    EXPECT_DOUBLE_EQ(qkv->flops, 2.0 * 16 * d * 3 * inner);
}

TEST(EncDecParams, WhisperKeyProjectionsHaveNoBiasAndPositionsAreFrozen) {
    auto m = load_model("whisper-large");
    const auto w = m->build(run_of(RunPhase::prefill));
    const OpGraph& g = *w.stages.at(0).graph;
    const std::int64_t d = 1280;
    ASSERT_NE(g.find_weight("encoder.layers.0.qkv_proj.bias"), nullptr);
    EXPECT_EQ(g.find_weight("encoder.layers.0.qkv_proj.bias")->elements(), 2 * d);  // q and v, not k
    EXPECT_EQ(g.find_weight("decoder.layers.0.qkv_proj.bias")->elements(), 2 * d);
    EXPECT_EQ(g.find_weight("decoder.layers.0.kv_proj.bias")->elements(), d);       // v only
    EXPECT_EQ(g.find_weight("decoder.layers.0.q_proj.bias")->elements(), d);
    const Weight* pos = g.find_weight("encoder.embed_positions.weight");
    ASSERT_NE(pos, nullptr);
    EXPECT_FALSE(pos->trainable);
    EXPECT_EQ(pos->elements(), 1500 * d);
    // Hand count (= Hugging Face num_parameters() of openai/whisper-large-v2):
    //   conv 80*d*3 + d + d*d*3 + d; positions 1500 d + 448 d; tokens 51865 d;
    //   block attention 4 d^2 + 3d biases (q, v, o); MLP 2*d*5120 + 5120 + d; LayerNorms 2d each;
    //   encoder blocks 2 norms, decoder blocks 2 attentions + 3 norms; 2 final norms.
    const std::int64_t attn = 4 * d * d + 3 * d, mlp = 2 * d * 5120 + 5120 + d, ln = 2 * d;
    const std::int64_t expected = (80 * d * 3 + d) + (d * d * 3 + d) + 1500 * d + 448 * d + 51865 * d +
                                  32 * (attn + mlp + 2 * ln) + 32 * (2 * attn + mlp + 3 * ln) + 2 * ln;
    EXPECT_EQ(expected, 1543304960);
    const auto s = summarize(w);
    EXPECT_EQ(s.params_total, expected);
    EXPECT_EQ(s.params_trainable, expected - 1500 * d);
}

TEST(EncDecParams, WhisperTrainingHasNoGradientForTheSinusoidalTable) {
    const auto w = load_model("whisper-large")->build(run_of(RunPhase::train, 1, 0, 8));
    const OpGraph& g = *w.stages.at(0).graph;
    bool frozen_grad = false, learned_grad = false;
    for (OpId i = 0; i < g.op_count(); ++i)
        for (const auto& t : g.op(i).writes) {
            if (t.cls != TensorClass::gradient) continue;
            frozen_grad |= t.name == "encoder.embed_positions.weight.grad";
            learned_grad |= t.name == "decoder.embed_positions.weight.grad";
        }
    EXPECT_FALSE(frozen_grad);
    EXPECT_TRUE(learned_grad);
}

// ---------------------------------------------------------------------------------------------
// FLOPs in closed form

TEST(EncDecFlops, T5SmallEncoderPassWorkedByHand) {
    // T5-small encoder over B sequences of S tokens (fused attention). Per block, with d = 512,
    // H = 8 heads of d_kv = 64 (inner = 512), f = 2048:
    //   2 RMS norms           2 * 4 B S d
    //   packed q/k/v          2 B S d (3 inner)
    //   attention             QK^T and PV 2 * 2 B H S^2 d_kv, softmax 5 B H S^2, position-bias add B H S^2
    //   o projection          2 B S inner d
    //   2 residual adds       2 B S d
    //   FFN                   2 B S d f + ReLU B S f + 2 B S f d
    // plus, once: bucket ids of the S x S offsets (14 ops each, shared by the batch) and the final
    // RMS norm 4 B S d. The embedding gather and the bias-table gather are 0 FLOPs.
    const double B = 2, S = 128, d = 512, H = 8, dkv = 64, inner = 512, f = 2048, L = 6;
    const double block = 2 * 4 * B * S * d + 2 * B * S * d * 3 * inner + 2 * 2 * B * H * S * S * dkv +
                         5 * B * H * S * S + B * H * S * S + 2 * B * S * inner * d + 2 * B * S * d +
                         2 * B * S * d * f + B * S * f + 2 * B * S * f * d;
    const double expected = L * block + 14 * S * S + 4 * B * S * d;
    auto m = load_model("t5-small");
    RunSpec r = run_of(RunPhase::encode, 2, 128);
    const auto s = summarize(m->build(r));
    EXPECT_DOUBLE_EQ(s.flops, expected);
    // Unfused attention runs the same arithmetic as separate ops (scores, bias add, softmax, context).
    r.attention = AttentionImpl::unfused;
    const auto w = m->build(r);
    EXPECT_DOUBLE_EQ(summarize(w).flops, expected);
    const Op* add = find_op(*w.stages[0].graph, "encoder.layers.3.attn.position_bias_add");
    ASSERT_NE(add, nullptr);
    EXPECT_DOUBLE_EQ(add->flops, B * H * S * S);
}

TEST(EncDecFlops, WhisperConvFrontEndWorkedByHand) {
    // conv1d FLOPs = 2 B C_out L_out C_in k + B C_out L_out (bias). 3000 Mel frames of 80 bins:
    //   conv1: k 3, stride 1, pad 1 -> L_out 3000, C_in 80, C_out d = 1280
    //   conv2: k 3, stride 2, pad 1 -> L_out (3000 + 2 - 3) / 2 + 1 = 1500, C_in = C_out = d
    // and an exact GELU (5 FLOPs per element) after each.
    const double B = 2, d = 1280;
    const auto w = load_model("whisper-large")->build(run_of(RunPhase::encode, 2));
    const OpGraph& g = *w.stages.at(0).graph;
    const Op* conv1 = find_op(g, "encoder.conv1");
    const Op* conv2 = find_op(g, "encoder.conv2");
    ASSERT_NE(conv1, nullptr);
    ASSERT_NE(conv2, nullptr);
    EXPECT_DOUBLE_EQ(conv1->flops, 2 * B * d * 3000 * 80 * 3 + B * d * 3000);
    EXPECT_DOUBLE_EQ(conv2->flops, 2 * B * d * 1500 * d * 3 + B * d * 1500);
    EXPECT_DOUBLE_EQ(find_op(g, "encoder.conv1_act")->flops, 5 * B * d * 3000);
    EXPECT_DOUBLE_EQ(find_op(g, "encoder.conv2_act")->flops, 5 * B * d * 1500);
    EXPECT_EQ(conv2->kind, OpKind::conv1d);
    EXPECT_EQ(conv2->group, ModuleGroup::conv);
    EXPECT_EQ(w.run.input_len, 1500);
    // A shorter window (whisper.cpp's audio_ctx): input_len 750 positions from 1500 Mel frames.
    const auto half = load_model("whisper-large")->build(run_of(RunPhase::encode, 1, 750));
    const Op* half_conv1 = find_op(*half.stages.at(0).graph, "encoder.conv1");
    ASSERT_NE(half_conv1, nullptr);
    EXPECT_DOUBLE_EQ(half_conv1->flops, 2 * d * 1500 * 80 * 3 + d * 1500);
    EXPECT_EQ(std::get<AttentionDims>(find_op(*half.stages[0].graph, "encoder.layers.0.attn")->dims).seq_kv, 750);
}

// ---------------------------------------------------------------------------------------------
// Phases and caches

TEST(EncDecPhases, T5DecodeStepReadsBothCachesAndSkipsTheEncoder) {
    // decode with output_len n = 5: the step that feeds the 5th generated token; the self-attention
    // cache holds the 1-token prompt and 4 generated tokens, the cross cache the 300 encoder positions.
    const std::int64_t B = 3, M = 300, n = 5, inner = 512, layers = 6, bf16 = 2;
    const auto w = load_model("t5-small")->build(run_of(RunPhase::decode, B, M, n));
    ASSERT_EQ(w.stages.size(), 1u);
    const OpGraph& g = *w.stages[0].graph;
    for (OpId i = 0; i < g.op_count(); ++i) {
        EXPECT_NE(g.op(i).component, "encoder") << g.op(i).name;
        EXPECT_EQ(g.op(i).name.find(".kv_proj"), std::string::npos) << g.op(i).name << ": cross K/V are not re-projected";
    }
    for (int l = 0; l < layers; ++l) {
        const std::string p = "decoder.layers." + std::to_string(l);
        const Op* cross = find_op(g, p + ".cross_attn");
        const Op* self = find_op(g, p + ".attn");
        ASSERT_NE(cross, nullptr);
        ASSERT_NE(self, nullptr);
        EXPECT_EQ(cross->bytes_read(TensorClass::kv_cache), 2 * B * M * inner * bf16);
        EXPECT_EQ(self->bytes_read(TensorClass::kv_cache), 2 * B * (1 + n - 1) * inner * bf16);
        EXPECT_EQ(std::get<AttentionDims>(cross->dims).seq_kv, M);
    }
    // Held at the end: self (prompt + n tokens) + cross (M positions), K and V, every layer.
    EXPECT_EQ(w.stages[0].kv_cache_bytes, 2 * layers * B * inner * bf16 * ((1 + n) + M));
}

TEST(EncDecPhases, PrefillFillsTheCrossCacheOnce) {
    const std::int64_t B = 2, d = 1280, bf16 = 2;
    const auto w = load_model("whisper-large")->build(run_of(RunPhase::prefill, B));
    const OpGraph& g = *w.stages.at(0).graph;
    const Op* append = nullptr;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name == "decoder.layers.7.cross_attn.kv_append") append = &g.op(i);
    ASSERT_NE(append, nullptr);
    EXPECT_EQ(append->bytes_written(TensorClass::kv_cache), 2 * B * 1500 * d * bf16);
    // 4-token prompt in the self cache, 1500 positions in the cross cache.
    EXPECT_EQ(w.stages[0].kv_cache_bytes, 2 * 32 * B * d * bf16 * (4 + 1500));
    // The LM head runs on the last prompt token only.
    const Op* head = find_op(g, "decoder.proj_out");
    ASSERT_NE(head, nullptr);
    EXPECT_DOUBLE_EQ(head->flops, 2.0 * B * d * 51865);
}

TEST(EncDecPhases, WhisperDecodeReadsTheCrossCache) {
    const std::int64_t d = 1280, bf16 = 2;
    const auto w = load_model("whisper-large")->build(run_of(RunPhase::decode, 1, 0, 10));
    const OpGraph& g = *w.stages.at(0).graph;
    const Op* cross = find_op(g, "decoder.layers.31.cross_attn");
    ASSERT_NE(cross, nullptr);
    EXPECT_EQ(cross->bytes_read(TensorClass::kv_cache), 2 * 1500 * d * bf16);
    EXPECT_EQ(find_op(g, "encoder.conv1"), nullptr);
    EXPECT_EQ(find_op(g, "decoder.layers.31.attn")->bytes_read(TensorClass::kv_cache), 2 * (4 + 9) * d * bf16);
}

TEST(EncDecPhases, GenerateIsPrefillPlusDecodeSteps) {
    auto m = load_model("t5-small");
    const std::int64_t M = 200, N = 6;
    const auto gen = m->build(run_of(RunPhase::generate, 1, M, N));
    ASSERT_EQ(gen.stages.size(), static_cast<std::size_t>(N));  // prefill + N - 1 steps
    EXPECT_EQ(gen.stages[0].name, "prefill");
    EXPECT_EQ(gen.stages[1].name, "decode@1");
    EXPECT_EQ(gen.stages.back().name, "decode@" + std::to_string(N - 1));
    const double prefill = summarize(m->build(run_of(RunPhase::prefill, 1, M))).flops;
    EXPECT_DOUBLE_EQ(graph_flops(*gen.stages[0].graph), prefill);
    // decode with output_len n is generate's n-th decode step.
    for (std::int64_t n = 1; n < N; ++n) {
        const auto dec = m->build(run_of(RunPhase::decode, 1, M, n));
        EXPECT_DOUBLE_EQ(graph_flops(*dec.stages[0].graph), graph_flops(*gen.stages[n].graph)) << n;
        EXPECT_EQ(dec.stages[0].kv_cache_bytes, gen.stages[n].kv_cache_bytes) << n;
    }
    // The cache grows by one decoder token per step: 2 (K,V) x 6 layers x 512 x 2 bytes.
    EXPECT_EQ(gen.stages[2].kv_cache_bytes - gen.stages[1].kv_cache_bytes, 2 * 6 * 512 * 2);
    EXPECT_EQ(m->default_phase(), RunPhase::generate);
}

TEST(EncDecPhases, TrainingIsTeacherForcedWithALoss) {
    const auto w = load_model("t5-small")->build(run_of(RunPhase::train, 2, 64, 16));
    const OpGraph& g = *w.stages.at(0).graph;
    const Op* loss = find_op(g, "loss");
    ASSERT_NE(loss, nullptr);
    ASSERT_FALSE(loss->writes.empty());
    EXPECT_EQ(loss->writes[0].shape, (Shape{2 * 16}));  // one loss per target token
    // The decoder runs over the 16 target tokens with full cross-attention to the 64 encoder positions.
    const Op* cross = find_op(g, "decoder.layers.0.cross_attn");
    ASSERT_NE(cross, nullptr);
    const auto& dims = std::get<AttentionDims>(cross->dims);
    EXPECT_EQ(dims.seq_q, 16);
    EXPECT_EQ(dims.seq_kv, 64);
    EXPECT_GT(w.stages[0].gradient_bytes, 0);
    // Defaults: 512 source tokens and 114 span-corruption targets.
    const auto d = load_model("t5-small")->build(run_of(RunPhase::train));
    EXPECT_EQ(d.run.input_len, 512);
    EXPECT_EQ(d.run.output_len, 114);
}

TEST(EncDecPhases, ImpossibleRunsAreScenarioErrors) {
    auto whisper = load_model("whisper-large");
    EXPECT_THROW(whisper->build(run_of(RunPhase::encode, 1, 1501)), fmsim::ScenarioError);
    EXPECT_THROW(whisper->build(run_of(RunPhase::generate, 1, 0, 446)), fmsim::ScenarioError);  // 4 + 445 > 448
    EXPECT_NO_THROW(whisper->build(run_of(RunPhase::decode, 1, 0, 444)));                       // 4 + 444 = 448
    EXPECT_THROW(whisper->build(run_of(RunPhase::train, 1, 0, 449)), fmsim::ScenarioError);
    EXPECT_THROW(load_model("t5-small")->build(run_of(RunPhase::sample)), fmsim::ScenarioError);
}

// ---------------------------------------------------------------------------------------------
// Hugging Face import

TEST(EncDecHfImport, RealConfigsMatchTheZoo) {
    const std::pair<const char*, const char*> pairs[] = {{"t5-small.json", "t5-small"},
                                                         {"whisper-large-v2.json", "whisper-large"}};
    for (const auto& [file, zoo] : pairs) {
        auto hf = load_model(kHfDir + file);
        auto z = load_model(zoo);
        EXPECT_EQ(hf->family(), z->family());
        for (RunPhase p : {RunPhase::generate, RunPhase::train}) {
            const RunSpec r = run_of(p, 2, 0, 8);
            const auto a = summarize(hf->build(r)), b = summarize(z->build(r));
            EXPECT_EQ(a.params_total, b.params_total) << file;
            EXPECT_DOUBLE_EQ(a.flops, b.flops) << file;
            EXPECT_EQ(a.kv_cache_bytes, b.kv_cache_bytes) << file;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bad configs

TEST(EncDecBadConfig, T5ErrorsNameFilePointerAndExpectation) {
    const std::string base = R"("model_type": "t5", "d_kv": 64, "d_ff": 2048, "num_layers": 6, "num_heads": 8, "vocab_size": 32128)";
    expect_config_error(write_temp("t5_type", "{" + base + R"(, "d_model": "512"})"), "/d_model", "expected an integer");
    expect_config_error(write_temp("t5_unknown", "{" + base + R"(, "d_model": 512, "d_modle": 512})"), "/d_modle",
                        "unknown key");
    expect_config_error(write_temp("t5_missing", "{" + base + "}"), "", "missing required key 'd_model'");
    expect_config_error(write_temp("t5_dist", "{" + base + R"(, "d_model": 512, "relative_attention_max_distance": 16})"),
                        "/relative_attention_max_distance", "expected more than relative_attention_num_buckets / 2");
    expect_config_error(write_temp("t5_ffn", "{" + base + R"(, "d_model": 512, "feed_forward_proj": "gated-tanh"})"),
                        "/feed_forward_proj", "one of");
    expect_config_error(write_temp("t5_heads", "{" + base + R"(, "d_model": 512, "num_heads": 0})"), "/num_heads",
                        "expected an integer >= 1");
}

TEST(EncDecBadConfig, WhisperErrorsNameFilePointerAndExpectation) {
    const std::string base = R"("model_type": "whisper", "encoder_layers": 2, "decoder_layers": 2,
        "encoder_attention_heads": 6, "decoder_attention_heads": 6, "encoder_ffn_dim": 1536, "decoder_ffn_dim": 1536,
        "vocab_size": 51865)";
    expect_config_error(write_temp("wh_div", "{" + base + R"(, "d_model": 385})"), "/d_model",
                        "expected a multiple of encoder_attention_heads (6)");
    expect_config_error(write_temp("wh_mel", "{" + base + R"(, "d_model": 384, "num_mel_bins": 0})"), "/num_mel_bins",
                        "expected an integer >= 1");
    expect_config_error(write_temp("wh_act", "{" + base + R"(, "d_model": 384, "activation_function": "tanh"})"),
                        "/activation_function", "one of");
    expect_config_error(write_temp("wh_bool", "{" + base + R"(, "d_model": 384, "tie_word_embeddings": "yes"})"),
                        "/tie_word_embeddings", "expected true or false");
    expect_config_error(write_temp("wh_unknown", "{" + base + R"(, "d_model": 384, "n_mels": 80})"), "/n_mels",
                        "unknown key for whisper");
    // A small valid config builds: whisper-tiny's dimensions.
    EXPECT_NO_THROW(load_model(write_temp("wh_ok", "{" + base + R"(, "d_model": 384})"))->build(run_of(RunPhase::prefill)));
}
