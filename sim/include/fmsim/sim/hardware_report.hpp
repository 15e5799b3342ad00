#pragma once
// `fmsim hardware show`: a preset with its derived figures (peaks per dtype, ridge points).
#include <string>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/replay.hpp"

namespace fmsim::sim {

std::string hardware_text(const hwmodels::HardwareSpec& h);
std::string hardware_json(const hwmodels::HardwareSpec& h);  // stable keys: docs/cli.md

// `fmsim kernel`: one simulated kernel.
std::string kernel_text(const hwmodels::KernelTiming& t);
std::string kernel_json(const hwmodels::KernelTiming& t);  // time_s, flops, bytes, tflops, bandwidth_gbps, bound

}  // namespace fmsim::sim
