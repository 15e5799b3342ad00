// The A100 validation cases (tests/data/llmcompass_measured.json, a copy of ../shared/validation/)
// held to issue 3's targets: per sweep, median absolute error <= 10% and no case worse than 25%;
// the GPT-3 layers within the bounds docs/validation.md reports. Each op is timed as the
// LLMCompass scripts timed it: one synchronous call (hwmodels::isolated_call_s) under the runtime
// the script used: matmul, bmm and softmax eagerly, LayerNorm and GELU through torch.compile.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/hwmodels/runtime.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;
using fmsim::workloads::OpKind;

namespace {
const HardwareSpec& a100() {
    static const HardwareSpec h = load_hardware("a100-sxm-80gb");
    return h;
}
const nlohmann::json& measured() {
    static const nlohmann::json j = [] {
        std::ifstream in(std::string(FMSIM_TEST_DATA_DIR) + "/llmcompass_measured.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}
// The software stack of a measured machine: PyTorch eager and torch.compile on CUDA or ROCm.
struct Stack {
    RuntimeSpec eager, compiled;
};
const Stack& cuda() {
    static const Stack s{load_runtime("pytorch-eager"), load_runtime("pytorch-compile")};
    return s;
}
const Stack& rocm() {
    static const Stack s{load_runtime("rocm-pytorch-eager"), load_runtime("rocm-pytorch-compile")};
    return s;
}
// One synchronous call of `op` on `hw`, under the runtime the LLMCompass script used for it.
double call_of(const fmsim::workloads::Op& op, const HardwareSpec& hw = a100(), const Stack& stack = cuda()) {
    const bool compiled_call = op.kind == OpKind::layer_norm || op.kind == OpKind::activation;
    const RuntimeSpec& rt = compiled_call ? stack.compiled : stack.eager;
    return isolated_call_s(op, simulate_kernel(plan_op(op, hw, rt), hw), rt);
}
double median_abs(std::vector<double> v) {
    for (double& x : v) x = std::fabs(x);
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
double worst_abs(const std::vector<double>& v) {
    double w = 0;
    for (double x : v) w = std::max(w, std::fabs(x));
    return w;
}
// Relative errors of one measured sweep ("matmul", "softmax", "layernorm" or "gelu") of `device`
// (a key of the file: "A100", "MI210") replayed on `hw`.
std::vector<double> sweep_errors(const std::string& sweep, const std::string& device, const HardwareSpec& hw,
                                 const Stack& stack = cuda()) {
    std::vector<double> errors;
    for (const auto& r : measured()[sweep][device]) {
        double meas = 0;
        fmsim::workloads::Op op;
        if (sweep == "matmul") {
            meas = r["latency_ms"].get<double>() / 1e3;
            op = gemm_op(1, r["M"], r["N"], r["K"], DType::bf16);
        } else if (sweep == "gelu") {
            meas = r["elements"].get<double>() / r["gelements_per_s"].get<double>() / 1e9;
            op = elementwise_op(OpKind::activation, r["elements"], 9, DType::bf16);
        } else {
            meas = r["M"].get<double>() * r["N"].get<double>() / r["gelements_per_s"].get<double>() / 1e9;
            op = rowwise_op(sweep == "softmax" ? OpKind::softmax : OpKind::layer_norm, r["M"], r["N"], DType::bf16);
        }
        errors.push_back((call_of(op, hw, stack) - meas) / meas);
    }
    return errors;
}
}  // namespace

TEST(ValidationA100, GemmSweepMeetsTargets) {
    const auto errors = sweep_errors("matmul", "A100", a100());
    EXPECT_LE(median_abs(errors), 0.10);  // today 7.2%
    EXPECT_LE(worst_abs(errors), 0.25);   // today 17.4%
}

TEST(ValidationA100, SoftmaxSweepMeetsTargets) {
    const auto errors = sweep_errors("softmax", "A100", a100());
    EXPECT_LE(median_abs(errors), 0.10);  // today 3.8%
    EXPECT_LE(worst_abs(errors), 0.25);   // today 18.8%
}

TEST(ValidationA100, LayerNormSweepMeetsTargets) {
    const auto errors = sweep_errors("layernorm", "A100", a100());
    EXPECT_LE(median_abs(errors), 0.10);  // today 6.5%
    EXPECT_LE(worst_abs(errors), 0.25);   // today 14.2%
}

TEST(ValidationA100, GeluSweepMeetsTargets) {
    const auto errors = sweep_errors("gelu", "A100", a100());
    EXPECT_LE(median_abs(errors), 0.10);  // today 2.5%
    EXPECT_LE(worst_abs(errors), 0.25);   // today 18.8%
}

// GPT-3 175B, TP 4 (per-GPU shapes), batch 8; all-reduces excluded. Prefill: 2048 tokens; decode:
// one token over a 3072-token KV cache.
void check_gpt3_layer(const char* phase, double layer_bound, double per_op_median_bound) {
    const bool prefill = std::string(phase) == "prefill";
    const std::int64_t d = 12288, bh = 8 * 24, hd = 128;
    const std::int64_t tokens = prefill ? 8 * 2048 : 8, q = prefill ? 2048 : 1, kv = prefill ? 2048 : 3072;
    const auto& lat = measured()["gpt3_layer_tp4"][phase]["latency_s"];
    const std::vector<std::pair<const char*, fmsim::workloads::Op>> ops = {
        {"qkv_projection", gemm_op(1, tokens, 3 * d / 4, d, DType::bf16)},
        {"q_times_kT", gemm_op(bh, q, kv, hd, DType::bf16)},
        {"attention_times_v", gemm_op(bh, q, hd, kv, DType::bf16)},
        {"output_projection", gemm_op(1, tokens, d, d / 4, DType::bf16)},
        {"ffn_up", gemm_op(1, tokens, d, d, DType::bf16)},
        {"ffn_down", gemm_op(1, tokens, d, d, DType::bf16)},
        {"softmax", rowwise_op(OpKind::softmax, bh * q, kv, DType::bf16)},
        {"layernorm_attention", rowwise_op(OpKind::layer_norm, tokens, d, DType::bf16)},
        {"layernorm_ffn", rowwise_op(OpKind::layer_norm, tokens, d, DType::bf16)},
        {"gelu", elementwise_op(OpKind::activation, tokens * d, 9, DType::bf16)},
    };
    double meas_total = 0, sim_total = 0;
    std::vector<double> errors;
    for (const auto& [name, op] : ops) {
        const double meas = lat[name].get<double>(), sim = call_of(op);
        meas_total += meas;
        sim_total += sim;
        errors.push_back((sim - meas) / meas);
    }
    EXPECT_NEAR(sim_total / meas_total, 1.0, layer_bound) << phase;
    EXPECT_LE(median_abs(errors), per_op_median_bound) << phase;
}

TEST(ValidationA100, Gpt3LayerPrefill) { check_gpt3_layer("prefill", 0.04, 0.06); }  // today +2.9%, 5.0%
TEST(ValidationA100, Gpt3LayerDecode) { check_gpt3_layer("decode", 0.03, 0.09); }    // today -1.5%, 7.9%

// The MI210 preset (clock and STREAM rate from other measurements) under the ROCm runtimes, whose
// floors and streaming rate come from these sweeps' smallest cases and GELU plateau
// (docs/validation.md), and whose LayerNorm row cost comes from the sweep's one-pass cases: all four
// within issue 3's 15% median for other devices; none of the errors may grow.
TEST(ValidationMi210, SweepsDoNotRegress) {
    const HardwareSpec mi210 = load_hardware("mi210");
    const auto gemm = sweep_errors("matmul", "MI210", mi210, rocm());
    EXPECT_LE(median_abs(gemm), 0.065);  // today 6.0%
    EXPECT_LE(worst_abs(gemm), 0.245);   // today 23.8%
    const auto softmax = sweep_errors("softmax", "MI210", mi210, rocm());
    EXPECT_LE(median_abs(softmax), 0.045);  // today 3.9%
    EXPECT_LE(worst_abs(softmax), 0.315);   // today 31.0%
    const auto layernorm = sweep_errors("layernorm", "MI210", mi210, rocm());
    EXPECT_LE(median_abs(layernorm), 0.05);  // today 4.6% (11.7% over the 16 cases the row cost is not from)
    EXPECT_LE(worst_abs(layernorm), 0.405);  // today 39.9% (128 x 4096)
    const auto gelu = sweep_errors("gelu", "MI210", mi210, rocm());
    EXPECT_LE(median_abs(gelu), 0.04);  // today 3.5%
    EXPECT_LE(worst_abs(gelu), 0.07);   // today 6.5%
}
