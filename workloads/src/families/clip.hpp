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
// ("clip_vision_model" or absent) object. Absent keys take Hugging Face's CLIPTextConfig /
// CLIPVisionConfig defaults. projection_dim is the tower config's value; no emitter applies it
// (the clip model projects with its top-level projection_dim through emit_clip_projection).
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

// Everything a vision tower computes, for callers that take features from inside it (LLaVA takes
// the second-to-last block's output). hidden_states[0] is the embeddings after pre_layrnorm and
// hidden_states[i] the output of block i-1 (Hugging Face's output_hidden_states order); pooled is
// post_layernorm of the class token [B, 1, d]. Same graph as emit_clip_vision.
struct ClipVisionOutputs {
    std::vector<Val> hidden_states;
    Val pooled;
};
ClipVisionOutputs emit_clip_vision_outputs(GraphBuilder& b, const ClipTowerArch& a, std::int64_t batch);
// A text tower's pooled output: the end-of-text token's hidden state of each sequence [B, 1, d]
// (a gather read in place, no op).
Val clip_text_pooled(GraphBuilder& b, const Val& last_hidden);
// text_projection / visual_projection: pooled [B, 1, d] -> [B, 1, projection_dim], no bias.
Val emit_clip_projection(GraphBuilder& b, const Val& pooled, std::int64_t projection_dim, const std::string& leaf);
// Tokens one image becomes in a vision tower: 1 class token + (image_size / patch_size)^2 patches.
std::int64_t clip_vision_tokens(const ClipTowerArch& a);

}  // namespace fmsim::workloads
