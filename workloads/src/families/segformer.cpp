// SegFormer (Xie et al. 2021, "SegFormer: Simple and Efficient Design for Semantic Segmentation
// with Transformers", arXiv 2105.15203), as Hugging Face's SegformerForSemanticSegmentation builds
// it: a Mix Transformer (MiT) encoder of four stages — overlapping patch embeddings, efficient
// self-attention whose keys and values come from a sequence-reduced map, Mix-FFN with a 3x3
// depthwise conv — and the All-MLP decode head. docs/families/hierarchical-vision.md has the
// formulas.
#include <algorithm>

#include "../builder.hpp"
#include "../family.hpp"

namespace fmsim::workloads {

namespace {

// ---------------------------------------------------------------------------------------------
// Config (Hugging Face SegformerConfig field names)

struct SegformerConfig {
    std::int64_t num_channels = 3, num_encoder_blocks = 0, decoder_hidden_size = 0;
    std::vector<std::int64_t> depths, sr_ratios, hidden_sizes, patch_sizes, strides, num_attention_heads, mlp_ratios;
    std::vector<std::int64_t> image_size;  // {height, width}
    std::optional<std::int64_t> num_labels, id2label_count;
    std::string hidden_act;
    std::string architecture;  // first entry of "architectures"; empty when absent
};

// SegFormer has no position embeddings, so Hugging Face never reads image_size (its configs carry
// a vestigial 224 even for the 512x512 ADE20K checkpoints). fmsim builds images of this size; the
// default is the ADE20K resolution of Xie et al. 2021, Table 2.
constexpr std::int64_t kDefaultSegformerImageSize = 512;

// The Hugging Face metadata keys, with "architectures" read rather than ignored: it
// names the Hugging Face class, and so the head that is built.
void add_metadata_keys(Schema<SegformerConfig>& s) {
    add_architecture_field(
        s, &SegformerConfig::architecture,
        {"SegformerForSemanticSegmentation", "SegformerForImageClassification", "SegformerModel"},
        "Hugging Face class of the checkpoint; picks the head: SegformerForSemanticSegmentation (All-MLP "
        "decode head), SegformerForImageClassification (mean-pooled last stage + linear) or SegformerModel "
        "(encoder only).");
    add_hf_metadata(s, false);
}

const Schema<SegformerConfig>& segformer_schema() {
    static const auto s = [] {
        Schema<SegformerConfig> s(
            "segformer",
            "SegFormer / Mix Transformer (MiT) models (Hugging Face SegformerConfig field names; Xie et al. 2021). "
            "`architectures` picks the head: SegformerForSemanticSegmentation (All-MLP decode head, default), "
            "SegformerForImageClassification (pooled linear classifier) or SegformerModel (encoder only).");
        s.integer("num_channels", &SegformerConfig::num_channels, 3, "channels", "Input image channels.")
            .integer("num_encoder_blocks", &SegformerConfig::num_encoder_blocks, std::nullopt, "stages",
                     "Encoder stages; every per-stage list has this many entries.")
            .integer_list("depths", &SegformerConfig::depths, std::nullopt, "blocks", "Transformer blocks per stage.", 1, kMaxLayers)
            .integer_list("sr_ratios", &SegformerConfig::sr_ratios, std::nullopt, "",
                          "Sequence-reduction ratio R per stage: keys and values come from a conv with "
                          "kernel = stride = R (1 = none).")
            .integer_list("hidden_sizes", &SegformerConfig::hidden_sizes, std::nullopt, "channels",
                          "Width C_i of each stage.")
            .integer_list("patch_sizes", &SegformerConfig::patch_sizes, std::nullopt, "pixels",
                          "Kernel of each overlapping patch embedding (padding = kernel // 2).")
            .integer_list("strides", &SegformerConfig::strides, std::nullopt, "pixels",
                          "Stride of each overlapping patch embedding.")
            .integer_list("num_attention_heads", &SegformerConfig::num_attention_heads, std::nullopt, "heads",
                          "Attention heads per stage.")
            .integer_list("mlp_ratios", &SegformerConfig::mlp_ratios, std::nullopt, "",
                          "Mix-FFN hidden width / stage width, per stage.")
            .choice("hidden_act", &SegformerConfig::hidden_act,
                    {"gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "silu",
                     "swish"},
                    "gelu", "Mix-FFN activation.")
            .integer("decoder_hidden_size", &SegformerConfig::decoder_hidden_size, 256, "channels",
                     "Width of the All-MLP decode head.")
            .custom(
                "image_size", "integer or [height, width]", std::to_string(kDefaultSegformerImageSize),
                "Input resolution fmsim builds. SegFormer has no position embeddings, so Hugging Face never reads "
                "this key (its configs carry a vestigial 224 even for 512x512 checkpoints); set the resolution "
                "the model runs at.",
                [](SegformerConfig& c, const json& j, const ConfigContext& at) {
                    c.image_size = schema_detail::read_size_pair(j, at);
                },
                [](SegformerConfig& c) {
                    c.image_size = {kDefaultSegformerImageSize, kDefaultSegformerImageSize};
                })
            .ignored("reshape_last_stage", "layout of the last encoder output; no effect on cost")
            .ignored("downsampling_rates", "not read by Hugging Face's Segformer modules")
            .ignored("semantic_loss_ignore_index", "label value the loss skips");
        add_label_fields(s, &SegformerConfig::num_labels, &SegformerConfig::id2label_count,
                         "2 classes (Hugging Face's PretrainedConfig default)");
        for (const char* k : {"layer_norm_eps", "drop_path_rate", "hidden_dropout_prob", "attention_probs_dropout_prob",
                              "classifier_dropout_prob"})
            s.ignored(k, "numerics or regularisation; no effect on cost");
        add_metadata_keys(s);
        return s;
    }();
    return s;
}

enum class SegformerHead { semantic_segmentation, image_classification, none };

SegformerHead segformer_head_of(const SegformerConfig& c) {
    if (c.architecture == "SegformerForImageClassification") return SegformerHead::image_classification;
    if (c.architecture == "SegformerModel") return SegformerHead::none;
    return SegformerHead::semantic_segmentation;
}

// ---------------------------------------------------------------------------------------------
// Architecture

struct MitStage {
    std::int64_t depth = 0, channels = 0, heads = 0, sr = 1, mlp_ratio = 4, kernel = 0, stride = 0;
    std::int64_t height = 0, width = 0;        // token grid after the patch embedding
    std::int64_t kv_height = 0, kv_width = 0;  // grid of the sequence-reduced keys/values
};

struct SegformerArch {
    std::int64_t channels_in = 3, image_h = 0, image_w = 0, decoder_hidden = 0, labels = 0;
    Act act = Act::gelu;
    SegformerHead head = SegformerHead::semantic_segmentation;
    std::vector<MitStage> stages;
};

// Output side of a conv: floor((in + 2 * padding - kernel) / stride) + 1 (PyTorch Conv2d).
std::int64_t conv_out(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
    const std::int64_t span = in + 2 * padding - kernel;
    return span < 0 ? 0 : span / stride + 1;
}

SegformerArch parse_segformer_arch(const json& j, const ConfigContext& ctx) {
    const SegformerConfig c = segformer_schema().parse(j, ctx);
    SegformerArch a;
    a.head = segformer_head_of(c);
    a.channels_in = c.num_channels;
    a.image_h = c.image_size[0];
    a.image_w = c.image_size[1];
    a.decoder_hidden = c.decoder_hidden_size;
    a.act = parse_act(c.hidden_act);
    a.labels = resolve_label_count(c.num_labels, c.id2label_count, ctx, 2);
    if (a.head == SegformerHead::semantic_segmentation && a.labels < 1)
        ctx.at("num_labels").fail("expected at least 1 class: the decode head's classifier predicts them");

    const auto n = static_cast<std::size_t>(c.num_encoder_blocks);
    const std::pair<const char*, const std::vector<std::int64_t>*> lists[] = {
        {"depths", &c.depths},           {"sr_ratios", &c.sr_ratios}, {"hidden_sizes", &c.hidden_sizes},
        {"patch_sizes", &c.patch_sizes}, {"strides", &c.strides},     {"num_attention_heads", &c.num_attention_heads},
        {"mlp_ratios", &c.mlp_ratios}};
    for (const auto& [key, list] : lists)
        if (list->size() != n)
            ctx.at(key).fail("expected num_encoder_blocks (" + std::to_string(n) + ") entries, got " +
                             std::to_string(list->size()));

    std::int64_t h = a.image_h, w = a.image_w;
    for (std::size_t i = 0; i < n; ++i) {
        MitStage st;
        st.depth = c.depths[i];
        st.channels = c.hidden_sizes[i];
        st.heads = c.num_attention_heads[i];
        st.sr = c.sr_ratios[i];
        st.mlp_ratio = c.mlp_ratios[i];
        st.kernel = c.patch_sizes[i];
        st.stride = c.strides[i];
        if (st.channels % st.heads != 0)
            ctx.at("num_attention_heads")
                .at(std::to_string(i))
                .fail("expected a divisor of hidden_sizes[" + std::to_string(i) + "] (" + std::to_string(st.channels) +
                      "), got " + std::to_string(st.heads));
        // SegformerOverlapPatchEmbeddings: Conv2d(kernel, stride, padding = kernel // 2).
        st.height = conv_out(h, st.kernel, st.stride, st.kernel / 2);
        st.width = conv_out(w, st.kernel, st.stride, st.kernel / 2);
        // SegformerEfficientSelfAttention: Conv2d(kernel = stride = sr_ratio) when sr_ratio > 1.
        st.kv_height = st.sr > 1 ? conv_out(st.height, st.sr, st.sr, 0) : st.height;
        st.kv_width = st.sr > 1 ? conv_out(st.width, st.sr, st.sr, 0) : st.width;
        if (st.kv_height < 1 || st.kv_width < 1)
            ctx.at("image_size")
                .fail("expected an image large enough for stage " + std::to_string(i + 1) + " (a " +
                      std::to_string(st.height) + "x" + std::to_string(st.width) +
                      " map cannot be reduced by sr_ratio " + std::to_string(st.sr) + "), got " +
                      std::to_string(a.image_h) + "x" + std::to_string(a.image_w));
        a.stages.push_back(st);
        h = st.height;
        w = st.width;
    }
    return a;
}

// ---------------------------------------------------------------------------------------------
// Graph

// One MiT block over x [B, N, C] on an h x w grid (HF SegformerLayer).
Val emit_mit_block(GraphBuilder& b, const SegformerArch& a, const MitStage& st, Val x) {
    const std::int64_t batch = x.shape[0], tokens = x.shape[1], c = st.channels;
    const std::int64_t kv_tokens = st.kv_height * st.kv_width;
    {
        const Val y = b.norm(x, Norm::layer, true, "layer_norm_1");
        auto s = b.scope("attention");
        const Val q = b.linear(y, c, true, "self.query", ModuleGroup::attention);
        Val src = y;
        if (st.sr > 1) {
            // Sequence reduction: a conv with kernel = stride = R shrinks the map R^2-fold, then LayerNorm.
            src = b.conv(b.view(y, {batch, c, st.height, st.width}), c, {st.sr, st.sr}, {st.sr, st.sr}, {0, 0}, 1, true,
                         "self.sr", ModuleGroup::attention);
            src = b.norm(b.view(src, {batch, kv_tokens, c}), Norm::layer, true, "self.layer_norm");
        }
        // Hugging Face's key and value Linears, packed into one GEMM (same weights and FLOPs).
        const Val kv = b.linear(src, 2 * c, true, "self.key_value", ModuleGroup::attention);
        const std::int64_t head_dim = c / st.heads;
        const AttentionCall call{.q = q,
                                 .k = b.slice(kv, {batch, kv_tokens, c}),
                                 .v = b.slice(kv, {batch, kv_tokens, c}),
                                 .heads = st.heads,
                                 .kv_heads = st.heads,
                                 .head_dim = head_dim};
        const Val ctx = b.attention(call, "self.attn");
        const Val o = b.linear(ctx, c, true, "output.dense", ModuleGroup::attention);
        x = b.add(x, o, "attn_residual", ModuleGroup::other);
    }
    const Val y = b.norm(x, Norm::layer, true, "layer_norm_2");
    auto s = b.scope("mlp");
    // Mix-FFN: linear, 3x3 depthwise conv (positional information), activation, linear.
    const std::int64_t hidden = c * st.mlp_ratio;
    Val f = b.linear(y, hidden, true, "dense1", ModuleGroup::ffn);
    f = b.conv(b.view(f, {batch, hidden, st.height, st.width}), hidden, {3, 3}, {1, 1}, {1, 1}, hidden, true,
               "dwconv.dwconv", ModuleGroup::ffn);
    f = b.act(b.view(f, {batch, tokens, hidden}), a.act, "act", ModuleGroup::ffn);
    f = b.linear(f, c, true, "dense2", ModuleGroup::ffn);
    return b.add(x, f, "mlp_residual", ModuleGroup::other);
}

// The MiT encoder; returns each stage's output [B, N_i, C_i] after its LayerNorm.
std::vector<Val> emit_mit_encoder(GraphBuilder& b, const SegformerArch& a, std::int64_t batch) {
    Val map = b.input("pixel_values", {batch, a.channels_in, a.image_h, a.image_w}, b.act_dtype());
    std::vector<Val> outs;
    int layer = 0;
    auto enc = b.scope("encoder");
    for (std::size_t i = 0; i < a.stages.size(); ++i) {
        const MitStage& st = a.stages[i];
        const std::string idx = std::to_string(i);
        const std::int64_t tokens = st.height * st.width;
        Val x = b.conv(map, st.channels, {st.kernel, st.kernel}, {st.stride, st.stride}, {st.kernel / 2, st.kernel / 2},
                       1, true, "patch_embeddings." + idx + ".proj", ModuleGroup::embedding);
        x = b.view(x, {batch, tokens, st.channels});  // flatten(2).transpose(1, 2)
        x = b.norm(x, Norm::layer, true, "patch_embeddings." + idx + ".layer_norm");
        for (std::int64_t j = 0; j < st.depth; ++j) {
            auto blk = b.scope("block." + idx + "." + std::to_string(j), std::nullopt, layer++);
            x = emit_mit_block(b, a, st, x);
        }
        x = b.norm(x, Norm::layer, true, "layer_norm." + idx);
        outs.push_back(x);
        map = b.view(x, {batch, st.channels, st.height, st.width});
    }
    return outs;
}

// All-MLP decode head (HF SegformerDecodeHead): per stage a linear to D and an upsample to the
// stage-1 grid, concat (4D), 1x1 conv fuse without bias, BatchNorm, ReLU, 1x1 conv classifier.
// Returns logits [B, labels, H/4, W/4] (for the default strides).
Val emit_decode_head(GraphBuilder& b, const SegformerArch& a, const std::vector<Val>& feats) {
    const std::int64_t batch = feats.front().shape[0], d = a.decoder_hidden;
    const MitStage& top = a.stages.front();
    auto head = b.scope("decode_head", std::string("decode_head"));
    std::vector<Val> parts;
    for (std::size_t i = 0; i < feats.size(); ++i) {
        const MitStage& st = a.stages[i];
        const std::string idx = std::to_string(i);
        Val p = b.linear(feats[i], d, true, "linear_c." + idx + ".proj", ModuleGroup::head);
        p = b.view(p, {batch, d, st.height, st.width});
        // Bilinear resize to the stage-1 grid, modelled as a copy (see the docs); the stage-1 map
        // already has that size.
        if (st.height != top.height || st.width != top.width)
            p = b.op(OpKind::memcpy, "upsample." + idx, ModuleGroup::head, 0, {p}, {},
                     {batch, d, top.height, top.width});
        parts.push_back(p);
    }
    std::reverse(parts.begin(), parts.end());  // torch.cat(all_hidden_states[::-1], dim=1)
    Val x = b.concat(parts, 1, "concat", ModuleGroup::head);
    x = b.conv(x, d, {1, 1}, {1, 1}, {0, 0}, 1, false, "linear_fuse", ModuleGroup::head);
    // BatchNorm2d: in training, batch statistics (counted like a LayerNorm's 7 per element); in
    // inference, running statistics fold into one scale and shift (2 per element).
    const bool training = b.run().phase == RunPhase::train;
    const double n = static_cast<double>(element_count(x.shape));
    x = b.op(training ? OpKind::group_norm : OpKind::elementwise, "batch_norm", ModuleGroup::norm,
             (training ? kLayerNormFlopsPerElement : 2.0) * n, {x},
             {b.weight("batch_norm.weight", {d}, ModuleGroup::norm, b.small_param_dtype()),
              b.weight("batch_norm.bias", {d}, ModuleGroup::norm, b.small_param_dtype())},
             x.shape);
    x = b.act(x, Act::relu, "activation", ModuleGroup::head);
    return b.conv(x, a.labels, {1, 1}, {1, 1}, {0, 0}, 1, true, "classifier", ModuleGroup::head);
}

class SegformerModelImpl final : public Model {
public:
    explicit SegformerModelImpl(SegformerArch a) : a_(std::move(a)) {}
    std::string family() const override { return "segformer"; }
    RunPhase default_phase() const override { return RunPhase::encode; }

