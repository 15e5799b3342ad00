// Encoder and multimodal families: clip, bert, vit, llava, imagebind.
// Closed-form FLOP checks spell out the formula they test; builder constants (7 FLOPs per
// LayerNorm element, 5 per softmax score, 5 per quick_gelu/gelu element, 2 per multiply-add) are
// those of docs/formulas.md.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;
using nlohmann::json;

namespace {

std::string hf_path(const std::string& name) { return std::string(FMSIM_TEST_DATA_DIR) + "/hf/" + name + ".json"; }

GraphSummary run(const Model& m, RunPhase phase, std::int64_t batch = 1, std::int64_t input_len = 0,
                 std::int64_t output_len = 0) {
    RunSpec r;
    r.phase = phase;
    r.batch = batch;
    r.input_len = input_len;
    r.output_len = output_len;
    return summarize(m.build(r));
}

void expect_published(const std::string& zoo_name, RunPhase phase) {
    auto m = load_model(zoo_name);
    ASSERT_TRUE(m->published_params.has_value()) << zoo_name;
    const double published = *m->published_params;
    const auto s = run(*m, phase);
    EXPECT_NEAR(static_cast<double>(s.params_total), published, m->published_params_precision * published)
        << zoo_name << ": computed " << s.params_total << " vs published " << published;
}

// Writes `j` to a fresh temporary .json file and returns its path.
std::string write_temp(const json& j, const std::string& stem) {
    static std::atomic<int> counter{0};
    const auto path = std::filesystem::temp_directory_path() /
                      ("fmsim_enc_" + stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".json");
    std::ofstream(path) << j.dump(2);
    return path.string();
}

json read_json(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
}

// Loads `j` from a temp file and expects a ConfigError naming the file, `pointer` and `what`.
void expect_config_error(const json& j, const std::string& pointer, const std::string& what) {
    const std::string path = write_temp(j, "bad");
    try {
        load_model(path);
        ADD_FAILURE() << "expected a ConfigError at " << pointer;
    } catch (const fmsim::ConfigError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.pointer(), pointer) << e.what();
        EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
    std::filesystem::remove(path);
}

const Op* find_op(const OpGraph& g, const std::string& name) {
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name == name) return &g.op(i);
    return nullptr;
}

[[maybe_unused]] std::int64_t weights_under(const Workload& w, const std::string& prefix) {
    std::set<std::string> seen;
    std::int64_t n = 0;
    for (const auto& st : w.stages)
        for (const auto& wt : st.graph->weights())
            if (wt.name.rfind(prefix, 0) == 0 && seen.insert(wt.name).second) n += wt.elements();
    return n;
}

