#include "transformer.hpp"

namespace fmsim::workloads {

AttentionBlock self_attention_block(const BlockSpec& s) {
    AttentionBlock a{.heads = s.heads, .kv_heads = s.kv_heads, .head_dim = s.head_dim, .out_features = s.hidden};
    a.bias = QkvBias::all(s.attention_bias);
    a.out_bias = s.attention_bias;
    a.causal = s.causal;
    a.window = s.window;
    a.rotary = s.rotary;
    a.dropout = s.attention_dropout;
    return a;
}

AttentionBlock cross_attention_block(const BlockSpec& s) {
    AttentionBlock a = self_attention_block(s);
    a.causal = false;
    a.window = 0;
    a.rotary = false;
    a.attention_name = "cross_attn";
    a.out_name = "cross_o_proj";
    return a;
}

namespace {

// A packed projection of widths `parts` whose part i is biased where `biased[i]`.
Val packed_projection(GraphBuilder& b, const Val& x, const std::vector<std::int64_t>& parts,
                      const std::vector<bool>& biased, const std::string& leaf) {
    std::int64_t total = 0, with_bias = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        total += parts[i];
        if (biased[i]) with_bias += parts[i];
    }
    return b.linear_partly_biased(x, total, with_bias, leaf, ModuleGroup::attention);
}

// Rotary embedding on q and k: one elementwise op over both (HF's apply_rotary_pos_emb).
void apply_rotary(GraphBuilder& b, AttentionCall& call, std::int64_t q_width, std::int64_t kv_width) {
    const std::int64_t batch = call.q.shape[0], seq = call.q.shape[1];
    const Val qk = b.op(OpKind::elementwise, "rope", ModuleGroup::attention,
                        kRopeFlopsPerElement * static_cast<double>(batch * seq * (q_width + kv_width)), {call.q, call.k},
                        {}, {batch, seq, q_width + kv_width});
    call.q = b.slice(qk, {batch, seq, q_width});
    call.k = b.slice(qk, {batch, seq, kv_width});
}

AttentionCall kernel_call(const AttentionBlock& a, Val q, Val k, Val v) {
    return AttentionCall{.q = std::move(q), .k = std::move(k), .v = std::move(v), .heads = a.heads,
                         .kv_heads = a.kv_heads, .head_dim = a.head_dim, .causal = a.causal, .window = a.window,
                         .score_bias = a.score_bias, .dropout = a.dropout};
}

}  // namespace

Val emit_self_attention(GraphBuilder& b, const AttentionBlock& a, const Val& x, std::int64_t past, bool cache_kv) {
    const std::int64_t batch = x.shape[0], seq = x.shape[1];
    const std::int64_t qw = a.q_width(), kvw = a.kv_width();
    const Val qkv = packed_projection(b, x, {qw, kvw, kvw}, {a.bias.q, a.bias.k, a.bias.v}, a.qkv_name);
    Val k = b.slice(qkv, {batch, seq, kvw}), v = b.slice(qkv, {batch, seq, kvw});
    if (a.extend_kv) a.extend_kv(b, k, v);
    AttentionCall call = kernel_call(a, b.slice(qkv, {batch, seq, qw}), k, v);
    call.past_kv = past;
    call.cache_new_kv = cache_kv;
    if (a.rotary) apply_rotary(b, call, qw, kvw);
    const Val attn = b.attention(call, a.attention_name);
    return b.linear(attn, a.out_features, a.out_bias, a.out_name, ModuleGroup::attention);
}

Val emit_cross_attention(GraphBuilder& b, const AttentionBlock& a, const Val& x, const std::optional<Val>& memory,
                         std::int64_t memory_len, std::int64_t memory_dim, bool cache_kv) {
    const std::int64_t batch = x.shape[0], kvw = a.kv_width();
    const Val q = b.linear(x, a.q_width(), a.bias.q, a.q_name, ModuleGroup::attention);
    AttentionCall call = kernel_call(a, q, {}, {});
    call.cache_new_kv = cache_kv;
    if (memory) {
        const Val kv = packed_projection(b, *memory, {kvw, kvw}, {a.bias.k, a.bias.v}, a.kv_name);
        const std::int64_t m = memory->shape[1];
        call.k = b.slice(kv, {batch, m, kvw});
        call.v = b.slice(kv, {batch, m, kvw});
    } else {
        // Decode step: K/V of the encoder output were cached by the prefill. The projection
        // weights are registered so the parameter count does not depend on the phase.
        const std::int64_t in = memory_dim > 0 ? memory_dim : a.out_features;
        b.weight(a.kv_name + ".weight", {in, 2 * kvw}, ModuleGroup::attention, b.matrix_weight_dtype());
        const std::int64_t biased = (a.bias.k ? kvw : 0) + (a.bias.v ? kvw : 0);
        if (biased > 0) b.weight(a.kv_name + ".bias", {biased}, ModuleGroup::attention, b.small_param_dtype());
        call.k = b.input("cross_k_empty", {batch, 0, kvw}, b.act_dtype());
        call.v = b.input("cross_v_empty", {batch, 0, kvw}, b.act_dtype());
        call.past_kv = memory_len;
        call.cache_new_kv = false;
    }
    const Val attn = b.attention(call, a.attention_name);
    return b.linear(attn, a.out_features, a.out_bias, a.out_name, ModuleGroup::attention);
}

Val pre_norm_residual(GraphBuilder& b, const Val& h, Norm norm, bool norm_bias, const std::string& norm_name,
                      const std::string& residual_name, const std::function<Val(const Val&)>& body) {
    const Val y = body(b.norm(h, norm, norm_bias, norm_name));
    return b.add(h, y, residual_name, ModuleGroup::other);
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
    sub("attn", "attn_norm",
        [&](const Val& x) { return emit_self_attention(b, self_attention_block(s), x, io.past, io.cache_kv); });
    if (io.cross_attention)
        sub("cross_attn", "cross_attn_norm", [&](const Val& x) {
            return emit_cross_attention(b, cross_attention_block(s), x, io.memory, io.memory_len, io.memory_dim,
                                        io.cache_cross_kv);
        });
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
