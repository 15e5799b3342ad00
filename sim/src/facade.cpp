#include "fmsim/sim/facade.hpp"

#include "fmsim/workloads/errors.hpp"

namespace fmsim::sim {

using namespace workloads;

GraphResult describe_graph(const GraphQuery& query) {
    const auto model = load_model(query.model);
    RunSpec run = query.run;
    run.phase = query.phase.value_or(model->default_phase());
    Workload w = model->build(run);
    GraphSummary s = summarize(w);
    return GraphResult{std::move(w), s};
}

namespace {
DType dtype_or_throw(const std::string& name, const std::string& what) {
    if (auto d = parse_dtype(name)) return *d;
    throw UserError("unknown " + what + " precision '" + name + "'; expected one of " + dtype_names());
}
}  // namespace

Precision make_precision(const std::string& all, const std::string& weights, const std::string& activations,
                         const std::string& kv_cache, const std::string& math) {
    const DType base = all.empty() ? DType::bf16 : dtype_or_throw(all, "");
    Precision p;
    p.weights = weights.empty() ? base : dtype_or_throw(weights, "weights");
    p.activations = activations.empty() ? base : dtype_or_throw(activations, "activations");
    p.kv_cache = kv_cache.empty() ? p.activations : dtype_or_throw(kv_cache, "KV-cache");
    p.math = math.empty() ? p.activations : dtype_or_throw(math, "math");
    return p;
}

}  // namespace fmsim::sim
