// Hierarchical vision families: Swin Transformer and SegFormer. Parameter counts against the
// released checkpoints and the papers, the papers' FLOP figures, closed forms of one block worked
// by hand, phases, Hugging Face import and bad configs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

namespace {

RunSpec encode(std::int64_t batch = 1) {
    RunSpec r;
    r.phase = RunPhase::encode;
    r.batch = batch;
    return r;
}

GraphSummary summary_of(const std::string& model, const RunSpec& run) {
    return summarize(load_model(model)->build(run));
}

// Sum of op FLOPs over the first stage's graph, for the ops `keep` selects.
double flops_where(const Workload& w, const std::function<bool(const Op&)>& keep) {
    const OpGraph& g = *w.stages.front().graph;
    double total = 0;
    for (OpId i = 0; i < g.op_count(); ++i)
        if (keep(g.op(i))) total += g.op(i).flops;
    return total;
}

std::int64_t params_where(const Workload& w, const std::function<bool(const Weight&)>& keep) {
    std::int64_t total = 0;
    for (const Weight& wt : w.stages.front().graph->weights())
        if (keep(wt)) total += wt.elements();
    return total;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Multiply-add work as the papers count it (fvcore / mmcv count one per multiply-add of
// convolutions and matrix products): with unfused attention these are the conv, GEMM and
// batched-GEMM ops. Their FLOPs here also include the bias adds (one per output), <0.5% of them.
double mac_class_flops(const Workload& w) {
    return flops_where(w, [](const Op& o) {
        return o.kind == OpKind::matmul || o.kind == OpKind::conv2d || o.kind == OpKind::batched_matmul;
    });
}

const std::string kHf = std::string(FMSIM_TEST_DATA_DIR) + "/hf/";

nlohmann::json zoo_json(const std::string& name) {
    std::ifstream in(config_dir() / "models" / (name + ".json"));
    return nlohmann::json::parse(in);
}

// A folder for this test binary's config files, removed when it exits.
struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("fmsim_vision_hier_" + std::to_string(::getpid()));
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// Writes `j` to a file of its own and returns the path (ConfigErrors name the file).
std::string write_config(const std::string& name, const nlohmann::json& j) {
    static const TempDir tmp;
    const auto& dir = tmp.path;
    std::filesystem::create_directories(dir);
    const auto path = dir / (name + ".json");
    std::ofstream(path) << j.dump(2);
    return path.string();
}

// Loading `j` fails with a ConfigError that names the file, the JSON pointer and what was expected.
void expect_config_error(const std::string& name, const nlohmann::json& j, const std::string& pointer,
                         const std::string& expected_text) {
    const std::string path = write_config(name, j);
    try {
        load_model(path)->build(encode());
        ADD_FAILURE() << name << ": no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_EQ(e.file(), path) << name;
        EXPECT_EQ(e.pointer(), pointer) << name << ": " << e.what();
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(expected_text), std::string::npos) << name << ": " << msg;
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Swin-T

TEST(VisionHierSwin, ParametersMatchTheReleasedCheckpoint) {
    // Per block of width C with h heads: 2 LayerNorms (4C), qkv (3C^2 + 3C), relative position
    // table (13^2 h), output (C^2 + C), MLP (8C^2 + 5C). Patch merging: LN(4C) + 8C^2. Stem:
    // conv 3*16*96 + 96, LN 192. Head: LN 1536, classifier 768*1000 + 1000.
    auto block = [](std::int64_t c, std::int64_t h) { return 12 * c * c + 13 * c + 169 * h; };
    std::int64_t expected = 3 * 16 * 96 + 96 + 2 * 96;
    const std::int64_t depths[] = {2, 2, 6, 2}, heads[] = {3, 6, 12, 24};
    for (int s = 0; s < 4; ++s) {
        const std::int64_t c = 96LL << s;
        expected += depths[s] * block(c, heads[s]);
        if (s < 3) expected += 8 * c + 8 * c * c;
    }
    expected += 2 * 768 + 768 * 1000 + 1000;
    const auto w = load_model("swin-t")->build(encode());
    const auto s = summarize(w);
    EXPECT_EQ(expected, 28'288'354);  // torchvision Swin_T_Weights num_params
    EXPECT_EQ(s.params_total, expected);
    // The relative position tables: (2*7-1)^2 * heads per block, 169 * (2*3 + 2*6 + 6*12 + 2*24).
    EXPECT_EQ(params_where(w, [](const Weight& wt) { return ends_with(wt.name, "relative_position_bias_table"); }),
              169 * 138);
    // Paper (Table 1): 28M.
    EXPECT_NEAR(static_cast<double>(s.params_total), 28e6, 0.5e6);
}

TEST(VisionHierSwin, PaperFlopsAreMultiplyAdds) {
    // Liu et al. 2021, Table 1: Swin-T 4.5G "FLOPs" at 224x224, counted (fvcore) as multiply-adds of
    // convs and matrix products. fmsim counts 2 FLOPs per multiply-add, so its conv/GEMM FLOPs / 2
    // must land within the rounding of "4.5" (+-0.05G); the <0.5% of bias adds they include fits in it.
    RunSpec r = encode();
    r.attention = AttentionImpl::unfused;
    const auto w = load_model("swin-t")->build(r);
    const double macs = mac_class_flops(w) / 2;
    EXPECT_NEAR(macs, 4.5e9, 0.05e9) << macs;
    // Everything else (LayerNorm 7/element, softmax 5/score, GELU 5/element, bias and residual
    // adds) is what the paper leaves out: about 1% more. Total within 2% of 2 x 4.5G.
    const double total = summarize(w).flops;
    EXPECT_GT(total, 2 * macs);
    EXPECT_NEAR(total / 9.0e9, 1.0, 0.02) << total;
}

TEST(VisionHierSwin, FirstBlockEqualsWindowedAttentionClosedForm) {
    // Stage 1, block 0 at 224x224, batch 1: N = 56*56 = 3136 tokens, C = 96, h = 3 heads of 32,
    // windows of T = 7*7 = 49 tokens, N/T = 64 windows.
    //   LayerNorms          2 * 7NC
    //   qkv                 2N*C*3C + 3NC (bias)
    //   attention           per window: QK^T 2*h*T*T*32 and PV the same = 4*T*T*C; 64 windows -> 4NTC
    //                       softmax 5 and relative-position-bias add 1 per score: 6*h*N*T
    //   output projection   2NC^2 + NC
    //   MLP                 2N*C*4C + 4NC, GELU 5*4NC, 2N*4C*C + NC
    //   residuals           2NC
    // Sum: 24NC^2 + 45NC + 4NTC + 6hNT.
    const double N = 3136, C = 96, h = 3, T = 49;
    const double expected = 24 * N * C * C + 45 * N * C + 4 * N * T * C + 6 * h * N * T;
    for (AttentionImpl impl : {AttentionImpl::fused, AttentionImpl::unfused}) {
        RunSpec r = encode();
        r.attention = impl;
        const auto w = load_model("swin-t")->build(r);
        EXPECT_DOUBLE_EQ(flops_where(w, [](const Op& o) { return o.layer == 0; }), expected);
        // Block 1 (shifted windows) costs the same FLOPs: the cyclic shift is a copy and the mask is free.
        EXPECT_DOUBLE_EQ(flops_where(w, [](const Op& o) { return o.layer == 1; }), expected);
    }
}

TEST(VisionHierSwin, ShiftedWindowsCopyTheMapOnlyWhereTheMapIsLargerThanAWindow) {
    const auto w = load_model("swin-t")->build(encode());
    const OpGraph& g = *w.stages.front().graph;
    std::vector<int> shift_layers;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (!ends_with(o.name, ".cyclic_shift") && !ends_with(o.name, ".reverse_cyclic_shift")) continue;
        EXPECT_EQ(o.kind, OpKind::memcpy);
        EXPECT_EQ(o.flops, 0);
        if (ends_with(o.name, ".cyclic_shift")) shift_layers.push_back(o.layer);
        // The whole map of the stage moves: [1, H*W, C] at 2 bytes.
        const std::int64_t stage_bytes = o.layer < 2 ? 3136 * 96 * 2 : o.layer < 4 ? 784 * 192 * 2 : 196 * 384 * 2;
        EXPECT_EQ(o.bytes_read(TensorClass::activation), stage_bytes) << o.name;
        EXPECT_EQ(o.bytes_written(TensorClass::activation), stage_bytes) << o.name;
    }
    // Odd blocks shift: layers 1, 3, 5, 7, 9; stage 4 (layer 11) has a 7x7 map = one window, so
    // Hugging Face's SwinLayer sets its shift to 0.
    EXPECT_EQ(shift_layers, (std::vector<int>{1, 3, 5, 7, 9}));
}

TEST(VisionHierSwin, WindowAttentionBatchesTheWindows) {
    RunSpec r = encode(2);
    const auto w = load_model("swin-t")->build(r);
    const OpGraph& g = *w.stages.front().graph;
    int attention_ops = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.kind != OpKind::attention) continue;
        ++attention_ops;
        const auto& d = std::get<AttentionDims>(o.dims);
        EXPECT_EQ(d.seq_q, 49);
        EXPECT_EQ(d.seq_kv, 49);
        EXPECT_EQ(d.head_dim, 32);
        EXPECT_FALSE(d.causal);
        const std::int64_t windows_per_image = o.layer < 2 ? 64 : o.layer < 4 ? 16 : o.layer < 10 ? 4 : 1;
        EXPECT_EQ(d.batch, 2 * windows_per_image) << o.name;
    }
    EXPECT_EQ(attention_ops, 12);
    // FLOPs scale with the batch exactly.
    EXPECT_DOUBLE_EQ(summarize(w).flops, 2 * summary_of("swin-t", encode(1)).flops);
}

TEST(VisionHierSwin, FusedAndUnfusedAttentionSameFlopsDifferentMemory) {
    RunSpec fused = encode(), unfused = encode();
    unfused.attention = AttentionImpl::unfused;
    const auto f = summary_of("swin-t", fused), u = summary_of("swin-t", unfused);
    EXPECT_DOUBLE_EQ(f.flops, u.flops);
    // Unfused writes the scores three times (scores, biased scores, probabilities):
    // per block B*windows*h*49*49 = h*N*49 scores at 2 bytes.
    double scores = 0;
    const double tokens[] = {3136, 784, 196, 49};
    const int depths[] = {2, 2, 6, 2}, heads[] = {3, 6, 12, 24};
    for (int s = 0; s < 4; ++s) scores += depths[s] * heads[s] * tokens[s] * 49;
    EXPECT_DOUBLE_EQ(u.bytes_written - f.bytes_written, 3 * scores * 2);
}

TEST(VisionHierSwin, TrainingClassifiesImagesAndTrainsTheBiasTables) {
    RunSpec r;
    r.phase = RunPhase::train;
    r.batch = 4;
    const auto w = load_model("swin-t")->build(r);
    ASSERT_EQ(w.stages.size(), 1u);
    const OpGraph& g = *w.stages.front().graph;
    bool loss = false, table_grad = false;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.name == "loss") {
            loss = true;
            EXPECT_EQ(o.reads.front().shape, (Shape{4, 1000}));
        }
        for (const auto& t : o.writes)
            if (t.name == "encoder.layers.0.blocks.0.attention.relative_position_bias_table.grad") table_grad = true;
    }
    EXPECT_TRUE(loss);
    EXPECT_TRUE(table_grad);
    EXPECT_EQ(summarize(w).params_trainable, 28'288'354);
}

