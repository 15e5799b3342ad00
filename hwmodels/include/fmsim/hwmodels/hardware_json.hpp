#pragma once
// Loader entry for a hardware description already read as JSON (a scenario's inline "hardware"
// object, or a preset with "hardware_overrides" applied).
#include <filesystem>
#include <string>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::hwmodels {

// Why the presets' and links' `bandwidth_gbps` became `bandwidth_gb_per_s` (issue 15): the value
// is GB/s, which "gbps" reads as gigabits per second (a 10 Gb/s Ethernet link said 1.25). The
// schemas refuse the old key with it (Schema::renamed).
inline constexpr const char* kBandwidthRenamed =
    "a bandwidth in GB/s, 1e9 bytes per second; the old name read as gigabits";

// Validated as a preset file would be; errors name `ctx`; a `tech` path is relative to `dir`.
HardwareSpec hardware_from_json(const workloads::json& j, const workloads::ConfigContext& ctx, const std::string& name,
                                const std::filesystem::path& dir);

}  // namespace fmsim::hwmodels
