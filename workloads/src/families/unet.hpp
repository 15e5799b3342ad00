#pragma once
// The conditional U-Net of latent diffusion (Rombach et al. 2022), as diffusers'
// UNet2DConditionModel builds it, and the 2-D blocks it shares with the VAE (ResnetBlock2D,
// Downsample2D, Upsample2D, Transformer2DModel). Weight and op names follow the diffusers module
// paths ("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k").
#include <optional>
#include <string>
#include <vector>

#include "../builder.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::workloads {

// A UNet2DConditionModel config normalised to what changes cost.
struct UNetArch {
    std::int64_t sample_size = 0;  // latent height = width
    std::int64_t in_channels = 0, out_channels = 0;
    std::vector<std::int64_t> block_out_channels;
    std::vector<bool> down_cross_attention;  // per down block: CrossAttnDownBlock2D (true) or DownBlock2D
    std::vector<bool> up_cross_attention;    // per up block: CrossAttnUpBlock2D (true) or UpBlock2D
    bool mid_block = true;                   // UNetMidBlock2DCrossAttn (false: mid_block_type null)
    std::int64_t layers_per_block = 0;
    std::vector<std::int64_t> heads;               // attention heads per down block (see attention_head_dim)
    std::vector<std::int64_t> transformer_layers;  // BasicTransformerBlocks per Transformer2DModel, per block
    std::int64_t cross_attention_dim = 0;          // width of the text states
    std::int64_t norm_groups = 0;
    bool linear_projection = false;  // proj_in/proj_out as Linear (SD 2.x) or 1x1 Conv2d (SD 1.x)
    std::int64_t time_proj_dim = 0;  // sinusoidal timestep features: block_out_channels[0]
    std::int64_t time_embed_dim = 0;  // TimestepEmbedding width: 4 * block_out_channels[0] by default
    std::int64_t conv_in_kernel = 3, conv_out_kernel = 3;
    bool center_input_sample = false;
    Act act = Act::silu;
};

// Parses a diffusers UNet2DConditionModel config.json object.
UNetArch parse_unet_config(const json& j, const ConfigContext& ctx);
SchemaDoc unet_schema_doc();

// Numbers the blocks of one component (resnets, transformers, samplers) so each op knows its
// block: the training pass groups recomputation by (component, layer).
struct BlockCounter {
    int next = 0;
    int take() { return next++; }
};

// ResnetBlock2D (diffusers resnet.py): GroupNorm, act, conv3x3, [+ time_emb_proj(act(temb))],
// GroupNorm, act, conv3x3, plus a 1x1 conv shortcut when the channel count changes; the sum is
// the output (output_scale_factor 1 in every config fmsim models). `temb` is the time embedding
// [N, time_embed_dim] (absent in the VAE). Call inside a scope naming the block.
Val emit_resnet2d(GraphBuilder& b, const Val& x, std::int64_t out_channels, std::int64_t groups, Act act,
                  const std::optional<Val>& temb);
// Downsample2D with use_conv: a 3x3 stride-2 conv. diffusers pads (0,1,0,1) where padding is 0
// (the VAE encoder); both give H/2 outputs and the same MACs, so padding 1 is used for both.
Val emit_downsample2d(GraphBuilder& b, const Val& x);
// Upsample2D with use_conv: nearest-neighbour 2x interpolation (a copy to 4x the pixels) and a
// 3x3 conv.
Val emit_upsample2d(GraphBuilder& b, const Val& x);
// [N, C, H, W] <-> [N, H*W, C]: the permute + reshape diffusers does around attention, a copy.
Val emit_to_tokens(GraphBuilder& b, const Val& x, const std::string& leaf);
Val emit_to_pixels(GraphBuilder& b, const Val& tokens, const Shape& nchw, const std::string& leaf);

// Transformer2DModel (diffusers transformer_2d.py) over x [N, C, H, W] with `layers`
// BasicTransformerBlocks of `heads` heads (head_dim = C / heads) cross-attending to `context`
// [N, M, cross_dim]. Residual to x. Call inside a scope naming the block.
Val emit_transformer2d(GraphBuilder& b, const Val& x, std::int64_t heads, std::int64_t layers, std::int64_t groups,
                       bool linear_projection, const Val& context, BlockCounter& blocks);

// The whole U-Net: sample [N, in, h, w], timesteps [N], context [N, M, cross_attention_dim]
// -> prediction [N, out, h, w]. Call inside the "unet" scope and component.
Val emit_unet(GraphBuilder& b, const UNetArch& a, const Val& sample, const Val& timesteps, const Val& context);

// Floating-point operations of the sinusoidal timestep features of one timestep, per feature:
// t * freq for each of dim/2 frequencies and one sin or cos per feature: (dim/2 + dim) / dim.
inline constexpr double kTimestepFeatureFlopsPerElement = 1.5;

}  // namespace fmsim::workloads