// FLOPs of one pre- or post-LN Transformer block with biases, fused attention, an ungated MLP
// and an activation of `act` FLOPs per element, over B sequences of S tokens:
//   2 LayerNorms             2 * 7 * BSd
//   qkv_proj                 2 * BS * d * 3d + 3d * BS (bias)
//   attention (fused)        2 * (2 * B * h * S * S * hd) + 5 * B * h * S * S  (QK^T, softmax, PV)
//   o_proj                   2 * BS * d * d + BS * d
//   2 residual adds          2 * BSd
//   fc1, act, fc2            2 * BS * d * f + BS * f, act * BS * f, 2 * BS * f * d + BS * d
double block_flops(double B, double S, double d, double h, double f, double act) {
    const double bs = B * S;
    return 14 * bs * d + (6 * bs * d * d + 3 * bs * d) + (4 * B * S * S * d + 5 * B * h * S * S) +
           (2 * bs * d * d + bs * d) + 2 * bs * d + (2 * bs * d * f + bs * f) + act * bs * f + (2 * bs * f * d + bs * d);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CLIP

TEST(EncodersClip, ZooParamsMatchPublishedAndHandCount) {
    expect_published("clip-vit-l14", RunPhase::encode);
    auto m = load_model("clip-vit-l14");
    const auto s = run(*m, RunPhase::encode);
    // Text: 49408*768 tokens + 77*768 positions + 12 blocks * (4*768^2 + 4*768 attention +
    // 2*768*3072 + 3072 + 768 MLP + 4*768 LayerNorms) + 2*768 final LayerNorm = 123,060,480.
    // Vision: 3*14*14*1024 patch conv (no bias) + 1024 class token + 257*1024 positions + 2*1024
    // pre_layrnorm + 24 * (4*1024^2 + 4*1024 + 2*1024*4096 + 4096 + 1024 + 4*1024) + 2*1024
    // post_layernorm = 303,179,776. Projections 768*768 + 1024*768; logit_scale 1.
    const std::int64_t text = 49408LL * 768 + 77 * 768 + 12 * (4LL * 768 * 768 + 4 * 768 + 2LL * 768 * 3072 + 3072 + 768 + 4 * 768) + 2 * 768;
    const std::int64_t vision = 3LL * 14 * 14 * 1024 + 1024 + 257 * 1024 + 2 * 1024 +
                                24 * (4LL * 1024 * 1024 + 4 * 1024 + 2LL * 1024 * 4096 + 4096 + 1024 + 4 * 1024) + 2 * 1024;
    EXPECT_EQ(text, 123060480);
    EXPECT_EQ(vision, 303179776);
    EXPECT_EQ(s.params_total, text + vision + 768 * 768 + 1024 * 768 + 1);
    EXPECT_EQ(s.params_total, 427616513);
}

TEST(EncodersClip, HuggingFaceConfigMatchesZoo) {
    auto zoo = load_model("clip-vit-l14");
    auto hf = load_model(hf_path("clip-vit-large-patch14"));
    for (RunPhase p : {RunPhase::encode, RunPhase::train}) {
        const auto a = run(*zoo, p, 4), b = run(*hf, p, 4);
        EXPECT_EQ(a.params_total, b.params_total);
        EXPECT_DOUBLE_EQ(a.flops, b.flops);
    }
}

TEST(EncodersClip, TextTowerFlopsClosedForm) {
    // A CLIP text tower alone (CLIPTextModel), B=3 texts of S=20 tokens, quick_gelu (5 FLOPs/elem).
    json j = {{"model_type", "clip_text_model"}, {"hidden_size", 64},  {"intermediate_size", 256},
              {"num_hidden_layers", 2},          {"num_attention_heads", 4}, {"max_position_embeddings", 32},
              {"vocab_size", 1000}};
    const std::string path = write_temp(j, "clip_text");
    auto m = load_model(path);
    const double B = 3, S = 20, d = 64, f = 256, h = 4;
    // Embeddings: gathers cost nothing, the position add B*S*d; 2 blocks; final LayerNorm 7*B*S*d.
    const double expected = B * S * d + 2 * block_flops(B, S, d, h, f, 5) + 7 * B * S * d;
    const auto w = m->build([&] {
        RunSpec r;
        r.phase = RunPhase::encode;
        r.batch = 3;
        r.input_len = 20;
        return r;
    }());
    EXPECT_DOUBLE_EQ(summarize(w).flops, expected);
    // Parameters: 1000*64 + 32*64 + 2 * (4*64*64 + 4*64 + 2*64*256 + 256 + 64 + 4*64) + 2*64.
    EXPECT_EQ(summarize(w).params_total, 1000 * 64 + 32 * 64 + 2 * (4 * 64 * 64 + 4 * 64 + 2 * 64 * 256 + 256 + 64 + 4 * 64) + 2 * 64);
    // CLIP's text tower is causal.
    const Op* attn = find_op(*w.stages[0].graph, "text_model.encoder.layers.1.attn");
    ASSERT_NE(attn, nullptr);
    EXPECT_TRUE(std::get<AttentionDims>(attn->dims).causal);
    EXPECT_EQ(w.stages[0].graph->op(0).component, "text");
    std::filesystem::remove(path);
}

TEST(EncodersClip, DualEncoderFlopsClosedForm) {
    // clip-vit-l14, B=2 image-text pairs, 77 tokens.
    auto m = load_model("clip-vit-l14");
    const double B = 2;
    // Vision: T = 1 + (224/14)^2 = 257 tokens, d=1024, 16 heads, f=4096.
    const double T = 257, dv = 1024;
    const double vision = 2 * B * dv * 256 * 3 * 14 * 14  // patch conv, no bias
                          + B * T * dv                    // position add
                          + 7 * B * T * dv                // pre_layrnorm
                          + 24 * block_flops(B, T, dv, 16, 4096, 5) + 7 * B * dv;  // post_layernorm on CLS
    const double S = 77, dt = 768;
    const double text = B * S * dt + 12 * block_flops(B, S, dt, 12, 3072, 5) + 7 * B * S * dt;
    const double p = 768;
    const double head = 2 * B * dv * p + 2 * B * dt * p  // visual_projection, text_projection
                        + 2 * 3 * B * p                  // L2 normalisation, 3 per element
                        + 2 * B * B * p                  // text_embeds @ image_embeds.T
                        + 1 + B * B;                     // exp(logit_scale) and the multiply
    const auto s = run(*m, RunPhase::encode, 2);
    EXPECT_DOUBLE_EQ(s.flops, vision + text + head);
    EXPECT_EQ(s.stage_count, 1);
}

TEST(EncodersClip, StandaloneTowersAndTheirTokens) {
    json full = read_json(hf_path("clip-vit-large-patch14"));
    json text = full["text_config"];
    json vision = full["vision_config"];
    const std::string tp = write_temp(text, "clip_t"), vp = write_temp(vision, "clip_v");
    auto tm = load_model(tp);
    auto vm = load_model(vp);
    EXPECT_EQ(run(*tm, RunPhase::encode).params_total, 123060480);
    EXPECT_EQ(run(*vm, RunPhase::encode).params_total, 303179776);
    RunSpec r;
    r.phase = RunPhase::encode;
    EXPECT_EQ(vm->build(r).run.input_len, 257);  // tokens per image
    EXPECT_EQ(tm->build(r).run.input_len, 77);
    r.input_len = 100;
    EXPECT_THROW(vm->build(r), fmsim::ScenarioError);
    EXPECT_THROW(tm->build(r), fmsim::ScenarioError);  // 100 > 77 positions
    r.input_len = 0;
    r.phase = RunPhase::train;
    EXPECT_THROW(tm->build(r), fmsim::ScenarioError);
    std::filesystem::remove(tp);
    std::filesystem::remove(vp);
}

TEST(EncodersClip, PhasesAndContrastiveTraining) {
    auto m = load_model("clip-vit-l14");
    EXPECT_EQ(m->default_phase(), RunPhase::encode);
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::sample}) {
        RunSpec r;
        r.phase = p;
        EXPECT_THROW(m->build(r), fmsim::ScenarioError);
    }
    const auto enc = run(*m, RunPhase::encode, 8);
    const auto tr = run(*m, RunPhase::train, 8);
    EXPECT_EQ(tr.params_trainable, tr.params_total);
    EXPECT_GT(tr.gradient_bytes, 0);
    // Backward costs about twice the forward: the step is 2.5x-3.5x the encode FLOPs.
    EXPECT_GT(tr.flops, 2.5 * enc.flops);
    EXPECT_LT(tr.flops, 3.5 * enc.flops);
}

TEST(EncodersClip, BadConfigsNameFileAndPointer) {
    const json good = read_json(hf_path("clip-vit-large-patch14"));
    json j = good;
    j["text_config"]["hidden_sise"] = 768;
    expect_config_error(j, "/text_config/hidden_sise", "unknown key");
    j = good;
    j["vision_config"]["num_hidden_layers"] = "24";
    expect_config_error(j, "/vision_config/num_hidden_layers", "expected an integer");
    j = good;
    j["text_config"]["num_attention_heads"] = 7;
    j.erase("text_config_dict");
    expect_config_error(j, "/text_config/hidden_size", "multiple of num_attention_heads (7)");
    // With the legacy override dictionary, the error names the value that was used: the dict's.
    j = good;
    j["text_config_dict"]["num_attention_heads"] = 7;
    expect_config_error(j, "/text_config_dict/hidden_size", "multiple of num_attention_heads (7)");
    j = good;
    j["vision_config_dict"]["patch_size"] = 0;
    expect_config_error(j, "/vision_config_dict/patch_size", "expected an integer >= 1");
    j = good;
    j["vision_config"]["model_type"] = "clip_text_model";
    expect_config_error(j, "/vision_config/model_type", "clip_vision_model");
    j = good;
    j.erase("vision_config");
    expect_config_error(j, "", "missing required key 'vision_config'");
    j = good;
    j["text_config"]["pruned_heads"] = {{"0", {1, 2}}};
    expect_config_error(j, "/text_config/pruned_heads", "pruned attention heads are not modelled");
}

