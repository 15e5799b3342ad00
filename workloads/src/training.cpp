#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "fmsim/workloads/errors.hpp"
#include "passes.hpp"

namespace fmsim::workloads {

namespace {

using Block = std::pair<std::string, int>;  // (component, layer)

bool recomputed_under(Recompute policy, const Op& op) {
    if (op.layer < 0) return false;
    switch (policy) {
        case Recompute::none: return false;
        case Recompute::full: return true;
        case Recompute::selective:
            // Megatron's "core attention": the scores, their softmax and dropout, and the product with V.
            return op.group == ModuleGroup::attention && op_traits(op.kind).core_attention;
    }
    return false;
}

class TrainingPass {
public:
    TrainingPass(const OpGraph& fwd, const RunSpec& run) : fwd_(fwd), g_(fwd), run_(run) {}

    Stage run() {
        const std::size_t forward_ops = fwd_.op_count();
        mark_requires_grad();
        for (OpId i = 0; i < forward_ops; ++i)
            if (recomputed_under(run_.recompute, fwd_.op(i)))
                recompute_plan_[Block{fwd_.op(i).component, fwd_.op(i).layer}].push_back(i);
        for (OpId i = static_cast<OpId>(forward_ops); i-- > 0;) backward_of(i);
        return optimizer_stage();
    }

private:
    void mark_requires_grad() {
        requires_grad_.assign(fwd_.value_count(), false);
        for (OpId i = 0; i < fwd_.op_count(); ++i) {
            const Op& op = fwd_.op(i);
            bool rg = false;
            for (ValueId v : op.inputs) rg = rg || requires_grad_[v];
            for (const auto& r : op.reads) {
                if (r.cls != TensorClass::weight) continue;
                const Weight* w = fwd_.find_weight(r.name);
                rg = rg || (w && w->trainable);
            }
            for (ValueId v : op.outputs) requires_grad_[v] = rg;
        }
    }

    ValueId saved(ValueId v) const {
        auto it = remap_.find(v);
        return it == remap_.end() ? v : it->second;
    }

    Op derived(const Op& src, const std::string& suffix, OpKind kind, double flops) const {
        Op o;
        o.name = src.name + suffix;
        o.kind = kind;
        o.group = src.group;
        o.phase = Phase::backward;
        o.layer = src.layer;
        o.component = src.component;
        o.math_dtype = src.math_dtype;
        o.flops = flops;
        return o;
    }

    void read_value(Op& o, ValueId v) const {
        o.inputs.push_back(v);
        o.reads.push_back(g_.value(v).tensor);
    }

    // Reads each distinct forward input once (q, k and v slices of one packed value are one read).
    void read_saved_inputs(Op& o, const Op& src) const {
        std::vector<ValueId> seen;
        for (ValueId v : src.inputs) {
            if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
            seen.push_back(v);
            read_value(o, saved(v));
        }
    }

    // Re-runs the planned forward ops of a block before its first backward op.
    void recompute_block(const Block& b) {
        if (!recomputed_blocks_.insert(b).second) return;
        auto it = recompute_plan_.find(b);
        if (it == recompute_plan_.end()) return;
        for (OpId i : it->second) {
            const Op& src = fwd_.op(i);
            Op o = src;
            o.name += ".recompute";
            o.phase = Phase::backward;
            o.recompute = true;
            o.outputs.clear();
            std::vector<TensorRef> produced;
            for (ValueId v : src.outputs) produced.push_back(fwd_.value(v).tensor);
            o.writes.erase(o.writes.end() - static_cast<std::ptrdiff_t>(produced.size()), o.writes.end());
            for (ValueId& v : o.inputs) v = saved(v);
            const OpId id = g_.add_op(std::move(o), produced);
            // Backward ops read the recomputed values, except a region's outputs that ops outside it
            // consumed: those were kept (Megatron's checkpointed attention keeps its output for o_proj).
            for (std::size_t k = 0; k < src.outputs.size(); ++k) {
                const auto& users = consumers_of(src.outputs[k]);
                const bool internal = std::all_of(users.begin(), users.end(), [&](OpId u) {
                    return std::find(it->second.begin(), it->second.end(), u) != it->second.end();
                });
                if (internal) remap_[src.outputs[k]] = g_.op(id).outputs[k];
            }
        }
    }

    std::int64_t elements_of(ValueId v) const { return element_count(g_.value(v).tensor.shape); }

