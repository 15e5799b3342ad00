// Weight-stationary tiling on systolic arrays (TPU MXU, NPU).
#include <algorithm>
#include <cmath>
#include <string>

#include "gemm_tiling.hpp"

namespace fmsim::hwmodels::mappers {

using workloads::GemmDims;

// Weight-stationary systolic arrays (TPU MXU, NPU): each tile is one R x C block of the weight
// matrix held in an array while the M input rows stream through. Weights are double-buffered:
// the next block's R rows shift in while the current block streams (Jouppi et al. 2017, section
// 2), so a block costs max(R, M) cycles; the pipeline fill and drain, R + C - 2 cycles (Kung
// 1982), is paid once per array per kernel and spread over the blocks that array runs.
TileProgram plan_systolic(const GemmDims& g, DType a_type, DType b_type, DType out_type, const MathPath& path,
                          const HardwareSpec& hw, double flops, double bytes) {
    const std::int64_t rows = hw.matrix.shape.at(0), cols = hw.matrix.shape.size() > 1 ? hw.matrix.shape[1] : rows;
    TileProgram p;
    p.engine = EngineKind::matrix;
    p.flops = flops;
    p.bytes = bytes;
    const std::int64_t k_blocks = ceil_div(g.k, rows), n_blocks = ceil_div(g.n, cols);
    p.tiles = g.batch * k_blocks * n_blocks;
    p.tiles_per_core_at_once = std::max<std::int64_t>(1, hw.matrix.units_per_core);
    const double blocks_per_array = std::ceil(static_cast<double>(p.tiles) /
                                              static_cast<double>(hw.cores * p.tiles_per_core_at_once));
    // In cycles of the sustained clock: a dtype the array runs at a lower clock takes more of them.
    p.compute_cycles_per_tile = (static_cast<double>(std::max(rows, g.m)) +
                                 static_cast<double>(rows + cols - 2) / blocks_per_array) *
                                hw.clock.sustained_mhz / hw.clock.matrix_mhz(path.dtype);
    // Weights are read once; the input rows once per column block unless they stay on chip; the
    // outputs are accumulated on chip and written once.
    const auto* chip = hw.chip_level();
    const double a_bytes = bytes_of(g.batch * g.m * g.k, a_type), b_bytes = bytes_of(g.batch * g.k * g.n, b_type);
    const double c_bytes = bytes_of(g.batch * g.m * g.n, out_type);
    const bool a_on_chip = chip && a_bytes <= chip->capacity_kib * 1024 / 2;
    const double dram = b_bytes + c_bytes + a_bytes * (a_on_chip ? 1.0 : static_cast<double>(n_blocks));
    p.dram_bytes_per_tile = dram / static_cast<double>(p.tiles);
    p.l2_bytes_per_tile = (static_cast<double>(g.m * rows) + rows * cols) * static_cast<double>(workloads::bits_per_element(a_type)) / 8;
    // Energy counts: a block does 2 x M x R x C FLOPs (padded blocks too); its operands are written
    // into the core's buffer once and streamed into the array once (partial sums stay in the
    // array's accumulators).
    p.matrix_dtype = path.dtype;
    p.matrix_flops_per_tile = 2.0 * static_cast<double>(g.m) * static_cast<double>(rows * cols);
    p.core_sram_bytes_per_tile = 2 * p.l2_bytes_per_tile;
    p.mapping = "systolic " + std::to_string(rows) + "x" + std::to_string(cols) + " weight-stationary, " +
                std::to_string(p.tiles) + " weight blocks";
    return p;
}

}  // namespace fmsim::hwmodels::mappers
