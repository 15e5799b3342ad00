// Multi-device runs and training runs (docs/parallelism.md): one device of each distinct pipeline
// stage is replayed (the devices of a split are symmetric), its collectives timed on the links,
// and the step is composed from those replays: the 1F1B pipeline schedule, the data-parallel
// gradient reduction overlapped with the last backward pass, the optimizer.
#include "scale.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "fmsim/hwmodels/collective.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/memory.hpp"
#include "fmsim/workloads/parallel.hpp"

namespace fmsim::sim {

using namespace workloads;

namespace {

hwmodels::CollectiveKind to_hw(CollectiveKind k) {
    switch (k) {
        case CollectiveKind::all_reduce: return hwmodels::CollectiveKind::all_reduce;
        case CollectiveKind::all_gather: return hwmodels::CollectiveKind::all_gather;
        case CollectiveKind::reduce_scatter: return hwmodels::CollectiveKind::reduce_scatter;
        case CollectiveKind::all_to_all: return hwmodels::CollectiveKind::all_to_all;
        case CollectiveKind::send_recv: return hwmodels::CollectiveKind::send_recv;
    }
    return hwmodels::CollectiveKind::all_reduce;
}

// The devices of one parallel axis and the links between them. Megatron's rank order: tp
// innermost, then dp (ep inside dp), then pp; so a tp group sits in one node, dp groups take the
// rest of a node and span nodes, pipeline neighbours are a tp x dp block apart.
struct Comm {
    const Scenario& sc;
    hwmodels::CollectiveGroup group(ParallelAxis axis, std::int64_t size) const {
        const auto& s = sc.system;
        const auto& p = sc.parallelism;
        std::int64_t stride = 1;  // distance between ranks of this axis
        if (axis == ParallelAxis::dp || axis == ParallelAxis::ep) stride = p.tp;
        if (axis == ParallelAxis::pp) stride = p.tp * p.dp;
        // Ranks of this axis per node; groups that do not fill nodes evenly are taken as the
        // largest even split (e.g. dp 3 over nodes of 2 ranks: one per node).
        const std::int64_t per_node = std::gcd(size, std::max<std::int64_t>(1, std::min(size, s.devices_per_node / stride)));
        hwmodels::CollectiveGroup g;
        g.devices = size;
        g.devices_per_node = per_node;
        if (per_node > 1 || !s.inter_node) {
            if (!s.intra_node) throw UserError(sc.file + ": /system: the scenario needs an intra_node link");
            g.intra = *s.intra_node;
        } else {
            g.intra = *s.inter_node;  // one rank per node: every transfer crosses the network
        }
        if (size > per_node) {
            if (!s.inter_node) throw UserError(sc.file + ": /system: the scenario needs an inter_node link");
            g.inter = *s.inter_node;
        }
        return g;
    }
    hwmodels::CommCost operator()(const CollectiveDims& d) const {
        const auto t = hwmodels::simulate_collective(to_hw(d.kind), static_cast<double>(d.bytes), group(d.axis, d.group));
        return {t.time_s, t.energy_j / static_cast<double>(std::max<std::int64_t>(1, d.group)), t.algorithm};
    }
    double time_s(CollectiveKind kind, ParallelAxis axis, std::int64_t size, double bytes) const {
        if (size <= 1 || bytes <= 0) return 0;
        return hwmodels::simulate_collective(to_hw(kind), bytes, group(axis, size)).time_s;
    }
};

// FLOPs of the forward and backward passes; with `model_only`, without recomputed ops (which the
// training pass places in the backward phase).
double pass_flops(const Workload& w, bool model_only) {
    double f = 0;
    for (const Stage& st : w.stages)
        for (OpId id = 0; id < st.graph->op_count(); ++id) {
            const Op& op = st.graph->op(id);
            if (op.phase != Phase::optimizer && !(model_only && op.recompute)) f += op.flops * static_cast<double>(st.repeat);
        }
    return f;
}

// The largest activation tensor a stage hands to the next (the block output), for the
// pipeline's point-to-point sends.
double boundary_bytes(const Workload& w, std::int64_t hidden) {
    const RunSpec& r = w.run;
    const std::int64_t tokens = r.batch * std::max<std::int64_t>(1, r.input_len);
    return static_cast<double>(tokens * hidden) * static_cast<double>(bits_per_element(r.precision.activations)) / 8;
}

}  // namespace

RunReport run_scaled(const Scenario& sc, const ReplayOptions& options) {
    const auto& p = sc.parallelism;
    const ParallelPlan plan{p.tp, p.pp, p.dp, p.ep, p.sp};
    const bool training = sc.phase.value_or(sc.model->default_phase()) == RunPhase::train;
    RunReport r;
    r.name = sc.name;
    r.description = sc.description;
    r.resolved_json = sc.resolved_json;
    r.devices = sc.system.devices;
    r.parallelism = "tp " + std::to_string(p.tp) + " x pp " + std::to_string(p.pp) + " x dp " + std::to_string(p.dp) +
                    (p.ep > 1 ? " (ep " + std::to_string(p.ep) + ")" : "") + (p.sp ? " with sp" : "") +
                    (p.zero > 0 ? ", ZeRO-" + std::to_string(p.zero) : "") +
                    (p.virtual_stages > 1 ? ", " + std::to_string(p.virtual_stages) + " virtual stages" : "");

    // What one replica runs: training, one micro-batch; inference, its share of the batch.
    RunSpec run = sc.run;
    std::int64_t global_batch = sc.run.batch;
    if (training) {
        run.batch = p.microbatch_size;
        if (sc.training && sc.training->global_batch > 0) global_batch = sc.training->global_batch;
        else if (sc.training && sc.training->global_batch_tokens > 0)
            global_batch = std::max<std::int64_t>(1, sc.training->global_batch_tokens / std::max<std::int64_t>(1, run.input_len > 0 ? run.input_len : 1));
        else global_batch = p.microbatch_size * p.dp;
    } else {
        if (sc.run.batch % p.dp != 0)
            throw ConfigError(sc.file, "/batch", "expected a multiple of parallelism.dp (" + std::to_string(p.dp) +
                                                    "): each replica serves batch / dp sequences");
        run.batch = sc.run.batch / p.dp;
    }
    r.graph = describe_at_key(sc, run);
    const Workload& whole = r.graph.workload;
    try {
        check_parallel_plan(whole, plan);
    } catch (const ScenarioError& e) {
        throw ConfigError(sc.file, "/parallelism", e.what());
    }
    if (!sc.hardware) return r;
    const auto& hw = *sc.hardware;
    const Workload sharded = shard_tensor_parallel(whole, plan);
    const ParallelShape shape = parallel_shape(whole);
    if (p.virtual_stages > 1 && shape.layers < p.pp * p.virtual_stages)
        throw ConfigError(sc.file, "/parallelism/virtual_stages",
                          "pp x virtual_stages = " + std::to_string(p.pp * p.virtual_stages) + " chunks exceed " +
                              whole.model + "'s " + std::to_string(shape.layers) + " layers");
    const Comm comm{sc};
    const hwmodels::CommModel comm_model = [&comm](const CollectiveDims& d) { return comm(d); };
    ReplayOptions opts = options;
    opts.comm = &comm_model;

    // The distinct pipeline stages: the first, one middle one, the last.
    std::vector<std::int64_t> stage_ids = {0};
    if (p.pp > 2) stage_ids.push_back(p.pp / 2);  // a full-size middle stage (short ones sit at the ends)
    if (p.pp > 1) stage_ids.push_back(p.pp - 1);
    std::vector<Workload> stage_workloads;
    std::vector<ReplayResult> stages;
    std::vector<double> stage_devices;  // how many devices replay each
    for (std::int64_t id : stage_ids) {
        const Workload& w = stage_workloads.emplace_back(pipeline_stage(sharded, p.pp, id));
        GraphResult g{w, summarize(w)};
        stages.push_back(replay_workload(g, hw, sc.runtime, opts));
        const double count = (id == 0 || id == p.pp - 1) ? 1.0 : static_cast<double>(p.pp - 2);
        stage_devices.push_back(count * static_cast<double>(p.tp * p.dp));
    }
    const double p2p_s = p.pp > 1 ? comm.time_s(CollectiveKind::send_recv, ParallelAxis::pp, 2,
                                                boundary_bytes(whole, shape.hidden) / static_cast<double>(p.tp))
                                  : 0;
    // The device report: the most loaded stage's device, with the system's latency.
    ReplayResult device = stages.front();
    for (const auto& s : stages)
        if (s.memory_peak_bytes > device.memory_peak_bytes) device = s;
    double energy_j = 0;
    for (std::size_t i = 0; i < stages.size(); ++i) energy_j += stages[i].energy_j * stage_devices[i];

    if (!training) {
        // A batch flows through the stages one after another (no pipelining of a single batch).
        ReplayResult sys = device;
        sys.latency_s = 0;
        sys.group_time_s = {};  // along the batch's path through the stages, as the latency
        double ttft = 0, tpot = 0;
        for (std::size_t i = 0; i < stages.size(); ++i) {
            const double count = stage_devices[i] / static_cast<double>(p.tp * p.dp);
            sys.latency_s += stages[i].latency_s * count;
            ttft += stages[i].ttft_s.value_or(0) * count;
            tpot += stages[i].tpot_s.value_or(0) * count;
            for (std::size_t gi = 0; gi < sys.group_time_s.size(); ++gi)
                sys.group_time_s[gi] += stages[i].group_time_s[gi] * count;
        }
        const double steps = static_cast<double>(std::max<std::int64_t>(1, whole.run.output_len));
        sys.latency_s += p2p_s * static_cast<double>(p.pp - 1) * steps;
        if (device.ttft_s) sys.ttft_s = ttft + p2p_s * static_cast<double>(p.pp - 1);
        if (device.tpot_s) sys.tpot_s = tpot + p2p_s * static_cast<double>(p.pp - 1);
        // System energy: each stage's device times the devices running it.
        sys.energy_j = energy_j;
        sys.energy = {};
        sys.group_energy_j = {};
        for (std::size_t i = 0; i < stages.size(); ++i) {
            sys.energy += stages[i].energy.scaled(stage_devices[i]);
            for (std::size_t gi = 0; gi < sys.group_energy_j.size(); ++gi)
                sys.group_energy_j[gi] += stages[i].group_energy_j[gi] * stage_devices[i];
        }
        sys.tokens = device.tokens * static_cast<double>(p.dp);
        if (device.energy_per_token_j && sys.tokens > 0) sys.energy_per_token_j = energy_j / sys.tokens;
        sys.energy_per_sample_j = energy_j / static_cast<double>(run.batch * p.dp);
        r.replay = sys;
        set_throughput(r, static_cast<double>(run.batch * p.dp), sys.latency_s);
        set_price(r, sc, energy_j, sys.latency_s);
        return r;
    }

    // ---- Training: one optimizer step ----
    TrainingReport t;
    t.global_batch = global_batch;
    // A global batch that does not divide evenly is computed rounded up (the last micro-batch of a
    // replica partly filled costs a full one).
    const std::int64_t per_replica = std::max<std::int64_t>(1, (global_batch + p.dp - 1) / p.dp);
    t.microbatches = std::max<std::int64_t>(1, (per_replica + p.microbatch_size - 1) / p.microbatch_size);
    double mb_s = 0, opt_s = 0, bwd_s = 0;
    for (const auto& s : stages) {
        const double fwd_bwd = s.forward_s() + s.backward_s();
        if (fwd_bwd > mb_s) {
            mb_s = fwd_bwd;
            bwd_s = s.backward_s();
        }
        opt_s = std::max(opt_s, s.optimizer_s());
    }
    const double m = static_cast<double>(t.microbatches);
    // 1F1B: (m + pp - 1) micro-batch slots; the pp - 1 extra ones are the bubble. Each stage
    // boundary sends activations forward and gradients back once per micro-batch, overlapped with
    // compute except during the fill and drain. The interleaved schedule gives each device v
    // chunks of layers/(pp v) layers, so a fill or drain slot is a chunk's time: the bubble is
    // (pp - 1) / v micro-batches (Narayanan et al. 2021, section 2.2.2), for v times the sends.
    const double v = static_cast<double>(p.virtual_stages);
    t.compute_s = m * mb_s;
    t.bubble_s = static_cast<double>(p.pp - 1) * mb_s / v;
    double exposed = 2.0 * p2p_s * static_cast<double>(p.pp - 1);
    // What a device holds: the largest weights, gradients and optimizer states of its stage, and
    // the activations of the micro-batches in flight there.
    double grad_bytes = 0, weight_bytes = 0, optimizer_bytes = 0, activation_bytes = 0;
    for (std::size_t i = 0; i < stages.size(); ++i) {
        weight_bytes = std::max(weight_bytes, stages[i].memory_at_peak.weights_bytes);
        // 1F1B: stage k holds the saved activations of pp - k micro-batches (the first stage all
        // pp; the middle stage stands for stage 1, the fullest middle one), the newest at its peak.
        const std::int64_t k = stage_ids[i] == 0 || stage_ids[i] == p.pp - 1 ? stage_ids[i] : 1;
        double in_flight = static_cast<double>(std::min<std::int64_t>(t.microbatches, p.pp - k));
        // Interleaved, the warm-up runs further ahead: stage 0 holds its layers' activations of
        // pp (1 + (pp - 1) / (pp v)) micro-batches (Korthikanti et al. 2022, section 4.2.3).
        if (p.virtual_stages > 1 && k == 0) in_flight += static_cast<double>(p.pp - 1) / v;
        double saved = 0;
        for (const Stage& st : stage_workloads[i].stages) {
            grad_bytes = std::max(grad_bytes, static_cast<double>(st.gradient_bytes));
            optimizer_bytes = std::max(optimizer_bytes, static_cast<double>(st.optimizer_state_bytes));
            saved = std::max(saved, static_cast<double>(saved_for_backward_bytes(*st.graph)));
        }
        const double peak = stages[i].memory_at_peak.activation_bytes + stages[i].memory_at_peak.workspace_bytes;
        activation_bytes = std::max(activation_bytes, saved * (in_flight - 1) + peak);
    }
    // Data-parallel gradient reduction (ZeRO >= 1: reduce-scatter of gradients and all-gather of
    // the updated weights, the same volume), overlapped with the last micro-batch's backward.
    double dp_s = 0;
    if (p.dp > 1) {
        if (p.zero == 0) dp_s = comm.time_s(CollectiveKind::all_reduce, ParallelAxis::dp, p.dp, grad_bytes);
        else
            dp_s = comm.time_s(CollectiveKind::reduce_scatter, ParallelAxis::dp, p.dp, grad_bytes) +
                   comm.time_s(CollectiveKind::all_gather, ParallelAxis::dp, p.dp, weight_bytes);
        if (p.zero == 3)  // weights gathered for every micro-batch's forward and backward, prefetched under compute
            exposed += std::max(0.0, 2.0 * m * comm.time_s(CollectiveKind::all_gather, ParallelAxis::dp, p.dp, weight_bytes) - t.compute_s);
    }
    exposed += std::max(0.0, dp_s - bwd_s);
    t.exposed_communication_s = exposed;
    // ZeRO >= 1: each replica updates its 1/dp shard of the optimizer states.
    const double optimizer_share = p.zero >= 1 ? 1.0 / static_cast<double>(p.dp) : 1.0;
    t.optimizer_s = opt_s * optimizer_share;
    t.step_time_s = t.compute_s + t.bubble_s + t.exposed_communication_s + t.optimizer_s;

    const double seq = static_cast<double>(std::max<std::int64_t>(1, whole.run.input_len));
    const double tokens_per_step = static_cast<double>(global_batch) * seq;
    t.tokens_per_s = tokens_per_step / t.step_time_s;
    const double mb_per_step = static_cast<double>(global_batch) / static_cast<double>(p.microbatch_size);
    // Model FLOPs: the forward and backward passes without recomputation (3 x forward for full
    // training, 6·N per token plus attention; less for LoRA, whose frozen base has no weight gradients).
    const double model_flops = pass_flops(whole, true) * mb_per_step;
    const double hw_flops = pass_flops(whole, false) * mb_per_step;
    const double devices = static_cast<double>(sc.system.devices);
    const double peak = hw.peak_matrix_flops_at_boost(whole.run.precision.math);
    t.tflops_per_device = model_flops / t.step_time_s / devices / 1e12;
    t.mfu = peak > 0 ? model_flops / (t.step_time_s * devices * peak) : 0;
    t.hfu = peak > 0 ? hw_flops / (t.step_time_s * devices * peak) : 0;
    double total_tokens = tokens_per_step;
    if (sc.training && sc.training->chinchilla) total_tokens = 20.0 * static_cast<double>(r.graph.summary.params_total);
    else if (sc.training && sc.training->tokens) total_tokens = *sc.training->tokens;
    t.tokens = total_tokens;
    t.steps = total_tokens / tokens_per_step;
    const double seconds = t.steps * t.step_time_s;
    t.total_days = seconds / 86400;
    t.device_hours = seconds * devices / 3600;
    // Energy of a step: every device's micro-batches and optimizer as replayed, plus static power
    // over the rest of the step (bubble, exposed communication).
    double step_energy = 0;
    for (std::size_t i = 0; i < stages.size(); ++i) {
        const auto& s = stages[i];
        const double dynamic = s.energy_j - s.energy.static_j;
        step_energy += stage_devices[i] * (m * dynamic + hw.energy.static_w * t.step_time_s);
    }
    t.energy_kwh = step_energy * t.steps * sc.cost.pue / 3.6e6;
    t.co2_kg = t.energy_kwh * sc.cost.kg_co2_per_kwh;
    if (sc.cost.usd_per_device_hour) t.cost_usd = *sc.cost.usd_per_device_hour * t.device_hours;
    // Memory: ZeRO shards optimizer states (1+), gradients (2+), weights (3) over dp; activations
    // of the micro-batches in flight as above.
    const double dp = static_cast<double>(p.dp);
    const double weights = p.zero >= 3 ? weight_bytes / dp : weight_bytes;
    const double grads = p.zero >= 2 ? grad_bytes / dp : grad_bytes;
    const double states = p.zero >= 1 ? optimizer_bytes / dp : optimizer_bytes;
    const double activations = activation_bytes;
    const double runtime = sc.runtime.context_memory_mb * 1e6;
    t.memory_per_device_bytes = weights + grads + states + activations + runtime;
    t.fits = t.memory_per_device_bytes <= hw.memory.allocatable_bytes();

    ReplayResult sys = device;
    sys.latency_s = t.step_time_s;
    sys.energy_j = step_energy;
    sys.energy = {};
    sys.group_energy_j = {};
    // A device's time per step in each group, averaged over the devices: m micro-batches' forward
    // and backward, and its share of the optimizer.
    sys.group_time_s = {};
    sys.optimizer_group_time_s = {};
    const double all_devices = std::accumulate(stage_devices.begin(), stage_devices.end(), 0.0);
    for (std::size_t i = 0; i < stages.size(); ++i) {
        auto dynamic = stages[i].energy;
        dynamic.static_j = 0;
        sys.energy += dynamic.scaled(m * stage_devices[i]);
        sys.energy.static_j += hw.energy.static_w * t.step_time_s * stage_devices[i];
        for (std::size_t gi = 0; gi < sys.group_energy_j.size(); ++gi) {
            sys.group_energy_j[gi] += stages[i].group_energy_j[gi] * m * stage_devices[i];
            const double opt = stages[i].optimizer_group_time_s[gi];
            const double per_device = (stages[i].group_time_s[gi] - opt) * m + opt * optimizer_share;
            sys.group_time_s[gi] += per_device * stage_devices[i] / all_devices;
            sys.optimizer_group_time_s[gi] += opt * optimizer_share * stage_devices[i] / all_devices;
        }
    }
    sys.memory_peak_bytes = t.memory_per_device_bytes;
    sys.fits = t.fits;
    sys.memory_at_peak.weights_bytes = weights;
    sys.memory_at_peak.training_state_bytes = grads + states;
    sys.memory_at_peak.activation_bytes = activations;
    sys.memory_at_peak.workspace_bytes = 0;
    sys.memory_at_peak.runtime_bytes = runtime;
    sys.tokens = tokens_per_step;
    sys.energy_per_token_j = step_energy / tokens_per_step;
    sys.energy_per_sample_j = step_energy / static_cast<double>(global_batch);
    r.replay = sys;
    r.throughput_tokens_per_s = t.tokens_per_s;
    r.throughput_samples_per_s = static_cast<double>(global_batch) / t.step_time_s;
    set_price(r, sc, step_energy, t.step_time_s);
    r.training = t;
    return r;
}

}  // namespace fmsim::sim
