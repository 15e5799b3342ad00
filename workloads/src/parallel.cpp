// Parallelism passes (parallel.hpp, docs/parallelism.md): a device's share of a split model,
// rebuilt op by op from the single-device graph.
#include "fmsim/workloads/parallel.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "fmsim/workloads/errors.hpp"
#include "passes.hpp"

namespace fmsim::workloads {

namespace {

// What an op does in a Megatron split, from its name: "layers.3.fc1.wgrad" is the weight gradient
// of a column-parallel product. Families name their blocks' products alike (transformer.cpp).
enum class Role { replicated, column, row, split, vocab };

struct Kind {
    std::string base;      // the forward op's name: "layers.3.fc1"
    Role role = Role::replicated;
    bool expert = false;   // an MoE expert product (batch = experts)
    bool dgrad = false, wgrad = false, backward = false, optimizer = false;
    bool attention = false;  // in an attention block: its 4-D score tensors are [batch, heads, q, k]
};

bool ends_with(const std::string& s, const std::string& tail) { return s.size() >= tail.size() && s.ends_with(tail); }
std::string strip(const std::string& s, const std::string& tail) { return s.substr(0, s.size() - tail.size()); }
std::string leaf_of(const std::string& s) {
    const auto dot = s.rfind('.');
    return dot == std::string::npos ? s : s.substr(dot + 1);
}

Role role_of_leaf(const std::string& leaf) {
    static const std::set<std::string> column{"qkv_proj", "q_proj", "kv_proj", "fc1", "gate_up_proj", "up_proj",
                                              "gate_proj", "lm_head", "loss"};
    static const std::set<std::string> row{"o_proj", "cross_o_proj", "fc2", "down_proj"};
    if (column.count(leaf)) return Role::column;
    if (row.count(leaf)) return Role::row;
    if (leaf == "embed_tokens") return Role::vocab;
    return Role::replicated;
}

Kind classify(const Op& op) {
    Kind k;
    std::string n = op.name;
    // A recomputed forward op ("x.fc1.recompute") splits as its forward op does.
    if (ends_with(n, ".recompute")) n = strip(n, ".recompute");
    if (op_traits(op.kind).shard == ShardRule::per_parameter) {
        k.optimizer = true;
        for (const char* t : {".weight.adamw", ".bias.adamw", ".adamw"})
            if (ends_with(n, t)) {
                n = strip(n, t);
                break;
            }
    }
    for (const char* t : {".wgrad_accumulate", ".grad_accumulate", ".dgrad", ".wgrad", ".grad_a", ".grad_b", ".bwd"})
        if (ends_with(n, t)) {
            k.dgrad = std::string(t) == ".dgrad";
            k.wgrad = std::string(t) == ".wgrad" || std::string(t) == ".wgrad_accumulate";
            k.backward = true;
            n = strip(n, t);
            break;
        }
    k.base = n;
    k.attention = op.group == ModuleGroup::attention;
    k.expert = n.find(".experts.") != std::string::npos || n.find("experts.") == 0;
    k.role = role_of_leaf(leaf_of(n));
    // Inside attention and FFN blocks, what is not a split product works on the split heads or
    // hidden units: attention itself, rotary embeddings, KV appends, activations.
    if (k.role == Role::replicated && (op.group == ModuleGroup::attention || op.group == ModuleGroup::ffn)) {
        const std::string leaf = leaf_of(n);
        if (leaf != "router" && leaf != "router_topk" && leaf != "dispatch" && leaf != "combine") k.role = Role::split;
    }
    return k;
}

// Divides the first dimension (or, with from_back, the last) that `parts` divides; else the
// first (last) one, rounded up.
Shape split_shape(Shape s, std::int64_t parts, bool from_back) {
    if (parts <= 1 || s.empty()) return s;
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t d = from_back ? n - 1 - i : i;
        if (s[d] % parts == 0) {
            s[d] /= parts;
            return s;
        }
    }
    const std::size_t d = from_back ? n - 1 : 0;
    s[d] = (s[d] + parts - 1) / parts;
    return s;
}

struct Sharder {
    const ParallelPlan& p;
    const ParallelShape& shape;
    std::int64_t kv_split() const {  // KV heads per device: split when tp divides them, else one each
        return shape.kv_heads % p.tp == 0 ? p.tp : shape.kv_heads;
    }

