// Stable Diffusion: per-component parameter counts of the released checkpoints, hand-derived FLOP
// closed forms of U-Net and VAE blocks, a published per-step FLOP figure, the stages of a sample
// run, the frozen parts of a training step, Hugging Face (diffusers) import and config errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <fstream>
#include <map>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;
using nlohmann::json;

namespace {

const std::string kZoo = "stable-diffusion-2.1";

RunSpec sample(std::int64_t batch = 1, std::int64_t steps = 0) {
    RunSpec r;
    r.phase = RunPhase::sample;
    r.batch = batch;
    r.steps = steps;
    return r;
}

std::map<std::string, std::int64_t> params_by_component(const Workload& w) {
    std::map<std::string, std::int64_t> out;
    std::map<std::string, bool> seen;
    for (const auto& st : w.stages)
        for (const auto& wt : st.graph->weights())
            if (!seen[wt.name]) {
                seen[wt.name] = true;
                out[wt.component] += wt.elements();
            }
    return out;
}

const Stage& stage(const Workload& w, const std::string& name) {
    for (const auto& s : w.stages)
        if (s.name == name) return s;
    throw std::runtime_error("no stage " + name);
}

// Sum of the FLOPs of the ops whose name starts with `prefix`.
double flops_under(const OpGraph& g, const std::string& prefix) {
    double f = 0;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name.rfind(prefix, 0) == 0) f += g.op(i).flops;
    return f;
}

double component_flops(const OpGraph& g, const std::string& component) {
    double f = 0;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).component == component) f += g.op(i).flops;
    return f;
}

const Op& op_named(const OpGraph& g, const std::string& name) {
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).name == name) return g.op(i);
    throw std::runtime_error("no op " + name);
}

json zoo_json() {
    std::ifstream in(config_dir() / "models" / (kZoo + ".json"));
    return json::parse(in);
}

// Writes `j` to a temporary file and loads it.
std::unique_ptr<Model> load_json(const json& j, const std::string& name) {
    const auto path = std::filesystem::path(testing::TempDir()) / (name + ".json");
    std::ofstream(path) << j.dump(2);
    return load_model(path.string());
}

// Stable Diffusion 1.5 (runwayml/stable-diffusion-v1-5): the same U-Net layout with 8 heads per
// block, 1x1-conv projections, cross-attention to CLIP ViT-L/14's 77x768 text states, 64x64
// latents (512 px).
json sd15_json() {
    json j = zoo_json();
    j.erase("fmsim");
    j["text_encoder"] = {{"model_type", "clip_text_model"}, {"hidden_size", 768},        {"intermediate_size", 3072},
                         {"num_hidden_layers", 12},         {"num_attention_heads", 12}, {"hidden_act", "quick_gelu"},
                         {"max_position_embeddings", 77},   {"vocab_size", 49408},       {"projection_dim", 768}};
    j["unet"]["cross_attention_dim"] = 768;
    j["unet"]["attention_head_dim"] = 8;
    j["unet"]["use_linear_projection"] = false;
    j["unet"]["sample_size"] = 64;
    j["vae"]["sample_size"] = 512;
    j["scheduler"]["prediction_type"] = "epsilon";
    return j;
}

}  // namespace

TEST(DiffusionParams, ComponentsMatchTheReleasedCheckpoint) {
    const auto m = load_model(kZoo);
    const auto w = m->build(sample());
    const auto by = params_by_component(w);
    // Parameter counts of stabilityai/stable-diffusion-2-1 as diffusers/transformers load it
    // (num_parameters()); the zoo file's source cites them. The SDXL report (Podell et al. 2023,
    // Table 1) labels the U-Net 865M.
    EXPECT_EQ(by.at("unet"), 865'910'724);
    EXPECT_NEAR(by.at("unet") / 865e6, 1.0, 0.005);
    EXPECT_EQ(by.at("text_encoder"), 340'387'840);
    EXPECT_EQ(by.at("vae"), 83'653'863);  // encoder + decoder + quant convs
    std::int64_t encoder = 0, decoder = 0;
    for (const auto& st : w.stages) {
        for (const auto& wt : st.graph->weights()) {
            if (wt.name.rfind("vae.encoder.", 0) == 0) encoder += wt.elements();
            if (wt.name.rfind("vae.decoder.", 0) == 0) decoder += wt.elements();
        }
    }
    EXPECT_EQ(encoder, 34'163'592);  // registered, not run, in the sample phase
    EXPECT_EQ(decoder, 49'490'179);
    EXPECT_EQ(by.size(), 3u);
    const auto s = summarize(w);
    EXPECT_EQ(s.params_total, 865'910'724 + 340'387'840 + 83'653'863);
    EXPECT_NEAR(s.params_total / *m->published_params, 1.0, 0.005);
}

