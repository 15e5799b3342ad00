#include "fmsim/hwmodels/mapping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

namespace fmsim::hwmodels {

using workloads::AttentionDims;
using workloads::ConvDims;
using workloads::GemmDims;
using workloads::Op;
using workloads::OpKind;

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
// FlashAttention-2 query block (Dao 2023): 128 query rows per thread block.
constexpr std::int64_t kAttentionQueryBlock = 128;
// Streaming kernels: bytes one thread block moves per tile (a 32 KiB chunk, the working set of
// one block's grid-stride iteration), and at most this many tiles per core per kernel, so very
// large element-wise ops keep the event count small (the bandwidth is shared anyway).
constexpr double kStreamTileBytes = 32 * 1024;
constexpr std::int64_t kMaxStreamTilesPerCore = 16;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

double bytes_of(std::int64_t elements, DType t) {
    return static_cast<double>(workloads::storage_bytes(elements, t));
}

// The engine that runs a matrix product of `math` and its FLOPs per cycle per core.
struct MathPath {
    DType dtype;
    double flops_per_cycle;
    EngineKind engine;
};

std::pair<DType, double> vector_path(const HardwareSpec& hw, DType t);

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

// Thread-block tiling with waves over the cores and split-K for skinny shapes; the candidate
// with the shortest bound (compute, DRAM at the `dram_bw` the kernel will get, or L2) wins, as a
// tuned BLAS library's heuristic would.
TileProgram plan_gemm(const GemmDims& g, DType a_type, DType b_type, DType out_type, const MathPath& path,
                      const HardwareSpec& hw, double dram_bw, double flops, double bytes) {
    const double rate = path.flops_per_cycle;
    const double clock_hz = hw.clock.sustained_mhz * 1e6;
    const auto* smem = hw.core_level();
    const auto* l2 = hw.chip_level();
    const double l2_capacity = l2 ? l2->capacity_kib * 1024 : 0;
    const double l2_bw = l2 ? l2->bandwidth_gbps * 1e9 : hw.memory_bandwidth_bytes_per_s();
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
                best.mapping = "gemm " + std::to_string(tm) + "x" + std::to_string(tn) + " split-k " +
                               std::to_string(split) +
                               (path.engine == EngineKind::vector ? " on the vector unit (no matrix path)" : "");
                best.engine = path.engine;
                best.tiles = tiles;
                best.tiles_per_core_at_once = resident;
                best.compute_cycles_per_tile = cycles;
                best.dram_bytes_per_tile = dram / static_cast<double>(tiles);
                best.l2_bytes_per_tile = l2_traffic / static_cast<double>(tiles);
                best.kernels = split > 1 ? 2 : 1;
                best.workspace_bytes = split > 1 ? static_cast<double>(split * g.batch * g.m * g.n * 4) : 0;
                // Split-K: the reduction kernel adds the fp32 partials on the vector unit.
                const double reduction =
                    split > 1 ? static_cast<double>(split * g.batch * g.m * g.n) / static_cast<double>(tiles) : 0;
                const bool on_matrix = path.engine == EngineKind::matrix;
                best.matrix_dtype = on_matrix ? path.dtype : DType::bf16;
                best.matrix_flops_per_tile = on_matrix ? tile_flops : 0;
                best.vector_dtype = on_matrix ? DType::fp32 : path.dtype;
                best.vector_flops_per_tile = on_matrix ? reduction : tile_flops + reduction;
                best.core_sram_bytes_per_tile = gemm_core_sram_bytes(tm, tn, k_tile, a_elem, b_elem);
            }
        }
    }
    best.flops = flops;
    best.bytes = bytes;
    return best;
}

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

// `reread_bytes`: input bytes a multi-pass kernel reads again (RowKernelSpec).
TileProgram plan_stream(const Op& op, const HardwareSpec& hw, std::int64_t rows, double reread_bytes) {
    TileProgram p;
    p.engine = EngineKind::vector;
    p.flops = op.flops;
    p.bytes = static_cast<double>(op.bytes_read() + op.bytes_written());
    const double moved = p.bytes + reread_bytes;
    const std::int64_t by_bytes = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(moved / kStreamTileBytes)));
    // Row-wise kernels give each row to one block; element-wise ones split by bytes.
    std::int64_t tiles = rows > 0 ? std::min(rows, by_bytes) : by_bytes;
    tiles = std::min(tiles, hw.cores * kMaxStreamTilesPerCore);
    p.tiles = std::max<std::int64_t>(1, tiles);
    const DType t = op.reads.empty() ? DType::bf16 : op.reads.front().dtype;
    const auto [vector_dtype, rate] = vector_path(hw, t);
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

