// The SystemC device model: memory channel banks (DRAM, L2) that arbitrate bandwidth first come,
// first served, and cores whose tile slots load (double-buffered) and compute tiles. Kernels run
// one after another; each spawns its slots as method processes (event-driven state machines, no
// thread stacks) and runs until they finish.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <map>
#include <tuple>
#include <cstdlib>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "fmsim/hwmodels/replay.hpp"

// libsystemc wants an sc_main; fmsim's executables have their own main and call sc_start directly.
int sc_main(int, char*[]) { return 0; }

namespace fmsim::hwmodels {

namespace {

using sc_core::sc_time;
using sc_core::SC_SEC;
using sc_core::SC_ZERO_TIME;

// A tile's loads and compute are split into this many pipeline steps (K-slices of a GEMM tile,
// chunks of a stream), so the first load does not stall a whole tile; capped so a kernel stays
// under kMaxEvents load/compute events.
constexpr std::int64_t kMaxStepsPerTile = 8;
constexpr double kMaxEvents = 400000;
// Tile loads run at least this many steps ahead of compute: double buffering. More are kept in
// flight when the memory's bandwidth-delay product needs it (Little's law: a core sustains its
// share of the bandwidth only with latency x bandwidth bytes outstanding), up to kMaxInFlight.
constexpr std::int64_t kMinBuffers = 2;
constexpr std::int64_t kMaxInFlight = 64;

// Memory interleaved over `channels` channels; a request is striped over all of them and each
// channel serves its parts in arrival order. Every request is striped evenly, so the channels stay
// in step and one free time stands for all of them. Requests reserve channel time when issued, so
// the callers (method processes) need no thread of their own: they wait for the returned time.
class ChannelBank : public sc_core::sc_module {
public:
    explicit ChannelBank(const sc_core::sc_module_name& name) : sc_core::sc_module(name) {}

    void configure(std::int64_t channels, double bytes_per_s, double latency_s) {
        channels_ = static_cast<double>(std::max<std::int64_t>(1, channels));
        free_at_ = sc_core::sc_time_stamp();
        channel_bytes_per_s_ = bytes_per_s / channels_;
        latency_ = sc_time(latency_s, SC_SEC);
        transfer_bytes_ = 0;
    }

    struct Grant {
        sc_time transferred;  // the channels are free for the requester's next request
        sc_time arrived;      // ... and the data is there, one latency later
    };
    // Reserves the channels for `bytes` requested at `at`.
    Grant request(sc_time at, double bytes) {
        if (bytes <= 0) return {at, at};
        free_at_ = std::max(at, free_at_) + transfer_time(bytes);
        return {free_at_, free_at_ + latency_};
    }

private:
    // A channel's time for its part of `bytes`. A kernel's requests are all the same size, so the
    // last one is kept (sc_time from seconds is not free).
    sc_time transfer_time(double bytes) {
        if (bytes != transfer_bytes_) {
            transfer_bytes_ = bytes;
            transfer_ = sc_time(bytes / channels_ / channel_bytes_per_s_, SC_SEC);
        }
        return transfer_;
    }

    double channels_ = 1;
    sc_time free_at_;
    double channel_bytes_per_s_ = 1;
    sc_time latency_;
    double transfer_bytes_ = 0;
    sc_time transfer_;
};

// Tile slots of the device for program `p`: the tiles one wave runs.
std::int64_t slots_of(const TileProgram& p, const HardwareSpec& hw) {
    return std::max<std::int64_t>(1, hw.cores * p.tiles_per_core_at_once);
}

// Pipeline steps per tile for a kernel of `tiles` tiles (kMaxStepsPerTile, fewer for huge kernels).
std::int64_t steps_per_tile(std::int64_t tiles) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(kMaxEvents / (3.0 * static_cast<double>(tiles))), 1,
                                    kMaxStepsPerTile);
}

// The device: built once per process (SystemC elaborates once), reconfigured per kernel.
class Device {
public:
    static Device& instance() {
        static Device d;
        return d;
    }

