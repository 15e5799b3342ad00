// ImageBind-style multi-encoders (Girdhar et al. 2023, "ImageBind: One Embedding Space To Bind
// Them All"), following the released imagebind_model.py: one Transformer encoder per modality
// (image, text, audio, depth, thermal, IMU), each with a head that projects to a shared embedding
// space. fmsim's own model_type "imagebind"; the image and text encoders reuse the CLIP tower
// schemas. docs/families/encoders-and-multimodal.md.
#include "../family.hpp"
#include "clip.hpp"
#include "encoder_common.hpp"
#include "transformer.hpp"

namespace fmsim::workloads {

namespace {

// ---- configuration ---------------------------------------------------------------------------

// An encoder for a modality that is not image or text (ImageBind's audio, depth, thermal and IMU
// preprocessors + SimpleTransformer trunks).
struct IbEncoderConfig {
    std::string stem;
    std::int64_t hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, num_channels = 0;
    std::optional<std::int64_t> intermediate_size, patch_stride;
    std::vector<std::int64_t> input_size;
    std::int64_t patch_size = 0;
    std::string hidden_act;
    bool stem_norm = true, add_bias_kv = true, pre_transformer_norm = false;
    double logit_scale = 0;
};

const Schema<IbEncoderConfig>& encoder_schema() {
    static const auto s = [] {
        Schema<IbEncoderConfig> s(
            "imagebind_encoder",
            "One ImageBind modality encoder other than image and text (audio_config, depth_config, thermal_config, "
            "imu_config of an imagebind model): a bias-free patch stem (a strided convolution over a 2-D input such "
            "as a spectrogram or a depth map, or a linear layer over windows of a 1-D signal), an optional "
            "LayerNorm, a class token, learned positions, pre-LN Transformer blocks, and a head (LayerNorm, class "
            "token, bias-free projection to out_embed_dim).");
        s.choice("stem", &IbEncoderConfig::stem, {"conv2d", "linear"}, "conv2d",
                 "conv2d: Conv2d(num_channels, d, patch_size, patch_stride) over input_size [H, W]; linear: the "
                 "signal [num_channels, T] cut into windows of patch_size samples, each flattened and projected by "
                 "Linear(num_channels * patch_size, d) (ImageBind's IMU stem).")
            .integer("hidden_size", &IbEncoderConfig::hidden_size, std::nullopt, "", "Width d of the encoder.")
            .integer("num_hidden_layers", &IbEncoderConfig::num_hidden_layers, std::nullopt, "", "Transformer blocks.", 1, kMaxLayers)
            .integer("num_attention_heads", &IbEncoderConfig::num_attention_heads, std::nullopt, "",
                     "Attention heads; must divide hidden_size.")
            .optional_integer("intermediate_size", &IbEncoderConfig::intermediate_size, "4 * hidden_size", "",
                              "MLP hidden size (ImageBind's mlp_ratio is 4).")
            .integer("num_channels", &IbEncoderConfig::num_channels, 1, "",
                     "Input channels (1 for spectrograms, depth and thermal maps; 6 IMU sensor axes).")
            .integer_list("input_size", &IbEncoderConfig::input_size, std::nullopt, "samples",
                          "Input extent: [H, W] for conv2d (e.g. [128, 204] mel bins x frames), [T] for linear.")
            .integer("patch_size", &IbEncoderConfig::patch_size, std::nullopt, "samples",
                     "Convolution kernel side (conv2d) or window length (linear).")
            .optional_integer("patch_stride", &IbEncoderConfig::patch_stride, "patch_size", "samples",
                              "Convolution stride (conv2d; ImageBind's audio stem uses 10 with 16-sample patches).")
            .choice("hidden_act", &IbEncoderConfig::hidden_act, {"gelu", "quick_gelu", "gelu_new", "relu", "silu"},
                    "gelu", "MLP activation.")
            .boolean("stem_norm", &IbEncoderConfig::stem_norm, true, "A LayerNorm after the stem.")
            .boolean("add_bias_kv", &IbEncoderConfig::add_bias_kv, true,
                     "nn.MultiheadAttention's add_bias_kv: a learned key and value appended to every sequence.")
            .boolean("pre_transformer_norm", &IbEncoderConfig::pre_transformer_norm, false,
                     "A LayerNorm before the first block.")
            .number("logit_scale", &IbEncoderConfig::logit_scale, 0.0, "",
                    "Fixed temperature the postprocessor multiplies the normalised embedding by (a buffer, not a "
                    "parameter); 0 = none.")
            .ignored("drop_path", "stochastic depth rate (training regularisation)")
            .ignored("layer_norm_eps", "numerics");
        return s;
    }();
    return s;
}

struct ImageBindConfig {
    std::int64_t out_embed_dim = 0, vision_kernel_frames = 0;
    json vision_config, text_config, audio_config, depth_config, thermal_config, imu_config;
};

std::function<void(ImageBindConfig&, const json&, const ConfigContext&)> nullable_object(json ImageBindConfig::*m) {
    return [=](ImageBindConfig& c, const json& j, const ConfigContext& at) {
        if (j.is_null()) return;
        if (!j.is_object()) at.fail("expected an object or null, got " + json_type_name(j));
        c.*m = j;
    };
}

const Schema<ImageBindConfig>& imagebind_schema() {
    static const auto s = [] {
        Schema<ImageBindConfig> s(
            "imagebind",
            "ImageBind-style multi-encoder (fmsim's own model_type): one encoder per modality, each projecting to a "
            "shared out_embed_dim space. vision_config and text_config are CLIP towers (clip_vision_model, "
            "clip_text_model); the others are imagebind_encoder objects. A modality that is absent or null is not "
            "built; at least one must be present. Phases encode (default: every encoder on a batch of its "
            "modality) and train (each non-image modality contrasted with images; image and text encoders frozen).");
        s.integer("out_embed_dim", &ImageBindConfig::out_embed_dim, std::nullopt, "",
                  "Width of the shared embedding space (every head's projection).")
            .integer("vision_kernel_frames", &ImageBindConfig::vision_kernel_frames, 2, "frames",
                     "Temporal depth of the image encoder's patch convolution: an image is repeated to this many "
                     "frames (ImageBind's PadIm2Video) and one Conv3d kernel covers them all.")
            .custom("vision_config", "object (clip_vision_model) or null", "absent",
                    "Image encoder: a CLIP vision tower (pre-LN blocks after a LayerNorm, as pre_layrnorm); its "
                    "head normalises all tokens, then projects the class token without bias.",
                    nullable_object(&ImageBindConfig::vision_config), [](ImageBindConfig&) {})
            .custom("text_config", "object (clip_text_model) or null", "absent",
                    "Text encoder: a CLIP text tower (causal); its head takes the end-of-text token, normalises "
                    "and projects it without bias, then scales by a learned logit scale.",
                    nullable_object(&ImageBindConfig::text_config), [](ImageBindConfig&) {});
        for (const char* k : {"audio_config", "depth_config", "thermal_config", "imu_config"})
            s.custom(k, "object (imagebind_encoder) or null", "absent", "See imagebind_encoder.",
                     nullable_object(std::string(k) == "audio_config"     ? &ImageBindConfig::audio_config
                                     : std::string(k) == "depth_config"   ? &ImageBindConfig::depth_config
                                     : std::string(k) == "thermal_config" ? &ImageBindConfig::thermal_config
                                                                          : &ImageBindConfig::imu_config),
                     [](ImageBindConfig&) {});
        s.ignored("model_type", "selects the family");
        return s;
    }();
    return s;
}

// ---- architecture ----------------------------------------------------------------------------

enum class Stem { conv, linear, tokens };

struct Encoder {
    std::string modality;  // "vision", "text", "audio", "depth", "thermal", "imu"
    Stem stem = Stem::conv;
    BlockSpec block;
    std::int64_t layers = 0;
    std::int64_t channels = 0;
    std::vector<std::int64_t> input, kernel, stride;  // stem geometry (conv: spatial dims)
    std::int64_t vocab = 0;        // text
    std::int64_t tokens = 0;       // sequence length incl. the class token (text: context)
    bool stem_norm = false, bias_kv = false, pre_norm = false;
    bool learned_logit_scale = false;  // text: a parameter
    bool fixed_logit_scale = false;    // audio, depth, thermal, IMU: a buffer
    bool trainable = true;             // the image and text encoders are frozen OpenCLIP towers
};

BlockSpec block_spec(std::int64_t d, std::int64_t heads, std::int64_t ffn, Act act, bool causal) {
    BlockSpec s;
    s.hidden = d;
    s.heads = s.kv_heads = heads;
    s.head_dim = d / heads;
    s.ffn = ffn;
    s.norm = Norm::layer;
    s.pre_norm = true;
    s.attention_bias = true;  // nn.MultiheadAttention(bias=True): in_proj and out_proj biases
    s.mlp_bias = true;
    s.act = act;
    s.causal = causal;
    return s;
}

Encoder vision_encoder(const ClipTowerArch& t, std::int64_t frames) {
    Encoder e;
    e.modality = "vision";
    e.stem = Stem::conv;
    e.block = block_spec(t.block.hidden, t.block.heads, t.block.ffn, t.block.act, false);
    e.layers = t.layers;
    e.channels = t.channels;
    e.input = {frames, t.image_size, t.image_size};
    e.kernel = e.stride = {frames, t.patch_size, t.patch_size};
    e.tokens = clip_vision_tokens(t);
    e.pre_norm = true;  // pre_transformer_ln=True for the vision trunk
    e.trainable = false;
    return e;
}

Encoder text_encoder(const ClipTowerArch& t) {
    Encoder e;
    e.modality = "text";
    e.stem = Stem::tokens;
    e.block = block_spec(t.block.hidden, t.block.heads, t.block.ffn, t.block.act, true);
    e.layers = t.layers;
    e.vocab = t.vocab;
    e.tokens = t.max_positions;
    e.learned_logit_scale = true;
    e.trainable = false;
    return e;
}

Encoder other_encoder(const std::string& modality, const json& j, const ConfigContext& ctx) {
    const IbEncoderConfig c = encoder_schema().parse(j, ctx);
    require_multiple(ctx, "hidden_size", c.hidden_size, c.num_attention_heads, "num_attention_heads");
    Encoder e;
    e.modality = modality;
    e.block = block_spec(c.hidden_size, c.num_attention_heads, c.intermediate_size.value_or(4 * c.hidden_size),
                         parse_act(c.hidden_act), false);
    e.layers = c.num_hidden_layers;
    e.channels = c.num_channels;
    e.input = c.input_size;
    e.stem_norm = c.stem_norm;
    e.bias_kv = c.add_bias_kv;
    e.pre_norm = c.pre_transformer_norm;
    e.fixed_logit_scale = c.logit_scale > 0;
    const std::int64_t stride = c.patch_stride.value_or(c.patch_size);
    if (c.stem == "conv2d") {
        if (c.input_size.size() != 2)
            ctx.at("input_size").fail("expected [height, width] for a conv2d stem, got " +
                                      std::to_string(c.input_size.size()) + " values");
        e.stem = Stem::conv;
        e.kernel = {c.patch_size, c.patch_size};
        e.stride = {stride, stride};
        std::int64_t patches = 1;
        for (std::int64_t side : c.input_size) {
            if (side < c.patch_size)
                ctx.at("patch_size").fail("expected at most the input size (" + std::to_string(side) + "), got " +
                                          std::to_string(c.patch_size));
            patches *= (side - c.patch_size) / stride + 1;  // Conv2d output size without padding
        }
        e.tokens = 1 + patches;
    } else {
        if (c.input_size.size() != 1)
            ctx.at("input_size").fail("expected [samples] for a linear stem, got " +
                                      std::to_string(c.input_size.size()) + " values");
        if (c.patch_stride && *c.patch_stride != c.patch_size)
            ctx.at("patch_stride").fail("expected patch_size (" + std::to_string(c.patch_size) +
                                        "): the linear stem cuts non-overlapping windows");
        if (c.input_size[0] < c.patch_size)
            ctx.at("patch_size").fail("expected at most input_size (" + std::to_string(c.input_size[0]) + ")");
        e.stem = Stem::linear;
        e.kernel = e.stride = {c.patch_size};
        e.tokens = 1 + c.input_size[0] / c.patch_size;  // unfold drops a partial last window
    }
    return e;
}

// ---- graph -----------------------------------------------------------------------------------

// One BlockWithMasking: pre-LN nn.MultiheadAttention (packed in_proj, optional bias_k/bias_v
// appended to the keys and values) and a GELU MLP, with residuals.
Val emit_ib_block(GraphBuilder& b, const Encoder& e, Val h) {
    AttentionBlock attention = self_attention_block(e.block);
    attention.kv_heads = e.block.heads;
    attention.bias = QkvBias::all(true);
    attention.out_bias = true;
    attention.qkv_name = "in_proj";
    attention.attention_name = "attention";
    attention.out_name = "out_proj";
    if (e.bias_kv)
        attention.extend_kv = [](GraphBuilder& g, Val& k, Val& v) {
            // torch.cat([k, bias_k.repeat(1, B, 1)]): one more key and value per sequence.
            const std::int64_t batch = k.shape[0], seq = k.shape[1], d = k.shape[2];
            const TensorRef bk = g.weight("bias_k", {1, 1, d}, ModuleGroup::attention, g.small_param_dtype());
            const TensorRef bv = g.weight("bias_v", {1, 1, d}, ModuleGroup::attention, g.small_param_dtype());
            k = g.op(OpKind::memcpy, "append_bias_k", ModuleGroup::attention, 0, {k}, {bk}, {batch, seq + 1, d});
            v = g.op(OpKind::memcpy, "append_bias_v", ModuleGroup::attention, 0, {v}, {bv}, {batch, seq + 1, d});
        };
    h = pre_norm_residual(b, h, Norm::layer, true, "norm_1", "residual", [&](const Val& x) {
        auto at = b.scope("attn");
        return emit_self_attention(b, attention, x);
    });
    return pre_norm_residual(b, h, Norm::layer, true, "norm_2", "mlp_residual", [&](const Val& y) {
        auto m = b.scope("mlp");
        return emit_mlp(b, e.block, y);
    });
}

// Preprocessor + trunk + head + postprocessor of one modality over `batch` samples (`text_len`
// tokens for text). Returns the normalised (and scaled) embeddings [batch, out_embed_dim].
Val emit_encoder(GraphBuilder& b, const Encoder& e, std::int64_t out_dim, std::int64_t batch, std::int64_t text_len) {
    auto comp = b.scope(e.modality, e.modality);
    const std::int64_t d = e.block.hidden;
    Val h;
    {
        auto pre = b.scope("preprocessor");
        if (e.stem == Stem::tokens) {
            const Val ids = b.input("input_ids", {batch, text_len}, DType::int32);
            h = b.embedding(ids, e.vocab, d, "token_embedding", ModuleGroup::embedding);
            h = add_learned_positions(b, h, e.tokens, "pos_embed");
        } else {
            Val tokens;
            if (e.stem == Stem::conv) {
                const bool video = e.kernel.size() == 3;  // the image stem's Conv3d
                // An image enters as [B, C, H, W]; PadIm2Video repeats it along a time axis.
                const std::vector<std::int64_t> spatial(e.input.end() - 2, e.input.end());
                Val x = b.input("pixel_values", {batch, e.channels, spatial[0], spatial[1]}, b.act_dtype());
                if (video)
                    x = b.op(OpKind::memcpy, "pad_im2video", ModuleGroup::embedding, 0, {x}, {},
                             {batch, e.channels, e.input[0], spatial[0], spatial[1]});
                const std::vector<std::int64_t> padding(e.kernel.size(), 0);
                const Val conv = b.conv(x, d, e.kernel, e.stride, padding, 1, false, "stem", ModuleGroup::embedding);
                // flatten(2).transpose(1, 2): a view; the class-token concatenation copies it.
                tokens = b.view(conv, {batch, e.tokens - 1, d});
            } else {
                // unfold(-1, k, k).permute(0, 2, 1, 3).reshape: windows of k samples on every
                // channel, materialised as [B, T/k, C*k], then a bias-free Linear.
                const std::int64_t windows = e.tokens - 1, k = e.kernel[0];
                const Val x = b.input("signal", {batch, e.channels, e.input[0]}, b.act_dtype());
                const Val patches = b.op(OpKind::memcpy, "unfold", ModuleGroup::embedding, 0, {x}, {},
                                         {batch, windows, e.channels * k});
                tokens = b.linear(patches, d, false, "stem", ModuleGroup::embedding);
            }
            if (e.stem_norm) tokens = b.norm(tokens, Norm::layer, true, "stem_norm", ModuleGroup::norm);
            const TensorRef cls = b.weight("cls_token", {1, 1, d}, ModuleGroup::embedding, b.small_param_dtype());
            h = b.op(OpKind::memcpy, "concat_cls_token", ModuleGroup::embedding, 0, {tokens}, {cls},
                     {batch, e.tokens, d});
            h = add_learned_positions(b, h, e.tokens, "pos_embed");
        }
    }
    {
        auto trunk = b.scope("trunk");
        if (e.pre_norm) h = b.norm(h, Norm::layer, true, "pre_transformer_norm");
        for (std::int64_t l = 0; l < e.layers; ++l) {
            auto blk = b.scope("blocks." + std::to_string(l), std::nullopt, static_cast<int>(l));
            h = emit_ib_block(b, e, h);
        }
    }
    Val z;
    {
        auto head = b.scope("head");
        if (e.stem == Stem::tokens) {
            // SelectEOSAndProject: the end-of-text token of each sequence, then LayerNorm.
            z = b.norm(b.slice(h, {batch, 1, d}), Norm::layer, true, "norm", ModuleGroup::head);
        } else {
            // LayerNorm over every token, then the class token.
            z = b.slice(b.norm(h, Norm::layer, true, "norm", ModuleGroup::head), {batch, 1, d});
        }
        z = b.linear(z, out_dim, false, "proj", ModuleGroup::head);
    }
    auto post = b.scope("postprocessor");
    z = b.view(b.scale(z, kL2NormalizeFlopsPerElement, "normalize", ModuleGroup::head), {batch, out_dim});
    if (e.learned_logit_scale) {
        const TensorRef scale = b.weight("logit_scale", {1}, ModuleGroup::head, b.small_param_dtype());
        z = b.op(OpKind::elementwise, "logit_scale", ModuleGroup::head, 1.0 + static_cast<double>(batch) * out_dim,
                 {z}, {scale}, {batch, out_dim});
    } else if (e.fixed_logit_scale) {
        z = b.scale(z, 1, "logit_scale", ModuleGroup::head);
    }
    return z;
}

class ImageBindModel final : public Model {
public:
    ImageBindModel(std::vector<Encoder> encoders, std::int64_t out_dim)
        : encoders_(std::move(encoders)), out_dim_(out_dim) {}
    std::string family() const override { return "imagebind"; }
    RunPhase default_phase() const override { return RunPhase::encode; }

