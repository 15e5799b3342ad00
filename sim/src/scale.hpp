#pragma once
// Multi-device and training runs (scale.cpp), behind run_scenario.
#include "fmsim/sim/report.hpp"

namespace fmsim::sim {

RunReport run_scaled(const Scenario& sc, const ReplayOptions& options);

}  // namespace fmsim::sim