TEST(EncodersClip, LegacyConfigDictOverridesTower) {
    // CLIPConfig applies text_config_dict over text_config: a 6-layer override builds 6 layers.
    json j = read_json(hf_path("clip-vit-large-patch14"));
    j["text_config_dict"]["num_hidden_layers"] = 6;
    const std::string path = write_temp(j, "clip_dict");
    auto m = load_model(path);
    const auto full = run(*load_model("clip-vit-l14"), RunPhase::encode);
    const auto cut = run(*m, RunPhase::encode);
    EXPECT_EQ(full.params_total - cut.params_total,
              6 * (4LL * 768 * 768 + 4 * 768 + 2LL * 768 * 3072 + 3072 + 768 + 4 * 768));
    std::filesystem::remove(path);
}

// ---------------------------------------------------------------------------------------------
// BERT

namespace {
// BertModel + BertForPreTraining heads for d, L, f, V=30522, 512 positions, 2 token types:
// embeddings V*d + 512*d + 2*d + LayerNorm 2d; per layer 4d^2 + 4d + 2df + f + d + 4d (two LNs);
// pooler d^2 + d; MLM head d^2 + d + 2d + V (decoder tied); NSP head 2d + 2.
std::int64_t bert_checkpoint_params(std::int64_t d, std::int64_t layers, std::int64_t f) {
    const std::int64_t V = 30522;
    return V * d + 512 * d + 2 * d + 2 * d + layers * (4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d) + (d * d + d) +
           (d * d + d + 2 * d + V) + (2 * d + 2);
}
}  // namespace

TEST(EncodersBert, ZooParamsMatchPublishedAndCheckpoint) {
    expect_published("bert-base", RunPhase::encode);
    expect_published("bert-large", RunPhase::encode);
    EXPECT_EQ(bert_checkpoint_params(768, 12, 3072), 110106428);  // the Hub's safetensors count
    EXPECT_EQ(run(*load_model("bert-base"), RunPhase::encode).params_total, 110106428);
    EXPECT_EQ(run(*load_model("bert-large"), RunPhase::encode).params_total, bert_checkpoint_params(1024, 24, 4096));
}

TEST(EncodersBert, PretrainingHeadsAreTheSameWeightsInEveryPhase) {
    auto m = load_model("bert-base");
    const auto enc = run(*m, RunPhase::encode, 2, 128);
    const auto tr = run(*m, RunPhase::train, 2, 128);
    EXPECT_EQ(enc.params_total, tr.params_total);
    EXPECT_EQ(tr.params_trainable, tr.params_total);
    // BertModel alone (what encode runs): 109,482,240, the well-known count of bert-base-uncased's
    // AutoModel; the heads (622,650 + 1,538) are registered but not run.
    RunSpec r;
    r.phase = RunPhase::encode;
    const Workload w = m->build(r);
    EXPECT_EQ(weights_under(w, "bert."), 109482240);
    EXPECT_EQ(weights_under(w, "cls."), 622650 + 1538);
}

TEST(EncodersBert, HuggingFaceConfigMatchesZoo) {
    auto zoo = load_model("bert-base");
    auto hf = load_model(hf_path("bert-base-uncased"));
    for (RunPhase p : {RunPhase::encode, RunPhase::train}) {
        const auto a = run(*zoo, p, 2, 256), b = run(*hf, p, 2, 256);
        EXPECT_EQ(a.params_total, b.params_total);
        EXPECT_DOUBLE_EQ(a.flops, b.flops);
    }
}

TEST(EncodersBert, EncodeFlopsClosedForm) {
    // bert-base, B=2 sequences of S=128 tokens, GELU (erf form, 5 FLOPs per element).
    auto m = load_model("bert-base");
    const double B = 2, S = 128, d = 768;
    const double embeddings = B * S * d      // word + token-type
                              + B * S * d    // + positions
                              + 7 * B * S * d;  // embedding LayerNorm
    const double pooler = 2 * B * d * d + B * d  // dense on [CLS]
                          + B * d;               // tanh
    EXPECT_DOUBLE_EQ(run(*m, RunPhase::encode, 2, 128).flops,
                     embeddings + 12 * block_flops(B, S, d, 12, 3072, 5) + pooler);
}

TEST(EncodersBert, PostNormBlocksAndTiedMlmDecoder) {
    auto m = load_model("bert-base");
    RunSpec r;
    r.phase = RunPhase::train;
    r.batch = 2;
    r.input_len = 64;
    const Workload w = m->build(r);
    const OpGraph& g = *w.stages[0].graph;
    // Post-LN: the attention LayerNorm reads the residual sum, after o_proj.
    OpId o_proj = 0, attn_norm = 0, residual = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        if (g.op(i).phase != Phase::forward) continue;
        if (g.op(i).name == "bert.encoder.layer.0.o_proj") o_proj = i;
        if (g.op(i).name == "bert.encoder.layer.0.attn_norm") attn_norm = i;
        if (g.op(i).name == "bert.encoder.layer.0.attn_norm_residual") residual = i;
    }
    ASSERT_GT(attn_norm, 0u);
    EXPECT_LT(o_proj, residual);
    EXPECT_LT(residual, attn_norm);
    EXPECT_EQ(g.op(attn_norm).inputs.at(0), g.op(residual).outputs.at(0));
    // The MLM decoder reads the whole word-embedding table: 30522 x 768.
    const Op* dec = find_op(g, "cls.predictions.decoder");
    ASSERT_NE(dec, nullptr);
    bool reads_table = false;
    for (const auto& t : dec->reads)
        if (t.name == "bert.embeddings.word_embeddings.weight") reads_table = t.shape == Shape{30522, 768};
    EXPECT_TRUE(reads_table);
    // 2 * rows * d * V + rows * V, rows = 128.
    EXPECT_DOUBLE_EQ(dec->flops, 2.0 * 128 * 768 * 30522 + 128.0 * 30522);
    EXPECT_NE(find_op(g, "cls.seq_relationship"), nullptr);
    EXPECT_NE(find_op(g, "cls.mlm_loss"), nullptr);
    EXPECT_NE(find_op(g, "cls.nsp_loss"), nullptr);
}

