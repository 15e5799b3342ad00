#pragma once
// Transformer pieces shared by the encoder, encoder-decoder, vision and multimodal families:
// self-attention, cross-attention and MLP sub-blocks, and a whole block with pre- or post-norm.
#include <functional>

#include "../builder.hpp"

namespace fmsim::workloads {

struct BlockSpec {
    std::int64_t hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0;
    Norm norm = Norm::layer;
    bool norm_bias = true;
    bool pre_norm = true;        // pre-LN (GPT-2, ViT, CLIP, Whisper, T5) or post-LN (BERT)
    bool attention_bias = true;  // q/k/v/o biases
    bool mlp_bias = true;
    bool gated = false;          // act(gate) * up (SwiGLU/GEGLU)
    Act act = Act::gelu;
    bool causal = false;
    bool rotary = false;          // rotary position embedding on q and k (LLaMA family)
    std::int64_t window = 0;      // sliding-window attention span, 0 = unlimited (Mistral)
    // Training-time dropout probabilities (Hugging Face config fields): on the attention
    // probabilities, and on each sub-block's output before its residual add.
    double attention_dropout = 0, hidden_dropout = 0;
};

// Which parts of a packed [q | k | v] projection carry a bias: all (GPT-2, BERT), none (T5, LLaMA),
// or q and v only (Whisper, whose k_proj has bias=False).
struct QkvBias {
    bool q = true, k = true, v = true;
    static QkvBias all(bool on) { return {on, on, on}; }
};

// One attention sub-block, every family's: q/k/v projections, the attention kernel, the output
// projection. Fields are named so a call site says what it sets; the defaults are a plain
// bidirectional multi-head attention with biased projections and the Hugging Face leaf names.
struct AttentionBlock {
    std::int64_t heads = 0, kv_heads = 0, head_dim = 0;
    std::int64_t out_features = 0;  // the output projection's width: the residual stream's
    QkvBias bias = QkvBias::all(true);
    bool out_bias = true;
    bool causal = false;
    std::int64_t window = 0;        // sliding-window span, 0 = unlimited
    bool rotary = false;            // rotary embedding on q and k
    double dropout = 0;             // on the attention probabilities, in training
    std::optional<Val> score_bias{};  // T5's relative position bias
    // Leaf names: self-attention packs q, k and v into `qkv_name`; cross-attention projects q from
    // the block's input (`q_name`) and packed k, v from the memory (`kv_name`).
    std::string qkv_name = "qkv_proj", q_name = "q_proj", kv_name = "kv_proj";
    std::string attention_name = "attn", out_name = "o_proj";
    // Rewrites K and V before the kernel (ImageBind appends learned bias_k/bias_v as one more key).
    std::function<void(GraphBuilder&, Val& k, Val& v)> extend_kv{};

    std::int64_t q_width() const { return heads * head_dim; }
    std::int64_t kv_width() const { return kv_heads * head_dim; }
};
// The self- and cross-attention blocks a BlockSpec describes (cross: leaves cross_attn, cross_o_proj).
AttentionBlock self_attention_block(const BlockSpec& s);
AttentionBlock cross_attention_block(const BlockSpec& s);

// Self-attention over x [B, S, d] with a packed QKV projection; K/V of `past` earlier tokens come
// from the KV cache, new ones are appended when cache_kv.
Val emit_self_attention(GraphBuilder& b, const AttentionBlock& a, const Val& x, std::int64_t past = 0,
                        bool cache_kv = false);
// Cross-attention of x [B, S, d] to `memory` [B, M, d_mem]. With `memory` unset, K and V of
// `memory_len` tokens are read from the cross-attention cache (decode steps); with cache_kv the
// freshly projected K/V are stored there. `memory_dim` 0 means the block's out_features.
Val emit_cross_attention(GraphBuilder& b, const AttentionBlock& a, const Val& x, const std::optional<Val>& memory,
                         std::int64_t memory_len, std::int64_t memory_dim, bool cache_kv = false);
// h + body(norm(h)): a pre-norm residual sub-layer (ViT, CLIP, Whisper, T5, ImageBind).
Val pre_norm_residual(GraphBuilder& b, const Val& h, Norm norm, bool norm_bias, const std::string& norm_name,
                      const std::string& residual_name, const std::function<Val(const Val&)>& body);
Val emit_mlp(GraphBuilder& b, const BlockSpec& s, const Val& x);

// One block: [norm] self-attn [+cross-attn] MLP with residuals, norms placed by s.pre_norm.
// Call inside a scope that names the block and sets its layer.
struct BlockIO {
    std::int64_t past = 0;
    bool cache_kv = false;
    std::optional<Val> memory;      // cross-attention source (encoder output)
    std::int64_t memory_len = 0;    // cross-attention length when read from cache
    std::int64_t memory_dim = 0;    // width of the memory; 0 = the block's hidden size
    bool cross_attention = false;
    bool cache_cross_kv = false;
    // Replaces the dense MLP (a mixture of experts); null = emit_mlp.
    std::function<Val(GraphBuilder&, const Val&)> ffn;
};
Val emit_block(GraphBuilder& b, const BlockSpec& s, Val h, const BlockIO& io = {});

// `layers` blocks named "<name>.<i>" with layer index i.
Val emit_blocks(GraphBuilder& b, const BlockSpec& s, Val h, std::int64_t layers, const std::string& name = "layers",
                const BlockIO& io = {});

}  // namespace fmsim::workloads
