#include "fmsim/sim/session.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "fmsim/hwmodels/hardware_json.hpp"
#include "fmsim/sim/hardware_report.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string run_envelope_json(const Scenario& sc, const RunReport& r, std::size_t memory_points) {
    ojson j;
    j["report_json"] = report_json(r);
    j["hardware"] = sc.hardware ? ojson::parse(hardware_json(*sc.hardware)) : ojson(nullptr);
    j["memory_channels"] = sc.hardware ? sc.hardware->memory.channels : 0;
    ojson t = {{"time_s", json::array()},        {"weights_bytes", json::array()},
               {"kv_cache_bytes", json::array()}, {"activation_bytes", json::array()},
               {"workspace_bytes", json::array()}, {"training_state_bytes", json::array()},
               {"runtime_bytes", json::array()}};
    if (r.replay)
        for (const auto& m : downsample_memory(r.replay->memory_timeline, memory_points)) {
            t["time_s"].push_back(m.time_s);
            t["weights_bytes"].push_back(m.weights_bytes);
            t["kv_cache_bytes"].push_back(m.kv_cache_bytes);
            t["activation_bytes"].push_back(m.activation_bytes);
            t["workspace_bytes"].push_back(m.workspace_bytes);
            t["training_state_bytes"].push_back(m.training_state_bytes);
            t["runtime_bytes"].push_back(m.runtime_bytes);
        }
    j["memory_timeline"] = t;
    return j.dump();
}

hwmodels::HardwareSpec hardware_from_json_text(const std::string& text, const std::string& origin) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw ConfigError(origin, "", "not valid JSON");
    const std::filesystem::path path = origin;
    return hwmodels::hardware_from_json(j, workloads::ConfigContext{origin, ""}, path.stem().string(),
                                        path.parent_path());
}

std::string hardware_preset_file(const std::string& name_or_path) {
    return workloads::preset_path(name_or_path, workloads::config_dir() / "hardware", "hardware", "presets").string();
}

namespace {
// The rule of load_scenario: a reference with a '/' or ending in .json is a path, else a preset name.
void rebase(ojson& ref, const std::filesystem::path& dir) {
    if (!ref.is_string()) return;
    const std::string s = ref.get<std::string>();
    const std::filesystem::path p = s;
    const bool is_path = s.find('/') != std::string::npos || s.ends_with(".json");
    if (is_path && p.is_relative()) ref = (dir / p).lexically_normal().string();
}
}  // namespace

std::string rebase_scenario_refs(const std::string& scenario_text, const std::string& from_dir) {
    ojson j = ojson::parse(scenario_text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw UserError("the scenario is not a JSON object");
    const std::filesystem::path dir = std::filesystem::absolute(from_dir);
    for (const char* key : {"model", "hardware", "runtime"})
        if (j.contains(key)) rebase(j[key], dir);
    if (j.contains("hardware") && j["hardware"].is_object() && j["hardware"].contains("tech"))
        rebase(j["hardware"]["tech"], dir);
    if (j.contains("system") && j["system"].is_object())
        for (const char* key : {"intra_node", "inter_node"})
            if (j["system"].contains(key)) rebase(j["system"][key], dir);
    return j.dump(2);
}

}  // namespace fmsim::sim
