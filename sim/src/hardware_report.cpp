#include "fmsim/sim/hardware_report.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace fmsim::sim {

using hwmodels::HardwareSpec;
using workloads::DType;

namespace {
// Dtypes listed in peak tables, in display order.
constexpr DType kShown[] = {DType::fp32, DType::tf32, DType::bf16, DType::fp16, DType::fp8, DType::int8, DType::int4};

bool is_integer(DType t) { return t == DType::int8 || t == DType::int4; }

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}
}  // namespace

std::string hardware_text(const HardwareSpec& h) {
    std::ostringstream os;
    os << h.name << ": " << h.description << "\n\n";
    auto line = [&](const char* label, const std::string& value) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "  %-16s", label);
        os << buf << value << "\n";
    };
    line("kind", std::string(to_string(h.kind)));
    line("clock", fixed(h.clock.sustained_mhz, 0) + " MHz sustained (boost " + fixed(h.clock.boost_mhz, 0) + " MHz)");
    std::string shape;
    for (auto d : h.matrix.shape) {
        if (!shape.empty()) shape += 'x';
        shape += std::to_string(d);
    }
    line("cores", std::to_string(h.cores) + " x " + std::to_string(h.matrix.units_per_core) + " " +
                      std::string(to_string(h.matrix.kind)) + " (" + shape + "), " +
                      std::to_string(h.vector.lanes_per_core) + " vector lanes");
    std::string matrix, vector, ridge;
    for (DType t : kShown) {
        if (double p = h.peak_matrix_flops(t); p > 0) {
            matrix += (matrix.empty() ? "" : ", ") + std::string(workloads::to_string(t)) + " " + fixed(p / 1e12, 1) +
                      (is_integer(t) ? " TOP/s" : " TFLOP/s");
            ridge += (ridge.empty() ? "" : ", ") + std::string(workloads::to_string(t)) + " " +
                     fixed(h.ridge_point_flops_per_byte(t), 0);
        }
        if (double p = h.peak_vector_flops(t); p > 0)
            vector += (vector.empty() ? "" : ", ") + std::string(workloads::to_string(t)) + " " + fixed(p / 1e12, 1);
    }
    line("matrix peak", matrix + " (dense" + (h.matrix.sparsity_2_4 ? "; 2:4 sparsity doubles it)" : ")"));
    line("vector peak", vector + " TFLOP/s");
    line("ridge point", ridge + " FLOP/byte (matrix peak / memory bandwidth)");
    const std::string allocatable =
        h.memory.allocatable_fraction < 1 ? " (" + fixed(h.memory.allocatable_bytes() / 1e9, 0) + " GB allocatable)" : "";
    line("memory", fixed(h.memory.capacity_gb, 0) + " GB " + h.memory.type + allocatable + ", " + fixed(h.memory.bandwidth_gb_per_s, 0) +
                       " GB/s (" + fixed(h.achievable_memory_bandwidth_bytes_per_s() / 1e9, 0) + " streaming) over " +
                       std::to_string(h.memory.channels) + " channels, " +
                       fixed(h.memory.latency_ns, 0) + " ns, " + fixed(h.memory.energy_pj_per_bit, 2) + " pJ/bit");
    for (const auto& l : h.on_chip)
        line(("on-chip " + l.name).c_str(),
             fixed(l.capacity_kib, 0) + " KiB " + (l.per_core ? "per core" : "per chip") + ", " +
                 fixed(l.bandwidth_gb_per_s, 0) + " GB/s, " + fixed(l.latency_ns, 0) + " ns");
    line("host link", h.host_link.type + ", " + fixed(h.host_link.bandwidth_gb_per_s, 0) + " GB/s per direction");
    line("power", "idle " + fixed(h.power.idle_w, 0) + " W, TDP " + fixed(h.power.tdp_w, 0) + " W");
    {
        // What each counted action costs (docs/hardware-model.md, "Energy").
        std::string mac;
        for (DType t : kShown)
            if (h.peak_matrix_flops(t) > 0 && h.energy.mac_pj.count(t))
                mac += (mac.empty() ? "" : ", ") + std::string(workloads::to_string(t)) + " " +
                       fixed(h.energy.mac_pj.at(t), 3);
        std::string levels;
        for (const auto& l : h.on_chip) levels += ", " + l.name + " " + fixed(l.energy_pj_per_byte, 2);
        line("energy", h.energy.basis + ": MAC " + mac + " pJ; DRAM " + fixed(h.energy.dram_pj_per_byte, 1) + levels +
                           " pJ/B; static " + fixed(h.energy.static_w, 1) + " W");
    }
    line("kernel launch", fixed(h.kernel_launch_overhead_us, 1) + " us");
    if (h.area_mm2) line("area", fixed(*h.area_mm2, 0) + " mm^2");
    return os.str();
}

