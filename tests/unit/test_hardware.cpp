// Hardware presets: every preset loads, its engine description reproduces the vendor's published
// peaks, and bad presets are clear errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/workloads/errors.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;

TEST(Hardware, A100DerivedFigures) {
    const auto h = load_hardware("a100-sxm-80gb");
    // 108 SMs x 2048 FLOP/clk x 1.41 GHz boost: the datasheet's 312 TFLOPS. At the sustained
    // 1226 MHz (measured best GEMM, 271.2 TFLOPS) the derived peak is that measurement.
    EXPECT_DOUBLE_EQ(h.peak_matrix_flops_at_boost(DType::bf16), 108.0 * 2048 * 1.41e9);
    EXPECT_NEAR(h.peak_matrix_flops(DType::bf16) / 271.2e12, 1.0, 0.001);
    EXPECT_NEAR(h.peak_vector_flops(DType::fp32) * 1410 / 1226 / 19.5e12, 1.0, 0.005);
    EXPECT_DOUBLE_EQ(h.ridge_point_flops_per_byte(DType::bf16), 108.0 * 2048 * 1.226e9 / 2039e9);
    EXPECT_EQ(h.peak_matrix_flops(DType::fp8), 0) << "A100 has no FP8 tensor path";
}

class HardwarePreset : public ::testing::TestWithParam<std::string> {};

TEST_P(HardwarePreset, ReproducesPublishedPeaks) {
    const auto h = load_hardware(GetParam());
    EXPECT_FALSE(h.sources.empty());
    ASSERT_FALSE(h.published_dense_tflops.empty());
    for (const auto& [dtype, tflops] : h.published_dense_tflops)
        EXPECT_NEAR(h.peak_matrix_flops_at_boost(dtype) / (tflops * 1e12), 1.0, 0.01)
            << GetParam() << " " << fmsim::workloads::to_string(dtype);
    EXPECT_GT(h.memory.bandwidth_gbps, 0);
    EXPECT_LE(h.clock.sustained_mhz, h.clock.boost_mhz);
}

INSTANTIATE_TEST_SUITE_P(All, HardwarePreset, ::testing::ValuesIn(hardware_names()), [](const auto& info) {
    std::string n = info.param;
    for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
});

namespace {
std::string broken_preset(const std::function<void(nlohmann::json&)>& edit) {
    std::ifstream in(fmsim::workloads::config_dir() / "hardware" / "a100-sxm-80gb.json");
    auto j = nlohmann::json::parse(in);
    edit(j);
    const std::string path = ::testing::TempDir() + "broken-hardware.json";
    std::ofstream(path) << j.dump();
    return path;
}

void expect_error(const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    const std::string path = broken_preset(edit);
    try {
        load_hardware(path);
        ADD_FAILURE() << "no error for " << message;
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": " + message), std::string::npos) << e.what();
    }
}
}  // namespace

TEST(Hardware, BadPresetsNameFilePointerAndExpectation) {
    expect_error([](auto& j) { j["memory"]["bandwith_gbps"] = 1; },
                 "/memory/bandwith_gbps: unknown key for hardware.memory (did you mean 'bandwidth_gbps'?)");
    expect_error([](auto& j) { j["clock"]["boost_mhz"] = 1000; }, "/clock/boost_mhz: expected at least sustained_mhz");
    expect_error([](auto& j) { j["cores"]["matrix_engine"]["dense_flops_per_cycle"]["bf17"] = 1; },
                 "/cores/matrix_engine/dense_flops_per_cycle/bf17: unknown dtype");
    expect_error([](auto& j) { j["cores"]["count"] = 0; }, "/cores/count: expected an integer >= 1, got 0");
    expect_error([](auto& j) { j["on_chip"][1].erase("capacity_kib"); },
                 "/on_chip/1: missing required key 'capacity_kib'");
    expect_error([](auto& j) { j["kind"] = "fpga"; }, "/kind: expected one of \"gpu\", \"tpu\", \"npu\", \"soc\"");
}

TEST(Hardware, UnknownPresetSuggestsTheNearest) {
    try {
        load_hardware("a100-sxm-80g");
        FAIL();
    } catch (const fmsim::UserError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'a100-sxm-80gb'?"), std::string::npos);
    }
}
