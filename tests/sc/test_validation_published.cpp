// The published kernel cases (group A_kernel of tests/data/published_cases.json, a copy of
// ../shared/validation/) that fmsim simulates, held where docs/validation.md ("Published kernel
// cases") reports them. None of them calibrated anything: they check the attention mapping on data
// it was not fitted to. Cases on devices without a preset (H20, GB200) and A14 (FlashAttention-2 on
// B200 without SM100 kernels) are listed there, not simulated here.
//
// What is compared: the benchmarks time the kernel with CUDA events over many iterations, so the
// kernel's device time (KernelTiming::time_s, launch included); throughput uses FlashAttention's
// FLOP count, 4·b·h·s_q·s_kv·d, halved when causal (not the op's flops, which add the softmax).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/sim/facade.hpp"
#include "fmsim/sim/report.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/workloads/model.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;

namespace {
struct Shape {
    std::int64_t batch, heads, seq_q, seq_kv, head_dim;
    bool causal = false;
};

double fa_flops(const Shape& s) {
    return 4.0 * static_cast<double>(s.batch * s.heads * s.seq_q * s.seq_kv * s.head_dim) / (s.causal ? 2 : 1);
}

// Device time of the fused attention kernel (launch included).
double attention_s(const Shape& s, const HardwareSpec& hw, DType dtype = DType::bf16) {
    const auto op = attention_op(s.batch, s.heads, s.heads, s.seq_q, s.seq_kv, s.head_dim, s.causal, dtype);
    return simulate_kernel(plan_op(op, hw), hw).time_s;
}

const HardwareSpec& preset(const std::string& name) {
    static std::map<std::string, HardwareSpec> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, load_hardware(name)).first;
    return it->second;
}

// The simulated point cases: measured value (the case's metric), its unit, the shape, the preset,
// and the error docs/validation.md reports (fmsim - measured) / measured in that metric.
struct PointCase {
    const char* id;
    const char* hardware;
    Shape shape;
    double measured;
    bool time_ms;  // the metric is kernel time in ms; otherwise attention throughput in TFLOP/s
    double documented_error;
    DType dtype = DType::bf16;
};
const std::vector<PointCase>& point_cases() {
    static const std::vector<PointCase> cases = {
        // FA3 FP8 on an H100 PCIe; 16 heads as the case derives them.
        {"A09", "h100-pcie", {8, 16, 2048, 2048, 128}, 605.27, false, +0.118, DType::fp8},
        // FA3 BF16 on an H100 (variant not stated; the SXM preset), kernel time.
        {"A10", "h100-sxm", {1, 8, 32768, 32768, 64}, 4.27728, true, -0.122},
        // FA3 on an H100 PCIe, a short sequence with d = 64: fmsim much too fast (docs/validation.md).
        {"A11", "h100-pcie", {16, 32, 1024, 1024, 64}, 243, false, +0.531},
        // FA4 (CuTe-DSL, SM100) on a B200-class GPU, BF16 presumed.
        {"A12", "b200", {4, 16, 8192, 8192, 128}, 1534.8, false, -0.148},
        // FA2 on an A100 (variant not stated); 32 heads and d = 128 as the case derives them.
        {"A13", "a100-sxm-80gb", {1, 32, 4096, 4096, 128}, 185.64, false, +0.192},
        // tritonbench flash_v3 on Hopper (presumably H100; the SXM preset), non-causal BF16.
        {"A16", "h100-sxm", {4, 48, 8192, 8192, 128}, 638.572, false, +0.066},
    };
    return cases;
}

double error_of(const PointCase& c) {
    const double t = attention_s(c.shape, preset(c.hardware), c.dtype);
    const double sim = c.time_ms ? t * 1e3 : fa_flops(c.shape) / t / 1e12;
    return (sim - c.measured) / c.measured;
}

double median_abs(std::vector<double> v) {
    for (double& x : v) x = std::fabs(x);
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// fmsim's best throughput over the FlashAttention papers' sweep: seqlen 512..16k with batch x
// seqlen = 16k tokens, hidden 2048 (heads = 2048 / d), causal and not.
double best_over_sweep(const HardwareSpec& hw, const std::vector<std::int64_t>& head_dims, DType dtype) {
    double best = 0;
    for (std::int64_t s : {512, 1024, 2048, 4096, 8192, 16384})
        for (std::int64_t d : head_dims)
            for (bool causal : {false, true}) {
                const Shape shape{16384 / s, 2048 / d, s, s, d, causal};
                best = std::max(best, fa_flops(shape) / attention_s(shape, hw, dtype) / 1e12);
            }
    return best;
}
}  // namespace

