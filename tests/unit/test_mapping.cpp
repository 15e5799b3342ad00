// Mapping: tile programs for GEMMs (GPU tiling and systolic blocks), fused attention and streams.
#include <gtest/gtest.h>

#include "fmsim/hwmodels/mapping.hpp"

#include <map>
#include <string>

#include "fmsim/workloads/model.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;
using fmsim::workloads::OpKind;

TEST(Mapping, LargeGemmTilesCoverTheOutputOnce) {
    const auto hw = load_hardware("a100-sxm-80gb");
    const auto p = plan_op(gemm_op(1, 2048, 2048, 2048, DType::bf16), hw);
    EXPECT_EQ(p.kernels, 1);
    ASSERT_NE(p.mapping.find("split-k 1"), std::string::npos);
    // Tiles x tile FLOPs = the GEMM's FLOPs (2048 divides every candidate tile).
    EXPECT_DOUBLE_EQ(p.compute_cycles_per_tile * static_cast<double>(p.tiles) / static_cast<double>(p.tiles_per_core_at_once),
                     2.0 * 2048 * 2048 * 2048 / 2048);
    // A and B (16 MiB) fit in half the 40 MiB L2: read from DRAM once, plus the output written once.
    EXPECT_DOUBLE_EQ(p.dram_bytes_per_tile * static_cast<double>(p.tiles), 3.0 * 2048 * 2048 * 2);
    // 4096^3 does not fit: its panels are re-read per wave, so DRAM traffic exceeds one pass.
    const auto big = plan_op(gemm_op(1, 4096, 4096, 4096, DType::bf16), hw);
    EXPECT_GT(big.dram_bytes_per_tile * static_cast<double>(big.tiles), 3.0 * 4096 * 4096 * 2);
}

// A product runs on the matrix path of its dtype, else on one that keeps its precision, else on
// the vector unit: an A100 has no fp32 or fp8 tensor-core path (fp32 GEMMs run on CUDA cores at
// 128 FLOPs/clk per SM under PyTorch's default, fp8 is upcast to 16-bit), a V100 no bf16, a TPU
// runs fp32 as one bf16 pass, an int8-only NPU runs fp16 on its vector unit. Once a missing path
// fell to the first entry of a fallback list, int8: an A100 fp32 GEMM ran at 300 TFLOP/s.
TEST(Mapping, EachDtypeRunsWhereItsPrecisionIsKept) {
    const auto a100 = load_hardware("a100-sxm-80gb");
    auto total_cycles = [](const TileProgram& p) {
        return p.compute_cycles_per_tile * static_cast<double>(p.tiles) / static_cast<double>(p.tiles_per_core_at_once);
    };
    const double flops = 2.0 * 2048 * 2048 * 2048;
    const auto fp32 = plan_op(gemm_op(1, 2048, 2048, 2048, DType::fp32), a100);
    EXPECT_EQ(fp32.engine, EngineKind::vector);
    EXPECT_EQ(fp32.vector_dtype, DType::fp32);
    EXPECT_DOUBLE_EQ(fp32.matrix_flops_per_tile, 0);
    EXPECT_NE(fp32.mapping.find("vector unit"), std::string::npos);
    EXPECT_NEAR(total_cycles(fp32), flops / 128, flops / 128 * 0.02);  // within tile padding
    const auto tf32 = plan_op(gemm_op(1, 2048, 2048, 2048, DType::tf32), a100);
    EXPECT_EQ(tf32.matrix_dtype, DType::tf32);
    EXPECT_DOUBLE_EQ(total_cycles(tf32), flops / 1024);
    EXPECT_EQ(plan_op(gemm_op(1, 2048, 2048, 2048, DType::fp8), a100).matrix_dtype, DType::fp16);
    EXPECT_EQ(plan_op(gemm_op(1, 2048, 2048, 2048, DType::int4), a100).matrix_dtype, DType::int4);
    EXPECT_EQ(plan_op(gemm_op(1, 2048, 2048, 2048, DType::int4g32), a100).matrix_dtype, DType::int4);  // int4's math

    EXPECT_EQ(plan_op(gemm_op(1, 2048, 2048, 2048, DType::bf16), load_hardware("v100-sxm2")).engine, EngineKind::vector);
    const auto tpu = plan_op(gemm_op(1, 2048, 2048, 2048, DType::fp32), load_hardware("tpu-v5e"));
    EXPECT_EQ(tpu.matrix_dtype, DType::bf16);
    EXPECT_NE(tpu.mapping.find("systolic"), std::string::npos);
    const auto npu = plan_op(gemm_op(1, 2048, 2048, 2048, DType::fp16), load_hardware("mobile-npu-int8"));
    EXPECT_EQ(npu.engine, EngineKind::vector);
    EXPECT_EQ(npu.vector_dtype, DType::fp16);
}