    // input_len is the text length (default and maximum: the text encoder's context); the other
    // modalities enter at their configured sizes.
    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::encode, RunPhase::train}, "an ImageBind multi-encoder");
        const Encoder* text = find("text");
        if (text) {
            run.input_len = positive_or(run.input_len, text->tokens);
            require_positions(run.input_len, text->tokens, "the text encoder");
        } else if (run.input_len != 0) {
            throw ScenarioError("input_len is the text length, and this ImageBind model has no text encoder");
        }
        if (run.phase == RunPhase::train) {
            if (!find("vision"))
                throw ScenarioError("ImageBind trains each modality against images: the model needs a vision_config");
            bool any = false;
            for (const Encoder& e : encoders_) any = any || e.trainable;
            if (!any)
                throw ScenarioError("ImageBind training updates the audio, depth, thermal and IMU encoders; this "
                                    "model has none (its image and text encoders are frozen)");
        }
        run.output_len = 0;
        run.steps = 0;
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        for (const Encoder& e : encoders_) emit_encoder(b, e, out_dim_, run.batch, run.input_len);
        return {Stage{"encode", g}};
    }

    // One step over a batch of B images paired with B samples of every trainable modality: the
    // symmetric InfoNCE loss of each (image, modality) pair, L_{I,M} + L_{M,I} (Girdhar et al. 2023,
    // Eq. 1-2). The image and text encoders are frozen OpenCLIP towers; the text encoder takes no
    // part in these losses, so its weights are registered (frozen) but not run. The paper trains the
    // modalities in separate runs; a config with only vision and one modality models one of them.
    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        const std::int64_t batch = run.batch;
        b.set_trainable(false);
        const Val image = emit_encoder(b, *find("vision"), out_dim_, batch, run.input_len);
        if (const Encoder* text = find("text")) {
            OpGraph text_only;
            GraphBuilder tb(text_only, run);
            tb.set_trainable(false);
            emit_encoder(tb, *text, out_dim_, batch, run.input_len);
            for (const Weight& w : text_only.weights()) g.add_weight(w);
        }
        b.set_trainable(true);
        std::vector<Val> losses;
        for (const Encoder& e : encoders_) {
            if (!e.trainable) continue;
            const Val m = emit_encoder(b, e, out_dim_, batch, run.input_len);
            auto s = b.scope("loss_" + e.modality, std::string("loss"));
            // image @ m.T: 2 * B * B * out_dim FLOPs; the temperature is folded into the embeddings.
            const Val logits = b.op(OpKind::batched_matmul, "logits", ModuleGroup::head,
                                    2.0 * batch * batch * out_dim_, {image, m}, {}, {batch, batch},
                                    GemmDims{1, batch, batch, out_dim_});
            const Val l1 = b.cross_entropy(logits, "image_to_modality");
            const Val l2 = b.cross_entropy(b.view(logits, {batch, batch}), "modality_to_image");
            losses.push_back(b.add(l1, l2, "sum", ModuleGroup::head));
        }
        auto s = b.scope("", std::string("loss"));
        if (losses.size() > 1)
            b.op(OpKind::elementwise, "total_loss", ModuleGroup::head, static_cast<double>(losses.size() * batch),
                 losses, {}, {batch});
        return g;
    }

