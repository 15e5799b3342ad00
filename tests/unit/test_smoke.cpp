#include <gtest/gtest.h>

#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

TEST(Smoke, Llama2PrefillBuilds) {
    auto m = load_model("llama2-7b");
    RunSpec r;
    r.phase = RunPhase::prefill;
    r.input_len = 128;
    auto s = summarize(m->build(r));
    EXPECT_NEAR(s.params_total, 6.74e9, 0.005 * 6.74e9);
}
