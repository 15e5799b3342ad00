#include "kernel_math.hpp"

#include <vector>

namespace fmsim::hwmodels::mappers {

// The matrix engine's own rate for `math`, else the nearest path that keeps its precision:
// integers dequantized to 16-bit (W4A16, W8A16 kernels), fp8 upcast to 16-bit, 16-bit and tf32
// widened to fp32. Without one, fp32 and fp16 on a systolic array run as one bf16 pass (XLA's
// DEFAULT matmul precision on TPUs, which have no fp32 or fp16 MXU path), and anything else runs
// on the vector unit: an fp32 GEMM on CUDA cores (PyTorch keeps TF32 off for matmuls by default;
// `--math tf32` asks for it), bf16 on a V100, fp16 on an int8-only NPU.
MathPath math_path(const HardwareSpec& hw, DType requested) {
    const DType math = workloads::math_format(requested);
    const auto& rates = hw.matrix.dense_flops_per_cycle;
    std::vector<DType> tried{math};
    switch (math) {
        case DType::int4: tried.insert(tried.end(), {DType::int8, DType::fp16, DType::bf16}); break;
        case DType::int8:
        case DType::fp8: tried.insert(tried.end(), {DType::fp16, DType::bf16}); break;
        case DType::fp16:
        case DType::bf16:
        case DType::tf32: tried.push_back(DType::fp32); break;
        default: break;
    }
    const bool floating = math == DType::fp32 || math == DType::tf32 || math == DType::fp16;
    if (floating && hw.matrix.kind == MatrixEngineKind::systolic_array) tried.push_back(DType::bf16);
    // Per cycle of the sustained clock the replay runs at; a dtype clocked lower does less.
    for (DType d : tried)
        if (auto it = rates.find(d); it != rates.end())
            return {d, it->second * hw.clock.matrix_mhz(d) / hw.clock.sustained_mhz, EngineKind::matrix};
    const auto [d, rate] = vector_path(hw, math);
    return {d, rate, EngineKind::vector};
}

// The vector unit path that runs element-wise work in `t` and its FLOPs per cycle per core.
std::pair<DType, double> vector_path(const HardwareSpec& hw, DType t) {
    for (DType d : {t, DType::fp32, DType::bf16, DType::fp16})
        if (auto it = hw.vector.flops_per_cycle.find(d); it != hw.vector.flops_per_cycle.end()) return *it;
    // A unit with none of those (an int8 NPU's) runs the op on what it has; every loaded preset
    // declares at least one rate (only a spec built in code has none).
    if (hw.vector.flops_per_cycle.empty()) return {t, 1};
    return *hw.vector.flops_per_cycle.begin();
}

workloads::Op leading_dimension_part(const workloads::Op& op, std::int64_t launches) {
    workloads::Op o = op;
    o.flops *= 1.0 / static_cast<double>(launches);
    for (auto* tensors : {&o.reads, &o.writes})
        for (auto& t : *tensors)
            if (!t.shape.empty()) t.shape.front() = ceil_div(t.shape.front(), launches);
    return o;
}

}  // namespace fmsim::hwmodels::mappers
