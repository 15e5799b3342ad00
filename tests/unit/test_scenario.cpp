// Scenario files: --set overrides, hardware overrides and inline objects, resolved once.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "fmsim/sim/scenario.hpp"
#include "fmsim/sim/session.hpp"
#include "fmsim/workloads/errors.hpp"

using fmsim::sim::load_scenario;

namespace {
std::string write_scenario(const std::string& name, const nlohmann::json& j) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << j.dump();
    return path;
}
const nlohmann::json base = {{"name", "t"}, {"model", "gpt2"}, {"hardware", "h100-sxm"}, {"batch", 2}, {"input_len", 64}};
}  // namespace

TEST(Scenario, DefaultsAndSets) {
    const auto path = write_scenario("sets.json", base);
    const auto sc = load_scenario(path);
    EXPECT_EQ(sc.run.batch, 2);
    EXPECT_EQ(sc.runtime.name, "pytorch-eager");
    EXPECT_EQ(sc.system.devices, 1);
    EXPECT_DOUBLE_EQ(sc.cost.pue, 1.1);
    EXPECT_FALSE(sc.cost.usd_per_device_hour);
    // Numbers parse as JSON, names as strings, and nested keys create their objects.
    const auto set = load_scenario(path, {"batch=64", "phase=decode", "cost.usd_per_device_hour=3.5",
                                          "hardware_overrides.memory.bandwidth_gb_per_s=4800"});
    EXPECT_EQ(set.run.batch, 64);
    EXPECT_EQ(*set.phase, fmsim::workloads::RunPhase::decode);
    EXPECT_DOUBLE_EQ(*set.cost.usd_per_device_hour, 3.5);
    EXPECT_DOUBLE_EQ(set.hardware->memory.bandwidth_gb_per_s, 4800);
    EXPECT_DOUBLE_EQ(sc.hardware->memory.bandwidth_gb_per_s, 3350);  // the preset's
    EXPECT_EQ(nlohmann::json::parse(set.resolved_json)["batch"], 64);
}

TEST(Scenario, AttentionAutoFollowsTheRuntime) {
    using fmsim::workloads::AttentionImpl;
    const auto path = write_scenario("attention.json", base);
    EXPECT_EQ(load_scenario(path).run.attention, AttentionImpl::fused);  // pytorch-eager says any
    // transformers' 2023 eager code runs unfused attention; an explicit choice still wins.
    EXPECT_EQ(load_scenario(path, {"runtime=hf-transformers-eager"}).run.attention, AttentionImpl::unfused);
    EXPECT_EQ(load_scenario(path, {"runtime=hf-transformers-eager", "attention=fused"}).run.attention,
              AttentionImpl::fused);
    EXPECT_EQ(load_scenario(path, {"attention=unfused"}).run.attention, AttentionImpl::unfused);
}

TEST(Scenario, OverridesKeepTheRestOfThePreset) {
    auto j = base;
    j["hardware_overrides"] = {{"clock", {{"sustained_mhz", 1000}}}};
    const auto sc = load_scenario(write_scenario("overrides.json", j));
    EXPECT_DOUBLE_EQ(sc.hardware->clock.sustained_mhz, 1000);
    EXPECT_DOUBLE_EQ(sc.hardware->clock.boost_mhz, 1830);  // untouched (h100-sxm preset)
    EXPECT_EQ(sc.hardware->cores, 132);
}

TEST(Scenario, InlineHardwareIsAPresetWithoutAFile) {
    std::ifstream in(fmsim::workloads::config_dir() / "hardware" / "l4.json");
    auto j = base;
    j["hardware"] = nlohmann::json::parse(in);
    j["hardware"]["memory"]["capacity_gb"] = 48;
    const auto sc = load_scenario(write_scenario("inline.json", j));
    EXPECT_DOUBLE_EQ(sc.hardware->memory.capacity_gb, 48);
    EXPECT_EQ(sc.hardware->name, "inline");
}

TEST(Scenario, SetErrorsNameTheKey) {
    const auto path = write_scenario("set-errors.json", base);
    try {
        load_scenario(path, {"model.hidden_size=5"});  // model is a name, not an object
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": /model: --set model.hidden_size"), std::string::npos) << e.what();
    }
    EXPECT_THROW(load_scenario(path, {"batch"}), fmsim::UserError);
    try {
        load_scenario(path, {"batch=0"});
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": /batch: expected an integer >= 1, got 0"), std::string::npos)
            << e.what();
    }
}

TEST(Session, RebaseKeepsPresetNamesAndAnchorsPaths) {
    // A scenario written to another folder (the GUI's worker copy, Save As) loads the same files.
    const std::string text = R"({"name": "t", "model": "../models/m.json", "hardware": "h100-sxm",
                                 "runtime": "rt/eager.json", "system": {"intra_node": "nvlink4", "inter_node": "links/ib.json"}})";
    const auto j = nlohmann::json::parse(fmsim::sim::rebase_scenario_refs(text, "/data/scenarios"));
    EXPECT_EQ(j["model"], "/data/models/m.json");
    EXPECT_EQ(j["hardware"], "h100-sxm");
    EXPECT_EQ(j["runtime"], "/data/scenarios/rt/eager.json");
    EXPECT_EQ(j["system"]["intra_node"], "nvlink4");
    EXPECT_EQ(j["system"]["inter_node"], "/data/scenarios/links/ib.json");
    EXPECT_THROW(fmsim::sim::rebase_scenario_refs("[1]", "/x"), fmsim::UserError);
}

TEST(Session, HardwareFromEditedTextIsValidatedAsAPreset) {
    std::ifstream in(fmsim::sim::hardware_preset_file("a100-sxm-80gb"));
    auto j = nlohmann::json::parse(in);
    j["clock"]["sustained_mhz"] = 1000;
    const auto hw = fmsim::sim::hardware_from_json_text(j.dump(), "/tmp/edited.json");
    EXPECT_DOUBLE_EQ(hw.peak_matrix_flops(fmsim::workloads::DType::bf16), 108 * 2048 * 1000e6);
    j["clock"]["sustained_mhz"] = "fast";
    try {
        fmsim::sim::hardware_from_json_text(j.dump(), "/tmp/edited.json");
        FAIL() << "a string clock was accepted";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("/tmp/edited.json: /clock/sustained_mhz"), std::string::npos) << e.what();
    }
}
