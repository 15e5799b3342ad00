// LoRA and QLoRA adapters on a forward graph (passes.hpp: with_lora_adapters).
#include <algorithm>

#include "fmsim/workloads/errors.hpp"
#include "passes.hpp"

namespace fmsim::workloads {

namespace {
std::string leaf_of(const std::string& s) {
    const auto dot = s.rfind('.');
    return dot == std::string::npos ? s : s.substr(dot + 1);
}
}  // namespace

OpId add_rebuilt_op(OpGraph& g, const OpGraph& src, const Op& orig, Op op) {
    std::vector<TensorRef> produced, writes;
    std::vector<bool> taken(orig.writes.size(), false);
    for (ValueId v : orig.outputs)
        for (std::size_t i = 0; i < orig.writes.size(); ++i)
            if (!taken[i] && orig.writes[i].name == src.value(v).tensor.name) {
                taken[i] = true;
                produced.push_back(op.writes[i]);
                break;
            }
    for (std::size_t i = 0; i < op.writes.size(); ++i)
        if (!taken[i]) writes.push_back(op.writes[i]);
    op.writes = std::move(writes);
    op.outputs.clear();
    return g.add_op(std::move(op), produced);
}

OpGraph with_lora_adapters(const OpGraph& forward, const RunSpec& run) {
    const FineTune& ft = run.finetune;
    if (ft.rank < 1) throw ScenarioError("finetune.rank must be >= 1, got " + std::to_string(ft.rank));
    const DType adapter = run.precision.activations;  // adapters train in 16-bit even on a 4-bit base
    OpGraph g;
    for (Weight w : forward.weights()) {
        w.trainable = false;
        g.add_weight(std::move(w));
    }
    std::vector<ValueId> value_map(forward.value_count(), 0);
    for (ValueId v = 0; v < forward.value_count(); ++v)
        if (!forward.value(v).producer) value_map[v] = g.add_input(forward.value(v).tensor);
    int adapted = 0;
    for (OpId id = 0; id < forward.op_count(); ++id) {
        const Op& orig = forward.op(id);
        Op op = orig;
        for (auto& v : op.inputs) v = value_map[v];
        const OpId nid = add_rebuilt_op(g, forward, orig, std::move(op));
        for (std::size_t i = 0; i < orig.outputs.size(); ++i) value_map[orig.outputs[i]] = g.op(nid).outputs[i];

        const auto* dims = std::get_if<GemmDims>(&orig.dims);
        const bool target = orig.kind == OpKind::matmul && dims && !orig.inputs.empty() && !orig.outputs.empty() &&
                            std::find(ft.targets.begin(), ft.targets.end(), leaf_of(orig.name)) != ft.targets.end();
        if (!target) continue;
        ++adapted;
        const std::int64_t r = ft.rank, k = dims->k, n = dims->n;
        const ValueId x = value_map[orig.inputs.front()], y = g.op(nid).outputs.front();
        const TensorRef& x_t = g.value(x).tensor;
        const TensorRef y_t = g.value(y).tensor;
        auto adapter_weight = [&](const std::string& name, Shape shape) {
            Weight w{name, std::move(shape), adapter, orig.group, orig.component, orig.layer, 1.0, true};
            g.add_weight(w);
            return TensorRef{w.name, w.shape, w.dtype, TensorClass::weight};
        };
        auto derived = [&](const std::string& suffix, OpKind kind, double flops) {
            Op o;
            o.name = orig.name + suffix;
            o.kind = kind;
            o.group = orig.group;
            o.phase = orig.phase;
            o.layer = orig.layer;
            o.component = orig.component;
            o.math_dtype = adapter;
            o.flops = flops;
            return o;
        };
        const double rows = static_cast<double>(dims->batch * dims->m);
        Shape down_shape = y_t.shape;
        down_shape.back() = r;
        Op a = derived(".lora_a", OpKind::matmul, 2.0 * rows * static_cast<double>(k * r));
        a.dims = GemmDims{dims->batch, dims->m, r, k};
        a.inputs = {x};
        a.reads = {x_t, adapter_weight(orig.name + ".lora_a.weight", {k, r})};
        const OpId aid = g.add_op(std::move(a), {TensorRef{orig.name + ".lora_a", down_shape, adapter, TensorClass::activation}});
        const ValueId a_out = g.op(aid).outputs.front();
        Op b = derived(".lora_b", OpKind::matmul, 2.0 * rows * static_cast<double>(r * n));
        b.dims = GemmDims{dims->batch, dims->m, n, r};
        b.inputs = {a_out};
        b.reads = {g.value(a_out).tensor, adapter_weight(orig.name + ".lora_b.weight", {r, n})};
        const OpId bid = g.add_op(std::move(b), {TensorRef{orig.name + ".lora_b", y_t.shape, adapter, TensorClass::activation}});
        const ValueId b_out = g.op(bid).outputs.front();
        Op sum = derived(".lora_add", OpKind::elementwise, static_cast<double>(element_count(y_t.shape)));
        sum.inputs = {y, b_out};
        sum.reads = {y_t, g.value(b_out).tensor};
        const OpId sid = g.add_op(std::move(sum), {TensorRef{orig.name + ".lora_add", y_t.shape, y_t.dtype, TensorClass::activation}});
        value_map[orig.outputs.front()] = g.op(sid).outputs.front();
    }
    if (adapted == 0) {
        std::string list;
        for (const auto& t : ft.targets) list += (list.empty() ? "" : ", ") + t;
        throw ScenarioError("finetune.targets (" + list + ") name no linear layer of this model");
    }
    return g;
}

}  // namespace fmsim::workloads