    // Runs `tiles` tiles of program `p` (its own count, or fewer for extrapolated_run), each split
    // into `steps` pipeline steps; returns the seconds until the last slot finishes.
    double run(const TileProgram& p, const HardwareSpec& hw, std::int64_t tiles, std::int64_t steps) {
        const auto* l2 = hw.chip_level();
        const double dram_bw = hw.achievable_memory_bandwidth_bytes_per_s() * p.dram_bandwidth_fraction;
        dram_.configure(hw.memory.channels, dram_bw,
                        hw.memory.latency_ns * 1e-9);
        l2_.configure(1, l2 ? l2->bandwidth_gb_per_s * 1e9 : hw.memory_bandwidth_bytes_per_s(),
                      l2 ? l2->latency_ns * 1e-9 : 0);
        const std::int64_t slots = slots_of(p, hw);
        Step step{sc_time(p.compute_cycles_per_tile / static_cast<double>(steps) / (hw.clock.sustained_mhz * 1e6), SC_SEC),
                  p.dram_bytes_per_tile / static_cast<double>(steps), p.l2_bytes_per_tile / static_cast<double>(steps),
                  kMinBuffers};
        const std::int64_t active = std::min(slots, tiles);
        const double share = dram_bw / static_cast<double>(active);
        if (step.dram_bytes > 0)
            step.in_flight = std::clamp<std::int64_t>(
                static_cast<std::int64_t>(std::ceil(hw.memory.latency_ns * 1e-9 * share / step.dram_bytes)) + 1,
                kMinBuffers, kMaxInFlight);
        step_ = step;
        while (static_cast<std::int64_t>(slots_.size()) < active) add_slot();
        for (std::int64_t s = 0; s < active; ++s)
            slots_[static_cast<std::size_t>(s)].reset((tiles / slots + (s < tiles % slots ? 1 : 0)) * steps);
        // The slots start together, in a delta cycle at the current time. SystemC triggers a delta
        // cycle's notifications last first, so notifying the last slot first runs slot 0 first: the
        // slots' first requests reach the channels in slot order.
        for (std::int64_t s = active - 1; s >= 0; --s)
            slots_[static_cast<std::size_t>(s)].start.notify(SC_ZERO_TIME);
        const sc_time start = sc_core::sc_time_stamp();
        sc_core::sc_start();
        return (sc_core::sc_time_stamp() - start).to_seconds();
    }

private:
    struct Step {
        sc_time compute;
        double dram_bytes, l2_bytes;
        std::int64_t in_flight;  // loads a slot may have requested beyond what it has computed
    };
    // One tile slot of a core: loads run ahead of compute by up to Step::in_flight steps, and a new load
    // may be issued once the previous one has left the channels (its latency overlaps).
    struct Slot {
        sc_core::sc_event start;  // the slot's method process waits on it between kernels
        std::int64_t steps = 0, loaded = 0, computed = 0;
        std::deque<sc_time> arriving;  // loads in flight, by arrival time
        sc_time channels_free;         // when this slot's last request finished transferring
        bool computing = false;
        sc_time compute_done;

        void reset(std::int64_t kernel_steps) {
            steps = kernel_steps;
            loaded = computed = 0;
            arriving.clear();
            channels_free = compute_done = sc_time();
            computing = false;
        }
    };

    Device() : dram_("dram"), l2_("l2") {}

    // Slots and their method processes are made once and reused by every kernel: a process made
    // per kernel would stay allocated for the rest of the run (SystemC keeps method processes).
    void add_slot() {
        Slot& slot = slots_.emplace_back();
        sc_core::sc_spawn_options method;
        method.spawn_method();
        method.dont_initialize();
        method.set_sensitivity(&slot.start);
        sc_core::sc_spawn([this, &slot] { advance(slot, step_); }, nullptr, &method);
    }

