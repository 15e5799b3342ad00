#include "fmsim/workloads/memory.hpp"

#include "fmsim/workloads/summary.hpp"

#include <algorithm>

namespace fmsim::workloads {

std::vector<std::int64_t> live_activation_bytes_by_op(const OpGraph& g) {
    const std::size_t n_ops = g.op_count();
    std::vector<std::int64_t> last_use(g.value_count(), -1);
    for (OpId i = 0; i < n_ops; ++i)
        for (ValueId v : g.op(i).inputs) last_use[v] = std::max<std::int64_t>(last_use[v], static_cast<std::int64_t>(i));
    std::vector<std::int64_t> born_at(n_ops, 0), freed_after(n_ops, 0);
    std::int64_t live = 0;
    for (ValueId v = 0; v < g.value_count(); ++v) {
        const Value& val = g.value(v);
        if (val.tensor.cls != TensorClass::activation) continue;
        const std::int64_t bytes = val.tensor.bytes();
        const std::int64_t born = val.producer ? static_cast<std::int64_t>(*val.producer) : -1;
        if (born < 0) live += bytes;
        else born_at[static_cast<std::size_t>(born)] += bytes;
        const std::int64_t end = std::max(last_use[v], born);
        if (end >= 0) freed_after[static_cast<std::size_t>(end)] += bytes;
    }
    std::vector<std::int64_t> out(n_ops);
    for (std::size_t i = 0; i < n_ops; ++i) {
        live += born_at[i];
        out[i] = live;
        live -= freed_after[i];
    }
    return out;
}

std::int64_t saved_for_backward_bytes(const OpGraph& g) {
    std::vector<std::int64_t> first_use(g.value_count(), -1), last_use(g.value_count(), -1);
    std::int64_t last_forward = -1;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const auto at = static_cast<std::int64_t>(i);
        for (ValueId v : g.op(i).inputs) {
            if (first_use[v] < 0) first_use[v] = at;
            last_use[v] = std::max(last_use[v], at);
        }
        if (g.op(i).phase == Phase::forward) last_forward = at;
    }
    std::int64_t saved = 0;
    for (ValueId v = 0; v < g.value_count(); ++v) {
        const Value& val = g.value(v);
        if (val.tensor.cls != TensorClass::activation) continue;
        const std::int64_t made = val.producer ? static_cast<std::int64_t>(*val.producer) : first_use[v];
        if (made >= 0 && made <= last_forward && last_use[v] > last_forward) saved += val.tensor.bytes();
    }
    return saved;
}

std::int64_t peak_live_activation_bytes(const OpGraph& g) {
    const auto live = live_activation_bytes_by_op(g);
    if (!live.empty()) return *std::max_element(live.begin(), live.end());
    std::int64_t inputs = 0;  // no op: only the graph's inputs are resident
    for (ValueId v = 0; v < g.value_count(); ++v)
        if (g.value(v).tensor.cls == TensorClass::activation) inputs += g.value(v).tensor.bytes();
    return inputs;
}

}  // namespace fmsim::workloads
