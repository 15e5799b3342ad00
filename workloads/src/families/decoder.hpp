#pragma once
// Decoder-only Transformers (GPT-2/3, OPT, LLaMA, Mistral, Mixtral, Vicuna), normalised from
// their Hugging Face configs into one architecture description. LLaVA reuses the pieces.
#include "../builder.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::workloads {

struct DecoderArch {
    std::string model_type;
    std::int64_t hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0, vocab = 0;
    std::int64_t learned_positions = 0;  // rows of a learned position table (+offset rows); 0 = rotary
    std::int64_t max_context = 0;        // longest sequence the config supports
    Norm norm = Norm::layer;
    bool linear_bias = true;   // q/k/v/o and FFN biases
    bool gated_ffn = false;    // SwiGLU: down(act(gate) * up)
    Act act = Act::gelu_tanh;
    bool tied_embeddings = true;
    std::int64_t experts = 0, top_k = 0;  // MoE (Mixtral)
    std::int64_t sliding_window = 0;      // Mistral
    // Training-time dropout probabilities: attention probabilities, sub-block outputs, embeddings.
    double attention_dropout = 0, hidden_dropout = 0, embedding_dropout = 0;
};

// Parses a gpt2 / opt / llama / mistral / mixtral config.
DecoderArch parse_decoder_arch(const json& j, const ConfigContext& ctx);

// Token (and learned position) embedding of ids [B, S] starting at position `first_position`.
Val emit_decoder_embedding(GraphBuilder& b, const DecoderArch& a, const Val& ids);
// The Transformer blocks over h [B, S, d]. `past` tokens are read from the KV cache; new K/V are
// appended when `cache_kv`.
Val emit_decoder_blocks(GraphBuilder& b, const DecoderArch& a, Val h, std::int64_t past, bool cache_kv);
// Final norm and LM head. `last_token_only` computes logits for the last position of each
// sequence, as serving engines do in prefill.
Val emit_decoder_head(GraphBuilder& b, const DecoderArch& a, Val h, bool last_token_only);

// KV-cache bytes for `tokens` cached tokens per sequence (a sliding window caps what is kept).
std::int64_t decoder_kv_cache_bytes(const DecoderArch& a, std::int64_t batch, std::int64_t tokens, DType kv);

// Expected number of distinct experts that `tokens` tokens route to, each picking top_k of
// num_experts uniformly at random: E * (1 - (1 - k/E)^T), rounded up.
std::int64_t expected_active_experts(std::int64_t num_experts, std::int64_t top_k, std::int64_t tokens);

}  // namespace fmsim::workloads
