#pragma once
// Loader entry for a model config already read as JSON (a scenario's inline "model" object).
#include <memory>
#include <string>

#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::workloads {

// Parsed and validated as a config file would be; errors name `ctx` (file and JSON path).
std::unique_ptr<Model> model_from_json(json j, const ConfigContext& ctx, const std::string& name);

}  // namespace fmsim::workloads