TEST(EncodersBert, LengthsAndPhases) {
    auto m = load_model("bert-base");
    RunSpec r;
    r.phase = RunPhase::encode;
    EXPECT_EQ(m->build(r).run.input_len, 512);
    r.input_len = 513;
    EXPECT_THROW(m->build(r), fmsim::ScenarioError);
    r.input_len = 0;
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::generate}) {
        r.phase = p;
        EXPECT_THROW(m->build(r), fmsim::ScenarioError);
    }
    // A 128-position BERT defaults to its 128 positions.
    json j = read_json(hf_path("bert-base-uncased"));
    j["max_position_embeddings"] = 128;
    const std::string path = write_temp(j, "bert128");
    r.phase = RunPhase::encode;
    EXPECT_EQ(load_model(path)->build(r).run.input_len, 128);
    std::filesystem::remove(path);
}

TEST(EncodersBert, BadConfigsNameFileAndPointer) {
    const json good = read_json(hf_path("bert-base-uncased"));
    json j = good;
    j["position_embedding_type"] = "relative_key";
    expect_config_error(j, "/position_embedding_type", "expected one of \"absolute\"");
    j = good;
    j["vocab_size"] = "30522";
    expect_config_error(j, "/vocab_size", "expected an integer >= 1, got string");
    j = good;
    j["hidden_sizes"] = 768;
    expect_config_error(j, "/hidden_sizes", "did you mean 'hidden_size'");
    j = good;
    j.erase("num_hidden_layers");
    expect_config_error(j, "", "missing required key 'num_hidden_layers'");
    j = good;
    j["num_attention_heads"] = 10;
    expect_config_error(j, "/hidden_size", "multiple of num_attention_heads (10)");
}

// ---------------------------------------------------------------------------------------------
// ViT and DeiT

namespace {
// ViT with bias everywhere, `classes` heads: patch conv C*p^2*d + d, class token d, positions
// T*d, per layer 4d^2 + 4d + 2df + f + d + 4d, final LayerNorm 2d, classifier d*classes + classes.
std::int64_t vit_params(std::int64_t d, std::int64_t layers, std::int64_t f, std::int64_t patch, std::int64_t image,
                        std::int64_t classes) {
    const std::int64_t grid = image / patch, T = 1 + grid * grid;
    return 3 * patch * patch * d + d + d + T * d + layers * (4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d) + 2 * d +
           d * classes + classes;
}
}  // namespace

TEST(EncodersVit, ZooParamsMatchPublished) {
    for (const char* name : {"vit-b16", "vit-l16", "vit-h14", "deit-tiny", "deit-small", "deit-base"})
        expect_published(name, RunPhase::encode);
    EXPECT_EQ(vit_params(768, 12, 3072, 16, 224, 1000), 86567656);  // google/vit-base-patch16-224
    EXPECT_EQ(run(*load_model("vit-b16"), RunPhase::encode).params_total, 86567656);
    EXPECT_EQ(run(*load_model("deit-tiny"), RunPhase::encode).params_total, 5717416);
    EXPECT_EQ(run(*load_model("vit-h14"), RunPhase::encode).params_total, vit_params(1280, 32, 5120, 14, 224, 1000));
}

TEST(EncodersVit, HuggingFaceConfigMatchesZoo) {
    // The Hub config names its 1000 classes in id2label; the zoo entry says num_labels.
    auto zoo = load_model("vit-b16");
    auto hf = load_model(hf_path("vit-base-patch16-224"));
    for (RunPhase p : {RunPhase::encode, RunPhase::train}) {
        const auto a = run(*zoo, p, 8), b = run(*hf, p, 8);
        EXPECT_EQ(a.params_total, b.params_total);
        EXPECT_DOUBLE_EQ(a.flops, b.flops);
    }
}

TEST(EncodersVit, DeitTinyFlopsClosedForm) {
    // DeiT-Ti, B=2 images of 224 px: 196 patches + class token = 197 tokens, d=192, 3 heads.
    auto m = load_model("deit-tiny");
    const double B = 2, T = 197, d = 192;
    const double expected = 2 * B * d * 196 * 3 * 16 * 16 + B * d * 196  // patch conv with bias
                            + B * T * d                                    // position add
                            + 12 * block_flops(B, T, d, 3, 768, 5)         // blocks (GELU)
                            + 7 * B * T * d                                // final LayerNorm
                            + 2 * B * d * 1000 + B * 1000;                 // classifier on [CLS]
    EXPECT_DOUBLE_EQ(run(*m, RunPhase::encode, 2).flops, expected);
    RunSpec r;
    r.phase = RunPhase::encode;
    EXPECT_EQ(m->build(r).run.input_len, 197);
    r.input_len = 50;
    EXPECT_THROW(m->build(r), fmsim::ScenarioError);
}

TEST(EncodersVit, QkvBiasAndBackboneWithoutClassifier) {
    json j = read_json(hf_path("vit-base-patch16-224"));
    const auto full = run(*load_model("vit-b16"), RunPhase::encode);
    json no_bias = j;
    no_bias["qkv_bias"] = false;
    const std::string p1 = write_temp(no_bias, "vit_nobias");
    EXPECT_EQ(full.params_total - run(*load_model(p1), RunPhase::encode).params_total, 12 * 3 * 768);
    json backbone = j;
    backbone.erase("id2label");
    backbone.erase("label2id");
    const std::string p2 = write_temp(backbone, "vit_backbone");
    auto bb = load_model(p2);
    EXPECT_EQ(full.params_total - run(*bb, RunPhase::encode).params_total, 768 * 1000 + 1000);
    RunSpec r;
    r.phase = RunPhase::train;
    EXPECT_THROW(bb->build(r), fmsim::ScenarioError);  // nothing to train a loss on
    std::filesystem::remove(p1);
    std::filesystem::remove(p2);
}