    // Whether an activation ref of a split op is split: by role and by which side of the product
    // it is on (the output gradient of "x.fc1" is named "x.fc1.grad").
    bool activation_split(const Kind& k, const TensorRef& t, bool is_write) const {
        switch (k.role) {
            case Role::split: return true;
            case Role::column:
                if (!k.backward) return is_write;
                if (k.dgrad) return !is_write;          // reads dY (split), writes dX (whole)
                return t.name == k.base + ".grad";      // wgrad: dY split, X whole
            case Role::row:
                if (!k.backward) return !is_write;
                if (k.dgrad) return is_write;           // reads dY (whole), writes dX (split)
                return t.name != k.base + ".grad";      // wgrad: X split, dY whole
            default: return false;
        }
    }

    void scale_ref(TensorRef& t, const Kind& k, bool is_write) const {
        const bool sp_whole = p.sp && k.role == Role::replicated && t.cls == TensorClass::activation;
        switch (t.cls) {
            case TensorClass::weight:
            case TensorClass::gradient:
            case TensorClass::optimizer_state:
                if (k.role == Role::replicated || k.role == Role::split) return;
                // Column splits the output features (the last dim), row the input ones (the first).
                t.shape = split_shape(t.shape, p.tp, k.role == Role::column || k.role == Role::vocab);
                return;
            case TensorClass::kv_cache: t.shape = split_shape(t.shape, kv_split(), true); return;
            case TensorClass::activation:
                if (sp_whole) t.shape = split_shape(t.shape, p.tp, false);
                else if (k.attention && t.shape.size() == 4 && t.shape[1] % p.tp == 0) t.shape[1] /= p.tp;  // unfused scores: heads
                else if (activation_split(k, t, is_write)) t.shape = split_shape(t.shape, p.tp, true);
                return;
        }
    }

    void scale_dims(Op& op, const Kind& k) const {
        if (auto* g = std::get_if<GemmDims>(&op.dims)) {
            if (k.expert && p.ep > 1) g->batch = std::max<std::int64_t>(1, g->batch / p.ep);
            if (p.tp == 1) return;
            auto div = [&](std::int64_t& v) { v = (v + p.tp - 1) / p.tp; };
            if (op_traits(op.kind).shard == ShardRule::heads_in_batch) div(g->batch);
            else if (k.role == Role::column) k.wgrad ? div(g->n) : k.dgrad ? div(g->k) : div(g->n);
            else if (k.role == Role::row) k.wgrad ? div(g->m) : k.dgrad ? div(g->n) : div(g->k);
        } else if (auto* a = std::get_if<AttentionDims>(&op.dims); a && op_traits(op.kind).shard == ShardRule::heads) {
            a->heads /= p.tp;
            a->kv_heads = std::max<std::int64_t>(1, a->kv_heads / kv_split());
        }
    }

    // The op's share on one device. Experts: 1/ep of them; heads, features: 1/tp.
    Op shard(Op op, const Kind& k) const {
        double flops_parts = 1;
        if (p.tp > 1 && k.role != Role::replicated && !(k.role == Role::vocab && !k.backward)) flops_parts *= static_cast<double>(p.tp);
        // Sequence parallelism splits the tokens of replicated ops; a parameter's update stays whole.
        if (p.tp > 1 && p.sp && k.role == Role::replicated && op_traits(op.kind).shard != ShardRule::per_parameter)
            flops_parts *= static_cast<double>(p.tp);
        if (k.expert && p.ep > 1) flops_parts *= static_cast<double>(p.ep);
        op.flops /= flops_parts;
        scale_dims(op, k);
        for (auto& t : op.reads) scale_ref(t, k, false);
        for (auto& t : op.writes) scale_ref(t, k, true);
        if (k.expert && p.ep > 1) {
            // The experts held here: one ep-th of the weight refs (each ref is one expert's matrix).
            std::vector<TensorRef> kept;
            std::int64_t seen = 0;
            for (auto& t : op.reads) {
                const bool expert_weight = t.cls != TensorClass::activation && t.name.find(".experts.") != std::string::npos;
                if (!expert_weight || seen++ % p.ep == 0) kept.push_back(t);
            }
            op.reads = std::move(kept);
        }
        return op;
    }
};

Op collective_op(const Op& after, const std::string& suffix, CollectiveKind kind, ParallelAxis axis,
                 std::int64_t group, const TensorRef& t) {
    Op c = op_beside(after, after.name + suffix, OpKind::collective);
    c.dims = CollectiveDims{kind, axis, group, t.bytes()};
    c.reads = {t};
    return c;
}

std::int64_t weight_bytes(const OpGraph& g) {
    std::int64_t b = 0;
    for (const auto& w : g.weights()) b += w.bytes();
    return b;
}

}  // namespace