TEST(VisionHierSwin, OnlyEncodeAndTrainApply) {
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::sample}) {
        RunSpec r;
        r.phase = p;
        try {
            load_model("swin-t")->build(r);
            ADD_FAILURE() << to_string(p);
        } catch (const fmsim::ScenarioError& e) {
            EXPECT_NE(std::string(e.what()).find("supported phases: encode, train"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(load_model("swin-t")->default_phase(), RunPhase::encode);
}

TEST(VisionHierSwin, SwinModelHasNoClassifierAndCannotTrain) {
    auto j = zoo_json("swin-t");
    j["architectures"] = {"SwinModel"};
    const auto m = load_model(write_config("swin-model", j));
    EXPECT_EQ(summarize(m->build(encode())).params_total, 28'288'354 - (768 * 1000 + 1000));
    RunSpec r;
    r.phase = RunPhase::train;
    EXPECT_THROW(m->build(r), fmsim::ScenarioError);
}

TEST(VisionHierSwin, HuggingFaceConfigGivesTheZooModel) {
    // microsoft/swin-tiny-patch4-window7-224: 1000 classes in id2label (label2id has 999: ImageNet
    // names "crane" twice), which the zoo entry states as num_labels.
    for (RunPhase p : {RunPhase::encode, RunPhase::train}) {
        RunSpec r = encode(2);
        r.phase = p;
        const auto imported = summarize(load_model(kHf + "swin-tiny-patch4-window7-224.json")->build(r));
        const auto builtin = summary_of("swin-t", r);
        EXPECT_EQ(imported.params_total, builtin.params_total);
        EXPECT_EQ(imported.params_total, 28'288'354);
        EXPECT_DOUBLE_EQ(imported.flops, builtin.flops);
        EXPECT_EQ(imported.op_count, builtin.op_count);
    }
}

TEST(VisionHierSwin, LargerImagesPadToWholeWindows) {
    // 256x256: stage maps 64, 32, 16, 8. 64 and 32 and 16 are padded to 70, 35, 21 (windows of 7);
    // stage 4's 8x8 map is padded to 14x14 = 4 windows.
    auto j = zoo_json("swin-t");
    j["image_size"] = 256;
    const auto w = load_model(write_config("swin-256", j))->build(encode());
    const OpGraph& g = *w.stages.front().graph;
    int pads = 0;
    bool last_block_shifts = false;
    std::vector<std::int64_t> windows;  // attention batch per block
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.kind == OpKind::attention) windows.push_back(std::get<AttentionDims>(o.dims).batch);
        if (ends_with(o.name, ".pad")) ++pads;
        if (o.layer == 11 && ends_with(o.name, ".cyclic_shift")) last_block_shifts = true;
    }
    EXPECT_EQ(windows, (std::vector<std::int64_t>{100, 100, 25, 25, 9, 9, 9, 9, 9, 9, 4, 4}));
    EXPECT_EQ(pads, 12);  // every block pads: no stage map is a multiple of 7
    EXPECT_TRUE(last_block_shifts);  // an 8x8 map is larger than a window, so it shifts
    EXPECT_EQ(summarize(w).params_total, 28'288'354);  // weights do not depend on the resolution
}

// ---------------------------------------------------------------------------------------------
// SegFormer-B0

TEST(VisionHierSegformer, ParametersMatchTheCheckpointAndThePaper) {
    const auto w = load_model("segformer-b0")->build(encode());
    const auto s = summarize(w);
    // Released checkpoint (Hugging Face nvidia/segformer-b0-finetuned-ade-512-512): 3,752,694.
    EXPECT_EQ(s.params_total, 3'752'694);
    const std::int64_t decoder = params_where(w, [](const Weight& wt) { return wt.component == "decode_head"; });
    const std::int64_t encoder = s.params_total - decoder;
    // Decode head: 4 linears C_i*256 + 256, fuse 1024*256 (no bias), BatchNorm 2*256, classifier 256*150 + 150.
    EXPECT_EQ(decoder, (32 + 64 + 160 + 256) * 256 + 4 * 256 + 1024 * 256 + 2 * 256 + 256 * 150 + 150);
    // Paper (Xie et al. 2021, Table 1): 3.8M total, 0.4M decoder: within the rounding of those labels.
    EXPECT_NEAR(static_cast<double>(s.params_total), 3.8e6, 0.05e6);
    EXPECT_NEAR(static_cast<double>(decoder), 0.4e6, 0.05e6);
    // The paper's 3.4M encoder is 2.4% above the released MiT-B0 (3,319,392); the gap is not
    // explained in the paper, so the check is looser (3%).
    EXPECT_EQ(encoder, 3'319'392);
    EXPECT_NEAR(static_cast<double>(encoder) / 3.4e6, 1.0, 0.03);
}

TEST(VisionHierSegformer, PaperFlopsAreMultiplyAdds) {
    // Xie et al. 2021, Table 2: SegFormer-B0 8.4G "FLOPs" at 512x512 on ADE20K, counted by mmcv as
    // multiply-adds of convs and linears. conv/GEMM FLOPs / 2 within the rounding of "8.4"
    // (+-0.05G). The decode head's bilinear upsampling is a copy here and is not counted by mmcv
    // either (F.interpolate has no hook).
    RunSpec r = encode();
    r.attention = AttentionImpl::unfused;
    const auto w = load_model("segformer-b0")->build(r);
    const double macs = mac_class_flops(w) / 2;
    EXPECT_NEAR(macs, 8.4e9, 0.05e9) << macs;
    // Norms, softmax, GELU, ReLU, BatchNorm and adds: about 1% on top; total within 2% of 2 x 8.4G.
    const double total = summarize(w).flops;
    EXPECT_NEAR(total / 16.8e9, 1.0, 0.02) << total;
    // The decode head does most of the work at this resolution (its fuse conv runs on 128x128x1024).
    const double head = flops_where(w, [](const Op& o) { return o.component == "decode_head"; });
    EXPECT_GT(head, 0.6 * total);
}

TEST(VisionHierSegformer, EfficientAttentionBlockEqualsClosedForm) {
    // Stage 1, block 0 at 512x512: a 128x128 map, N = 16384 tokens, C = 32, 1 head, sr = 8:
    // keys/values from a 16x16 map, M = N/64 = 256 tokens.
    //   LayerNorms            2 * 7NC, and 7MC after the reduction conv
    //   query                 2NC^2 + NC
    //   reduction conv 8x8/8  2*M*C*(C*64) + MC = 2NC^2 + MC
    //   key/value             2M*C*2C + 2MC
    //   attention             QK^T 2NMC, PV 2NMC, softmax 5*h*N*M
    //   output                2NC^2 + NC
    //   Mix-FFN               dense1 2N*C*4C + 4NC; 3x3 depthwise 2*N*4C*9 + 4NC; GELU 5*4NC; dense2 2N*4C*C + NC
    //   residuals             2NC
    const double N = 16384, C = 32, M = 256, h = 1;
    const double expected = 14 * N * C + 7 * M * C + (2 * N * C * C + N * C) + (2 * N * C * C + M * C) +
                            (4 * M * C * C + 2 * M * C) + (4 * N * M * C + 5 * h * N * M) + (2 * N * C * C + N * C) +
                            (8 * N * C * C + 4 * N * C) + (72 * N * C + 4 * N * C) + 20 * N * C +
                            (8 * N * C * C + N * C) + 2 * N * C;
    const auto w = load_model("segformer-b0")->build(encode());
    EXPECT_DOUBLE_EQ(flops_where(w, [](const Op& o) { return o.layer == 0 && o.component == "encoder"; }), expected);
    // The attention op sees 16384 queries and 256 keys.
    const OpGraph& g = *w.stages.front().graph;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.kind != OpKind::attention) continue;
        const auto& d = std::get<AttentionDims>(o.dims);
        const std::int64_t q[] = {16384, 4096, 1024, 256}, kv[] = {256, 256, 256, 256};
        EXPECT_EQ(d.seq_q, q[o.layer / 2]) << o.name;
        EXPECT_EQ(d.seq_kv, kv[o.layer / 2]) << o.name;  // sr 8, 4, 2, 1 reduce every stage to 16x16
        EXPECT_EQ(d.head_dim, 32);
    }
}

