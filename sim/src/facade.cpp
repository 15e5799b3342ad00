#include "fmsim/sim/facade.hpp"

#include "fmsim/workloads/memory.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <sstream>
#include <unordered_map>

#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/sim/format.hpp"
#include "fmsim/workloads/errors.hpp"

namespace fmsim::sim {

using namespace workloads;

GraphResult describe_graph(const GraphQuery& query) {
    return describe_graph(*load_model(query.model), query.phase, query.run);
}

GraphResult describe_graph(const Model& model, std::optional<RunPhase> phase, RunSpec run) {
    run.phase = phase.value_or(model.default_phase());
    Workload w = model.build(run);
    GraphSummary s = summarize(w);
    return GraphResult{std::move(w), s};
}

namespace {
// "layers.12.qkv_proj" -> "layers.*.qkv_proj": one line per op of a repeated block.
std::string block_pattern(const std::string& name) {
    std::string out;
    std::size_t i = 0;
    while (i < name.size()) {
        const bool segment_start = i == 0 || name[i - 1] == '.';
        std::size_t j = i;
        while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
        if (segment_start && j > i && (j == name.size() || name[j] == '.')) {
            out += '*';
            i = j;
        } else {
            out += name[i++];
        }
    }
    return out;
}
}  // namespace

ReplayResult replay_workload(const GraphResult& g, const std::string& hardware, const std::string& runtime) {
    return replay_workload(g, hwmodels::load_hardware(hardware), hwmodels::load_runtime(runtime));
}

ReplayResult replay_workload(const GraphResult& g, const hwmodels::HardwareSpec& hw,
                             const hwmodels::RuntimeSpec& stack, const ReplayOptions& options) {
    const Workload& w = g.workload;
    // The stack's kernel lists that describe this model's code (op_kernels rules name families).
    const hwmodels::RuntimeSpec rt = stack.for_model_family(w.family);
    ReplayResult r;
    r.memory_channels = hw.memory.channels;
    r.hardware = hw.name;
    r.runtime = rt.name;
    r.memory_capacity_bytes = hw.memory.allocatable_bytes();
    hwmodels::KernelCache cache;
    std::map<std::string, double> by_op;
    // Each op's line in by_op. Stages share most of their ops (copy-on-write graphs), so an op's
    // line is found by its address once named.
    std::unordered_map<const Op*, double*> by_op_line;
    double decode_total = 0;
    std::int64_t decode_steps = 0;
    std::size_t all_ops = 0;
    for (const Stage& st : w.stages) all_ops += st.graph->op_count();
    r.memory_timeline.reserve(all_ops);
    std::size_t ops_done = 0;
    for (const Stage& st : w.stages) {
        const double stage_start = r.latency_s;
        const auto tl = hwmodels::replay_graph(*st.graph, hw, rt, &cache, options.comm);
        const double rep = static_cast<double>(st.repeat);
        const auto live = workloads::live_activation_bytes_by_op(*st.graph);
        for (const auto& o : tl.ops) {
            MemoryPoint m;
            m.time_s = r.latency_s + o.start_s;
            m.weights_bytes = static_cast<double>(g.summary.weight_bytes);
            m.kv_cache_bytes = static_cast<double>(st.kv_cache_bytes);
            m.activation_bytes = static_cast<double>(live[o.op]);
            m.workspace_bytes = tl.kernel_of(o).plan.workspace_bytes;
            m.training_state_bytes = static_cast<double>(st.gradient_bytes + st.optimizer_state_bytes);
            m.runtime_bytes = rt.context_memory_mb * 1e6;
            r.memory_timeline.push_back(m);
            if (m.total_bytes() > r.memory_at_peak.total_bytes()) r.memory_at_peak = m;
        }
        r.latency_s += tl.total_s * rep;
        r.kernels_simulated += tl.simulated;
        r.kernels_reused += tl.reused;
        for (const auto& o : tl.ops) {
            const Op& op = st.graph->op(o.op);
            r.group_time_s[static_cast<std::size_t>(op.group)] += o.time_s * rep;
            if (op.phase == workloads::Phase::optimizer)
                r.optimizer_group_time_s[static_cast<std::size_t>(op.group)] += o.time_s * rep;
            r.phase_time_s[static_cast<std::size_t>(op.phase)] += o.time_s * rep;
            if (op.kind == OpKind::collective) r.communication_s += o.time_s * rep;
            r.group_energy_j[static_cast<std::size_t>(op.group)] += o.energy.total_j() * rep;
            r.energy += o.energy.scaled(rep);
            double*& line = by_op_line[&op];
            if (!line) line = &by_op[std::string(to_string(op.kind)) + " " + block_pattern(op.name)];
            *line += o.time_s * rep;
            if (options.op_records) {
                const auto& k = tl.kernel_of(o);
                r.op_records.push_back(OpRecord{st.name, op.name, std::string(to_string(op.kind)),
                                                std::string(to_string(op.group)), op.layer, stage_start + o.start_s,
                                                k.time_s - k.launch_s, op.flops,
                                                static_cast<double>(op.bytes_read() + op.bytes_written()),
                                                k.plan.dram_bytes_per_tile * static_cast<double>(k.plan.tiles),
                                                o.energy.total_j(), k.bound, k.plan.engine == hwmodels::EngineKind::matrix
                                                                                ? "matrix" : "vector",
                                                k.plan.mapping, static_cast<double>(st.repeat),
                                                static_cast<double>(k.plan.tiles) *
                                                    (k.plan.matrix_flops_per_tile + k.plan.vector_flops_per_tile)});
            }
        }
        ops_done += st.graph->op_count();
        if (options.progress) options.progress(ops_done, all_ops);
        if (st.name == "prefill") r.ttft_s = tl.total_s;
        if (st.name.rfind("decode", 0) == 0) {
            decode_total += tl.total_s * rep;
            decode_steps += st.repeat;
        }
    }
    r.memory_peak_bytes = r.memory_at_peak.total_bytes();
    r.fits = r.memory_peak_bytes <= r.memory_capacity_bytes;
    if (w.run.phase == RunPhase::generate && r.ttft_s && decode_steps > 0) r.tpot_s = decode_total / static_cast<double>(decode_steps);
    r.energy_j = r.energy.total_j();
    const double batch = static_cast<double>(w.run.batch);
    switch (w.run.phase) {
        case RunPhase::generate: r.tokens = batch * static_cast<double>(w.run.output_len); break;
        case RunPhase::decode: r.tokens = batch; break;
        case RunPhase::prefill:
        case RunPhase::encode:
        case RunPhase::train: r.tokens = batch * static_cast<double>(w.run.input_len); break;
        case RunPhase::sample: r.tokens = 0; break;
    }
    if (r.tokens > 0) r.energy_per_token_j = r.energy_j / r.tokens;
    r.energy_per_sample_j = batch > 0 ? r.energy_j / batch : 0;
    r.top_ops.assign(by_op.begin(), by_op.end());
    std::sort(r.top_ops.begin(), r.top_ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (r.top_ops.size() > 8) r.top_ops.resize(8);
    return r;
}

namespace {
void text_line(std::ostream& os, const std::string& key, const std::string& value) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-30s%s\n", key.c_str(), value.c_str());
    os << buf;
}
}  // namespace

std::string replay_text(const ReplayResult& r, const std::vector<std::pair<std::string, std::string>>& extra) {
    std::ostringstream os;
    os << "\n  on " << r.hardware << " driven by " << r.runtime << " (accuracy: docs/validation.md)\n";
    text_line(os, "latency", format_duration(r.latency_s));
    if (r.ttft_s) text_line(os, "TTFT (time to first token)", format_duration(*r.ttft_s));
    if (r.tpot_s) text_line(os, "TPOT (time per output token)", format_duration(*r.tpot_s));
    text_line(os, "memory peak", format_bytes(r.memory_peak_bytes) + " of " + format_bytes(r.memory_capacity_bytes) +
                                     (r.fits ? ": fits" : ": DOES NOT FIT, over by " +
                                                              format_bytes(r.memory_peak_bytes - r.memory_capacity_bytes)));
    text_line(os, "energy", format_si(r.energy_j, "J"));
    if (r.energy_per_token_j) text_line(os, "energy per token", format_si(*r.energy_per_token_j, "J"));
    text_line(os, "energy per sample", format_si(r.energy_per_sample_j, "J"));
    os << replay_details_text(r, extra);
    return os.str();
}

std::string replay_details_text(const ReplayResult& r, const std::vector<std::pair<std::string, std::string>>& extra) {
    std::ostringstream os;
    for (const auto& [key, value] : extra) text_line(os, key, value);
    const auto& m = r.memory_at_peak;
    text_line(os, "memory at peak",
              "weights " + format_bytes(m.weights_bytes) + ", KV cache " + format_bytes(m.kv_cache_bytes) +
                  ", activations " + format_bytes(m.activation_bytes) + ", workspace " + format_bytes(m.workspace_bytes) +
                  ", training state " + format_bytes(m.training_state_bytes) + ", runtime " +
                  format_bytes(m.runtime_bytes) + ", at " + format_duration(m.time_s));
    text_line(os, "kernels", format_number(static_cast<double>(r.kernels_simulated)) + " simulated, " +
                                 format_number(static_cast<double>(r.kernels_reused)) + " reused");
    text_line(os, "power", format_si(r.latency_s > 0 ? r.energy_j / r.latency_s : 0.0, "W") + " average; static " +
                               format_percent(r.energy_j > 0 ? r.energy.static_j / r.energy_j : 0.0) + " of the energy");
    if (r.energy_per_token_j)
        text_line(os, "energy per token over", format_count(r.tokens, "token"));
    const auto& e = r.energy;
    text_line(os, "energy by part", "matrix " + format_si(e.matrix_j, "J") + ", vector " + format_si(e.vector_j, "J") +
                                        ", DRAM " + format_si(e.dram_j, "J") + ", chip SRAM " +
                                        format_si(e.chip_sram_j, "J") + ", core SRAM " + format_si(e.core_sram_j, "J") +
                                        ", static " + format_si(e.static_j, "J"));
    char buf[256];
    os << "\n  group       time share  energy share\n";
    for (ModuleGroup g : kAllGroups) {
        const double t = r.group_time(g);
        if (t <= 0) continue;
        std::snprintf(buf, sizeof buf, "  %-10s %10s %13s\n", std::string(to_string(g)).c_str(),
                      format_percent(t / r.latency_s).c_str(),
                      format_percent(r.energy_j > 0 ? r.group_energy(g) / r.energy_j : 0.0).c_str());
        os << buf;
    }
    os << "\n  top ops by time\n";
    for (const auto& [name, t] : r.top_ops) {
        std::snprintf(buf, sizeof buf, "  %10s  %s\n", format_duration(t).c_str(), name.c_str());
        os << buf;
    }
    return os.str();
}

namespace {
nlohmann::ordered_json memory_point_json(const MemoryPoint& m) {
    return {{"time_s", m.time_s},
            {"weights_bytes", m.weights_bytes},
            {"kv_cache_bytes", m.kv_cache_bytes},
            {"activation_bytes", m.activation_bytes},
            {"workspace_bytes", m.workspace_bytes},
            {"training_state_bytes", m.training_state_bytes},
            {"runtime_bytes", m.runtime_bytes},
            {"total_bytes", m.total_bytes()}};
}
}  // namespace

std::string replay_json(const ReplayResult& r) {
    auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    nlohmann::ordered_json groups = nlohmann::ordered_json::object();
    for (ModuleGroup g : kAllGroups)
        groups[std::string(to_string(g))] = {{"time_s", r.group_time(g)}, {"energy_j", r.group_energy(g)}};
    nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
    for (const auto& m : downsample_memory(r.memory_timeline, 200)) timeline.push_back(memory_point_json(m));
    const nlohmann::ordered_json j{{"hardware", r.hardware},
                                   {"runtime", r.runtime},
                                   {"latency_s", r.latency_s},
                                   {"ttft_s", opt(r.ttft_s)},
                                   {"tpot_s", opt(r.tpot_s)},
                                   {"memory_peak_bytes", r.memory_peak_bytes},
                                   {"memory_capacity_bytes", r.memory_capacity_bytes},
                                   {"fits", r.fits},
                                   {"energy_j", r.energy_j},
                                   {"energy_per_token_j", opt(r.energy_per_token_j)},
                                   {"energy_per_sample_j", r.energy_per_sample_j},
                                   {"groups", groups},
                                   {"kernels_simulated", r.kernels_simulated},
                                   {"kernels_reused", r.kernels_reused},
                                   {"memory_at_peak", memory_point_json(r.memory_at_peak)},
                                   {"memory_timeline", timeline}};
    return j.dump(2);
}

std::vector<MemoryPoint> downsample_memory(const std::vector<MemoryPoint>& timeline, std::size_t points) {
    if (timeline.size() <= points || points == 0) return timeline;
    const double end = timeline.back().time_s;
    std::vector<MemoryPoint> out;
    std::size_t bucket = 0;
    for (const auto& p : timeline) {
        const auto b = std::min(points - 1, static_cast<std::size_t>(end > 0 ? p.time_s / end * static_cast<double>(points) : 0));
        if (out.empty() || b != bucket) {
            out.push_back(p);
            bucket = b;
        } else if (p.total_bytes() > out.back().total_bytes()) {
            out.back() = p;
        }
    }
    return out;
}

std::string memory_csv(const ReplayResult& r) {
    std::ostringstream os;
    os << "time_s,weights_bytes,kv_cache_bytes,activation_bytes,workspace_bytes,training_state_bytes,runtime_bytes,"
          "total_bytes\n";
    char buf[256];
    for (const auto& m : r.memory_timeline) {
        std::snprintf(buf, sizeof buf, "%.9g,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n", m.time_s, m.weights_bytes,
                      m.kv_cache_bytes, m.activation_bytes, m.workspace_bytes, m.training_state_bytes, m.runtime_bytes,
                      m.total_bytes());
        os << buf;
    }
    return os.str();
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

AttentionImpl resolve_attention(const std::string& requested, const hwmodels::RuntimeSpec& runtime) {
    const std::string& choice = requested == "auto" ? runtime.attention : requested;
    return choice == "unfused" ? AttentionImpl::unfused : AttentionImpl::fused;
}

}  // namespace fmsim::sim
