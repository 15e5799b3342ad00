// The conditional U-Net of Stable Diffusion as diffusers builds it (UNet2DConditionModel in
// diffusers/models/unets/unet_2d_condition.py, blocks in unet_2d_blocks.py, resnet.py,
// transformer_2d.py, attention.py). docs/families/diffusion.md gives the graph and FLOP formulas.
#include "unet.hpp"

#include <algorithm>

namespace fmsim::workloads {

namespace {

// Raw diffusers fields that need more than a scalar: kept as JSON and normalised below.
struct UNetConfig {
    std::int64_t sample_size = 0, in_channels = 0, out_channels = 0, layers_per_block = 0;
    std::int64_t norm_num_groups = 0, cross_attention_dim = 0, conv_in_kernel = 0, conv_out_kernel = 0;
    std::optional<std::int64_t> time_embedding_dim;
    std::vector<std::int64_t> block_out_channels;
    std::vector<std::string> down_block_types, up_block_types;
    std::string mid_block_type;  // "" = null (no mid block)
    json attention_head_dim, transformer_layers_per_block;
    std::string act_fn;
    bool use_linear_projection = false, center_input_sample = false;
};

std::vector<std::string> read_string_list(const json& j, const ConfigContext& at, const std::vector<std::string>& allowed) {
    std::vector<std::string> out;
    schema_detail::for_each_in_list(j, at, "strings", true, [&](const json& v, const ConfigContext& here) {
        out.push_back(schema_detail::read_choice(v, here, allowed));
    });
    return out;
}

// A key whose other values change the architecture in ways fmsim does not model: only the listed
// values (the diffusers defaults) are accepted.
template <class Spec>
void only_values(Schema<Spec>& s, const std::string& key, std::vector<json> allowed, const std::string& why) {
    std::string text;
    for (const auto& a : allowed) text += (text.empty() ? "" : " or ") + a.dump();
    s.custom(key, text, allowed.front().dump(), "Only " + text + " is modelled: " + why,
             [=](Spec&, const json& j, const ConfigContext& at) {
                 if (std::find(allowed.begin(), allowed.end(), j) == allowed.end())
                     at.fail("expected " + text + " (" + why + "), got " + json_type_name(j));
             },
             [](Spec&) {});
}

// An integer or a list of integers (one per block), kept raw and checked in parse_unet_config.
template <class Spec>
void int_or_list(Schema<Spec>& s, const std::string& key, json Spec::*member, json dflt, const std::string& doc) {
    s.custom(key, "integer or list of integers", dflt.dump(), doc,
             [=](Spec& spec, const json& j, const ConfigContext& at) {
                 if (j.is_array()) {
                     if (j.empty()) at.fail("expected an integer or a non-empty list of integers, got an empty list");
                     for (std::size_t i = 0; i < j.size(); ++i) schema_detail::read_int(j[i], at.at(std::to_string(i)), 1);
                 } else {
                     schema_detail::read_int(j, at, 1);
                 }
                 spec.*member = j;
             },
             [=](Spec& spec) { spec.*member = dflt; });
}

const Schema<UNetConfig>& unet_schema() {
    static const auto s = [] {
        Schema<UNetConfig> s("UNet2DConditionModel",
                             "The denoising U-Net of a stable_diffusion model (diffusers UNet2DConditionModel "
                             "config.json). Defaults are diffusers' (those of Stable Diffusion 1.x).");
        s.integer("sample_size", &UNetConfig::sample_size, 64, "latent pixels",
                  "Height and width of the latent the U-Net denoises (image size / 8).")
            .integer("in_channels", &UNetConfig::in_channels, 4, "", "Latent channels in.")
            .integer("out_channels", &UNetConfig::out_channels, 4, "", "Channels predicted.")
            .integer_list("block_out_channels", &UNetConfig::block_out_channels,
                          std::vector<std::int64_t>{320, 640, 1280, 1280}, "",
                          "Channels of each resolution level, from the finest.")
            .integer("layers_per_block", &UNetConfig::layers_per_block, 2, "",
                     "ResnetBlock2Ds per down block; up blocks have one more.")
            .custom("down_block_types", "list of \"CrossAttnDownBlock2D\" / \"DownBlock2D\"",
                    "[CrossAttnDownBlock2D x3, DownBlock2D]",
                    "One per level: resnets with (CrossAttn) or without a Transformer2DModel after each.",
                    [](UNetConfig& c, const json& j, const ConfigContext& at) {
                        c.down_block_types = read_string_list(j, at, {"CrossAttnDownBlock2D", "DownBlock2D"});
                    },
                    [](UNetConfig& c) {
                        c.down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                              "DownBlock2D"};
                    })
            .custom("up_block_types", "list of \"UpBlock2D\" / \"CrossAttnUpBlock2D\"",
                    "[UpBlock2D, CrossAttnUpBlock2D x3]", "One per level, from the coarsest.",
                    [](UNetConfig& c, const json& j, const ConfigContext& at) {
                        c.up_block_types = read_string_list(j, at, {"UpBlock2D", "CrossAttnUpBlock2D"});
                    },
                    [](UNetConfig& c) {
                        c.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                            "CrossAttnUpBlock2D"};
                    })
            .custom("mid_block_type", "\"UNetMidBlock2DCrossAttn\" or null", "\"UNetMidBlock2DCrossAttn\"",
                    "The bottleneck: resnet, Transformer2DModel, resnet; null for none.",
                    [](UNetConfig& c, const json& j, const ConfigContext& at) {
                        c.mid_block_type = j.is_null() ? "" : schema_detail::read_choice(j, at, {"UNetMidBlock2DCrossAttn"});
                    },
                    [](UNetConfig& c) { c.mid_block_type = "UNetMidBlock2DCrossAttn"; })
            .integer("cross_attention_dim", &UNetConfig::cross_attention_dim, 1280, "",
                     "Width of the text states the cross-attention keys and values are projected from.");
        int_or_list(s, "attention_head_dim", &UNetConfig::attention_head_dim, 8,
                    "Attention HEADS per block (one value for all or one per down block; up blocks reversed). "
                    "diffusers passes it as the head count for this model because of a naming mistake kept for "
                    "compatibility (diffusers issue #2011); head_dim = channels / heads.");
        int_or_list(s, "transformer_layers_per_block", &UNetConfig::transformer_layers_per_block, 1,
                    "BasicTransformerBlocks in each Transformer2DModel (one value or one per down block).");
        s.integer("norm_num_groups", &UNetConfig::norm_num_groups, 32, "", "GroupNorm groups.")
            .choice("act_fn", &UNetConfig::act_fn, {"silu", "swish", "gelu", "relu"}, "silu",
                    "Activation of the resnets and the time embedding.")
            .boolean("use_linear_projection", &UNetConfig::use_linear_projection, false,
                     "proj_in/proj_out of each Transformer2DModel as Linear (SD 2.x) instead of a 1x1 Conv2d "
                     "(same parameters and FLOPs, different layout).")
            .boolean("center_input_sample", &UNetConfig::center_input_sample, false,
                     "Maps the input to 2x-1 first (one elementwise op).")
            .optional_integer("time_embedding_dim", &UNetConfig::time_embedding_dim, "4 * block_out_channels[0]", "",
                              "Width of the timestep embedding MLP.")
            .integer("conv_in_kernel", &UNetConfig::conv_in_kernel, 3, "", "Kernel of conv_in (odd).")
            .integer("conv_out_kernel", &UNetConfig::conv_out_kernel, 3, "", "Kernel of conv_out (odd).");
        // Keys of the diffusers config that do not change cost.
        s.ignored("flip_sin_to_cos", "order of the sin and cos halves of the timestep features")
            .ignored("freq_shift", "phase of the timestep features")
            .ignored("downsample_padding", "diffusers pads asymmetrically when 0; same output size and MACs")
            .ignored("mid_block_scale_factor", "a scalar divisor of the mid-block residual sum (1 in SD)")
            .ignored("resnet_out_scale_factor", "a scalar divisor of each resnet's residual sum (1 in SD)")
            .ignored("dropout", "training regularisation").ignored("norm_eps", "numerics")
            .ignored("upcast_attention", "numerics: the softmax runs in fp32; same operation count")
            .ignored("addition_embed_type_num_heads", "used only with addition_embed_type, which must be null")
            .ignored("_class_name", "diffusers class name").ignored("_diffusers_version", "library version")
            .ignored("_name_or_path", "checkpoint name").ignored("_use_default_values", "diffusers bookkeeping");
        // Keys whose other values add modules fmsim does not model (SDXL, ControlNet, class-conditioning, ...).
        const std::string arch = "other values add or change modules that fmsim does not model";
        only_values(s, "num_attention_heads", {nullptr},
                    "UNet2DConditionModel itself rejects it and reads the heads from attention_head_dim");
        only_values(s, "only_cross_attention", {false}, arch);
        only_values(s, "mid_block_only_cross_attention", {nullptr, false}, arch);
        only_values(s, "dual_cross_attention", {false}, arch);
        only_values(s, "class_embed_type", {nullptr}, arch);
        only_values(s, "num_class_embeds", {nullptr}, arch);
        only_values(s, "class_embeddings_concat", {false}, arch);
        only_values(s, "projection_class_embeddings_input_dim", {nullptr}, arch);
        only_values(s, "addition_embed_type", {nullptr}, arch);
        only_values(s, "addition_time_embed_dim", {nullptr}, arch);
        only_values(s, "encoder_hid_dim", {nullptr}, arch);
        only_values(s, "encoder_hid_dim_type", {nullptr}, arch);
        only_values(s, "time_embedding_type", {"positional"}, arch);
        only_values(s, "time_embedding_act_fn", {nullptr}, arch);
        only_values(s, "timestep_post_act", {nullptr}, arch);
        only_values(s, "time_cond_proj_dim", {nullptr}, arch);
        only_values(s, "resnet_time_scale_shift", {"default"}, arch);
        only_values(s, "resnet_skip_time_act", {false}, arch);
        only_values(s, "attention_type", {"default"}, arch);
        only_values(s, "cross_attention_norm", {nullptr}, arch);
        only_values(s, "reverse_transformer_layers_per_block", {nullptr}, arch);
        return s;
    }();
    return s;
}

