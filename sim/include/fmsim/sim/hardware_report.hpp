#pragma once
// `fmsim hardware show`: a preset with its derived figures (peaks per dtype, ridge points).
#include <string>

#include "fmsim/hwmodels/hardware.hpp"

namespace fmsim::sim {

std::string hardware_text(const hwmodels::HardwareSpec& h);
std::string hardware_json(const hwmodels::HardwareSpec& h);  // stable keys: docs/cli.md

}  // namespace fmsim::sim
