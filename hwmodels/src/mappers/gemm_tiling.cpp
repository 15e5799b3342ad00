#include "gemm_tiling.hpp"

namespace fmsim::hwmodels::mappers {

TileProgram plan_gemm_tiles(const GemmInputs& in, const HardwareSpec& hw) {
    const workloads::GemmDims g{in.batch, in.m, in.n, in.k};
    const MathPath path = math_path(hw, in.math_dtype);
    const auto bytes = static_cast<double>(in.bytes);
    if (hw.matrix.kind == MatrixEngineKind::systolic_array && path.engine == EngineKind::matrix)
        return plan_systolic(g, in.a_type, in.b_type, in.out_type, path, hw, in.flops, bytes);
    const double dram_bw = hw.achievable_memory_bandwidth_bytes_per_s() * in.bandwidth_fraction;
    return plan_gemm_waves(g, in.a_type, in.b_type, in.out_type, path, hw, dram_bw, in.flops, bytes);
}

}  // namespace fmsim::hwmodels::mappers
