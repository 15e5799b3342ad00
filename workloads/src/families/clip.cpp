// CLIP (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
// Supervision"), as Hugging Face's modeling_clip.py builds it: a causal text Transformer and a ViT,
// each with pre-LN blocks, joined by two bias-free projections and a learned temperature.
// docs/families/encoders-and-multimodal.md describes the graph and its FLOP formulas.
#include "clip.hpp"

#include "../family.hpp"
#include "encoder_common.hpp"

namespace fmsim::workloads {

namespace {

// Raw CLIPTextConfig / CLIPVisionConfig fields. Defaults are those of the Hugging Face classes
// (transformers/models/clip/configuration_clip.py), because HF builds a missing key with them:
// LLaVA's vision_config, for one, relies on the defaults of num_channels and hidden_act.
struct ClipTowerConfig {
    std::int64_t hidden_size = 0, intermediate_size = 0, num_hidden_layers = 0, num_attention_heads = 0;
    std::int64_t projection_dim = 0;
    std::int64_t vocab_size = 0, max_position_embeddings = 0;     // text
    std::int64_t image_size = 0, patch_size = 0, num_channels = 0;  // vision
    std::string hidden_act;
};

const std::vector<std::string> kClipActivations = {"quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh",
                                                   "gelu_fast", "relu", "silu"};

Schema<ClipTowerConfig> tower_schema(bool vision) {
    Schema<ClipTowerConfig> s(
        vision ? "clip_vision_model" : "clip_text_model",
        vision ? "CLIP image tower (Hugging Face CLIPVisionConfig): a ViT with a bias-free patch convolution, a class "
                 "token, learned positions, a LayerNorm before the blocks (pre_layrnorm), pre-LN blocks and a "
                 "LayerNorm on the class token (post_layernorm). Also the vision_config of clip and llava, and a "
                 "model on its own (CLIPVisionModel, phase encode). Defaults are Hugging Face's (ViT-B/32)."
               : "CLIP text tower (Hugging Face CLIPTextConfig): token and learned position embeddings, pre-LN blocks "
                 "with a causal mask, a final LayerNorm. Also the text_config of clip, and a model on its own "
                 "(CLIPTextModel, phase encode). Defaults are Hugging Face's (the ViT-B/32 text tower).");
    const std::int64_t d = vision ? 768 : 512;
    s.integer("hidden_size", &ClipTowerConfig::hidden_size, d, "", "Width d of the tower.")
        .integer("intermediate_size", &ClipTowerConfig::intermediate_size, 4 * d, "", "MLP hidden size.")
        .integer("num_hidden_layers", &ClipTowerConfig::num_hidden_layers, 12, "", "Transformer blocks.", 1, kMaxLayers)
        .integer("num_attention_heads", &ClipTowerConfig::num_attention_heads, vision ? 12 : 8, "",
                 "Attention heads; must divide hidden_size.")
        .integer("projection_dim", &ClipTowerConfig::projection_dim, 512, "",
                 "Width of the shared embedding space. A clip model uses its top-level projection_dim instead; a "
                 "tower alone (CLIPTextModel, CLIPVisionModel) has no projection.")
        .choice("hidden_act", &ClipTowerConfig::hidden_act, kClipActivations, "quick_gelu", "MLP activation.");
    if (vision) {
        s.integer("image_size", &ClipTowerConfig::image_size, 224, "pixels", "Side of the square input image.")
            .integer("patch_size", &ClipTowerConfig::patch_size, 32, "pixels",
                     "Side of a patch (the patch convolution's kernel and stride).")
            .integer("num_channels", &ClipTowerConfig::num_channels, 3, "", "Input image channels.")
            .ignored("vocab_size", "a text field that llava-hf configs carry in their vision_config; unused");
    } else {
        s.integer("vocab_size", &ClipTowerConfig::vocab_size, 49408, "tokens", "Vocabulary size (BPE).")
            .integer("max_position_embeddings", &ClipTowerConfig::max_position_embeddings, 77, "tokens",
                     "Rows of the learned position table: the longest text (CLIP pads texts to 77).");
    }
    for (const char* k : {"layer_norm_eps", "attention_dropout", "dropout", "initializer_factor", "tie_word_embeddings"})
        s.ignored(k, "numerics, dropout or initialisation; no effect on cost (this family's training graph does not replay dropout)");
    add_pretrained_config_keys(s);
    return add_hf_metadata(s);
}

const Schema<ClipTowerConfig>& text_schema() {
    static const auto s = tower_schema(false);
    return s;
}
const Schema<ClipTowerConfig>& vision_schema() {
    static const auto s = tower_schema(true);
    return s;
}

void require_model_type(const json& j, const ConfigContext& ctx, const std::string& expected) {
    if (!j.is_object()) ctx.fail("expected an object, got " + json_type_name(j));
    auto it = j.find("model_type");
    if (it != j.end() && !(it->is_string() && it->get<std::string>() == expected))
        ctx.at("model_type").fail("expected \"" + expected + "\", got " + json_type_name(*it));
}

// `ctx_of(key)` is where a key's value came from (a legacy override dictionary or the tower).
ClipTowerArch tower_arch(const ClipTowerConfig& c, bool vision,
                         const std::function<ConfigContext(const std::string&)>& ctx_of) {
    if (c.hidden_size % c.num_attention_heads != 0)
        ctx_of("hidden_size").fail("expected a multiple of num_attention_heads (" +
                                   std::to_string(c.num_attention_heads) + "), got " + std::to_string(c.hidden_size));
    ClipTowerArch a;
    a.vision = vision;
    a.block.hidden = c.hidden_size;
    a.block.heads = a.block.kv_heads = c.num_attention_heads;
    a.block.head_dim = c.hidden_size / c.num_attention_heads;
    a.block.ffn = c.intermediate_size;
    a.block.norm = Norm::layer;
    a.block.norm_bias = true;
    a.block.pre_norm = true;
    a.block.attention_bias = true;  // CLIPAttention: q/k/v/out_proj with biases
    a.block.mlp_bias = true;
    a.block.gated = false;
    a.block.act = parse_act(c.hidden_act);
    a.block.causal = !vision;  // CLIPTextTransformer builds a causal mask
    a.layers = c.num_hidden_layers;
    a.projection_dim = c.projection_dim;
    if (vision) {
        if (c.patch_size > c.image_size)
            ctx_of("patch_size").fail("expected at most image_size (" + std::to_string(c.image_size) + "), got " +
                                      std::to_string(c.patch_size));
        a.image_size = c.image_size;
        a.patch_size = c.patch_size;
        a.channels = c.num_channels;
    } else {
        a.vocab = c.vocab_size;
        a.max_positions = c.max_position_embeddings;
    }
    return a;
}

}  // namespace

namespace {
const char* tower_type(bool vision) { return vision ? "clip_vision_model" : "clip_text_model"; }
const Schema<ClipTowerConfig>& schema_of(bool vision) { return vision ? vision_schema() : text_schema(); }
}  // namespace

ClipTowerArch parse_clip_text_config(const json& j, const ConfigContext& ctx) {
    require_model_type(j, ctx, tower_type(false));
    return tower_arch(text_schema().parse(j, ctx), false, [&](const std::string& k) { return ctx.at(k); });
}

ClipTowerArch parse_clip_vision_config(const json& j, const ConfigContext& ctx) {
    require_model_type(j, ctx, tower_type(true));
    return tower_arch(vision_schema().parse(j, ctx), true, [&](const std::string& k) { return ctx.at(k); });
}

SchemaDoc clip_text_schema_doc() { return text_schema().doc(); }
SchemaDoc clip_vision_schema_doc() { return vision_schema().doc(); }

std::int64_t clip_vision_tokens(const ClipTowerArch& a) {
    // The patch convolution floors: (image_size - patch_size) / patch_size + 1 patches per side.
    const std::int64_t grid = a.image_size / a.patch_size;
    return 1 + grid * grid;
}

Val emit_clip_text(GraphBuilder& b, const ClipTowerArch& a, std::int64_t batch, std::int64_t seq) {
    if (seq < 1 || seq > a.max_positions)
        throw ScenarioError("a CLIP text tower reads 1 to " + std::to_string(a.max_positions) +
                            " tokens (its max_position_embeddings), got " + std::to_string(seq));
    Val h;
    {
        auto s = b.scope("embeddings");
        const Val ids = b.input("input_ids", {batch, seq}, DType::int32);
        h = b.embedding(ids, a.vocab, a.block.hidden, "token_embedding", ModuleGroup::embedding);
        h = add_learned_positions(b, h, a.max_positions, "position_embedding");
    }
    h = emit_blocks(b, a.block, h, a.layers, "encoder.layers");
    return b.norm(h, Norm::layer, true, "final_layer_norm");
}

ClipVisionOutputs emit_clip_vision_outputs(GraphBuilder& b, const ClipTowerArch& a, std::int64_t batch) {
    const std::int64_t d = a.block.hidden, p = a.patch_size, grid = a.image_size / a.patch_size;
    const std::int64_t tokens = clip_vision_tokens(a);
    Val h;
    {
        auto s = b.scope("embeddings");
        const Val pixels = b.input("pixel_values", {batch, a.channels, a.image_size, a.image_size}, b.act_dtype());
        // Conv2d(channels, d, kernel=stride=patch, bias=False): 2 * B * d * grid^2 * channels * p^2 FLOPs.
        const Val patches =
            b.conv(pixels, d, {p, p}, {p, p}, {0, 0}, 1, false, "patch_embedding", ModuleGroup::embedding);
        // flatten(2).transpose(1, 2) is a strided view; the concatenation with the class token
        // below is the copy that materialises it.
        const Val seq = b.view(patches, {batch, grid * grid, d});
        const TensorRef cls = b.weight("class_embedding", {d}, ModuleGroup::embedding, b.small_param_dtype());
        h = b.op(OpKind::memcpy, "concat_class_embedding", ModuleGroup::embedding, 0, {seq}, {cls},
                 {batch, tokens, d});
        h = add_learned_positions(b, h, tokens, "position_embedding");
    }
    ClipVisionOutputs out;
    h = b.norm(h, Norm::layer, true, "pre_layrnorm");  // sic: Hugging Face's name
    out.hidden_states.push_back(h);
    for (std::int64_t l = 0; l < a.layers; ++l) {
        auto s = b.scope("encoder.layers." + std::to_string(l), std::nullopt, static_cast<int>(l));
        h = emit_block(b, a.block, h);
        out.hidden_states.push_back(h);
    }
    out.pooled = b.norm(b.slice(h, {batch, 1, d}), Norm::layer, true, "post_layernorm");
    return out;
}

Val emit_clip_vision(GraphBuilder& b, const ClipTowerArch& a, std::int64_t batch) {
    return emit_clip_vision_outputs(b, a, batch).hidden_states.back();
}

Val clip_text_pooled(GraphBuilder& b, const Val& last_hidden) {
    return b.slice(last_hidden, {last_hidden.shape.at(0), 1, last_hidden.last()});
}

Val emit_clip_projection(GraphBuilder& b, const Val& pooled, std::int64_t projection_dim, const std::string& leaf) {
    return b.linear(pooled, projection_dim, false, leaf, ModuleGroup::head);
}

namespace {

// The top-level CLIPConfig. text_config_dict / vision_config_dict are the legacy override
// dictionaries of transformers < 4.23; CLIPConfig still applies them over text_config and
// vision_config, so fmsim does too.
struct ClipConfig {
    json text_config, vision_config, text_config_dict, vision_config_dict;
    std::int64_t projection_dim = 0;
};

std::function<void(ClipConfig&, const json&, const ConfigContext&)> object_reader(json ClipConfig::*member,
                                                                                 bool nullable) {
    return [=](ClipConfig& c, const json& j, const ConfigContext& at) {
        if (nullable && j.is_null()) return;
        if (!j.is_object()) at.fail("expected an object" + std::string(nullable ? " or null" : "") + ", got " +
                                    json_type_name(j));
        c.*member = j;
    };
}

const Schema<ClipConfig>& clip_schema() {
    static const auto s = [] {
        Schema<ClipConfig> s("clip", "CLIP dual encoder (Hugging Face CLIPConfig): a text tower and a vision tower, "
                                     "bias-free text_projection and visual_projection to projection_dim, and a "
                                     "learned logit scale. Phases encode (default) and train (contrastive loss).");
        s.custom("text_config", "object (clip_text_model)", "", "The text tower; see clip_text_model.",
                 object_reader(&ClipConfig::text_config, false), nullptr)
            .custom("vision_config", "object (clip_vision_model)", "", "The vision tower; see clip_vision_model.",
                    object_reader(&ClipConfig::vision_config, false), nullptr)
            .custom("text_config_dict", "object or null", "null",
                    "Legacy overrides applied over text_config (as CLIPConfig does).",
                    object_reader(&ClipConfig::text_config_dict, true), [](ClipConfig&) {})
            .custom("vision_config_dict", "object or null", "null",
                    "Legacy overrides applied over vision_config (as CLIPConfig does).",
                    object_reader(&ClipConfig::vision_config_dict, true), [](ClipConfig&) {})
            .integer("projection_dim", &ClipConfig::projection_dim, 512, "",
                     "Width of the shared image-text embedding space (both projections).")
            .ignored("logit_scale_init_value", "initial value of the learned temperature")
            .ignored("initializer_factor", "initialisation");
        add_pretrained_config_keys(s);
        return add_hf_metadata(s);
    }();
    return s;
}

// Parses a tower and its legacy override dictionary: each object is checked on its own (keys and
// types, so an error names the right JSON pointer), then the merged one is built; a cross-field
// error names the object the offending value came from.
ClipTowerArch parse_tower_with_overrides(const json& base, const json& overrides, const ConfigContext& ctx,
                                         const std::string& key, bool vision) {
    if (overrides.is_null()) return vision ? parse_clip_vision_config(base, ctx.at(key)) : parse_clip_text_config(base, ctx.at(key));
    const ConfigContext base_ctx = ctx.at(key), dict_ctx = ctx.at(key + "_dict");
    require_model_type(base, base_ctx, tower_type(vision));
    require_model_type(overrides, dict_ctx, tower_type(vision));
    schema_of(vision).parse(base, base_ctx);
    schema_of(vision).parse(overrides, dict_ctx);
    json merged = base;
    merged.update(overrides);
    return tower_arch(schema_of(vision).parse(merged, base_ctx), vision, [&](const std::string& k) {
        return overrides.contains(k) ? dict_ctx.at(k) : base_ctx.at(k);
    });
}

enum class ClipKind { both, text, vision };

class ClipModel final : public Model {
public:
    ClipModel(ClipKind kind, std::optional<ClipTowerArch> text, std::optional<ClipTowerArch> vision,
              std::int64_t projection_dim)
        : kind_(kind), text_(std::move(text)), vision_(std::move(vision)), projection_dim_(projection_dim) {}

