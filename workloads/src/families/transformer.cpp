#include "transformer.hpp"

namespace fmsim::workloads {

Val emit_self_attention(GraphBuilder& b, const BlockSpec& s, const Val& x, std::int64_t past, bool cache_kv) {
    const std::int64_t batch = x.shape[0], seq = x.shape[1];
    const std::int64_t q_width = s.heads * s.head_dim, kv_width = s.kv_heads * s.head_dim;
    const Val qkv = b.linear(x, q_width + 2 * kv_width, s.attention_bias, "qkv_proj", ModuleGroup::attention);
    AttentionCall call{b.slice(qkv, {batch, seq, q_width}), b.slice(qkv, {batch, seq, kv_width}),
                       b.slice(qkv, {batch, seq, kv_width}), s.heads, s.kv_heads, s.head_dim, past, cache_kv, s.causal,
                       s.window};
    call.dropout = s.attention_dropout;
    if (s.rotary) {
        const Val qk = b.op(OpKind::elementwise, "rope", ModuleGroup::attention,
                            kRopeFlopsPerElement * static_cast<double>(batch * seq * (q_width + kv_width)),
                            {call.q, call.k}, {}, {batch, seq, q_width + kv_width});
        call.q = b.slice(qk, {batch, seq, q_width});
        call.k = b.slice(qk, {batch, seq, kv_width});
    }
    const Val attn = b.attention(call, "attn");
    return b.linear(attn, s.hidden, s.attention_bias, "o_proj", ModuleGroup::attention);
}

Val emit_cross_attention(GraphBuilder& b, const BlockSpec& s, const Val& x, const std::optional<Val>& memory,
                         std::int64_t memory_len, std::int64_t memory_dim, bool cache_kv) {
    const std::int64_t batch = x.shape[0];
    const std::int64_t q_width = s.heads * s.head_dim, kv_width = s.kv_heads * s.head_dim;
    const Val q = b.linear(x, q_width, s.attention_bias, "q_proj", ModuleGroup::attention);
    AttentionCall call{q, {}, {}, s.heads, s.kv_heads, s.head_dim, 0, cache_kv, false, 0};
    call.dropout = s.attention_dropout;
    if (memory) {
        const Val kv = b.linear(*memory, 2 * kv_width, s.attention_bias, "kv_proj", ModuleGroup::attention);
        const std::int64_t m = memory->shape[1];
        call.k = b.slice(kv, {batch, m, kv_width});
        call.v = b.slice(kv, {batch, m, kv_width});
    } else {
        // Decode step: K/V of the encoder output were cached by the prefill. The projection
        // weights are registered so the parameter count does not depend on the phase.
        b.weight("kv_proj.weight", {memory_dim > 0 ? memory_dim : s.hidden, 2 * kv_width}, ModuleGroup::attention, b.matrix_weight_dtype());
        if (s.attention_bias) b.weight("kv_proj.bias", {2 * kv_width}, ModuleGroup::attention, b.small_param_dtype());
        call.k = b.input("cross_k_empty", {batch, 0, kv_width}, b.act_dtype());
        call.v = b.input("cross_v_empty", {batch, 0, kv_width}, b.act_dtype());
        call.past_kv = memory_len;
        call.cache_new_kv = false;
    }
    const Val attn = b.attention(call, "cross_attn");
    return b.linear(attn, s.hidden, s.attention_bias, "cross_o_proj", ModuleGroup::attention);
}

Val emit_mlp(GraphBuilder& b, const BlockSpec& s, const Val& x) {
    if (s.gated) {
        const Val gu = b.linear(x, 2 * s.ffn, s.mlp_bias, "gate_up_proj", ModuleGroup::ffn);
        return b.linear(b.gated_act(gu, s.act, "act", ModuleGroup::ffn), s.hidden, s.mlp_bias, "down_proj",
                        ModuleGroup::ffn);
    }
    const Val up = b.linear(x, s.ffn, s.mlp_bias, "fc1", ModuleGroup::ffn);
    return b.linear(b.act(up, s.act, "act", ModuleGroup::ffn), s.hidden, s.mlp_bias, "fc2", ModuleGroup::ffn);
}

Val emit_block(GraphBuilder& b, const BlockSpec& s, Val h, const BlockIO& io) {
    auto sub = [&](const std::string& name, const std::string& norm_name, auto&& body) {
        auto dropped = [&](const Val& y) { return b.dropout(y, s.hidden_dropout, name + "_out_dropout", ModuleGroup::other); };
        if (s.pre_norm) {
            const Val y = dropped(body(b.norm(h, s.norm, s.norm_bias, norm_name)));
            h = b.add(h, y, norm_name + "_residual", ModuleGroup::other);
        } else {
            const Val y = dropped(body(h));
            h = b.norm(b.add(h, y, norm_name + "_residual", ModuleGroup::other), s.norm, s.norm_bias, norm_name);
        }
    };
    sub("attn", "attn_norm", [&](const Val& x) { return emit_self_attention(b, s, x, io.past, io.cache_kv); });
    if (io.cross_attention)
        sub("cross_attn", "cross_attn_norm",
            [&](const Val& x) { return emit_cross_attention(b, s, x, io.memory, io.memory_len, io.memory_dim, io.cache_cross_kv); });
    sub("mlp", "mlp_norm", [&](const Val& x) { return io.ffn ? io.ffn(b, x) : emit_mlp(b, s, x); });
    return h;
}

Val emit_blocks(GraphBuilder& b, const BlockSpec& s, Val h, std::int64_t layers, const std::string& name,
                const BlockIO& io) {
    for (std::int64_t l = 0; l < layers; ++l) {
        auto scope = b.scope(name + "." + std::to_string(l), std::nullopt, static_cast<int>(l));
        h = emit_block(b, s, h, io);
    }
    return h;
}

}  // namespace fmsim::workloads