std::vector<std::int64_t> per_block(const json& v, std::size_t blocks, const ConfigContext& at) {
    if (!v.is_array()) return std::vector<std::int64_t>(blocks, v.get<std::int64_t>());
    if (v.size() != blocks)
        at.fail("expected one value per block (" + std::to_string(blocks) + ", as block_out_channels), got " +
                std::to_string(v.size()));
    std::vector<std::int64_t> out;
    for (const auto& e : v) out.push_back(static_cast<std::int64_t>(e.get<double>()));
    return out;
}

}  // namespace

UNetArch parse_unet_config(const json& j, const ConfigContext& ctx) {
    const UNetConfig c = unet_schema().parse(j, ctx);
    const std::size_t levels = c.block_out_channels.size();
    auto same_length = [&](const std::string& key, std::size_t n) {
        if (n != levels)
            ctx.at(key).fail("expected " + std::to_string(levels) + " entries (one per block_out_channels), got " +
                             std::to_string(n));
    };
    same_length("down_block_types", c.down_block_types.size());
    same_length("up_block_types", c.up_block_types.size());
    UNetArch a;
    a.sample_size = c.sample_size;
    a.in_channels = c.in_channels;
    a.out_channels = c.out_channels;
    a.block_out_channels = c.block_out_channels;
    a.layers_per_block = c.layers_per_block;
    for (const auto& t : c.down_block_types) a.down_cross_attention.push_back(t == "CrossAttnDownBlock2D");
    for (const auto& t : c.up_block_types) a.up_cross_attention.push_back(t == "CrossAttnUpBlock2D");
    a.mid_block = !c.mid_block_type.empty();
    a.heads = per_block(c.attention_head_dim, levels, ctx.at("attention_head_dim"));
    a.transformer_layers = per_block(c.transformer_layers_per_block, levels, ctx.at("transformer_layers_per_block"));
    a.cross_attention_dim = c.cross_attention_dim;
    a.norm_groups = c.norm_num_groups;
    a.linear_projection = c.use_linear_projection;
    a.time_proj_dim = c.block_out_channels.front();
    a.time_embed_dim = c.time_embedding_dim.value_or(4 * c.block_out_channels.front());
    a.conv_in_kernel = c.conv_in_kernel;
    a.conv_out_kernel = c.conv_out_kernel;
    a.center_input_sample = c.center_input_sample;
    a.act = parse_act(c.act_fn);
    for (const char* key : {"conv_in_kernel", "conv_out_kernel"}) {
        const std::int64_t k = std::string(key) == "conv_in_kernel" ? a.conv_in_kernel : a.conv_out_kernel;
        if (k % 2 == 0) ctx.at(key).fail("expected an odd kernel size (diffusers pads (k-1)/2), got " + std::to_string(k));
    }
    for (std::size_t i = 0; i < levels; ++i) {
        const std::int64_t ch = a.block_out_channels[i];
        const auto at = ctx.at("block_out_channels").at(std::to_string(i));
        if (ch % a.norm_groups != 0)
            at.fail("expected a multiple of norm_num_groups (" + std::to_string(a.norm_groups) + "), got " +
                    std::to_string(ch));
        const bool attends = a.down_cross_attention[i] || a.up_cross_attention[levels - 1 - i] ||
                             (a.mid_block && i + 1 == levels);
        if (attends && ch % a.heads[i] != 0)
            ctx.at("attention_head_dim").fail("block " + std::to_string(i) + ": " + std::to_string(a.heads[i]) +
                                              " heads do not divide its " + std::to_string(ch) + " channels");
    }
    const std::int64_t reduction = std::int64_t{1} << (levels - 1);
    if (a.sample_size % reduction != 0)
        ctx.at("sample_size").fail("expected a multiple of " + std::to_string(reduction) + " (the U-Net halves it " +
                                   std::to_string(levels - 1) + " times), got " + std::to_string(a.sample_size));
    return a;
}