// The loss is per pixel of the labels: the 1/4-resolution logits are resized to the 512 x 512 image
// first (HF SegformerForSemanticSegmentation, mmseg), a copy of 150 x 512 x 512 values per image.
TEST(VisionHierSegformer, TrainingIsPerPixelCrossEntropyAtLabelResolution) {
    RunSpec r;
    r.phase = RunPhase::train;
    r.batch = 2;
    const auto w = load_model("segformer-b0")->build(r);
    const OpGraph& g = *w.stages.front().graph;
    bool loss = false, bn_grad = false, upsample = false;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.name == "loss") {
            loss = true;
            EXPECT_EQ(o.reads.front().shape, (Shape{2 * 512 * 512, 150}));  // 150 ADE20K classes per pixel
        }
        if (o.name == "upsample_logits" && o.phase == fmsim::workloads::Phase::forward) {
            upsample = true;
            EXPECT_EQ(o.reads.front().shape, (Shape{2, 150, 128, 128}));
            EXPECT_EQ(o.writes.front().shape, (Shape{2, 150, 512, 512}));
        }
        if (o.name == "decode_head.batch_norm") {
            EXPECT_EQ(o.kind, OpKind::group_norm);  // batch statistics
        }
        for (const auto& t : o.writes)
            if (t.name == "decode_head.batch_norm.weight.grad") bn_grad = true;
    }
    EXPECT_TRUE(loss);
    EXPECT_TRUE(upsample);
    EXPECT_TRUE(bn_grad);
}