ParallelShape parallel_shape(const Workload& w) {
    ParallelShape s;
    if (w.stages.empty()) return s;
    const OpGraph& g = *w.stages.front().graph;
    std::map<std::string, std::int64_t> layers_by_component;
    for (OpId i = 0; i < g.op_count(); ++i) {
        const Op& op = g.op(i);
        if (op.layer >= 0)
            layers_by_component[op.component] = std::max<std::int64_t>(layers_by_component[op.component], op.layer + 1);
        if (const auto* a = std::get_if<AttentionDims>(&op.dims); a && s.heads == 0) {
            s.heads = a->heads;
            s.kv_heads = a->kv_heads;
        }
        const std::string leaf = leaf_of(op.name);
        // Unfused attention: the scores product writes [batch, heads, q, k] from Q and K (heads x head_dim wide).
        if (const auto* gd = std::get_if<GemmDims>(&op.dims); gd && s.heads == 0 && leaf == "scores" &&
                                                               op_traits(op.kind).shard == ShardRule::heads_in_batch && op.writes.size() == 1 &&
                                                               op.writes.front().shape.size() == 4 && op.reads.size() >= 2 && gd->k > 0) {
            s.heads = op.writes.front().shape[1];
            s.kv_heads = op.reads[1].shape.back() / gd->k;
        }
        if (const auto* gd = std::get_if<GemmDims>(&op.dims);
            gd && s.hidden == 0 && (leaf == "qkv_proj" || leaf == "q_proj") && op.phase == Phase::forward)
            s.hidden = gd->k;
        if (leaf == "experts.gate_up_proj" || (op.name.find("experts.") != std::string::npos && leaf == "gate_up_proj"))
            if (const auto* gd = std::get_if<GemmDims>(&op.dims)) s.experts = gd->batch;
    }
    for (const auto& [c, n] : layers_by_component) s.layers = std::max(s.layers, n);
    return s;
}

void check_parallel_plan(const Workload& w, const ParallelPlan& p) {
    const ParallelShape s = parallel_shape(w);
    if (p.tp > 1) {
        if (s.heads == 0)
            throw ScenarioError("tp " + std::to_string(p.tp) + " needs attention heads to split; " + w.model +
                                " has no attention (tensor parallelism covers transformer models)");
        if (s.heads % p.tp != 0)
            throw ScenarioError("tp " + std::to_string(p.tp) + " does not divide " + w.model + "'s " +
                                std::to_string(s.heads) + " attention heads");
        if (s.kv_heads % p.tp != 0 && p.tp % s.kv_heads != 0)
            throw ScenarioError("tp " + std::to_string(p.tp) + " neither divides nor is a multiple of " + w.model +
                                "'s " + std::to_string(s.kv_heads) + " KV heads");
    }
    if (p.ep > 1 && (s.experts == 0 || s.experts % p.ep != 0))
        throw ScenarioError("ep " + std::to_string(p.ep) + " does not divide " + w.model + "'s " +
                            std::to_string(s.experts) + " experts");
    if (p.pp > 1) {
        if (w.family != "llama" && w.family != "gpt2" && w.family != "mistral" && w.family != "mixtral" &&
            w.family != "opt")
            throw ScenarioError("pp > 1 covers decoder-only language models; " + w.model + " is a " + w.family +
                                " model");
        if (s.layers < p.pp)
            throw ScenarioError("pp " + std::to_string(p.pp) + " exceeds " + w.model + "'s " +
                                std::to_string(s.layers) + " layers");
    }
}