SchemaDoc unet_schema_doc() { return unet_schema().doc(); }

Val emit_resnet2d(GraphBuilder& b, const Val& x, std::int64_t out_channels, std::int64_t groups, Act act,
                  const std::optional<Val>& temb) {
    const std::int64_t in_channels = x.shape[1];
    Val h = b.group_norm(x, groups, "norm1", ModuleGroup::norm);
    h = b.act(h, act, "act1", ModuleGroup::conv);
    h = b.conv(h, out_channels, {3, 3}, {1, 1}, {1, 1}, 1, true, "conv1", ModuleGroup::conv);
    if (temb) {
        // Each resnet applies the activation to the shared time embedding, projects it to its
        // channels and adds it to every pixel (broadcast over H and W).
        const Val t = b.act(*temb, act, "time_act", ModuleGroup::embedding);
        const Val proj = b.linear(t, out_channels, true, "time_emb_proj", ModuleGroup::embedding);
        h = b.add(h, proj, "time_add", ModuleGroup::embedding);
    }
    h = b.group_norm(h, groups, "norm2", ModuleGroup::norm);
    h = b.act(h, act, "act2", ModuleGroup::conv);
    h = b.conv(h, out_channels, {3, 3}, {1, 1}, {1, 1}, 1, true, "conv2", ModuleGroup::conv);
    Val shortcut = x;
    if (in_channels != out_channels)
        shortcut = b.conv(x, out_channels, {1, 1}, {1, 1}, {0, 0}, 1, true, "conv_shortcut", ModuleGroup::conv);
    return b.add(shortcut, h, "residual", ModuleGroup::other);
}

