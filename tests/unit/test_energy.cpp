// Energy model: action counts x technology tables + static power x time (docs/hardware-model.md,
// "Energy"); tables are validated like every config, and every value traces to the sheet.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "fmsim/hwmodels/energy.hpp"
#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;

namespace {
EnergyCosts round_costs() {
    EnergyCosts e;
    e.mac_pj = {{DType::bf16, 0.5}, {DType::fp32, 2.0}};
    e.dram_pj_per_byte = 100;
    e.chip_sram_pj_per_byte = 10;
    e.core_sram_pj_per_byte = 1;
    e.static_w = 50;
    return e;
}
}  // namespace

TEST(Energy, KnownCountsTimesTableExactly) {
    ActionCounts c;
    c.matrix_flops[DType::bf16] = 2e12;  // 1e12 MACs x 0.5 pJ = 0.5 J
    c.vector_flops[DType::fp32] = 1e9;   // half a 2 pJ MAC each: 1 mJ
    c.dram_bytes = 1e9;                  // x 100 pJ = 0.1 J
    c.chip_sram_bytes = 2e9;             // x 10 pJ = 20 mJ
    c.core_sram_bytes = 3e9;             // x 1 pJ = 3 mJ
    const EnergyBreakdown e = energy_of(c, round_costs(), 0.01);
    EXPECT_DOUBLE_EQ(e.matrix_j, 2e12 / 2 * 0.5 * 1e-12);
    EXPECT_DOUBLE_EQ(e.vector_j, 1e9 / 2 * 2.0 * 1e-12);
    EXPECT_DOUBLE_EQ(e.dram_j, 1e9 * 100 * 1e-12);
    EXPECT_DOUBLE_EQ(e.chip_sram_j, 2e9 * 10 * 1e-12);
    EXPECT_DOUBLE_EQ(e.core_sram_j, 3e9 * 1 * 1e-12);
    EXPECT_DOUBLE_EQ(e.static_j, 50 * 0.01);
    EXPECT_DOUBLE_EQ(e.total_j(), e.matrix_j + e.vector_j + e.dram_j + e.chip_sram_j + e.core_sram_j + e.static_j);
    EXPECT_NEAR(e.total_j(), 0.5 + 0.001 + 0.1 + 0.02 + 0.003 + 0.5, 1e-12);
}

TEST(Energy, StaticEnergyIsIdlePowerTimesTime) {
    const auto h = load_hardware("h100-sxm");  // no measured figures: static power is power.idle_w
    EXPECT_DOUBLE_EQ(h.energy.static_w, h.power.idle_w);
    const EnergyBreakdown e = energy_of(ActionCounts{}, h.energy, 2.5);
    EXPECT_DOUBLE_EQ(e.static_j, h.power.idle_w * 2.5);
    EXPECT_DOUBLE_EQ(e.total_j(), e.static_j);
    EXPECT_DOUBLE_EQ(dynamic_energy(ActionCounts{}, h.energy).total_j(), 0);
}

TEST(Energy, CountsOfATileProgramAreTilesTimesPerTile) {
    TileProgram p;
    p.tiles = 7;
    p.matrix_dtype = DType::bf16;
    p.matrix_flops_per_tile = 1e6;
    p.vector_dtype = DType::fp32;
    p.vector_flops_per_tile = 1e3;
    p.dram_bytes_per_tile = 10;
    p.l2_bytes_per_tile = 20;
    p.core_sram_bytes_per_tile = 30;
    const ActionCounts c = count_actions(p);
    EXPECT_DOUBLE_EQ(c.matrix_flops.at(DType::bf16), 7e6);
    EXPECT_DOUBLE_EQ(c.vector_flops.at(DType::fp32), 7e3);
    EXPECT_DOUBLE_EQ(c.dram_bytes, 70);
    EXPECT_DOUBLE_EQ(c.chip_sram_bytes, 140);
    EXPECT_DOUBLE_EQ(c.core_sram_bytes, 210);
    const EnergyBreakdown e = kernel_energy(p, round_costs(), 1e-3);
    EXPECT_DOUBLE_EQ(e.total_j(), energy_of(c, round_costs(), 1e-3).total_j());
}

TEST(Energy, GemmCountsExecutedWorkIncludingPadding) {
    const auto h = load_hardware("a100-sxm-80gb");
    // 8192^3 divides every tile shape: executed MACs are exactly the GEMM's.
    const auto even = count_actions(plan_op(gemm_op(1, 8192, 8192, 8192, DType::bf16), h));
    EXPECT_DOUBLE_EQ(even.matrix_flops.at(DType::bf16), 2.0 * 8192 * 8192 * 8192);
    // 100 x 100 x 100 pads to at least one 64 x 64 x 32 tile grid: more executed than useful.
    const auto plan = plan_op(gemm_op(1, 100, 100, 100, DType::bf16), h);
    EXPECT_GT(count_actions(plan).matrix_flops.at(DType::bf16), plan.flops);
    EXPECT_GT(count_actions(plan).core_sram_bytes, count_actions(plan).chip_sram_bytes);
    // The path that runs is priced: int4 has its own on the A100; fp8 has none, so it is priced on
    // whichever path the mapper falls back to.
    EXPECT_EQ(plan_op(gemm_op(1, 256, 256, 256, DType::int4), h).matrix_dtype, DType::int4);
    const DType fp8_path = plan_op(gemm_op(1, 256, 256, 256, DType::fp8), h).matrix_dtype;
    EXPECT_NE(fp8_path, DType::fp8);
    EXPECT_TRUE(h.matrix.dense_flops_per_cycle.count(fp8_path));
}

