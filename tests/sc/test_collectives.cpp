// Collectives on the SystemC link model: closed forms, algorithm choice, contention and overlap,
// symmetric groups simulated once. One process per test (ctest runs discovered tests that way).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "fmsim/hwmodels/collective.hpp"
#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/workloads/errors.hpp"

using namespace fmsim::hwmodels;

namespace {

const LinkSpec& link(const std::string& name) {
    static std::map<std::string, LinkSpec> loaded;
    auto it = loaded.find(name);
    if (it == loaded.end()) it = loaded.emplace(name, load_link(name)).first;
    return it->second;
}

CollectiveGroup node(std::int64_t devices, const std::string& intra = "nvlink4") {
    CollectiveGroup g;
    g.devices = devices;
    g.intra = link(intra);
    return g;
}

CollectiveGroup nodes(std::int64_t devices, std::int64_t per_node, const std::string& intra = "nvlink4",
                      const std::string& inter = "ib-ndr") {
    CollectiveGroup g = node(devices, intra);
    g.devices_per_node = per_node;
    g.inter = link(inter);
    return g;
}

double bw(const std::string& name) { return link(name).effective_bandwidth_bytes_per_s(); }
double lat(const std::string& name) { return link(name).latency_s(); }

constexpr double GiB = 1073741824.0;

}  // namespace

TEST(Collectives, RingAllReduceIsTheClosedForm) {
    // 2(n-1) steps of (latency + S/n / effective bandwidth), within 1%, large and small.
    for (std::int64_t n : {2, 8, 64})
        for (double S : {1.0 * GiB, 64e3}) {
            const auto t = simulate_collective(CollectiveKind::all_reduce, S, node(n, "nvlink3"), Algorithm::ring);
            const double expected = 2.0 * (n - 1) * (lat("nvlink3") + S / n / bw("nvlink3"));
            EXPECT_NEAR(t.time_s, expected, 0.01 * expected) << n << " devices, " << S << " bytes";
            EXPECT_EQ(t.algorithm, "ring");
            EXPECT_EQ(t.steps, 2 * (n - 1));
            EXPECT_NEAR(t.bytes_sent_per_device, 2.0 * (n - 1) / n * S, 1e-6 * S);
            // Link energy: every device sends 2(n-1)/n S at the link's pJ/bit.
            EXPECT_NEAR(t.energy_j, n * t.bytes_sent_per_device * 8 * link("nvlink3").energy_pj_per_bit * 1e-12,
                        1e-9 * t.energy_j);
            EXPECT_NEAR(t.bus_bandwidth_gb_per_s, S / t.time_s * 2.0 * (n - 1) / n / 1e9, 1e-9 * t.bus_bandwidth_gb_per_s);
        }
}

TEST(Collectives, RingAllGatherAndReduceScatterAreTheClosedForm) {
    const std::int64_t n = 8;
    const double S = 256e6;
    for (auto kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter}) {
        const auto t = simulate_collective(kind, S, node(n), Algorithm::ring);
        const double expected = (n - 1) * (lat("nvlink4") + S / n / bw("nvlink4"));
        EXPECT_NEAR(t.time_s, expected, 0.01 * expected) << to_string(kind);
    }
}

TEST(Collectives, DirectAllToAllAndSendRecvAreTheClosedForm) {
    const std::int64_t n = 8;
    const double S = 128e6;
    const auto a2a = simulate_collective(CollectiveKind::all_to_all, S, node(n), Algorithm::automatic);
    EXPECT_EQ(a2a.algorithm, "direct");
    const double expected = (n - 1) * (lat("nvlink4") + S / n / bw("nvlink4"));
    EXPECT_NEAR(a2a.time_s, expected, 0.01 * expected);
    // A pipeline stage's activations to the next: inside the node over NVLink, across nodes over IB.
    const auto p2p = simulate_collective(CollectiveKind::send_recv, S, node(2));
    EXPECT_NEAR(p2p.time_s, lat("nvlink4") + S / bw("nvlink4"), 0.01 * p2p.time_s);
    const auto across = simulate_collective(CollectiveKind::send_recv, S, nodes(2, 1));
    EXPECT_NEAR(across.time_s, lat("ib-ndr") + S / bw("ib-ndr"), 0.01 * across.time_s);
}

