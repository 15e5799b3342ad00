#pragma once
// GraphBuilder: the layer vocabulary every model family is written in. Each helper registers its
// weights, computes FLOPs and bytes by the formulas in docs/formulas.md, and adds the ops.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/workloads/graph.hpp"
#include "fmsim/workloads/model.hpp"

namespace fmsim::workloads {

// A handle to a value with the logical shape the next op sees (a view may reshape it for free).
struct Val {
    ValueId id = 0;
    Shape shape;
    DType dtype = DType::bf16;
    std::int64_t last() const { return shape.back(); }
};

enum class Norm { layer, rms };
enum class Act { relu, gelu, gelu_tanh, quick_gelu, silu };
Act parse_act(const std::string& hf_name);  // "gelu_new" -> gelu_tanh, "swish" -> silu, ...

// Primitive-operation counts per element (a transcendental counts as 1); docs/formulas.md. Those
// of an op kind's own formula (norms, softmax, rotary embedding, dropout) are in op_kind.hpp.
double act_flops_per_element(Act a);

struct AttentionCall {
    Val q;  // [batch, seq_q, heads*head_dim]
    Val k;  // [batch, seq_kv_new, kv_heads*head_dim]: keys computed in this graph
    Val v;
    std::int64_t heads = 0, kv_heads = 0, head_dim = 0;
    std::int64_t past_kv = 0;      // tokens of K and V read from the KV cache
    bool cache_new_kv = false;     // append k and v to the KV cache (an explicit copy op)
    bool causal = false;
    std::int64_t window = 0;       // sliding window (keys per query), 0 = unlimited
    // An additive bias on the scores, [1 or batch, heads, seq_q, keys] (T5's relative position
    // bias): read by the fused kernel, added by its own op when unfused; 1 FLOP per score.
    std::optional<Val> score_bias = std::nullopt;
    // Dropout probability on the attention probabilities in training; an unfused graph gets its own
    // op over the scores, a fused kernel applies it inside (not charged).
    double dropout = 0;
};

class GraphBuilder {
public:
    GraphBuilder(OpGraph& graph, const RunSpec& run);

    // Names, component and layer of the ops added while the guard lives.
    class Scope {
    public:
        Scope(GraphBuilder& b, const std::string& name, std::optional<std::string> component, std::optional<int> layer);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        GraphBuilder& b_;
        std::size_t prefix_len_;
        std::string component_;
        int layer_;
    };
    [[nodiscard]] Scope scope(const std::string& name, std::optional<std::string> component = {},
                              std::optional<int> layer = {}) {
        return Scope(*this, name, std::move(component), layer);
    }
    std::string qualified(const std::string& leaf) const;

    OpGraph& graph() { return g_; }
    const RunSpec& run() const { return run_; }
    DType act_dtype() const { return run_.precision.activations; }
    // Matmul and conv weights take the weight precision; norms, biases and embedding tables stay at
    // 16 bits when weights are quantized (fp8/int8/int4), as GPTQ, AWQ and SmoothQuant keep them.
    DType matrix_weight_dtype() const { return run_.precision.weights; }
    DType small_param_dtype() const;

    // Weights registered while false are frozen: they get no gradient or optimizer state in a
    // training step (e.g. Stable Diffusion's text encoder and VAE while the U-Net trains).
    void set_trainable(bool trainable) { trainable_ = trainable; }

    Val input(const std::string& name, Shape shape, DType dtype);
    Val view(const Val& v, Shape shape) const;  // free reshape; element count must match
    // A part of a value read in place (q, k, v out of a packed QKV projection): no copy, and an op
    // that reads it is charged only the part's bytes.
    Val slice(const Val& v, Shape shape) const;
    TensorRef weight(const std::string& leaf, Shape shape, ModuleGroup group, DType dtype,
                     double active_fraction = 1.0);

    // The generic op: reads `inputs` and `extra_reads`, produces one value of `out_shape`.
    Val op(OpKind kind, const std::string& leaf, ModuleGroup group, double flops, const std::vector<Val>& inputs,
           std::vector<TensorRef> extra_reads, Shape out_shape, OpDims dims = {},
           std::vector<TensorRef> extra_writes = {});
    // An op that produces no value (a KV-cache append).
    void sink_op(OpKind kind, const std::string& leaf, ModuleGroup group, double flops, const std::vector<Val>& inputs,
                 std::vector<TensorRef> extra_reads, std::vector<TensorRef> writes);