    // Gradients of one value from several consumers. Contributions that cover disjoint slices
    // (dq, dk, dv of a packed QKV projection) are kept side by side, as kernels write them into
    // one buffer; overlapping ones are summed by an add.
    void accumulate(ValueId target, ValueId grad, const Op& src) {
        auto& parts = grad_[target];
        std::int64_t covered = elements_of(grad);
        for (ValueId p : parts) covered += elements_of(p);
        if (parts.empty() || covered <= elements_of(target)) {
            parts.push_back(grad);
            return;
        }
        Op o = derived(src, ".grad_accumulate", OpKind::elementwise, static_cast<double>(elements_of(target)));
        for (ValueId p : parts) read_value(o, p);
        read_value(o, grad);
        const OpId id = g_.add_op(std::move(o), {grad_ref_of(target)});
        parts.assign(1, g_.op(id).outputs.front());
    }

    TensorRef grad_ref_of(ValueId v) const {
        TensorRef t = g_.value(v).tensor;
        t.name += ".grad";
        return t;
    }

    // The gradient of `v` an op produces covers what the forward op read of it: a slice of a
    // packed value when only a slice was read.
    TensorRef grad_ref_for(const Op& src, ValueId v) const {
        TensorRef t = grad_ref_of(v);
        std::int64_t read = 0;
        const Shape* only = nullptr;
        for (std::size_t i = 0; i < src.inputs.size(); ++i)
            if (src.inputs[i] == v) {
                read += element_count(src.reads[i].shape);
                only = read == element_count(src.reads[i].shape) ? &src.reads[i].shape : nullptr;
            }
        if (read >= element_count(t.shape)) return t;
        t.shape = only ? *only : Shape{read};
        return t;
    }

    std::vector<TensorRef> weight_reads(const Op& op) const {
        std::vector<TensorRef> out;
        for (const auto& r : op.reads)
            if (r.cls == TensorClass::weight) out.push_back(r);
        return out;
    }

    std::vector<TensorRef> weight_grads(const Op& op) const {
        std::vector<TensorRef> out;
        for (const auto& r : op.reads) {
            if (r.cls != TensorClass::weight) continue;
            const Weight* w = fwd_.find_weight(r.name);
            if (!w || !w->trainable) continue;
            out.push_back(TensorRef{r.name + ".grad", r.shape, w->dtype, TensorClass::gradient});
        }
        return out;
    }

    // Adds a backward op that produces the gradients of `targets` (activations) and of
    // `weight_grads` (parameters), accumulating where a tensor already has a gradient.
    // `only_input`: the gradient is of that one input of src (a batched matmul operand), so it
    // covers what src read through that input alone.
    void emit(const Op& src, Op o, const std::vector<ValueId>& targets, const std::vector<TensorRef>& weight_grads = {},
              std::optional<std::size_t> only_input = std::nullopt) {
        std::vector<TensorRef> produced;
        for (ValueId t : targets) {
            TensorRef ref = grad_ref_for(src, t);
            if (only_input && element_count(src.reads[*only_input].shape) < element_count(ref.shape))
                ref.shape = src.reads[*only_input].shape;
            produced.push_back(ref);
        }
        for (const auto& w : weight_grads) produced.push_back(w);
        const OpId id = g_.add_op(std::move(o), produced);
        const auto outs = g_.op(id).outputs;
        for (std::size_t k = 0; k < targets.size(); ++k) accumulate(targets[k], outs[k], src);
        for (std::size_t k = 0; k < weight_grads.size(); ++k)
            accumulate_weight(weight_grads[k], outs[targets.size() + k], src);
    }

    void accumulate_weight(const TensorRef& grad, ValueId v, const Op& src) {
        const std::string weight = grad.name.substr(0, grad.name.size() - std::string(".grad").size());
        auto it = weight_grad_.find(weight);
        if (it == weight_grad_.end()) {
            weight_grad_[weight] = v;
            return;
        }
        // A tied weight (shared embedding and LM head) sums the gradients of its uses.
        Op o = derived(src, ".wgrad_accumulate", OpKind::elementwise, static_cast<double>(element_count(grad.shape)));
        read_value(o, it->second);
        read_value(o, v);
        const OpId id = g_.add_op(std::move(o), {grad});
        it->second = g_.op(id).outputs.front();
    }