TEST(Energy, A100UsesItsMeasuredSystemLevelFigures) {
    const auto h = load_hardware("a100-sxm-80gb");
    const auto t = load_tech("7nm");
    EXPECT_EQ(h.tech, "7nm");
    // Antepara et al. SC'25 (sheet 10c): HBM 13.11, L2 4.71, L1 1.59 pJ/bit; constant 54 W.
    EXPECT_DOUBLE_EQ(h.energy.dram_pj_per_byte, 8 * 13.11);
    EXPECT_DOUBLE_EQ(h.energy.chip_sram_pj_per_byte, 8 * 4.71);
    EXPECT_DOUBLE_EQ(h.energy.core_sram_pj_per_byte, 8 * 1.59);
    EXPECT_DOUBLE_EQ(h.energy.static_w, 54);
    EXPECT_EQ(h.energy.mac_pj, t.mac_pj);
    // Another 7 nm device uses the component figures: its preset's DRAM and the SRAM curve.
    const auto v4 = load_hardware("tpu-v4");
    EXPECT_DOUBLE_EQ(v4.energy.dram_pj_per_byte, 8 * v4.memory.energy_pj_per_bit);
    EXPECT_DOUBLE_EQ(v4.energy.core_sram_pj_per_byte, t.sram_pj_per_byte(v4.on_chip.front().capacity_kib));
    EXPECT_DOUBLE_EQ(v4.energy.static_w, v4.power.idle_w);
}

TEST(Energy, SramCurveInterpolatesLogLinearlyAndClamps) {
    const auto t = load_tech("7nm");
    ASSERT_EQ(t.sram.size(), 3u);
    EXPECT_DOUBLE_EQ(t.sram_pj_per_byte(8), t.sram[0].pj_per_byte);
    EXPECT_DOUBLE_EQ(t.sram_pj_per_byte(1), t.sram[0].pj_per_byte);
    EXPECT_DOUBLE_EQ(t.sram_pj_per_byte(40960), t.sram[2].pj_per_byte);
    EXPECT_NEAR(t.sram_pj_per_byte(16), (t.sram[0].pj_per_byte + t.sram[1].pj_per_byte) / 2, 1e-12);  // 16 = sqrt(8 x 32)
}

// Horowitz 45 nm MACs (sheet 10a) as the tables' sources derive them.
TEST(Energy, TablesAreHorowitzTimesTheNodeScale) {
    const std::map<DType, double> h45 = {{DType::fp32, 4.6}, {DType::tf32, 2.0}, {DType::bf16, 2.0}, {DType::fp16, 2.0},
                                         {DType::fp8, 1.1},  {DType::int8, 0.3}, {DType::int4, 0.15}};
    const auto names = tech_names();
    for (const char* node : {"4nm", "5nm", "7nm", "8nm", "12nm", "16nm"})
        EXPECT_NE(std::find(names.begin(), names.end(), node), names.end()) << node;
    for (const auto& name : names) {
        const auto t = load_tech(name);
        for (const auto& [d, pj] : h45)
            EXPECT_NEAR(t.mac_pj.at(d) / (pj * t.energy_scale_vs_45nm), 1.0, 1e-3) << name << " " << to_string(d);
        for (const char* key : {"energy_scale_vs_45nm", "mac_pj", "sram"})
            EXPECT_TRUE(t.sources.count(key)) << name << " has no source for " << key;
        for (const auto& [device, m] : t.measured) {
            (void)m;
            EXPECT_TRUE(t.sources.count("measured." + device)) << name << " has no source for " << device;
        }
    }
}

TEST(Energy, EveryPresetIsPriced) {
    for (const auto& name : hardware_names()) {
        const auto h = load_hardware(name);
        EXPECT_FALSE(h.tech.empty()) << name;
        EXPECT_TRUE(h.sources.count("tech")) << name << " gives no source for its process node";
        for (const auto& [d, rate] : h.matrix.dense_flops_per_cycle) {
            (void)rate;
            EXPECT_GT(h.energy.mac_pj.at(d), 0) << name;
        }
        EXPECT_GT(h.energy.dram_pj_per_byte, 0) << name;
        EXPECT_GT(h.energy.core_sram_pj_per_byte, 0) << name;
        for (const auto& l : h.on_chip) EXPECT_GT(l.energy_pj_per_byte, 0) << name << " " << l.name;
        EXPECT_GT(h.energy.static_w, 0) << name;
    }
}

