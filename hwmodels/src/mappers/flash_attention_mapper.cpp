// "flash_attention": fused attention as FlashAttention-2 runs it (Dao 2023): one tile per query
// head and query block, or per KV head for short grouped-query decodes; no seq x seq tensor in memory.
#include <algorithm>
#include <string>

#include "kernel_math.hpp"
#include "plan_inputs.hpp"

namespace fmsim::hwmodels::mappers {
namespace {

using workloads::AttentionDims;

// FlashAttention-2 query block (Dao 2023): 128 query rows per thread block.
constexpr std::int64_t kAttentionQueryBlock = 128;
// FlashAttention-2's backward pass: 5 seq x seq products against the forward's 2 (Dao 2023).
constexpr double kFlashAttentionBackwardMatmuls = 2.5;

// What the kernel reads (an Inputs record).
struct AttentionInputs {
    std::int64_t batch, heads, kv_heads, seq_q, seq_kv, head_dim;
    bool causal;
    bool backward_kernel;  // the backward kernel, not a forward (nor a recomputed forward)
    DType in_type;         // Q's
    DType kv_type;         // K's and V's: the new tokens' or the cache's (which may be fp8)
    DType math_dtype;
    double flops;
    std::int64_t bytes;  // the op's reads + writes
};

// How the work is cut into tiles: `rows` query rows against `keys` keys each.
struct AttentionTiling {
    bool pack_group;
    std::int64_t tiles, rows;
    double keys;
};

AttentionTiling tiling_of(const AttentionInputs& a) {
    const std::int64_t kv_heads = a.kv_heads > 0 ? a.kv_heads : a.heads;
    const std::int64_t group = std::max<std::int64_t>(1, a.heads / kv_heads);
    // Short queries (decode) put the query heads that share a KV head into one tile's rows, so each
    // K/V block is read once per KV head (FlashDecoding/FlashInfer and TensorRT-LLM's XQA kernels
    // for grouped-query attention); longer ones run FlashAttention-2's tile per query head and
    // query block, each reading its head's K/V.
    const bool pack_group = group > 1 && a.seq_q * group <= kAttentionQueryBlock;
    const std::int64_t q_blocks = ceil_div(a.seq_q, kAttentionQueryBlock);
    const std::int64_t rows = pack_group ? a.seq_q * group : std::min(a.seq_q, kAttentionQueryBlock);
    const std::int64_t tiles = pack_group ? a.batch * kv_heads : a.batch * a.heads * q_blocks;
    // A causal kernel skips the key blocks above the diagonal: half of a square problem.
    const double keys = a.causal && a.seq_q == a.seq_kv ? 0.5 * static_cast<double>(a.seq_kv) : static_cast<double>(a.seq_kv);
    return {pack_group, tiles, rows, keys};
}

TileProgram plan_attention(const AttentionInputs& a, const HardwareSpec& hw) {
    TileProgram p;
    p.engine = EngineKind::matrix;
    p.flops = a.flops;
    p.bytes = static_cast<double>(a.bytes);
    const AttentionTiling t = tiling_of(a);
    p.tiles = t.tiles;
    double mm = 4.0 * t.rows * t.keys * a.head_dim;
    double softmax = 5.0 * t.rows * t.keys;  // on the vector unit, not overlapped with the MMAs
    // The backward kernel (not a recomputed forward) runs 5 block products against the forward's
    // 2 (it recomputes the scores: FlashAttention-2, Dao 2023, section 3.1) and the softmax's
    // recomputation plus its gradient, about twice the forward's softmax work.
    if (a.backward_kernel) {
        mm *= kFlashAttentionBackwardMatmuls;
        softmax *= 2.0;
    }
    const MathPath path = math_path(hw, a.math_dtype);
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
    const double kv_head = 2.0 * bytes_of(static_cast<std::int64_t>(t.keys) * a.head_dim, a.kv_type);
    p.dram_bytes_per_tile = p.bytes / static_cast<double>(p.tiles);
    const double q_block = bytes_of(t.rows * a.head_dim, a.in_type);
    p.l2_bytes_per_tile = kv_head + 2.0 * q_block;
    // Per-core SRAM (energy only): Q, K and V are written into shared memory once; Q is read once
    // into registers; on tensor cores each of FlashAttention-2's 4 warps per query block reads
    // every K/V block (Dao 2023), on a systolic array they stream through once.
    const double kv_readers = hw.matrix.kind == MatrixEngineKind::systolic_array ? 1 : 4;
    p.core_sram_bytes_per_tile = kv_head + 2.0 * q_block + q_block + kv_readers * kv_head;
    p.mapping = "flash-attention " + std::to_string(p.tiles) + (t.pack_group ? " KV-head tiles" : " query blocks");
    return p;
}

class FlashAttentionMapper final : public InputsMapper<AttentionInputs> {
public:
    workloads::Op part(const workloads::Op& op, std::int64_t launches) const override {
        return batch_part<AttentionDims>(op, launches);
    }

protected:
    AttentionInputs inputs(const workloads::Op& op, const RuntimeSpec&) const override {
        const AttentionDims& a = dims_of<AttentionDims>(op, "flash_attention");
        const DType t = first_read_dtype(op);
        // K and V come from the new tokens (reads 1 and 2) or from the cache.
        DType kv_type = op.reads.size() > 1 ? op.reads[1].dtype : t;
        for (const auto& r : op.reads)
            if (r.cls == workloads::TensorClass::kv_cache) kv_type = r.dtype;
        return {a.batch, a.heads, a.kv_heads, a.seq_q, a.seq_kv, a.head_dim, a.causal,
                op.phase == workloads::Phase::backward && !op.recompute, t, kv_type, op.math_dtype, op.flops,
                op_bytes(op)};
    }

    TileProgram plan_inputs(const AttentionInputs& in, const HardwareSpec& hw) const override {
        return plan_attention(in, hw);
    }
};

const MapperRegistrar kFlashAttention{"flash_attention", [] { return std::make_unique<FlashAttentionMapper>(); }};

}  // namespace
}  // namespace fmsim::hwmodels::mappers