Workload shard_tensor_parallel(const Workload& w, const ParallelPlan& p) {
    if (p.tp <= 1 && p.ep <= 1) return w;
    check_parallel_plan(w, p);
    const ParallelShape shape = parallel_shape(w);
    const Sharder sh{p, shape};
    const bool training = w.run.phase == RunPhase::train;
    Workload out = w;
    out.stages.clear();
    for (const Stage& st : w.stages) {
        const OpGraph& src = *st.graph;
        auto g = std::make_shared<OpGraph>();
        for (const auto& wt : src.weights()) {
            Weight x = wt;
            const std::string leaf = leaf_of(strip(wt.name, ends_with(wt.name, ".bias") ? ".bias" : ".weight"));
            const Role r = role_of_leaf(leaf);
            if (p.tp > 1 && (r == Role::column || r == Role::vocab)) x.shape = split_shape(x.shape, p.tp, true);
            else if (p.tp > 1 && r == Role::row && ends_with(wt.name, ".weight")) x.shape = split_shape(x.shape, p.tp, false);
            if (p.ep > 1 && wt.name.find(".experts.") != std::string::npos) {
                // "layers.0.experts.5.down_proj.weight": this device holds experts e with e % ep == 0.
                const auto at = wt.name.find(".experts.") + 9;
                const std::int64_t e = std::stoll(wt.name.substr(at, wt.name.find('.', at) - at));
                if (e % p.ep != 0) continue;
            }
            g->add_weight(std::move(x));
        }
        std::vector<ValueId> value_map(src.value_count(), 0);
        for (ValueId v = 0; v < src.value_count(); ++v)
            if (!src.value(v).producer) value_map[v] = g->add_input(src.value(v).tensor);
        for (OpId id = 0; id < src.op_count(); ++id) {
            const Op& orig = src.op(id);
            const Kind k = classify(orig);
            Op op = sh.shard(orig, k);
            for (auto& v : op.inputs) v = value_map[v];
            const OpId nid = add_rebuilt_op(*g, src, orig, std::move(op));
            const Op& added = g->op(nid);
            for (std::size_t i = 0; i < orig.outputs.size() && i < added.outputs.size(); ++i)
                value_map[orig.outputs[i]] = added.outputs[i];
            // Collectives that make the split outputs whole again, consumed in their place.
            auto reduce_after = [&](CollectiveKind kind, ParallelAxis axis, std::int64_t group, const std::string& suffix) {
                if (added.outputs.empty()) return;
                const ValueId out_v = added.outputs.front();
                Op c = collective_op(added, suffix, kind, axis, group, g->value(out_v).tensor);
                c.inputs = {out_v};
                TensorRef t = g->value(out_v).tensor;
                // A reduce-scatter leaves each device its 1/group of the sum (sequence parallelism: of the tokens).
                if (kind == CollectiveKind::reduce_scatter) t.shape = split_shape(t.shape, group, false);
                const OpId cid = g->add_op(std::move(c), {t});
                value_map[orig.outputs.front()] = g->op(cid).outputs.front();
            };
            if (p.tp > 1) {
                const bool fwd = orig.phase == Phase::forward || orig.recompute;  // recomputation re-runs its all-reduces
                const CollectiveKind reduce = p.sp ? CollectiveKind::reduce_scatter : CollectiveKind::all_reduce;
                if (fwd && k.role == Role::row) reduce_after(reduce, ParallelAxis::tp, p.tp, ".tp_reduce");
                else if (fwd && k.role == Role::vocab) reduce_after(CollectiveKind::all_reduce, ParallelAxis::tp, p.tp, ".tp_reduce");
                else if (fwd && !training && leaf_of(k.base) == "lm_head")
                    reduce_after(CollectiveKind::all_gather, ParallelAxis::tp, p.tp, ".tp_gather");
                else if (k.dgrad && k.role == Role::column && leaf_of(k.base) != "lm_head" && leaf_of(k.base) != "loss")
                    reduce_after(reduce, ParallelAxis::tp, p.tp, ".tp_reduce");
                // With sequence parallelism the column products first gather the split sequence.
                if (p.sp && fwd && k.role == Role::column && leaf_of(k.base) != "lm_head") {
                    const TensorRef& in = g->op(nid).reads.front();
                    Op c = collective_op(g->op(nid), ".tp_gather", CollectiveKind::all_gather, ParallelAxis::tp, p.tp, in);
                    g->add_op(std::move(c));
                }
            }
            if (p.ep > 1 && (leaf_of(k.base) == "dispatch" || (k.expert && leaf_of(k.base) == "down_proj")) &&
                !k.wgrad && !k.optimizer)
                reduce_after(CollectiveKind::all_to_all, ParallelAxis::ep, p.ep, ".ep_all_to_all");
        }
        Stage s = st;
        s.graph = g;
        const double src_w = static_cast<double>(weight_bytes(src)), dst_w = static_cast<double>(weight_bytes(*g));
        const double kept = src_w > 0 ? dst_w / src_w : 1.0;
        s.kv_cache_bytes = st.kv_cache_bytes / sh.kv_split();
        s.gradient_bytes = static_cast<std::int64_t>(static_cast<double>(st.gradient_bytes) * kept);
        s.optimizer_state_bytes = static_cast<std::int64_t>(static_cast<double>(st.optimizer_state_bytes) * kept);
        out.stages.push_back(std::move(s));
    }
    return out;
}

