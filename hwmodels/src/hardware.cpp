#include "fmsim/hwmodels/hardware.hpp"

#include <algorithm>
#include <fstream>

#include "fmsim/hwmodels/energy.hpp"
#include "fmsim/hwmodels/hardware_json.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::hwmodels {

using workloads::ConfigContext;
using workloads::json;
using workloads::Schema;
using workloads::SchemaDoc;

std::string_view to_string(DeviceKind k) {
    switch (k) {
        case DeviceKind::gpu: return "gpu";
        case DeviceKind::tpu: return "tpu";
        case DeviceKind::npu: return "npu";
        case DeviceKind::soc: return "soc";
    }
    return "?";
}

std::string_view to_string(MatrixEngineKind k) {
    return k == MatrixEngineKind::tensor_core ? "tensor_core" : "systolic_array";
}

namespace {

template <class Spec>
Schema<Spec>& dtype_rates(Schema<Spec>& s, const std::string& key, std::map<DType, double> Spec::*member,
                          std::string doc, bool required) {
    return s.custom(key, "object dtype -> number", required ? "required" : "{}", std::move(doc),
                    // {"bf16": 1024, "int8": 2048, ...}: FLOPs (or integer ops) per cycle by dtype.
                    [=](Spec& c, const json& j, const ConfigContext& at) {
                        workloads::schema_detail::read_dtype_numbers(c.*member, j, at, "ops per cycle");
                    },
                    required ? std::function<void(Spec&)>() : std::function<void(Spec&)>([=](Spec& c) { (c.*member).clear(); }));
}

template <class Spec>
std::function<Spec(const json&, const ConfigContext&)> parser(const Schema<Spec>& s) {
    return [&s](const json& j, const ConfigContext& at) { return s.parse(j, at); };
}

const Schema<ClockSpec>& clock_schema() {
    static const auto s = Schema<ClockSpec>("hardware.clock", "Core clock.")
                              .number("sustained_mhz", &ClockSpec::sustained_mhz, std::nullopt, "MHz",
                                      "Clock held under a dense load; every derived peak uses it.", 1)
                              .number("boost_mhz", &ClockSpec::boost_mhz, std::nullopt, "MHz",
                                      "Vendor maximum clock, for reference.", 1)
                              .custom("matrix_clock_fraction", "object dtype -> number in (0, 1]", "{}",
                                      "Share of sustained_mhz the matrix engine holds for a dtype whose best measured "
                                      "dense GEMM implies a lower clock (power-limited: FP8 on an H100 reaches 0.883 of "
                                      "BF16's rate per FLOP/clk); its peak and every product of that dtype use it.",
                                      [](ClockSpec& c, const json& j, const ConfigContext& at) {
                                          workloads::schema_detail::read_dtype_numbers(c.matrix_clock_fraction, j, at,
                                                                                       "fractions of the clock");
                                          for (const auto& [d, f] : c.matrix_clock_fraction)
                                              if (f <= 0 || f > 1)
                                                  at.at(std::string(workloads::to_string(d)))
                                                      .fail("expected a fraction in (0, 1]");
                                      },
                                      [](ClockSpec& c) { c.matrix_clock_fraction.clear(); });
    return s;
}

const Schema<MatrixEngineSpec>& matrix_schema() {
    static const auto s = [] {
        Schema<MatrixEngineSpec> s("hardware.cores.matrix_engine",
                                   "The matrix engine of one core: tensor cores or a systolic array.");
        s.custom("kind", "one of \"tensor_core\", \"systolic_array\"", "required", "Engine type (picks the mapper).",
                 [](MatrixEngineSpec& m, const json& j, const ConfigContext& at) {
                     const auto k = workloads::schema_detail::read_choice(j, at, {"tensor_core", "systolic_array"});
                     m.kind = k == "tensor_core" ? MatrixEngineKind::tensor_core : MatrixEngineKind::systolic_array;
                 },
                 nullptr)
            .integer("units_per_core", &MatrixEngineSpec::units_per_core, std::nullopt, "units",
                     "Tensor cores or systolic arrays per core.")
            .integer_list("shape", &MatrixEngineSpec::shape, std::nullopt, "elements",
                          "Systolic array [rows, cols], or a tensor-core instruction's [m, n, k].");
        dtype_rates(s, "dense_flops_per_cycle", &MatrixEngineSpec::dense_flops_per_cycle,
                    "Dense FLOPs (integer ops for int8/int4) per cycle per core, all units together, by math dtype. "
                    "A dtype absent here has no matrix path.",
                    true);
        s.boolean("sparsity_2_4", &MatrixEngineSpec::sparsity_2_4, false,
                  "2:4 structured sparsity doubles the dense rate.");
        return s;
    }();
    return s;
}

const Schema<VectorUnitSpec>& vector_schema() {
    static const auto s = [] {
        Schema<VectorUnitSpec> s("hardware.cores.vector_unit", "The vector (SIMD/CUDA-core) unit of one core.");
        s.integer("lanes_per_core", &VectorUnitSpec::lanes_per_core, std::nullopt, "lanes", "SIMD lanes per core.");
        dtype_rates(s, "flops_per_cycle", &VectorUnitSpec::flops_per_cycle,
                    "FLOPs per cycle per core by dtype (an FMA is 2).", true);
        return s;
    }();
    return s;
}

struct CoresFields {
    std::int64_t count = 0;
    MatrixEngineSpec matrix;
    VectorUnitSpec vector;
};

const Schema<CoresFields>& cores_schema() {
    static const auto s = Schema<CoresFields>("hardware.cores", "The compute cores (SMs, TensorCores, NPU cores).")
                              .integer("count", &CoresFields::count, std::nullopt, "cores", "Cores on the device.")
                              .object("matrix_engine", &CoresFields::matrix, parser(matrix_schema()),
                                      "object (hardware.cores.matrix_engine)", "Matrix engine of each core.")
                              .object("vector_unit", &CoresFields::vector, parser(vector_schema()),
                                      "object (hardware.cores.vector_unit)", "Vector unit of each core.");
    return s;
}

const Schema<OnChipLevelSpec>& on_chip_schema() {
    static const auto s = Schema<OnChipLevelSpec>("hardware.on_chip[]", "One on-chip memory level.")
                              .string("name", &OnChipLevelSpec::name, std::nullopt, "Level name (smem, l2, vmem...).")
                              .boolean("per_core", &OnChipLevelSpec::per_core, std::nullopt,
                                       "One instance per core (L1/shared memory) or one per chip (L2).")
                              .number("capacity_kib", &OnChipLevelSpec::capacity_kib, std::nullopt, "KiB",
                                      "Capacity of one instance.", 0)
                              .number("bandwidth_gb_per_s", &OnChipLevelSpec::bandwidth_gb_per_s, std::nullopt, "GB/s",
                                      "Bandwidth of one instance.", 0)
                              .renamed("bandwidth_gbps", "bandwidth_gb_per_s", kBandwidthRenamed)
                              .number("latency_ns", &OnChipLevelSpec::latency_ns, std::nullopt, "ns", "Load latency.")
                              .number("energy_pj_per_byte", &OnChipLevelSpec::energy_pj_per_byte, 0.0, "pJ/B",
                                      "Access energy; 0 takes the technology table's value.");
    return s;
}

const Schema<OffChipMemorySpec>& memory_schema() {
    static const auto s =
        Schema<OffChipMemorySpec>("hardware.memory", "Off-chip memory (HBM, GDDR, LPDDR).")
            .string("type", &OffChipMemorySpec::type, std::nullopt, "Memory technology, e.g. HBM2e.")
            .number("capacity_gb", &OffChipMemorySpec::capacity_gb, std::nullopt, "GB", "Capacity (1e9 bytes).", 0)
            .number("bandwidth_gb_per_s", &OffChipMemorySpec::bandwidth_gb_per_s, std::nullopt, "GB/s",
                    "Peak bandwidth (1e9 B/s).", 0)
                              .renamed("bandwidth_gbps", "bandwidth_gb_per_s", kBandwidthRenamed)
            .integer("channels", &OffChipMemorySpec::channels, std::nullopt, "channels",
                     "Independent channels (controllers) that share the bandwidth.")
            .number("latency_ns", &OffChipMemorySpec::latency_ns, std::nullopt, "ns", "Load-to-use latency.")
            .number("energy_pj_per_bit", &OffChipMemorySpec::energy_pj_per_bit, std::nullopt, "pJ/bit",
                    "Access energy per bit moved.")
            .fraction("stream_efficiency", &OffChipMemorySpec::stream_efficiency, 0.87,
                    "Fraction of the peak bandwidth that streaming kernels sustain, from a measured STREAM-like "
                    "benchmark of the device. The default is the A100 80GB's BabelStream Triad, 1774 of "
                    "2039 GB/s (hardware sheet section 8); 'sources' should say where another value comes from.")
            .fraction("allocatable_fraction", &OffChipMemorySpec::allocatable_fraction, 1.0,
                    "Share of the capacity the accelerator may allocate: below 1 where the memory is shared with "
                    "a CPU and an operating system that cap the GPU's working set (Apple silicon's Metal "
                    "recommendedMaxWorkingSetSize). Memory verdicts compare against capacity x this share.");
    return s;
}

const Schema<HostLinkSpec>& host_link_schema() {
    static const auto s = Schema<HostLinkSpec>("hardware.host_link", "The link to the host (PCIe, SoC fabric).")
                              .string("type", &HostLinkSpec::type, std::nullopt, "e.g. PCIe 4.0 x16.")
                              .number("bandwidth_gb_per_s", &HostLinkSpec::bandwidth_gb_per_s, std::nullopt, "GB/s",
                                      "Bandwidth per direction.", 0)
                              .renamed("bandwidth_gbps", "bandwidth_gb_per_s", kBandwidthRenamed)
                              .number("latency_us", &HostLinkSpec::latency_us, 1.0, "us", "Transfer latency.");
    return s;
}

const Schema<PowerSpec>& power_schema() {
    static const auto s = Schema<PowerSpec>("hardware.power", "Power envelope.")
                              .number("idle_w", &PowerSpec::idle_w, std::nullopt, "W",
                                      "Static power while the device is on and idle.")
                              .number("tdp_w", &PowerSpec::tdp_w, std::nullopt, "W", "Board power limit (TDP/TGP).", 1);
    return s;
}

struct HardwareFields {
    std::string description, kind;
    std::map<std::string, std::string> sources;
    ClockSpec clock;
    CoresFields cores;
    std::vector<OnChipLevelSpec> on_chip;
    OffChipMemorySpec memory;
    HostLinkSpec host_link;
    PowerSpec power;
    double kernel_launch_overhead_us = 0;
    double area_mm2 = 0;
    std::map<DType, double> published_dense_tflops;
    std::string tech;
};

const Schema<HardwareFields>& hardware_schema() {
    static const auto s = [] {
        Schema<HardwareFields> s("hardware", "A device preset (configs/hardware/NAME.json). Every value carries its "
                                             "source in `sources`.");
        s.string("description", &HardwareFields::description, std::nullopt, "One line: what the device is.")
            .choice("kind", &HardwareFields::kind, {"gpu", "tpu", "npu", "soc"}, std::nullopt, "Device class.")
            .sources("sources", &HardwareFields::sources,
                    "Where each value comes from (reference sheet tags, datasheets, measurements).")
            .object("clock", &HardwareFields::clock, parser(clock_schema()), "object (hardware.clock)", "Core clock.")
            .object("cores", &HardwareFields::cores, parser(cores_schema()), "object (hardware.cores)",
                    "Compute cores.")
            .custom("on_chip", "list of hardware.on_chip[]", "required", "On-chip memory levels, nearest first.",
                    [](HardwareFields& h, const json& j, const ConfigContext& at) {
                        workloads::schema_detail::for_each_in_list(j, at, "levels", true,
                                                                   [&](const json& v, const ConfigContext& here) {
                                                                       h.on_chip.push_back(on_chip_schema().parse(v, here));
                                                                   });
                    },
                    nullptr)
            .object("memory", &HardwareFields::memory, parser(memory_schema()), "object (hardware.memory)",
                    "Off-chip memory.")
            .object("host_link", &HardwareFields::host_link, parser(host_link_schema()),
                    "object (hardware.host_link)", "Host link.")
            .object("power", &HardwareFields::power, parser(power_schema()), "object (hardware.power)",
                    "Power envelope.")
            .number("kernel_launch_overhead_us", &HardwareFields::kernel_launch_overhead_us, std::nullopt, "us",
                    "Fixed cost of launching one kernel (CPU launch + GPU front end).")
            .number("area_mm2", &HardwareFields::area_mm2, 0.0, "mm^2", "Die area; 0 = not given.")
            .string("tech", &HardwareFields::tech, std::nullopt,
                    "Technology table that prices the simulator's action counts (energy per MAC by dtype, SRAM "
                    "energy by size, figures measured on this device): a name in configs/tech/ (the process node, "
                    "e.g. \"7nm\"), or a path relative to this file.");
        dtype_rates(s, "published_dense_tflops", &HardwareFields::published_dense_tflops,
                    "The vendor's dense matrix peaks in TFLOP/s (TOP/s for integers) by dtype, as published; the "
                    "tests check cores x dense_flops_per_cycle x boost clock against them.",
                    true);
        return s;
    }();
    return s;
}

std::filesystem::path hardware_dir() { return workloads::config_dir() / "hardware"; }

}  // namespace