Val emit_downsample2d(GraphBuilder& b, const Val& x) {
    return b.conv(x, x.shape[1], {3, 3}, {2, 2}, {1, 1}, 1, true, "conv", ModuleGroup::conv);
}

Val emit_upsample2d(GraphBuilder& b, const Val& x) {
    const Val up = b.op(OpKind::memcpy, "interpolate_nearest", ModuleGroup::conv, 0, {x}, {},
                        {x.shape[0], x.shape[1], 2 * x.shape[2], 2 * x.shape[3]});
    return b.conv(up, x.shape[1], {3, 3}, {1, 1}, {1, 1}, 1, true, "conv", ModuleGroup::conv);
}

Val emit_to_tokens(GraphBuilder& b, const Val& x, const std::string& leaf) {
    return b.op(OpKind::memcpy, leaf, ModuleGroup::attention, 0, {x}, {},
                {x.shape[0], x.shape[2] * x.shape[3], x.shape[1]});
}

Val emit_to_pixels(GraphBuilder& b, const Val& tokens, const Shape& nchw, const std::string& leaf) {
    return b.op(OpKind::memcpy, leaf, ModuleGroup::attention, 0, {tokens}, {}, nchw);
}

namespace {

// Attention (diffusers attention_processor.py): q from x, k and v from `kv_source` (x itself for
// self-attention), to_out[0] with a bias. q/k/v carry a bias only where `qkv_bias`.
Val emit_attention_module(GraphBuilder& b, const Val& x, const Val& kv_source, std::int64_t heads, bool qkv_bias) {
    const std::int64_t width = x.last();
    const Val q = b.linear(x, width, qkv_bias, "to_q", ModuleGroup::attention);
    const Val k = b.linear(kv_source, width, qkv_bias, "to_k", ModuleGroup::attention);
    const Val v = b.linear(kv_source, width, qkv_bias, "to_v", ModuleGroup::attention);
    // Bidirectional, nothing cached.
    const AttentionCall call{.q = q, .k = k, .v = v, .heads = heads, .kv_heads = heads, .head_dim = width / heads};
    const Val o = b.attention(call, "attention");
    return b.linear(o, width, true, "to_out.0", ModuleGroup::attention);
}

}  // namespace

