#pragma once
// The KL autoencoder of latent diffusion (Rombach et al. 2022, section 3), as diffusers'
// AutoencoderKL builds it (diffusers/models/autoencoders/autoencoder_kl.py and vae.py).
#include "unet.hpp"

namespace fmsim::workloads {

struct VaeArch {
    std::int64_t in_channels = 3, out_channels = 3, latent_channels = 4;
    std::vector<std::int64_t> block_out_channels;
    std::int64_t layers_per_block = 0, norm_groups = 0, sample_size = 0;
    bool use_quant_conv = true, use_post_quant_conv = true, mid_block_attention = true;
    double scaling_factor = 0.18215;
    bool shift_factor = false;  // latents are also shifted (z / scale + shift) before decoding
    Act act = Act::silu;
    // Pixels per latent pixel along each side: 2^(levels - 1) (8 for Stable Diffusion).
    std::int64_t downscale() const { return std::int64_t{1} << (block_out_channels.size() - 1); }
};

// Parses a diffusers AutoencoderKL config.json object.
VaeArch parse_vae_config(const json& j, const ConfigContext& ctx);
SchemaDoc vae_schema_doc();

// Encoder (conv_in, DownEncoderBlock2Ds, mid block, norm, act, conv_out to 2 * latent channels)
// and quant_conv: images [N, in, H, W] -> moments [N, 2 * latent, H/f, W/f]. Call inside the
// "vae" scope and component.
Val emit_vae_encoder(GraphBuilder& b, const VaeArch& a, const Val& images, BlockCounter& blocks);
// post_quant_conv and the decoder (conv_in, mid block, UpDecoderBlock2Ds with layers_per_block + 1
// resnets each, norm, act, conv_out): latents [N, latent, h, w] -> images [N, out, h*f, w*f].
Val emit_vae_decoder(GraphBuilder& b, const VaeArch& a, const Val& latents, BlockCounter& blocks);

}  // namespace fmsim::workloads
