// Long generations simulate at most RunSpec::max_decode_samples decode steps, each counted for its
// run of steps at the run's midpoint context (workloads/src/builder.hpp, sample_decode_steps). The
// sampled totals must match simulating every step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include "fmsim/sim/facade.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

namespace {
using fmsim::workloads::DecodeSample;
using fmsim::workloads::RunPhase;
using fmsim::workloads::RunSpec;
using fmsim::workloads::sample_decode_steps;

TEST(DecodeSampling, RunsCoverEveryStepOnce) {
    const auto s = sample_decode_steps(512, 1000, 64);
    ASSERT_EQ(s.size(), 64u);
    std::int64_t steps = 0, next_first = 512;
    for (const DecodeSample& d : s) {
        const std::int64_t first = d.last_context - d.repeat + 1;
        EXPECT_EQ(first, next_first);                        // runs are contiguous
        EXPECT_TRUE(d.repeat == 1000 / 64 || d.repeat == 1000 / 64 + 1);
        EXPECT_EQ(d.context, first + (d.repeat - 1) / 2);    // the midpoint step
        steps += d.repeat;
        next_first = d.last_context + 1;
    }
    EXPECT_EQ(steps, 1000);
    EXPECT_EQ(s.back().last_context, 512 + 999);
}

TEST(DecodeSampling, FewStepsOrNoLimitSimulateEach) {
    for (const auto& s : {sample_decode_steps(100, 10, 64), sample_decode_steps(100, 10, 0)}) {
        ASSERT_EQ(s.size(), 10u);
        for (std::size_t i = 0; i < s.size(); ++i) {
            EXPECT_EQ(s[i].context, 100 + static_cast<std::int64_t>(i));
            EXPECT_EQ(s[i].repeat, 1);
        }
    }
    EXPECT_TRUE(sample_decode_steps(100, 0, 64).empty());
}

fmsim::sim::ReplayResult generate(const std::string& model, std::int64_t output_len, std::int64_t samples,
                                  fmsim::workloads::AttentionImpl attention) {
    RunSpec r;
    r.phase = RunPhase::generate;
    r.batch = 8;
    r.input_len = 512;
    r.output_len = output_len;
    r.attention = attention;
    r.max_decode_samples = samples;
    const auto w = fmsim::workloads::load_model(model)->build(r);
    return fmsim::sim::replay_workload({w, fmsim::workloads::summarize(w)}, "a100-sxm-80gb");
}

void expect_close(double sampled, double exact, double rel, const char* what) {
    EXPECT_NEAR(sampled / exact, 1.0, rel) << what << ": sampled " << sampled << " vs every step " << exact;
    std::printf("  %-8s sampled / every step - 1 = %+.2e\n", what, sampled / exact - 1);
}

// 1,023 decode steps in 64 samples against all 1,023 simulated: latency, TPOT and energy within
// 0.1%; the memory peak within 1e-5 (the KV cache is the last step's, exact; unfused attention's
// score tensors are the sampled step's, up to one run of 16 steps shorter). Fused and unfused.
TEST(DecodeSampling, SampledGenerationMatchesEveryStep) {
    for (auto attention : {fmsim::workloads::AttentionImpl::fused, fmsim::workloads::AttentionImpl::unfused}) {
        const auto exact = generate("llama2-7b", 1024, 0, attention);
        const auto sampled = generate("llama2-7b", 1024, 64, attention);
        expect_close(sampled.latency_s, exact.latency_s, 1e-3, "latency");
        expect_close(*sampled.tpot_s, *exact.tpot_s, 1e-3, "TPOT");
        expect_close(*sampled.ttft_s, *exact.ttft_s, 1e-12, "TTFT");
        expect_close(sampled.energy_j, exact.energy_j, 1e-3, "energy");
        expect_close(sampled.memory_peak_bytes, exact.memory_peak_bytes, 1e-5, "memory");
        EXPECT_LE(sampled.memory_peak_bytes, exact.memory_peak_bytes);
        EXPECT_LT(sampled.kernels_simulated + sampled.kernels_reused, exact.kernels_simulated + exact.kernels_reused);
    }
}

}  // namespace
