#pragma once
// The op kinds of the IR, and one trait record per kind: what the passes and the mappers decide
// per kind. A record states facts; the code that acts on them stays with its pass: the training
// pass (training.cpp) runs the backward rule, the parallelism pass (parallel.cpp) the sharding
// rule, and hwmodels plans the kernel with the mapper the record names (hwmodels/mapper.hpp).
// Adding an op kind: its enumerator and its record, here (docs/hardware-model.md, "Adding an op
// kind or a mapper").
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace fmsim::workloads {

enum class OpKind {
    matmul,           // activation x weight (a linear layer)
    batched_matmul,   // activation x activation (attention scores, attention x V)
    attention,        // fused FlashAttention-style kernel: no seq x seq tensor in memory
    softmax,
    layer_norm,
    rms_norm,
    group_norm,
    elementwise,      // add, mul, residuals, scaling, masking
    activation,       // GELU, SiLU, ReLU, gated products
    embedding,        // table lookup (gather)
    conv1d,
    conv2d,
    pooling,
    collective,       // all-reduce and friends (inserted by parallelism passes)
    memcpy,           // copies: KV-cache appends, token permutations, offload
    optimizer_update,
    dropout,          // training only: zeroes elements at random; its second output is the keep-mask
    rope,             // rotary position embedding of q and k (Su et al. 2021, RoFormer)
};

// How the op's kernel works through its data: what sizes it and which engine runs it.
enum class KernelClass {
    gemm,        // a matrix product, or a convolution as an implicit GEMM: tiled on the matrix engine
    attention,   // fused attention: block products on the matrix engine, an online softmax beside them
    row_wise,    // a reduction along each row (softmax, norms): the row length sets the kernel's passes
    streaming,   // element-wise over its bytes on the vector unit: memory-bound
    collective,  // data exchanged among devices: timed by the link model, not planned as tiles
};

// What the training pass emits for the op's gradient (training.cpp, TrainingPass::backward_of).
// Whatever the rule, an op flagged Op::gradient_passes_through (a sum) hands its output gradient
// to its inputs without a kernel, and recomputation re-runs the forward op first (Recompute).
enum class BackwardRule {
    input_and_weight_products,  // dgrad (dX = dY W^T) and wgrad (dW = X^T dY): products of the forward's size
    operand_products,           // one product per operand that needs a gradient (dA = dC B^T, dB = A^T dC)
    scatter_add,                // only the weight gradient: the output gradient scattered into the gathered rows
    fused_backward_kernel,      // one fused backward kernel reading the saved inputs and outputs
    keep_mask,                  // dX = dY x mask / (1 - p): the output gradient and the saved keep-mask
    elementwise,                // one ".bwd" kernel reading the saved inputs and the weights; weight gradients too
};

// How the op's share on one device is cut under tensor (and sequence) parallelism (parallel.cpp).
enum class ShardRule {
    by_role,         // as the Megatron role of its name says (column, row, split or replicated product)
    heads_in_batch,  // a product batched over attention heads: its batch dimension splits
    heads,           // fused attention: its query and KV heads split
    per_parameter,   // an optimizer update: split as the weight it updates, never along the sequence
};

// Primitive-operation counts per element (a transcendental counts as 1); docs/formulas.md.
inline constexpr double kLayerNormFlopsPerElement = 7;  // mean, centre, square+sum, scale, affine (2)
inline constexpr double kRmsNormFlopsPerElement = 4;    // square+sum, scale, weight
inline constexpr double kSoftmaxFlopsPerElement = 5;    // max, subtract, exp, sum, divide
inline constexpr double kRopeFlopsPerElement = 3;       // x*cos + rotate(x)*sin
inline constexpr double kDropoutFlopsPerElement = 2;    // compare a random number, scale by 1/(1-p)
// AdamW update per parameter, counted from its equations (Loshchilov & Hutter 2019): first moment
// 3, second moment 4, bias corrections 2, sqrt + eps 2, divide 1, weight decay 2, lr and apply 2.
inline constexpr double kAdamFlopsPerParam = 16;
// FlashAttention-2 backward runs 5 seq x seq matmuls (it recomputes the scores) against the
// forward's 2 (Dao 2023, "FlashAttention-2", section 3.1): 2.5x the forward FLOPs.
inline constexpr double kFusedAttentionBackwardFactor = 2.5;
// The backward of a matmul or convolution is two products of the forward's size (input gradient
// and weight gradient): 2x (Kaplan et al. 2020, section 2.1). Element-wise ops are taken at 2x too.
inline constexpr double kBackwardFactor = 2.0;

struct OpKindTraits {
    OpKind kind;
    std::string_view name;  // to_string(kind), and how configs spell it (runtime op_kernels "kind")
    KernelClass kernel;
    std::string_view mapper;  // the hwmodels mapper that plans its kernel, by registered name
    // Forward FLOPs per element where one formula holds for the kind (0: counted from the op's dims
    // or its variant by the builder). norms and softmax: per input element; AdamW: per parameter.
    double flops_per_element = 0;
    BackwardRule backward = BackwardRule::elementwise;
    // Backward FLOPs per forward FLOP: of each product (product rules), of the fused kernel, or of
    // the element-wise ".bwd" kernel. keep_mask and scatter_add do one FLOP per output element.
    double backward_flops_factor = kBackwardFactor;
    ShardRule shard = ShardRule::by_role;
    // Part of Megatron's "core attention" (scores, their softmax and dropout, the product with V)
    // inside an attention block: what selective recomputation re-runs (Korthikanti et al. 2022).
    bool core_attention = false;
};

// One record per OpKind, in the enum's order.
inline constexpr OpKindTraits kOpKindTraits[] = {
    {.kind = OpKind::matmul, .name = "matmul", .kernel = KernelClass::gemm, .mapper = "gemm",
     .backward = BackwardRule::input_and_weight_products, .backward_flops_factor = 1},
    {.kind = OpKind::batched_matmul, .name = "batched_matmul", .kernel = KernelClass::gemm, .mapper = "gemm",
     .backward = BackwardRule::operand_products, .backward_flops_factor = 1, .shard = ShardRule::heads_in_batch,
     .core_attention = true},
    {.kind = OpKind::attention, .name = "attention", .kernel = KernelClass::attention, .mapper = "flash_attention",
     .backward = BackwardRule::fused_backward_kernel, .backward_flops_factor = kFusedAttentionBackwardFactor,
     .shard = ShardRule::heads},
    {.kind = OpKind::softmax, .name = "softmax", .kernel = KernelClass::row_wise, .mapper = "softmax_rows",
     .flops_per_element = kSoftmaxFlopsPerElement, .core_attention = true},
    {.kind = OpKind::layer_norm, .name = "layer_norm", .kernel = KernelClass::row_wise, .mapper = "norm_rows",
     .flops_per_element = kLayerNormFlopsPerElement},
    {.kind = OpKind::rms_norm, .name = "rms_norm", .kernel = KernelClass::row_wise, .mapper = "norm_rows",
     .flops_per_element = kRmsNormFlopsPerElement},
    // A group norm reduces over groups of channels, not rows: its kernel streams.
    {.kind = OpKind::group_norm, .name = "group_norm", .kernel = KernelClass::streaming, .mapper = "stream",
     .flops_per_element = kLayerNormFlopsPerElement},
    {.kind = OpKind::elementwise, .name = "elementwise", .kernel = KernelClass::streaming, .mapper = "stream"},
    {.kind = OpKind::activation, .name = "activation", .kernel = KernelClass::streaming, .mapper = "stream"},
    {.kind = OpKind::embedding, .name = "embedding", .kernel = KernelClass::streaming, .mapper = "stream",
     .backward = BackwardRule::scatter_add},
    {.kind = OpKind::conv1d, .name = "conv1d", .kernel = KernelClass::gemm, .mapper = "implicit_gemm",
     .backward = BackwardRule::input_and_weight_products, .backward_flops_factor = 1},
    {.kind = OpKind::conv2d, .name = "conv2d", .kernel = KernelClass::gemm, .mapper = "implicit_gemm",
     .backward = BackwardRule::input_and_weight_products, .backward_flops_factor = 1},
    {.kind = OpKind::pooling, .name = "pooling", .kernel = KernelClass::streaming, .mapper = "stream"},
    {.kind = OpKind::collective, .name = "collective", .kernel = KernelClass::collective, .mapper = "collective"},
    {.kind = OpKind::memcpy, .name = "memcpy", .kernel = KernelClass::streaming, .mapper = "stream"},
    {.kind = OpKind::optimizer_update, .name = "optimizer_update", .kernel = KernelClass::streaming,
     .mapper = "stream", .flops_per_element = kAdamFlopsPerParam, .shard = ShardRule::per_parameter},
    {.kind = OpKind::dropout, .name = "dropout", .kernel = KernelClass::streaming, .mapper = "stream",
     .flops_per_element = kDropoutFlopsPerElement, .backward = BackwardRule::keep_mask, .core_attention = true},
    // Streams q and k once beside the cos/sin tables; the gradient is the inverse rotation of the
    // output gradient, an element-wise kernel of its own.
    {.kind = OpKind::rope, .name = "rope", .kernel = KernelClass::streaming, .mapper = "stream",
     .flops_per_element = kRopeFlopsPerElement},
};

namespace op_kind_detail {
constexpr bool in_enum_order() {
    for (std::size_t i = 0; i < std::size(kOpKindTraits); ++i)
        if (static_cast<std::size_t>(kOpKindTraits[i].kind) != i) return false;
    return true;
}
}  // namespace op_kind_detail
static_assert(op_kind_detail::in_enum_order(), "kOpKindTraits: one record per OpKind, in the enum's order");

inline constexpr std::size_t kOpKindCount = std::size(kOpKindTraits);

// The record of `k`; throws std::logic_error for a kind without one (an enumerator added without
// its record).
const OpKindTraits& op_traits(OpKind k);

std::string_view to_string(OpKind k);
// The kind spelled `name`; throws std::invalid_argument naming the known kinds otherwise.
OpKind parse_op_kind(std::string_view name);
std::vector<std::string> op_kind_names();  // in the enum's order

}  // namespace fmsim::workloads