    RunSpec resolve(RunSpec run) const override {
        return resolve_image_run(run, "a SegFormer model", !(a_.head == SegformerHead::none || a_.labels == 0), "SegFormer config (SegformerModel or num_labels 0)");
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        emit(b, run.batch);
        return {Stage{"encode", g, 1}};
    }

    // Cross-entropy over the classes: per pixel of the labels for segmentation, per image for
    // classification. Segmentation labels are at the image's resolution, so the decode head's 1/4
    // resolution logits are resized to it first (HF SegformerForSemanticSegmentation:
    // nn.functional.interpolate(logits, size=labels.shape[-2:], mode="bilinear"); mmseg's
    // decode head resizes the same way before its loss), modelled as a copy as the head's upsamples.
    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        Val logits = emit(b, run.batch);
        const bool segmentation = a_.head == SegformerHead::semantic_segmentation;
        auto s = b.scope("", std::string(segmentation ? "decode_head" : "encoder"));
        if (segmentation && (logits.shape[2] != a_.image_h || logits.shape[3] != a_.image_w))
            logits = b.op(OpKind::memcpy, "upsample_logits", ModuleGroup::head, 0, {logits}, {},
                          {logits.shape[0], a_.labels, a_.image_h, a_.image_w});
        const std::int64_t rows = element_count(logits.shape) / a_.labels;
        b.cross_entropy(b.view(logits, {rows, a_.labels}), "loss");
        return g;
    }

private:
    Val emit(GraphBuilder& b, std::int64_t batch) const {
        auto s = b.scope("", std::string("encoder"));
        const std::vector<Val> feats = emit_mit_encoder(b, a_, batch);
        switch (a_.head) {
            case SegformerHead::semantic_segmentation:
                return emit_decode_head(b, a_, feats);
            case SegformerHead::image_classification: {
                // SegformerForImageClassification: mean over the last stage's tokens, then a linear.
                const Val last = feats.back();
                const Val pooled = b.pool(last, {batch, last.last()}, "pooler", ModuleGroup::head);
                if (a_.labels == 0) return pooled;
                return b.linear(pooled, a_.labels, true, "classifier", ModuleGroup::head);
            }
            case SegformerHead::none:
                break;
        }
        return feats.back();
    }

    SegformerArch a_;
};

std::unique_ptr<Model> parse_segformer(const json& j, const ConfigContext& ctx) {
    return std::make_unique<SegformerModelImpl>(parse_segformer_arch(j, ctx));
}

const FamilyRegistrar kSegformer{
    {"segformer", parse_segformer, [] { return std::vector<SchemaDoc>{segformer_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
