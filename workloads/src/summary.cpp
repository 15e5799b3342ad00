#include "fmsim/workloads/summary.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <unordered_set>

namespace fmsim::workloads {

using json = nlohmann::ordered_json;

GraphSummary summarize(const Workload& w) {
    GraphSummary s;
    std::unordered_set<std::string> seen_weights;
    // Copied graphs (the decode steps of a generation) share one weight table: a table already
    // counted adds no new name, so it is skipped whole.
    std::set<const std::vector<Weight>*> seen_tables;
    std::set<const OpGraph*> seen_graphs;
    s.stage_count = static_cast<std::int64_t>(w.stages.size());
    for (const Stage& st : w.stages) {
        const OpGraph& g = *st.graph;
        const double rep = static_cast<double>(st.repeat);
        if (seen_tables.insert(&g.weights()).second)
            for (const Weight& wt : g.weights()) {
                if (!seen_weights.insert(wt.name).second) continue;
                s.params_total += wt.elements();
                s.params_active += wt.active_fraction * static_cast<double>(wt.elements());
                if (wt.trainable) s.params_trainable += wt.elements();
                s.weight_bytes += wt.bytes();
                s.group(wt.group).params += wt.elements();
            }
        for (OpId i = 0; i < g.op_count(); ++i) {
            const Op& o = g.op(i);
            const double rd = static_cast<double>(o.bytes_read()), wr = static_cast<double>(o.bytes_written());
            s.flops += o.flops * rep;
            s.flops_by_phase[static_cast<std::size_t>(o.phase)] += o.flops * rep;
            s.bytes_read += rd * rep;
            s.bytes_written += wr * rep;
            s.group(o.group).flops += o.flops * rep;
            s.group(o.group).bytes += static_cast<std::int64_t>((rd + wr) * rep);
        }
        if (seen_graphs.insert(&g).second) {
            s.op_count += static_cast<std::int64_t>(g.op_count());
            s.edge_count += static_cast<std::int64_t>(g.edge_count());
            s.activation_bytes = std::max(s.activation_bytes, peak_live_activation_bytes(g));
        }
        s.kv_cache_bytes = std::max(s.kv_cache_bytes, st.kv_cache_bytes);
        s.gradient_bytes = std::max(s.gradient_bytes, st.gradient_bytes);
        s.optimizer_state_bytes = std::max(s.optimizer_state_bytes, st.optimizer_state_bytes);
    }
    return s;
}

namespace {
json run_json(const RunSpec& r) {
    return json{{"phase", to_string(r.phase)},
                {"batch", r.batch},
                {"input_len", r.input_len},
                {"output_len", r.output_len},
                {"steps", r.steps},
                {"precision",
                 {{"weights", to_string(r.precision.weights)},
                  {"activations", to_string(r.precision.activations)},
                  {"kv_cache", to_string(r.precision.kv_cache)},
                  {"math", to_string(r.precision.math)}}},
                {"attention", r.attention == AttentionImpl::fused ? "fused" : "unfused"},
                {"recompute", to_string(r.recompute)}};
}

std::string si(double v, const char* unit) {
    const char* prefixes[] = {"", "K", "M", "G", "T", "P", "E"};
    int i = 0;
    while (std::fabs(v) >= 1000 && i < 6) {
        v /= 1000;
        ++i;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g %s%s", v, prefixes[i], unit);
    return buf;
}
}  // namespace

std::string summary_json(const Workload& w, const GraphSummary& s) {
    json groups = json::object();
    for (ModuleGroup g : kAllGroups) {
        const auto& t = s.group(g);
        groups[std::string(to_string(g))] = {{"params", t.params}, {"flops", t.flops}, {"bytes", t.bytes}};
    }
    json out{{"model", w.model},
             {"family", w.family},
             {"run", run_json(w.run)},
             {"params_total", s.params_total},
             {"params_active", std::llround(s.params_active)},
             {"params_trainable", s.params_trainable},
             {"flops", s.flops},
             {"flops_forward", s.flops_by_phase[0]},
             {"flops_backward", s.flops_by_phase[1]},
             {"flops_optimizer", s.flops_by_phase[2]},
             {"weight_bytes", s.weight_bytes},
             {"kv_cache_bytes", s.kv_cache_bytes},
             {"activation_bytes", s.activation_bytes},
             {"gradient_bytes", s.gradient_bytes},
             {"optimizer_state_bytes", s.optimizer_state_bytes},
             {"bytes_read", s.bytes_read},
             {"bytes_written", s.bytes_written},
             {"stages", s.stage_count},
             {"ops", s.op_count},
             {"edges", s.edge_count},
             {"groups", groups}};
    return out.dump(2);
}

std::string summary_text(const Workload& w, const GraphSummary& s) {
    std::ostringstream os;
    const RunSpec& r = w.run;
    os << w.model << " (" << w.family << "): " << to_string(r.phase) << ", batch " << r.batch;
    if (r.input_len) os << ", input " << r.input_len;
    if (r.output_len) os << ", output " << r.output_len;
    if (r.steps) os << ", " << r.steps << " steps";
    os << "; weights " << to_string(r.precision.weights) << ", activations " << to_string(r.precision.activations)
       << ", KV " << to_string(r.precision.kv_cache) << ", math " << to_string(r.precision.math) << "; "
       << (r.attention == AttentionImpl::fused ? "fused" : "unfused") << " attention";
    if (r.phase == RunPhase::train) os << ", recompute " << to_string(r.recompute);
    os << "\n\n";
    auto line = [&](const char* label, const std::string& value) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "  %-18s", label);
        os << buf << value << "\n";
    };
    line("parameters", si(static_cast<double>(s.params_total), "") + " total, " + si(s.params_active, "") +
                           " active per token");
    std::string flops = si(s.flops, "FLOP");
    if (s.flops_by_phase[1] > 0)
        flops += " (forward " + si(s.flops_by_phase[0], "") + ", backward " + si(s.flops_by_phase[1], "") +
                 ", optimizer " + si(s.flops_by_phase[2], "") + ")";
    line("FLOPs", flops);
    line("weights", si(static_cast<double>(s.weight_bytes), "B"));
    line("KV cache", si(static_cast<double>(s.kv_cache_bytes), "B"));
    line("activations", si(static_cast<double>(s.activation_bytes), "B") + " peak live");
    if (s.gradient_bytes)
        line("grads + optimizer", si(static_cast<double>(s.gradient_bytes), "B") + " + " +
                                      si(static_cast<double>(s.optimizer_state_bytes), "B"));
    line("memory traffic", si(s.bytes_read, "B") + " read, " + si(s.bytes_written, "B") + " written");
    line("graph", std::to_string(s.stage_count) + " stage(s), " + std::to_string(s.op_count) + " ops, " +
                      std::to_string(s.edge_count) + " edges");
    os << "\n  group         params        FLOPs   FLOP share\n";
    for (ModuleGroup g : kAllGroups) {
        const auto& t = s.group(g);
        if (t.params == 0 && t.flops == 0) continue;
        char buf[128];
        std::snprintf(buf, sizeof buf, "  %-10s %9s %14s %11.1f%%\n", std::string(to_string(g)).c_str(),
                      si(static_cast<double>(t.params), "").c_str(), si(t.flops, "FLOP").c_str(),
                      s.flops > 0 ? 100.0 * t.flops / s.flops : 0.0);
        os << buf;
    }
    return os.str();
}