TEST(Collectives, HierarchicalIsItsClosedFormAndSlowerAcrossTwoNodes) {
    const double S = 1.0 * GiB;
    const std::int64_t p = 8, m = 2;
    const auto two = simulate_collective(CollectiveKind::all_reduce, S, nodes(p * m, p), Algorithm::hierarchical);
    const double expected = 2 * (p - 1) * (lat("nvlink4") + S / p / bw("nvlink4")) +
                            2 * (m - 1) * (lat("ib-ndr") + S / (p * m) / bw("ib-ndr"));
    EXPECT_NEAR(two.time_s, expected, 0.01 * expected);
    EXPECT_EQ(two.steps, 2 * (p - 1) + 2 * (m - 1));
    // The same 16 devices all on one NVLink fabric (an NVL domain) finish sooner.
    const auto one = simulate_collective(CollectiveKind::all_reduce, S, node(p * m), Algorithm::automatic);
    EXPECT_GT(two.time_s, one.time_s);
    // On two nodes a flat ring overlaps its NVLink and network traffic (a node's rings leave through
    // all 8 NICs) and wins; on 2,048 nodes its 2(n-1) network latencies lose to the 2(p-1) + 2(m-1)
    // steps of the hierarchical algorithm.
    EXPECT_LT(simulate_collective(CollectiveKind::all_reduce, S, nodes(p * m, p), Algorithm::ring).time_s, two.time_s);
    EXPECT_GT(simulate_collective(CollectiveKind::all_reduce, S, nodes(16384, p), Algorithm::ring).time_s,
              simulate_collective(CollectiveKind::all_reduce, S, nodes(16384, p), Algorithm::hierarchical).time_s);
}

TEST(Collectives, AutomaticPicksTheFastestApplicable) {
    struct Case {
        CollectiveKind kind;
        double bytes;
        CollectiveGroup group;
    };
    const std::vector<Case> cases{
        {CollectiveKind::all_reduce, 1.0 * GiB, node(8)},
        {CollectiveKind::all_reduce, 8e3, node(8)},
        {CollectiveKind::all_reduce, 8e3, nodes(1024, 8)},
        {CollectiveKind::all_reduce, 1.0 * GiB, nodes(1024, 8)},
        {CollectiveKind::all_gather, 256e6, nodes(64, 8)},
        {CollectiveKind::reduce_scatter, 256e6, node(64, "tpu-ici-v4")},
    };
    for (const auto& c : cases) {
        const auto best = simulate_collective(c.kind, c.bytes, c.group);
        for (auto a : {Algorithm::ring, Algorithm::tree, Algorithm::hierarchical, Algorithm::torus}) {
            try {
                const auto t = simulate_collective(c.kind, c.bytes, c.group, a);
                EXPECT_LE(best.time_s, t.time_s) << to_string(c.kind) << " " << c.bytes << ": automatic chose "
                                                 << best.algorithm << " over " << to_string(a);
            } catch (const fmsim::UserError&) {  // not applicable to this kind or group
            }
        }
    }
    // Small messages at scale: latency decides, log2 n tree steps beat 2(n-1) ring steps. Large
    // messages in one node: bandwidth decides, and the ring sends least.
    EXPECT_EQ(simulate_collective(CollectiveKind::all_reduce, 8e3, nodes(1024, 8)).algorithm, "tree");
    EXPECT_EQ(simulate_collective(CollectiveKind::all_reduce, 1.0 * GiB, node(8)).algorithm, "ring");
    EXPECT_EQ(simulate_collective(CollectiveKind::all_reduce, 1.0 * GiB, node(64, "tpu-ici-v4")).algorithm, "torus");
}

