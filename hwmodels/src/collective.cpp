// Collective algorithms as closed-form programs of steps (link_program.hpp), timed on the SystemC
// link model (link_sc.cpp). Step counts and per-step volumes are the textbook ones (Thakur,
// Rabenseifner and Gropp 2005; NCCL's ring and tree); docs/hardware-model.md, "Links and
// collectives", has the formulas.
#include "fmsim/hwmodels/collective.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "fmsim/workloads/errors.hpp"
#include "link_program.hpp"

namespace fmsim::hwmodels {

namespace {

using link_detail::ChannelSpec;
using link_detail::Phase;
using link_detail::Program;
using link_detail::Stream;
using link_detail::Transfer;

constexpr std::array<std::pair<CollectiveKind, const char*>, 5> kKinds{{
    {CollectiveKind::all_reduce, "all_reduce"},
    {CollectiveKind::all_gather, "all_gather"},
    {CollectiveKind::reduce_scatter, "reduce_scatter"},
    {CollectiveKind::all_to_all, "all_to_all"},
    {CollectiveKind::send_recv, "send_recv"},
}};
constexpr std::array<std::pair<Algorithm, const char*>, 6> kAlgorithms{{
    {Algorithm::automatic, "automatic"},
    {Algorithm::ring, "ring"},
    {Algorithm::tree, "tree"},
    {Algorithm::hierarchical, "hierarchical"},
    {Algorithm::torus, "torus"},
    {Algorithm::direct, "direct"},
}};

// The tree's pipeline chunk count is chosen to minimise its time; this bounds it when the latency
// is (near) zero, where more chunks would always be better.
constexpr double kMaxTreeChunks = 1024;

// A group with its node structure worked out and checked.
struct Shape {
    std::int64_t n = 1;  // devices
    std::int64_t p = 1;  // devices per node
    std::int64_t m = 1;  // nodes
    const LinkSpec* intra = nullptr;
    const LinkSpec* inter = nullptr;  // null when m == 1
    std::vector<std::int64_t> dims;   // torus shape of a node (torus links), dimensions of size > 1
};

void check_link(const LinkSpec& l, const char* role) {
    const std::string what = std::string(role) + " link '" + l.name + "'";
    if (!(l.bandwidth_gb_per_s > 0) || !std::isfinite(l.bandwidth_gb_per_s))
        throw UserError(what + ": expected bandwidth_gb_per_s > 0, got " + std::to_string(l.bandwidth_gb_per_s));
    if (!(l.efficiency > 0 && l.efficiency <= 1))
        throw UserError(what + ": expected efficiency in (0, 1], got " + std::to_string(l.efficiency));
    if (!(l.latency_us >= 0) || !std::isfinite(l.latency_us))
        throw UserError(what + ": expected latency_us >= 0, got " + std::to_string(l.latency_us));
}

bool is_torus(LinkTopology t) { return t == LinkTopology::torus2d || t == LinkTopology::torus3d; }

// The most nearly square (D = 2) or cubic (D = 3) factorisation of p, largest first.
std::vector<std::int64_t> torus_shape(std::int64_t p, int dims) {
    std::vector<std::int64_t> best;
    auto better = [](const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
        return b.empty() || a.front() < b.front();  // sorted descending: compare the largest
    };
    if (dims == 2) {
        for (std::int64_t a = 1; a * a <= p; ++a)
            if (p % a == 0) {
                std::vector<std::int64_t> s{p / a, a};
                if (better(s, best)) best = s;
            }
    } else {
        for (std::int64_t a = 1; a * a * a <= p; ++a) {
            if (p % a != 0) continue;
            const std::int64_t r = p / a;
            for (std::int64_t b = a; b * b <= r; ++b)
                if (r % b == 0) {
                    std::vector<std::int64_t> s{r / b, b, a};
                    std::sort(s.rbegin(), s.rend());
                    if (better(s, best)) best = s;
                }
        }
    }
    return best;
}

Shape resolve(const CollectiveGroup& g) {
    Shape s;
    if (g.devices < 1) throw UserError("a collective needs at least one device, got " + std::to_string(g.devices));
    if (g.devices_per_node < 0)
        throw UserError("devices_per_node must be >= 0 (0: one node), got " + std::to_string(g.devices_per_node));
    s.n = g.devices;
    s.p = g.devices_per_node == 0 ? s.n : std::min(g.devices_per_node, s.n);
    if (s.n % s.p != 0)
        throw UserError(std::to_string(s.n) + " devices do not fill nodes of " + std::to_string(s.p) +
                        ": expected a multiple of devices_per_node");
    s.m = s.n / s.p;
    check_link(g.intra, "intra-node");
    s.intra = &g.intra;
    if (s.m > 1) {
        if (!g.inter)
            throw UserError(std::to_string(s.n) + " devices in nodes of " + std::to_string(s.p) + " span " +
                            std::to_string(s.m) + " nodes: give an inter-node link");
        check_link(*g.inter, "inter-node");
        if (g.inter->topology != LinkTopology::switched && g.inter->topology != LinkTopology::bus)
            throw UserError("inter-node link '" + g.inter->name + "' is a " + std::string(to_string(g.inter->topology)) +
                            "; only switch and bus networks join nodes (put a torus in one node: devices_per_node)");
        s.inter = &*g.inter;
    }
    const int torus_d = g.intra.topology == LinkTopology::torus2d ? 2 : g.intra.topology == LinkTopology::torus3d ? 3 : 0;
    if (!g.torus_dims.empty()) {
        if (!torus_d)
            throw UserError("torus_dims given for intra-node link '" + g.intra.name + "', which is a " +
                            std::string(to_string(g.intra.topology)) + ", not a torus");
        std::int64_t product = 1;
        for (auto d : g.torus_dims) {
            if (d < 1) throw UserError("torus_dims must be positive, got " + std::to_string(d));
            product *= d;
        }
        if (static_cast<int>(g.torus_dims.size()) != torus_d || product != s.p)
            throw UserError("torus_dims of a " + std::string(to_string(g.intra.topology)) + " must be " +
                            std::to_string(torus_d) + " sizes whose product is the devices per node (" +
                            std::to_string(s.p) + ")");
    }
    if (torus_d) {
        const auto dims = g.torus_dims.empty() ? torus_shape(s.p, torus_d) : g.torus_dims;
        for (auto d : dims)
            if (d > 1) s.dims.push_back(d);
    }
    return s;
}

// Raw bytes of a link's fields: equal specs share a port when collectives run concurrently.
std::string link_key(const LinkSpec& l) {
    std::string key = l.name;
    for (double v : {l.bandwidth_gb_per_s, l.latency_us, l.efficiency, static_cast<double>(l.topology)})
        key.append(reinterpret_cast<const char*>(&v), sizeof v);
    return key;
}

// A program under construction, with what the timing reports besides time.
struct Built {
    Program program;
    std::vector<double> pj_per_bit;  // per channel
    std::string algorithm;
    double steps = 0;                 // latencies on the critical path
    double bytes_sent_per_device = 0;
    double energy_j = 0;

