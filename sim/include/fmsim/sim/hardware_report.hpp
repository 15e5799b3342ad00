#pragma once
// `fmsim hardware show`: a preset with its derived figures (peaks per dtype, ridge points).
#include <optional>
#include <string>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/replay.hpp"

namespace fmsim::sim {

std::string hardware_text(const hwmodels::HardwareSpec& h);
std::string hardware_json(const hwmodels::HardwareSpec& h);  // stable keys: docs/cli.md

// What a synchronous benchmark loop would time for one call under a runtime (hwmodels::isolated_call_s).
struct IsolatedCall {
    std::string runtime;
    double call_s = 0;
};

// `fmsim kernel`: one simulated kernel, and with a runtime, the call as a benchmark times it.
std::string kernel_text(const hwmodels::KernelTiming& t, const std::optional<IsolatedCall>& call = std::nullopt);
// time_s, flops, bytes, tflops, bandwidth_gb_per_s, bound; runtime and call_s (null without a runtime)
std::string kernel_json(const hwmodels::KernelTiming& t, const std::optional<IsolatedCall>& call = std::nullopt);

}  // namespace fmsim::sim
