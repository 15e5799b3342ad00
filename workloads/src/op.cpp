#include "fmsim/workloads/op.hpp"

#include <numeric>

namespace fmsim::workloads {

std::int64_t element_count(const Shape& s) {
    return std::accumulate(s.begin(), s.end(), std::int64_t{1}, std::multiplies<>());
}

std::string to_string(const Shape& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(s[i]);
    }
    return out + "]";
}

std::string_view to_string(ModuleGroup g) {
    switch (g) {
        case ModuleGroup::embedding: return "embedding";
        case ModuleGroup::attention: return "attention";
        case ModuleGroup::ffn: return "ffn";
        case ModuleGroup::norm: return "norm";
        case ModuleGroup::head: return "head";
        case ModuleGroup::conv: return "conv";
        case ModuleGroup::other: return "other";
    }
    return "?";
}

std::string_view to_string(Phase p) {
    switch (p) {
        case Phase::forward: return "forward";
        case Phase::backward: return "backward";
        case Phase::optimizer: return "optimizer";
    }
    return "?";
}

std::string_view to_string(TensorClass c) {
    switch (c) {
        case TensorClass::weight: return "weight";
        case TensorClass::activation: return "activation";
        case TensorClass::kv_cache: return "kv_cache";
        case TensorClass::gradient: return "gradient";
        case TensorClass::optimizer_state: return "optimizer_state";
    }
    return "?";
}

namespace {
std::int64_t sum_bytes(const std::vector<TensorRef>& ts, const TensorClass* only) {
    std::int64_t total = 0;
    for (const auto& t : ts)
        if (!only || t.cls == *only) total += t.bytes();
    return total;
}
}  // namespace

std::int64_t Op::bytes_read(TensorClass c) const { return sum_bytes(reads, &c); }
std::int64_t Op::bytes_written(TensorClass c) const { return sum_bytes(writes, &c); }
std::int64_t Op::bytes_read() const { return sum_bytes(reads, nullptr); }
std::int64_t Op::bytes_written() const { return sum_bytes(writes, nullptr); }

Op op_beside(const Op& at, std::string name, OpKind kind) {
    Op o;
    o.name = std::move(name);
    o.kind = kind;
    o.group = at.group;
    o.phase = at.phase;
    o.layer = at.layer;
    o.component = at.component;
    o.recompute = at.recompute;
    return o;
}

std::string_view to_string(CollectiveKind k) {
    switch (k) {
        case CollectiveKind::all_reduce: return "all_reduce";
        case CollectiveKind::all_gather: return "all_gather";
        case CollectiveKind::reduce_scatter: return "reduce_scatter";
        case CollectiveKind::all_to_all: return "all_to_all";
        case CollectiveKind::send_recv: return "send_recv";
    }
    return "?";
}

std::string_view to_string(ParallelAxis a) {
    switch (a) {
        case ParallelAxis::tp: return "tp";
        case ParallelAxis::pp: return "pp";
        case ParallelAxis::dp: return "dp";
        case ParallelAxis::ep: return "ep";
    }
    return "?";
}

}  // namespace fmsim::workloads