std::string hardware_json(const HardwareSpec& h) {
    nlohmann::ordered_json peaks = nlohmann::ordered_json::object(), vec = nlohmann::ordered_json::object(),
                           ridge = nlohmann::ordered_json::object();
    for (DType t : kShown) {
        const std::string n(workloads::to_string(t));
        if (double p = h.peak_matrix_flops(t); p > 0) {
            peaks[n] = p;
            ridge[n] = h.ridge_point_flops_per_byte(t);
        }
        if (double p = h.peak_vector_flops(t); p > 0) vec[n] = p;
    }
    nlohmann::ordered_json mac = nlohmann::ordered_json::object();
    for (const auto& [d, pj] : h.energy.mac_pj) mac[std::string(workloads::to_string(d))] = pj;
    nlohmann::ordered_json j{{"name", h.name},
                             {"description", h.description},
                             {"kind", to_string(h.kind)},
                             {"sustained_clock_mhz", h.clock.sustained_mhz},
                             {"cores", h.cores},
                             {"peak_matrix_flops_per_s", peaks},
                             {"peak_vector_flops_per_s", vec},
                             {"ridge_point_flops_per_byte", ridge},
                             {"memory_capacity_bytes", h.memory.capacity_gb * 1e9},
                             {"memory_allocatable_bytes", h.memory.allocatable_bytes()},
                             {"memory_bandwidth_bytes_per_s", h.memory_bandwidth_bytes_per_s()},
                             {"memory_streaming_bandwidth_bytes_per_s", h.achievable_memory_bandwidth_bytes_per_s()},
                             {"tdp_w", h.power.tdp_w},
                             {"tech", h.tech},
                             {"energy",
                              {{"mac_pj", mac},
                               {"dram_pj_per_byte", h.energy.dram_pj_per_byte},
                               {"chip_sram_pj_per_byte", h.energy.chip_sram_pj_per_byte},
                               {"core_sram_pj_per_byte", h.energy.core_sram_pj_per_byte},
                               {"static_w", h.energy.static_w}}},
                             {"sources", h.sources}};
    return j.dump(2);
}

std::string kernel_text(const hwmodels::KernelTiming& t, const std::optional<IsolatedCall>& call) {
    std::ostringstream os;
    os << "  time            " << fixed(t.time_s * 1e6, 2) << " us (" << t.bound << " bound; launch "
       << fixed(t.launch_s * 1e6, 1) << " us)\n"
       << "  mapping         " << t.plan.mapping << "\n"
       << "  FLOPs           " << fixed(t.plan.flops / 1e9, 3) << " GFLOP -> " << fixed(t.plan.flops / t.time_s / 1e12, 1)
       << " TFLOP/s\n"
       << "  bytes           " << fixed(t.plan.bytes / 1e6, 3) << " MB -> " << fixed(t.plan.bytes / t.time_s / 1e9, 1)
       << " GB/s\n"
       << "  bounds          compute " << fixed(t.compute_bound_s * 1e6, 2) << " us, memory "
       << fixed(t.memory_bound_s * 1e6, 2) << " us\n";
    const auto& e = t.energy;
    os << "  energy          " << fixed(e.total_j() * 1e3, 3) << " mJ -> " << fixed(e.total_j() / t.time_s, 1)
       << " W average (matrix " << fixed(e.matrix_j * 1e3, 3) << ", vector " << fixed(e.vector_j * 1e3, 3)
       << ", DRAM " << fixed(e.dram_j * 1e3, 3) << ", chip SRAM " << fixed(e.chip_sram_j * 1e3, 3) << ", core SRAM "
       << fixed(e.core_sram_j * 1e3, 3) << ", static " << fixed(e.static_j * 1e3, 3) << " mJ)\n";
    if (call)
        os << "  call            " << fixed(call->call_s * 1e6, 2) << " us timed around one synchronous call under "
           << call->runtime << " (host dispatch + kernel + wake-up)\n";
    return os.str();
}

std::string kernel_json(const hwmodels::KernelTiming& t, const std::optional<IsolatedCall>& call) {
    const nlohmann::ordered_json j{{"time_s", t.time_s},
                                   {"launch_s", t.launch_s},
                                   {"flops", t.plan.flops},
                                   {"bytes", t.plan.bytes},
                                   {"tflops", t.plan.flops / t.time_s / 1e12},
                                   {"bandwidth_gb_per_s", t.plan.bytes / t.time_s / 1e9},
                                   {"bound", t.bound},
                                   {"mapping", t.plan.mapping},
                                   {"compute_bound_s", t.compute_bound_s},
                                   {"memory_bound_s", t.memory_bound_s},
                                   {"energy_j", t.energy.total_j()},
                                   {"average_power_w", t.energy.total_j() / t.time_s},
                                   {"energy_breakdown_j",
                                    {{"matrix", t.energy.matrix_j},
                                     {"vector", t.energy.vector_j},
                                     {"dram", t.energy.dram_j},
                                     {"chip_sram", t.energy.chip_sram_j},
                                     {"core_sram", t.energy.core_sram_j},
                                     {"static", t.energy.static_j}}},
                                   {"runtime", call ? nlohmann::ordered_json(call->runtime) : nlohmann::ordered_json(nullptr)},
                                   {"call_s", call ? nlohmann::ordered_json(call->call_s) : nlohmann::ordered_json(nullptr)}};
    return j.dump(2);
}

}  // namespace fmsim::sim
