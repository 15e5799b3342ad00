// The SystemC link model: link ports that serve transfers first come, first served, and one
// method process per collective stream that walks its program's phases, issuing each step's
// transfers and waiting for the last to arrive. Streams of concurrent collectives that use the
// same port share its bandwidth. Built once per process, reused by every run.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <stdexcept>

#include "fmsim/hwmodels/replay.hpp"
#include "link_program.hpp"

namespace fmsim::hwmodels::link_detail {

namespace {

using sc_core::sc_time;
using sc_core::SC_SEC;
using sc_core::SC_ZERO_TIME;

sc_time seconds(double s) { return sc_time(s, SC_SEC); }

// One port of a link level. A transfer reserves the port when issued, after the transfers issued
// before it (first come, first served), for bytes / bandwidth; so the callers (method processes)
// need no thread of their own. Not an sc_module: SystemC accepts no new module once a simulation
// has run (error E529), and the device model may have run first.
class LinkPort {
public:
    void configure(double bytes_per_s) {
        bytes_per_s_ = bytes_per_s;
        free_at_ = sc_core::sc_time_stamp();
    }
    // When `bytes` requested at `at` have left the port.
    sc_time reserve(sc_time at, double bytes) {
        if (bytes <= 0) return at;
        free_at_ = std::max(at, free_at_) + seconds(bytes / bytes_per_s_);
        return free_at_;
    }

private:
    double bytes_per_s_ = 1;
    sc_time free_at_;
};

// A phase is simulated as this many transfers of equal size (fewer if it has fewer steps).
double macro_steps(const Phase& p) { return p.steps <= 0 ? 0 : std::min(std::ceil(p.steps), kMacroSteps); }

// A macro step's transfer on one port is sent as this many chunks, each requested when the previous
// one has left: streams that share a port then take turns chunk by chunk (a fair share), where one
// reservation for the whole transfer would hold the port for its full length. Alone, the chunks
// leave back to back, so the time is unchanged.
constexpr int kChunks = 8;

// One transfer of the running macro step.
struct Pending {
    LinkPort* port = nullptr;
    int chunks_left = 0;
    double chunk_bytes = 0;
    sc_time sent;       // when its last requested chunk has left the port
    double latency_s = 0;
};

// One stream of a collective: a method process (an event-driven state machine, no thread stack)
// that sends a macro step's transfers chunk by chunk, sleeps until the last has arrived, and goes on.
struct Runner {
    sc_core::sc_event start;  // the process waits on it between runs
    const Stream* stream = nullptr;
    const std::vector<LinkPort*>* ports = nullptr;  // the program's channels
    std::size_t phase = 0;
    double macro = 0;
    bool in_step = false;
    std::vector<Pending> pending;
    sc_time arrival;  // of the running step's data, once all its chunks are sent
    sc_time end;

    void reset(const Stream* s, const std::vector<LinkPort*>* p) {
        stream = s;
        ports = p;
        phase = 0;
        macro = 0;
        in_step = false;
        pending.clear();
        arrival = end = sc_time();
    }
};

// SystemC refuses new modules once a simulation has started, and device_sc.cpp's Device builds its
// memory-channel modules on first use. So before the links' first sc_start, the Device is made to
// build itself by simulating an empty kernel. (Not needed once the device's channels stop being
// sc_modules; harmless after that.)
void ensure_device_elaborated() {
    static const bool done = [] {
        HardwareSpec hw;
        hw.cores = 1;
        hw.clock.sustained_mhz = 1000;
        hw.memory.channels = 1;
        hw.memory.bandwidth_gb_per_s = 1;
        hw.memory.stream_efficiency = 1;
        TileProgram p;
        p.mapping = "link model start-up";
        p.tiles = 1;
        simulate_kernel(p, hw);
        return true;
    }();
    (void)done;
}

class LinkEngine {
public:
    static LinkEngine& instance() {
        static LinkEngine e;
        return e;
    }