// FlashAttention-2's backward pass: 5 seq x seq products against the forward's 2 (Dao 2023).
constexpr double kFlashAttentionBackwardMatmuls = 2.5;

TileProgram plan_attention(const Op& op, const AttentionDims& a, const HardwareSpec& hw) {
    TileProgram p;
    p.engine = EngineKind::matrix;
    p.flops = op.flops;
    p.bytes = static_cast<double>(op.bytes_read() + op.bytes_written());
    const DType t = op.reads.empty() ? DType::bf16 : op.reads.front().dtype;
    // K and V come from the new tokens (reads 1 and 2) or from the cache, whose dtype may differ (fp8).
    DType kv_type = op.reads.size() > 1 ? op.reads[1].dtype : t;
    for (const auto& r : op.reads)
        if (r.cls == workloads::TensorClass::kv_cache) kv_type = r.dtype;
    const std::int64_t kv_heads = a.kv_heads > 0 ? a.kv_heads : a.heads;
    const std::int64_t group = std::max<std::int64_t>(1, a.heads / kv_heads);
    // Short queries (decode) put the query heads that share a KV head into one tile's rows, so each
    // K/V block is read once per KV head (FlashDecoding/FlashInfer and TensorRT-LLM's XQA kernels
    // for grouped-query attention); longer ones run FlashAttention-2's tile per query head and
    // query block, each reading its head's K/V.
    const bool pack_group = group > 1 && a.seq_q * group <= kAttentionQueryBlock;
    const std::int64_t q_blocks = ceil_div(a.seq_q, kAttentionQueryBlock);
    const std::int64_t rows = pack_group ? a.seq_q * group : std::min(a.seq_q, kAttentionQueryBlock);
    p.tiles = pack_group ? a.batch * kv_heads : a.batch * a.heads * q_blocks;
    // A causal kernel skips the key blocks above the diagonal: half of a square problem.
    const double keys = a.causal && a.seq_q == a.seq_kv ? 0.5 * static_cast<double>(a.seq_kv) : static_cast<double>(a.seq_kv);
    double mm = 4.0 * rows * keys * a.head_dim;
    double softmax = 5.0 * rows * keys;  // on the vector unit, not overlapped with the MMAs
    // The backward kernel (not a recomputed forward) runs 5 block products against the forward's
    // 2 (it recomputes the scores: FlashAttention-2, Dao 2023, section 3.1) and the softmax's
    // recomputation plus its gradient, about twice the forward's softmax work.
    if (op.phase == workloads::Phase::backward && !op.recompute) {
        mm *= kFlashAttentionBackwardMatmuls;
        softmax *= 2.0;
    }
    const MathPath path = math_path(hw, op.math_dtype);
    const auto [softmax_path, softmax_rate] = vector_path(hw, DType::fp32);
    p.compute_cycles_per_tile = mm / path.flops_per_cycle + softmax / softmax_rate;
    if (path.engine == EngineKind::matrix) {
        p.matrix_dtype = path.dtype;
        p.matrix_flops_per_tile = mm;
        p.vector_dtype = softmax_path;
        p.vector_flops_per_tile = softmax;
    } else {  // the products on the vector unit too (its fp32 path prices both)
        p.vector_dtype = path.dtype;
        p.vector_flops_per_tile = mm + softmax;
    }
    // K and V of a head are read from DRAM once and from L2 by each tile that uses them.
    const double kv_head = 2.0 * bytes_of(static_cast<std::int64_t>(keys) * a.head_dim, kv_type);
    p.dram_bytes_per_tile = p.bytes / static_cast<double>(p.tiles);
    const double q_block = bytes_of(rows * a.head_dim, t);
    p.l2_bytes_per_tile = kv_head + 2.0 * q_block;
    // Per-core SRAM (energy only): Q, K and V are written into shared memory once; Q is read once
    // into registers; on tensor cores each of FlashAttention-2's 4 warps per query block reads
    // every K/V block (Dao 2023), on a systolic array they stream through once.
    const double kv_readers = hw.matrix.kind == MatrixEngineKind::systolic_array ? 1 : 4;
    p.core_sram_bytes_per_tile = kv_head + 2.0 * q_block + q_block + kv_readers * kv_head;
    p.mapping = "flash-attention " + std::to_string(p.tiles) + (pack_group ? " KV-head tiles" : " query blocks");
    return p;
}

}  // namespace