    std::string family() const override {
        return kind_ == ClipKind::both ? "clip" : kind_ == ClipKind::text ? "clip_text_model" : "clip_vision_model";
    }
    RunPhase default_phase() const override { return RunPhase::encode; }

    RunSpec resolve(RunSpec run) const override {
        if (kind_ == ClipKind::both)
            require_phase(run, {RunPhase::encode, RunPhase::train}, "a CLIP dual encoder");
        else
            require_phase(run, {RunPhase::encode}, "a CLIP tower on its own");
        if (kind_ == ClipKind::vision) {
            // Images always enter at image_size: input_len is the tokens per image.
            run.input_len = image_tokens(run.input_len, clip_vision_tokens(*vision_),
                                         "a CLIP vision tower at image_size " + std::to_string(vision_->image_size));
        } else {
            // input_len is the text length; CLIP pads texts to max_position_embeddings.
            run.input_len = positive_or(run.input_len, text_->max_positions);
            require_positions(run.input_len, text_->max_positions,
                              "the CLIP text tower (max_position_embeddings)");
        }
        run.output_len = 0;
        run.steps = 0;
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        if (kind_ == ClipKind::text) {
            auto s = b.scope("text_model", std::string("text"));
            emit_clip_text(b, *text_, run.batch, run.input_len);
        } else if (kind_ == ClipKind::vision) {
            auto s = b.scope("vision_model", std::string("vision"));
            emit_clip_vision_outputs(b, *vision_, run.batch);
        } else {
            emit_similarity(b, run);
        }
        return {Stage{"encode", g}};
    }

