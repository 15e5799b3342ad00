// Multi-device and training runs: the replay of one device per pipeline stage, composed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "fmsim/sim/report.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/workloads/errors.hpp"

using namespace fmsim::sim;

namespace {
RunReport run_json(const std::string& name, const nlohmann::json& j) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << j.dump();
    return run_scenario(load_scenario(path));
}
nlohmann::json llama70b_decode(std::int64_t devices) {
    nlohmann::json j = {{"name", "t"},       {"model", "llama2-70b"}, {"hardware", "h100-sxm"}, {"phase", "generate"},
                        {"batch", 8},        {"input_len", 512},      {"output_len", 8},         {"runtime", "cuda-graphs"}};
    if (devices > 1) {
        j["system"] = {{"devices", devices}, {"devices_per_node", 8}, {"intra_node", "nvlink4"}};
        j["parallelism"] = {{"tp", devices}};
    }
    return j;
}
}  // namespace

TEST(Scale, TensorParallelDecodeIsFasterAndFits) {
    const auto one = run_json("tp1.json", llama70b_decode(1));
    const auto eight = run_json("tp8.json", llama70b_decode(8));
    ASSERT_TRUE(one.replay && eight.replay);
    EXPECT_FALSE(one.replay->fits);  // 138 GB of weights on one 80 GB device
    EXPECT_TRUE(eight.replay->fits);
    // Decode reads the weights once per token: an eighth of them per device, plus all-reduces.
    EXPECT_LT(*eight.replay->tpot_s, *one.replay->tpot_s / 4);
    EXPECT_GT(*eight.replay->tpot_s, *one.replay->tpot_s / 8);
    EXPECT_GT(eight.replay->communication_s, 0);
    // Time by module group adds up to the latency (the all-reduces are in their ops' groups).
    double grouped = 0;
    for (double g : eight.replay->group_time_s) grouped += g;
    EXPECT_NEAR(grouped, eight.replay->latency_s, 1e-9 * eight.replay->latency_s);
    EXPECT_EQ(eight.parallelism, "tp 8 x pp 1 x dp 1");
    // Energy is the system's: eight devices, counted once in the report (and at the wall x PUE).
    EXPECT_GT(eight.replay->energy_j, 4 * one.replay->energy_j / 8);
    const auto json = nlohmann::json::parse(report_json(eight));
    EXPECT_DOUBLE_EQ(json["energy"]["total_j"].get<double>(), eight.replay->energy_j);
    EXPECT_NEAR(json["energy"]["facility_kwh"].get<double>(), eight.replay->energy_j * 1.1 / 3.6e6, 1e-12);
}

TEST(Scale, TrainingStepComposesPipelineAndDataParallelism) {
    nlohmann::json j = {{"name", "t"},
                        {"model", "gpt3-1.3b"},
                        {"hardware", "a100-sxm-80gb"},
                        {"phase", "train"},
                        {"input_len", 2048},
                        {"system", {{"devices", 16}, {"devices_per_node", 8}, {"intra_node", "nvlink3"}, {"inter_node", "ib-hdr"}}},
                        {"parallelism", {{"tp", 2}, {"pp", 2}, {"dp", 4}, {"microbatch_size", 2}}},
                        {"training", {{"global_batch", 64}, {"tokens", 1e9}}},
                        {"cost", {{"usd_per_device_hour", 2}}}};
    const auto r = run_json("train.json", j);
    ASSERT_TRUE(r.training);
    const auto& t = *r.training;
    EXPECT_EQ(t.microbatches, 8);  // 64 / (4 replicas x 2 sequences)
    // 1F1B: the bubble is (pp - 1) micro-batch slots; the parts add up to the step.
    EXPECT_NEAR(t.bubble_s, t.compute_s / 8, 1e-9);
    EXPECT_NEAR(t.compute_s + t.bubble_s + t.exposed_communication_s + t.optimizer_s, t.step_time_s, 1e-9);
    EXPECT_NEAR(t.tokens_per_s, 64.0 * 2048 / t.step_time_s, 1e-6 * t.tokens_per_s);
    EXPECT_NEAR(t.steps, 1e9 / (64.0 * 2048), 1e-6);
    EXPECT_NEAR(t.device_hours, t.steps * t.step_time_s * 16 / 3600, 1e-6 * t.device_hours);
    EXPECT_NEAR(*t.cost_usd, 2 * t.device_hours, 1e-9 * *t.cost_usd);
    EXPECT_GT(t.mfu, 0.2);
    EXPECT_LT(t.mfu, 0.8);
    EXPECT_GE(t.hfu, t.mfu);
    // The report's time by module group is a device's per step: its micro-batches' forward and
    // backward ops and its optimizer update, averaged over the two stages' devices (the step also
    // holds the bubble and exposed communication). The stages are near equal, so near compute_s.
    double grouped = 0, optimizer = 0;
    for (double g : r.replay->group_time_s) grouped += g;
    for (double g : r.replay->optimizer_group_time_s) optimizer += g;
    EXPECT_LE(optimizer, t.optimizer_s * (1 + 1e-9));  // the step waits for the slowest stage's
    EXPECT_GT(optimizer, 0.8 * t.optimizer_s);
    EXPECT_LE(grouped, t.compute_s + t.optimizer_s);
    EXPECT_GT(grouped, 0.9 * (t.compute_s + t.optimizer_s));
    // ZeRO-1 shards the optimizer states over the 4 replicas.
    j["parallelism"]["zero"] = 1;
    const auto z = run_json("zero.json", j);
    EXPECT_LT(z.training->memory_per_device_bytes, t.memory_per_device_bytes);
    // Interleaved 1F1B with 2 chunks per device: half the bubble, the same compute, and the first
    // stage holds (pp - 1) / v = 0.5 micro-batches' activations more.
    j["parallelism"]["virtual_stages"] = 2;
    const auto v = run_json("interleaved.json", j);
    EXPECT_NEAR(v.training->bubble_s, t.bubble_s / 2, 1e-9);
    EXPECT_NEAR(v.training->compute_s, t.compute_s, 1e-9);
    EXPECT_GT(v.training->memory_per_device_bytes, z.training->memory_per_device_bytes);
    EXPECT_EQ(v.parallelism, "tp 2 x pp 2 x dp 4, ZeRO-1, 2 virtual stages");
}

TEST(Scale, PlansThatDoNotDivideTheModelNameTheKey) {
    nlohmann::json j = llama70b_decode(8);
    j["system"]["devices"] = 6;
    j["system"]["devices_per_node"] = 6;
    j["parallelism"]["tp"] = 6;  // 64 heads
    try {
        run_json("tp6.json", j);
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("/parallelism: tp 6 does not divide llama2-70b's 64 attention heads"),
                  std::string::npos)
            << e.what();
    }
}