TEST(VisionHierSegformer, UpsamplingIsACopyToTheQuarterGrid) {
    const auto w = load_model("segformer-b0")->build(encode());
    const OpGraph& g = *w.stages.front().graph;
    int upsamples = 0;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& o = g.op(i);
        if (o.name.find("decode_head.upsample.") != 0) continue;
        ++upsamples;
        EXPECT_EQ(o.kind, OpKind::memcpy);
        EXPECT_EQ(o.flops, 0);
        EXPECT_EQ(o.bytes_written(TensorClass::activation), 256LL * 128 * 128 * 2);
    }
    EXPECT_EQ(upsamples, 3);  // stages 2-4; stage 1 is already at 1/4
}

TEST(VisionHierSegformer, ClassificationVariantPoolsTheLastStage) {
    // nvidia/mit-b0 style: SegformerForImageClassification, 1000 classes, 224x224.
    auto j = zoo_json("segformer-b0");
    j["architectures"] = {"SegformerForImageClassification"};
    j["num_labels"] = 1000;
    j["image_size"] = 224;
    const auto w = load_model(write_config("mit-b0", j))->build(encode());
    EXPECT_EQ(summarize(w).params_total, 3'319'392 + 256 * 1000 + 1000);
    auto seg = zoo_json("segformer-b0");
    seg["architectures"] = {"SegformerModel"};
    const auto m = load_model(write_config("mit-b0-encoder", seg));
    EXPECT_EQ(summarize(m->build(encode())).params_total, 3'319'392);
    RunSpec train;
    train.phase = RunPhase::train;
    EXPECT_THROW(m->build(train), fmsim::ScenarioError);
}