    // Contrastive loss over a batch of B matching image-text pairs: the mean of the cross-entropy
    // of logits_per_text over images and of logits_per_image over texts (HF clip_loss).
    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        const Val logits_per_text = emit_similarity(b, run);
        auto s = b.scope("", std::string("similarity"));
        const Val text_loss = b.cross_entropy(logits_per_text, "text_loss");
        // logits_per_image is the transpose: a view, rows are images.
        const Val image_loss = b.cross_entropy(b.view(logits_per_text, logits_per_text.shape), "image_loss");
        b.add(text_loss, image_loss, "loss", ModuleGroup::head);
        return g;
    }

private:
    // Both towers, the projections, L2 normalisation and the [B_text, B_image] similarity.
    Val emit_similarity(GraphBuilder& b, const RunSpec& run) const {
        const std::int64_t batch = run.batch;
        Val image_embeds, text_embeds;
        {
            auto s = b.scope("vision_model", std::string("vision"));
            image_embeds = emit_clip_vision_outputs(b, *vision_, batch).pooled;
        }
        {
            auto s = b.scope("", std::string("vision"));
            image_embeds = emit_clip_projection(b, image_embeds, projection_dim_, "visual_projection");
        }
        {
            auto s = b.scope("text_model", std::string("text"));
            text_embeds = clip_text_pooled(b, emit_clip_text(b, *text_, batch, run.input_len));
        }
        {
            auto s = b.scope("", std::string("text"));
            text_embeds = emit_clip_projection(b, text_embeds, projection_dim_, "text_projection");
        }
        auto s = b.scope("", std::string("similarity"));
        image_embeds = b.scale(image_embeds, kL2NormalizeFlopsPerElement, "normalize_image_embeds", ModuleGroup::head);
        text_embeds = b.scale(text_embeds, kL2NormalizeFlopsPerElement, "normalize_text_embeds", ModuleGroup::head);
        const Val t = b.view(text_embeds, {batch, projection_dim_});
        const Val i = b.view(image_embeds, {batch, projection_dim_});
        // logits_per_text = text_embeds @ image_embeds.T: 2 * B * B * projection_dim FLOPs.
        const Val logits = b.op(OpKind::batched_matmul, "logits_per_text", ModuleGroup::head,
                                2.0 * batch * batch * projection_dim_, {t, i}, {}, {batch, batch},
                                GemmDims{1, batch, batch, projection_dim_});
        // Times exp(logit_scale): one exp, then one multiply per logit.
        const TensorRef scale = b.weight("logit_scale", {1}, ModuleGroup::head, b.small_param_dtype());
        return b.op(OpKind::elementwise, "logit_scale", ModuleGroup::head, 1.0 + static_cast<double>(batch) * batch,
                    {logits}, {scale}, {batch, batch});
    }

