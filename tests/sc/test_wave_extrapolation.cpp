// A kernel of many waves is simulated for a few and extrapolated (device_sc.cpp, extrapolated_run):
// the extrapolated time must match simulating every wave, for GEMMs, streaming, row-wise and
// attention kernels of batch sizes that give tens to hundreds of waves, on two devices.
#include <gtest/gtest.h>

#include <cstdio>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/hwmodels/runtime.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;
using fmsim::workloads::OpKind;

namespace {
struct Case {
    const char* name;
    fmsim::workloads::Op op;
};

std::vector<Case> cases() {
    return {
        {"gemm 16384x4096x4096", gemm_op(1, 16384, 4096, 4096, DType::bf16)},
        {"gemm 65536x11008x4096", gemm_op(1, 65536, 11008, 4096, DType::bf16)},
        {"gemm 8192x32000x4096 (lm head)", gemm_op(1, 8192, 32000, 4096, DType::bf16)},
        {"gemm fp8 32768x8192x8192", gemm_op(1, 32768, 8192, 8192, DType::fp8)},
        {"gelu 2^30 elements", elementwise_op(OpKind::activation, std::int64_t{1} << 30, 9, DType::bf16)},
        {"softmax 262144x4096", rowwise_op(OpKind::softmax, 262144, 4096, DType::bf16)},
        {"layernorm 1048576x1024", rowwise_op(OpKind::layer_norm, 1048576, 1024, DType::bf16)},
        {"attention prefill b64 h32 s2048", attention_op(64, 32, 32, 2048, 2048, 128, true, DType::bf16)},
        {"attention decode b4096 h32 kv4096", attention_op(4096, 32, 8, 1, 4096, 128, false, DType::bf16)},
        {"memcpy 8 GB", memcpy_op(std::int64_t{8} << 30)},
    };
}
}  // namespace

TEST(WaveExtrapolation, MatchesSimulatingEveryWave) {
    const RuntimeSpec rt = load_runtime(kDefaultRuntime);
    for (const char* device : {"a100-sxm-80gb", "h100-sxm"}) {
        const HardwareSpec hw = load_hardware(device);
        for (const auto& c : cases()) {
            const TileProgram plan = plan_op(c.op, hw, rt);
            const double every = simulate_kernel(plan, hw, 0).time_s;
            const double extrapolated = simulate_kernel(plan, hw).time_s;
            const double waves = static_cast<double>(plan.tiles) / static_cast<double>(hw.cores * plan.tiles_per_core_at_once);
            std::printf("  %-14s %-36s %8.1f waves  every wave %10.3f us  extrapolated %+.2e\n", device, c.name, waves,
                        every * 1e6, extrapolated / every - 1);
            EXPECT_NEAR(extrapolated / every, 1.0, 1e-3) << device << " " << c.name << " (" << waves << " waves)";
        }
    }
}
