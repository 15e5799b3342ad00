// The SystemC device model: memory channel banks (DRAM, L2) that arbitrate bandwidth first come,
// first served, and cores whose tile slots load (double-buffered) and compute tiles. Kernels run
// one after another; each spawns its slots as method processes (event-driven state machines, no
// thread stacks) and runs until they finish.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <memory>

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
// channel serves its parts in arrival order. Requests reserve channel time when issued, so the
// callers (method processes) need no thread of their own: they wait for the returned time.
class ChannelBank : public sc_core::sc_module {
public:
    explicit ChannelBank(const sc_core::sc_module_name& name) : sc_core::sc_module(name) {}

    void configure(std::int64_t channels, double bytes_per_s, double latency_s) {
        free_at_.assign(static_cast<std::size_t>(std::max<std::int64_t>(1, channels)), sc_core::sc_time_stamp());
        channel_bytes_per_s_ = bytes_per_s / static_cast<double>(free_at_.size());
        latency_ = sc_time(latency_s, SC_SEC);
    }

    struct Grant {
        sc_time transferred;  // the channels are free for the requester's next request
        sc_time arrived;      // ... and the data is there, one latency later
    };
    // Reserves the channels for `bytes` requested at `at`.
    Grant request(sc_time at, double bytes) {
        if (bytes <= 0) return {at, at};
        const double part = bytes / static_cast<double>(free_at_.size());
        sc_time done = at;
        for (sc_time& free : free_at_) {
            free = std::max(at, free) + sc_time(part / channel_bytes_per_s_, SC_SEC);
            done = std::max(done, free);
        }
        return {done, done + latency_};
    }

private:
    std::vector<sc_time> free_at_;
    double channel_bytes_per_s_ = 1;
    sc_time latency_;
};

// The device: built once per process (SystemC elaborates once), reconfigured per kernel.
class Device {
public:
    static Device& instance() {
        static Device d;
        return d;
    }

    double run(const TileProgram& p, const HardwareSpec& hw) {
        const auto* l2 = hw.chip_level();
        dram_.configure(hw.memory.channels, hw.memory_bandwidth_bytes_per_s() * kDramEfficiency,
                        hw.memory.latency_ns * 1e-9);
        l2_.configure(1, l2 ? l2->bandwidth_gbps * 1e9 : hw.memory_bandwidth_bytes_per_s(),
                      l2 ? l2->latency_ns * 1e-9 : 0);
        const std::int64_t slots = std::max<std::int64_t>(1, hw.cores * p.tiles_per_core_at_once);
        const std::int64_t steps = std::clamp<std::int64_t>(
            static_cast<std::int64_t>(kMaxEvents / (3.0 * static_cast<double>(p.tiles))), 1, kMaxStepsPerTile);
        Step step{sc_time(p.compute_cycles_per_tile / static_cast<double>(steps) / (hw.clock.sustained_mhz * 1e6), SC_SEC),
                  p.dram_bytes_per_tile / static_cast<double>(steps), p.l2_bytes_per_tile / static_cast<double>(steps),
                  kMinBuffers};
        const double active = static_cast<double>(std::min(slots, p.tiles));
        const double share = hw.memory_bandwidth_bytes_per_s() * kDramEfficiency / active;
        if (step.dram_bytes > 0)
            step.in_flight = std::clamp<std::int64_t>(
                static_cast<std::int64_t>(std::ceil(hw.memory.latency_ns * 1e-9 * share / step.dram_bytes)) + 1,
                kMinBuffers, kMaxInFlight);
        const sc_time start = sc_core::sc_time_stamp();
        sc_core::sc_spawn_options method;
        method.spawn_method();
        std::vector<std::shared_ptr<Slot>> live;
        for (std::int64_t s = 0; s < std::min(slots, p.tiles); ++s) {
            auto slot = std::make_shared<Slot>();
            slot->steps = (p.tiles / slots + (s < p.tiles % slots ? 1 : 0)) * steps;
            live.push_back(slot);
            sc_core::sc_spawn([this, slot, step] { advance(*slot, step); }, nullptr, &method);
        }
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
        std::int64_t steps = 0, loaded = 0, computed = 0;
        std::deque<sc_time> arriving;  // loads in flight, by arrival time
        sc_time channels_free;         // when this slot's last request finished transferring
        bool computing = false;
        sc_time compute_done;
    };

    Device() : dram_("dram"), l2_("l2") {}

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
};

void quiet_systemc() {
    static const bool done = [] { return setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0; }();
    (void)done;
}

}  // namespace