// Element-wise ops of any input dtype (int32 timesteps, fp8 activations) run on a dtype the
// device's vector unit has, which its energy table prices: an NVDLA-like unit (fp16 and int8
// only) once planned Stable Diffusion's int32 time projection at an unpriced int32 rate.
TEST(Energy, EveryPresetPricesWhatItsVectorUnitRuns) {
    for (const auto& name : hardware_names()) {
        const auto h = load_hardware(name);
        for (DType d : {DType::int32, DType::int8, DType::fp8, DType::fp16, DType::bf16, DType::fp32}) {
            const auto plan = plan_op(elementwise_op(fmsim::workloads::OpKind::elementwise, 4096, 1, d), h);
            EXPECT_TRUE(h.vector.flops_per_cycle.count(plan.vector_dtype)) << name << " " << to_string(d);
            EXPECT_NO_THROW(dynamic_energy(count_actions(plan), h.energy)) << name << " " << to_string(d);
        }
    }
}

namespace {
std::string temp_dir(const std::string& name) {
    const auto dir = std::filesystem::path(::testing::TempDir()) / name;
    std::filesystem::create_directories(dir);
    return dir.string();
}

nlohmann::json tech_7nm() {
    std::ifstream in(fmsim::workloads::config_dir() / "tech" / "7nm.json");
    return nlohmann::json::parse(in);
}

void expect_tech_error(const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    auto j = tech_7nm();
    edit(j);
    const std::string path = temp_dir("fmsim-tech") + "/broken-tech.json";
    std::ofstream(path) << j.dump();
    try {
        load_tech(path);
        ADD_FAILURE() << "no error for " << message;
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": " + message), std::string::npos) << e.what();
    }
}
}  // namespace

TEST(Energy, BadTechTablesNameFilePointerAndExpectation) {
    expect_tech_error([](auto& j) { j["mac_pj"].erase("int4"); },
                      "/mac_pj: missing dtype 'int4': every dtype needs a MAC energy");
    expect_tech_error([](auto& j) { j["mac_pj"]["bf17"] = 1; }, "/mac_pj/bf17: unknown dtype");
    expect_tech_error([](auto& j) { j["mac_pj"]["bf16"] = "0.2"; },
                      "/mac_pj/bf16: expected a number >= 0, got string \"0.2\"");
    expect_tech_error([](auto& j) { j["sram"][1]["capacity_kb"] = 64; },
                      "/sram/1/capacity_kb: unknown key for tech.sram[] (did you mean 'capacity_kib'?)");
    expect_tech_error([](auto& j) { j["sram"][2]["capacity_kib"] = 16; },
                      "/sram/2/capacity_kib: expected more than the previous point's capacity");
    expect_tech_error([](auto& j) { j["measured"]["a100-sxm-80g"] = j["measured"]["a100-sxm-80gb"]; },
                      "/measured/a100-sxm-80g: no hardware preset of this name (did you mean 'a100-sxm-80gb'?)");
    expect_tech_error([](auto& j) { j["measured"]["a100-sxm-80gb"]["constant_watts"] = 54; },
                      "/measured/a100-sxm-80gb/constant_watts: unknown key for tech.measured.DEVICE");
    expect_tech_error([](auto& j) { j.erase("sram"); }, "/: missing required key 'sram'");
    expect_tech_error([](auto& j) { j["node"] = 7; }, "/node: unknown key for tech");
}

TEST(Energy, PresetsNameAnExistingTableAndMeasuredLevelsMustExist) {
    std::ifstream in(fmsim::workloads::config_dir() / "hardware" / "a100-sxm-80gb.json");
    auto preset = nlohmann::json::parse(in);
    const std::string dir = temp_dir("fmsim-preset");
    // An unknown table: the preset's file and /tech.
    preset["tech"] = "7mn";
    const std::string path = dir + "/a100-sxm-80gb.json";
    std::ofstream(path) << preset.dump();
    try {
        load_hardware(path);
        ADD_FAILURE() << "no error for an unknown tech table";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": /tech: unknown technology table '7mn' (did you mean '7nm'?)"),
                  std::string::npos)
            << e.what();
    }
    // A table (given as a path relative to the preset) whose measured figures name a level the
    // preset does not have: the table's file and the level's pointer.
    auto table = tech_7nm();
    table["measured"]["a100-sxm-80gb"]["on_chip_pj_per_bit"]["l3"] = 1.0;
    std::ofstream(dir + "/odd-tech.json") << table.dump();
    preset["tech"] = "./odd-tech.json";
    std::ofstream(path) << preset.dump();
    try {
        load_hardware(path);
        ADD_FAILURE() << "no error for a measured level the preset lacks";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("odd-tech.json: /measured/a100-sxm-80gb/on_chip_pj_per_bit/l3: preset "
                                             "a100-sxm-80gb has no on-chip level of this name; its levels: smem, l2"),
                  std::string::npos)
            << e.what();
    }
}