// The measured values above are the data file's.
TEST(ValidationPublished, MeasuredValuesMatchTheDataFile) {
    std::ifstream in(std::string(FMSIM_TEST_DATA_DIR) + "/published_cases.json");
    const auto all = nlohmann::json::parse(in);
    auto value = [&](const std::string& id) {
        for (const auto& c : all)
            if (c["id"] == id) return c["value"].get<double>();
        ADD_FAILURE() << id << " not in published_cases.json";
        return 0.0;
    };
    for (const auto& c : point_cases()) EXPECT_DOUBLE_EQ(c.measured, value(c.id)) << c.id;
    EXPECT_DOUBLE_EQ(value("A17"), 740);
    EXPECT_DOUBLE_EQ(value("A18"), 230);
}

// Each case within its documented error + 2 points; the median of the six attention cases where it
// is (13.5%, under issue 3's 15%; 12.2% with A21's memcopy, docs/validation.md).
TEST(ValidationPublished, AttentionPointCasesDoNotRegress) {
    std::vector<double> errors;
    for (const auto& c : point_cases()) {
        const double e = error_of(c);
        errors.push_back(e);
        EXPECT_LE(std::fabs(e), std::fabs(c.documented_error) + 0.02) << c.id << ": " << e;
    }
    EXPECT_LE(median_abs(errors), 0.145);  // today 13.5%
}

// "Up to" figures are upper bounds: fmsim's best over the papers' sweep may not exceed them by
// more than docs/validation.md reports.
TEST(ValidationPublished, AttentionUpperBounds) {
    // A17: FA3 FP16 "up to 740 TFLOP/s" on H100; today 709.6 (4.1% under).
    EXPECT_LE(best_over_sweep(preset("h100-sxm"), {64, 128, 256}, DType::fp16), 740.0);
    // A17, FP8 "close to 1.2 PFLOP/s" (approximate); today 1187 (1.1% under, docs/validation.md).
    EXPECT_LE(best_over_sweep(preset("h100-sxm"), {64, 128, 256}, DType::fp8), 1200.0 * 1.01);
    // A18: FA2 "up to 230 TFLOP/s" on A100; today 233.6 (1.6% over).
    EXPECT_LE(best_over_sweep(preset("a100-sxm-80gb"), {64, 128}, DType::bf16), 230.0 * 1.036);
}

// A21: a memcopy on an A100 40GB measured at 1355 GB/s (a workshop's roofline reference; whether
// it counts the read and the write is not stated). fmsim's 1 GB copy, read + write over its time,
// streams at the preset's 90% of 1555 GB/s (a different measurement, hardware sheet section 8):
// +3.0% today.
TEST(ValidationPublished, MemcopyOnA100_40GB) {
    const auto& hw = preset("a100-sxm-40gb");
    const auto t = simulate_kernel(plan_op(memcpy_op(1000000000), hw), hw);
    const double gbps = 2e9 / t.time_s / 1e9;
    EXPECT_LE(std::fabs(gbps / 1355 - 1), 0.03 + 0.02) << gbps;
}

namespace {
// `model` run as `run` says, replayed on `hardware` driven by `runtime`.
fmsim::sim::ReplayResult replay_run(const std::string& model, const fmsim::workloads::RunSpec& run,
                                    const std::string& hardware, const std::string& runtime) {
    const auto w = fmsim::workloads::load_model(model)->build(run);
    return fmsim::sim::replay_workload({w, fmsim::workloads::summarize(w)}, hardware, runtime);
}

// `simulated` within the documented relative error of `published` + 2 points.
void expect_within(double simulated, double published, double documented_error) {
    EXPECT_LE(std::fabs(simulated / published - 1), std::fabs(documented_error) + 0.02)
        << simulated << " vs " << published;
}
}  // namespace