Val emit_transformer2d(GraphBuilder& b, const Val& x, std::int64_t heads, std::int64_t layers, std::int64_t groups,
                       bool linear_projection, const Val& context, BlockCounter& blocks) {
    const std::int64_t channels = x.shape[1];
    const Val normed = b.group_norm(x, groups, "norm", ModuleGroup::norm);
    Val h;
    if (linear_projection) {
        h = b.linear(emit_to_tokens(b, normed, "to_tokens"), channels, true, "proj_in", ModuleGroup::attention);
    } else {
        h = emit_to_tokens(b, b.conv(normed, channels, {1, 1}, {1, 1}, {0, 0}, 1, true, "proj_in", ModuleGroup::attention),
                           "to_tokens");
    }
    for (std::int64_t l = 0; l < layers; ++l) {
        // BasicTransformerBlock (attention.py): pre-LN self-attention, cross-attention to the
        // text states and a GEGLU feed-forward, each with a residual.
        auto s = b.scope("transformer_blocks." + std::to_string(l), std::nullopt, blocks.take());
        {
            const Val n = b.norm(h, Norm::layer, true, "norm1");
            auto a = b.scope("attn1");
            h = b.add(h, emit_attention_module(b, n, n, heads, false), "residual", ModuleGroup::other);
        }
        {
            const Val n = b.norm(h, Norm::layer, true, "norm2");
            auto a = b.scope("attn2");
            h = b.add(h, emit_attention_module(b, n, context, heads, false), "residual", ModuleGroup::other);
        }
        {
            const Val n = b.norm(h, Norm::layer, true, "norm3");
            auto f = b.scope("ff.net");
            // GEGLU (Shazeer 2020): proj to 2 * 4C, GELU(gate) * value, then 4C -> C.
            const Val proj = b.linear(n, 2 * 4 * channels, true, "0.proj", ModuleGroup::ffn);
            const Val gated = b.gated_act(proj, Act::gelu, "0.geglu", ModuleGroup::ffn);
            h = b.add(h, b.linear(gated, channels, true, "2", ModuleGroup::ffn), "residual", ModuleGroup::other);
        }
    }
    Val out;
    if (linear_projection) {
        out = emit_to_pixels(b, b.linear(h, channels, true, "proj_out", ModuleGroup::attention), x.shape, "to_pixels");
    } else {
        out = b.conv(emit_to_pixels(b, h, x.shape, "to_pixels"), channels, {1, 1}, {1, 1}, {0, 0}, 1, true, "proj_out",
                     ModuleGroup::attention);
    }
    return b.add(out, x, "residual", ModuleGroup::other);
}

namespace {

// Time embedding: sinusoidal features of t (Timesteps), then linear_1, act, linear_2.
Val emit_time_embedding(GraphBuilder& b, const UNetArch& a, const Val& timesteps) {
    const std::int64_t n = timesteps.shape[0];
    auto s = b.scope("time_embedding");
    const Val features = b.op(OpKind::elementwise, "time_proj", ModuleGroup::embedding,
                              kTimestepFeatureFlopsPerElement * static_cast<double>(n * a.time_proj_dim), {timesteps}, {},
                              {n, a.time_proj_dim});
    Val temb = b.linear(features, a.time_embed_dim, true, "linear_1", ModuleGroup::embedding);
    temb = b.act(temb, a.act, "act", ModuleGroup::embedding);
    return b.linear(temb, a.time_embed_dim, true, "linear_2", ModuleGroup::embedding);
}

// The U-Net's down path, middle and up path over one shared time embedding, context and block
// counter (each ResNet, transformer and resampler block is one layer index).
class UNetEmitter {
public:
    UNetEmitter(GraphBuilder& b, const UNetArch& a, Val temb, const Val& context)
        : b_(b), a_(a), temb_(std::move(temb)), context_(context) {}

