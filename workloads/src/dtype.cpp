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
constexpr std::array<DTypeInfo, 8> kDTypes{{
    {DType::fp32, "fp32", 32},
    {DType::tf32, "tf32", 32},
    {DType::bf16, "bf16", 16},
    {DType::fp16, "fp16", 16},
    {DType::fp8, "fp8", 8},
    {DType::int8, "int8", 8},
    {DType::int4, "int4", 4},
    {DType::int32, "int32", 32},
}};
constexpr std::size_t kPrecisionCount = 7;  // int32 is for indices only

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

std::string dtype_names() {
    std::string out;
    for (std::size_t i = 0; i < kPrecisionCount; ++i) {
        if (!out.empty()) out += ", ";
        out += kDTypes[i].name;
    }
    return out;
}

std::int64_t storage_bytes(std::int64_t elements, DType t) {
    return (elements * bits_per_element(t) + 7) / 8;
}

}  // namespace fmsim::workloads