// ML.ENERGY's legacy leaderboard (D09, D10; docs/validation.md, "Energy per response"): Hugging
// Face eager generation at batch 1, replayed as the kernels transformers' LLaMA code launches
// (hf-transformers-eager, unfused attention): host-bound, as measured. Held at the documented
// errors + 2 points; fmsim's graph of library kernels (pytorch-eager) was -64% and -55% fast.
TEST(ValidationPublished, EnergyPerResponseDoesNotRegress) {
    struct Case {
        const char* model;
        int output_tokens;
        double latency_s, energy_j, latency_error, energy_error;
    };
    for (const Case& c : {Case{"llama2-7b", 420, 9.442, 1828.77, -0.06, -0.13},
                          Case{"llama2-13b", 379, 12.984, 3050.13, -0.22, -0.16}}) {
        fmsim::workloads::RunSpec run;
        run.phase = fmsim::workloads::RunPhase::generate;
        run.batch = 1;
        run.input_len = 256;
        run.output_len = c.output_tokens;
        run.attention = fmsim::workloads::AttentionImpl::unfused;
        run.precision = fmsim::sim::make_precision("fp16", "", "", "", "");
        const auto r = replay_run(c.model, run, "a100-sxm-80gb", "hf-transformers-eager");
        SCOPED_TRACE(c.model);
        expect_within(r.latency_s, c.latency_s, c.latency_error);
        expect_within(r.energy_j, c.energy_j, c.energy_error);
    }
}

// Group E_memory (docs/validation.md, "Device memory"): device memory at the timeline's peak
// against NVML, llama.cpp's and mmseg's figures, each within its documented error + 2 points, and
// QLoRA's two bounds for LLaMA 65B.
TEST(ValidationPublished, MemoryCasesDoNotRegress) {
    using fmsim::workloads::RunPhase;
    constexpr double kMiB = 1024.0 * 1024, kGiB = kMiB * 1024;
    auto replay = [](const char* model, RunPhase phase, std::int64_t batch, std::int64_t len, const char* precision,
                     bool unfused) {
        fmsim::workloads::RunSpec run;
        run.phase = phase;
        run.batch = batch;
        run.input_len = len;
        if (unfused) run.attention = fmsim::workloads::AttentionImpl::unfused;
        run.precision = fmsim::sim::make_precision(precision, "", "", "", "");
        return replay_run(model, run, "v100-sxm2", "pytorch-eager");
    };
    // E02: weights + the PyTorch context E11 set (2625 MiB, -0.2%).
    const auto loaded = replay("bert-large", RunPhase::encode, 1, 8, "fp32", false);
    expect_within((loaded.memory_at_peak.weights_bytes + loaded.memory_at_peak.runtime_bytes) / kMiB, 2631, 0.002);
    // E01: BERT-large fp32 AdamW training, batch 4 x 512, unfused attention (-8.8%).
    expect_within(replay("bert-large", RunPhase::train, 4, 512, "fp32", true).memory_peak_bytes / kMiB, 14949, 0.088);
    // E06: SegFormer-B0 training, 2 x 512x512, max_memory_allocated (no context; -37.1%).
    const auto seg = replay("segformer-b0", RunPhase::train, 2, 0, "fp32", false);
    expect_within((seg.memory_peak_bytes - seg.memory_at_peak.runtime_bytes) / kGiB, 2.1, 0.371);
    // E12: LLaMA 2 7B f16 weights (-0.6%).
    fmsim::workloads::RunSpec fp16;
    fp16.precision = fmsim::sim::make_precision("fp16", "", "", "", "");
    expect_within(static_cast<double>(fmsim::workloads::summarize(fmsim::workloads::load_model("llama2-7b")->build(fp16)).weight_bytes) / kGiB,
           12.63, 0.006);
    // E08: LLaMA 3 70B as Q4_K_M, replayed as int4g32 (Q4_K's 4.5 bits; -3.1%).
    fmsim::workloads::RunSpec q4;
    q4.precision.weights = DType::int4g32;
    expect_within(static_cast<double>(fmsim::workloads::summarize(fmsim::workloads::load_model("llama3.1-70b")->build(q4)).weight_bytes) / kGiB,
                  39.59, 0.031);
    // E03: QLoRA of LLaMA 65B under 48 GB (47.3 GB); E10: its full 16-bit fine-tuning over 780 GB.
    const auto qlora = fmsim::sim::run_scenario(fmsim::sim::load_scenario(
        std::string(FMSIM_SOURCE_DIR) + "/configs/scenarios/llama2-13b-qlora-l4.json",
        {"model=llama-65b", "hardware=a100-sxm-80gb", "runtime=pytorch-eager", "input_len=512"}));
    EXPECT_LE(qlora.replay->memory_peak_bytes, 48e9);
    fmsim::workloads::RunSpec full;
    full.phase = RunPhase::train;
    full.input_len = 512;
    const auto s = fmsim::workloads::summarize(fmsim::workloads::load_model("llama-65b")->build(full));
    EXPECT_GE(static_cast<double>(s.weight_bytes + s.gradient_bytes + s.optimizer_state_bytes), 780e9);
}