namespace {
TileProgram plan_kernel(const Op& op, const HardwareSpec& hw, const RuntimeSpec& rt) {
    const DType out_type = op.writes.empty() ? DType::bf16 : op.writes.front().dtype;
    const double dram_bw = hw.achievable_memory_bandwidth_bytes_per_s() * rt.kernel_bandwidth_fraction;
    if (const auto* g = std::get_if<GemmDims>(&op.dims)) {
        DType a = DType::bf16, b = DType::bf16;
        if (!op.reads.empty()) a = op.reads.front().dtype;
        for (const auto& r : op.reads)
            if (r.cls == workloads::TensorClass::weight || r.cls == workloads::TensorClass::kv_cache) b = r.dtype;
        if (op.reads.size() > 1 && op.kind == OpKind::batched_matmul) b = op.reads[1].dtype;
        const MathPath path = math_path(hw, op.math_dtype);
        if (hw.matrix.kind == MatrixEngineKind::systolic_array && path.engine == EngineKind::matrix)
            return plan_systolic(*g, a, b, out_type, path, hw, op.flops,
                                 static_cast<double>(op.bytes_read() + op.bytes_written()));
        return plan_gemm(*g, a, b, out_type, path, hw, dram_bw, op.flops,
                         static_cast<double>(op.bytes_read() + op.bytes_written()));
    }
    if (const auto* c = std::get_if<ConvDims>(&op.dims)) {
        std::int64_t out_pixels = 1, kernel = 1;
        for (auto v : c->out_spatial) out_pixels *= v;
        for (auto v : c->kernel) kernel *= v;
        const GemmDims g{c->groups, c->batch * out_pixels, c->out_channels / c->groups,
                         c->in_channels / c->groups * kernel};
        const DType a = op.reads.empty() ? DType::bf16 : op.reads.front().dtype;
        const double op_bytes = static_cast<double>(op.bytes_read() + op.bytes_written());
        const MathPath path = math_path(hw, op.math_dtype);
        if (hw.matrix.kind == MatrixEngineKind::systolic_array && path.engine == EngineKind::matrix)
            return plan_systolic(g, a, a, out_type, path, hw, op.flops, op_bytes);
        return plan_gemm(g, a, a, out_type, path, hw, dram_bw, op.flops, op_bytes);
    }
    if (const auto* a = std::get_if<AttentionDims>(&op.dims)) return plan_attention(op, *a, hw);
    std::int64_t rows = 0;
    double reread = 0, serial_cycles = 0;
    if (op.kind == OpKind::softmax || op.kind == OpKind::layer_norm || op.kind == OpKind::rms_norm) {
        const auto& x = op.reads.front();
        const std::int64_t cols = std::max<std::int64_t>(1, x.shape.back());
        rows = workloads::element_count(x.shape) / cols;
        const RowKernelSpec& k = op.kind == OpKind::softmax ? rt.softmax : rt.norm;
        if (k.single_pass_max_cols > 0 && cols > k.single_pass_max_cols)
            reread = (k.multi_pass_reads - 1) * static_cast<double>(x.bytes());
        else  // the one-pass kernel: one row per program, the rows dealt over the cores
            serial_cycles = static_cast<double>(ceil_div(rows, hw.cores)) * k.one_pass_row_cycles;
    }
    TileProgram p = plan_stream(op, hw, rows, reread);
    p.serial_cycles_per_core = serial_cycles;
    return p;
}

// Raw bytes of plain values for append_plan_key (exact, and no number formatting per op).
template <class T>
void append_raw(std::string& key, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void append_raw(std::string& key, const std::vector<std::int64_t>& v) {
    append_raw(key, v.size());
    key.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t));
}

