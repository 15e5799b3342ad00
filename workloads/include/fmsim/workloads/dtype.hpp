#pragma once
// Numeric formats a tensor can be stored in or computed with.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fmsim::workloads {

// int32 is a storage type for indices (token ids), not a precision choice. int4 and int4g32 are the
// same 4-bit values with an fp16 scale per 128 or per 32 of them (dtype.cpp): one math, two layouts.
enum class DType { fp32, tf32, bf16, fp16, fp8, int8, int4, int4g32, int32 };

// Storage width in bits. tf32 is a math mode: its operands are stored as 32-bit floats.
int bits_per_element(DType t);
std::string_view to_string(DType t);
std::optional<DType> parse_dtype(std::string_view name);
// Comma-separated list of every precision name parse_dtype accepts, for error messages and docs.
std::string dtype_names();
// The format the arithmetic sees: int4g32's values are int4's (its scales only change the bytes).
DType math_format(DType t);
// The names that are their own math format: the keys of per-dtype rate and energy tables.
std::string math_dtype_names();
std::optional<DType> parse_math_dtype(std::string_view name);

// Bytes needed to store `elements` values of type `t`, rounded up to whole bytes (int4 packs two
// values per byte and keeps an fp16 scale per 128 of them, int4g32 per 32: dtype.cpp).
std::int64_t storage_bytes(std::int64_t elements, DType t);

// Precision per tensor class. Weight-only int4 (weights=int4, math=bf16) and W8A8 (weights and
// activations int8, math int8) are different graphs because bytes and math dtypes differ.
struct Precision {
    DType weights = DType::bf16;
    DType activations = DType::bf16;
    DType kv_cache = DType::bf16;
    DType math = DType::bf16;
    bool operator==(const Precision&) const = default;
};

}  // namespace fmsim::workloads