std::pair<std::int64_t, std::int64_t> stage_layers(std::int64_t layers, std::int64_t pp, std::int64_t stage) {
    // ceil(L / pp) blocks per stage; the shortfall is taken from the ends, first and last stage
    // alternately (they also hold the embedding and the head), as Llama 3 405B's 126 layers on
    // 16 stages run 7 on the first and last and 8 on the others (Llama 3 paper, section 3.3).
    const std::int64_t per = (layers + pp - 1) / pp;
    std::vector<std::int64_t> count(static_cast<std::size_t>(pp), per);
    std::int64_t shortfall = per * pp - layers;
    for (std::int64_t i = 0; shortfall > 0; ++i, --shortfall) {
        const std::int64_t at = i % 2 == 0 ? i / 2 : pp - 1 - i / 2;
        --count[static_cast<std::size_t>(at)];
    }
    std::int64_t lo = 0;
    for (std::int64_t s = 0; s < stage; ++s) lo += count[static_cast<std::size_t>(s)];
    return {lo, lo + count[static_cast<std::size_t>(stage)]};
}

Workload pipeline_stage(const Workload& w, std::int64_t pp, std::int64_t stage) {
    if (pp <= 1) return w;
    const ParallelShape shape = parallel_shape(w);
    // Plain names, not a structured binding: the lambda below captures them (clang 14, which builds
    // the fuzzers, does not capture bindings).
    const auto layers = stage_layers(shape.layers, pp, stage);
    const auto lo = layers.first, hi = layers.second;
    const std::int64_t per = hi - lo;
    const bool first = stage == 0, last = stage == pp - 1;
    Workload out = w;
    out.stages.clear();
    for (const Stage& st : w.stages) {
        const OpGraph& src = *st.graph;
        // Ops outside the blocks go with the block they precede (embeddings: the first stage) or
        // follow (final norm, head, loss: the last); backward and optimizer ops with their forward op.
        std::set<std::string> before_blocks;
        for (OpId id = 0; id < src.op_count(); ++id) {
            const Op& op = src.op(id);
            if (op.layer >= 0) break;
            before_blocks.insert(op.name);
        }
        auto on_this_stage = [&](const Op& op) {
            if (op.layer >= 0) return op.layer >= lo && op.layer < hi;
            const std::string base = classify(op).base;
            return before_blocks.count(base) ? first : last;
        };
        auto g = std::make_shared<OpGraph>();
        for (const auto& wt : src.weights()) {
            const bool keep = wt.layer >= 0 ? (wt.layer >= lo && wt.layer < hi)
                                            : (wt.group == ModuleGroup::embedding ? first : last);
            if (keep) g->add_weight(wt);
        }
        std::unordered_map<ValueId, ValueId> value_map;
        auto map_input = [&](ValueId v) {
            if (auto it = value_map.find(v); it != value_map.end()) return it->second;
            const ValueId nv = g->add_input(src.value(v).tensor);  // received from the previous stage
            value_map[v] = nv;
            return nv;
        };
        for (OpId id = 0; id < src.op_count(); ++id) {
            const Op& orig = src.op(id);
            if (!on_this_stage(orig)) continue;
            Op op = orig;
            for (auto& v : op.inputs) v = map_input(v);
            const OpId nid = add_rebuilt_op(*g, src, orig, std::move(op));
            for (std::size_t i = 0; i < orig.outputs.size(); ++i) value_map[orig.outputs[i]] = g->op(nid).outputs[i];
        }
        Stage s = st;
        const double src_w = static_cast<double>(weight_bytes(src)), dst_w = static_cast<double>(weight_bytes(*g));
        const double kept = src_w > 0 ? dst_w / src_w : 1.0;
        s.graph = g;
        s.kv_cache_bytes = st.kv_cache_bytes * per / std::max<std::int64_t>(1, shape.layers);
        s.gradient_bytes = static_cast<std::int64_t>(static_cast<double>(st.gradient_bytes) * kept);
        s.optimizer_state_bytes = static_cast<std::int64_t>(static_cast<double>(st.optimizer_state_bytes) * kept);
        out.stages.push_back(std::move(s));
    }
    return out;
}

}  // namespace fmsim::workloads