TEST(DiffusionParams, TextEncoderClosedForm) {
    // OpenCLIP ViT-H/14 text tower as CLIPTextModel: V*d + 77*d + L*(4(d^2 + d) + 2 d F + F + d + 4d) + 2d.
    const std::int64_t d = 1024, F = 4096, L = 23, V = 49408;
    const std::int64_t expected = V * d + 77 * d + L * (4 * (d * d + d) + 2 * d * F + F + d + 4 * d) + 2 * d;
    EXPECT_EQ(expected, 340'387'840);
    EXPECT_EQ(params_by_component(load_model(kZoo)->build(sample())).at("text_encoder"), expected);
}

TEST(DiffusionParams, StableDiffusion15Variant) {
    // The same code with SD 1.5's settings gives the counts of runwayml/stable-diffusion-v1-5:
    // U-Net 859,520,964 (labelled 860M in the SDXL report), CLIP ViT-L/14 text 123,060,480.
    const auto by = params_by_component(load_json(sd15_json(), "sd15")->build(sample()));
    EXPECT_EQ(by.at("unet"), 859'520'964);
    EXPECT_EQ(by.at("text_encoder"), 123'060'480);
    EXPECT_EQ(by.at("vae"), 83'653'863);
}

TEST(DiffusionStages, SampleRunsTextEncoderUNetPerStepAndDecoder) {
    const auto w = load_model(kZoo)->build(sample(3));
    ASSERT_EQ(w.stages.size(), 3u);
    EXPECT_EQ(w.stages[0].name, "text_encoder");
    EXPECT_EQ(w.stages[0].repeat, 1);
    EXPECT_EQ(w.stages[1].name, "unet");
    EXPECT_EQ(w.stages[1].repeat, 50);  // diffusers StableDiffusionPipeline default num_inference_steps
    EXPECT_EQ(w.stages[2].name, "vae_decoder");
    EXPECT_EQ(w.stages[2].repeat, 1);
    EXPECT_EQ(w.run.steps, 50);
    EXPECT_EQ(w.run.input_len, 77);
    // Classifier-free guidance (guidance_scale 7.5 > 1): 3 prompts + 3 empty prompts.
    const auto& ids = stage(w, "text_encoder").graph->value(0).tensor;
    EXPECT_EQ(ids.name, "text_encoder.text_model.embeddings.input_ids");
    EXPECT_EQ(ids.shape, (Shape{6, 77}));
    const auto& conv_in = op_named(*stage(w, "unet").graph, "unet.conv_in");
    EXPECT_EQ(std::get<ConvDims>(conv_in.dims).batch, 6);
    EXPECT_EQ(std::get<ConvDims>(conv_in.dims).in_spatial, (std::vector<std::int64_t>{96, 96}));
    // The decoder makes 3 images of 768 x 768 from 96 x 96 latents.
    const auto& conv_out = op_named(*stage(w, "vae_decoder").graph, "vae.decoder.conv_out");
    EXPECT_EQ(std::get<ConvDims>(conv_out.dims).batch, 3);
    EXPECT_EQ(std::get<ConvDims>(conv_out.dims).out_spatial, (std::vector<std::int64_t>{768, 768}));
    EXPECT_EQ(std::get<ConvDims>(conv_out.dims).out_channels, 3);
    // The encoder's weights are counted but the sample phase runs no encoder op.
    for (const auto& st : w.stages) {
        for (OpId i = 0; i < st.graph->op_count(); ++i) {
            EXPECT_EQ(st.graph->op(i).name.rfind("vae.encoder.", 0), std::string::npos) << st.graph->op(i).name;
        }
    }
}

