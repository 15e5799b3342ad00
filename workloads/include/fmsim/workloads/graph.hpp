#pragma once
// OpGraph: ops as vertices, tensor dependencies as edges. Boost.Graph stores it; callers see only
// this API (no Boost types leak out of graph.cpp).
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "fmsim/workloads/op.hpp"

namespace fmsim::workloads {

struct Edge {
    OpId from = 0;
    OpId to = 0;
    ValueId value = 0;
    std::int64_t bytes = 0;  // size of the tensor carried
};

class OpGraph {
public:
    OpGraph();
    ~OpGraph();
    // A copy shares the ops, dependencies and weights of the original until one of the two changes
    // them (copy on write, per op for mutable_op): copying costs a pointer per op.
    OpGraph(const OpGraph&);
    OpGraph& operator=(const OpGraph&);
    OpGraph(OpGraph&&) noexcept;
    OpGraph& operator=(OpGraph&&) noexcept;

    // A tensor that enters the graph from outside (token ids, pixels, latents).
    ValueId add_input(TensorRef tensor);
    // Adds `op`; `op.inputs` must name existing values. Each of `produced` becomes a new value,
    // appended to op.outputs and op.writes. An edge is added from each input's producer.
    OpId add_op(Op op, const std::vector<TensorRef>& produced = {});
    // Registers a model parameter. A second weight with the same name is the same tensor (tied
    // embeddings): the first registration wins and is returned.
    std::size_t add_weight(Weight w);

    std::size_t op_count() const;
    const Op& op(OpId id) const;
    Op& mutable_op(OpId id);
    const Value& value(ValueId id) const;
    std::size_t value_count() const;
    const std::vector<Weight>& weights() const;
    const Weight* find_weight(const std::string& name) const;

    std::vector<Edge> edges() const;
    std::vector<Edge> in_edges(OpId id) const;
    std::vector<Edge> out_edges(OpId id) const;
    std::size_t edge_count() const;
    // A dependency-respecting order (Boost topological_sort); throws std::logic_error on a cycle.
    std::vector<OpId> topological_order() const;
    // Ops that consume each value, indexed by ValueId.
    std::vector<std::vector<OpId>> consumers() const;

    void write_dot(std::ostream& os, const std::string& title) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fmsim::workloads
