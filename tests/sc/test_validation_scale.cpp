// The training and multi-device cases (groups C_training and the multi-GPU rows of
// B_llm_inference of tests/data/published_cases.json, a copy of ../shared/validation/), held where
// docs/validation.md ("Training and multi-device cases") reports them. Each case is a scenario
// file in tests/validation_scenarios/ named by its id; scripts/validation_scale.py prints the table.
// None of them calibrated anything (docs/validation.md lists the mechanisms they exposed).
//
// Each simulated case stays within its documented error + 2 points and the median over the
// throughput/MFU cases within issue 5's target of 15%. The three serving cases that take
// 10-45 s to replay (B14, B16: 1000 decode steps; B23) enter the median with their documented
// errors and are not rerun here. A modelling change that moves these cases: regenerate the
// section with the script and update the values below.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "fmsim/sim/report.hpp"
#include "fmsim/sim/scenario.hpp"

using namespace fmsim::sim;

namespace {

enum class Metric {
    hw_tflops,        // TFLOP/s per device with recomputation (Megatron's convention): hfu x peak
    model_tflops,     // model TFLOP/s per device
    mfu,              // fraction of the dense peak at boost clock
    tokens_per_gpu,   // training tokens/s per device
    tokens_system,    // training tokens/s of the whole system
    out_per_gpu,      // serving output tokens/s per device
    latency_ms,       // the run's latency (prefill: time to first token)
    decode_tokens,    // 1 / TPOT: a batch-1 decode speed (llama.cpp's eval rate)
};

RunReport run_case(const std::string& id) {
    return run_scenario(load_scenario(std::string(FMSIM_SOURCE_DIR) + "/tests/validation_scenarios/" + id + ".json"));
}

double metric_of(const RunReport& r, Metric m) {
    switch (m) {
        case Metric::latency_ms: return r.replay->latency_s * 1e3;
        case Metric::out_per_gpu: return *r.throughput_tokens_per_s / static_cast<double>(r.devices);
        case Metric::decode_tokens: return 1 / *r.replay->tpot_s;
        default: break;
    }
    const TrainingReport& t = *r.training;
    switch (m) {
        case Metric::hw_tflops: return t.tflops_per_device * t.hfu / t.mfu;
        case Metric::model_tflops: return t.tflops_per_device;
        case Metric::mfu: return t.mfu;
        case Metric::tokens_per_gpu: return t.tokens_per_s / static_cast<double>(r.devices);
        case Metric::tokens_system: return t.tokens_per_s;
        default: return 0;
    }
}

struct PointCase {
    const char* id;
    Metric metric;
    double published;         // in the metric's unit (MFU as a fraction)
    double documented_error;  // (fmsim - published) / published in docs/validation.md
    bool throughput;          // a throughput/MFU case (in the median), not a latency
    bool replayed;            // rerun here; otherwise its documented error enters the median
};

const std::vector<PointCase>& point_cases() {
    static const std::vector<PointCase> cases = {
        {"C01", Metric::hw_tflops, 163, +0.176, true, true},        // GPT 1T, 3072 A100
        {"C02", Metric::hw_tflops, 137, +0.261, true, true},        // GPT 1.7B, 32 A100
        {"C03", Metric::mfu, 0.514, +0.126, true, true},            // GPT-3 175B, 64 A100
        {"C04", Metric::mfu, 0.563, +0.119, true, true},            // GPT 1T, 512 A100
        {"C05", Metric::mfu, 0.42, -0.140, true, true},             // GPT-3 175B, 4608 H100
        {"C06", Metric::mfu, 0.47, +0.155, true, true},             // GPT-3 175B, 96 H100
        {"C12", Metric::tokens_per_gpu, 380, +0.046, true, true},   // LLaMA 65B, 2048 A100
        {"C21", Metric::tokens_system, 169000, +0.279, true, true}, // GPT3-1.3B, 8 A100
        {"C22", Metric::tokens_system, 85000, +0.330, true, true},  // GPT3-2.7B, 8 A100
        {"C34", Metric::hw_tflops, 62.4, +0.238, true, true},       // GPT-2 1.2B, one V100
        {"C35", Metric::hw_tflops, 156, +0.369, true, true},        // BLOOM 176B, 384 A100
        {"B14", Metric::out_per_gpu, 4205.0 / 2, +0.136, true, false},   // 70B FP8 TP2, 1000/1000
        {"B16", Metric::out_per_gpu, 2919.0 / 8, +0.034, true, false},   // 405B FP8 TP8, 1000/1000
        {"B23", Metric::out_per_gpu, 2657, +0.294, true, false},         // 70B FP8 TP2, batch 1024
        {"B20", Metric::latency_ms, 377, -0.089, false, true},      // 70B FP16 TP4 A100, TTFT
        {"B21", Metric::latency_ms, 109, -0.099, false, true},      // 70B FP8 TP4 H100, TTFT
    };
    return cases;
}

double median_abs(std::vector<double> v) {
    for (double& x : v) x = std::fabs(x);
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double published_value(const std::string& id) {
    static const nlohmann::json all = [] {
        std::ifstream in(std::string(FMSIM_TEST_DATA_DIR) + "/published_cases.json");
        return nlohmann::json::parse(in);
    }();
    for (const auto& c : all)
        if (c["id"] == id) return c["value"].get<double>();
    ADD_FAILURE() << id << " not in published_cases.json";
    return 0;
}

// Replays each case marked so and holds it within its documented error + 2 points; returns the
// throughput cases' errors (the documented one for a case not replayed), for their median.
std::vector<double> throughput_errors_of(const std::vector<PointCase>& cases) {
    std::vector<double> errors;
    for (const auto& c : cases) {
        double e = c.documented_error;
        if (c.replayed) {
            const RunReport r = run_case(c.id);
            e = (metric_of(r, c.metric) - c.published) / c.published;
            EXPECT_LE(std::fabs(e), std::fabs(c.documented_error) + 0.02) << c.id << ": " << e;
        }
        if (c.throughput) errors.push_back(e);
    }
    return errors;
}

}  // namespace

// The published values above are the data file's (the TP-group totals of B14 and B16 per GPU).
TEST(ValidationScale, PublishedValuesMatchTheDataFile) {
    for (const auto& c : point_cases()) {
        const double scale = c.id == std::string("B14") ? 0.5 : c.id == std::string("B16") ? 0.125 : 1.0;
        EXPECT_DOUBLE_EQ(c.published, scale * published_value(c.id)) << c.id;
    }
    EXPECT_DOUBLE_EQ(published_value("C11"), 147);
    EXPECT_DOUBLE_EQ(published_value("C23"), 225);
}

// Each replayed point case within its documented error + 2 points; the median over the
// throughput/MFU cases at its documented 16.6% + 1 point. Issue 5's target of 15% (met at 14.8%)
// has been missed since the GEMM mapper counts FP8 weight panels at 8 bits: 2023's TensorRT-LLM
// FP8 runs (B23) now come out fast (docs/validation.md).
TEST(ValidationScale, PointCasesDoNotRegress) {
    EXPECT_LE(median_abs(throughput_errors_of(point_cases())), 0.166 + 0.01);
}

// "Up to" figures, checked as inequalities where docs/validation.md reports them.
TEST(ValidationScale, Bounds) {
    // "Up to" figures exceeded as the point cases are (per-device efficiency too high), no worse
    // than docs/validation.md reports: C11 OPT-175B 202.8 vs 147 (+38.0%), C23 FlashAttention-2
    // 298.0 vs 225 (+32.4%).
    const RunReport opt = run_case("C11");
    EXPECT_LE(metric_of(opt, Metric::hw_tflops), 147.0 * (1.380 + 0.02));
    const RunReport fa2 = run_case("C23");
    EXPECT_LE(metric_of(fa2, Metric::model_tflops), 225.0 * (1.324 + 0.02));
}

// The single-GPU rows of B_llm_inference (docs/validation.md, "Single-device LLM inference"): each
// within its documented error + 2 points, the median over the throughput cases at its documented
// 7.6% + 2 points. B15 (1000 decode steps of a 70B model) enters with its documented error.
TEST(ValidationScale, SingleDeviceCasesDoNotRegress) {
    const std::vector<PointCase> cases = {
        {"B12", Metric::out_per_gpu, 28312, +0.103, true, true},   // Llama 3.1 8B FP8, H100, 128/128
        {"B13", Metric::out_per_gpu, 3450, +0.074, true, true},    // 2048/128
        {"B15", Metric::out_per_gpu, 2909, -0.076, true, false},   // Llama 3.3 70B FP8, H200, 1000/1000
        {"B22", Metric::out_per_gpu, 5586, +0.043, true, true},    // LLaMA 7B FP16, A100, batch 384
        {"B24", Metric::decode_tokens, 73.83, +0.659, true, true}, // llama.cpp f16, A100
        {"B25", Metric::decode_tokens, 83.32, +0.429, true, true}, // llama.cpp f16, H100 PCIe
        {"B29", Metric::decode_tokens, 19.14, +0.057, true, true}, // MLC q4f16_1 (int4g32), Orin Nano Super
        {"B17", Metric::latency_ms, 7, -0.520, false, true},       // LLaMA 7B FP8 TTFT, 128 tokens
        {"B18", Metric::latency_ms, 36, -0.211, false, true},      // 2048 tokens
        {"B19", Metric::latency_ms, 133, -0.094, false, true},     // FP16 on A100
    };
    for (const auto& c : cases) EXPECT_DOUBLE_EQ(c.published, published_value(c.id)) << c.id;
    EXPECT_LE(median_abs(throughput_errors_of(cases)), 0.076 + 0.02);
}
