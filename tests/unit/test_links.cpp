// Link presets (configs/links/): they load, every value has a source, bad files name the file and
// the JSON path. The collective API's names and bus-bandwidth factors (no SystemC needed).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "fmsim/hwmodels/collective.hpp"
#include "fmsim/hwmodels/link.hpp"
#include "fmsim/workloads/errors.hpp"

using namespace fmsim::hwmodels;

namespace {
std::string load_error(const std::string& file_name, const std::string& text) {
    const std::string path = ::testing::TempDir() + file_name;
    std::ofstream(path) << text;
    try {
        load_link(path);
    } catch (const fmsim::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

const char* kValidBody = R"("description": "x",
    "sources": {"bandwidth_gb_per_s": "a", "latency_us": "b", "energy_pj_per_bit": "c", "efficiency": "d", "topology": "e"},
    "bandwidth_gb_per_s": 100, "latency_us": 1, "energy_pj_per_bit": 5, "efficiency": 0.9, "topology": "switch")";
}  // namespace

TEST(Links, EveryPresetLoadsWithSourcedValues) {
    const auto names = link_names();
    for (const char* expected : {"nvlink3", "nvlink4", "nvlink5", "pcie4", "pcie5", "ib-hdr", "ib-ndr", "roce-400g",
                                 "tpu-ici-v4", "tpu-ici-v5e", "tpu-ici-v5p", "xgmi-mi300x", "ethernet-10g"})
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
    for (const auto& name : names) {
        const LinkSpec l = load_link(name);
        EXPECT_EQ(l.name, name);
        EXPECT_FALSE(l.description.empty()) << name;
        EXPECT_GT(l.bandwidth_gb_per_s, 0) << name;
        EXPECT_GT(l.efficiency, 0) << name;
        EXPECT_LE(l.efficiency, 1) << name;
        for (const char* key : {"bandwidth_gb_per_s", "latency_us", "energy_pj_per_bit", "efficiency", "topology"}) {
            ASSERT_TRUE(l.sources.count(key)) << name << " has no source for " << key;
            EXPECT_GT(l.sources.at(key).size(), 10u) << name << "." << key;
        }
    }
}

TEST(Links, PresetValuesFollowTheHardwareSheet) {
    const auto nvl4 = load_link("nvlink4");
    EXPECT_DOUBLE_EQ(nvl4.bandwidth_gb_per_s, 450);  // 18 x 25 GB/s per direction
    EXPECT_EQ(nvl4.topology, LinkTopology::switched);
    EXPECT_EQ(nvl4.ports(), 1);
    EXPECT_DOUBLE_EQ(nvl4.effective_bandwidth_bytes_per_s(), 450e9 * nvl4.efficiency);
    // Calibrated: A100 nccl-tests all-reduce ~235 GB/s bus bandwidth of 300.
    EXPECT_DOUBLE_EQ(load_link("nvlink3").efficiency, 0.783);
    const auto v4 = load_link("tpu-ici-v4");
    EXPECT_EQ(v4.topology, LinkTopology::torus3d);
    EXPECT_EQ(v4.ports(), 6);
    EXPECT_NEAR(v4.effective_port_bandwidth_bytes_per_s(), 45e9 * v4.efficiency, 1);  // 6 links x 45 GB/s
    EXPECT_EQ(load_link("tpu-ici-v5e").ports(), 4);
    EXPECT_EQ(load_link("pcie5").topology, LinkTopology::bus);
    // Values without a source say so.
    EXPECT_NE(load_link("nvlink5").sources.at("energy_pj_per_bit").find("unconfirmed"), std::string::npos);
}

TEST(Links, BadPresetNamesFileAndJsonPath) {
    const std::string dir = ::testing::TempDir();
    auto err = load_error("typo-link.json", std::string("{") + kValidBody + R"(, "bandwith_gb_per_s": 3})");
    EXPECT_NE(err.find(dir + "typo-link.json: /bandwith_gb_per_s: unknown key for link (did you mean 'bandwidth_gb_per_s'?)"),
              std::string::npos)
        << err;
    err = load_error("old-key-link.json", std::string("{") + kValidBody + R"(, "bandwidth_gbps": 3})");
    EXPECT_NE(err.find(dir + "old-key-link.json: /bandwidth_gbps: renamed to 'bandwidth_gb_per_s'"), std::string::npos)
        << err;
    err = load_error("topology-link.json", R"({"description": "x", "sources": {"a": "b"}, "bandwidth_gb_per_s": 1,
        "latency_us": 1, "energy_pj_per_bit": 1, "topology": "mesh"})");
    EXPECT_NE(err.find(R"(topology-link.json: /topology: expected one of "switch", "ring", "torus2d", "torus3d", "bus", got "mesh")"),
              std::string::npos)
        << err;
    err = load_error("eff-link.json", R"({"description": "x", "sources": {"efficiency": "b"}, "bandwidth_gb_per_s": 1,
        "latency_us": 1, "energy_pj_per_bit": 1, "efficiency": 1.5, "topology": "ring"})");
    EXPECT_NE(err.find("eff-link.json: /efficiency: expected a fraction in (0, 1]"), std::string::npos) << err;
    err = load_error("bw-link.json", R"({"description": "x", "sources": {"a": "b"}, "bandwidth_gb_per_s": "fast",
        "latency_us": 1, "energy_pj_per_bit": 1, "topology": "ring"})");
    EXPECT_NE(err.find("bw-link.json: /bandwidth_gb_per_s: expected a number"), std::string::npos) << err;
    err = load_error("missing-link.json", R"({"description": "x", "sources": {"a": "b"}, "bandwidth_gb_per_s": 1,
        "energy_pj_per_bit": 1, "topology": "ring"})");
    EXPECT_NE(err.find("missing-link.json: /: missing required key 'latency_us'"), std::string::npos) << err;
    err = load_error("unsourced-link.json", R"({"description": "x", "sources": {"bandwidth_gb_per_s": "b"},
        "bandwidth_gb_per_s": 1, "latency_us": 1, "energy_pj_per_bit": 1, "topology": "ring"})");
    EXPECT_NE(err.find("unsourced-link.json: /sources: expected a source for 'latency_us'"), std::string::npos) << err;
    // A well-formed file loads, and its default efficiency applies.
    const std::string ok = dir + "ok-link.json";
    std::ofstream(ok) << std::string("{") + kValidBody + "}";
    EXPECT_DOUBLE_EQ(load_link(ok).efficiency, 0.9);
}