TEST(VisionHierSegformer, HuggingFaceConfigGivesTheZooModel) {
    const std::string file = kHf + "segformer-b0-finetuned-ade-512-512.json";
    const auto imported = summarize(load_model(file)->build(encode()));
    const auto builtin = summary_of("segformer-b0", encode());
    EXPECT_EQ(imported.params_total, builtin.params_total);
    // Hugging Face's file carries a vestigial image_size of 224 (its model never reads it); the
    // zoo entry runs the checkpoint's 512. At 512 the two graphs are the same.
    std::ifstream in(file);
    auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["image_size"], 224);
    EXPECT_LT(imported.flops, builtin.flops);
    j["image_size"] = 512;
    const auto at512 = summarize(load_model(write_config("segformer-hf-512", j))->build(encode()));
    EXPECT_DOUBLE_EQ(at512.flops, builtin.flops);
    EXPECT_EQ(at512.op_count, builtin.op_count);
    EXPECT_EQ(at512.params_total, builtin.params_total);
}

TEST(VisionHierSegformer, OnlyEncodeAndTrainApply) {
    RunSpec r;
    r.phase = RunPhase::decode;
    EXPECT_THROW(load_model("segformer-b0")->build(r), fmsim::ScenarioError);
}

// ---------------------------------------------------------------------------------------------
// Bad configs