TEST(DiffusionStages, StepsOverrideAndTotals) {
    const auto m = load_model(kZoo);
    const auto w20 = m->build(sample(1, 20));
    EXPECT_EQ(stage(w20, "unet").repeat, 20);
    const auto w50 = m->build(sample(1));
    const double unet_step = summarize(Workload{"", "", w50.run, {stage(w50, "unet")}}).flops / 50;
    // Thirty fewer steps remove exactly thirty U-Net + guidance + scheduler iterations.
    EXPECT_NEAR((summarize(w50).flops - summarize(w20).flops) / (30 * unet_step), 1.0, 1e-9);
}

TEST(DiffusionStages, NoGuidanceHalvesTheUNetBatch) {
    json j = zoo_json();
    j["guidance_scale"] = 1.0;
    const auto plain = load_json(j, "sd21_no_cfg")->build(sample());
    const auto guided = load_model(kZoo)->build(sample());
    EXPECT_EQ(std::get<ConvDims>(op_named(*stage(plain, "unet").graph, "unet.conv_in").dims).batch, 1);
    // Every U-Net and text encoder op is linear in the batch.
    EXPECT_DOUBLE_EQ(component_flops(*stage(guided, "unet").graph, "unet"),
                     2 * component_flops(*stage(plain, "unet").graph, "unet"));
    EXPECT_DOUBLE_EQ(component_flops(*stage(guided, "text_encoder").graph, "text_encoder"),
                     2 * component_flops(*stage(plain, "text_encoder").graph, "text_encoder"));
    EXPECT_EQ(component_flops(*stage(plain, "unet").graph, "guidance"), 0);
}

TEST(DiffusionFlops, ResnetBlockClosedForm) {
    // down_blocks.0.resnets.0: C = 320 -> 320 at 96 x 96 (P pixels), N = 2 latents (CFG), time
    // embedding T = 1280. Per element of [N, C, P]: GroupNorm 7 (x2), SiLU 4 (x2), conv bias 1
    // (x2), time add 1, residual 1; two 3x3 convs 2*9*C*C per pixel; time path SiLU 4T and
    // Linear 2TC + C per latent.
    const double N = 2, C = 320, P = 96.0 * 96, T = 1280;
    const double expected = N * C * P * (7 + 4 + 1 + 1 + 7 + 4 + 1 + 1) + 2 * (2 * 9 * C * C * P * N) + N * (4 * T) +
                            N * (2 * T * C + C);
    const auto w = load_model(kZoo)->build(sample());
    EXPECT_DOUBLE_EQ(flops_under(*stage(w, "unet").graph, "unet.down_blocks.0.resnets.0."), expected);
}

TEST(DiffusionFlops, TransformerBlockClosedForm) {
    // down_blocks.0.attentions.0: Transformer2DModel over S = 96*96 tokens of C = 320 channels,
    // 5 heads of 64, cross-attention to M = 77 text states of D = 1024, N = 2 (CFG).
    const double N = 2, C = 320, S = 96.0 * 96, M = 77, D = 1024, h = 5;
    const double NSC = N * S * C;
    const double group_norm = 7 * NSC, proj = 2 * NSC * C + NSC;  // proj_in and proj_out each
    const double self_attn = 7 * NSC /*norm1*/ + 3 * 2 * NSC * C /*q,k,v*/ + 4 * N * S * S * C + 5 * N * h * S * S +
                             2 * NSC * C + NSC /*to_out*/ + NSC /*residual*/;
    const double cross_attn = 7 * NSC + 2 * NSC * C /*q*/ + 2 * (2 * N * M * D * C) /*k,v from text*/ +
                              4 * N * S * M * C + 5 * N * h * S * M + 2 * NSC * C + NSC + NSC;
    const double ffn = 7 * NSC + (2 * NSC * 8 * C + N * S * 8 * C) /*GEGLU proj*/ + 6 * N * S * 4 * C /*gelu*gate*/ +
                       (2 * N * S * 4 * C * C + NSC) /*down*/ + NSC;
    const double expected = group_norm + 2 * proj + self_attn + cross_attn + ffn + NSC /*outer residual*/;
    const auto w = load_model(kZoo)->build(sample());
    EXPECT_DOUBLE_EQ(flops_under(*stage(w, "unet").graph, "unet.down_blocks.0.attentions.0."), expected);
}