    // y = x W (+ b) over the last dim of x. `expert_fraction` < 1 marks an MoE expert weight.
    Val linear(const Val& x, std::int64_t out_features, bool bias, const std::string& leaf, ModuleGroup group);
    // A linear whose bias covers only `biased_features` of its outputs (0: none), one GEMM: a packed
    // [q | k | v] projection with biases on some parts (Whisper's k_proj has none).
    Val linear_partly_biased(const Val& x, std::int64_t out_features, std::int64_t biased_features,
                             const std::string& leaf, ModuleGroup group);
    Val norm(const Val& x, Norm kind, bool bias, const std::string& leaf, ModuleGroup group = ModuleGroup::norm);
    Val group_norm(const Val& x, std::int64_t groups, const std::string& leaf, ModuleGroup group);
    Val act(const Val& x, Act a, const std::string& leaf, ModuleGroup group);
    // act(gate) * up, where x = [gate | up] along the last dim (SwiGLU, GEGLU).
    Val gated_act(const Val& x, Act a, const std::string& leaf, ModuleGroup group);
    Val add(const Val& a, const Val& b, const std::string& leaf, ModuleGroup group);
    // Training-time dropout with probability p: x unchanged outside training or when p is 0;
    // otherwise an op that writes the dropped values and a 1-byte keep-mask the backward reads.
    Val dropout(const Val& x, double p, const std::string& leaf, ModuleGroup group);
    Val scale(const Val& a, double flops_per_element, const std::string& leaf, ModuleGroup group, OpKind kind = OpKind::elementwise);
    // Table lookup: reads only the rows gathered.
    Val embedding(const Val& ids, std::int64_t rows, std::int64_t dim, const std::string& leaf, ModuleGroup group);
    // x [B, C, *spatial] -> [B, out, *spatial']; kernel/stride/padding per spatial dim.
    Val conv(const Val& x, std::int64_t out_channels, const std::vector<std::int64_t>& kernel,
             const std::vector<std::int64_t>& stride, const std::vector<std::int64_t>& padding, std::int64_t groups,
             bool bias, const std::string& leaf, ModuleGroup group);
    Val pool(const Val& x, Shape out_shape, const std::string& leaf, ModuleGroup group);
    Val concat(const std::vector<Val>& parts, std::size_t axis, const std::string& leaf, ModuleGroup group);
    Val attention(const AttentionCall& call, const std::string& leaf);
    // Softmax cross-entropy over the last dim (training loss).
    Val cross_entropy(const Val& logits, const std::string& leaf);

    // In `copy`, a copy of graph(), re-emits the fused attention kernels that append to the KV cache
    // they read as if `extra_tokens` more tokens were cached: the only ops of a decode step whose
    // cost depends on the context (see decode_step_graphs).
    void extend_kv_cache(OpGraph& copy, std::int64_t extra_tokens) const;

private:
    friend class Scope;
    // A fused attention kernel's KV-cache reads, FLOPs and dims: what depends on c.past_kv.
    void set_fused_attention_cost(Op& o, const AttentionCall& c) const;
    Op make_op(OpKind kind, const std::string& leaf, ModuleGroup group, double flops, const std::vector<Val>& inputs,
               std::vector<TensorRef> extra_reads, std::vector<TensorRef> writes) const;
    OpGraph& g_;
    RunSpec run_;
    std::string prefix_;
    std::string component_;
    int layer_ = -1;
    bool trainable_ = true;
    struct GrowingAttention {
        OpId op;
        AttentionCall call;
    };
    std::vector<GrowingAttention> growing_attention_;  // for extend_kv_cache
};

struct DecodeStepGraph {
    DecodeSample at;
    std::shared_ptr<const OpGraph> graph;
};
// The graphs of `count` decode steps from `context` cached tokens on, sampled as
// sample_decode_steps(context, count, run.max_decode_samples) says; `emit` adds one step at a given
// context to a builder. Steps must differ only in the context their self-attention reads (true of
// decoder-only language models). With fused attention the first sample is built in full and each
// next one is a copy of it (sharing its ops) with the attention kernels re-emitted
// (extend_kv_cache). Unfused attention has score tensors that grow with the context, so each
// sample is built in full.
std::vector<DecodeStepGraph> decode_step_graphs(const RunSpec& run, std::int64_t context, std::int64_t count,
                                                const std::function<void(GraphBuilder&, std::int64_t context)>& emit);

}  // namespace fmsim::workloads