TEST(EncodersVit, TrainingStep) {
    auto m = load_model("deit-small");
    const auto enc = run(*m, RunPhase::encode, 16);
    const auto tr = run(*m, RunPhase::train, 16);
    EXPECT_EQ(tr.params_trainable, tr.params_total);
    EXPECT_GT(tr.flops, 2.5 * enc.flops);
    EXPECT_LT(tr.flops, 3.5 * enc.flops);
}

TEST(EncodersVit, BadConfigsNameFileAndPointer) {
    const json good = read_json(hf_path("vit-base-patch16-224"));
    json j = good;
    j["num_labels"] = 10;
    expect_config_error(j, "/num_labels", "expected the number of id2label entries (1000), got 10");
    j = good;
    j["patch_size"] = 256;
    expect_config_error(j, "/patch_size", "expected at most image_size (224)");
    j = good;
    j["id2label"] = json::array();
    expect_config_error(j, "/id2label", "expected a non-empty object");
    j = good;
    j["qkv_bias"] = "yes";
    expect_config_error(j, "/qkv_bias", "expected true or false");
    j = good;
    j["pruned_heads"] = {{"3", {0}}};
    expect_config_error(j, "/pruned_heads", "not modelled");
}

// ---------------------------------------------------------------------------------------------
// LLaVA

namespace {
// CLIP ViT-L/14 at 336 px: (336/14)^2 + 1 = 577 positions; 24 blocks; pre_layrnorm and
// post_layernorm (CLIPVisionModel holds both).
constexpr std::int64_t kLlavaVision = 3LL * 14 * 14 * 1024 + 1024 + 577 * 1024 + 2 * 1024 +
                                      24 * (4LL * 1024 * 1024 + 4 * 1024 + 2LL * 1024 * 4096 + 4096 + 1024 + 4 * 1024) +
                                      2 * 1024;
// linear_1 1024 -> 4096 and linear_2 4096 -> 4096, with biases.
constexpr std::int64_t kLlavaProjector = 1024LL * 4096 + 4096 + 4096LL * 4096 + 4096;
// Vicuna-7B with 32,064 vocabulary rows: embed + lm_head 2*V*d, 32 layers of 4d^2 (attention) +
// 3*d*11008 (SwiGLU) + 2d (RMSNorms), final norm d.
constexpr std::int64_t kLlavaLm = 2LL * 32064 * 4096 + 32 * (4LL * 4096 * 4096 + 3LL * 4096 * 11008 + 2 * 4096) + 4096;

Workload build(const Model& m, RunPhase phase, std::int64_t batch, std::int64_t input_len, std::int64_t output_len = 0) {
    RunSpec r;
    r.phase = phase;
    r.batch = batch;
    r.input_len = input_len;
    r.output_len = output_len;
    return m.build(r);
}
}  // namespace

TEST(EncodersLlava, ZooParamsMatchPublishedAndHandCount) {
    expect_published("llava-1.5-7b", RunPhase::prefill);
    EXPECT_EQ(kLlavaVision, 303507456);
    const auto m = load_model("llava-1.5-7b");
    EXPECT_EQ(run(*m, RunPhase::prefill, 1, 64).params_total, kLlavaVision + kLlavaProjector + kLlavaLm);
    // The same weights in every phase: decode registers the (idle) tower and projector.
    for (RunPhase p : {RunPhase::decode, RunPhase::generate, RunPhase::train})
        EXPECT_EQ(run(*m, p, 1, 700, 3).params_total, kLlavaVision + kLlavaProjector + kLlavaLm);
}

TEST(EncodersLlava, HuggingFaceConfigMatchesZoo) {
    auto zoo = load_model("llava-1.5-7b");
    auto hf = load_model(hf_path("llava-1.5-7b-hf"));
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::train}) {
        const auto a = run(*zoo, p, 2, 700), b = run(*hf, p, 2, 700);
        EXPECT_EQ(a.params_total, b.params_total);
        EXPECT_DOUBLE_EQ(a.flops, b.flops);
    }
}

TEST(EncodersLlava, LanguageModelIsVicuna7b) {
    // Every Vicuna-7B weight is in LLaVA's language model with the same shape, except that the
    // embedding table and the LM head carry the 64 rows llava-hf added to the vocabulary.
    const Workload vicuna = build(*load_model("vicuna-7b"), RunPhase::prefill, 1, 64);
    const Workload llava = build(*load_model("llava-1.5-7b"), RunPhase::prefill, 1, 64);
    const OpGraph& lg = *llava.stages[0].graph;
    std::int64_t vicuna_params = 0;
    for (const Weight& w : vicuna.stages[0].graph->weights()) {
        vicuna_params += w.elements();
        const Weight* l = lg.find_weight("language_model." + w.name);
        ASSERT_NE(l, nullptr) << w.name;
        Shape expected = w.shape;
        if (w.name == "embed_tokens.weight") expected[0] += 64;
        if (w.name == "lm_head.weight") expected[1] += 64;
        EXPECT_EQ(l->shape, expected) << w.name;
    }
    EXPECT_EQ(vicuna_params, run(*load_model("vicuna-7b"), RunPhase::prefill, 1, 64).params_total);
    EXPECT_EQ(weights_under(llava, "language_model."), vicuna_params + 2 * 64 * 4096);
}