    // The slot's state machine, run as a method process at each of its completion times. It loops
    // until nothing more can happen now (zero-byte loads and zero-cycle steps finish at once).
    void advance(Slot& s, const Step& step) {
        const sc_time now = sc_core::sc_time_stamp();
        for (bool progress = true; progress;) {
            progress = false;
            while (!s.arriving.empty() && s.arriving.front() <= now) {
                s.arriving.pop_front();
                ++s.loaded;
                progress = true;
            }
            if (s.computing && s.compute_done <= now) {
                s.computing = false;
                ++s.computed;
                progress = true;
            }
            const std::int64_t requested = s.loaded + static_cast<std::int64_t>(s.arriving.size());
            if (requested < s.steps && requested - s.computed < step.in_flight && s.channels_free <= now) {
                const auto dram = dram_.request(now, step.dram_bytes);
                const auto l2 = l2_.request(dram.transferred, step.l2_bytes);
                s.channels_free = std::max(dram.transferred, l2.transferred);
                s.arriving.push_back(std::max(dram.arrived, l2.arrived));
                progress = true;
            }
            if (!s.computing && s.computed < s.loaded) {
                s.compute_done = now + step.compute;
                s.computing = true;
                progress = true;
            }
        }
        sc_time next;
        bool pending = false;
        auto consider = [&](sc_time t) {
            if (!pending || t < next) next = t, pending = true;
        };
        if (!s.arriving.empty()) consider(s.arriving.front());
        if (s.computing) consider(s.compute_done);
        const std::int64_t requested = s.loaded + static_cast<std::int64_t>(s.arriving.size());
        if (requested < s.steps && requested - s.computed < step.in_flight) consider(s.channels_free);
        if (pending) sc_core::next_trigger(next - now);
    }

    ChannelBank dram_;
    ChannelBank l2_;
    std::deque<Slot> slots_;  // deque: a slot's process holds its address
    Step step_{};             // the running kernel's
};

// Full waves simulated before a long kernel's time is extrapolated; more when a slot keeps loads
// for more than a tile in flight, so the pipeline has filled (extrapolated_run).
constexpr std::int64_t kMinSimulatedWaves = 4;  // simulate_kernel's default (replay.hpp)

// A kernel's execution time, simulating at most a few waves of it. Every slot of a wave runs the
// same tiles against the same channels, so once the load pipeline has filled, each further full
// wave adds the same time: a kernel of W full waves (plus a partial one) is simulated with K and
// with K + 1 full waves (the partial one kept), and the difference is counted for the W - K - 1
// waves not simulated. Run time then stays bounded however large the batch (issue 15);
// tests/sc/test_device_sc.cpp checks it against simulating every wave.
double extrapolated_run(const TileProgram& p, const HardwareSpec& hw, std::int64_t min_waves = kMinSimulatedWaves) {
    Device& d = Device::instance();
    const std::int64_t slots = slots_of(p, hw), steps = steps_per_tile(p.tiles);
    const std::int64_t waves = p.tiles / slots, rest = p.tiles % slots;
    const std::int64_t in_flight_tiles = kMaxInFlight / steps + 1;  // loads may run this far ahead
    const std::int64_t k = std::max(min_waves, in_flight_tiles + 1);
    if (min_waves <= 0 || waves <= k + 1) return d.run(p, hw, p.tiles, steps);
    const double a = d.run(p, hw, k * slots + rest, steps);
    const double b = d.run(p, hw, (k + 1) * slots + rest, steps);
    return a + static_cast<double>(waves - k) * (b - a);
}

void quiet_systemc() {
    static const bool done = [] { return setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0; }();
    (void)done;
}

}  // namespace