TEST(DiffusionFlops, VaeMidBlockAttentionClosedForm) {
    // The decoder's single-head attention over all S = 96*96 latent pixels at C = 512, one image:
    // GroupNorm 7, q/k/v/out with bias 4 (2 S C^2 + S C), QK^T and PV 4 S^2 C, softmax 5 S^2,
    // residual S C.
    const double C = 512, S = 96.0 * 96;
    const double expected = 7 * S * C + 4 * (2 * S * C * C + S * C) + 4 * S * S * C + 5 * S * S + S * C;
    const auto w = load_model(kZoo)->build(sample());
    EXPECT_DOUBLE_EQ(flops_under(*stage(w, "vae_decoder").graph, "vae.decoder.mid_block.attentions.0."), expected);
}

TEST(DiffusionFlops, GuidanceAndDdimStep) {
    // SD 2.1 ships DDIMScheduler with prediction_type v_prediction and clip_sample false:
    // x0 = sqrt(a) x - sqrt(1-a) v (3), eps = sqrt(a) v + sqrt(1-a) x (3), x_prev = sqrt(a') x0 +
    // sqrt(1-a') eps (3) per latent element; guidance uncond + g (cond - uncond) is 3.
    const double elems = 2 * 4 * 96 * 96;  // batch 2
    const auto w = load_model(kZoo)->build(sample(2));
    const auto& g = *stage(w, "unet").graph;
    EXPECT_DOUBLE_EQ(op_named(g, "step").flops, 9 * elems);
    EXPECT_DOUBLE_EQ(op_named(g, "guidance").flops, 3 * elems);
    EXPECT_EQ(op_named(g, "step").component, "scheduler");

    // Euler with epsilon prediction: scale_model_input 1 per U-Net input element (both halves of
    // the guided batch), step x0 = x - sigma eps (2), d = (x - x0) / sigma (2), x + d dt (2).
    json j = zoo_json();
    j["scheduler"] = {{"_class_name", "EulerDiscreteScheduler"}, {"prediction_type", "epsilon"}};
    const auto we = load_json(j, "sd21_euler")->build(sample(2));
    const auto& ge = *stage(we, "unet").graph;
    EXPECT_DOUBLE_EQ(op_named(ge, "step").flops, 6 * elems);
    EXPECT_DOUBLE_EQ(op_named(ge, "scale_model_input").flops, 2 * elems);
}

TEST(DiffusionFlops, PublishedStableDiffusion1Figures) {
    // NVIDIA's TensorRT talk "Stable Diffusion 推理加速技巧解析" (slide "Stable Diffusion FLOPs",
    // https://www.sgpjbg.com/bgdown/155314.html) gives, for SD 1.x at 512 px (64x64 latents),
    // B = 1 with classifier-free guidance (U-Net and text encoder on 2B): U-Net 1.67952e12 FLOPs
    // per step, VAE decoder 2.53933e12, CLIP text encoder 0.02714e12. The slide does not say how
    // it counts element-wise ops; fmsim's U-Net is 3.8% below (tolerance 5%), the decoder 0.8%
    // (tolerance 1.5%), the text encoder 1.7% (tolerance 3%).
    const auto w = load_json(sd15_json(), "sd15_flops")->build(sample(1));
    EXPECT_NEAR(component_flops(*stage(w, "unet").graph, "unet") / 1.67952e12, 1.0, 0.05);
    EXPECT_NEAR(component_flops(*stage(w, "vae_decoder").graph, "vae") / 2.53933e12, 1.0, 0.015);
    EXPECT_NEAR(component_flops(*stage(w, "text_encoder").graph, "text_encoder") / 0.02714e12, 1.0, 0.03);
}

