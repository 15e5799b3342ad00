#pragma once
// CLIP towers (Radford et al. 2021), shared by the clip family, LLaVA (vision tower), Stable
// Diffusion (text encoder) and the ImageBind-style multi-encoder.
#include "fmsim/workloads/schema.hpp"
#include "transformer.hpp"

namespace fmsim::workloads {

// One tower as Hugging Face's CLIPTextConfig / CLIPVisionConfig describe it.
struct ClipTowerArch {
    bool vision = false;
    BlockSpec block;                 // pre-LN, quick_gelu or gelu MLP, biases
    std::int64_t layers = 0;
    std::int64_t vocab = 0;          // text
    std::int64_t max_positions = 0;  // text: context length
    std::int64_t image_size = 0, patch_size = 0, channels = 3;  // vision
    std::int64_t projection_dim = 0;  // 0 = no projection (LLaVA, SD use hidden states)
};

// Parses a text_config (model_type "clip_text_model" or absent) or vision_config
// ("clip_vision_model" or absent) object.
ClipTowerArch parse_clip_text_config(const json& j, const ConfigContext& ctx);
ClipTowerArch parse_clip_vision_config(const json& j, const ConfigContext& ctx);
SchemaDoc clip_text_schema_doc();
SchemaDoc clip_vision_schema_doc();

// Emits a text tower over [batch, seq] token ids; returns the last hidden states [B, seq, d]
// (after the final LayerNorm). The caller names the scope and component.
Val emit_clip_text(GraphBuilder& b, const ClipTowerArch& a, std::int64_t batch, std::int64_t seq);
// Emits a vision tower over [batch, channels, image, image] pixels; returns hidden states
// [B, 1 + patches, d] (after post_layernorm of the class token where the tower has it).
Val emit_clip_vision(GraphBuilder& b, const ClipTowerArch& a, std::int64_t batch);

}  // namespace fmsim::workloads
