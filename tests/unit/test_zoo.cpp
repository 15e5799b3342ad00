// Every zoo model: it loads, builds its default phase, and its parameter count matches the
// published figure (within 0.5%, or the rounding of a published size label where the zoo file
// says so and why).
#include <gtest/gtest.h>

#include <algorithm>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

using namespace fmsim::workloads;

namespace {
// The models the foundation issue names; the zoo must hold each of them.
const char* const kRequiredZoo[] = {
    "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3-125m", "gpt3-350m", "gpt3-760m", "gpt3-1.3b",
    "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b", "gpt3-175b", "llama-7b", "llama-13b", "llama-65b", "llama2-7b",
    "llama2-13b", "llama2-70b", "llama3.1-8b", "llama3.1-70b", "llama3.1-405b", "mistral-7b", "mixtral-8x7b",
    "opt-175b", "vicuna-7b"};
}  // namespace

TEST(Zoo, HoldsTheDecoderModels) {
    const auto names = zoo_names();
    for (const char* n : kRequiredZoo) EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

class ZooModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooModel, MatchesPublishedParameterCount) {
    const auto m = load_model(GetParam());
    ASSERT_TRUE(m->published_params.has_value()) << "zoo entries carry a published count";
    EXPECT_FALSE(m->published_source.empty());
    RunSpec run;
    run.phase = m->default_phase();  // with the model's default lengths
    const auto s = summarize(m->build(run));
    const double published = *m->published_params;
    const double tol = std::max(0.005, m->published_params_precision);
    EXPECT_NEAR(static_cast<double>(s.params_total) / published, 1.0, tol)
        << GetParam() << ": " << s.params_total << " vs published " << published;
    if (m->published_active_params) {
        EXPECT_NEAR(s.params_active / *m->published_active_params, 1.0, 0.005) << GetParam();
    }
    EXPECT_GT(s.flops, 0);
}

INSTANTIATE_TEST_SUITE_P(All, ZooModel, ::testing::ValuesIn(zoo_names()),
                         [](const auto& info) {
                             std::string n = info.param;
                             std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(c); }, '_');
                             return n;
                         });

// Every phase of every zoo model either builds a consistent workload or is refused with a user
// error; nothing crashes.
TEST_P(ZooModel, EveryPhaseBuildsOrIsRefusedClearly) {
    const auto m = load_model(GetParam());
    int built = 0;
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::train, RunPhase::encode,
                       RunPhase::sample}) {
        RunSpec run;
        run.phase = p;
        run.output_len = p == RunPhase::generate ? 3 : 0;
        run.steps = p == RunPhase::sample ? 2 : 0;
        try {
            const Workload w = m->build(run);
            ++built;
            ASSERT_FALSE(w.stages.empty());
            for (const Stage& s : w.stages) EXPECT_NO_THROW(s.graph->topological_order()) << s.name;
            const auto sum = summarize(w);
            EXPECT_GT(sum.flops, 0) << to_string(p);
            if (p == RunPhase::train) {
                // Frozen towers (SD's text encoder and VAE, ImageBind's image and text encoders) run
                // forward only, so the backward can be smaller than the forward; it is never absent.
                EXPECT_GT(sum.flops_by_phase[1], 0);
                EXPECT_GT(sum.optimizer_state_bytes, 0);
            }
        } catch (const fmsim::UserError& e) {
            EXPECT_FALSE(std::string(e.what()).empty());
        }
    }
    EXPECT_GE(built, 2) << GetParam() << " supports at least its default phase and training";
}