TEST(DiffusionAttention, UnfusedAttentionMaterialisesTheScores) {
    auto run = sample();
    const auto fused = load_model(kZoo)->build(run);
    run.attention = AttentionImpl::unfused;
    const auto unfused = load_model(kZoo)->build(run);
    const auto& gf = *stage(fused, "unet").graph;
    const auto& gu = *stage(unfused, "unet").graph;
    EXPECT_DOUBLE_EQ(component_flops(gf, "unet"), component_flops(gu, "unet"));
    // The first self-attention's probabilities: [2, 5 heads, 9216, 9216] written by the softmax.
    const auto& softmax = op_named(gu, "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.attention.softmax");
    EXPECT_EQ(softmax.writes.front().shape, (Shape{2, 5, 9216, 9216}));
    const double scores_bytes = 2.0 * 5 * 9216 * 9216 * 2;  // bf16
    const auto& fused_op = op_named(gf, "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.attention");
    EXPECT_EQ(fused_op.kind, OpKind::attention);
    const double fused_bytes = static_cast<double>(fused_op.bytes_read() + fused_op.bytes_written());
    EXPECT_LT(fused_bytes, scores_bytes / 10);
    // Scores written, read by the softmax, written again, read by P V: at least 4x the matrix.
    const double su = summarize(Workload{"", "", unfused.run, {stage(unfused, "unet")}}).bytes_read +
                      summarize(Workload{"", "", unfused.run, {stage(unfused, "unet")}}).bytes_written;
    const double sf = summarize(Workload{"", "", fused.run, {stage(fused, "unet")}}).bytes_read +
                      summarize(Workload{"", "", fused.run, {stage(fused, "unet")}}).bytes_written;
    EXPECT_GT(su - sf, 4 * scores_bytes * 50 /*steps*/);
}

TEST(DiffusionTrain, OnlyTheUNetLearns) {
    RunSpec run;
    run.phase = RunPhase::train;
    run.batch = 2;
    const auto w = load_model(kZoo)->build(run);
    ASSERT_EQ(w.stages.size(), 1u);
    const auto& g = *w.stages[0].graph;
    const auto s = summarize(w);
    const std::int64_t unet = 865'910'724;
    EXPECT_EQ(s.params_trainable, unet);
    EXPECT_EQ(s.params_total, unet + 340'387'840 + 83'653'863);
    // bf16 gradients; AdamW m, v and an fp32 master copy (12 bytes) for the U-Net only.
    EXPECT_EQ(w.stages[0].gradient_bytes, 2 * unet);
    EXPECT_EQ(w.stages[0].optimizer_state_bytes, 12 * unet);
    bool encoder_ran = false, text_ran = false, loss = false;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        for (const auto& t : o.writes) {
            if (t.cls == TensorClass::gradient) {
                EXPECT_EQ(t.name.rfind("unet.", 0), 0u) << t.name;
            }
        }
        if (o.phase == Phase::backward) {
            EXPECT_TRUE(o.component == "unet" || o.component == "loss") << o.name;
        }
        if (o.phase == Phase::optimizer) {
            EXPECT_EQ(o.component, "unet") << o.name;
        }
        if (o.phase == Phase::forward && o.name == "vae.encoder.conv_in") {
            encoder_ran = true;
            EXPECT_EQ(std::get<ConvDims>(o.dims).in_spatial, (std::vector<std::int64_t>{768, 768}));
        }
        if (o.phase == Phase::forward && o.component == "text_encoder") text_ran = true;
        if (o.name == "mse_loss") loss = true;
    }
    EXPECT_TRUE(encoder_ran);
    EXPECT_TRUE(text_ran);
    EXPECT_TRUE(loss);
    // v_prediction: the target is the velocity, computed from the latents and the noise.
    EXPECT_DOUBLE_EQ(op_named(g, "get_velocity").flops, 3.0 * 2 * 4 * 96 * 96);
    // The backward of the U-Net costs about twice its forward (2x for matmuls and convs, 2.5x for
    // fused attention, no input gradient for conv_in whose input needs none).
    double unet_forward = 0;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (g.op(i).phase == Phase::forward && g.op(i).component == "unet") unet_forward += g.op(i).flops;
    EXPECT_NEAR(s.flops_by_phase[static_cast<std::size_t>(Phase::backward)] / unet_forward, 2.15, 0.1);
    // The frozen towers run forward only: the VAE encoder at 768 px costs more than a U-Net pass.
    EXPECT_GT(component_flops(g, "vae"), unet_forward);
}

