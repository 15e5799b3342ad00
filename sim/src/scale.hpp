#pragma once
// Multi-device and training runs (scale.cpp), behind run_scenario.
#include "fmsim/sim/report.hpp"

namespace fmsim::sim {

RunReport run_scaled(const Scenario& sc, const ReplayOptions& options);

// describe_graph for a scenario; what the model refuses (a ScenarioError) becomes an error at the
// scenario key its message starts with ("finetune.targets ..." -> /finetune).
GraphResult describe_at_key(const Scenario& sc, const workloads::RunSpec& run);

}  // namespace fmsim::sim