    Val down(Val h) {
        skips_.push_back(h);
        const std::size_t levels = a_.block_out_channels.size();
        for (std::size_t i = 0; i < levels; ++i) {
            auto s = b_.scope("down_blocks." + std::to_string(i));
            for (std::int64_t j = 0; j < a_.layers_per_block; ++j) {
                h = resnet(h, "resnets." + std::to_string(j), a_.block_out_channels[i]);
                if (a_.down_cross_attention[i]) h = transformer(h, "attentions." + std::to_string(j), i);
                skips_.push_back(h);
            }
            if (i + 1 < levels) {
                auto d = b_.scope("downsamplers.0", std::nullopt, blocks_.take());
                h = emit_downsample2d(b_, h);
                skips_.push_back(h);
            }
        }
        return h;
    }

    Val mid(Val h) {
        if (!a_.mid_block) return h;
        auto s = b_.scope("mid_block");
        const std::size_t last = a_.block_out_channels.size() - 1;
        h = resnet(h, "resnets.0", a_.block_out_channels[last]);
        h = transformer(h, "attentions.0", last);
        return resnet(h, "resnets.1", a_.block_out_channels[last]);
    }

    Val up(Val h) {
        const std::size_t levels = a_.block_out_channels.size();
        for (std::size_t i = 0; i < levels; ++i) {
            auto s = b_.scope("up_blocks." + std::to_string(i));
            const std::size_t level = levels - 1 - i;  // up blocks run from the coarsest level
            for (std::int64_t j = 0; j <= a_.layers_per_block; ++j) {
                const Val skip = skips_.back();
                skips_.pop_back();
                h = resnet(h, "resnets." + std::to_string(j), a_.block_out_channels[level], skip);
                if (a_.up_cross_attention[i]) h = transformer(h, "attentions." + std::to_string(j), level);
            }
            if (i + 1 < levels) {
                auto u = b_.scope("upsamplers.0", std::nullopt, blocks_.take());
                h = emit_upsample2d(b_, h);
            }
        }
        return h;
    }

private:
    // A ResNet block; on the up path its input is concatenated with the skip first.
    Val resnet(Val h, const std::string& name, std::int64_t channels, const std::optional<Val>& skip = {}) {
        auto r = b_.scope(name, std::nullopt, blocks_.take());
        if (skip) h = b_.concat({h, *skip}, 1, "skip_concat", ModuleGroup::other);
        return emit_resnet2d(b_, h, channels, a_.norm_groups, a_.act, temb_);
    }

    Val transformer(const Val& h, const std::string& name, std::size_t level) {
        auto t = b_.scope(name, std::nullopt, blocks_.take());
        return emit_transformer2d(b_, h, a_.heads[level], a_.transformer_layers[level], a_.norm_groups,
                                  a_.linear_projection, context_, blocks_);
    }

    GraphBuilder& b_;
    const UNetArch& a_;
    Val temb_;
    const Val& context_;
    BlockCounter blocks_;
    std::vector<Val> skips_;
};

}  // namespace

Val emit_unet(GraphBuilder& b, const UNetArch& a, const Val& sample, const Val& timesteps, const Val& context) {
    UNetEmitter unet(b, a, emit_time_embedding(b, a, timesteps), context);
    Val h = sample;
    if (a.center_input_sample) h = b.scale(h, 2, "center_input_sample", ModuleGroup::other);  // 2x - 1
    const std::int64_t pad_in = (a.conv_in_kernel - 1) / 2;
    h = b.conv(h, a.block_out_channels.front(), {a.conv_in_kernel, a.conv_in_kernel}, {1, 1}, {pad_in, pad_in}, 1,
               true, "conv_in", ModuleGroup::conv);
    h = unet.up(unet.mid(unet.down(h)));
    h = b.group_norm(h, a.norm_groups, "conv_norm_out", ModuleGroup::norm);
    h = b.act(h, a.act, "conv_act", ModuleGroup::conv);
    const std::int64_t pad_out = (a.conv_out_kernel - 1) / 2;
    return b.conv(h, a.out_channels, {a.conv_out_kernel, a.conv_out_kernel}, {1, 1}, {pad_out, pad_out}, 1, true,
                  "conv_out", ModuleGroup::conv);
}

}  // namespace fmsim::workloads