TEST(EncodersLlava, PrefillIsVisionPlusProjectorPlusDecoderOverImageAndPrompt) {
    const std::int64_t B = 2, S = 100, T = 576;
    auto m = load_model("llava-1.5-7b");
    const Workload w = build(*m, RunPhase::prefill, B, S);
    // The vision tower alone (same CLIP config) and the language model alone (a llama config with
    // LLaVA's vocabulary over T + S tokens): LLaVA's prefill is their sum plus the projector.
    json full = read_json(hf_path("llava-1.5-7b-hf"));
    const std::string vp = write_temp(full["vision_config"], "llava_v");
    json lm = read_json((config_dir() / "models" / "vicuna-7b.json").string());
    lm.erase("fmsim");
    lm["vocab_size"] = 32064;
    const std::string lp = write_temp(lm, "llava_lm");
    const double vision = run(*load_model(vp), RunPhase::encode, B).flops;
    const double decoder = run(*load_model(lp), RunPhase::prefill, B, T + S).flops;
    // linear_1, GELU (5 per element), linear_2, each linear with its bias add.
    const double projector = 2.0 * B * T * 1024 * 4096 + 1.0 * B * T * 4096 + 5.0 * B * T * 4096 +
                             2.0 * B * T * 4096 * 4096 + 1.0 * B * T * 4096;
    EXPECT_DOUBLE_EQ(summarize(w).flops, vision + projector + decoder);
    // The KV cache holds image and prompt tokens: 2 (K, V) * 32 layers * 4096 * (576 + 100) * B * 2 bytes.
    EXPECT_EQ(w.stages[0].kv_cache_bytes, 2LL * 32 * 4096 * (T + S) * B * 2);
    // vision_feature_layer -2: the projector reads the output of block 22 of 24 (hidden_states[23]),
    // without the class token.
    const OpGraph& g = *w.stages[0].graph;
    const Op* proj = find_op(g, "multi_modal_projector.linear_1");
    ASSERT_NE(proj, nullptr);
    const Value& in = g.value(proj->inputs.at(0));
    ASSERT_TRUE(in.producer.has_value());
    EXPECT_EQ(g.op(*in.producer).component, "vision");
    EXPECT_EQ(g.op(*in.producer).layer, 22);
    EXPECT_EQ(proj->reads.at(0).shape, (Shape{B, T, 1024}));
    std::filesystem::remove(vp);
    std::filesystem::remove(lp);
}

TEST(EncodersLlava, DecodeReadsTheWholeContextFromTheCache) {
    auto m = load_model("llava-1.5-7b");
    const std::int64_t B = 4, ctx = 1000;  // input_len of a decode step = the whole context
    const Workload w = build(*m, RunPhase::decode, B, ctx);
    ASSERT_EQ(w.stages.size(), 1u);
    EXPECT_EQ(w.stages[0].kv_cache_bytes, 2LL * 32 * 4096 * (ctx + 1) * B * 2);
    const Op* attn = find_op(*w.stages[0].graph, "language_model.layers.0.attn");
    ASSERT_NE(attn, nullptr);
    EXPECT_EQ(attn->bytes_read(TensorClass::kv_cache), 2LL * B * ctx * 4096 * 2);
    EXPECT_EQ(std::get<AttentionDims>(attn->dims).seq_kv, ctx + 1);
    // No vision op runs in a decode step.
    for (OpId i = 0; i < w.stages[0].graph->op_count(); ++i)
        EXPECT_EQ(w.stages[0].graph->op(i).component, "decoder");
    EXPECT_THROW(build(*m, RunPhase::decode, 1, 500), fmsim::ScenarioError);  // < 576 image tokens
    EXPECT_THROW(build(*m, RunPhase::encode, 1, 0), fmsim::ScenarioError);
}

TEST(EncodersLlava, GenerateIsPrefillThenDecodeSteps) {
    auto m = load_model("llava-1.5-7b");
    const Workload w = build(*m, RunPhase::generate, 1, 50, 4);
    ASSERT_EQ(w.stages.size(), 4u);  // prefill (first token) + 3 decode steps
    EXPECT_EQ(w.stages[0].name, "prefill");
    EXPECT_EQ(w.stages[3].name, "decode@" + std::to_string(576 + 50 + 2));
    const double prefill = summarize(build(*m, RunPhase::prefill, 1, 50)).flops;
    double decodes = 0;
    for (std::int64_t ctx : {626, 627, 628}) decodes += summarize(build(*m, RunPhase::decode, 1, ctx)).flops;
    EXPECT_DOUBLE_EQ(summarize(w).flops, prefill + decodes);
}

TEST(EncodersLlava, TrainingFreezesTheVisionTower) {
    auto m = load_model("llava-1.5-7b");
    const Workload w = build(*m, RunPhase::train, 1, 128);
    const auto s = summarize(w);
    EXPECT_EQ(s.params_trainable, s.params_total - kLlavaVision);
    const OpGraph& g = *w.stages[0].graph;
    std::int64_t vision_backward = 0, decoder_backward = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        if (g.op(i).phase != Phase::backward) continue;
        if (g.op(i).component == "vision") ++vision_backward;
        if (g.op(i).component == "decoder") ++decoder_backward;
    }
    EXPECT_EQ(vision_backward, 0);
    EXPECT_GT(decoder_backward, 0);
    // The loss reads the text positions only: 128 rows of 32,064 logits.
    const Op* loss = find_op(g, "language_model.loss");
    ASSERT_NE(loss, nullptr);
    EXPECT_EQ(loss->reads.at(0).shape, (Shape{128, 32064}));
}

TEST(EncodersLlava, BadConfigsNameFileAndPointer) {
    const json good = read_json(hf_path("llava-1.5-7b-hf"));
    json j = good;
    j["image_seq_length"] = 577;
    expect_config_error(j, "/image_seq_length", "expected 576");
    j = good;
    j["vision_feature_layer"] = 30;
    expect_config_error(j, "/vision_feature_layer", "expected a hidden-state index in [-25, 24]");
    j = good;
    j["vision_feature_layer"] = json::array({-2, -40});
    expect_config_error(j, "/vision_feature_layer/1", "hidden-state index");
    j = good;
    j["vision_feature_select_stratgy"] = "default";
    expect_config_error(j, "/vision_feature_select_stratgy", "did you mean 'vision_feature_select_strategy'");
    j = good;
    j["text_config"]["hidden_size"] = "4096";
    expect_config_error(j, "/text_config/hidden_size", "expected an integer");
    j = good;
    j["vision_config"]["hidden_size"] = 1000;
    expect_config_error(j, "/vision_config/hidden_size", "multiple of num_attention_heads (16)");
    j = good;
    j["text_config"]["model_type"] = 7;
    expect_config_error(j, "/text_config/model_type", "expected \"llama\" or \"mistral\"");
}