    std::vector<double> run(const std::vector<Program>& programs) {
        ensure_device_elaborated();
        // Ports by key: programs naming the same port share it.
        std::map<std::string, std::size_t> by_key;
        ports_.clear();
        std::vector<std::vector<LinkPort*>> program_ports(programs.size());
        std::vector<std::size_t> port_index;
        for (const auto& prog : programs)
            for (const auto& c : prog.channels) {
                if (!(c.bytes_per_s > 0)) throw std::logic_error("link channel '" + c.key + "' without bandwidth");
                const auto [it, added] = by_key.emplace(c.key, ports_.size());
                if (added) ports_.emplace_back().configure(c.bytes_per_s);
                port_index.push_back(it->second);
            }
        std::size_t k = 0;
        for (std::size_t p = 0; p < programs.size(); ++p)
            for (std::size_t c = 0; c < programs[p].channels.size(); ++c)
                program_ports[p].push_back(&ports_[port_index[k++]]);

        struct Assigned {
            std::size_t program;
            Runner* runner;
        };
        std::vector<Assigned> assigned;
        for (std::size_t p = 0; p < programs.size(); ++p)
            for (const auto& s : programs[p].streams) {
                if (assigned.size() == runners_.size()) add_runner();
                Runner& r = runners_[assigned.size()];
                r.reset(&s, &program_ports[p]);
                assigned.push_back({p, &r});
            }
        const sc_time t0 = sc_core::sc_time_stamp();
        // Streams issued at the same time start in one delta cycle; SystemC runs a delta cycle's
        // notifications last first, so notifying the last first lets the first program's streams
        // reach the ports first.
        for (auto it = assigned.rbegin(); it != assigned.rend(); ++it) {
            const double start = programs[it->program].start_s;
            if (start > 0) it->runner->start.notify(seconds(start));
            else it->runner->start.notify(SC_ZERO_TIME);
        }
        sc_core::sc_start();
        std::vector<double> out(programs.size(), 0.0);
        for (const auto& a : assigned)
            out[a.program] =
                std::max(out[a.program], (a.runner->end - t0).to_seconds() - programs[a.program].start_s);
        for (auto& r : runners_) r.reset(nullptr, nullptr);
        return out;
    }

private:
    // Runners and their processes are made once and reused: SystemC keeps every process it spawned.
    void add_runner() {
        Runner& r = runners_.emplace_back();
        sc_core::sc_spawn_options method;
        method.spawn_method();
        method.dont_initialize();
        method.set_sensitivity(&r.start);
        sc_core::sc_spawn([&r] { advance(r); }, nullptr, &method);
    }

    // The stream's state machine, run at its start and whenever a chunk has left or a step's data
    // has arrived. It loops until it must wait.
    static void advance(Runner& r) {
        const sc_time now = sc_core::sc_time_stamp();
        const auto& phases = r.stream->phases;
        for (;;) {
            if (!r.in_step) {
                while (r.phase < phases.size() && r.macro >= macro_steps(phases[r.phase])) {
                    ++r.phase;
                    r.macro = 0;
                }
                if (r.phase == phases.size()) {
                    r.end = now;
                    return;  // back to waiting on `start`
                }
                const Phase& ph = phases[r.phase];
                const double share = ph.steps / macro_steps(ph);  // steps per macro step
                r.pending.clear();
                r.arrival = now;
                for (const auto& t : ph.transfers) {
                    const double bytes = t.bytes * share, latency = t.latency_s * share;
                    if (bytes > 0) r.pending.push_back({(*r.ports)[t.channel], kChunks, bytes / kChunks, now, latency});
                    else r.arrival = std::max(r.arrival, now + seconds(latency));
                }
                r.in_step = true;
            }
            // Request the next chunk of every transfer whose previous chunk has left.
            bool sending = false;
            sc_time next;
            for (auto& p : r.pending) {
                if (p.chunks_left > 0 && p.sent <= now) {
                    p.sent = p.port->reserve(now, p.chunk_bytes);
                    if (--p.chunks_left == 0) r.arrival = std::max(r.arrival, p.sent + seconds(p.latency_s));
                }
                if (p.chunks_left > 0) {
                    next = sending ? std::min(next, p.sent) : p.sent;
                    sending = true;
                }
            }
            if (sending) {
                sc_core::next_trigger(next - now);
                return;
            }
            if (r.arrival > now) {
                sc_core::next_trigger(r.arrival - now);
                return;
            }
            r.in_step = false;
            r.macro += 1;
        }
    }

    std::deque<Runner> runners_;  // deque: a runner's process holds its address
    std::deque<LinkPort> ports_;  // this run's ports
};

}  // namespace

std::vector<double> run_programs(const std::vector<Program>& programs) { return LinkEngine::instance().run(programs); }

}  // namespace fmsim::hwmodels::link_detail