double ClockSpec::matrix_mhz(DType t) const {
    const auto it = matrix_clock_fraction.find(t);
    return it == matrix_clock_fraction.end() ? sustained_mhz : sustained_mhz * it->second;
}

double HardwareSpec::peak_matrix_flops(DType t) const {
    const auto it = matrix.dense_flops_per_cycle.find(t);
    if (it == matrix.dense_flops_per_cycle.end()) return 0;
    return it->second * static_cast<double>(cores) * clock.matrix_mhz(t) * 1e6;
}

namespace {
const OnChipLevelSpec* first_level(const std::vector<OnChipLevelSpec>& levels, bool per_core) {
    for (const auto& l : levels)
        if (l.per_core == per_core) return &l;
    return nullptr;
}
}  // namespace

const OnChipLevelSpec* HardwareSpec::core_level() const { return first_level(on_chip, true); }
const OnChipLevelSpec* HardwareSpec::chip_level() const { return first_level(on_chip, false); }

double HardwareSpec::peak_matrix_flops_at_boost(DType t) const {
    return peak_matrix_flops(t) * clock.boost_mhz / clock.matrix_mhz(t);
}

double HardwareSpec::peak_vector_flops(DType t) const {
    const auto it = vector.flops_per_cycle.find(t);
    if (it == vector.flops_per_cycle.end()) return 0;
    return it->second * static_cast<double>(cores) * clock.sustained_mhz * 1e6;
}

