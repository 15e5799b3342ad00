#pragma once
// Mapping: how one op runs on a device, as a tile program (how many tiles, what one tile costs in
// engine cycles and in bytes at each memory level). The SystemC replay executes tile programs.
// No SystemC here: mapping is pure arithmetic on the op's dims and the HardwareSpec.
#include <cstdint>
#include <string>
#include <vector>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/workloads/op.hpp"

namespace fmsim::hwmodels {

enum class EngineKind { matrix, vector };

struct TileProgram {
    std::string mapping;          // e.g. "gemm 128x256 split-k 1", for reports
    EngineKind engine = EngineKind::matrix;
    std::int64_t tiles = 0;       // independent work items, spread over the cores
    std::int64_t tiles_per_core_at_once = 1;  // co-resident tiles per core (occupancy)
    double compute_cycles_per_tile = 0;       // engine cycles of one tile, on one core's share
    double dram_bytes_per_tile = 0;           // off-chip traffic of one tile (after L2 reuse)
    double l2_bytes_per_tile = 0;             // chip-level on-chip traffic of one tile
    std::int64_t kernels = 1;                 // launches (split-K adds a reduction kernel)
    double workspace_bytes = 0;               // scratch the kernel holds while it runs (split-K's fp32 partials)
    double flops = 0;                         // useful FLOPs (the op's)
    double bytes = 0;                         // useful bytes (the op's reads + writes)
    // Action counts for the energy model (energy.hpp): work executed, padding included.
    DType matrix_dtype = DType::bf16;         // the matrix engine path that runs (after any fallback)
    DType vector_dtype = DType::fp32;         // the vector unit path that runs
    double matrix_flops_per_tile = 0;         // on the matrix engine
    double vector_flops_per_tile = 0;         // on the vector unit
    double core_sram_bytes_per_tile = 0;      // per-core on-chip traffic (writes in + reads out; estimate, mapping.cpp)
    double dram_bandwidth_fraction = 1;       // of the device's streaming bandwidth this kernel's library reaches
    double serial_cycles_per_core = 0;        // core cycles after the tiles, overlapping nothing (slow row reductions)

    bool operator==(const TileProgram&) const = default;
};

// The op kind's mapper (mapper.hpp: its trait record names it) plans the kernel. The runtime picks
// the library's kernel algorithm where it changes the bytes moved (multi-pass softmax and norms);
// each mapper's constants and their sources are in its file, hwmodels/src/mappers/. Without a
// runtime, every row-wise kernel is one pass.
TileProgram plan_op(const workloads::Op& op, const HardwareSpec& hw, const RuntimeSpec& rt = RuntimeSpec{});

// Appends to `key` everything plan_op reads from `op` and `rt`, as raw bytes (names, layers and
// graph links left out): on one device, ops with equal keys get equal tile programs, so a replay
// plans each distinct op once. The mapper's part is every field of the record its plan reads
// (mappers/plan_inputs.hpp); a test checks equal keys give equal plans over zoo models.
void append_plan_key(const workloads::Op& op, const RuntimeSpec& rt, std::string& key);

// The kernels a stack launches for `op` under `rule` (RuntimeSpec::kernels_for), each as an op to
// plan: the op's own kernel (perhaps split) and streaming kernels whose bytes are the rule's
// multiples of the op's tensors. A step's kernels are one op each, in launch order.
std::vector<workloads::Op> kernel_ops(const workloads::Op& op, const OpKernels& rule);

// The dtype and engine a matrix product asked for in `requested` math really runs on `hw`: its own
// matrix rate, else the nearest path that keeps its precision, else the vector units (the mappers'
// choice, for reports that say when a run falls back).
struct GemmMathPath {
    DType dtype;
    EngineKind engine;
};
GemmMathPath gemm_math_path(const HardwareSpec& hw, DType requested);

// Single-kernel requests (`fmsim kernel`), described as ops.
workloads::Op gemm_op(std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k, DType dtype);
workloads::Op attention_op(std::int64_t batch, std::int64_t heads, std::int64_t kv_heads, std::int64_t seq_q,
                           std::int64_t seq_kv, std::int64_t head_dim, bool causal, DType dtype);
workloads::Op rowwise_op(workloads::OpKind kind, std::int64_t rows, std::int64_t cols, DType dtype);  // softmax, layernorm
workloads::Op elementwise_op(workloads::OpKind kind, std::int64_t elements, double flops_per_element, DType dtype);
workloads::Op memcpy_op(std::int64_t bytes);

}  // namespace fmsim::hwmodels
