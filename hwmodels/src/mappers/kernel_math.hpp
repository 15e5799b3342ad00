#pragma once
// What the mappers share: the engine path a dtype runs on, and integer and byte helpers.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "fmsim/hwmodels/mapping.hpp"

namespace fmsim::hwmodels::mappers {

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

inline double bytes_of(std::int64_t elements, DType t) {
    return static_cast<double>(workloads::storage_bytes(elements, t));
}

// The engine that runs a matrix product of `math` and its FLOPs per cycle per core.
struct MathPath {
    DType dtype;
    double flops_per_cycle;
    EngineKind engine;
};

// The matrix engine's own rate for `math`, else the nearest path that keeps its precision, else
// the vector unit (kernel_math.cpp says which and why).
MathPath math_path(const HardwareSpec& hw, DType requested);

// The vector unit path that runs element-wise work in `t` and its FLOPs per cycle per core.
std::pair<DType, double> vector_path(const HardwareSpec& hw, DType t);

}  // namespace fmsim::hwmodels::mappers

namespace fmsim::hwmodels::mappers {

// The op's `Dims` (a std::get on Op::dims); throws std::logic_error naming the op and `mapper`
// when it carries none (an op kind whose trait names a mapper for dims it does not have).
template <class Dims>
const Dims& dims_of(const workloads::Op& op, std::string_view mapper) {
    if (const auto* d = std::get_if<Dims>(&op.dims)) return *d;
    throw std::logic_error("op " + op.name + " (" + std::string(workloads::to_string(op.kind)) +
                           ") lacks the dims the " + std::string(mapper) + " mapper plans from");
}

// The first read's dtype (the activation input), bf16 for an op that reads nothing.
inline DType first_read_dtype(const workloads::Op& op) { return op.reads.empty() ? DType::bf16 : op.reads.front().dtype; }
// The first write's dtype, bf16 for an op that writes nothing.
inline DType first_write_dtype(const workloads::Op& op) { return op.writes.empty() ? DType::bf16 : op.writes.front().dtype; }
// The op's reads + writes.
inline std::int64_t op_bytes(const workloads::Op& op) { return op.bytes_read() + op.bytes_written(); }

// The op as one of `launches` equal kernels over the leading (batch) dimension of every tensor,
// its FLOPs shared: Mapper::part's default.
workloads::Op leading_dimension_part(const workloads::Op& op, std::int64_t launches);

// leading_dimension_part for an op whose dims (`Dims`: attention, convolution) carry a batch too:
// one of `launches` kernels over equal parts of the batch.
template <class Dims>
workloads::Op batch_part(const workloads::Op& op, std::int64_t launches) {
    workloads::Op o = op;
    std::get<Dims>(o.dims).batch = ceil_div(std::get<Dims>(op.dims).batch, launches);
    return leading_dimension_part(o, launches);
}

}  // namespace fmsim::hwmodels::mappers