TEST(Links, UnknownPresetSuggestsTheNearest) {
    try {
        load_link("nvlink-4");
        ADD_FAILURE() << "no error";
    } catch (const fmsim::UserError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'nvlink4'?"), std::string::npos) << e.what();
    }
}

TEST(Links, SchemaIsDocumented) {
    const auto docs = link_schema_docs();
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].name, "link");
    std::vector<std::string> keys;
    for (const auto& f : docs[0].fields) keys.push_back(f.key);
    for (const char* k : {"description", "sources", "bandwidth_gb_per_s", "latency_us", "energy_pj_per_bit", "efficiency",
                          "topology"})
        EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
}

TEST(CollectiveNames, ParseBothWays) {
    for (const auto& name : collective_kind_names()) {
        const auto k = parse_collective_kind(name);
        ASSERT_TRUE(k) << name;
        EXPECT_EQ(to_string(*k), name);
    }
    EXPECT_EQ(parse_collective_kind("all-reduce"), CollectiveKind::all_reduce);
    EXPECT_FALSE(parse_collective_kind("allreduce"));
    for (const auto& name : algorithm_names()) EXPECT_EQ(to_string(*parse_algorithm(name)), name);
    EXPECT_EQ(parse_algorithm("auto"), Algorithm::automatic);
    EXPECT_FALSE(parse_algorithm("butterfly"));
}

TEST(CollectiveNames, BusBandwidthFactorsAreNcclTests) {
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveKind::all_reduce, 8), 2.0 * 7 / 8);
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveKind::all_gather, 8), 7.0 / 8);
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveKind::reduce_scatter, 16), 15.0 / 16);
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveKind::all_to_all, 4), 3.0 / 4);
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveKind::send_recv, 2), 1);
}
