#include "fmsim/hwmodels/energy.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::hwmodels {

using workloads::ConfigContext;
using workloads::json;
using workloads::Schema;
using workloads::SchemaDoc;

// ---- Counting and pricing ----------------------------------------------------------------------

ActionCounts& ActionCounts::operator+=(const ActionCounts& o) {
    for (const auto& [d, f] : o.matrix_flops) matrix_flops[d] += f;
    for (const auto& [d, f] : o.vector_flops) vector_flops[d] += f;
    dram_bytes += o.dram_bytes;
    chip_sram_bytes += o.chip_sram_bytes;
    core_sram_bytes += o.core_sram_bytes;
    return *this;
}

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
    matrix_j += o.matrix_j;
    vector_j += o.vector_j;
    dram_j += o.dram_j;
    chip_sram_j += o.chip_sram_j;
    core_sram_j += o.core_sram_j;
    static_j += o.static_j;
    link_j += o.link_j;
    return *this;
}

EnergyBreakdown EnergyBreakdown::scaled(double f) const {
    return {matrix_j * f, vector_j * f, dram_j * f, chip_sram_j * f, core_sram_j * f, static_j * f, link_j * f};
}

ActionCounts count_actions(const TileProgram& p) {
    ActionCounts c;
    const double tiles = static_cast<double>(p.tiles);
    if (p.matrix_flops_per_tile > 0) c.matrix_flops[p.matrix_dtype] = p.matrix_flops_per_tile * tiles;
    if (p.vector_flops_per_tile > 0) c.vector_flops[p.vector_dtype] = p.vector_flops_per_tile * tiles;
    c.dram_bytes = p.dram_bytes_per_tile * tiles;
    c.chip_sram_bytes = p.l2_bytes_per_tile * tiles;
    c.core_sram_bytes = p.core_sram_bytes_per_tile * tiles;
    return c;
}

namespace {
double mac_pj(const EnergyCosts& e, DType d) {
    const auto it = e.mac_pj.find(d);
    if (it == e.mac_pj.end())
        throw std::logic_error("energy costs price no " + std::string(workloads::to_string(d)) + " MAC");
    return it->second;
}
}  // namespace

EnergyBreakdown dynamic_energy(const ActionCounts& c, const EnergyCosts& e) {
    constexpr double pj = 1e-12;
    EnergyBreakdown b;
    // A MAC is 2 FLOPs; a vector-unit FLOP (an FMA is 2) costs half a MAC of its dtype.
    for (const auto& [d, flops] : c.matrix_flops) b.matrix_j += flops / 2 * mac_pj(e, d) * pj;
    for (const auto& [d, flops] : c.vector_flops) b.vector_j += flops / 2 * mac_pj(e, d) * pj;
    b.dram_j = c.dram_bytes * e.dram_pj_per_byte * pj;
    b.chip_sram_j = c.chip_sram_bytes * e.chip_sram_pj_per_byte * pj;
    b.core_sram_j = c.core_sram_bytes * e.core_sram_pj_per_byte * pj;
    return b;
}

EnergyBreakdown energy_of(const ActionCounts& c, const EnergyCosts& e, double time_s) {
    EnergyBreakdown b = dynamic_energy(c, e);
    b.static_j = e.static_w * time_s;
    return b;
}

EnergyBreakdown kernel_energy(const TileProgram& p, const EnergyCosts& e, double time_s) {
    return kernel_energy(dynamic_energy(count_actions(p), e), e, time_s);
}

EnergyBreakdown kernel_energy(const EnergyBreakdown& dynamic, const EnergyCosts& e, double time_s) {
    EnergyBreakdown b = dynamic;
    b.static_j = e.static_w * time_s;
    // The board's power limiter holds average power at or under TDP by lowering clock and voltage;
    // the sustained clock already reflects that throttling, so counted energy above TDP x time
    // means the per-action figures (taken at other operating points) overstate it: the dynamic
    // parts are scaled down together to the limit.
    const double limit_j = e.power_limit_w * time_s;
    if (e.power_limit_w > 0 && b.total_j() > limit_j && b.dynamic_j() > 0) {
        const double f = std::max(0.0, limit_j - b.static_j) / b.dynamic_j();
        const double static_j = b.static_j;
        b = b.scaled(f);
        b.static_j = static_j;
    }
    return b;
}

