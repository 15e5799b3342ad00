#include "fmsim/workloads/graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>
#include <algorithm>
#include <cassert>
#include <iterator>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <unordered_map>

namespace fmsim::workloads {

namespace {
struct EdgeProps {
    ValueId value = 0;
    std::int64_t bytes = 0;
};
// Vertices carry no property: the ops live beside the Boost graph so copies can share them.
using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, EdgeProps>;

Edge to_edge(const BoostGraph& g, BoostGraph::edge_descriptor e) {
    return Edge{static_cast<OpId>(boost::source(e, g)), static_cast<OpId>(boost::target(e, g)),
                g[e].value, g[e].bytes};
}

// Copy on write: a part shared with another graph is cloned before this graph changes it.
template <typename T>
T& unshared(std::shared_ptr<T>& p) {
    if (p.use_count() > 1) p = std::make_shared<T>(*p);
    return *p;
}

// Dependencies and values: what add_op and add_input change.
struct Structure {
    BoostGraph graph;
    std::vector<Value> values;
    // The topological order, computed on first use and shared by every graph sharing this
    // structure (all the decode steps of a generation).
    mutable std::once_flag order_once;
    mutable std::vector<OpId> order;
    mutable bool has_order = false;

    Structure() = default;
    Structure(const Structure& o) : graph(o.graph), values(o.values) {}  // a clone recomputes its order
};

struct Params {
    std::vector<Weight> weights;
    std::unordered_map<std::string, std::size_t> index;
};

// The structure, about to change: cloned when shared, and when it has cached an order (a
// once_flag cannot be reset).
Structure& changing(std::shared_ptr<Structure>& s) {
    if (s.use_count() > 1 || s->has_order) s = std::make_shared<Structure>(*s);
    return *s;
}
}  // namespace

// A copy of a graph shares its ops, structure and weights with the original until either changes
// them (copy on write). Decode steps are built as copies of the previous step with only the
// attention kernels replaced (builder.hpp), so a generation of hundreds of steps holds each
// unchanged op once instead of once per step.
struct OpGraph::Impl {
    std::vector<std::shared_ptr<Op>> ops;  // an op shared with another graph is never changed in place
    std::shared_ptr<Structure> structure = std::make_shared<Structure>();
    std::shared_ptr<Params> params = std::make_shared<Params>();
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
    auto& values = changing(impl_->structure).values;
    values.push_back(Value{std::move(tensor), std::nullopt});
    return static_cast<ValueId>(values.size() - 1);
}

OpId OpGraph::add_op(Op op, const std::vector<TensorRef>& produced) {
    Structure& s = changing(impl_->structure);
    const auto id = static_cast<OpId>(impl_->ops.size());
    op.outputs.reserve(op.outputs.size() + produced.size());
    op.writes.reserve(op.writes.size() + produced.size());
    for (const auto& t : produced) {
        s.values.push_back(Value{t, id});
        op.outputs.push_back(static_cast<ValueId>(s.values.size() - 1));
        op.writes.push_back(t);
    }
    const auto vertex = boost::add_vertex(s.graph);
    assert(vertex == id);
    (void)vertex;
    // One edge per distinct input value, in value order.
    std::vector<ValueId> inputs = op.inputs;
    std::sort(inputs.begin(), inputs.end());
    inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
    for (ValueId v : inputs) {
        assert(v < s.values.size() && "op input must be an existing value");
        const Value& val = s.values[v];
        if (val.producer) boost::add_edge(*val.producer, id, EdgeProps{v, val.tensor.bytes()}, s.graph);
    }
    impl_->ops.push_back(std::make_shared<Op>(std::move(op)));
    return id;
}

std::size_t OpGraph::add_weight(Weight w) {
    // Tied weights and re-registrations find the name without cloning a shared table.
    if (auto it = impl_->params->index.find(w.name); it != impl_->params->index.end()) return it->second;
    Params& p = unshared(impl_->params);
    const std::size_t i = p.weights.size();
    p.index.emplace(w.name, i);
    p.weights.push_back(std::move(w));
    return i;
}

std::size_t OpGraph::op_count() const { return impl_->ops.size(); }
const Op& OpGraph::op(OpId id) const { return *impl_->ops[id]; }
Op& OpGraph::mutable_op(OpId id) {
    auto& p = impl_->ops[id];
    if (p.use_count() > 1) p = std::make_shared<Op>(*p);
    return *p;
}
const Value& OpGraph::value(ValueId id) const { return impl_->structure->values.at(id); }
std::size_t OpGraph::value_count() const { return impl_->structure->values.size(); }
const std::vector<Weight>& OpGraph::weights() const { return impl_->params->weights; }
const Weight* OpGraph::find_weight(const std::string& name) const {
    const Params& p = *impl_->params;
    auto it = p.index.find(name);
    return it == p.index.end() ? nullptr : &p.weights[it->second];
}

std::vector<Edge> OpGraph::edges() const {
    const BoostGraph& g = impl_->structure->graph;
    std::vector<Edge> out;
    out.reserve(boost::num_edges(g));
    for (auto [it, end] = boost::edges(g); it != end; ++it) out.push_back(to_edge(g, *it));
    return out;
}
std::vector<Edge> OpGraph::in_edges(OpId id) const {
    const BoostGraph& g = impl_->structure->graph;
    std::vector<Edge> out;
    for (auto [it, end] = boost::in_edges(id, g); it != end; ++it) out.push_back(to_edge(g, *it));
    return out;
}
std::vector<Edge> OpGraph::out_edges(OpId id) const {
    const BoostGraph& g = impl_->structure->graph;
    std::vector<Edge> out;
    for (auto [it, end] = boost::out_edges(id, g); it != end; ++it) out.push_back(to_edge(g, *it));
    return out;
}
std::size_t OpGraph::edge_count() const { return boost::num_edges(impl_->structure->graph); }

std::vector<OpId> OpGraph::topological_order() const {
    const Structure& s = *impl_->structure;
    std::call_once(s.order_once, [&s] {  // an exception (a cycle) leaves the flag unset
        std::vector<BoostGraph::vertex_descriptor> reversed;
        try {
            boost::topological_sort(s.graph, std::back_inserter(reversed));
        } catch (const boost::not_a_dag&) {
            throw std::logic_error("operator graph has a cycle");
        }
        s.order.assign(reversed.rbegin(), reversed.rend());
        s.has_order = true;
    });
    return s.order;
}

std::vector<std::vector<OpId>> OpGraph::consumers() const {
    std::vector<std::vector<OpId>> out(value_count());
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