namespace {
json tensor_json(const TensorRef& t) {
    return json{{"name", t.name}, {"shape", t.shape}, {"dtype", to_string(t.dtype)}, {"class", to_string(t.cls)},
                {"bytes", t.bytes()}};
}

json dims_json(const OpDims& d) {
    if (auto* m = std::get_if<GemmDims>(&d)) return {{"gemm", {{"batch", m->batch}, {"m", m->m}, {"n", m->n}, {"k", m->k}}}};
    if (auto* a = std::get_if<AttentionDims>(&d))
        return {{"attention",
                 {{"batch", a->batch}, {"heads", a->heads}, {"kv_heads", a->kv_heads}, {"seq_q", a->seq_q},
                  {"seq_kv", a->seq_kv}, {"head_dim", a->head_dim}, {"causal", a->causal}}}};
    if (auto* c = std::get_if<ConvDims>(&d))
        return {{"conv",
                 {{"batch", c->batch}, {"in_channels", c->in_channels}, {"out_channels", c->out_channels},
                  {"groups", c->groups}, {"in_spatial", c->in_spatial}, {"kernel", c->kernel},
                  {"stride", c->stride}, {"out_spatial", c->out_spatial}}}};
    if (auto* c = std::get_if<CollectiveDims>(&d))
        return {{"collective",
                 {{"kind", to_string(c->kind)}, {"axis", to_string(c->axis)}, {"group", c->group}, {"bytes", c->bytes}}}};
    return nullptr;
}
}  // namespace

std::string graph_json(const Workload& w) {
    json stages = json::array();
    for (const Stage& st : w.stages) {
        const OpGraph& g = *st.graph;
        json ops = json::array();
        for (OpId i = 0; i < g.op_count(); ++i) {
            const Op& o = g.op(i);
            json reads = json::array(), writes = json::array();
            for (const auto& t : o.reads) reads.push_back(tensor_json(t));
            for (const auto& t : o.writes) writes.push_back(tensor_json(t));
            ops.push_back({{"id", i}, {"name", o.name}, {"kind", to_string(o.kind)}, {"group", to_string(o.group)},
                           {"phase", to_string(o.phase)}, {"layer", o.layer}, {"component", o.component},
                           {"math_dtype", to_string(o.math_dtype)}, {"flops", o.flops}, {"recompute", o.recompute},
                           {"dims", dims_json(o.dims)}, {"reads", reads}, {"writes", writes}});
        }
        json edges = json::array();
        for (const Edge& e : g.edges()) edges.push_back({{"from", e.from}, {"to", e.to}, {"bytes", e.bytes}});
        json weights = json::array();
        for (const Weight& wt : g.weights())
            weights.push_back({{"name", wt.name}, {"shape", wt.shape}, {"dtype", to_string(wt.dtype)},
                               {"group", to_string(wt.group)}, {"component", wt.component}, {"layer", wt.layer},
                               {"active_fraction", wt.active_fraction}});
        stages.push_back({{"name", st.name}, {"repeat", st.repeat}, {"kv_cache_bytes", st.kv_cache_bytes},
                          {"ops", ops}, {"edges", edges}, {"weights", weights}});
    }
    return json{{"model", w.model}, {"family", w.family}, {"run", run_json(w.run)}, {"stages", stages}}.dump(1);
}

}  // namespace fmsim::workloads
