#include "fmsim/hwmodels/link.hpp"

#include <array>
#include <filesystem>
#include <utility>

#include "fmsim/hwmodels/hardware_json.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::hwmodels {

using workloads::ConfigContext;
using workloads::json;
using workloads::Schema;

namespace {

constexpr std::array<std::pair<LinkTopology, const char*>, 5> kTopologies{{
    {LinkTopology::switched, "switch"},
    {LinkTopology::ring, "ring"},
    {LinkTopology::torus2d, "torus2d"},
    {LinkTopology::torus3d, "torus3d"},
    {LinkTopology::bus, "bus"},
}};

std::vector<std::string> topology_names() {
    std::vector<std::string> out;
    for (const auto& [t, s] : kTopologies) out.emplace_back(s);
    return out;
}

const Schema<LinkSpec>& link_schema() {
    static const auto s = [] {
        Schema<LinkSpec> s("link", "A device-to-device link (configs/links/NAME.json): NVLink/NVSwitch, PCIe, "
                                   "InfiniBand, RoCE, TPU ICI, xGMI, Ethernet. Every value carries its source in "
                                   "`sources` (\"unconfirmed\" where none was found). How collectives use it: "
                                   "docs/hardware-model.md, \"Links and collectives\".");
        const std::optional<std::string> required;  // (a named nullopt: GCC 12 warns on a temporary one here)
        s.string("description", &LinkSpec::description, required, "One line: what the link is.")
            .sources("sources", &LinkSpec::sources, "Where each value comes from.")
            .number("bandwidth_gb_per_s", &LinkSpec::bandwidth_gb_per_s, std::nullopt, "GB/s",
                    "Peak bandwidth of one device, one direction, all its ports on this link together (the "
                    "vendor's unidirectional figure; half of a bidirectional one). 1 GB = 1e9 bytes.")
            .renamed("bandwidth_gbps", "bandwidth_gb_per_s", kBandwidthRenamed)
            .number("latency_us", &LinkSpec::latency_us, std::nullopt, "us",
                    "Latency of one message over one hop, paid by every step of a collective.")
            .number("energy_pj_per_bit", &LinkSpec::energy_pj_per_bit, std::nullopt, "pJ/bit",
                    "Energy of one bit sent over one hop (both ends, the wire, any switch).")
            .fraction("efficiency", &LinkSpec::efficiency, 0.80,
                    "Fraction of bandwidth_gb_per_s that large transfers reach (protocol and flow-control overhead). "
                    "Default 0.80: NCCL all-reduce on A100 NVLink reaches 80% of the line rate (nccl-tests "
                    "~235 of 300 GB/s, hardware sheet section 8), and NCCL's maintainers put its protocol "
                    "overhead at ~20% (NVIDIA/nccl-tests#212).")
            .custom("topology", "one of " + workloads::schema_detail::list_text(topology_names()), "",
                    "How devices reach each other: switch = full bisection through a switch (NVSwitch, IB fat "
                    "tree); ring = two neighbours; torus2d/torus3d = wraparound torus (TPU ICI), bandwidth split "
                    "over 4/6 ports; bus = PCIe through the host.",
                    [](LinkSpec& l, const json& j, const ConfigContext& at) {
                        const auto name = workloads::schema_detail::read_choice(j, at, topology_names());
                        for (const auto& [t, s] : kTopologies)
                            if (name == s) l.topology = t;
                    },
                    nullptr);
        return s;
    }();
    return s;
}

std::filesystem::path link_dir() { return workloads::config_dir() / "links"; }

}  // namespace

std::string_view to_string(LinkTopology t) {
    for (const auto& [topology, s] : kTopologies)
        if (topology == t) return s;
    return "?";
}

int LinkSpec::ports() const {
    switch (topology) {
        case LinkTopology::ring: return 2;
        case LinkTopology::torus2d: return 4;
        case LinkTopology::torus3d: return 6;
        case LinkTopology::switched:
        case LinkTopology::bus: return 1;
    }
    return 1;
}

std::vector<std::string> link_names() { return workloads::json_file_stems(link_dir()); }

LinkSpec load_link(const std::string& name_or_path) {
    const auto path = workloads::preset_path(name_or_path, link_dir(), "link", "presets");
    const json j = workloads::read_json_file(path);
    const ConfigContext ctx{path.string(), ""};
    LinkSpec l = link_schema().parse(j, ctx);
    l.name = path.stem().string();
    if (l.bandwidth_gb_per_s <= 0)
        ctx.at("bandwidth_gb_per_s").fail("expected a bandwidth > 0, got " + std::to_string(l.bandwidth_gb_per_s));
    for (const char* key : {"bandwidth_gb_per_s", "latency_us", "energy_pj_per_bit", "efficiency", "topology"})
        if (j.contains(key) && !l.sources.count(key))
            ctx.at("sources").fail(std::string("expected a source for '") + key +
                                   "' (write \"unconfirmed\" where none was found)");
    return l;
}

std::vector<workloads::SchemaDoc> link_schema_docs() { return {link_schema().doc()}; }

}  // namespace fmsim::hwmodels