KernelTiming simulate_kernel(const TileProgram& plan, const HardwareSpec& hw) {
    quiet_systemc();
    KernelTiming t;
    t.plan = plan;
    t.launch_s = static_cast<double>(plan.kernels) * hw.kernel_launch_overhead_us * 1e-6;
    const double clock_hz = hw.clock.sustained_mhz * 1e6;
    const double slots = static_cast<double>(hw.cores * plan.tiles_per_core_at_once);
    t.compute_bound_s = std::ceil(static_cast<double>(plan.tiles) / slots) * plan.compute_cycles_per_tile / clock_hz;
    t.memory_bound_s =
        plan.dram_bytes_per_tile * static_cast<double>(plan.tiles) / (hw.memory_bandwidth_bytes_per_s() * kDramEfficiency);
    const double exec = plan.tiles > 0 ? Device::instance().run(plan, hw) : 0;
    t.time_s = t.launch_s + exec;
    t.bound = t.launch_s > exec ? "latency" : t.compute_bound_s >= t.memory_bound_s ? "compute" : "memory";
    t.energy = kernel_energy(plan, hw.energy, t.time_s);
    return t;
}

const KernelTiming* KernelCache::find(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
}

const KernelTiming& KernelCache::insert(const std::string& key, KernelTiming t) {
    return entries_.insert_or_assign(key, std::move(t)).first->second;
}

double isolated_call_s(const workloads::Op& op, const KernelTiming& k, const RuntimeSpec& rt) {
    const double exec = k.time_s - k.launch_s;
    const double launch = rt.cuda_graphs ? rt.graph_launch_us * 1e-6 + static_cast<double>(k.plan.kernels) *
                                                                          rt.graph_kernel_gap_us * 1e-6
                                         : k.launch_s;
    return rt.dispatch_s(op) + launch + exec + rt.sync_us * 1e-6;
}

Timeline replay_graph(const workloads::OpGraph& graph, const HardwareSpec& hw, const RuntimeSpec& rt,
                      KernelCache* cache) {
    Timeline tl;
    // Host clock: when the next kernel has been dispatched and launched. Under CUDA graphs the
    // host launches the whole graph once and the device walks it.
    double host = rt.cuda_graphs ? rt.graph_launch_us * 1e-6 : 0;
    double device_free = 0;
    for (workloads::OpId id : graph.topological_order()) {
        const workloads::Op& op = graph.op(id);
        if (op.kind == workloads::OpKind::collective) continue;  // one device: no peers (issue 5)
        const TileProgram plan = plan_op(op, hw, rt);
        // The tile program's fields as raw bytes: exact, and no number formatting per op.
        std::string key = plan.mapping;
        for (double v : {static_cast<double>(plan.tiles), static_cast<double>(plan.tiles_per_core_at_once),
                         static_cast<double>(plan.kernels), plan.compute_cycles_per_tile, plan.dram_bytes_per_tile,
                         plan.l2_bytes_per_tile})
            key.append(reinterpret_cast<const char*>(&v), sizeof v);
        const KernelTiming* hit = cache ? cache->find(key) : nullptr;
        KernelTiming k;
        if (hit) {
            k = *hit;
            ++tl.reused;
        } else {
            k = simulate_kernel(plan, hw);
            if (cache) cache->insert(key, k);
            ++tl.simulated;
        }
        k.plan.flops = plan.flops;
        k.plan.bytes = plan.bytes;
        const double exec = k.time_s - k.launch_s;
        double start = 0;
        if (rt.cuda_graphs) {
            k.launch_s = static_cast<double>(plan.kernels) * rt.graph_kernel_gap_us * 1e-6;
            start = std::max(device_free + k.launch_s, host);
        } else {
            host += rt.dispatch_s(op) + k.launch_s;
            start = std::max(device_free, host);
        }
        k.time_s = start + exec - device_free;
        // Priced from this op's own plan (a cached twin may differ in dtype) over its replay time.
        k.energy = kernel_energy(plan, hw.energy, k.time_s);
        tl.ops.push_back(OpTiming{id, start, k});
        device_free = start + exec;
    }
    // The host's wake-up at the end is charged to the last op, so the ops' times add up to the total.
    tl.total_s = device_free + rt.sync_us * 1e-6;
    if (!tl.ops.empty()) {
        auto& last = tl.ops.back();
        last.timing.time_s += rt.sync_us * 1e-6;
        last.timing.energy = kernel_energy(plan_op(graph.op(last.op), hw, rt), hw.energy, last.timing.time_s);
    }
    return tl;
}

}  // namespace fmsim::hwmodels
