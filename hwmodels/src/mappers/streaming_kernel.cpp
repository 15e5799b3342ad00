#include "streaming_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace fmsim::hwmodels::mappers {

namespace {
// Streaming kernels: bytes one thread block moves per tile (a 32 KiB chunk, the working set of
// one block's grid-stride iteration), and at most this many tiles per core per kernel, so very
// large element-wise ops keep the event count small (the bandwidth is shared anyway).
constexpr double kStreamTileBytes = 32 * 1024;
constexpr std::int64_t kMaxStreamTilesPerCore = 16;
}  // namespace

StreamInputs stream_inputs(const workloads::Op& op) { return {op.flops, op_bytes(op), first_read_dtype(op)}; }

TileProgram plan_stream(const StreamInputs& in, const HardwareSpec& hw, std::int64_t rows, double reread_bytes) {
    TileProgram p;
    p.engine = EngineKind::vector;
    p.flops = in.flops;
    p.bytes = static_cast<double>(in.bytes);
    const double moved = p.bytes + reread_bytes;
    const std::int64_t by_bytes = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(moved / kStreamTileBytes)));
    // Row-wise kernels give each row to one block; element-wise ones split by bytes.
    std::int64_t tiles = rows > 0 ? std::min(rows, by_bytes) : by_bytes;
    tiles = std::min(tiles, hw.cores * kMaxStreamTilesPerCore);
    p.tiles = std::max<std::int64_t>(1, tiles);
    const auto [vector_dtype, rate] = vector_path(hw, in.in_type);
    p.compute_cycles_per_tile = p.flops / static_cast<double>(p.tiles) / rate;
    p.dram_bytes_per_tile = moved / static_cast<double>(p.tiles);
    p.l2_bytes_per_tile = p.dram_bytes_per_tile;
    p.vector_dtype = vector_dtype;
    p.vector_flops_per_tile = p.flops / static_cast<double>(p.tiles);
    // Every byte passes the core's load/store path (L1, VMEM) once.
    p.core_sram_bytes_per_tile = p.dram_bytes_per_tile;
    p.mapping = "stream " + std::to_string(p.tiles) + " tiles" + (reread_bytes > 0 ? ", multi-pass" : "");
    return p;
}

}  // namespace fmsim::hwmodels::mappers
