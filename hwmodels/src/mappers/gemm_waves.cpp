// Thread-block tiling on GPUs: waves of tiles over the cores, split-K for skinny shapes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "gemm_tiling.hpp"

namespace fmsim::hwmodels::mappers {

using workloads::GemmDims;

namespace {

// K-step of a GPU GEMM main loop and its software-pipeline depth: CUTLASS's Ampere/Hopper
// multistage defaults (32 elements of K per stage, 3 stages in shared memory).
constexpr std::int64_t kGemmTileK = 32;
constexpr std::int64_t kGemmStages = 3;
// Thread-block tiles cuBLAS/CUTLASS pick from for tensor-core GEMMs; the 16- and 32-row ones
// serve skinny (decode-time) GEMMs, 16 being the M of one tensor-core MMA (m16n8k16).
constexpr std::int64_t kGemmTiles[][2] = {{256, 128}, {128, 256}, {128, 128}, {128, 64}, {64, 128},
                                          {64, 64},   {32, 128},  {16, 128},  {16, 256}};
// Co-resident thread blocks per SM are bounded by the hardware's 4-way limit for big tiles.
constexpr std::int64_t kMaxTilesPerCore = 4;

// Per-core on-chip traffic of a tensor-core GEMM tile, for the energy model only (it does not
// bound time: the core's own SRAM bandwidth is part of the engine's rate). Operands arrive from
// L2 into shared memory (written once), and each warp reads its A and B panels from there, so a
// tm x tn block split into wm x wn warp tiles reads k x (tm x tn / wn) of A and k x (tm x tn / wm) of B;
// warp tiles are half the block, at most 64 x 64 (CUTLASS's default warp shapes for these blocks).
double gemm_core_sram_bytes(std::int64_t tm, std::int64_t tn, std::int64_t k, double a_elem, double b_elem) {
    const double in = static_cast<double>(k) * (static_cast<double>(tm) * a_elem + static_cast<double>(tn) * b_elem);
    const double wm = static_cast<double>(std::min<std::int64_t>(64, std::max<std::int64_t>(1, tm / 2)));
    const double wn = static_cast<double>(std::min<std::int64_t>(64, std::max<std::int64_t>(1, tn / 2)));
    const double mn = static_cast<double>(tm * tn);
    return in + static_cast<double>(k) * (mn / wn * a_elem + mn / wm * b_elem);
}

// One thread-block tiling with its split of K, as plan_gemm_waves weighs it.
struct Candidate {
    std::int64_t tm, tn, split, tiles, resident, k_tile;
    double tile_flops, cycles, dram, l2_traffic;
};

// The tile program of candidate `c`.
TileProgram program_of(const Candidate& c, const GemmDims& g, const MathPath& path, double a_elem, double b_elem) {
    TileProgram p;
    p.mapping = "gemm " + std::to_string(c.tm) + "x" + std::to_string(c.tn) + " split-k " + std::to_string(c.split) +
                (path.engine == EngineKind::vector ? " on the vector unit (no matrix path)" : "");
    p.engine = path.engine;
    p.tiles = c.tiles;
    p.tiles_per_core_at_once = c.resident;
    p.compute_cycles_per_tile = c.cycles;
    p.dram_bytes_per_tile = c.dram / static_cast<double>(c.tiles);
    p.l2_bytes_per_tile = c.l2_traffic / static_cast<double>(c.tiles);
    p.kernels = c.split > 1 ? 2 : 1;
    p.workspace_bytes = c.split > 1 ? static_cast<double>(c.split * g.batch * g.m * g.n * 4) : 0;
    // Split-K: the reduction kernel adds the fp32 partials on the vector unit.
    const double reduction =
        c.split > 1 ? static_cast<double>(c.split * g.batch * g.m * g.n) / static_cast<double>(c.tiles) : 0;
    const bool on_matrix = path.engine == EngineKind::matrix;
    p.matrix_dtype = on_matrix ? path.dtype : DType::bf16;
    p.matrix_flops_per_tile = on_matrix ? c.tile_flops : 0;
    p.vector_dtype = on_matrix ? DType::fp32 : path.dtype;
    p.vector_flops_per_tile = on_matrix ? reduction : c.tile_flops + reduction;
    p.core_sram_bytes_per_tile = gemm_core_sram_bytes(c.tm, c.tn, c.k_tile, a_elem, b_elem);
    return p;
}

}  // namespace

// Thread-block tiling with waves over the cores and split-K for skinny shapes; the candidate
// with the shortest bound (compute, DRAM at the `dram_bw` the kernel will get, or L2) wins, as a
// tuned BLAS library's heuristic would.
TileProgram plan_gemm_waves(const GemmDims& g, DType a_type, DType b_type, DType out_type, const MathPath& path,
                            const HardwareSpec& hw, double dram_bw, double flops, double bytes) {
    const double rate = path.flops_per_cycle;
    const double clock_hz = hw.clock.sustained_mhz * 1e6;
    const auto* smem = hw.core_level();
    const auto* l2 = hw.chip_level();
    const double l2_capacity = l2 ? l2->capacity_kib * 1024 : 0;
    const double l2_bw = l2 ? l2->bandwidth_gb_per_s * 1e9 : hw.memory_bandwidth_bytes_per_s();
    const double a_bytes = bytes_of(g.batch * g.m * g.k, a_type), b_bytes = bytes_of(g.batch * g.k * g.n, b_type);
    const double c_bytes = bytes_of(g.batch * g.m * g.n, out_type);
    // Each operand's panels move at its own width (int4 weights against fp16 activations).
    const double a_elem = static_cast<double>(workloads::bits_per_element(a_type)) / 8;
    const double b_elem = static_cast<double>(workloads::bits_per_element(b_type)) / 8;

    TileProgram best;
    double best_time = std::numeric_limits<double>::infinity();
    for (const auto& t : kGemmTiles) {
        const std::int64_t tm = t[0], tn = t[1];
        const double smem_per_tile = static_cast<double>(kGemmTileK * kGemmStages) * (static_cast<double>(tm) * a_elem + static_cast<double>(tn) * b_elem);
        const std::int64_t per_core =
            smem ? std::clamp<std::int64_t>(static_cast<std::int64_t>(smem->capacity_kib * 1024 / smem_per_tile), 1,
                                            kMaxTilesPerCore)
                 : 1;
        const std::int64_t mn_tiles = g.batch * ceil_div(g.m, tm) * ceil_div(g.n, tn);
        for (std::int64_t split : {1, 2, 3, 4, 6, 8, 12, 16}) {
            if (split > 1 && (mn_tiles * per_core >= hw.cores || ceil_div(g.k, split) < kGemmTileK)) break;
            const std::int64_t tiles = mn_tiles * split;
            // Tiles share a core's engine only when there are more tiles than cores.
            const std::int64_t resident = std::min(per_core, ceil_div(tiles, hw.cores));
            const std::int64_t k_tile = ceil_div(ceil_div(g.k, split), kGemmTileK) * kGemmTileK;
            const double tile_flops = 2.0 * tm * tn * k_tile;
            const double cycles = tile_flops / (rate / static_cast<double>(resident));
            // L2 reuse: operands that fit in half the L2 come from DRAM once; otherwise each wave
            // (a g x g block of tiles) re-reads its panels.
            double dram = a_bytes + b_bytes + c_bytes;
            if (a_bytes + b_bytes > l2_capacity / 2) {
                const double block = std::max(1.0, std::floor(std::sqrt(static_cast<double>(hw.cores * per_core))));
                dram = a_bytes * std::max(1.0, std::ceil(static_cast<double>(g.n) / (tn * block))) +
                       b_bytes * std::max(1.0, std::ceil(static_cast<double>(g.m) / (tm * block))) + c_bytes;
            }
            if (split > 1) dram += 2.0 * split * g.batch * g.m * g.n * 4;  // fp32 partials out and back in
            const double l2_traffic =
                static_cast<double>(tiles) * static_cast<double>(k_tile) * (static_cast<double>(tm) * a_elem + static_cast<double>(tn) * b_elem);
            const double waves = std::ceil(static_cast<double>(tiles) / static_cast<double>(hw.cores * resident));
            // A wave runs `resident` tiles at once on every core, each at that share of its rate.
            // Split-K pays a second launch (the reduction kernel), which can outweigh its gain.
            const double time = std::max({waves * cycles / clock_hz, dram / dram_bw, l2_traffic / l2_bw}) +
                                (split > 1 ? hw.kernel_launch_overhead_us * 1e-6 : 0.0);
            if (time < best_time) {
                best_time = time;
                best = program_of(Candidate{tm, tn, split, tiles, resident, k_tile, tile_flops, cycles, dram, l2_traffic},
                                  g, path, a_elem, b_elem);
            }
        }
    }
    best.flops = flops;
    best.bytes = bytes;
    return best;
}

}  // namespace fmsim::hwmodels::mappers