TEST(Mapping, SystolicBlocksPayFillAndDrain) {
    const auto hw = load_hardware("tpu-v4");  // 128 x 128 MXUs
    const auto p = plan_op(gemm_op(1, 1000, 512, 256, DType::bf16), hw);
    EXPECT_EQ(p.tiles, (256 / 128) * (512 / 128));
    // Double-buffered weights: max(R, M) per block; fill/drain (R + C - 2) once per array, spread
    // over its blocks (8 blocks on 2 cores x 4 MXUs: one each).
    EXPECT_DOUBLE_EQ(p.compute_cycles_per_tile, 1000 + (128 + 128 - 2) / 1.0);
    const auto decode = plan_op(gemm_op(1, 1, 4096, 4096, DType::bf16), hw);  // 1024 blocks, 128 per MXU
    EXPECT_DOUBLE_EQ(decode.compute_cycles_per_tile, 128 + (128 + 128 - 2) / 128.0);
    EXPECT_NE(p.mapping.find("systolic 128x128"), std::string::npos);
}

TEST(Mapping, CausalAttentionSkipsHalfTheKeys) {
    const auto hw = load_hardware("h100-sxm");
    const auto full = plan_op(attention_op(2, 16, 16, 4096, 4096, 128, false, DType::bf16), hw);
    const auto causal = plan_op(attention_op(2, 16, 16, 4096, 4096, 128, true, DType::bf16), hw);
    EXPECT_EQ(full.tiles, 2 * 16 * (4096 / 128));
    EXPECT_NEAR(causal.compute_cycles_per_tile / full.compute_cycles_per_tile, 0.5, 1e-12);
    EXPECT_DOUBLE_EQ(causal.flops, full.flops) << "model FLOPs count the full rectangle (docs/formulas.md)";
}

TEST(Mapping, DecodeAttentionReadsEachKvHeadOnce) {
    // Llama-3-70B-like decode: 64 query heads on 8 KV heads, one new token over 2048 cached.
    const auto hw = load_hardware("h100-sxm");
    auto op = attention_op(16, 64, 8, 1, 2048, 128, false, DType::bf16);
    const auto p = plan_op(op, hw);
    EXPECT_EQ(p.tiles, 16 * 8) << "the 8 query heads of a KV head share one tile";
    const double kv_bytes = 2.0 * 16 * 2048 * 8 * 128 * 2;  // K and V of every KV head, bf16
    const double q_and_o = 2.0 * 16 * 64 * 128 * 2;
    EXPECT_DOUBLE_EQ(p.l2_bytes_per_tile * static_cast<double>(p.tiles), kv_bytes + q_and_o);
    // An fp8 cache halves what the tiles read.
    op.reads[1].dtype = op.reads[2].dtype = DType::fp8;
    const auto fp8 = plan_op(op, hw);
    EXPECT_DOUBLE_EQ(fp8.l2_bytes_per_tile * static_cast<double>(fp8.tiles), kv_bytes / 2 + q_and_o);
    // Prefill keeps FlashAttention-2's tile per query head and block.
    EXPECT_EQ(plan_op(attention_op(1, 64, 8, 2048, 2048, 128, true, DType::bf16), hw).tiles, 64 * 16);
}

