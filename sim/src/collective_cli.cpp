#include "collective_cli.hpp"
#include "fmsim/sim/format.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "fmsim/hwmodels/collective.hpp"
#include "fmsim/hwmodels/link.hpp"
#include "fmsim/workloads/errors.hpp"

namespace fmsim::cli {

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string si(double v, const char* unit) {
    char buf[64];
    const char* prefixes[] = {"", "k", "M", "G", "T", "P"};
    int i = 0;
    while (std::fabs(v) >= 1000 && i < 5) v /= 1000, ++i;
    std::snprintf(buf, sizeof buf, "%.4g %s%s", v, prefixes[i], unit);
    return buf;
}

std::string seconds_text(double s) {
    char buf[64];
    if (s == 0) return "0 s";
    if (s < 1e-3) std::snprintf(buf, sizeof buf, "%.4g us", s * 1e6);
    else if (s < 1) std::snprintf(buf, sizeof buf, "%.4g ms", s * 1e3);
    else std::snprintf(buf, sizeof buf, "%.4g s", s);
    return buf;
}

}  // namespace

std::unique_ptr<CollectiveCommands> add_collective_commands(CLI::App& app) {
    auto c = std::make_unique<CollectiveCommands>();
    c->link_ = app.add_subcommand("link", "list the device-to-device link presets (configs/links/)");
    c->link_->require_subcommand(1);
    c->link_list_ = c->link_->add_subcommand("list", "list the presets");

    c->collective_ = app.add_subcommand("collective", "time one collective on a group of devices joined by links");
    c->collective_->add_option("KIND", c->kind_, joined(hwmodels::collective_kind_names()))->required();
    c->collective_->add_option("--bytes", c->bytes_,
                               "full buffer of one device (all-reduce: the gradient; all-gather: the gathered "
                               "output); 1G = 2^30 bytes, as nccl-tests")
        ->required();
    c->collective_->add_option("--devices", c->devices_, "devices in the group")->required()->check(CLI::PositiveNumber);
    c->collective_->add_option("--devices-per-node", c->devices_per_node_,
                               "devices joined by --link in one node (default: all)")
        ->check(CLI::NonNegativeNumber);
    c->collective_->add_option("--link", c->link_name_, "intra-node link preset or JSON file (fmsim link list)")->required();
    c->collective_->add_option("--inter-link", c->inter_link_, "link between nodes (needed when devices span nodes)");
    c->collective_->add_option("--algorithm", c->algorithm_, joined(hwmodels::algorithm_names()))->capture_default_str();
    c->collective_->add_option("--torus-dims", c->torus_dims_, "torus shape of a node, e.g. 16,16 (default: most nearly square)")
        ->delimiter(',');
    c->collective_->add_flag("--json", c->json_, "print one JSON object instead of text");
    return c;
}

bool CollectiveCommands::run() const {
    if (link_list_ && *link_list_) {
        const auto names = hwmodels::link_names();
        std::size_t width = 0;
        for (const auto& n : names) width = std::max(width, n.size());
        for (const auto& name : names) {
            const auto l = hwmodels::load_link(name);
            std::printf("%-*s  %-7s %7.2f GB/s x %.3f  %5.2f us  %s\n", static_cast<int>(width), name.c_str(),
                        std::string(hwmodels::to_string(l.topology)).c_str(), l.bandwidth_gb_per_s, l.efficiency,
                        l.latency_us, l.description.c_str());
        }
        return true;
    }
    if (!collective_ || !*collective_) return false;

    const auto kind = hwmodels::parse_collective_kind(kind_);
    if (!kind)
        throw UserError("unknown collective '" + kind_ + "'; expected one of " + joined(hwmodels::collective_kind_names()));
    const auto algorithm = hwmodels::parse_algorithm(algorithm_);
    if (!algorithm)
        throw UserError("unknown algorithm '" + algorithm_ + "'; expected one of " + joined(hwmodels::algorithm_names()));
    hwmodels::CollectiveGroup g;
    g.devices = devices_;
    g.devices_per_node = devices_per_node_;
    g.intra = hwmodels::load_link(link_name_);
    if (!inter_link_.empty()) g.inter = hwmodels::load_link(inter_link_);
    g.torus_dims = torus_dims_;
    const double bytes = sim::parse_bytes(bytes_, "--bytes");
    const auto t = hwmodels::simulate_collective(*kind, bytes, g, *algorithm);
    const std::int64_t per_node = devices_per_node_ == 0 ? devices_ : std::min(devices_per_node_, devices_);
    const std::int64_t nodes = devices_ / per_node;

    if (json_) {
        nlohmann::ordered_json j;
        j["kind"] = std::string(hwmodels::to_string(*kind));
        j["bytes"] = bytes;
        j["devices"] = devices_;
        j["devices_per_node"] = per_node;
        j["nodes"] = nodes;
        j["link"] = g.intra.name;
        j["inter_link"] = g.inter ? nlohmann::ordered_json(g.inter->name) : nlohmann::ordered_json(nullptr);
        j["algorithm"] = t.algorithm;
        j["time_s"] = t.time_s;
        j["steps"] = t.steps;
        j["algorithm_bandwidth_gb_per_s"] = t.algorithm_bandwidth_gb_per_s;
        j["bus_bandwidth_gb_per_s"] = t.bus_bandwidth_gb_per_s;
        j["bus_bandwidth_factor"] = hwmodels::bus_bandwidth_factor(*kind, devices_);
        j["bytes_sent_per_device"] = t.bytes_sent_per_device;
        j["energy_j"] = t.energy_j;
        std::cout << j.dump(2) << "\n";
        return true;
    }
    std::printf("%s of %s on %lld devices (%lld node%s of %lld), link %s%s\n", std::string(hwmodels::to_string(*kind)).c_str(),
                si(bytes, "B").c_str(), static_cast<long long>(devices_), static_cast<long long>(nodes),
                nodes == 1 ? "" : "s", static_cast<long long>(per_node), g.intra.name.c_str(),
                g.inter && nodes > 1 ? (", between nodes " + g.inter->name).c_str() : "");
    std::printf("  algorithm         %s (%d steps)\n", t.algorithm.c_str(), t.steps);
    std::printf("  time              %s\n", seconds_text(t.time_s).c_str());
    std::printf("  algorithm bw      %s (bytes / time)\n", si(t.algorithm_bandwidth_gb_per_s * 1e9, "B/s").c_str());
    std::printf("  bus bw            %s (x %.4g, nccl-tests' busbw)\n", si(t.bus_bandwidth_gb_per_s * 1e9, "B/s").c_str(),
                hwmodels::bus_bandwidth_factor(*kind, devices_));
    std::printf("  sent per device   %s\n", si(t.bytes_sent_per_device, "B").c_str());
    std::printf("  link energy       %s (all devices)\n", si(t.energy_j, "J").c_str());
    return true;
}

}  // namespace fmsim::cli