private:
    const Encoder* find(const std::string& modality) const {
        for (const Encoder& e : encoders_)
            if (e.modality == modality) return &e;
        return nullptr;
    }

    std::vector<Encoder> encoders_;
    std::int64_t out_dim_ = 0;
};

std::unique_ptr<Model> parse_imagebind(const json& j, const ConfigContext& ctx) {
    const ImageBindConfig c = imagebind_schema().parse(j, ctx);
    std::vector<Encoder> encoders;
    if (!c.vision_config.is_null()) {
        const ClipTowerArch t = parse_clip_vision_config(c.vision_config, ctx.at("vision_config"));
        encoders.push_back(vision_encoder(t, c.vision_kernel_frames));
    }
    if (!c.text_config.is_null())
        encoders.push_back(text_encoder(parse_clip_text_config(c.text_config, ctx.at("text_config"))));
    const std::pair<const char*, const json*> others[] = {{"audio", &c.audio_config},
                                                          {"depth", &c.depth_config},
                                                          {"thermal", &c.thermal_config},
                                                          {"imu", &c.imu_config}};
    for (const auto& [modality, cfg] : others)
        if (!cfg->is_null())
            encoders.push_back(other_encoder(modality, *cfg, ctx.at(std::string(modality) + "_config")));
    if (encoders.empty())
        ctx.fail("expected at least one encoder: vision_config, text_config, audio_config, depth_config, "
                 "thermal_config or imu_config");
    return std::make_unique<ImageBindModel>(std::move(encoders), c.out_embed_dim);
}

const FamilyRegistrar kImageBind{{"imagebind", parse_imagebind, [] {
                                      return std::vector<SchemaDoc>{imagebind_schema().doc(), encoder_schema().doc()};
                                  }}};

}  // namespace
}  // namespace fmsim::workloads
