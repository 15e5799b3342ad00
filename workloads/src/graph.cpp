#include "fmsim/workloads/graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>
#include <algorithm>
#include <cassert>
#include <iterator>
#include <ostream>
#include <stdexcept>
#include <unordered_map>

namespace fmsim::workloads {

namespace {
struct EdgeProps {
    ValueId value = 0;
    std::int64_t bytes = 0;
};
using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Op, EdgeProps>;

Edge to_edge(const BoostGraph& g, BoostGraph::edge_descriptor e) {
    return Edge{static_cast<OpId>(boost::source(e, g)), static_cast<OpId>(boost::target(e, g)),
                g[e].value, g[e].bytes};
}
}  // namespace

struct OpGraph::Impl {
    BoostGraph graph;
    std::vector<Value> values;
    std::vector<Weight> weights;
    std::unordered_map<std::string, std::size_t> weight_index;
};

OpGraph::OpGraph() : impl_(std::make_unique<Impl>()) {}
OpGraph::~OpGraph() = default;
OpGraph::OpGraph(const OpGraph& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
OpGraph& OpGraph::operator=(const OpGraph& o) {
    if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
    return *this;
}
OpGraph::OpGraph(OpGraph&&) noexcept = default;
OpGraph& OpGraph::operator=(OpGraph&&) noexcept = default;

ValueId OpGraph::add_input(TensorRef tensor) {
    impl_->values.push_back(Value{std::move(tensor), std::nullopt});
    return static_cast<ValueId>(impl_->values.size() - 1);
}

OpId OpGraph::add_op(Op op, const std::vector<TensorRef>& produced) {
    const auto id = static_cast<OpId>(boost::num_vertices(impl_->graph));
    for (const auto& t : produced) {
        impl_->values.push_back(Value{t, id});
        op.outputs.push_back(static_cast<ValueId>(impl_->values.size() - 1));
        op.writes.push_back(t);
    }
    std::vector<ValueId> inputs = op.inputs;
    std::sort(inputs.begin(), inputs.end());
    inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());  // one edge per value
    boost::add_vertex(std::move(op), impl_->graph);
    for (ValueId v : inputs) {
        assert(v < impl_->values.size() && "op input must be an existing value");
        const Value& val = impl_->values[v];
        if (val.producer)
            boost::add_edge(*val.producer, id, EdgeProps{v, val.tensor.bytes()}, impl_->graph);
    }
    return id;
}

std::size_t OpGraph::add_weight(Weight w) {
    auto [it, inserted] = impl_->weight_index.try_emplace(w.name, impl_->weights.size());
    if (inserted) impl_->weights.push_back(std::move(w));
    return it->second;
}

std::size_t OpGraph::op_count() const { return boost::num_vertices(impl_->graph); }
const Op& OpGraph::op(OpId id) const { return impl_->graph[id]; }
Op& OpGraph::mutable_op(OpId id) { return impl_->graph[id]; }
const Value& OpGraph::value(ValueId id) const { return impl_->values.at(id); }
std::size_t OpGraph::value_count() const { return impl_->values.size(); }
const std::vector<Weight>& OpGraph::weights() const { return impl_->weights; }
const Weight* OpGraph::find_weight(const std::string& name) const {
    auto it = impl_->weight_index.find(name);
    return it == impl_->weight_index.end() ? nullptr : &impl_->weights[it->second];
}

std::vector<Edge> OpGraph::edges() const {
    std::vector<Edge> out;
    out.reserve(boost::num_edges(impl_->graph));
    for (auto [it, end] = boost::edges(impl_->graph); it != end; ++it)
        out.push_back(to_edge(impl_->graph, *it));
    return out;
}
std::vector<Edge> OpGraph::in_edges(OpId id) const {
    std::vector<Edge> out;
    for (auto [it, end] = boost::in_edges(id, impl_->graph); it != end; ++it)
        out.push_back(to_edge(impl_->graph, *it));
    return out;
}
std::vector<Edge> OpGraph::out_edges(OpId id) const {
    std::vector<Edge> out;
    for (auto [it, end] = boost::out_edges(id, impl_->graph); it != end; ++it)
        out.push_back(to_edge(impl_->graph, *it));
    return out;
}
std::size_t OpGraph::edge_count() const { return boost::num_edges(impl_->graph); }

std::vector<OpId> OpGraph::topological_order() const {
    std::vector<BoostGraph::vertex_descriptor> reversed;
    try {
        boost::topological_sort(impl_->graph, std::back_inserter(reversed));
    } catch (const boost::not_a_dag&) {
        throw std::logic_error("operator graph has a cycle");
    }
    return std::vector<OpId>(reversed.rbegin(), reversed.rend());
}

std::vector<std::vector<OpId>> OpGraph::consumers() const {
    std::vector<std::vector<OpId>> out(impl_->values.size());
    for (OpId id = 0; id < op_count(); ++id)
        for (ValueId v : op(id).inputs) out[v].push_back(id);
    return out;
}

namespace {
std::string dot_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}
}  // namespace

void OpGraph::write_dot(std::ostream& os, const std::string& title) const {
    os << "digraph \"" << dot_escape(title) << "\" {\n  rankdir=TB;\n  node [shape=box, fontsize=10];\n";
    for (OpId id = 0; id < op_count(); ++id) {
        const Op& o = op(id);
        os << "  n" << id << " [label=\"" << dot_escape(o.name) << "\\n" << to_string(o.kind) << " "
           << to_string(o.group) << "\\n" << o.flops << " FLOP\"];\n";
    }
    for (const Edge& e : edges())
        os << "  n" << e.from << " -> n" << e.to << " [label=\"" << e.bytes << " B\"];\n";
    os << "}\n";
}

}  // namespace fmsim::workloads