double HardwareSpec::ridge_point_flops_per_byte(DType t) const {
    const double bw = memory_bandwidth_bytes_per_s();
    return bw > 0 ? peak_matrix_flops(t) / bw : 0;
}

std::vector<std::string> hardware_names() { return workloads::json_file_stems(hardware_dir()); }

HardwareSpec load_hardware(const std::string& name_or_path) {
    const auto path = workloads::preset_path(name_or_path, hardware_dir(), "hardware", "presets");
    return hardware_from_json(workloads::read_json_file(path), ConfigContext{path.string(), ""}, path.stem().string(),
                              path.parent_path());
}

HardwareSpec hardware_from_json(const json& j, const ConfigContext& ctx, const std::string& name,
                                const std::filesystem::path& dir) {
    const HardwareFields f = hardware_schema().parse(j, ctx);
    if (f.clock.boost_mhz < f.clock.sustained_mhz)
        ctx.at("clock").at("boost_mhz").fail("expected at least sustained_mhz (" +
                                             std::to_string(f.clock.sustained_mhz) + ")");
    if (f.power.idle_w > f.power.tdp_w) ctx.at("power").at("idle_w").fail("expected at most tdp_w");
    HardwareSpec h;
    h.name = name;
    h.description = f.description;
    h.kind = f.kind == "gpu" ? DeviceKind::gpu : f.kind == "tpu" ? DeviceKind::tpu : f.kind == "npu" ? DeviceKind::npu
                                                                                                   : DeviceKind::soc;
    h.sources = f.sources;
    h.clock = f.clock;
    h.cores = f.cores.count;
    h.matrix = f.cores.matrix;
    h.vector = f.cores.vector;
    h.on_chip = f.on_chip;
    h.memory = f.memory;
    h.host_link = f.host_link;
    h.power = f.power;
    h.kernel_launch_overhead_us = f.kernel_launch_overhead_us;
    if (f.area_mm2 > 0) h.area_mm2 = f.area_mm2;
    h.published_dense_tflops = f.published_dense_tflops;
    h.tech = f.tech;
    const auto tech_file = find_tech(f.tech, dir);
    if (!tech_file) {
        const auto names = tech_names();
        const std::string hint = workloads::did_you_mean(f.tech, names);
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        ctx.at("tech").fail("unknown technology table '" + f.tech + "'" +
                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; tables in configs/tech: " + list);
    }
    h.energy = resolve_energy_costs(h, load_tech(tech_file->string()));
    return h;
}

std::vector<SchemaDoc> hardware_schema_docs() {
    return {hardware_schema().doc(), clock_schema().doc(), cores_schema().doc(), matrix_schema().doc(),
            vector_schema().doc(),   on_chip_schema().doc(), memory_schema().doc(), host_link_schema().doc(),
            power_schema().doc()};
}

SchemaDoc hardware_schema_doc() { return hardware_schema().doc(); }

}  // namespace fmsim::hwmodels