TEST(DiffusionPhases, OtherPhasesAndLengthsAreScenarioErrors) {
    const auto m = load_model(kZoo);
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::encode}) {
        RunSpec r;
        r.phase = p;
        EXPECT_THROW(m->build(r), fmsim::ScenarioError) << to_string(p);
    }
    auto r = sample();
    r.output_len = 16;
    EXPECT_THROW(m->build(r), fmsim::ScenarioError);
    r = sample();
    r.input_len = 78;  // beyond CLIP's 77 positions
    EXPECT_THROW(m->build(r), fmsim::ScenarioError);
    r = sample();
    r.input_len = 16;  // a shorter prompt shortens the text encoder and the cross-attention keys
    const auto w = m->build(r);
    EXPECT_EQ(std::get<AttentionDims>(op_named(*stage(w, "unet").graph,
                                               "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.attention")
                                          .dims)
                  .seq_kv,
              16);
    RunSpec t;
    t.phase = RunPhase::train;
    t.steps = 10;
    EXPECT_THROW(m->build(t), fmsim::ScenarioError);
}

TEST(DiffusionHf, DiffusersConfigsGiveTheZooModel) {
    // tests/data/hf/stable-diffusion-2-1.json: stabilityai/stable-diffusion-2-1's model_index.json
    // with the text_encoder, unet, vae and scheduler config.json files in place of their
    // [library, class] pairs, and model_type added.
    const auto hf = load_model(std::string(FMSIM_TEST_DATA_DIR) + "/hf/stable-diffusion-2-1.json");
    const auto zoo = load_model(kZoo);
    EXPECT_EQ(hf->family(), "stable_diffusion");
    for (const auto& run : {sample(1), sample(4, 25)}) {
        const auto a = summarize(hf->build(run)), b = summarize(zoo->build(run));
        EXPECT_EQ(a.params_total, b.params_total);
        EXPECT_DOUBLE_EQ(a.flops, b.flops);
    }
    RunSpec train;
    train.phase = RunPhase::train;
    EXPECT_DOUBLE_EQ(summarize(hf->build(train)).flops, summarize(zoo->build(train)).flops);
}

TEST(DiffusionHf, ConfigsSavedByNewerDiffusersLoad) {
    // diffusers >= 0.2x writes every constructor argument; the defaults change nothing.
    json j = zoo_json();
    j.erase("fmsim");
    const json extra = {{"addition_embed_type", nullptr}, {"addition_embed_type_num_heads", 64},
                        {"addition_time_embed_dim", nullptr}, {"attention_type", "default"},
                        {"class_embed_type", nullptr}, {"class_embeddings_concat", false},
                        {"conv_in_kernel", 3}, {"conv_out_kernel", 3}, {"cross_attention_norm", nullptr},
                        {"dropout", 0.0}, {"encoder_hid_dim", nullptr}, {"encoder_hid_dim_type", nullptr},
                        {"mid_block_only_cross_attention", nullptr}, {"mid_block_type", "UNetMidBlock2DCrossAttn"},
                        {"num_attention_heads", nullptr}, {"projection_class_embeddings_input_dim", nullptr},
                        {"resnet_out_scale_factor", 1.0}, {"resnet_skip_time_act", false},
                        {"resnet_time_scale_shift", "default"}, {"reverse_transformer_layers_per_block", nullptr},
                        {"time_cond_proj_dim", nullptr}, {"time_embedding_act_fn", nullptr},
                        {"time_embedding_dim", nullptr}, {"time_embedding_type", "positional"},
                        {"timestep_post_act", nullptr}, {"transformer_layers_per_block", 1}};
    j["unet"].update(extra);
    j["vae"].update(json{{"force_upcast", true}, {"latents_mean", nullptr}, {"latents_std", nullptr},
                         {"mid_block_add_attention", true}, {"scaling_factor", 0.18215}, {"shift_factor", nullptr},
                         {"use_post_quant_conv", true}, {"use_quant_conv", true}});
    j["scheduler"].update(json{{"clip_sample_range", 1.0}, {"dynamic_thresholding_ratio", 0.995},
                               {"rescale_betas_zero_snr", false}, {"sample_max_value", 1.0},
                               {"thresholding", false}, {"timestep_spacing", "leading"}});
    j["image_encoder"] = {nullptr, nullptr};
    const auto a = summarize(load_json(j, "sd21_resaved")->build(sample()));
    const auto b = summarize(load_model(kZoo)->build(sample()));
    EXPECT_EQ(a.params_total, b.params_total);
    EXPECT_DOUBLE_EQ(a.flops, b.flops);
}

