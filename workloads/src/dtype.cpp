#include "fmsim/workloads/dtype.hpp"

#include <array>
#include <cstddef>

namespace fmsim::workloads {
namespace {
struct DTypeInfo {
    DType type;
    std::string_view name;
    int bits;
};
constexpr std::array<DTypeInfo, 9> kDTypes{{
    {DType::fp32, "fp32", 32},
    {DType::tf32, "tf32", 32},
    {DType::bf16, "bf16", 16},
    {DType::fp16, "fp16", 16},
    {DType::fp8, "fp8", 8},
    {DType::int8, "int8", 8},
    {DType::int4, "int4", 4},
    {DType::int4g32, "int4g32", 4},
    {DType::int32, "int32", 32},
}};
constexpr std::size_t kPrecisionCount = 8;  // int32 is for indices only

// kDTypes is listed in enum order, so the enum value is the index.
const DTypeInfo& info(DType t) { return kDTypes[static_cast<std::size_t>(t)]; }
}  // namespace

int bits_per_element(DType t) { return info(t).bits; }
std::string_view to_string(DType t) { return info(t).name; }

std::optional<DType> parse_dtype(std::string_view name) {
    for (std::size_t i = 0; i < kPrecisionCount; ++i)
        if (kDTypes[i].name == name) return kDTypes[i].type;
    return std::nullopt;
}

namespace {
// The precision names `keep` accepts, comma-separated, in enum order.
template <class Keep>
std::string names_where(Keep keep) {
    std::string out;
    for (std::size_t i = 0; i < kPrecisionCount; ++i) {
        if (!keep(kDTypes[i].type)) continue;
        if (!out.empty()) out += ", ";
        out += kDTypes[i].name;
    }
    return out;
}
}  // namespace

std::string dtype_names() {
    return names_where([](DType) { return true; });
}

DType math_format(DType t) { return t == DType::int4g32 ? DType::int4 : t; }

std::string math_dtype_names() {
    return names_where([](DType t) { return math_format(t) == t; });
}

std::optional<DType> parse_math_dtype(std::string_view name) {
    const auto d = parse_dtype(name);
    return d && math_format(*d) == *d ? d : std::nullopt;
}

// int4 tensors store one fp16 scale per group of 128 values beside them: the group size AWQ (Lin
// et al. 2024) and GPTQ (Frantar et al. 2023) default to, 4.125 bits per value (QLoRA's NF4 with
// double-quantized block scales is 4.127). int4g32 keeps one per 32 values, 4.5 bits: llama.cpp's
// Q4_0 (blocks of 32 4-bit values with an fp16 scale, 18 bytes) and MLC's q4f16_1 (group size 32,
// fp16 scales); llama.cpp's Q4_K packs 256 values into 144 bytes, the same 4.5 bits.
constexpr std::int64_t kInt4ScaleBits = 16;

std::int64_t storage_bytes(std::int64_t elements, DType t) {
    std::int64_t bits = elements * bits_per_element(t);
    const std::int64_t group = t == DType::int4 ? 128 : t == DType::int4g32 ? 32 : 0;
    if (group > 0) bits += (elements + group - 1) / group * kInt4ScaleBits;
    return (bits + 7) / 8;
}

}  // namespace fmsim::workloads
