#pragma once
// Collective operations (all-reduce, all-gather, reduce-scatter, all-to-all, send/recv) timed on a
// SystemC model of the links (link_sc.cpp). An algorithm is a closed-form program of steps with
// their data volumes; its transfers run on one representative link per level (intra-node,
// inter-node, or one per torus dimension), since every device of a symmetric group does the same
// at the same time. So the cost of a simulation does not grow with the number of devices.
// docs/hardware-model.md, "Links and collectives". No SystemC here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fmsim/hwmodels/link.hpp"

namespace fmsim::hwmodels {

enum class CollectiveKind { all_reduce, all_gather, reduce_scatter, all_to_all, send_recv };

enum class Algorithm {
    automatic,     // the fastest applicable one, as NCCL's tuner picks
    ring,          // all-reduce, all-gather, reduce-scatter: a ring through every device
    tree,          // all-reduce: pipelined reduce + broadcast down a (double) binary tree
    hierarchical,  // all-reduce, all-gather, reduce-scatter: intra-node ring, inter-node ring, intra-node ring
    torus,         // all-reduce, all-gather, reduce-scatter on a 2D/3D torus: ring per dimension
    direct,        // all-to-all, send/recv: each device sends straight to its peers
};

std::string_view to_string(CollectiveKind k);  // "all_reduce", ...
std::string_view to_string(Algorithm a);       // "automatic", "ring", ...
std::optional<CollectiveKind> parse_collective_kind(std::string_view s);  // also accepts '-' for '_'
std::optional<Algorithm> parse_algorithm(std::string_view s);             // "auto" = automatic
std::vector<std::string> collective_kind_names();
std::vector<std::string> algorithm_names();

// The devices taking part and the links between them. Devices are grouped in nodes of
// `devices_per_node`, joined inside a node by `intra` and across nodes by `inter` (one inter port
// per device: a rail-optimised network, each GPU with its own NIC).
struct CollectiveGroup {
    std::int64_t devices = 1;
    std::int64_t devices_per_node = 0;  // 0: every device in one node
    LinkSpec intra;
    std::optional<LinkSpec> inter;      // required when the devices span several nodes
    // Torus shape (torus2d/torus3d `intra` links); its product is the devices of a node. Empty:
    // the most nearly square (cubic) factorisation.
    std::vector<std::int64_t> torus_dims;
};

struct CollectiveTiming {
    double time_s = 0;
    std::string algorithm;              // the one that ran ("ring", "tree", ...; "none" for one device)
    double bytes_sent_per_device = 0;   // bytes one device puts on its links (forwarded bytes included)
    double energy_j = 0;                // link energy, all devices
    int steps = 0;                      // link latencies on the critical path (communication rounds)
    double algorithm_bandwidth_gb_per_s = 0;  // bytes / time_s (nccl-tests' algbw), GB/s
    double bus_bandwidth_gb_per_s = 0;        // algbw × bus_bandwidth_factor (nccl-tests' busbw), GB/s
};

// nccl-tests' bus-bandwidth factor: all-reduce 2(n-1)/n; all-gather, reduce-scatter and
// all-to-all (n-1)/n; send/recv 1.
double bus_bandwidth_factor(CollectiveKind kind, std::int64_t devices);

// One collective on an idle group. `bytes` is the full buffer of one device: the gradient for
// all-reduce, the gathered output for all-gather, the input for reduce-scatter, the send buffer
// for all-to-all, the message for send/recv (nccl-tests' "size"). Throws UserError when the
// algorithm does not apply to the kind or the group (the message says why). Identical requests
// are answered from a cache.
CollectiveTiming simulate_collective(CollectiveKind kind, double bytes, const CollectiveGroup& g,
                                     Algorithm a = Algorithm::automatic);

// A collective issued at `start_s` into a batch of concurrent ones.
struct CollectiveRequest {
    CollectiveKind kind = CollectiveKind::all_reduce;
    double bytes = 0;
    CollectiveGroup group;
    Algorithm algorithm = Algorithm::automatic;  // automatic: chosen as if the request ran alone
    double start_s = 0;
};

// Collectives in flight together on one device's links (overlapped communication streams):
// requests whose links are the same spec share that link's bandwidth, first come first served at
// step granularity. Each result's time_s runs from its own start_s to its end.
std::vector<CollectiveTiming> simulate_concurrent(const std::vector<CollectiveRequest>& requests);

}  // namespace fmsim::hwmodels
