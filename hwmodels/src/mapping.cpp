// Planning an op: its kind's mapper (mapper.hpp) plans the kernel; here is what every plan shares,
// the kernels a runtime rule launches for an op, and single-kernel requests described as ops.
#include "fmsim/hwmodels/mapping.hpp"

#include <algorithm>
#include <cmath>

#include "fmsim/hwmodels/mapper.hpp"
#include "mappers/kernel_math.hpp"

namespace fmsim::hwmodels {

using workloads::AttentionDims;
using workloads::GemmDims;
using workloads::Op;
using workloads::OpKind;

TileProgram plan_op(const Op& op, const HardwareSpec& hw, const RuntimeSpec& rt) {
    TileProgram p = mapper_for(op.kind).plan(op, hw, rt);
    p.dram_bandwidth_fraction = rt.kernel_bandwidth_fraction;
    return p;
}

void append_plan_key(const Op& op, const RuntimeSpec& rt, std::string& key) {
    // What plan_op reads itself (the kind, which picks the mapper, and the bandwidth fraction it
    // stamps on the program), then what the mapper's plan reads.
    key.append(reinterpret_cast<const char*>(&op.kind), sizeof op.kind);
    key.append(reinterpret_cast<const char*>(&rt.kernel_bandwidth_fraction), sizeof rt.kernel_bandwidth_fraction);
    mapper_for(op.kind).append_plan_key(op, rt, key);
}

std::vector<Op> kernel_ops(const Op& op, const OpKernels& rule) {
    using workloads::TensorClass;
    const auto kv_cache = static_cast<double>(op.bytes_read(TensorClass::kv_cache));
    const auto weights = static_cast<double>(op.bytes_read(TensorClass::weight));
    const double input = static_cast<double>(op.bytes_read()) - kv_cache - weights;
    const auto output = static_cast<double>(op.bytes_written());
    DType act = DType::bf16;  // the first activation-side read's dtype
    for (const auto& r : op.reads)
        if (r.cls != TensorClass::kv_cache && r.cls != TensorClass::weight) {
            act = r.dtype;
            break;
        }
    auto launched = [&](const KernelStep& k) { return !(k.when_cached && kv_cache <= 0); };
    const bool has_op_step = std::any_of(rule.kernels.begin(), rule.kernels.end(), [](const KernelStep& k) { return k.op; });
    std::int64_t stream_launches = 0;
    for (const KernelStep& k : rule.kernels)
        if (!k.op && launched(k)) stream_launches += k.launches;
    std::vector<Op> out;
    for (const KernelStep& k : rule.kernels) {
        if (!launched(k)) continue;
        for (std::int64_t i = 0; i < k.launches; ++i) {
            if (k.op) {
                out.push_back(k.launches <= 1 ? op : mapper_for(op.kind).part(op, k.launches));
                continue;
            }
            const double bytes = (k.input_bytes * input + k.output_bytes * output + k.kv_cache_bytes * kv_cache +
                                  (k.weights ? weights : 0)) / static_cast<double>(k.launches);
            const auto elements = static_cast<std::int64_t>(std::ceil(bytes * 8 / workloads::bits_per_element(act)));
            Op o = workloads::op_beside(op, op.name + "." + k.name, OpKind::elementwise);
            o.math_dtype = op.math_dtype;
            // Without the op's own kernel the steps share its FLOPs; beside it, a step does one FLOP
            // per element it writes (half those it moves): they are memory-bound either way.
            o.flops = has_op_step ? static_cast<double>(elements) / 2
                                  : op.flops / static_cast<double>(std::max<std::int64_t>(1, stream_launches));
            o.reads = {{o.name, {elements}, act, TensorClass::activation}};
            out.push_back(std::move(o));
        }
    }
    return out;
}

Op gemm_op(std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k, DType dtype) {
    Op o;
    o.name = "gemm";
    o.kind = batch > 1 ? OpKind::batched_matmul : OpKind::matmul;
    o.math_dtype = dtype;
    o.flops = 2.0 * batch * m * n * k;
    o.dims = GemmDims{batch, m, n, k};
    o.reads = {{"a", {batch, m, k}, dtype, workloads::TensorClass::activation},
               {"b", {batch, k, n}, dtype, workloads::TensorClass::weight}};
    o.writes = {{"c", {batch, m, n}, dtype, workloads::TensorClass::activation}};
    return o;
}

Op attention_op(std::int64_t batch, std::int64_t heads, std::int64_t kv_heads, std::int64_t seq_q, std::int64_t seq_kv,
                std::int64_t head_dim, bool causal, DType dtype) {
    Op o;
    o.name = "attention";
    o.kind = OpKind::attention;
    o.math_dtype = dtype;
    o.flops = 4.0 * batch * heads * seq_q * seq_kv * head_dim + 5.0 * batch * heads * seq_q * seq_kv;
    o.dims = AttentionDims{batch, heads, kv_heads, seq_q, seq_kv, head_dim, causal};
    o.reads = {{"q", {batch, seq_q, heads * head_dim}, dtype, workloads::TensorClass::activation},
               {"k", {batch, seq_kv, kv_heads * head_dim}, dtype, workloads::TensorClass::activation},
               {"v", {batch, seq_kv, kv_heads * head_dim}, dtype, workloads::TensorClass::activation}};
    o.writes = {{"o", {batch, seq_q, heads * head_dim}, dtype, workloads::TensorClass::activation}};
    return o;
}

Op rowwise_op(OpKind kind, std::int64_t rows, std::int64_t cols, DType dtype) {
    Op o;
    o.name = std::string(workloads::to_string(kind));
    o.kind = kind;
    o.math_dtype = dtype;
    o.flops = workloads::op_traits(kind).flops_per_element * static_cast<double>(rows * cols);  // docs/formulas.md
    o.reads = {{"x", {rows, cols}, dtype, workloads::TensorClass::activation}};
    if (kind != OpKind::softmax)
        o.reads.push_back({"gamma_beta", {2, cols}, dtype, workloads::TensorClass::weight});
    o.writes = {{"y", {rows, cols}, dtype, workloads::TensorClass::activation}};
    return o;
}

Op elementwise_op(OpKind kind, std::int64_t elements, double flops_per_element, DType dtype) {
    Op o;
    o.name = std::string(workloads::to_string(kind));
    o.kind = kind;
    o.math_dtype = dtype;
    o.flops = flops_per_element * static_cast<double>(elements);
    o.reads = {{"x", {elements}, dtype, workloads::TensorClass::activation}};
    o.writes = {{"y", {elements}, dtype, workloads::TensorClass::activation}};
    return o;
}

Op memcpy_op(std::int64_t bytes) {
    Op o;
    o.name = "memcpy";
    o.kind = OpKind::memcpy;
    o.reads = {{"src", {bytes}, DType::int8, workloads::TensorClass::activation}};
    o.writes = {{"dst", {bytes}, DType::int8, workloads::TensorClass::activation}};
    return o;
}

GemmMathPath gemm_math_path(const HardwareSpec& hw, DType requested) {
    const auto path = mappers::math_path(hw, requested);
    return {path.dtype, path.engine};
}

}  // namespace fmsim::hwmodels
