#pragma once
// The facade the CLI and the GUI call: requests in, results out. No parsing or printing here.
#include <optional>
#include <string>

#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/summary.hpp"

namespace fmsim::sim {

// What to build: a model (zoo name or config path) and a run. An unset phase means the model's
// default (prefill for decoders, encode for encoders, sample for diffusion).
struct GraphQuery {
    std::string model;
    std::optional<workloads::RunPhase> phase;
    workloads::RunSpec run;  // run.phase is ignored; see `phase`
};

struct GraphResult {
    workloads::Workload workload;
    workloads::GraphSummary summary;
};

GraphResult describe_graph(const GraphQuery& query);

// Precision from one dtype name for every class, or from per-class names; unset classes default
// as docs/config-reference.md says (kv_cache and math follow activations).
workloads::Precision make_precision(const std::string& all, const std::string& weights, const std::string& activations,
                                    const std::string& kv_cache, const std::string& math);

}  // namespace fmsim::sim