    void backward_of(OpId i) {
        const Op& src = fwd_.op(i);
        bool any_rg = false;
        for (ValueId v : src.outputs) any_rg = any_rg || requires_grad_[v];
        if (!any_rg) return;
        // Outputs nobody consumed are losses: their gradient is the seed, not a value.
        std::vector<ValueId> grad_outs;
        for (ValueId v : src.outputs)
            if (auto it = grad_.find(v); it != grad_.end()) grad_outs.insert(grad_outs.end(), it->second.begin(), it->second.end());
        bool consumed = false;
        for (ValueId v : src.outputs) consumed = consumed || !consumers_of(v).empty();
        if (grad_outs.empty() && consumed) return;  // feeds nothing that reaches the loss

        if (src.layer >= 0) recompute_block(Block{src.component, src.layer});

        std::vector<ValueId> grad_targets;  // distinct: slices of one packed value share a gradient
        for (ValueId v : src.inputs)
            if (requires_grad_[v] && std::find(grad_targets.begin(), grad_targets.end(), v) == grad_targets.end())
                grad_targets.push_back(v);

        // A sum hands its output gradient to each input as it is: no kernel, nothing saved.
        if (src.gradient_passes_through && grad_outs.size() == 1 &&
            std::all_of(grad_targets.begin(), grad_targets.end(),
                        [&](ValueId t) { return elements_of(t) == elements_of(grad_outs.front()); })) {
            for (ValueId t : grad_targets) accumulate(t, grad_outs.front(), src);
            return;
        }
        const Grads grads{src, op_traits(src.kind), grad_outs, grad_targets};
        switch (grads.traits.backward) {
            case BackwardRule::input_and_weight_products: input_and_weight_products(grads); break;
            case BackwardRule::operand_products: operand_products(grads); break;
            case BackwardRule::scatter_add: scatter_add(grads); break;
            case BackwardRule::fused_backward_kernel: fused_backward_kernel(grads); break;
            case BackwardRule::keep_mask: keep_mask(grads); break;
            case BackwardRule::elementwise: elementwise_backward(grads); break;
        }
    }

    // One forward op's backward: the op, its kind's record, the gradients of its outputs and the
    // inputs that need one.
    struct Grads {
        const Op& src;
        const OpKindTraits& traits;
        const std::vector<ValueId>& outs;
        const std::vector<ValueId>& targets;
    };

    // A backward op of `g.src` reading the output gradients.
    Op start(const Grads& g, const std::string& suffix, double flops) const {
        Op o = derived(g.src, suffix, g.src.kind, flops);
        for (ValueId v : g.outs) read_value(o, v);
        return o;
    }

    void input_and_weight_products(const Grads& gr) {
        // The two products of the forward's size, as GEMMs a mapper can tile: for
        // Y[b,m,n] = X[b,m,k] W[k,n], dX = dY W^T is [b,m,k] over n, and dW = X^T dY is
        // [k,n] over all b*m rows. A convolution keeps its implicit-GEMM shape.
        const Op& src = gr.src;
        const double flops = gr.traits.backward_flops_factor * src.flops;
        const auto* g = std::get_if<GemmDims>(&src.dims);
        if (!gr.targets.empty()) {
            Op o = start(gr, ".dgrad", flops);
            o.dims = g ? OpDims{GemmDims{g->batch, g->m, g->k, g->n}} : src.dims;
            for (auto& w : weight_reads(src)) o.reads.push_back(w);
            emit(src, std::move(o), gr.targets);
        }
        if (auto grads = weight_grads(src); !grads.empty()) {
            Op o = start(gr, ".wgrad", flops);
            o.dims = g ? OpDims{GemmDims{1, g->k, g->n, g->batch * g->m}} : src.dims;
            read_saved_inputs(o, src);
            emit(src, std::move(o), {}, grads);
        }
    }

    void operand_products(const Grads& gr) {
        // d(A B): dA = dC B^T, dB = A^T dC; each is one product of the forward's size.
        const Op& src = gr.src;
        for (std::size_t k = 0; k < src.inputs.size(); ++k) {
            if (!requires_grad_[src.inputs[k]]) continue;
            Op o = start(gr, k == 0 ? ".grad_a" : ".grad_b", gr.traits.backward_flops_factor * src.flops);
            // dA = dC B^T: [b,m,k] over n; dB = A^T dC: [b,k,n] over m.
            if (const auto* g = std::get_if<GemmDims>(&src.dims))
                o.dims = k == 0 ? OpDims{GemmDims{g->batch, g->m, g->k, g->n}} : OpDims{GemmDims{g->batch, g->k, g->n, g->m}};
            for (std::size_t other = 0; other < src.inputs.size(); ++other)
                if (other != k) read_value(o, saved(src.inputs[other]));
            for (const auto& r : src.reads)
                if (r.cls == TensorClass::kv_cache) o.reads.push_back(r);
            emit(src, std::move(o), {src.inputs[k]}, {}, k);
        }
    }

