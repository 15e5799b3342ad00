#pragma once
// Multi-device and training runs (scale.cpp), behind run_scenario.
#include "fmsim/sim/report.hpp"

namespace fmsim::sim {

RunReport run_scaled(const Scenario& sc, const ReplayOptions& options);

// Throughput of `sequences` run in `seconds` (r.graph's phase): output tokens for generate and
// decode, tokens processed for prefill, encode and train, none for diffusion sampling.
void set_throughput(RunReport& r, double sequences, double seconds);
// What `system_energy_j` (all devices) and `seconds` on sc.system.devices cost: wall energy (x PUE),
// CO2 and, with a price, dollars.
void set_price(RunReport& r, const Scenario& sc, double system_energy_j, double seconds);

// describe_graph for a scenario; what the model refuses (a ScenarioError) becomes an error at the
// scenario key its message starts with ("finetune.targets ..." -> /finetune).
GraphResult describe_at_key(const Scenario& sc, const workloads::RunSpec& run);

}  // namespace fmsim::sim