TEST(Mapping, StreamsMoveEveryByteOnce) {
    const auto hw = load_hardware("a100-sxm-80gb");
    const auto p = plan_op(rowwise_op(OpKind::softmax, 4096, 4096, DType::bf16), hw);
    EXPECT_EQ(p.engine, EngineKind::vector);
    EXPECT_DOUBLE_EQ(p.dram_bytes_per_tile * static_cast<double>(p.tiles), 2.0 * 4096 * 4096 * 2);
    EXPECT_LE(p.tiles, 4096);
}

TEST(Mapping, OpsWithEqualPlanKeysGetEqualPlans) {
    // The replay plans an op once per plan key (append_plan_key): every op of these workloads
    // must get exactly the plan of the first op with its key, on a GPU and a systolic device and
    // under runtimes with multi-pass row kernels and a reduced streaming rate.
    using fmsim::workloads::RunPhase;
    struct Case {
        const char* model;
        RunPhase phase;
    };
    const Case cases[] = {{"gpt2", RunPhase::train},       {"llama2-7b", RunPhase::generate},
                          {"mixtral-8x7b", RunPhase::decode}, {"t5-small", RunPhase::generate},
                          {"stable-diffusion-2.1", RunPhase::sample}, {"clip-vit-l14", RunPhase::encode}};
    const RuntimeSpec runtimes[] = {load_runtime("pytorch-eager"), load_runtime("rocm-pytorch-eager")};
    std::size_t ops = 0, keys = 0;
    for (const char* device : {"a100-sxm-80gb", "tpu-v4"}) {
        const auto hw = load_hardware(device);
        for (const auto& rt : runtimes) {
            std::map<std::string, TileProgram> planned;
            for (const auto& c : cases) {
                fmsim::workloads::RunSpec run;
                run.phase = c.phase;
                run.batch = 2;
                if (c.phase == RunPhase::sample) {
                    run.steps = 2;
                } else {
                    run.input_len = 64;
                    if (c.phase == RunPhase::generate) run.output_len = 3;
                }
                const auto w = fmsim::workloads::load_model(c.model)->build(run);
                for (const auto& stage : w.stages)
                    for (fmsim::workloads::OpId id = 0; id < stage.graph->op_count(); ++id) {
                        const auto& op = stage.graph->op(id);
                        std::string key;
                        append_plan_key(op, rt, key);
                        const auto plan = plan_op(op, hw, rt);
                        const auto [first, added] = planned.emplace(key, plan);
                        EXPECT_TRUE(first->second == plan) << c.model << " " << op.name << " on " << device;
                        ++ops;
                    }
            }
            keys += planned.size();
        }
    }
    EXPECT_LT(keys, ops / 4);  // the keys do group ops: repeated layers share one
    // What the plan depends on changes the key: shape, dtype, and the runtime's kernels.
    auto key_of = [](const fmsim::workloads::Op& op, const RuntimeSpec& rt) {
        std::string key;
        append_plan_key(op, rt, key);
        return key;
    };
    const RuntimeSpec eager = runtimes[0];
    const auto gemm = gemm_op(1, 64, 4096, 4096, DType::bf16);
    EXPECT_EQ(key_of(gemm, eager), key_of(gemm_op(1, 64, 4096, 4096, DType::bf16), eager));
    EXPECT_NE(key_of(gemm, eager), key_of(gemm_op(1, 64, 4096, 4096, DType::fp8), eager));
    EXPECT_NE(key_of(gemm, eager), key_of(gemm_op(1, 64, 4096, 8192, DType::bf16), eager));
    EXPECT_NE(key_of(gemm, eager), key_of(gemm, runtimes[1]));
    const auto softmax = rowwise_op(OpKind::softmax, 8, 65536, DType::bf16);
    RowKernelSpec one_pass;
    RuntimeSpec other = eager;
    other.softmax = one_pass;
    EXPECT_NE(key_of(softmax, eager), key_of(softmax, other));
}
