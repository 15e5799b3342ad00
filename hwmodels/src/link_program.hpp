#pragma once
// Internal to hwmodels: a collective as a closed-form program of steps on link channels
// (collective.cpp builds it), and the SystemC runner that times programs (link_sc.cpp). No
// SystemC here.
#include <cstdint>
#include <string>
#include <vector>

namespace fmsim::hwmodels::link_detail {

// One port of a link level, standing for every port of that level on every device: the group is
// symmetric, so one port's timeline is all of them.
struct ChannelSpec {
    std::string key;            // channels with equal keys are one physical port (shared bandwidth)
    double bytes_per_s = 0;     // effective bandwidth of the port, one direction
};

// Bytes one port carries in one step, and the latency before the receiver has them.
struct Transfer {
    std::size_t channel = 0;    // index in Program::channels
    double bytes = 0;           // per step, on one port
    double latency_s = 0;       // per step
    double ports = 1;           // ports of the device doing the same at once (energy, bytes sent)
};

// `steps` identical steps; a step ends when the last of its transfers has arrived, and the next
// one starts then (it needs the data).
struct Phase {
    double steps = 0;
    std::vector<Transfer> transfers;
};

// Phases run one after another. The streams of a program run concurrently (a torus all-reduce
// splits its buffer over one stream per dimension; all-to-all sends inside and across nodes at once).
struct Stream {
    std::vector<Phase> phases;
};

struct Program {
    std::vector<ChannelSpec> channels;
    std::vector<Stream> streams;
    double start_s = 0;  // issue time within the batch
};

// Runs the programs together on SystemC link channels (channels with equal keys are shared: each
// transfer is sent in chunks, first come first served, so concurrent streams take turns) and returns, per program, the time from its start to the end of its last
// stream. A phase is simulated as at most kMacroSteps transfers of equal size, each carrying
// steps / kMacroSteps of its steps' bytes and latencies, so a program costs the same to simulate
// at 8 or 16,384 devices; alone, its time is exactly the sum of its steps.
inline constexpr double kMacroSteps = 8;
std::vector<double> run_programs(const std::vector<Program>& programs);

}  // namespace fmsim::hwmodels::link_detail
