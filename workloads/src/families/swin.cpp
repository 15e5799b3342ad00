// Swin Transformer (Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer using
// Shifted Windows", arXiv 2103.14030), as Hugging Face's SwinModel / SwinForImageClassification
// build it: a 4x4 patch embedding, stages of blocks that attend inside non-overlapping windows
// (every other block on a cyclically shifted map), patch merging between stages, and a pooled
// classifier. docs/families/hierarchical-vision.md has the formulas.
#include <algorithm>

#include "../builder.hpp"
#include "../family.hpp"

namespace fmsim::workloads {

namespace {

// ---------------------------------------------------------------------------------------------
// Config (Hugging Face SwinConfig field names)

struct SwinConfig {
    std::int64_t embed_dim = 0, window_size = 0, num_channels = 3;
    std::vector<std::int64_t> depths, num_heads;
    std::vector<std::int64_t> image_size, patch_size;  // {height, width}
    std::optional<std::int64_t> hidden_size, num_layers, num_labels;
    std::optional<std::int64_t> id2label_count;
    double mlp_ratio = 4.0;
    bool qkv_bias = true, use_absolute_embeddings = false;
    std::string hidden_act;
    std::string architecture;  // first entry of "architectures"; empty when absent
};

// The Hugging Face metadata keys, with "architectures" read rather than ignored: it
// names the Hugging Face class, and so the head that is built.
void add_metadata_keys(Schema<SwinConfig>& s) {
    add_architecture_field(
        s, &SwinConfig::architecture, {"SwinForImageClassification", "SwinModel"},
        "Hugging Face class of the checkpoint; picks the head: SwinForImageClassification (classifier) or "
        "SwinModel (pooled features, no classifier).");
    add_hf_metadata(s, false);
}

const Schema<SwinConfig>& swin_schema() {
    static const auto s = [] {
        Schema<SwinConfig> s("swin",
                             "Swin Transformer image classifiers (Hugging Face SwinConfig field names; "
                             "Liu et al. 2021). `architectures` picks the head: SwinForImageClassification "
                             "(default) or SwinModel (pooled features, no classifier).");
        s.integer("embed_dim", &SwinConfig::embed_dim, std::nullopt, "channels",
                  "Width C of stage 1; stage i has C * 2^i channels.")
            .integer_list("depths", &SwinConfig::depths, std::nullopt, "blocks", "Swin blocks per stage.", 1, kMaxLayers)
            .integer_list("num_heads", &SwinConfig::num_heads, std::nullopt, "heads",
                          "Attention heads per stage (same length as depths).")
            .integer("window_size", &SwinConfig::window_size, std::nullopt, "tokens",
                     "Side M of a square attention window (M*M tokens attend to each other).")
            .custom(
                "image_size", "integer or [height, width]", "required",
                "Input resolution in pixels; the encode and train phases build images of this size.",
                [](SwinConfig& c, const json& j, const ConfigContext& at) {
                    c.image_size = schema_detail::read_size_pair(j, at);
                },
                nullptr)
            .custom(
                "patch_size", "integer or [height, width]", "required",
                "Side of the non-overlapping patches of the patch embedding (conv kernel = stride).",
                [](SwinConfig& c, const json& j, const ConfigContext& at) {
                    c.patch_size = schema_detail::read_size_pair(j, at);
                },
                nullptr)
            .integer("num_channels", &SwinConfig::num_channels, 3, "channels", "Input image channels.")
            .number("mlp_ratio", &SwinConfig::mlp_ratio, 4.0, "", "MLP hidden width / block width.", 1e-9)
            .boolean("qkv_bias", &SwinConfig::qkv_bias, true, "Query/key/value projections have biases.")
            .choice("hidden_act", &SwinConfig::hidden_act,
                    {"gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "silu",
                     "swish"},
                    "gelu", "MLP activation.")
            .boolean("use_absolute_embeddings", &SwinConfig::use_absolute_embeddings, false,
                     "Adds a learned absolute position table (num_patches + 1 rows, as Hugging Face allocates it).")
            .optional_integer("hidden_size", &SwinConfig::hidden_size, "embed_dim * 2^(len(depths) - 1)", "channels",
                              "Width of the last stage; Hugging Face derives it, so a stated value must agree.")
            .optional_integer("num_layers", &SwinConfig::num_layers, "len(depths)", "stages",
                              "Number of stages; must equal len(depths).")
            .ignored("path_norm", "Hugging Face SwinEmbeddings always applies the patch LayerNorm (typo of patch_norm)")
            .ignored("patch_norm", "Hugging Face SwinEmbeddings always applies the patch LayerNorm")
            .ignored("encoder_stride", "upsampling factor of the masked-image-modeling decoder, not built")
            .ignored("out_features", "backbone outputs (SwinBackbone), not built")
            .ignored("out_indices", "backbone outputs (SwinBackbone), not built")
            .ignored("stage_names", "backbone stage names");
        add_label_fields(s, &SwinConfig::num_labels, &SwinConfig::id2label_count,
                         "2 classes (Hugging Face's PretrainedConfig default)");
        for (const char* k :
             {"layer_norm_eps", "drop_path_rate", "hidden_dropout_prob", "attention_probs_dropout_prob"})
            s.ignored(k, "numerics or regularisation; no effect on cost");
        add_metadata_keys(s);
        return s;
    }();
    return s;
}

// Which Hugging Face class the checkpoint is, from "architectures" (first entry).
enum class SwinHead { classification, pooled_features };

SwinHead swin_head_of(const SwinConfig& c) {
    return c.architecture == "SwinModel" ? SwinHead::pooled_features : SwinHead::classification;
}

// ---------------------------------------------------------------------------------------------
// Architecture

struct SwinStage {
    std::int64_t depth = 0, heads = 0, channels = 0;
    std::int64_t height = 0, width = 0;                    // token grid
    std::int64_t window = 0;                               // effective window side (<= window_size)
    bool shifts = false;                                   // odd blocks use shifted windows
    std::int64_t padded_h = 0, padded_w = 0, windows = 0;  // per image
};

struct SwinArch {
    std::int64_t channels_in = 3, embed_dim = 0, window_size = 0, image_h = 0, image_w = 0, patch_h = 0, patch_w = 0;
    double mlp_ratio = 4.0;
    bool qkv_bias = true, absolute_positions = false;
    Act act = Act::gelu;
    SwinHead head = SwinHead::classification;
    std::int64_t labels = 0;
    std::vector<SwinStage> stages;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

SwinArch parse_swin_arch(const json& j, const ConfigContext& ctx) {
    const SwinConfig c = swin_schema().parse(j, ctx);
    SwinArch a;
    a.head = swin_head_of(c);
    a.channels_in = c.num_channels;
    a.embed_dim = c.embed_dim;
    a.window_size = c.window_size;
    a.image_h = c.image_size[0];
    a.image_w = c.image_size[1];
    a.patch_h = c.patch_size[0];
    a.patch_w = c.patch_size[1];
    a.mlp_ratio = c.mlp_ratio;
    a.qkv_bias = c.qkv_bias;
    a.absolute_positions = c.use_absolute_embeddings;
    a.act = parse_act(c.hidden_act);
    a.labels = resolve_label_count(c.num_labels, c.id2label_count, ctx, 2);

    if (c.depths.empty()) ctx.at("depths").fail("expected at least one stage");
    if (c.num_heads.size() != c.depths.size())
        ctx.at("num_heads")
            .fail("expected one entry per stage (" + std::to_string(c.depths.size()) + "), got " +
                  std::to_string(c.num_heads.size()));
    const auto stages = static_cast<std::int64_t>(c.depths.size());
    if (c.num_layers && *c.num_layers != stages)
        ctx.at("num_layers")
            .fail("expected len(depths) = " + std::to_string(stages) + ", got " + std::to_string(*c.num_layers));
    const std::int64_t last_width = c.embed_dim << (stages - 1);
    if (c.hidden_size && *c.hidden_size != last_width)
        ctx.at("hidden_size")
            .fail("expected embed_dim * 2^(len(depths) - 1) = " + std::to_string(last_width) + ", got " +
                  std::to_string(*c.hidden_size));
    // Hugging Face pads an image that the patches do not tile; fmsim asks for one they do.
    if (a.image_h % a.patch_h != 0 || a.image_w % a.patch_w != 0)
        ctx.at("image_size")
            .fail("expected a multiple of patch_size (" + std::to_string(a.patch_h) + "x" + std::to_string(a.patch_w) +
                  "), got " + std::to_string(a.image_h) + "x" + std::to_string(a.image_w));

    std::int64_t h = a.image_h / a.patch_h, w = a.image_w / a.patch_w;
    for (std::int64_t s = 0; s < stages; ++s) {
        SwinStage st;
        st.depth = c.depths[static_cast<std::size_t>(s)];
        st.heads = c.num_heads[static_cast<std::size_t>(s)];
        st.channels = c.embed_dim << s;
        if (st.channels % st.heads != 0)
            ctx.at("num_heads")
                .at(std::to_string(s))
                .fail("expected a divisor of the stage width embed_dim * 2^" + std::to_string(s) + " = " +
                      std::to_string(st.channels) + ", got " + std::to_string(st.heads));
        st.height = h;
        st.width = w;
        // SwinLayer.set_shift_and_window_size: a map no larger than the window is one window, unshifted.
        if (std::min(h, w) <= c.window_size) {
            st.window = std::min(h, w);
            st.shifts = false;
        } else {
            st.window = c.window_size;
            st.shifts = c.window_size / 2 > 0;
        }
        // SwinLayer.maybe_pad: the map is padded up to whole windows.
        st.padded_h = ceil_div(h, st.window) * st.window;
        st.padded_w = ceil_div(w, st.window) * st.window;
        st.windows = (st.padded_h / st.window) * (st.padded_w / st.window);
        a.stages.push_back(st);
        // SwinPatchMerging pads an odd map by one row/column before taking 2x2 neighbourhoods.
        if (s + 1 < stages) {
            h = ceil_div(h, 2);
            w = ceil_div(w, 2);
        }
    }
    return a;
}

// ---------------------------------------------------------------------------------------------
// Graph

// Attention inside windows: `batch_windows` independent sequences of `tokens` tokens. The
// relative position bias [heads, tokens, tokens] is added to the scores (one add per score);
// the shifted-window mask is added in the same pass and counted as free.
Val window_attention(GraphBuilder& b, const Val& q, const Val& k, const Val& v, const Val& bias,
                     std::int64_t batch_windows, std::int64_t tokens, std::int64_t heads, std::int64_t head_dim) {
    const double qk_flops = 2.0 * batch_windows * heads * tokens * tokens * head_dim;
    const double scores = static_cast<double>(batch_windows) * heads * tokens * tokens;
    const Shape out{batch_windows, tokens, heads * head_dim};
    if (b.run().attention == AttentionImpl::fused)
        return b.op(OpKind::attention, "attn", ModuleGroup::attention,
                    2 * qk_flops + (kSoftmaxFlopsPerElement + 1) * scores, {q, k, v, bias}, {}, out,
                    AttentionDims{batch_windows, heads, heads, tokens, tokens, head_dim, false});
    const Shape score_shape{batch_windows, heads, tokens, tokens};
    Val s = b.op(OpKind::batched_matmul, "attn.scores", ModuleGroup::attention, qk_flops, {q, k}, {}, score_shape,
                 GemmDims{batch_windows * heads, tokens, tokens, head_dim});
    s = b.op(OpKind::elementwise, "attn.relative_position_bias_add", ModuleGroup::attention, scores, {s, bias}, {},
             score_shape);
    const Val p = b.op(OpKind::softmax, "attn.softmax", ModuleGroup::attention, kSoftmaxFlopsPerElement * scores, {s},
                       {}, score_shape);
    return b.op(OpKind::batched_matmul, "attn.context", ModuleGroup::attention, qk_flops, {p, v}, {}, out,
                GemmDims{batch_windows * heads, tokens, head_dim, tokens});
}

// One Swin block over h [B, H*W, C] (HF SwinLayer): LN, (pad, shift,) window attention,
// (unshift, crop,) residual, LN, MLP, residual.
Val emit_swin_block(GraphBuilder& b, const SwinArch& a, const SwinStage& st, Val h, bool shifted) {
    const std::int64_t batch = h.shape[0], tokens = h.shape[1], c = st.channels;
    const std::int64_t padded_tokens = st.padded_h * st.padded_w;
    const bool padded = padded_tokens != tokens;
    const std::int64_t win_tokens = st.window * st.window, head_dim = c / st.heads;
    const std::int64_t batch_windows = batch * st.windows;

    Val x = b.norm(h, Norm::layer, true, "layernorm_before");
    if (padded) x = b.op(OpKind::memcpy, "pad", ModuleGroup::attention, 0, {x}, {}, {batch, padded_tokens, c});
    // torch.roll by -window/2 along both axes: a copy of the map.
    if (shifted) x = b.op(OpKind::memcpy, "cyclic_shift", ModuleGroup::attention, 0, {x}, {}, x.shape);
    // Window partition is a re-indexing the projection reads through: a view.
    x = b.view(x, {batch_windows, win_tokens, c});
    {
        auto s = b.scope("attention");
        // Hugging Face's query, key and value Linears, packed into one GEMM (same weights and FLOPs).
        const Val qkv = b.linear(x, 3 * c, a.qkv_bias, "qkv", ModuleGroup::attention);
        const Val q = b.slice(qkv, {batch_windows, win_tokens, c});
        const Val k = b.slice(qkv, {batch_windows, win_tokens, c});
        const Val v = b.slice(qkv, {batch_windows, win_tokens, c});
        // Relative position bias: a ((2M-1)^2, heads) table gathered by a fixed index into
        // [heads, M^2, M^2], shared by every window.
        const std::int64_t table_rows = (2 * a.window_size - 1) * (2 * a.window_size - 1);
        const TensorRef table = b.weight("relative_position_bias_table", {table_rows, st.heads}, ModuleGroup::attention,
                                         b.small_param_dtype());
        const Val index = b.input("relative_position_index", {win_tokens * win_tokens}, DType::int32);
        const Val bias =
            b.op(OpKind::embedding, "relative_position_bias", ModuleGroup::attention, 0, {index},
                 {TensorRef{table.name, {win_tokens * win_tokens, st.heads}, table.dtype, TensorClass::weight}},
                 {st.heads, win_tokens, win_tokens});
        const Val ctx = window_attention(b, q, k, v, bias, batch_windows, win_tokens, st.heads, head_dim);
        x = b.linear(ctx, c, true, "output.dense", ModuleGroup::attention);
    }
    x = b.view(x, {batch, padded_tokens, c});
    if (shifted) x = b.op(OpKind::memcpy, "reverse_cyclic_shift", ModuleGroup::attention, 0, {x}, {}, x.shape);
    if (padded) x = b.op(OpKind::memcpy, "crop", ModuleGroup::attention, 0, {x}, {}, {batch, tokens, c});
    h = b.add(h, x, "attn_residual", ModuleGroup::other);

    const Val y = b.norm(h, Norm::layer, true, "layernorm_after");
    const auto ffn = static_cast<std::int64_t>(a.mlp_ratio * static_cast<double>(c));  // int(mlp_ratio * dim)
    const Val up = b.linear(y, ffn, true, "intermediate.dense", ModuleGroup::ffn);
    const Val f =
        b.linear(b.act(up, a.act, "intermediate.act", ModuleGroup::ffn), c, true, "output.dense", ModuleGroup::ffn);
    return b.add(h, f, "mlp_residual", ModuleGroup::other);
}

// Patch merging (HF SwinPatchMerging): concatenate each 2x2 neighbourhood (4C), LayerNorm,
// linear 4C -> 2C without bias.
Val emit_patch_merging(GraphBuilder& b, const SwinStage& from, const SwinStage& to, const Val& h) {
    const std::int64_t batch = h.shape[0], c = from.channels;
    auto s = b.scope("downsample");
    Val x = b.op(OpKind::memcpy, "concat", ModuleGroup::embedding, 0, {h}, {}, {batch, to.height * to.width, 4 * c});
    x = b.norm(x, Norm::layer, true, "norm");
    return b.linear(x, 2 * c, false, "reduction", ModuleGroup::embedding);
}

// The whole classifier; returns the logits [B, labels] (or pooled features [B, C] for SwinModel).
Val emit_swin(GraphBuilder& b, const SwinArch& a, std::int64_t batch) {
    const Val pixels = b.input("pixel_values", {batch, a.channels_in, a.image_h, a.image_w}, b.act_dtype());
    const SwinStage& first = a.stages.front();
    const std::int64_t patches = first.height * first.width;
    Val h;
    {
        auto s = b.scope("embeddings");
        h = b.conv(pixels, a.embed_dim, {a.patch_h, a.patch_w}, {a.patch_h, a.patch_w}, {0, 0}, 1, true,
                   "patch_embeddings.projection", ModuleGroup::embedding);
        h = b.view(h, {batch, patches, a.embed_dim});  // flatten(2).transpose(1, 2)
        h = b.norm(h, Norm::layer, true, "norm");
        if (a.absolute_positions) {
            // HF allocates num_patches + 1 rows and adds the first num_patches.
            const TensorRef table = b.weight("position_embeddings", {patches + 1, a.embed_dim}, ModuleGroup::embedding,
                                             b.small_param_dtype());
            h = b.op(OpKind::elementwise, "position_add", ModuleGroup::embedding,
                     static_cast<double>(element_count(h.shape)), {h},
                     {TensorRef{table.name, {patches, a.embed_dim}, table.dtype, TensorClass::weight}}, h.shape);
        }
    }
    int layer = 0;
    for (std::size_t s = 0; s < a.stages.size(); ++s) {
        const SwinStage& st = a.stages[s];
        auto stage_scope = b.scope("encoder.layers." + std::to_string(s));
        for (std::int64_t i = 0; i < st.depth; ++i) {
            auto block_scope = b.scope("blocks." + std::to_string(i), std::nullopt, layer++);
            h = emit_swin_block(b, a, st, h, st.shifts && i % 2 == 1);
        }
        if (s + 1 < a.stages.size()) h = emit_patch_merging(b, st, a.stages[s + 1], h);
    }
    const std::int64_t width = a.stages.back().channels;
    h = b.norm(h, Norm::layer, true, "layernorm");
    const Val pooled = b.pool(h, {batch, width}, "pooler", ModuleGroup::head);  // AdaptiveAvgPool1d(1)
    if (a.head == SwinHead::pooled_features || a.labels == 0) return pooled;
    return b.linear(pooled, a.labels, true, "classifier", ModuleGroup::head);
}

class SwinModelImpl final : public Model {
public:
    explicit SwinModelImpl(SwinArch a) : a_(std::move(a)) {}
    std::string family() const override { return "swin"; }
    RunPhase default_phase() const override { return RunPhase::encode; }

    RunSpec resolve(RunSpec run) const override {
        return resolve_image_run(run, "a Swin image classifier", !(a_.head == SwinHead::pooled_features || a_.labels == 0), "Swin config (SwinModel or num_labels 0)");
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        auto s = b.scope("", std::string("encoder"));
        emit_swin(b, a_, run.batch);
        return {Stage{"encode", g, 1}};
    }

    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        auto s = b.scope("", std::string("encoder"));
        b.cross_entropy(emit_swin(b, a_, run.batch), "loss");
        return g;
    }

private:
    SwinArch a_;
};

std::unique_ptr<Model> parse_swin(const json& j, const ConfigContext& ctx) {
    return std::make_unique<SwinModelImpl>(parse_swin_arch(j, ctx));
}

const FamilyRegistrar kSwin{{"swin", parse_swin, [] { return std::vector<SchemaDoc>{swin_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