// ---- Technology tables -------------------------------------------------------------------------

double TechTable::sram_pj_per_byte(double capacity_kib) const {
    if (sram.empty()) return 0;
    if (capacity_kib <= sram.front().capacity_kib) return sram.front().pj_per_byte;
    if (capacity_kib >= sram.back().capacity_kib) return sram.back().pj_per_byte;
    for (std::size_t i = 1; i < sram.size(); ++i) {
        const SramPoint& lo = sram[i - 1];
        const SramPoint& hi = sram[i];
        if (capacity_kib > hi.capacity_kib) continue;
        const double w = std::log(capacity_kib / lo.capacity_kib) / std::log(hi.capacity_kib / lo.capacity_kib);
        return lo.pj_per_byte + w * (hi.pj_per_byte - lo.pj_per_byte);
    }
    return sram.back().pj_per_byte;
}

namespace {

// Every math dtype a config can name (int32 is a storage type for indices, never a math path).
constexpr DType kAllDTypes[] = {DType::fp32, DType::tf32, DType::bf16, DType::fp16,
                                DType::fp8,  DType::int8, DType::int4};

std::filesystem::path tech_dir() { return workloads::config_dir() / "tech"; }

const Schema<SramPoint>& sram_schema() {
    static const auto s = Schema<SramPoint>("tech.sram[]", "SRAM access energy at one array size.")
                              .number("capacity_kib", &SramPoint::capacity_kib, std::nullopt, "KiB",
                                      "Array capacity.", 1e-9)
                              .number("pj_per_byte", &SramPoint::pj_per_byte, std::nullopt, "pJ/B",
                                      "Read or write energy per byte at that size.");
    return s;
}

std::optional<double> read_optional_number(const json& j, const ConfigContext& at) {
    return workloads::schema_detail::read_number(j, at, 0);
}

const Schema<MeasuredDevice>& measured_schema() {
    static const auto s = [] {
        Schema<MeasuredDevice> s("tech.measured.DEVICE",
                                 "Figures measured on one device (key: its preset name). They are system-level (they "
                                 "include operand delivery, control and instruction overhead) and replace the component "
                                 "figures for that device only; give each one's source in `sources` as "
                                 "\"measured.DEVICE\".");
        s.custom("dram_pj_per_bit", "number", "absent", "Off-chip access energy per bit (pJ/bit); absent: the "
                 "preset's memory.energy_pj_per_bit.",
                 [](MeasuredDevice& m, const json& j, const ConfigContext& at) {
                     m.dram_pj_per_bit = read_optional_number(j, at);
                 },
                 [](MeasuredDevice& m) { m.dram_pj_per_bit.reset(); })
            .custom("on_chip_pj_per_bit", "object level name -> number", "{}",
                    "Access energy per bit (pJ/bit) of the preset's on-chip levels, by level name.",
                    [](MeasuredDevice& m, const json& j, const ConfigContext& at) {
                        if (!j.is_object())
                            at.fail("expected an object from on-chip level name to pJ/bit, got " +
                                    workloads::json_type_name(j));
                        for (auto it = j.begin(); it != j.end(); ++it)
                            m.on_chip_pj_per_bit[it.key()] =
                                workloads::schema_detail::read_number(it.value(), at.at(it.key()), 0);
                    },
                    [](MeasuredDevice& m) { m.on_chip_pj_per_bit.clear(); })
            .custom("constant_w", "number", "absent",
                    "Power drawn whenever the device is on (W); absent: the preset's power.idle_w.",
                    [](MeasuredDevice& m, const json& j, const ConfigContext& at) {
                        m.constant_w = read_optional_number(j, at);
                    },
                    [](MeasuredDevice& m) { m.constant_w.reset(); });
        return s;
    }();
    return s;
}

struct TechFields {
    std::string description;
    double node_nm = 0, energy_scale_vs_45nm = 0;
    std::map<std::string, std::string> sources;
    std::map<DType, double> mac_pj;
    std::vector<SramPoint> sram;
    std::map<std::string, MeasuredDevice> measured;
};

const Schema<TechFields>& tech_schema() {
    static const auto s = [] {
        Schema<TechFields> s("tech", "A technology table (configs/tech/NAME.json): what each action the simulator "
                                     "counts costs at one process node. Hardware presets name theirs in `tech`; "
                                     "docs/hardware-model.md (\"Energy\") gives the formulas.");
        s.string("description", &TechFields::description, std::nullopt, "One line: the node and what the table holds.")
            .number("node_nm", &TechFields::node_nm, std::nullopt, "nm", "Process node.", 1)
            .number("energy_scale_vs_45nm", &TechFields::energy_scale_vs_45nm, std::nullopt, "ratio",
                    "Logic energy at this node relative to 45 nm (Stillmaker & Baas via Accelergy); the tests check "
                    "mac_pj against Horowitz's 45 nm figures times this.")
            .sources("sources", &TechFields::sources,
                    "Where each value comes from (reference sheet tags, \"derived\" for arithmetic).")
            .custom("mac_pj", "object dtype -> number", "required",
                    "Energy of one multiply-accumulate (2 FLOPs) in pJ, by math dtype; every dtype (" +
                        workloads::math_dtype_names() + ") must be priced. A vector-unit FLOP costs half a MAC.",
                    [](TechFields& t, const json& j, const ConfigContext& at) {
                        workloads::schema_detail::read_dtype_numbers(t.mac_pj, j, at, "pJ per MAC");
                        for (DType d : kAllDTypes)
                            if (!t.mac_pj.count(d))
                                at.fail("missing dtype '" + std::string(workloads::to_string(d)) +
                                        "': every dtype needs a MAC energy");
                    },
                    nullptr)
            .custom("sram", "list of tech.sram[]", "required",
                    "SRAM access energy by array size, increasing capacity; a level's energy is interpolated "
                    "log-linearly in capacity, the end points' values outside the range.",
                    [](TechFields& t, const json& j, const ConfigContext& at) {
                        workloads::schema_detail::for_each_in_list(
                            j, at, "{capacity_kib, pj_per_byte}", true, [&](const json& v, const ConfigContext& c) {
                                t.sram.push_back(sram_schema().parse(v, c));
                                const std::size_t i = t.sram.size() - 1;
                                if (i > 0 && t.sram[i].capacity_kib <= t.sram[i - 1].capacity_kib)
                                    c.at("capacity_kib").fail("expected more than the previous point's capacity (" +
                                                              std::to_string(t.sram[i - 1].capacity_kib) + " KiB)");
                            });
                    },
                    nullptr)
            .custom("measured", "object preset name -> tech.measured.DEVICE", "{}",
                    "Figures measured on particular devices, by hardware preset name.",
                    [](TechFields& t, const json& j, const ConfigContext& at) {
                        if (!j.is_object())
                            at.fail("expected an object from hardware preset name to measured figures, got " +
                                    workloads::json_type_name(j));
                        const auto presets = hardware_names();
                        for (auto it = j.begin(); it != j.end(); ++it) {
                            if (std::find(presets.begin(), presets.end(), it.key()) == presets.end()) {
                                const std::string hint = workloads::did_you_mean(it.key(), presets);
                                at.at(it.key()).fail("no hardware preset of this name" +
                                                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
                            }
                            t.measured[it.key()] = measured_schema().parse(it.value(), at.at(it.key()));
                        }
                    },
                    [](TechFields& t) { t.measured.clear(); });
        return s;
    }();
    return s;
}

std::string list_text(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

std::vector<std::string> tech_names() { return workloads::json_file_stems(tech_dir()); }

std::optional<std::filesystem::path> find_tech(const std::string& name_or_path, const std::filesystem::path& base_dir) {
    std::filesystem::path path = name_or_path;
    const bool looks_like_path = name_or_path.find('/') != std::string::npos || path.extension() == ".json";
    if (!looks_like_path) path = tech_dir() / (name_or_path + ".json");
    else if (path.is_relative() && !base_dir.empty()) path = base_dir / path;
    if (name_or_path.empty() || !workloads::regular_file_exists(path)) return std::nullopt;
    return path;
}

TechTable load_tech(const std::string& name_or_path) {
    const auto path = find_tech(name_or_path);
    if (!path) {
        const auto names = tech_names();
        const std::string hint = workloads::did_you_mean(name_or_path, names);
        throw UserError("unknown technology table '" + name_or_path + "'" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; tables: " + list_text(names));
    }
    const json j = workloads::read_json_file(*path);
    const TechFields f = tech_schema().parse(j, ConfigContext{path->string(), ""});
    TechTable t;
    t.name = path->stem().string();
    t.file = path->string();
    t.description = f.description;
    t.node_nm = f.node_nm;
    t.energy_scale_vs_45nm = f.energy_scale_vs_45nm;
    t.sources = f.sources;
    t.mac_pj = f.mac_pj;
    t.sram = f.sram;
    t.measured = f.measured;
    return t;
}

std::vector<SchemaDoc> tech_schema_docs() {
    return {tech_schema().doc(), sram_schema().doc(), measured_schema().doc()};
}

EnergyCosts resolve_energy_costs(HardwareSpec& hw, const TechTable& table) {
    EnergyCosts e;
    e.mac_pj = table.mac_pj;
    const auto m = table.measured.find(hw.name);
    const MeasuredDevice* measured = m == table.measured.end() ? nullptr : &m->second;
    if (measured) {
        const ConfigContext at{table.file, "/measured/" + hw.name + "/on_chip_pj_per_bit"};
        for (const auto& entry : measured->on_chip_pj_per_bit) {
            const std::string& level = entry.first;
            const bool known = std::any_of(hw.on_chip.begin(), hw.on_chip.end(),
                                           [&](const OnChipLevelSpec& l) { return l.name == level; });
            if (!known) {
                std::vector<std::string> names;
                for (const auto& l : hw.on_chip) names.push_back(l.name);
                at.at(level).fail("preset " + hw.name + " has no on-chip level of this name; its levels: " +
                                  list_text(names));
            }
        }
    }
    e.dram_pj_per_byte = 8 * (measured && measured->dram_pj_per_bit ? *measured->dram_pj_per_bit
                                                                     : hw.memory.energy_pj_per_bit);
    for (auto& l : hw.on_chip) {
        if (l.energy_pj_per_byte > 0) continue;  // the preset's own figure wins
        l.energy_pj_per_byte = table.sram_pj_per_byte(l.capacity_kib);
        if (!measured) continue;
        if (const auto it = measured->on_chip_pj_per_bit.find(l.name); it != measured->on_chip_pj_per_bit.end())
            l.energy_pj_per_byte = 8 * it->second;
    }
    // The mapper's levels.
    if (const auto* core = hw.core_level()) e.core_sram_pj_per_byte = core->energy_pj_per_byte;
    if (const auto* chip = hw.chip_level()) e.chip_sram_pj_per_byte = chip->energy_pj_per_byte;
    e.static_w = measured && measured->constant_w ? *measured->constant_w : hw.power.idle_w;
    e.power_limit_w = hw.power.tdp_w;
    e.basis = measured ? "tech " + table.name + ", with figures measured on " + hw.name
                       : "tech " + table.name + " (component figures)";
    return e;
}

}  // namespace fmsim::hwmodels
