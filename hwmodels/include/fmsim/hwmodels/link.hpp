#pragma once
// Device-to-device links as data: configs/links/NAME.json, parsed once into this immutable
// LinkSpec (NVLink/NVSwitch, PCIe, InfiniBand, RoCE, TPU ICI, xGMI, Ethernet). Collectives are
// timed on SystemC models built from it (collective.hpp; docs/hardware-model.md, "Links and
// collectives"). No SystemC here.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fmsim/workloads/model.hpp"

namespace fmsim::hwmodels {

// How the devices on a link reach each other.
enum class LinkTopology {
    switched,  // "switch": every device has one connection to a full-bisection fabric (NVSwitch, IB fat tree)
    ring,      // "ring": each device has two neighbours (one port each way)
    torus2d,   // "torus2d": four neighbours, wraparound in both dimensions (TPU v5e)
    torus3d,   // "torus3d": six neighbours (TPU v4, v5p)
    bus,       // "bus": PCIe through the host (each device's own lane set, no peer fabric)
};
std::string_view to_string(LinkTopology t);  // the JSON spelling: "switch", "ring", ...

struct LinkSpec {
    std::string name;  // preset name (file stem)
    std::string description;
    std::map<std::string, std::string> sources;  // field -> where its value comes from
    double bandwidth_gb_per_s = 0;     // per device, per direction, all its ports together, GB/s (1e9 B/s)
    double latency_us = 0;         // one message over one hop
    double energy_pj_per_bit = 0;  // per bit sent over one hop
    double efficiency = 0;         // achieved fraction of bandwidth_gb_per_s on large transfers, in (0, 1]
    LinkTopology topology = LinkTopology::switched;

    // Ports per device: 1 for a switch or bus (the device's connection to the fabric), 2 for a
    // ring, 4 for a 2D torus, 6 for a 3D torus. bandwidth_gb_per_s is spread evenly over them.
    int ports() const;
    // bandwidth_gb_per_s × efficiency, in bytes/s: what large transfers get, all ports together.
    double effective_bandwidth_bytes_per_s() const { return bandwidth_gb_per_s * 1e9 * efficiency; }
    // ... on one port, one direction.
    double effective_port_bandwidth_bytes_per_s() const { return effective_bandwidth_bytes_per_s() / ports(); }
    double latency_s() const { return latency_us * 1e-6; }

    bool operator==(const LinkSpec&) const = default;
};

// Preset names: stems of configs/links/*.json, sorted.
std::vector<std::string> link_names();
// A preset name or a path to a link JSON file. Unknown names suggest the nearest; a bad file
// throws ConfigError naming the file and JSON path.
LinkSpec load_link(const std::string& name_or_path);
// The declarations of the link keys, for docs/config-reference.md ("# Links").
std::vector<workloads::SchemaDoc> link_schema_docs();

}  // namespace fmsim::hwmodels
