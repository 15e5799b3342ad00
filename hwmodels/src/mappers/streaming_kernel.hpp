#pragma once
// Streaming kernels on the vector unit, memory-bound: element-wise ones split by bytes, row-wise
// ones (row_kernel_mapper.cpp) one row per block.
#include <cstdint>

#include "kernel_math.hpp"

namespace fmsim::hwmodels::mappers {

// What a streaming kernel reads of its op (an Inputs record, plan_inputs.hpp).
struct StreamInputs {
    double flops;
    std::int64_t bytes;  // the op's reads + writes
    DType in_type;       // its first read's dtype: the vector path that runs it
};

StreamInputs stream_inputs(const workloads::Op& op);

// `rows` > 0: a row-wise kernel of that many rows; `reread_bytes`: input bytes a multi-pass
// kernel reads again (RowKernelSpec).
TileProgram plan_stream(const StreamInputs& in, const HardwareSpec& hw, std::int64_t rows, double reread_bytes);

}  // namespace fmsim::hwmodels::mappers
