// The mapper registry: names to factories, filled at static-initialisation time by the
// MapperRegistrar objects of hwmodels/src/mappers/*.cpp (mapper.hpp).
#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

#include "fmsim/hwmodels/mapper.hpp"
#include "mappers/kernel_math.hpp"

namespace fmsim::hwmodels {

namespace {

struct Registered {
    MapperFactory factory;
    std::unique_ptr<Mapper> instance;  // made at registration: the registry is read-only afterwards
};

std::map<std::string, Registered, std::less<>>& registry() {
    static std::map<std::string, Registered, std::less<>> r;
    return r;
}

std::string names_text() {
    std::string out;
    for (const auto& name : mapper_names()) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

workloads::Op Mapper::part(const workloads::Op& op, std::int64_t launches) const {
    return mappers::leading_dimension_part(op, launches);
}

MapperRegistrar::MapperRegistrar(std::string name, MapperFactory factory) {
    auto instance = factory();
    const auto [at, added] = registry().try_emplace(std::move(name), Registered{std::move(factory), std::move(instance)});
    if (!added) throw std::logic_error("mapper \"" + at->first + "\" is registered twice");
}

const Mapper& find_mapper(std::string_view name) {
    const auto& r = registry();
    if (auto it = r.find(name); it != r.end()) return *it->second.instance;
    throw std::invalid_argument("unknown mapper \"" + std::string(name) + "\"; registered mappers: " + names_text());
}

std::vector<std::string> mapper_names() {
    std::vector<std::string> out;
    for (const auto& [name, entry] : registry()) out.push_back(name);
    return out;  // a std::map keeps them sorted
}

const Mapper& mapper_for(workloads::OpKind kind) {
    // Looked up once per kind (the replay asks for every op).
    static const auto by_kind = [] {
        std::array<const Mapper*, workloads::kOpKindCount> out{};
        for (const auto& t : workloads::kOpKindTraits) out[static_cast<std::size_t>(t.kind)] = &find_mapper(t.mapper);
        return out;
    }();
    return *by_kind[static_cast<std::size_t>(workloads::op_traits(kind).kind)];
}

}  // namespace fmsim::hwmodels
