#pragma once
// GEMM tilings shared by the matrix-product mappers (gemm_mapper.cpp, implicit_gemm_mapper.cpp):
// thread-block waves with split-K on GPUs (gemm_waves.cpp), weight-stationary blocks on systolic
// arrays (gemm_systolic.cpp).
#include <cstdint>

#include "kernel_math.hpp"

namespace fmsim::hwmodels::mappers {

// What a GEMM tiling reads: C[batch, m, n] = A[batch, m, k] x B[batch, k, n] (an Inputs record,
// plan_inputs.hpp).
struct GemmInputs {
    std::int64_t batch, m, n, k;
    DType a_type, b_type, out_type;
    DType math_dtype;           // the op's math format (Op::math_dtype)
    double flops;               // the op's useful FLOPs
    std::int64_t bytes;         // the op's reads + writes
    double bandwidth_fraction;  // RuntimeSpec::kernel_bandwidth_fraction
};

// The systolic tiling where the device's matrix engine is a systolic array that runs the math
// format, else the thread-block waves.
TileProgram plan_gemm_tiles(const GemmInputs& in, const HardwareSpec& hw);

TileProgram plan_gemm_waves(const workloads::GemmDims& g, DType a_type, DType b_type, DType out_type,
                            const MathPath& path, const HardwareSpec& hw, double dram_bw, double flops, double bytes);
TileProgram plan_systolic(const workloads::GemmDims& g, DType a_type, DType b_type, DType out_type,
                          const MathPath& path, const HardwareSpec& hw, double flops, double bytes);

}  // namespace fmsim::hwmodels::mappers
