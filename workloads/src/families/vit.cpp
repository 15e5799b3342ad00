// Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words") and DeiT without
// the distillation token (Touvron et al. 2021), as Hugging Face's modeling_vit.py builds
// ViTForImageClassification: patch convolution with bias, class token, learned positions, pre-LN
// blocks, a final LayerNorm and a linear classifier on the class token.
// docs/families/encoders-and-multimodal.md.
#include "../family.hpp"
#include "encoder_common.hpp"
#include "transformer.hpp"

namespace fmsim::workloads {

namespace {

struct VitConfig {
    std::int64_t hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, intermediate_size = 0;
    std::int64_t image_size = 0, patch_size = 0, num_channels = 0;
    std::optional<std::int64_t> num_labels, id2label_size;
    bool qkv_bias = true;
    std::string hidden_act;
};

const Schema<VitConfig>& vit_schema() {
    static const auto s = [] {
        Schema<VitConfig> s("vit",
                            "Vision Transformers (Hugging Face ViTConfig; also DeiT without the distillation token): "
                            "patch convolution, class token, learned positions, pre-LayerNorm blocks, final "
                            "LayerNorm, and a linear classifier on the class token when the config names its "
                            "classes. Phases encode (default) and train (classification cross-entropy).");
        s.integer("hidden_size", &VitConfig::hidden_size, std::nullopt, "", "Hidden size d.")
            .integer("num_hidden_layers", &VitConfig::num_hidden_layers, std::nullopt, "", "Transformer blocks.", 1, kMaxLayers)
            .integer("num_attention_heads", &VitConfig::num_attention_heads, std::nullopt, "",
                     "Attention heads; must divide hidden_size.")
            .integer("intermediate_size", &VitConfig::intermediate_size, std::nullopt, "", "MLP hidden size.")
            .integer("image_size", &VitConfig::image_size, 224, "pixels", "Side of the square input image.")
            .integer("patch_size", &VitConfig::patch_size, 16, "pixels",
                     "Side of a patch (the patch convolution's kernel and stride); at most image_size.")
            .integer("num_channels", &VitConfig::num_channels, 3, "", "Input image channels.")
            .boolean("qkv_bias", &VitConfig::qkv_bias, true, "Query/key/value projections have biases.")
            .choice("hidden_act", &VitConfig::hidden_act, {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"},
                    "gelu", "MLP activation.");
        add_label_fields(s, &VitConfig::num_labels, &VitConfig::id2label_size, "no classifier (the ViTModel backbone)");
        for (const char* k : {"hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                              "encoder_stride", "pooler_output_size", "pooler_act", "tie_word_embeddings"})
            s.ignored(k, "dropout, numerics, or heads this model does not build (masked-image decoder, pooler); dropout is not replayed in this family's training graph");
        add_pretrained_config_keys(s, /*with_labels=*/false);
        return add_hf_metadata(s);
    }();
    return s;
}

struct VitArch {
    BlockSpec block;
    std::int64_t layers = 0, image_size = 0, patch_size = 0, channels = 0;
    std::int64_t classes = 0;  // 0 = no classifier
    bool qkv_bias = true;
    std::int64_t grid() const { return image_size / patch_size; }
    std::int64_t tokens() const { return 1 + grid() * grid(); }
};

// One pre-LN ViTLayer. ViT's qkv_bias switches the q/k/v biases while the output projection keeps
// its bias; the attention sub-layer sits in an "attention" scope as Hugging Face names it.
Val emit_vit_layer(GraphBuilder& b, const VitArch& a, Val h) {
    AttentionBlock attention = self_attention_block(a.block);
    attention.kv_heads = a.block.heads;
    attention.bias = QkvBias::all(a.qkv_bias);
    attention.out_bias = true;
    h = pre_norm_residual(b, h, Norm::layer, true, "layernorm_before", "residual", [&](const Val& x) {
        auto at = b.scope("attention");
        return emit_self_attention(b, attention, x);
    });
    return pre_norm_residual(b, h, Norm::layer, true, "layernorm_after", "mlp_residual", [&](const Val& y) {
        auto m = b.scope("mlp");
        return emit_mlp(b, a.block, y);
    });
}

class VitModel final : public Model {
public:
    explicit VitModel(VitArch a) : a_(std::move(a)) {}
    std::string family() const override { return "vit"; }
    RunPhase default_phase() const override { return RunPhase::encode; }

    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::encode, RunPhase::train}, "a Vision Transformer");
        if (run.phase == RunPhase::train && a_.classes == 0)
            throw ScenarioError("training a ViT needs a classifier: give the config num_labels or id2label");
        // Images always enter at image_size; input_len is the tokens per image.
        run.input_len = image_tokens(run.input_len, a_.tokens(), "a ViT at image_size " + std::to_string(a_.image_size));
        run.output_len = 0;
        run.steps = 0;
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        emit(b, run);
        return {Stage{"encode", g}};
    }

    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        const Val logits = emit(b, run);
        auto s = b.scope("", std::string("head"));
        b.cross_entropy(b.view(logits, {run.batch, a_.classes}), "loss");
        return g;
    }

private:
    // Returns the logits [B, 1, classes], or the final hidden states when there is no classifier.
    Val emit(GraphBuilder& b, const RunSpec& run) const {
        const std::int64_t batch = run.batch, d = a_.block.hidden, p = a_.patch_size, grid = a_.grid();
        Val h;
        {
            auto s = b.scope("vit", std::string("vision"));
            {
                auto e = b.scope("embeddings");
                const Val pixels =
                    b.input("pixel_values", {batch, a_.channels, a_.image_size, a_.image_size}, b.act_dtype());
                // Conv2d(channels, d, kernel=stride=patch) with bias:
                // 2 * B * d * grid^2 * channels * p^2 + B * d * grid^2 FLOPs.
                const Val patches = b.conv(pixels, d, {p, p}, {p, p}, {0, 0}, 1, true,
                                           "patch_embeddings.projection", ModuleGroup::embedding);
                // flatten(2).transpose(1, 2): a view, materialised by the concatenation with the
                // class token.
                const Val seq = b.view(patches, {batch, grid * grid, d});
                const TensorRef cls = b.weight("cls_token", {1, 1, d}, ModuleGroup::embedding, b.small_param_dtype());
                h = b.op(OpKind::memcpy, "concat_cls_token", ModuleGroup::embedding, 0, {seq}, {cls},
                         {batch, a_.tokens(), d});
                h = add_learned_positions(b, h, a_.tokens(), "position_embeddings");
            }
            for (std::int64_t l = 0; l < a_.layers; ++l) {
                auto layer = b.scope("encoder.layer." + std::to_string(l), std::nullopt, static_cast<int>(l));
                h = emit_vit_layer(b, a_, h);
            }
            h = b.norm(h, Norm::layer, true, "layernorm");
        }
        if (a_.classes == 0) return h;
        auto s = b.scope("", std::string("head"));
        return b.linear(b.slice(h, {batch, 1, d}), a_.classes, true, "classifier", ModuleGroup::head);
    }