TEST(EncodersLlava, FullStrategyAndMultiLayerFeatures) {
    json j = read_json(hf_path("llava-1.5-7b-hf"));
    j["vision_feature_select_strategy"] = "full";
    j["vision_feature_layer"] = json::array({-2, -5});
    const std::string path = write_temp(j, "llava_full");
    auto m = load_model(path);
    const Workload w = build(*m, RunPhase::prefill, 1, 10);
    // 577 tokens (class token kept) of 2 x 1024 features; the projector's first layer is 2048 wide.
    EXPECT_EQ(w.stages[0].kv_cache_bytes, 2LL * 32 * 4096 * (577 + 10) * 2);
    EXPECT_EQ(summarize(w).params_total, kLlavaVision + kLlavaProjector + 1024LL * 4096 + kLlavaLm);
    std::filesystem::remove(path);
}

// ---------------------------------------------------------------------------------------------
// ImageBind

namespace {
// One BlockWithMasking of width d (MLP 4d, biases, two LayerNorms), plus bias_k and bias_v.
constexpr std::int64_t ib_block(std::int64_t d, bool bias_kv) {
    return 4 * d * d + 4 * d + 2 * d * 4 * d + 4 * d + d + 4 * d + (bias_kv ? 2 * d : 0);
}
// Counted from the released imagebind_model.py (imagebind_huge), out_embed_dim 1024:
// vision: Conv3d 3x2x14x14 -> 1280 (no bias), class token, 257 positions, pre-transformer LN,
//         32 blocks, head LN + 1280x1024 projection.
constexpr std::int64_t kIbVision = 3LL * 2 * 14 * 14 * 1280 + 1280 + 257 * 1280 + 2 * 1280 + 32 * ib_block(1280, false) +
                                   2 * 1280 + 1280LL * 1024;
// text: 49408 x 1024 tokens, 77 positions, 24 causal blocks, head LN + 1024x1024, logit scale.
constexpr std::int64_t kIbText = 49408LL * 1024 + 77 * 1024 + 24 * ib_block(1024, false) + 2 * 1024 + 1024LL * 1024 + 1;
// audio: Conv2d 1x16x16 -> 768 stride 10 on 128 x 204 -> 12 x 19 patches, stem LN, class token,
//        229 positions, 12 blocks with bias_kv, head LN + 768x1024.
constexpr std::int64_t kIbAudio = 16LL * 16 * 768 + 2 * 768 + 768 + 229 * 768 + 12 * ib_block(768, true) + 2 * 768 + 768LL * 1024;
// depth: Conv2d 1x16x16 -> 384 on 224 x 224 (196 patches), 197 positions, 12 blocks.
constexpr std::int64_t kIbDepth = 16LL * 16 * 384 + 2 * 384 + 384 + 197 * 384 + 12 * ib_block(384, true) + 2 * 384 + 384LL * 1024;
// thermal: as depth at width 768.
constexpr std::int64_t kIbThermal = 16LL * 16 * 768 + 2 * 768 + 768 + 197 * 768 + 12 * ib_block(768, true) + 2 * 768 + 768LL * 1024;
// IMU: Linear(6 x 8 = 48 -> 512, no bias) on 2000 / 8 = 250 windows, 251 positions, 6 blocks.
constexpr std::int64_t kIbImu = 48LL * 512 + 2 * 512 + 512 + 251 * 512 + 6 * ib_block(512, true) + 2 * 512 + 512LL * 1024;

// Block FLOPs where each of S queries attends to `keys` keys (bias_kv adds one):
// as block_flops, with QK^T and PV over `keys` and softmax over S x keys scores.
double ib_block_flops(double B, double S, double keys, double d, double h, double f, double act) {
    const double bs = B * S;
    return 14 * bs * d + (6 * bs * d * d + 3 * bs * d) + (4 * B * S * keys * d + 5 * B * h * S * keys) +
           (2 * bs * d * d + bs * d) + 2 * bs * d + (2 * bs * d * f + bs * f) + act * bs * f + (2 * bs * f * d + bs * d);
}

json imagebind_zoo() {
    json j = read_json((config_dir() / "models" / "imagebind-huge.json").string());
    j.erase("fmsim");
    return j;
}
}  // namespace

TEST(EncodersImageBind, ZooParamsMatchPublishedAndPerEncoderCounts) {
    expect_published("imagebind-huge", RunPhase::encode);
    auto m = load_model("imagebind-huge");
    RunSpec r;
    r.phase = RunPhase::encode;
    const Workload w = m->build(r);
    EXPECT_EQ(weights_under(w, "vision."), kIbVision);
    EXPECT_EQ(weights_under(w, "text."), kIbText);
    EXPECT_EQ(weights_under(w, "audio."), kIbAudio);
    EXPECT_EQ(weights_under(w, "depth."), kIbDepth);
    EXPECT_EQ(weights_under(w, "thermal."), kIbThermal);
    EXPECT_EQ(weights_under(w, "imu."), kIbImu);
    EXPECT_EQ(summarize(w).params_total, kIbVision + kIbText + kIbAudio + kIbDepth + kIbThermal + kIbImu);
    EXPECT_EQ(summarize(w).params_total, 1200781057);
    // The paper's per-encoder figures (Sec. 4.1) count the OpenCLIP Transformer trunks: ViT-H
    // 630M and text 302M.
    EXPECT_NEAR(static_cast<double>(weights_under(w, "vision.trunk.")), 630e6, 0.005 * 630e6);
    EXPECT_NEAR(static_cast<double>(weights_under(w, "text.trunk.")), 302e6, 0.005 * 302e6);
}

