#pragma once
// The operator-graph IR: tensors, operators and their cost-relevant attributes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fmsim/workloads/dtype.hpp"
#include "fmsim/workloads/op_kind.hpp"

namespace fmsim::workloads {

using Shape = std::vector<std::int64_t>;
std::int64_t element_count(const Shape& s);
std::string to_string(const Shape& s);  // "[8, 2048, 4096]"

// Module groups of the survey "A Survey of Resource-efficient LLM and Multimodal Foundation
// Models" (Xu et al., arXiv 2401.08092), used for every per-group breakdown.
enum class ModuleGroup { embedding, attention, ffn, norm, head, conv, other };
inline constexpr ModuleGroup kAllGroups[] = {ModuleGroup::embedding, ModuleGroup::attention,
                                             ModuleGroup::ffn,       ModuleGroup::norm,
                                             ModuleGroup::head,      ModuleGroup::conv,
                                             ModuleGroup::other};
std::string_view to_string(ModuleGroup g);

enum class Phase { forward, backward, optimizer };
std::string_view to_string(Phase p);

enum class TensorClass { weight, activation, kv_cache, gradient, optimizer_state };
inline constexpr TensorClass kAllTensorClasses[] = {TensorClass::weight, TensorClass::activation,
                                                    TensorClass::kv_cache, TensorClass::gradient,
                                                    TensorClass::optimizer_state};
std::string_view to_string(TensorClass c);

// A tensor as one op touches it. For a gather the shape is the part read, not the whole table.
struct TensorRef {
    std::string name;
    Shape shape;
    DType dtype = DType::bf16;
    TensorClass cls = TensorClass::activation;
    std::int64_t bytes() const { return storage_bytes(element_count(shape), dtype); }
};

// Problem dimensions a hardware mapper needs, per op family.
struct GemmDims {  // C[batch, m, n] = A[batch, m, k] x B[batch, k, n]
    std::int64_t batch = 1, m = 0, n = 0, k = 0;
};
struct AttentionDims {
    std::int64_t batch = 1, heads = 0, kv_heads = 0, seq_q = 0, seq_kv = 0, head_dim = 0;
    bool causal = false;
};
struct ConvDims {  // as an implicit GEMM: m = batch*out_pixels, n = out_channels, k = in/groups*kernel
    std::int64_t batch = 1, in_channels = 0, out_channels = 0, groups = 1;
    std::vector<std::int64_t> in_spatial, kernel, stride, out_spatial;
};
// A collective among the devices of one parallel axis (inserted by the parallelism pass,
// parallel.hpp); `bytes` is the buffer each device holds (the full tensor for an all-reduce).
enum class CollectiveKind { all_reduce, all_gather, reduce_scatter, all_to_all, send_recv };
std::string_view to_string(CollectiveKind k);
enum class ParallelAxis { tp, pp, dp, ep };
std::string_view to_string(ParallelAxis a);
struct CollectiveDims {
    CollectiveKind kind = CollectiveKind::all_reduce;
    ParallelAxis axis = ParallelAxis::tp;
    std::int64_t group = 1;  // devices taking part
    std::int64_t bytes = 0;
};
using OpDims = std::variant<std::monostate, GemmDims, AttentionDims, ConvDims, CollectiveDims>;

using OpId = std::uint32_t;
using ValueId = std::uint32_t;  // an activation-class tensor flowing between ops

struct Op {
    std::string name;  // dotted path, e.g. "decoder.layers.3.attn.q_proj"
    OpKind kind = OpKind::elementwise;
    ModuleGroup group = ModuleGroup::other;
    Phase phase = Phase::forward;
    int layer = -1;          // transformer block index inside its component; -1 outside blocks
    std::string component;   // tower or sub-model: "decoder", "vision", "unet", ...
    DType math_dtype = DType::bf16;
    double flops = 0;        // 2 per multiply-add; see docs/formulas.md
    OpDims dims;
    bool recompute = false;  // a forward op re-run during backward (activation recomputation)
    // The output's gradient is each input's gradient (a sum): autograd runs no kernel for it and
    // keeps no input for it (PyTorch's AddBackward).
    bool gradient_passes_through = false;
    std::vector<TensorRef> reads;   // everything read: weights, activations, KV cache, states
    std::vector<TensorRef> writes;  // everything written
    std::vector<ValueId> inputs;    // graph values consumed (subset of reads)
    std::vector<ValueId> outputs;   // graph values produced (subset of writes)

    std::int64_t bytes_read(TensorClass c) const;
    std::int64_t bytes_written(TensorClass c) const;
    std::int64_t bytes_read() const;
    std::int64_t bytes_written() const;
};

// A new op of `kind` named `name` in `at`'s place in the model: its group, phase, layer, component
// and recomputation (an op a pass inserts beside another, or one kernel of a decomposed op).
Op op_beside(const Op& at, std::string name, OpKind kind);

// A parameter tensor of the model. `active_fraction` is the share of tokens that use it:
// 1 for dense weights, top_k / num_experts for an MoE expert.
struct Weight {
    std::string name;
    Shape shape;
    DType dtype = DType::bf16;
    ModuleGroup group = ModuleGroup::other;
    std::string component;
    int layer = -1;
    double active_fraction = 1.0;
    bool trainable = true;
    std::int64_t elements() const { return element_count(shape); }
    std::int64_t bytes() const { return storage_bytes(elements(), dtype); }
};

// An activation tensor between ops, with its producer (nullopt for a graph input).
struct Value {
    TensorRef tensor;
    std::optional<OpId> producer;
};

}  // namespace fmsim::workloads
