#pragma once
// Scenario files: the what-if a user runs with `fmsim run`: a model, a run and (optionally) one
// device. Systems, parallelism and costs are to come.
#include <string>

#include "fmsim/sim/facade.hpp"
#include "fmsim/workloads/model.hpp"

namespace fmsim::sim {

struct Scenario {
    std::string name;
    std::string description;
    std::string hardware;  // preset name or path; empty = workload only
    std::string runtime;   // software stack preset name or path (configs/runtime/)
    GraphQuery query;
};

// Reads and validates a scenario file; relative model paths resolve against the file's folder.
Scenario load_scenario(const std::string& path);
workloads::SchemaDoc scenario_schema_doc();

// docs/config-reference.md, generated from the declarations.
std::string config_reference_markdown();

}  // namespace fmsim::sim