TEST(Collectives, TorusAllReduceRunsARingPerDimension) {
    // 4x4x4 TPU v4 cube: three streams of S/3, each reduce-scattering over the dimensions in a
    // rotated order and all-gathering back, a bidirectional ring (half each way) per dimension.
    const double S = 1.0 * GiB;
    CollectiveGroup g = node(64, "tpu-ici-v4");
    g.torus_dims = {4, 4, 4};
    const auto t = simulate_collective(CollectiveKind::all_reduce, S, g, Algorithm::torus);
    const double port = link("tpu-ici-v4").effective_port_bandwidth_bytes_per_s(), L = lat("tpu-ici-v4");
    double expected = 0, cur = S / 3;
    for (int d = 0; d < 3; ++d) expected += 3 * (L + cur / 4 / 2 / port), cur /= 4;
    for (int d = 0; d < 3; ++d) expected += 3 * (L + cur / 2 / port), cur *= 4;
    EXPECT_NEAR(t.time_s, expected, 0.01 * expected);
    EXPECT_EQ(t.steps, 18);
    // The whole torus beats a ring embedded in it (two of its six ports).
    EXPECT_LT(t.time_s, simulate_collective(CollectiveKind::all_reduce, S, g, Algorithm::ring).time_s);
    // The default shape of 64 on a 3D torus is 4x4x4.
    EXPECT_DOUBLE_EQ(simulate_collective(CollectiveKind::all_reduce, S, node(64, "tpu-ici-v4"), Algorithm::torus).time_s,
                     t.time_s);
}

TEST(Collectives, TwoCollectivesOnOneLinkTakeTwiceAsLong) {
    // Issued together on the same link, two all-reduces share its bandwidth.
    const double S = 1.0 * GiB;
    const auto alone = simulate_collective(CollectiveKind::all_reduce, S, node(8), Algorithm::ring);
    CollectiveRequest r;
    r.kind = CollectiveKind::all_reduce;
    r.bytes = S;
    r.group = node(8);
    r.algorithm = Algorithm::ring;
    const auto both = simulate_concurrent({r, r});
    ASSERT_EQ(both.size(), 2u);
    for (const auto& t : both) {
        EXPECT_GT(t.time_s, 1.8 * alone.time_s);
        EXPECT_LT(t.time_s, 2.05 * alone.time_s);
    }
    // Issued after the first has finished, the second runs as if alone.
    r.start_s = 1.5 * alone.time_s;
    const auto staggered = simulate_concurrent({CollectiveRequest{r.kind, S, node(8), Algorithm::ring, 0}, r});
    EXPECT_NEAR(staggered[0].time_s, alone.time_s, 1e-9);
    EXPECT_NEAR(staggered[1].time_s, alone.time_s, 1e-9);
}

TEST(Collectives, TwoStreamsSharingBandwidthTakeLongerThanOne) {
    const double S = 512e6;
    CollectiveRequest grads{CollectiveKind::all_reduce, S, nodes(16, 8), Algorithm::ring, 0};
    CollectiveRequest acts{CollectiveKind::send_recv, S, node(2), Algorithm::automatic, 0};
    const auto grads_alone = simulate_collective(grads.kind, grads.bytes, grads.group, grads.algorithm);
    const auto acts_alone = simulate_collective(acts.kind, acts.bytes, acts.group, acts.algorithm);
    // The send over NVLink and the all-reduce's NVLink steps share the port.
    const auto shared = simulate_concurrent({grads, acts});
    EXPECT_GT(shared[0].time_s, grads_alone.time_s * 1.001);
    EXPECT_GT(shared[1].time_s, acts_alone.time_s * 1.05);
    // A send across nodes over InfiniBand while an all-reduce stays on NVLink: no shared port.
    CollectiveRequest intra_only{CollectiveKind::all_reduce, S, node(8), Algorithm::ring, 0};
    CollectiveRequest across{CollectiveKind::send_recv, S, nodes(2, 1), Algorithm::automatic, 0};
    const auto separate = simulate_concurrent({intra_only, across});
    EXPECT_NEAR(separate[0].time_s,
                simulate_collective(intra_only.kind, S, intra_only.group, Algorithm::ring).time_s, 1e-9);
    EXPECT_NEAR(separate[1].time_s, simulate_collective(across.kind, S, across.group).time_s, 1e-9);
}