TEST(VisionHierErrors, SwinConfigsNameFilePointerAndExpectation) {
    const auto good = zoo_json("swin-t");
    auto j = good;
    j["depths"] = "2,2,6,2";
    expect_config_error("swin-depths-type", j, "/depths", "expected");
    j = good;
    j["window_sizes"] = 7;
    expect_config_error("swin-unknown-key", j, "/window_sizes", "did you mean 'window_size'");
    j = good;
    j["num_heads"] = {5, 6, 12, 24};
    expect_config_error("swin-heads", j, "/num_heads/0", "expected a divisor of the stage width");
    j = good;
    j["num_heads"] = {3, 6, 12};
    expect_config_error("swin-heads-len", j, "/num_heads", "expected one entry per stage (4)");
    j = good;
    j["image_size"] = 225;
    expect_config_error("swin-image", j, "/image_size", "expected a multiple of patch_size");
    j = good;
    j["hidden_size"] = 1024;
    expect_config_error("swin-hidden", j, "/hidden_size", "expected embed_dim * 2^(len(depths) - 1) = 768");
    j = good;
    j["id2label"] = {{"0", "cat"}, {"1", "dog"}};
    expect_config_error("swin-labels", j, "/num_labels", "expected the number of id2label entries (2)");
    j = good;
    j["embed_dim"] = 0;
    expect_config_error("swin-embed", j, "/embed_dim", "expected");
    j = good;
    j["architectures"] = {"SwinForMaskedImageModeling"};
    expect_config_error("swin-arch", j, "/architectures/0", "expected SwinForImageClassification or SwinModel");
    j = good;
    j["architectures"] = "SwinModel";
    expect_config_error("swin-arch-type", j, "/architectures", "expected a list of Hugging Face class names");
    j = good;
    j.erase("window_size");
    expect_config_error("swin-missing", j, "", "missing required key 'window_size'");
}