    VitArch a_;
};

std::unique_ptr<Model> parse_vit(const json& j, const ConfigContext& ctx) {
    const VitConfig c = vit_schema().parse(j, ctx);
    require_multiple(ctx, "hidden_size", c.hidden_size, c.num_attention_heads, "num_attention_heads");
    if (c.patch_size > c.image_size)
        ctx.at("patch_size").fail("expected at most image_size (" + std::to_string(c.image_size) + "), got " +
                                  std::to_string(c.patch_size));
    VitArch a;
    a.block.hidden = c.hidden_size;
    a.block.heads = a.block.kv_heads = c.num_attention_heads;
    a.block.head_dim = c.hidden_size / c.num_attention_heads;
    a.block.ffn = c.intermediate_size;
    a.block.mlp_bias = true;
    a.block.act = parse_act(c.hidden_act);
    a.layers = c.num_hidden_layers;
    a.image_size = c.image_size;
    a.patch_size = c.patch_size;
    a.channels = c.num_channels;
    a.qkv_bias = c.qkv_bias;
    a.classes = resolve_label_count(c.num_labels, c.id2label_size, ctx, 0);
    return std::make_unique<VitModel>(std::move(a));
}

const FamilyRegistrar kVit{{"vit", parse_vit, [] { return std::vector<SchemaDoc>{vit_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
