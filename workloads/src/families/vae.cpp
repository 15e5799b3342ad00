// AutoencoderKL as diffusers builds it: Encoder and Decoder in diffusers/models/autoencoders/vae.py,
// the quant convs in autoencoder_kl.py, blocks in unet_2d_blocks.py (DownEncoderBlock2D,
// UpDecoderBlock2D, UNetMidBlock2D) and the mid-block Attention in attention_processor.py.
#include "vae.hpp"

namespace fmsim::workloads {

namespace {

struct VaeConfig {
    std::int64_t in_channels = 0, out_channels = 0, latent_channels = 0, layers_per_block = 0;
    std::int64_t norm_num_groups = 0, sample_size = 0;
    std::vector<std::int64_t> block_out_channels;
    std::vector<std::string> down_block_types, up_block_types;
    std::string act_fn;
    double scaling_factor = 0;
    bool shift_factor = false;
    bool use_quant_conv = true, use_post_quant_conv = true, mid_block_add_attention = true;
};

template <class Spec>
Schema<Spec>& block_types(Schema<Spec>& s, const std::string& key, std::vector<std::string> Spec::*member,
                          const std::string& type) {
    return s.custom(key, "list of \"" + type + "\"", "[\"" + type + "\"]",
                    "One per level; only " + type + " exists for AutoencoderKL in diffusers.",
                    [=](Spec& c, const json& j, const ConfigContext& at) {
                        (c.*member).clear();
                        schema_detail::for_each_in_list(j, at, "strings", true, [&](const json& v, const ConfigContext& here) {
                            (c.*member).push_back(schema_detail::read_choice(v, here, {type}));
                        });
                    },
                    [=](Spec& c) { c.*member = {type}; });
}

const Schema<VaeConfig>& vae_schema() {
    static const auto s = [] {
        Schema<VaeConfig> s("AutoencoderKL",
                            "The KL autoencoder of a stable_diffusion model (diffusers AutoencoderKL config.json). "
                            "Defaults are diffusers'.");
        s.integer("in_channels", &VaeConfig::in_channels, 3, "", "Image channels the encoder reads.")
            .integer("out_channels", &VaeConfig::out_channels, 3, "", "Image channels the decoder writes.")
            .integer("latent_channels", &VaeConfig::latent_channels, 4, "", "Channels of the latent.")
            .integer_list("block_out_channels", &VaeConfig::block_out_channels, std::vector<std::int64_t>{64}, "",
                          "Channels of each level, from the finest; the image is 2^(levels-1) times the latent.")
            .integer("layers_per_block", &VaeConfig::layers_per_block, 1, "",
                     "ResnetBlock2Ds per encoder level; decoder levels have one more.")
            .integer("norm_num_groups", &VaeConfig::norm_num_groups, 32, "", "GroupNorm groups.")
            .integer("sample_size", &VaeConfig::sample_size, 32, "pixels",
                     "Image size the autoencoder was trained at; informational (the U-Net's sample_size sets the "
                     "image a pipeline makes).")
            .choice("act_fn", &VaeConfig::act_fn, {"silu", "swish", "gelu", "relu"}, "silu", "Resnet activation.")
            .number("scaling_factor", &VaeConfig::scaling_factor, 0.18215, "",
                    "Latents are divided by it before decoding (one elementwise op) and multiplied after encoding.")
            .custom("shift_factor", "number or null", "null", "When set, latents are also shifted before decoding.",
                    [](VaeConfig& c, const json& j, const ConfigContext& at) {
                        if (!j.is_null() && !j.is_number()) at.fail("expected a number or null, got " + json_type_name(j));
                        c.shift_factor = !j.is_null();
                    },
                    [](VaeConfig& c) { c.shift_factor = false; })
            .boolean("use_quant_conv", &VaeConfig::use_quant_conv, true, "A 1x1 conv after the encoder.")
            .boolean("use_post_quant_conv", &VaeConfig::use_post_quant_conv, true, "A 1x1 conv before the decoder.")
            .boolean("mid_block_add_attention", &VaeConfig::mid_block_add_attention, true,
                     "The mid blocks hold a single-head self-attention over every latent pixel.");
        block_types(s, "down_block_types", &VaeConfig::down_block_types, "DownEncoderBlock2D");
        block_types(s, "up_block_types", &VaeConfig::up_block_types, "UpDecoderBlock2D");
        s.ignored("latents_mean", "per-channel latent statistics (SDXL-style normalisation); elementwise")
            .ignored("latents_std", "per-channel latent statistics; elementwise")
            .ignored("force_upcast", "numerics: diffusers runs the VAE in fp32 when the pipeline is fp16; fmsim "
                                     "uses the run's precision for every component")
            .ignored("norm_eps", "numerics")
            .ignored("_class_name", "diffusers class name").ignored("_diffusers_version", "library version")
            .ignored("_name_or_path", "checkpoint name").ignored("_use_default_values", "diffusers bookkeeping");
        return s;
    }();
    return s;
}

// UNetMidBlock2D of the autoencoder: resnet, [single-head self-attention with a GroupNorm in front
// and a residual], resnet. heads = channels / attention_head_dim with attention_head_dim =
// block_out_channels[-1]: one head as wide as the channels.
Val emit_vae_mid_block(GraphBuilder& b, const VaeArch& a, Val h, BlockCounter& blocks) {
    auto s = b.scope("mid_block");
    const std::int64_t ch = h.shape[1];
    {
        auto r = b.scope("resnets.0", std::nullopt, blocks.take());
        h = emit_resnet2d(b, h, ch, a.norm_groups, a.act, std::nullopt);
    }
    if (a.mid_block_attention) {
        auto t = b.scope("attentions.0", std::nullopt, blocks.take());
        const Val normed = b.group_norm(h, a.norm_groups, "group_norm", ModuleGroup::norm);
        const Val tokens = emit_to_tokens(b, normed, "to_tokens");
        const Val q = b.linear(tokens, ch, true, "to_q", ModuleGroup::attention);
        const Val k = b.linear(tokens, ch, true, "to_k", ModuleGroup::attention);
        const Val v = b.linear(tokens, ch, true, "to_v", ModuleGroup::attention);
        // One head as wide as the channels, bidirectional.
        const AttentionCall call{.q = q, .k = k, .v = v, .heads = 1, .kv_heads = 1, .head_dim = ch};
        const Val o = b.attention(call, "attention");
        const Val out = b.linear(o, ch, true, "to_out.0", ModuleGroup::attention);
        h = b.add(emit_to_pixels(b, out, h.shape, "to_pixels"), h, "residual", ModuleGroup::other);
    }
    auto r = b.scope("resnets.1", std::nullopt, blocks.take());
    return emit_resnet2d(b, h, ch, a.norm_groups, a.act, std::nullopt);
}

}  // namespace

VaeArch parse_vae_config(const json& j, const ConfigContext& ctx) {
    const VaeConfig c = vae_schema().parse(j, ctx);
    const std::size_t levels = c.block_out_channels.size();
    for (const char* key : {"down_block_types", "up_block_types"}) {
        const std::size_t n = std::string(key) == "down_block_types" ? c.down_block_types.size() : c.up_block_types.size();
        if (n != levels)
            ctx.at(key).fail("expected " + std::to_string(levels) + " entries (one per block_out_channels), got " +
                             std::to_string(n));
    }
    for (std::size_t i = 0; i < levels; ++i)
        if (c.block_out_channels[i] % c.norm_num_groups != 0)
            ctx.at("block_out_channels").at(std::to_string(i)).fail(
                "expected a multiple of norm_num_groups (" + std::to_string(c.norm_num_groups) + "), got " +
                std::to_string(c.block_out_channels[i]));
    VaeArch a;
    a.in_channels = c.in_channels;
    a.out_channels = c.out_channels;
    a.latent_channels = c.latent_channels;
    a.block_out_channels = c.block_out_channels;
    a.layers_per_block = c.layers_per_block;
    a.norm_groups = c.norm_num_groups;
    a.sample_size = c.sample_size;
    a.use_quant_conv = c.use_quant_conv;
    a.use_post_quant_conv = c.use_post_quant_conv;
    a.mid_block_attention = c.mid_block_add_attention;
    a.scaling_factor = c.scaling_factor;
    a.shift_factor = c.shift_factor;
    a.act = parse_act(c.act_fn);
    return a;
}

SchemaDoc vae_schema_doc() { return vae_schema().doc(); }

Val emit_vae_encoder(GraphBuilder& b, const VaeArch& a, const Val& images, BlockCounter& blocks) {
    Val h;
    {
        auto e = b.scope("encoder");
        h = b.conv(images, a.block_out_channels.front(), {3, 3}, {1, 1}, {1, 1}, 1, true, "conv_in", ModuleGroup::conv);
        const std::size_t levels = a.block_out_channels.size();
        for (std::size_t i = 0; i < levels; ++i) {
            auto s = b.scope("down_blocks." + std::to_string(i));
            for (std::int64_t j = 0; j < a.layers_per_block; ++j) {
                auto r = b.scope("resnets." + std::to_string(j), std::nullopt, blocks.take());
                h = emit_resnet2d(b, h, a.block_out_channels[i], a.norm_groups, a.act, std::nullopt);
            }
            if (i + 1 < levels) {
                auto d = b.scope("downsamplers.0", std::nullopt, blocks.take());
                h = emit_downsample2d(b, h);
            }
        }
        h = emit_vae_mid_block(b, a, h, blocks);
        h = b.group_norm(h, a.norm_groups, "conv_norm_out", ModuleGroup::norm);
        h = b.act(h, a.act, "conv_act", ModuleGroup::conv);
        // double_z: mean and log-variance of the latent distribution.
        h = b.conv(h, 2 * a.latent_channels, {3, 3}, {1, 1}, {1, 1}, 1, true, "conv_out", ModuleGroup::conv);
    }
    if (a.use_quant_conv)
        h = b.conv(h, 2 * a.latent_channels, {1, 1}, {1, 1}, {0, 0}, 1, true, "quant_conv", ModuleGroup::conv);
    return h;
}

Val emit_vae_decoder(GraphBuilder& b, const VaeArch& a, const Val& latents, BlockCounter& blocks) {
    Val h = latents;
    if (a.use_post_quant_conv)
        h = b.conv(h, a.latent_channels, {1, 1}, {1, 1}, {0, 0}, 1, true, "post_quant_conv", ModuleGroup::conv);
    auto d = b.scope("decoder");
    h = b.conv(h, a.block_out_channels.back(), {3, 3}, {1, 1}, {1, 1}, 1, true, "conv_in", ModuleGroup::conv);
    h = emit_vae_mid_block(b, a, h, blocks);
    const std::size_t levels = a.block_out_channels.size();
    for (std::size_t i = 0; i < levels; ++i) {
        auto s = b.scope("up_blocks." + std::to_string(i));
        const std::int64_t ch = a.block_out_channels[levels - 1 - i];
        for (std::int64_t j = 0; j <= a.layers_per_block; ++j) {
            auto r = b.scope("resnets." + std::to_string(j), std::nullopt, blocks.take());
            h = emit_resnet2d(b, h, ch, a.norm_groups, a.act, std::nullopt);
        }
        if (i + 1 < levels) {
            auto u = b.scope("upsamplers.0", std::nullopt, blocks.take());
            h = emit_upsample2d(b, h);
        }
    }
    h = b.group_norm(h, a.norm_groups, "conv_norm_out", ModuleGroup::norm);
    h = b.act(h, a.act, "conv_act", ModuleGroup::conv);
    return b.conv(h, a.out_channels, {3, 3}, {1, 1}, {1, 1}, 1, true, "conv_out", ModuleGroup::conv);
}

}  // namespace fmsim::workloads