namespace {
// Loads the zoo file changed by `edit` and returns the ConfigError it raises.
fmsim::ConfigError config_error(const std::function<void(json&)>& edit, const std::string& name) {
    json j = zoo_json();
    edit(j);
    try {
        load_json(j, name);
    } catch (const fmsim::ConfigError& e) {
        return e;
    }
    ADD_FAILURE() << name << ": no ConfigError";
    return fmsim::ConfigError("", "", "");
}
}  // namespace

TEST(DiffusionConfig, ErrorsNameFilePointerAndExpectation) {
    struct Case {
        std::string name;
        std::function<void(json&)> edit;
        std::string pointer, message;
    };
    const std::vector<Case> cases = {
        {"unknown_key", [](json& j) { j["unet"]["layers_per_blok"] = 2; }, "/unet/layers_per_blok",
         "did you mean 'layers_per_block'"},
        {"wrong_type", [](json& j) { j["unet"]["layers_per_block"] = "two"; }, "/unet/layers_per_block",
         "expected an integer"},
        {"heads_per_block", [](json& j) { j["unet"]["attention_head_dim"] = {5, 10, 20}; }, "/unet/attention_head_dim",
         "one value per block"},
        {"groups", [](json& j) { j["unet"]["block_out_channels"] = {320, 640, 1280, 1290}; },
         "/unet/block_out_channels/3", "multiple of norm_num_groups"},
        {"context_width", [](json& j) { j["unet"]["cross_attention_dim"] = 768; }, "/unet/cross_attention_dim",
         "text encoder's hidden_size (1024)"},
        {"not_modelled", [](json& j) { j["unet"]["class_embed_type"] = "timestep"; }, "/unet/class_embed_type",
         "expected null"},
        {"block_type", [](json& j) { j["unet"]["down_block_types"][0] = "AttnDownBlock2D"; },
         "/unet/down_block_types/0", "CrossAttnDownBlock2D"},
        {"vae_levels", [](json& j) { j["vae"]["up_block_types"] = {"UpDecoderBlock2D"}; }, "/vae/up_block_types",
         "expected 4 entries"},
        {"scheduler", [](json& j) { j["scheduler"]["_class_name"] = "PNDMScheduler"; }, "/scheduler/_class_name",
         "DDIMScheduler"},
        {"steps", [](json& j) { j["num_inference_steps"] = 0; }, "/num_inference_steps", "integer >= 1"},
        {"text_type", [](json& j) { j["text_encoder"]["model_type"] = "bert"; }, "/text_encoder/model_type",
         "clip_text_model"},
        {"latent_size", [](json& j) { j["unet"]["sample_size"] = 100; }, "/unet/sample_size", "multiple of 8"},
    };
    for (const auto& c : cases) {
        const auto e = config_error(c.edit, "sd_bad_" + c.name);
        EXPECT_NE(e.file().find("sd_bad_" + c.name + ".json"), std::string::npos) << c.name;
        EXPECT_EQ(e.pointer(), c.pointer) << c.name << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.name << ": " << e.what();
    }
}
