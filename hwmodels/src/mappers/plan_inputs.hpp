#pragma once
// A mapper whose tile program is a function of one record of inputs (its `Inputs`: plain scalar
// fields) read from the op and the runtime. plan() and append_plan_key() both start from
// inputs(op, rt), and the key is every field of that record, enumerated by the compiler, so what
// the plan reads and what the key holds cannot drift apart.
#include <cstddef>
#include <string>
#include <type_traits>

#include "fmsim/hwmodels/mapper.hpp"

namespace fmsim::hwmodels::mappers {

namespace plan_inputs_detail {
// Converts to any field type (declared only: used in unevaluated aggregate initialisations).
struct AnyField {
    template <class T>
    constexpr operator T() const noexcept;
};

// The number of fields of aggregate T whose fields are all scalars: the most initialisers it takes.
template <class T, class... Given>
constexpr std::size_t field_count() {
    if constexpr (requires { T{Given{}..., AnyField{}}; }) return field_count<T, Given..., AnyField>();
    else return sizeof...(Given);
}
}  // namespace plan_inputs_detail

inline constexpr std::size_t kMaxInputFields = 14;

// Calls f on each field of `record`, in declaration order.
template <class Record, class F>
void for_each_field(const Record& record, F&& f) {
    static_assert(std::is_aggregate_v<Record>, "an Inputs record is a plain aggregate");
    constexpr std::size_t n = plan_inputs_detail::field_count<Record>();
    static_assert(n >= 1 && n <= kMaxInputFields, "an Inputs record has 1 to kMaxInputFields fields");
    if constexpr (n == 1) {
        const auto& [f0] = record;
        f(f0);
    } else if constexpr (n == 2) {
        const auto& [f0, f1] = record;
        f(f0); f(f1);
    } else if constexpr (n == 3) {
        const auto& [f0, f1, f2] = record;
        f(f0); f(f1); f(f2);
    } else if constexpr (n == 4) {
        const auto& [f0, f1, f2, f3] = record;
        f(f0); f(f1); f(f2); f(f3);
    } else if constexpr (n == 5) {
        const auto& [f0, f1, f2, f3, f4] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4);
    } else if constexpr (n == 6) {
        const auto& [f0, f1, f2, f3, f4, f5] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5);
    } else if constexpr (n == 7) {
        const auto& [f0, f1, f2, f3, f4, f5, f6] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6);
    } else if constexpr (n == 8) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7);
    } else if constexpr (n == 9) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7); f(f8);
    } else if constexpr (n == 10) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7); f(f8); f(f9);
    } else if constexpr (n == 11) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7); f(f8); f(f9); f(f10);
    } else if constexpr (n == 12) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7); f(f8); f(f9); f(f10); f(f11);
    } else if constexpr (n == 13) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7); f(f8); f(f9); f(f10); f(f11); f(f12);
    } else if constexpr (n == 14) {
        const auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13] = record;
        f(f0); f(f1); f(f2); f(f3); f(f4); f(f5); f(f6); f(f7); f(f8); f(f9); f(f10); f(f11); f(f12); f(f13);
    }
}

// Appends every field of `record` as raw bytes.
template <class Record>
void append_fields(std::string& key, const Record& record) {
    for_each_field(record, [&](const auto& field) {
        using Field = std::remove_cvref_t<decltype(field)>;
        static_assert(std::is_scalar_v<Field>, "Inputs fields are scalars (numbers, enums, bools)");
        key.append(reinterpret_cast<const char*>(&field), sizeof field);
    });
}

template <class Inputs>
class InputsMapper : public Mapper {
public:
    TileProgram plan(const workloads::Op& op, const HardwareSpec& hw, const RuntimeSpec& rt) const final {
        return plan_inputs(inputs(op, rt), hw);
    }
    void append_plan_key(const workloads::Op& op, const RuntimeSpec& rt, std::string& key) const final {
        append_fields(key, inputs(op, rt));
    }

protected:
    // Everything the plan reads from the op and the runtime.
    virtual Inputs inputs(const workloads::Op& op, const RuntimeSpec& rt) const = 0;
    virtual TileProgram plan_inputs(const Inputs& in, const HardwareSpec& hw) const = 0;
};

}  // namespace fmsim::hwmodels::mappers