    std::size_t channel(const std::string& key, double bytes_per_s, double pj) {
        for (std::size_t i = 0; i < program.channels.size(); ++i)
            if (program.channels[i].key == key) return i;
        program.channels.push_back({key, bytes_per_s});
        pj_per_bit.push_back(pj);
        return program.channels.size() - 1;
    }
};

// The ports a level's algorithms use.
struct Levels {
    const Shape& s;
    Built& b;

    // The whole device bandwidth (switch, bus) or one port (ring, torus: `port` names which).
    Transfer intra_port(double bytes, int port = 0) const {
        const LinkSpec& l = *s.intra;
        const bool fabric = l.topology == LinkTopology::switched || l.topology == LinkTopology::bus;
        const std::string key = link_key(l) + (fabric ? "/all" : "/port" + std::to_string(port));
        const double bw = fabric ? l.effective_bandwidth_bytes_per_s() : l.effective_port_bandwidth_bytes_per_s();
        return Transfer{b.channel(key, bw, l.energy_pj_per_bit), bytes, l.latency_s(), 1};
    }
    // One step of a ring through the node: on a fabric the device's bandwidth; on a ring or torus
    // link a bidirectional ring, half the bytes each way on two ports.
    Transfer intra_ring(double bytes) const {
        const bool fabric = s.intra->topology == LinkTopology::switched || s.intra->topology == LinkTopology::bus;
        if (fabric) return intra_port(bytes);
        Transfer t = intra_port(bytes / 2);
        t.ports = 2;
        return t;
    }
    Transfer inter(double bytes) const {
        const LinkSpec& l = *s.inter;
        return Transfer{b.channel(link_key(l) + "/all", l.effective_bandwidth_bytes_per_s(), l.energy_pj_per_bit),
                        bytes, l.latency_s(), 1};
    }
};

void add_phase(Stream& st, double steps, std::vector<Transfer> transfers) {
    if (steps > 0 && !transfers.empty()) st.phases.push_back(Phase{steps, std::move(transfers)});
}

// Ring through every device (NCCL's ring): 2(n-1) steps of S/n for all-reduce, n-1 for all-gather
// and reduce-scatter. Across nodes every step also crosses the network: a node's rings leave it
// through all its devices' NICs (one ring per NIC), so each NIC carries S/n / p per step.
void build_ring(CollectiveKind kind, double S, const Shape& s, Built& b) {
    const Levels lv{s, b};
    const double n = static_cast<double>(s.n);
    const double steps = kind == CollectiveKind::all_reduce ? 2 * (n - 1) : n - 1;
    std::vector<Transfer> t;
    if (s.p > 1) t.push_back(lv.intra_ring(S / n));
    if (s.m > 1) t.push_back(lv.inter(S / n / static_cast<double>(s.p)));
    Stream st;
    add_phase(st, steps, t);
    b.program.streams.push_back(std::move(st));
    b.steps = steps;
}

double ceil_log2(std::int64_t x) { return x <= 1 ? 0 : std::ceil(std::log2(static_cast<double>(x))); }

// Pipelined tree all-reduce: a reduce up a binary tree of depth d then a broadcast down it, the
// buffer cut into k chunks that follow each other (d + k - 1 steps each of S/k). With NCCL's
// double binary tree each tree carries half the buffer and an inner node receives from two
// children, so a link still carries S/k per step. Across nodes the trees' edges leave a node through
// all its NICs (S/k / p each). k minimises 2(d + k - 1)(latency + S/k / bandwidth).
void build_tree(double S, const Shape& s, Built& b) {
    const Levels lv{s, b};
    const double d = s.m > 1 ? ceil_log2(s.p) + ceil_log2(s.m) : ceil_log2(s.n);
    double latency = 0, s_per_byte = 0;  // of one step, per byte of a chunk
    if (s.p > 1) {
        const Transfer t = lv.intra_port(1);
        latency = std::max(latency, t.latency_s);
        s_per_byte = std::max(s_per_byte, 1 / b.program.channels[t.channel].bytes_per_s);
    }
    if (s.m > 1) {
        const Transfer t = lv.inter(1);
        latency = std::max(latency, t.latency_s);
        s_per_byte = std::max(s_per_byte, 1 / (b.program.channels[t.channel].bytes_per_s * static_cast<double>(s.p)));
    }
    auto time = [&](double k) { return 2 * (d + k - 1) * (latency + S / k * s_per_byte); };
    double k = 1;
    if (d > 1 && S > 0) {
        const double best = latency > 0 ? std::sqrt((d - 1) * S * s_per_byte / latency) : kMaxTreeChunks;
        const double lo = std::clamp(std::floor(best), 1.0, kMaxTreeChunks);
        const double hi = std::clamp(std::ceil(best), 1.0, kMaxTreeChunks);
        k = time(hi) < time(lo) ? hi : lo;
    }
    std::vector<Transfer> t;
    if (s.p > 1) t.push_back(lv.intra_port(S / k));
    if (s.m > 1) t.push_back(lv.inter(S / k / static_cast<double>(s.p)));
    Stream st;
    add_phase(st, d + k - 1, t);  // reduce
    add_phase(st, d + k - 1, t);  // broadcast
    b.program.streams.push_back(std::move(st));
    b.steps = 2 * (d + k - 1);
}

// Hierarchical: inside each node a ring reduce-scatter (p-1 steps of S/p), across nodes a ring
// all-reduce of each device's shard among the devices with its local rank, over its own NIC
// (2(m-1) steps of S/(pm)), inside the node a ring all-gather (p-1 steps of S/p). Reduce-scatter
// and all-gather do their halves of that.
void build_hierarchical(CollectiveKind kind, double S, const Shape& s, Built& b) {
    const Levels lv{s, b};
    const double p = static_cast<double>(s.p), m = static_cast<double>(s.m);
    Stream st;
    if (kind == CollectiveKind::all_reduce) {
        add_phase(st, p - 1, {lv.intra_ring(S / p)});
        add_phase(st, 2 * (m - 1), {lv.inter(S / (p * m))});
        add_phase(st, p - 1, {lv.intra_ring(S / p)});
        b.steps = 2 * (p - 1) + 2 * (m - 1);
    } else if (kind == CollectiveKind::reduce_scatter) {
        add_phase(st, p - 1, {lv.intra_ring(S / p)});
        add_phase(st, m - 1, {lv.inter(S / (p * m))});
        b.steps = (p - 1) + (m - 1);
    } else {  // all_gather
        add_phase(st, m - 1, {lv.inter(S / (p * m))});
        add_phase(st, p - 1, {lv.intra_ring(S / p)});
        b.steps = (p - 1) + (m - 1);
    }
    b.program.streams.push_back(std::move(st));
}

// Torus: a bidirectional ring along each dimension in turn (reduce-scatter over the dimensions,
// then all-gather back). The buffer is split over one stream per dimension, each starting on a
// different dimension, so every port is busy (the TPU scheme of the scaling book).
void build_torus(CollectiveKind kind, double S, const Shape& s, Built& b) {
    const Levels lv{s, b};
    const std::size_t D = s.dims.size();
    double steps = 0;
    for (std::size_t first = 0; first < D; ++first) {
        std::vector<std::size_t> order;
        for (std::size_t i = 0; i < D; ++i) order.push_back((first + i) % D);
        Stream st;
        double cur = S / static_cast<double>(D), stream_steps = 0;
        auto port_step = [&](std::size_t dim, double bytes) {
            Transfer t = lv.intra_port(bytes / 2, static_cast<int>(dim));
            t.ports = 2;
            return t;
        };
        if (kind != CollectiveKind::all_gather)
            for (std::size_t dim : order) {  // reduce-scatter
                const double k = static_cast<double>(s.dims[dim]);
                add_phase(st, k - 1, {port_step(dim, cur / k)});
                cur /= k;
                stream_steps += k - 1;
            }
        if (kind != CollectiveKind::reduce_scatter) {  // all-gather, back through the dimensions
            if (kind == CollectiveKind::all_gather) cur /= static_cast<double>(s.n);  // each device's block
            else std::reverse(order.begin(), order.end());
            for (std::size_t dim : order) {
                const double k = static_cast<double>(s.dims[dim]);
                add_phase(st, k - 1, {port_step(dim, cur)});
                cur *= k;
                stream_steps += k - 1;
            }
        }
        steps = std::max(steps, stream_steps);
        b.program.streams.push_back(std::move(st));
    }
    b.steps = steps;
}

// Sum over ring distances 1..k-1 of a bidirectional ring of k: min(d, k - d).
double ring_distance_sum(std::int64_t k) {
    double sum = 0;
    for (std::int64_t d = 1; d < k; ++d) sum += static_cast<double>(std::min(d, k - d));
    return sum;
}

// Direct all-to-all: each device sends S/n to each peer. Through a fabric, one message after
// another inside the node (p-1 steps) while the others leave through the device's NIC (n-p
// steps). On a ring or torus the messages are routed dimension by dimension: a dimension of size
// k carries (S/n)(p/k) Σ min(d, k-d) / 2 per port, all dimensions at once, and the farthest
// message crosses Σ floor(k/2) hops.
void build_all_to_all(double S, const Shape& s, Built& b) {
    const Levels lv{s, b};
    const double n = static_cast<double>(s.n), p = static_cast<double>(s.p);
    const bool fabric = s.intra->topology == LinkTopology::switched || s.intra->topology == LinkTopology::bus;
    if (s.p > 1) {
        Stream st;
        if (fabric) {
            add_phase(st, p - 1, {lv.intra_port(S / n)});
            b.steps = p - 1;
        } else {
            const std::vector<std::int64_t> dims = s.dims.empty() ? std::vector<std::int64_t>{s.p} : s.dims;
            double hops = 0;
            for (auto k : dims) hops += static_cast<double>(k / 2);
            std::vector<Transfer> t;
            for (std::size_t j = 0; j < dims.size(); ++j) {
                const double k = static_cast<double>(dims[j]);
                Transfer x = lv.intra_port(S / n * (p / k) * ring_distance_sum(dims[j]) / 2, static_cast<int>(j));
                x.latency_s *= hops;
                x.ports = 2;
                t.push_back(x);
            }
            add_phase(st, 1, t);
            b.steps = hops;
        }
        b.program.streams.push_back(std::move(st));
    }
    if (s.m > 1) {
        Stream st;
        add_phase(st, n - p, {lv.inter(S / n)});
        b.program.streams.push_back(std::move(st));
        b.steps = std::max(b.steps, n - p);
    }
}

// Send/recv: one message to one peer, inside the node when there is a peer there (one port of a
// ring or torus: a neighbour), else over the network.
void build_send_recv(double S, const Shape& s, Built& b) {
    const Levels lv{s, b};
    Stream st;
    add_phase(st, 1, {s.p > 1 ? lv.intra_port(S) : lv.inter(S)});
    b.program.streams.push_back(std::move(st));
    b.steps = 1;
}

// Why `a` cannot run `kind` on this group; empty when it can.
std::string not_applicable(CollectiveKind kind, Algorithm a, const Shape& s) {
    const bool p2p = kind == CollectiveKind::all_to_all || kind == CollectiveKind::send_recv;
    const std::string k(to_string(kind));
    switch (a) {
        case Algorithm::automatic: return "";
        case Algorithm::direct: return p2p ? "" : "direct applies to all_to_all and send_recv; " + k + " runs ring, tree, hierarchical or torus";
        case Algorithm::ring:
            return p2p ? k + " runs direct" : "";
        case Algorithm::tree:
            return kind == CollectiveKind::all_reduce ? "" : "tree applies to all_reduce only";
        case Algorithm::hierarchical:
            if (p2p) return k + " runs direct";
            if (s.m < 2) return "hierarchical needs devices in several nodes (devices > devices_per_node)";
            if (s.p < 2) return "hierarchical needs several devices per node";
            return "";
        case Algorithm::torus:
            if (p2p) return k + " runs direct";
            if (!is_torus(s.intra->topology))
                return "torus needs a torus2d or torus3d intra-node link ('" + s.intra->name + "' is a " +
                       std::string(to_string(s.intra->topology)) + ")";
            if (s.m > 1) return "torus needs every device on one torus (devices_per_node = devices)";
            return "";
    }
    return "unknown algorithm";
}

Built build(CollectiveKind kind, double S, const Shape& s, Algorithm a) {
    Built b;
    b.algorithm = std::string(to_string(a));
    switch (a) {
        case Algorithm::ring: build_ring(kind, S, s, b); break;
        case Algorithm::tree: build_tree(S, s, b); break;
        case Algorithm::hierarchical: build_hierarchical(kind, S, s, b); break;
        case Algorithm::torus: build_torus(kind, S, s, b); break;
        case Algorithm::direct:
            if (kind == CollectiveKind::all_to_all) build_all_to_all(S, s, b);
            else build_send_recv(S, s, b);
            break;
        case Algorithm::automatic: break;
    }
    // What the devices put on their links, and its energy.
    for (const auto& st : b.program.streams)
        for (const auto& ph : st.phases)
            for (const auto& t : ph.transfers) {
                const double bytes = ph.steps * t.bytes * t.ports;
                b.bytes_sent_per_device += bytes;
                b.energy_j += bytes * 8 * b.pj_per_bit[t.channel] * 1e-12 * static_cast<double>(s.n);
            }
    return b;
}

std::vector<Algorithm> candidates(CollectiveKind kind, const Shape& s) {
    std::vector<Algorithm> out;
    for (Algorithm a : {Algorithm::ring, Algorithm::tree, Algorithm::hierarchical, Algorithm::torus, Algorithm::direct})
        if (not_applicable(kind, a, s).empty()) out.push_back(a);
    return out;
}

void check_bytes(double bytes) {
    if (!(bytes >= 0) || !std::isfinite(bytes))
        throw UserError("collective size must be a finite number of bytes >= 0, got " + std::to_string(bytes));
}

CollectiveTiming timing_of(const Built& b, double time_s, CollectiveKind kind, double bytes, const Shape& s) {
    CollectiveTiming t;
    t.time_s = time_s;
    t.algorithm = b.algorithm;
    t.bytes_sent_per_device = b.bytes_sent_per_device;
    t.energy_j = b.energy_j;
    t.steps = static_cast<int>(std::lround(b.steps));
    if (time_s > 0) {
        t.algorithm_bandwidth_gb_per_s = bytes / time_s / 1e9;
        t.bus_bandwidth_gb_per_s = t.algorithm_bandwidth_gb_per_s * bus_bandwidth_factor(kind, s.n);
    }
    return t;
}

// The program `a` runs (automatic: the fastest candidate, each timed alone on SystemC).
std::pair<Built, double> choose(CollectiveKind kind, double bytes, const Shape& s, Algorithm a) {
    if (a != Algorithm::automatic) {
        if (auto why = not_applicable(kind, a, s); !why.empty())
            throw UserError("algorithm " + std::string(to_string(a)) + " cannot run " + std::string(to_string(kind)) +
                            ": " + why);
        Built b = build(kind, bytes, s, a);
        const double t = link_detail::run_programs({b.program}).front();
        return {std::move(b), t};
    }
    std::pair<Built, double> best{Built{}, std::numeric_limits<double>::infinity()};
    for (Algorithm c : candidates(kind, s)) {
        Built b = build(kind, bytes, s, c);
        const double t = link_detail::run_programs({b.program}).front();
        if (t < best.second) best = {std::move(b), t};
    }
    return best;
}

void append_group_key(const CollectiveGroup& g, std::string& key) {
    auto num = [&](double v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
    auto link = [&](const LinkSpec& l) {
        key += link_key(l);
        num(l.energy_pj_per_bit);
        key += '|';
    };
    num(static_cast<double>(g.devices));
    num(static_cast<double>(g.devices_per_node));
    link(g.intra);
    if (g.inter) link(*g.inter);
    key += '#';
    for (auto d : g.torus_dims) num(static_cast<double>(d));
}

std::mutex& simulation_mutex() {
    static std::mutex m;  // SystemC's kernel is one per process and not thread-safe
    return m;
}

}  // namespace

std::string_view to_string(CollectiveKind k) {
    for (const auto& [kind, s] : kKinds)
        if (kind == k) return s;
    return "?";
}

std::string_view to_string(Algorithm a) {
    for (const auto& [alg, s] : kAlgorithms)
        if (alg == a) return s;
    return "?";
}

std::optional<CollectiveKind> parse_collective_kind(std::string_view s) {
    std::string name(s);
    std::replace(name.begin(), name.end(), '-', '_');
    for (const auto& [kind, n] : kKinds)
        if (name == n) return kind;
    return std::nullopt;
}

std::optional<Algorithm> parse_algorithm(std::string_view s) {
    if (s == "auto") return Algorithm::automatic;
    for (const auto& [alg, n] : kAlgorithms)
        if (s == n) return alg;
    return std::nullopt;
}

std::vector<std::string> collective_kind_names() {
    std::vector<std::string> out;
    for (const auto& [k, s] : kKinds) out.emplace_back(s);
    return out;
}

std::vector<std::string> algorithm_names() {
    std::vector<std::string> out;
    for (const auto& [a, s] : kAlgorithms) out.emplace_back(s);
    return out;
}

double bus_bandwidth_factor(CollectiveKind kind, std::int64_t devices) {
    const double n = static_cast<double>(std::max<std::int64_t>(devices, 1));
    switch (kind) {
        case CollectiveKind::all_reduce: return 2 * (n - 1) / n;
        case CollectiveKind::all_gather:
        case CollectiveKind::reduce_scatter:
        case CollectiveKind::all_to_all: return (n - 1) / n;
        case CollectiveKind::send_recv: return 1;
    }
    return 1;
}

CollectiveTiming simulate_collective(CollectiveKind kind, double bytes, const CollectiveGroup& g, Algorithm a) {
    check_bytes(bytes);
    const Shape s = resolve(g);
    if (s.n == 1) {
        CollectiveTiming t;
        t.algorithm = "none";  // one device: nothing to exchange
        return t;
    }
    std::string key;
    key.push_back(static_cast<char>(kind));
    key.push_back(static_cast<char>(a));
    key.append(reinterpret_cast<const char*>(&bytes), sizeof bytes);
    append_group_key(g, key);

    std::lock_guard lock(simulation_mutex());
    static std::map<std::string, CollectiveTiming> cache;
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    const auto [built, time] = choose(kind, bytes, s, a);
    const CollectiveTiming t = timing_of(built, time, kind, bytes, s);
    if (cache.size() > 100000) cache.clear();  // bound the memory of a long sweep
    cache.emplace(std::move(key), t);
    return t;
}

std::vector<CollectiveTiming> simulate_concurrent(const std::vector<CollectiveRequest>& requests) {
    std::vector<Shape> shapes;
    std::vector<Algorithm> algorithms;
    for (const auto& r : requests) {
        check_bytes(r.bytes);
        if (!(r.start_s >= 0) || !std::isfinite(r.start_s))
            throw UserError("a collective's start_s must be >= 0, got " + std::to_string(r.start_s));
        shapes.push_back(resolve(r.group));
        // Automatic picks as if the request ran alone (NCCL's tuner knows nothing of other streams).
        const auto alone = simulate_collective(r.kind, r.bytes, r.group, r.algorithm);
        algorithms.push_back(alone.algorithm == "none" ? Algorithm::automatic : *parse_algorithm(alone.algorithm));
    }
    std::vector<Built> built;
    std::vector<Program> programs;
    std::vector<std::size_t> index;  // of each request's program, or npos for one device
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (shapes[i].n == 1) {
            index.push_back(std::string::npos);
            continue;
        }
        // Shapes point into the requests' groups, which outlive this call.
        built.push_back(build(requests[i].kind, requests[i].bytes, shapes[i], algorithms[i]));
        built.back().program.start_s = requests[i].start_s;
        programs.push_back(built.back().program);
        index.push_back(programs.size() - 1);
    }
    std::vector<double> times;
    {
        std::lock_guard lock(simulation_mutex());
        times = programs.empty() ? std::vector<double>{} : link_detail::run_programs(programs);
    }
    std::vector<CollectiveTiming> out;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (index[i] == std::string::npos) {
            CollectiveTiming t;
            t.algorithm = "none";
            out.push_back(t);
            continue;
        }
        out.push_back(timing_of(built[index[i]], times[index[i]], requests[i].kind, requests[i].bytes, shapes[i]));
    }
    return out;
}

}  // namespace fmsim::hwmodels