TEST(Collectives, SymmetricGroupsAreSimulatedOnce) {
    // 16,384 devices (2,048 nodes of 8): one port per level is simulated, so this is as quick as 16
    // devices; the result, not the wall time, is asserted (speed: bench/).
    const std::int64_t n = 16384, p = 8;
    const double S = 1.0 * GiB;
    const auto ring = simulate_collective(CollectiveKind::all_reduce, S, nodes(n, p), Algorithm::ring);
    // Every ring step crosses NVLink (S/n) and the network (S/n spread over a node's p NICs).
    const double step = std::max(lat("nvlink4") + S / n / bw("nvlink4"), lat("ib-ndr") + S / n / p / bw("ib-ndr"));
    EXPECT_NEAR(ring.time_s, 2.0 * (n - 1) * step, 0.01 * 2.0 * (n - 1) * step);
    EXPECT_EQ(ring.steps, 2 * (n - 1));
    const auto best = simulate_collective(CollectiveKind::all_reduce, S, nodes(n, p));
    EXPECT_TRUE(std::isfinite(best.time_s));
    EXPECT_GT(best.time_s, 0);
    EXPECT_LE(best.time_s, ring.time_s);
    EXPECT_NE(best.algorithm, "ring");  // 32,766 latency-bound steps lose at this scale
    // Asked again, the answer comes from the cache and is identical.
    const auto again = simulate_collective(CollectiveKind::all_reduce, S, nodes(n, p));
    EXPECT_EQ(again.time_s, best.time_s);
    EXPECT_EQ(again.algorithm, best.algorithm);
}

TEST(Collectives, BadRequestsAreUserErrors) {
    auto fails = [](const std::function<void()>& f, const std::string& part) {
        try {
            f();
            ADD_FAILURE() << "no error, expected: " << part;
        } catch (const fmsim::UserError& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    fails([] { simulate_collective(CollectiveKind::all_gather, 1e6, node(8), Algorithm::tree); },
          "tree applies to all_reduce only");
    fails([] { simulate_collective(CollectiveKind::all_reduce, 1e6, node(8), Algorithm::hierarchical); },
          "hierarchical needs devices in several nodes");
    fails([] { simulate_collective(CollectiveKind::all_reduce, 1e6, node(8), Algorithm::torus); },
          "torus needs a torus2d or torus3d");
    fails([] { simulate_collective(CollectiveKind::send_recv, 1e6, node(2), Algorithm::ring); }, "send_recv runs direct");
    fails([] {
        CollectiveGroup g = node(16);
        g.devices_per_node = 8;
        simulate_collective(CollectiveKind::all_reduce, 1e6, g);
    }, "give an inter-node link");
    fails([] { simulate_collective(CollectiveKind::all_reduce, 1e6, nodes(12, 8)); }, "do not fill nodes of 8");
    fails([] {
        CollectiveGroup g = node(64, "tpu-ici-v4");
        g.torus_dims = {8, 8};
        simulate_collective(CollectiveKind::all_reduce, 1e6, g);
    }, "must be 3 sizes");
    fails([] { simulate_collective(CollectiveKind::all_reduce, -1, node(8)); }, "bytes >= 0");
    // One device: nothing to exchange.
    const auto one = simulate_collective(CollectiveKind::all_reduce, 1e6, node(1));
    EXPECT_EQ(one.time_s, 0);
    EXPECT_EQ(one.algorithm, "none");
}

TEST(Collectives, KernelsStillRunAfterCollectives) {
    // The link model may run first in a process; the device model (whose memory channels are
    // SystemC modules, which must exist before the first sc_start) must still work after it.
    simulate_collective(CollectiveKind::all_reduce, 1e6, node(8));
    TileProgram p;
    p.mapping = "test";
    p.engine = EngineKind::vector;
    p.tiles = 1000;
    p.dram_bytes_per_tile = 1e6;
    const auto hw = load_hardware("a100-sxm-80gb");
    const auto t = simulate_kernel(p, hw);
    EXPECT_GT(t.time_s - t.launch_s, 1e9 / hw.achievable_memory_bandwidth_bytes_per_s() * 0.99);
    // And collectives after kernels.
    EXPECT_GT(simulate_collective(CollectiveKind::all_reduce, 2e6, node(8)).time_s, 0);
}
