#include "fmsim/workloads/op_kind.hpp"

#include <stdexcept>

namespace fmsim::workloads {

const OpKindTraits& op_traits(OpKind k) {
    const auto i = static_cast<std::size_t>(k);
    if (i >= kOpKindCount)
        throw std::logic_error("op kind " + std::to_string(i) + " has no trait record in kOpKindTraits (op_kind.hpp)");
    return kOpKindTraits[i];
}

std::string_view to_string(OpKind k) { return op_traits(k).name; }

OpKind parse_op_kind(std::string_view name) {
    for (const OpKindTraits& t : kOpKindTraits)
        if (t.name == name) return t.kind;
    std::string known;
    for (const OpKindTraits& t : kOpKindTraits) known += (known.empty() ? "" : ", ") + std::string(t.name);
    throw std::invalid_argument("unknown op kind \"" + std::string(name) + "\"; known kinds: " + known);
}

std::vector<std::string> op_kind_names() {
    std::vector<std::string> out;
    for (const OpKindTraits& t : kOpKindTraits) out.emplace_back(t.name);
    return out;
}

}  // namespace fmsim::workloads