TEST(EncodersImageBind, TokensPerModality) {
    auto m = load_model("imagebind-huge");
    RunSpec r;
    r.phase = RunPhase::encode;
    const Workload w = m->build(r);
    const OpGraph& g = *w.stages[0].graph;
    // (queries, keys): bias_kv adds one key; audio 12 x 19 patches + class token.
    const std::pair<const char*, std::pair<std::int64_t, std::int64_t>> expected[] = {
        {"vision", {257, 257}}, {"text", {77, 77}},     {"audio", {229, 230}},
        {"depth", {197, 198}},  {"thermal", {197, 198}}, {"imu", {251, 252}}};
    for (const auto& [modality, qk] : expected) {
        const Op* attn = find_op(g, std::string(modality) + ".trunk.blocks.0.attn.attention");
        ASSERT_NE(attn, nullptr) << modality;
        const auto dims = std::get<AttentionDims>(attn->dims);
        EXPECT_EQ(dims.seq_q, qk.first) << modality;
        EXPECT_EQ(dims.seq_kv, qk.second) << modality;
        EXPECT_EQ(dims.causal, std::string(modality) == "text") << modality;
    }
    // The image encoder's stem is a Conv3d over the image repeated to 2 frames.
    const Op* stem = find_op(g, "vision.preprocessor.stem");
    ASSERT_NE(stem, nullptr);
    EXPECT_EQ(std::get<ConvDims>(stem->dims).kernel, (std::vector<std::int64_t>{2, 14, 14}));
    EXPECT_DOUBLE_EQ(stem->flops, 2.0 * 1280 * 256 * 3 * 2 * 14 * 14);
}

TEST(EncodersImageBind, ImuEncoderFlopsClosedForm) {
    // An IMU-only model: 6 channels x 100 samples in windows of 8 -> 12 tokens + class token,
    // d=64, 4 heads, 2 blocks with bias_kv (13 queries, 14 keys), output 32.
    json j = {{"model_type", "imagebind"},
              {"out_embed_dim", 32},
              {"imu_config",
               {{"stem", "linear"}, {"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                {"num_channels", 6}, {"input_size", {100}}, {"patch_size", 8}, {"logit_scale", 5.0}}}};
    const std::string path = write_temp(j, "ib_imu");
    auto m = load_model(path);
    const double B = 3, W = 12, T = 13, d = 64, out = 32;
    const double expected = 2 * B * W * 48 * d      // stem Linear(48 -> 64), no bias
                            + 7 * B * W * d         // stem LayerNorm
                            + B * T * d             // position add
                            + 2 * ib_block_flops(B, T, T + 1, d, 4, 4 * d, 5)  // blocks, GELU
                            + 7 * B * T * d         // head LayerNorm over every token
                            + 2 * B * d * out       // projection of the class token
                            + 3 * B * out           // L2 normalisation
                            + B * out;              // fixed logit scale
    EXPECT_DOUBLE_EQ(run(*m, RunPhase::encode, 3).flops, expected);
    std::filesystem::remove(path);
}

TEST(EncodersImageBind, TrainingUpdatesOnlyTheNewModalities) {
    auto m = load_model("imagebind-huge");
    const Workload w = build(*m, RunPhase::train, 4, 0);
    const auto s = summarize(w);
    EXPECT_EQ(s.params_total, 1200781057);
    EXPECT_EQ(s.params_trainable, kIbAudio + kIbDepth + kIbThermal + kIbImu);
    const OpGraph& g = *w.stages[0].graph;
    std::map<std::string, int> backward;
    bool text_runs = false;
    for (OpId i = 0; i < g.op_count(); ++i) {
        if (g.op(i).component == "text") text_runs = true;
        if (g.op(i).phase == Phase::backward) ++backward[g.op(i).component];
    }
    EXPECT_FALSE(text_runs);            // not part of any training pair
    EXPECT_EQ(backward["vision"], 0);   // frozen, and the loss does not flow into it
    for (const char* m2 : {"audio", "depth", "thermal", "imu"}) EXPECT_GT(backward[m2], 0) << m2;
    // Four (image, modality) pairs, each a B x B similarity and two cross-entropies.
    for (const char* m2 : {"audio", "depth", "thermal", "imu"}) {
        const Op* logits = find_op(g, std::string("loss_") + m2 + ".logits");
        ASSERT_NE(logits, nullptr) << m2;
        EXPECT_DOUBLE_EQ(logits->flops, 2.0 * 4 * 4 * 1024);
    }
}

TEST(EncodersImageBind, PhasesAndSubsets) {
    auto m = load_model("imagebind-huge");
    EXPECT_THROW(build(*m, RunPhase::prefill, 1, 0), fmsim::ScenarioError);
    EXPECT_THROW(build(*m, RunPhase::encode, 1, 78), fmsim::ScenarioError);
    // Vision and audio only: the sum of those two encoders; training needs the images.
    json j = imagebind_zoo();
    for (const char* k : {"text_config", "depth_config", "thermal_config", "imu_config"}) j.erase(k);
    const std::string p1 = write_temp(j, "ib_va");
    EXPECT_EQ(run(*load_model(p1), RunPhase::encode).params_total, kIbVision + kIbAudio);
    json no_vision = imagebind_zoo();
    no_vision["vision_config"] = nullptr;
    const std::string p2 = write_temp(no_vision, "ib_nov");
    EXPECT_THROW(build(*load_model(p2), RunPhase::train, 2, 0), fmsim::ScenarioError);
    EXPECT_EQ(run(*load_model(p2), RunPhase::encode).params_total, 1200781057 - kIbVision);
    std::filesystem::remove(p1);
    std::filesystem::remove(p2);
}

TEST(EncodersImageBind, BadConfigsNameFileAndPointer) {
    const json good = imagebind_zoo();
    json j = good;
    j["audio_config"]["input_size"] = {128};
    expect_config_error(j, "/audio_config/input_size", "expected [height, width]");
    j = good;
    j["imu_config"]["patch_stride"] = 4;
    expect_config_error(j, "/imu_config/patch_stride", "non-overlapping windows");
    j = good;
    j["depth_config"]["hidden_sise"] = 384;
    expect_config_error(j, "/depth_config/hidden_sise", "did you mean 'hidden_size'");
    j = good;
    j["thermal_config"]["patch_size"] = 300;
    expect_config_error(j, "/thermal_config/patch_size", "expected at most the input size (224)");
    j = good;
    j["text_config"]["model_type"] = "bert";
    expect_config_error(j, "/text_config/model_type", "clip_text_model");
    j = good;
    j["vision_config"]["hidden_act"] = "swish";
    expect_config_error(j, "/vision_config/hidden_act", "expected one of");
    j = good;
    j["audio_config"] = 5;
    expect_config_error(j, "/audio_config", "expected an object or null");
    json empty = {{"model_type", "imagebind"}, {"out_embed_dim", 1024}};
    expect_config_error(empty, "", "expected at least one encoder");
}
