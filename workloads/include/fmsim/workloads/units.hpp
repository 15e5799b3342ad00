#pragma once
// Unit conversion factors, named once. fmsim's public quantities carry their unit in the name
// (`_gb_per_s`, `_us`, `_pj`); these constants convert them to SI base units and back, so no
// `* 1e9` or `/ 3.6e6` appears in the code without saying what it converts.
//
// Decimal prefixes throughout (SI, BIPM brochure 9th ed. table 7): a GB is 1e9 bytes and a GB/s is
// 1e9 B/s, as vendors state memory bandwidth and capacity. Binary sizes (2^30) are named KiB/MiB/GiB.
#include <cstdint>

namespace fmsim::units {

// Decimal (SI) prefixes.
inline constexpr double kKilo = 1e3;
inline constexpr double kMega = 1e6;
inline constexpr double kGiga = 1e9;
inline constexpr double kTera = 1e12;
inline constexpr double kPeta = 1e15;
inline constexpr double kMilli = 1e-3;
inline constexpr double kMicro = 1e-6;
inline constexpr double kNano = 1e-9;
inline constexpr double kPico = 1e-12;

// Quantities fmsim names with a prefix.
inline constexpr double kBytesPerKB = kKilo;
inline constexpr double kBytesPerMB = kMega;            // runtime.context_memory_mb
inline constexpr double kBytesPerGB = kGiga;            // memory.capacity_gb, *_gb_per_s
inline constexpr double kHzPerMHz = kMega;              // clock.*_mhz
inline constexpr double kFlopPerTflop = kTera;          // reported TFLOP/s
inline constexpr double kSecondsPerMs = kMilli;
inline constexpr double kSecondsPerUs = kMicro;         // *_us latencies and overheads
inline constexpr double kSecondsPerNs = kNano;          // *_ns latencies
inline constexpr double kJoulesPerPj = kPico;           // *_pj energies per op or bit
inline constexpr double kMillijoulesPerJoule = kKilo;
inline constexpr double kGramsPerKg = kKilo;
inline constexpr double kKgPerTonne = kKilo;

// Time and energy.
inline constexpr double kSecondsPerMinute = 60;
inline constexpr double kSecondsPerHour = 3600;
inline constexpr double kSecondsPerDay = 86400;
inline constexpr double kJoulesPerWh = kSecondsPerHour;            // 1 W for 1 h
inline constexpr double kJoulesPerKwh = kKilo * kJoulesPerWh;      // 3.6e6 J
inline constexpr double kBitsPerByte = 8;

// Binary sizes, as software allocates them.
inline constexpr std::int64_t kKiB = std::int64_t{1} << 10;
inline constexpr std::int64_t kMiB = std::int64_t{1} << 20;
inline constexpr std::int64_t kGiB = std::int64_t{1} << 30;
inline constexpr std::int64_t kTiB = std::int64_t{1} << 40;

}  // namespace fmsim::units