KernelTiming simulate_kernel(const TileProgram& plan, const HardwareSpec& hw, std::int64_t extrapolate_after_waves) {
    quiet_systemc();
    KernelTiming t;
    t.plan = plan;
    t.launch_s = static_cast<double>(plan.kernels) * hw.kernel_launch_overhead_us * 1e-6;
    const double clock_hz = hw.clock.sustained_mhz * 1e6;
    const double slots = static_cast<double>(hw.cores * plan.tiles_per_core_at_once);
    const double serial_s = plan.serial_cycles_per_core / clock_hz;
    t.compute_bound_s = std::ceil(static_cast<double>(plan.tiles) / slots) * plan.compute_cycles_per_tile / clock_hz + serial_s;
    t.memory_bound_s =
        plan.dram_bytes_per_tile * static_cast<double>(plan.tiles) /
        (hw.achievable_memory_bandwidth_bytes_per_s() * plan.dram_bandwidth_fraction);
    const double exec = (plan.tiles > 0 ? extrapolated_run(plan, hw, extrapolate_after_waves) : 0) + serial_s;
    t.time_s = t.launch_s + exec;
    t.bound = t.launch_s > exec ? "latency" : t.compute_bound_s >= t.memory_bound_s ? "compute" : "memory";
    t.energy = kernel_energy(plan, hw.energy, t.time_s);
    return t;
}