TEST(VisionHierErrors, SegformerConfigsNameFilePointerAndExpectation) {
    const auto good = zoo_json("segformer-b0");
    auto j = good;
    j["sr_ratios"] = {8, 4, 2};
    expect_config_error("seg-sr", j, "/sr_ratios", "expected num_encoder_blocks (4) entries, got 3");
    j = good;
    j["image_size"] = 16;
    expect_config_error("seg-small", j, "/image_size", "expected an image large enough for stage 1");
    j = good;
    j["num_attention_heads"] = {1, 2, 3, 8};
    expect_config_error("seg-heads", j, "/num_attention_heads/2", "expected a divisor of hidden_sizes[2] (160)");
    j = good;
    j["hidden_sizes"] = {32, 64, 160, 256.5};
    expect_config_error("seg-float", j, "/hidden_sizes/3", "expected an integer");
    j = good;
    j["architectures"] = {"SegformerForDepth"};
    expect_config_error("seg-arch", j, "/architectures/0", "expected SegformerForSemanticSegmentation");
    j = good;
    j["id2label"] = {{"0", 1}};
    expect_config_error("seg-label", j, "/id2label/0", "expected a class name (string)");
    j = good;
    j["num_labels"] = 0;
    expect_config_error("seg-zero", j, "/num_labels", "expected at least 1 class");
}