    void scatter_add(const Grads& gr) {
        if (auto grads = weight_grads(gr.src); !grads.empty()) {
            // Scatter-add of the output gradient into the gathered rows: one FLOP per output element.
            const double n = static_cast<double>(element_count(fwd_.value(gr.src.outputs.front()).tensor.shape));
            emit(gr.src, start(gr, ".wgrad", n), {}, grads);
        }
    }

    void fused_backward_kernel(const Grads& gr) {
        Op o = start(gr, ".bwd", gr.traits.backward_flops_factor * gr.src.flops);
        o.dims = gr.src.dims;
        read_saved_inputs(o, gr.src);
        for (ValueId v : gr.src.outputs) read_value(o, saved(v));
        emit(gr.src, std::move(o), gr.targets);
    }

    void keep_mask(const Grads& gr) {
        // dX = dY x mask / (1 - p): the output gradient and the saved keep-mask, one FLOP per element.
        Op o = start(gr, ".bwd", static_cast<double>(elements_of(gr.src.outputs.front())));
        read_value(o, saved(gr.src.outputs.back()));
        emit(gr.src, std::move(o), gr.targets);
    }

    void elementwise_backward(const Grads& gr) {
        Op o = start(gr, ".bwd", gr.traits.backward_flops_factor * gr.src.flops);
        read_saved_inputs(o, gr.src);
        for (auto& w : weight_reads(gr.src)) o.reads.push_back(w);
        emit(gr.src, std::move(o), gr.targets, weight_grads(gr.src));
    }

    const std::vector<OpId>& consumers_of(ValueId v) {
        if (consumers_.empty()) consumers_ = fwd_.consumers();
        return consumers_[v];
    }

    Stage optimizer_stage() {
        Stage s;
        s.name = "train_step";
        for (const Weight& w : fwd_.weights()) {
            if (!w.trainable) continue;
            if (bits_per_element(w.dtype) < 16)
                throw ScenarioError("training updates weights stored as " + std::string(to_string(w.dtype)) +
                                    "; use 16- or 32-bit weights (quantized frozen bases arrive with fine-tuning)");
            // Mixed-precision AdamW keeps fp32 moments and, below fp32, an fp32 master copy
            // (Micikevicius et al. 2018; ZeRO, Rajbhandari et al. 2020, section 3.1: 12 bytes/param).
            const bool master = w.dtype != DType::fp32;
            std::vector<TensorRef> states{{w.name + ".adam_m", w.shape, DType::fp32, TensorClass::optimizer_state},
                                          {w.name + ".adam_v", w.shape, DType::fp32, TensorClass::optimizer_state}};
            if (master) states.push_back({w.name + ".master", w.shape, DType::fp32, TensorClass::optimizer_state});
            Op o;
            o.name = w.name + ".adamw";
            o.kind = OpKind::optimizer_update;
            o.group = w.group;
            o.phase = Phase::optimizer;
            o.layer = w.layer;
            o.component = w.component;
            o.math_dtype = DType::fp32;
            o.flops = kAdamFlopsPerParam * static_cast<double>(w.elements());
            if (auto it = weight_grad_.find(w.name); it != weight_grad_.end()) {
                o.inputs.push_back(it->second);
                o.reads.push_back(TensorRef{w.name + ".grad", w.shape, w.dtype, TensorClass::gradient});
            }
            for (const auto& t : states) o.reads.push_back(t);
            o.writes = states;
            o.writes.push_back(TensorRef{w.name, w.shape, w.dtype, TensorClass::weight});
            g_.add_op(std::move(o));
            s.gradient_bytes += w.bytes();
            for (const auto& t : states) s.optimizer_state_bytes += t.bytes();
        }
        s.graph = std::make_shared<const OpGraph>(std::move(g_));
        return s;
    }

    const OpGraph& fwd_;
    OpGraph g_;
    RunSpec run_;
    std::vector<bool> requires_grad_;
    std::vector<std::vector<OpId>> consumers_;
    std::unordered_map<ValueId, std::vector<ValueId>> grad_;
    std::unordered_map<ValueId, ValueId> remap_;
    std::unordered_map<std::string, ValueId> weight_grad_;
    std::map<Block, std::vector<OpId>> recompute_plan_;
    std::set<Block> recomputed_blocks_;
};

}  // namespace

Stage make_training_step(const OpGraph& forward, const RunSpec& run) { return TrainingPass(forward, run).run(); }

}  // namespace fmsim::workloads
