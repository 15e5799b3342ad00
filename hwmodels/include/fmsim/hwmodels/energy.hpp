#pragma once
// Energy: the simulator counts actions (FLOPs per math dtype on the matrix engine and on the
// vector unit, bytes at each memory level); technology tables (configs/tech/NAME.json) price
// them, and static power x time is added. Formulas and sources: docs/hardware-model.md, "Energy".
// No SystemC and no JSON here.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/mapping.hpp"

namespace fmsim::hwmodels {

// What a kernel (or a sum of kernels) does, in the units the tables price.
struct ActionCounts {
    std::map<DType, double> matrix_flops;  // executed on the matrix engine, padding included, by math dtype
    std::map<DType, double> vector_flops;  // on the vector unit, by dtype
    double dram_bytes = 0;                 // off-chip memory
    double chip_sram_bytes = 0;            // the chip-level on-chip memory (L2, CMEM, SLC)
    double core_sram_bytes = 0;            // the per-core on-chip memory (shared memory/L1, VMEM, buffers)
    ActionCounts& operator+=(const ActionCounts& o);
};

// Joules by where they go. Static energy is static power x time; the rest is dynamic.
struct EnergyBreakdown {
    double matrix_j = 0, vector_j = 0, dram_j = 0, chip_sram_j = 0, core_sram_j = 0, static_j = 0;
    double link_j = 0;  // device-to-device links (collectives), this device's share
    double dynamic_j() const { return matrix_j + vector_j + dram_j + chip_sram_j + core_sram_j + link_j; }
    double total_j() const { return dynamic_j() + static_j; }
    EnergyBreakdown& operator+=(const EnergyBreakdown& o);
    EnergyBreakdown scaled(double factor) const;
};

// A tile program's actions: per-tile counts x tiles.
ActionCounts count_actions(const TileProgram& p);
// Dynamic energy of `c` priced by `e` (static_j = 0): matrix FLOPs / 2 x pJ per MAC, vector
// FLOPs x pJ per MAC / 2, bytes x pJ per byte at each level. Throws std::logic_error for a dtype
// the costs do not price (every loaded table prices every dtype).
EnergyBreakdown dynamic_energy(const ActionCounts& c, const EnergyCosts& e);
// Dynamic energy plus static power x `time_s`.
EnergyBreakdown energy_of(const ActionCounts& c, const EnergyCosts& e, double time_s);
// A kernel that ran for `time_s` (launch included): energy_of(count_actions(p), e, time_s), its
// dynamic parts scaled down where the total would average more than the power limit.
EnergyBreakdown kernel_energy(const TileProgram& p, const EnergyCosts& e, double time_s);
// The same from the program's dynamic energy (dynamic_energy(count_actions(p), e)), for a kernel
// priced once and run many times.
EnergyBreakdown kernel_energy(const EnergyBreakdown& dynamic, const EnergyCosts& e, double time_s);

// ---- Technology tables: configs/tech/NAME.json, one per process node --------------------------

// SRAM access energy at one array size; between sizes the tables interpolate.
struct SramPoint {
    double capacity_kib = 0;
    double pj_per_byte = 0;
};

// Figures measured on one device (a preset name): system-level energies that replace the
// component figures for that device.
struct MeasuredDevice {
    std::optional<double> dram_pj_per_bit;
    std::map<std::string, double> on_chip_pj_per_bit;  // on-chip level name -> pJ/bit
    std::optional<double> constant_w;
};

struct TechTable {
    std::string name;  // file stem
    std::string file;  // where it was read, for error messages
    std::string description;
    double node_nm = 0;
    double energy_scale_vs_45nm = 0;  // logic energy relative to 45 nm (Stillmaker & Baas via Accelergy)
    std::map<std::string, std::string> sources;
    std::map<DType, double> mac_pj;  // every dtype
    std::vector<SramPoint> sram;     // increasing capacity
    std::map<std::string, MeasuredDevice> measured;  // preset name -> its measured figures

    // pJ per byte of an SRAM of `capacity_kib`: log-linear in capacity between the table's
    // points, the end points' values outside them.
    double sram_pj_per_byte(double capacity_kib) const;
};

// Table names: stems of configs/tech/*.json, sorted.
std::vector<std::string> tech_names();
// A table name, or a path to a table file (a relative path is taken from `base_dir`); nullopt
// when there is no such table.
std::optional<std::filesystem::path> find_tech(const std::string& name_or_path,
                                               const std::filesystem::path& base_dir = {});
// Loads and validates a table; throws UserError for an unknown name, ConfigError (file + JSON
// pointer) for a bad table.
TechTable load_tech(const std::string& name_or_path);
std::vector<workloads::SchemaDoc> tech_schema_docs();

// The costs of `hw`'s actions under `table`: the table's MAC energies; DRAM from the preset
// (memory.energy_pj_per_bit) unless the table measured this device; each on-chip level from the
// preset's energy_pj_per_byte when given, else this device's measured figure, else the table's
// SRAM curve at the level's capacity (written back into hw.on_chip); static power = the measured
// constant power, else power.idle_w. Throws ConfigError (table file + pointer) when a measured
// level names no level of the preset.
EnergyCosts resolve_energy_costs(HardwareSpec& hw, const TechTable& table);

}  // namespace fmsim::hwmodels