void append_raw(std::string& key, const std::vector<workloads::TensorRef>& tensors) {
    append_raw(key, tensors.size());
    for (const auto& t : tensors) {
        append_raw(key, t.dtype);
        append_raw(key, t.cls);
        append_raw(key, t.shape);
    }
}

void append_raw(std::string& key, const RowKernelSpec& k) {
    append_raw(key, k.single_pass_max_cols);
    append_raw(key, k.multi_pass_reads);
    append_raw(key, k.one_pass_row_cycles);
}

}  // namespace

void append_plan_key(const Op& op, const RuntimeSpec& rt, std::string& key) {
    append_raw(key, op.kind);
    append_raw(key, op.phase);      // plan_attention: the backward kernel
    append_raw(key, op.recompute);
    append_raw(key, op.math_dtype);
    append_raw(key, op.flops);
    append_raw(key, op.dims.index());
    if (const auto* g = std::get_if<GemmDims>(&op.dims)) {
        for (std::int64_t v : {g->batch, g->m, g->n, g->k}) append_raw(key, v);
    } else if (const auto* a = std::get_if<AttentionDims>(&op.dims)) {
        for (std::int64_t v : {a->batch, a->heads, a->kv_heads, a->seq_q, a->seq_kv, a->head_dim}) append_raw(key, v);
        append_raw(key, a->causal);
    } else if (const auto* c = std::get_if<ConvDims>(&op.dims)) {
        for (std::int64_t v : {c->batch, c->in_channels, c->out_channels, c->groups}) append_raw(key, v);
        for (const auto* v : {&c->in_spatial, &c->kernel, &c->stride, &c->out_spatial}) append_raw(key, *v);
    }
    append_raw(key, op.reads);
    append_raw(key, op.writes);
    append_raw(key, rt.softmax);
    append_raw(key, rt.norm);
    append_raw(key, rt.kernel_bandwidth_fraction);
}

TileProgram plan_op(const Op& op, const HardwareSpec& hw, const RuntimeSpec& rt) {
    TileProgram p = plan_kernel(op, hw, rt);
    p.dram_bandwidth_fraction = rt.kernel_bandwidth_fraction;
    return p;
}

namespace {
// `t` as a flat tensor of `fraction` of its elements (one of several kernels sharing it).
workloads::TensorRef part_of(const workloads::TensorRef& t, double fraction) {
    workloads::TensorRef out = t;
    out.shape = {static_cast<std::int64_t>(std::ceil(static_cast<double>(workloads::element_count(t.shape)) * fraction))};
    return out;
}

// The op's own kernel as one of `launches` equal parts: a GEMM's output columns, or the leading
// (batch) dimension of anything else.
Op op_part(const Op& op, std::int64_t launches) {
    if (launches <= 1) return op;
    Op o = op;
    const double f = 1.0 / static_cast<double>(launches);
    o.flops *= f;
    if (auto* g = std::get_if<GemmDims>(&o.dims)) {
        g->n = ceil_div(g->n, launches);
        for (auto& r : o.reads)
            if (r.cls == workloads::TensorClass::weight) r = part_of(r, f);
        for (auto& w : o.writes) w = part_of(w, f);
        return o;
    }
    if (auto* a = std::get_if<AttentionDims>(&o.dims)) a->batch = ceil_div(a->batch, launches);
    if (auto* c = std::get_if<ConvDims>(&o.dims)) c->batch = ceil_div(c->batch, launches);
    for (auto* tensors : {&o.reads, &o.writes})
        for (auto& t : *tensors)
            if (!t.shape.empty()) t.shape.front() = ceil_div(t.shape.front(), launches);
    return o;
}
}  // namespace

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
                out.push_back(op_part(op, k.launches));
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
    const double per = kind == OpKind::softmax ? 5 : kind == OpKind::rms_norm ? 4 : 7;  // docs/formulas.md
    o.flops = per * static_cast<double>(rows * cols);
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

}  // namespace fmsim::hwmodels