    ClipKind kind_;
    std::optional<ClipTowerArch> text_, vision_;
    std::int64_t projection_dim_ = 0;
};

std::unique_ptr<Model> parse_clip(const json& j, const ConfigContext& ctx) {
    const ClipConfig c = clip_schema().parse(j, ctx);
    ClipTowerArch text = parse_tower_with_overrides(c.text_config, c.text_config_dict, ctx, "text_config", false);
    ClipTowerArch vision =
        parse_tower_with_overrides(c.vision_config, c.vision_config_dict, ctx, "vision_config", true);
    // CLIPModel projects both towers to the top-level projection_dim.
    text.projection_dim = vision.projection_dim = c.projection_dim;
    return std::make_unique<ClipModel>(ClipKind::both, std::move(text), std::move(vision), c.projection_dim);
}

std::unique_ptr<Model> parse_clip_text_model(const json& j, const ConfigContext& ctx) {
    return std::make_unique<ClipModel>(ClipKind::text, parse_clip_text_config(j, ctx), std::nullopt, 0);
}

std::unique_ptr<Model> parse_clip_vision_model(const json& j, const ConfigContext& ctx) {
    return std::make_unique<ClipModel>(ClipKind::vision, std::nullopt, parse_clip_vision_config(j, ctx), 0);
}

const FamilyRegistrar kClip{{"clip", parse_clip, [] {
                                 return std::vector<SchemaDoc>{clip_schema().doc(), clip_text_schema_doc(),
                                                               clip_vision_schema_doc()};
                             }}};
const FamilyRegistrar kClipText{
    {"clip_text_model", parse_clip_text_model, [] { return std::vector<SchemaDoc>{clip_text_schema_doc()}; }}};
const FamilyRegistrar kClipVision{
    {"clip_vision_model", parse_clip_vision_model, [] { return std::vector<SchemaDoc>{clip_vision_schema_doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
