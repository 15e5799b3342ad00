#pragma once
// A device is data: configs/hardware/NAME.json, parsed and validated once into this immutable
// HardwareSpec. SystemC models are built from it and hold no parsing code.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/workloads/dtype.hpp"
#include "fmsim/workloads/model.hpp"

namespace fmsim::hwmodels {

using workloads::DType;

enum class DeviceKind { gpu, tpu, npu, soc };
enum class MatrixEngineKind { tensor_core, systolic_array };
std::string_view to_string(DeviceKind k);
std::string_view to_string(MatrixEngineKind k);

struct ClockSpec {
    double sustained_mhz = 0;  // the clock held under a dense load: the one peaks are computed from
    double boost_mhz = 0;      // the vendor's maximum, for reference
    // The share of sustained_mhz the matrix engine holds for dtypes whose best measured GEMM says
    // it is lower (a denser datapath draws more power and throttles further: H100 FP8 0.883).
    std::map<DType, double> matrix_clock_fraction;
    double matrix_mhz(DType t) const;  // sustained_mhz x the dtype's fraction (1 without one)
};

struct MatrixEngineSpec {
    MatrixEngineKind kind = MatrixEngineKind::tensor_core;
    std::int64_t units_per_core = 0;
    std::vector<std::int64_t> shape;                 // systolic: [rows, cols]; tensor core: [m, n, k] per instruction
    std::map<DType, double> dense_flops_per_cycle;   // per core, all units together
    bool sparsity_2_4 = false;                       // 2:4 structured sparsity doubles the dense rate
};

struct VectorUnitSpec {
    std::int64_t lanes_per_core = 0;
    std::map<DType, double> flops_per_cycle;  // per core
};

// One on-chip memory level (shared memory / L1, L2, VMEM, SRAM).
struct OnChipLevelSpec {
    std::string name;
    bool per_core = false;  // one per core (L1/shared) or one per chip (L2)
    double capacity_kib = 0;
    double bandwidth_gb_per_s = 0;  // per instance, GB/s (1e9 B/s)
    double latency_ns = 0;
    double energy_pj_per_byte = 0;
};

struct OffChipMemorySpec {
    std::string type;  // HBM2e, HBM3, LPDDR5, ...
    double capacity_gb = 0;  // 1e9 bytes
    double bandwidth_gb_per_s = 0;  // peak, GB/s (1e9 B/s)
    std::int64_t channels = 0;
    double latency_ns = 0;
    double energy_pj_per_bit = 0;
    double stream_efficiency = 0;  // fraction of bandwidth_gb_per_s a streaming kernel sustains
    double allocatable_fraction = 1;  // of capacity_gb the accelerator may allocate (unified memory)
    double allocatable_bytes() const { return capacity_gb * 1e9 * allocatable_fraction; }
};

struct HostLinkSpec {
    std::string type;
    double bandwidth_gb_per_s = 0;  // per direction, GB/s
    double latency_us = 0;
};

struct PowerSpec {
    double idle_w = 0;
    double tdp_w = 0;
};

// What each counted action costs on this device (docs/hardware-model.md, "Energy"): resolved when
// the preset is loaded, from its technology table (configs/tech/NAME.json, key `tech`), the
// table's figures measured on this very device where it has them, and the preset's own figures.
struct EnergyCosts {
    std::map<DType, double> mac_pj;      // one multiply-accumulate (2 FLOPs) by math dtype; a vector-unit FLOP costs half
    double dram_pj_per_byte = 0;         // off-chip memory
    double chip_sram_pj_per_byte = 0;    // the chip-level on-chip level (L2, CMEM, SLC); 0 when there is none
    double core_sram_pj_per_byte = 0;    // the per-core on-chip level (shared memory/L1, VMEM, local buffer)
    double static_w = 0;                 // drawn whenever the device is on, busy or not
    double power_limit_w = 0;            // the board's power limit (TDP): average power never exceeds it; 0 = none
    std::string basis;                   // where the memory and static figures come from, for reports
};

struct HardwareSpec {
    std::string name;  // preset name (file stem)
    std::string description;
    DeviceKind kind = DeviceKind::gpu;
    std::map<std::string, std::string> sources;  // field -> where its value comes from
    ClockSpec clock;
    std::int64_t cores = 0;
    MatrixEngineSpec matrix;
    VectorUnitSpec vector;
    std::vector<OnChipLevelSpec> on_chip;
    OffChipMemorySpec memory;
    HostLinkSpec host_link;
    PowerSpec power;
    double kernel_launch_overhead_us = 0;
    std::optional<double> area_mm2;
    std::string tech;     // technology table name (or path) that prices this device's actions
    EnergyCosts energy;   // resolved from `tech`; on_chip[].energy_pj_per_byte are filled in too
    // The vendor's dense matrix peaks (TFLOP/s or TOP/s) by dtype, as published; tests check the
    // preset's engine description against them at the boost clock.
    std::map<DType, double> published_dense_tflops;

    // Derived figures, from the sustained clock.
    double peak_matrix_flops(DType t) const;  // FLOP/s, dense; 0 when the engine has no such path
    double peak_vector_flops(DType t) const;  // FLOP/s
    double peak_matrix_flops_at_boost(DType t) const;
    // The levels the mapper and the device model use: the first per-core on-chip level (shared
    // memory, VMEM, local buffer) and the first chip-level one (L2, CMEM); null when absent.
    const OnChipLevelSpec* core_level() const;
    const OnChipLevelSpec* chip_level() const;  // FLOP/s at the boost clock: what datasheets quote
    double memory_bandwidth_bytes_per_s() const { return memory.bandwidth_gb_per_s * 1e9; }
    // What streaming kernels actually get: peak × memory.stream_efficiency.
    double achievable_memory_bandwidth_bytes_per_s() const {
        return memory_bandwidth_bytes_per_s() * memory.stream_efficiency;
    }
    // FLOP per byte at which the matrix engine and off-chip memory are equally busy.
    double ridge_point_flops_per_byte(DType t) const;
};

// Preset names: stems of configs/hardware/*.json, sorted.
std::vector<std::string> hardware_names();
// A preset name or a path to a hardware JSON file.
HardwareSpec load_hardware(const std::string& name_or_path);
workloads::SchemaDoc hardware_schema_doc();
std::vector<workloads::SchemaDoc> hardware_schema_docs();

}  // namespace fmsim::hwmodels