namespace {

// The tile program's fields that its simulation depends on, as raw bytes: exact, and no number
// formatting per kernel.
void append_program_key(const TileProgram& plan, std::string& key) {
    key.append(plan.mapping);
    for (double v : {static_cast<double>(plan.tiles), static_cast<double>(plan.tiles_per_core_at_once),
                     static_cast<double>(plan.kernels), plan.compute_cycles_per_tile, plan.dram_bytes_per_tile,
                     plan.l2_bytes_per_tile, plan.dram_bandwidth_fraction, plan.serial_cycles_per_core})
        key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// `simulated`: the program's run on an idle device, perhaps another op's with the same program.
OpKernel op_kernel(TileProgram plan, const KernelTiming& simulated, const HardwareSpec& hw) {
    OpKernel k;
    k.timing = simulated;
    k.dynamic_energy = dynamic_energy(count_actions(plan), hw.energy);
    k.timing.plan = std::move(plan);
    return k;
}

}  // namespace

KernelCache::Found KernelCache::find_or_simulate(const workloads::Op& op, const HardwareSpec& hw,
                                                 const RuntimeSpec& rt) {
    key_.clear();
    append_plan_key(op, rt, key_);
    if (auto it = by_op_.find(key_); it != by_op_.end()) return {it->second, false};
    const std::size_t index = kernels_.size();
    by_op_.emplace(key_, index);
    TileProgram plan = plan_op(op, hw, rt);
    key_.clear();
    append_program_key(plan, key_);
    auto program = by_program_.find(key_);
    const bool simulated = program == by_program_.end();
    if (simulated) program = by_program_.emplace(key_, simulate_kernel(plan, hw)).first;
    kernels_.push_back(op_kernel(std::move(plan), program->second, hw));
    return {index, simulated};
}

double isolated_call_s(const workloads::Op& op, const KernelTiming& k, const RuntimeSpec& rt) {
    const double exec = k.time_s - k.launch_s;
    const double launch = rt.cuda_graphs ? rt.graph_launch_us * 1e-6 + static_cast<double>(k.plan.kernels) *
                                                                          rt.graph_kernel_gap_us * 1e-6
                                         : k.launch_s;
    return rt.dispatch_s(op) + launch + exec + rt.sync_us * 1e-6;
}

Timeline replay_graph(const workloads::OpGraph& graph, const HardwareSpec& hw, const RuntimeSpec& rt,
                      KernelCache* cache, const CommModel* comm) {
    Timeline tl;
    tl.ops.reserve(graph.op_count());
    // Timeline::kernels index of each cache entry this graph uses (-1: not yet).
    std::vector<std::int64_t> local_index;
    // Host clock: when the next kernel has been dispatched and launched. Under CUDA graphs the
    // host launches the whole graph once and the device walks it.
    double host = rt.cuda_graphs ? rt.graph_launch_us * 1e-6 : 0;
    double device_free = 0;
    // Timeline::kernels index of each distinct collective (kind, axis, group, bytes).
    std::map<std::tuple<int, int, std::int64_t, std::int64_t>, std::uint32_t> collective_index;
    // The Timeline::kernels index of `k`'s kernel, planned and simulated unless the cache has it;
    // its dynamic energy is added to `dynamic`.
    auto kernel_index = [&](const workloads::Op& k, EnergyBreakdown& dynamic) -> std::uint32_t {
        if (!cache) {
            TileProgram plan = plan_op(k, hw, rt);
            const KernelTiming simulated = simulate_kernel(plan, hw);
            ++tl.simulated;
            OpKernel kernel = op_kernel(std::move(plan), simulated, hw);
            dynamic += kernel.dynamic_energy;
            tl.kernels.push_back(std::move(kernel.timing));
            return static_cast<std::uint32_t>(tl.kernels.size() - 1);
        }
        const auto found = cache->find_or_simulate(k, hw, rt);
        ++(found.simulated ? tl.simulated : tl.reused);
        if (found.index >= local_index.size()) local_index.resize(found.index + 1, -1);
        if (local_index[found.index] < 0) {
            local_index[found.index] = static_cast<std::int64_t>(tl.kernels.size());
            tl.kernels.push_back(cache->at(found.index).timing);
        }
        dynamic += cache->at(found.index).dynamic_energy;
        return static_cast<std::uint32_t>(local_index[found.index]);
    };
    // What launching `k` costs in the timeline: the driver launch, or under CUDA graphs the gap
    // before each of its kernels.
    auto launch_of = [&](const KernelTiming& k) {
        return rt.cuda_graphs ? static_cast<double>(k.plan.kernels) * rt.graph_kernel_gap_us * 1e-6 : k.launch_s;
    };
    // Dispatches `k` (the kernel of `dispatched`) and runs it when the device is free; its start.
    auto play = [&](const KernelTiming& k, const workloads::Op& dispatched) {
        double start = 0;
        if (rt.cuda_graphs) {
            start = std::max(device_free + launch_of(k), host);
        } else {
            host += rt.dispatch_s(dispatched) + k.launch_s;
            start = std::max(device_free, host);
        }
        device_free = start + (k.time_s - k.launch_s);
        return start;
    };
    // One record for the kernels a decomposed op ran (RuntimeSpec::op_kernels), shared by the
    // graph's ops that ran the same ones: their times, bytes, FLOPs and launches summed.
    std::map<std::vector<std::uint32_t>, std::uint32_t> combined;
    auto combined_index = [&](const std::vector<std::uint32_t>& parts) {
        auto it = combined.find(parts);
        if (it != combined.end()) return it->second;
        KernelTiming sum;
        sum.plan.tiles = 1;
        sum.plan.kernels = 0;
        sum.plan.engine = EngineKind::vector;
        sum.plan.mapping = std::to_string(parts.size()) + " kernels:";
        double longest = -1;
        for (std::uint32_t i : parts) {
            const KernelTiming& k = tl.kernels[i];
            const auto tiles = static_cast<double>(k.plan.tiles);
            sum.time_s += k.time_s;
            sum.launch_s += k.launch_s;
            sum.compute_bound_s += k.compute_bound_s;
            sum.memory_bound_s += k.memory_bound_s;
            sum.energy += k.energy;
            if (k.time_s > longest) longest = k.time_s, sum.bound = k.bound;
            auto& p = sum.plan;
            p.kernels += k.plan.kernels;
            p.flops += k.plan.flops;
            p.bytes += k.plan.bytes;
            p.workspace_bytes = std::max(p.workspace_bytes, k.plan.workspace_bytes);
            p.dram_bytes_per_tile += k.plan.dram_bytes_per_tile * tiles;
            p.l2_bytes_per_tile += k.plan.l2_bytes_per_tile * tiles;
            p.core_sram_bytes_per_tile += k.plan.core_sram_bytes_per_tile * tiles;
            p.matrix_flops_per_tile += k.plan.matrix_flops_per_tile * tiles;
            p.vector_flops_per_tile += k.plan.vector_flops_per_tile * tiles;
            if (k.plan.matrix_flops_per_tile > 0) p.matrix_dtype = k.plan.matrix_dtype, p.engine = EngineKind::matrix;
            if (k.plan.vector_flops_per_tile > 0) p.vector_dtype = k.plan.vector_dtype;
            p.mapping += " [" + k.plan.mapping + "]";
        }
        if (parts.empty()) sum.bound = "none";
        const auto index = static_cast<std::uint32_t>(tl.kernels.size());
        tl.kernels.push_back(std::move(sum));
        combined.emplace(parts, index);
        return index;
    };
    for (workloads::OpId id : graph.topological_order()) {
        const workloads::Op& op = graph.op(id);
        const auto* coll = std::get_if<workloads::CollectiveDims>(&op.dims);
        const bool collective = workloads::op_traits(op.kind).kernel == workloads::KernelClass::collective;
        if (collective && (!comm || !coll)) continue;  // one device: no peers
        OpTiming o;
        o.op = id;
        EnergyBreakdown dynamic;
        if (coll) {
            const auto key = std::tuple{static_cast<int>(coll->kind), static_cast<int>(coll->axis), coll->group, coll->bytes};
            auto it = collective_index.find(key);
            if (it == collective_index.end()) {
                const CommCost c = (*comm)(*coll);
                KernelTiming k;
                k.launch_s = hw.kernel_launch_overhead_us * 1e-6;
                k.time_s = k.launch_s + c.time_s;
                k.memory_bound_s = c.time_s;
                k.bound = "communication";
                k.plan.mapping = std::string(workloads::to_string(coll->kind)) + " " + c.algorithm + " over " +
                                 std::to_string(coll->group) + " (" + std::string(workloads::to_string(coll->axis)) + ")";
                k.plan.engine = EngineKind::vector;
                k.plan.bytes = static_cast<double>(coll->bytes);
                k.energy.link_j = c.energy_j;
                it = collective_index.emplace(key, static_cast<std::uint32_t>(tl.kernels.size())).first;
                tl.kernels.push_back(std::move(k));
                ++tl.simulated;
            } else {
                ++tl.reused;
            }
            o.kernel = it->second;
            dynamic.link_j = tl.kernels[o.kernel].energy.link_j;
        } else if (const OpKernels* rule = rt.kernels_for(op)) {
            // The stack launches several kernels for this op: each is dispatched and run in turn,
            // and the op's record is their sum.
            std::vector<std::uint32_t> parts;
            const double before = device_free;
            o.start_s = -1;
            o.launch_s = 0;
            for (const workloads::Op& part : kernel_ops(op, *rule)) {
                const std::uint32_t index = kernel_index(part, dynamic);
                parts.push_back(index);
                const KernelTiming& k = tl.kernels[index];
                const double start = play(k, part);
                if (o.start_s < 0) o.start_s = start;
                o.launch_s += launch_of(k);
            }
            if (o.start_s < 0) o.start_s = device_free;  // no kernel at all
            o.kernel = combined_index(parts);
            o.time_s = device_free - before;
            o.energy = kernel_energy(dynamic, hw.energy, o.time_s);
            tl.ops.push_back(o);
            continue;
        } else {
            o.kernel = kernel_index(op, dynamic);
        }
        const KernelTiming& k = tl.kernels[o.kernel];
        const double before = device_free;
        o.launch_s = launch_of(k);
        o.start_s = play(k, op);
        o.time_s = device_free - before;
        o.energy = kernel_energy(dynamic, hw.energy, o.time_s);
        tl.ops.push_back(o);
    }
    // The host's wake-up at the end is charged to the last op, so the ops' times add up to the total.
    tl.total_s = device_free + rt.sync_us * 1e-6;
    if (!tl.ops.empty()) {
        auto& last = tl.ops.back();
        last.time_s += rt.sync_us * 1e-6;
        EnergyBreakdown dynamic = dynamic_energy(count_actions(tl.kernel_of(last).plan), hw.energy);
        dynamic.link_j = tl.kernel_of(last).energy.link_j;
        last.energy = kernel_energy(dynamic, hw.energy, last.time_s);
    }
    return tl;
}

}  // namespace fmsim::hwmodels
