#pragma once
// Loader entry for a hardware description already read as JSON (a scenario's inline "hardware"
// object, or a preset with "hardware_overrides" applied).
#include <filesystem>
#include <string>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::hwmodels {

// Validated as a preset file would be; errors name `ctx`; a `tech` path is relative to `dir`.
HardwareSpec hardware_from_json(const workloads::json& j, const workloads::ConfigContext& ctx, const std::string& name,
                                const std::filesystem::path& dir);

}  // namespace fmsim::hwmodels
