#pragma once
// A mapper plans the kernel of an op as a tile program: one implementation per kernel algorithm
// (GEMM tiling, FlashAttention, row-wise and streaming kernels), each in its own file under
// hwmodels/src/mappers/ and registered there by name. An op kind's trait record names its mapper
// (workloads/op_kind.hpp); plan_op (mapping.hpp) looks it up. No SystemC here.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fmsim/hwmodels/mapping.hpp"

namespace fmsim::hwmodels {

class Mapper {
public:
    virtual ~Mapper() = default;
    // The op's kernel on `hw` as `rt`'s libraries run it. Precondition: the op's kind names this
    // mapper (the op carries the dims the mapper reads).
    virtual TileProgram plan(const workloads::Op& op, const HardwareSpec& hw, const RuntimeSpec& rt) const = 0;
    // Appends, as raw bytes, every value plan() reads from `op` and `rt`: ops with equal keys get
    // equal tile programs on one device.
    virtual void append_plan_key(const workloads::Op& op, const RuntimeSpec& rt, std::string& key) const = 0;
    // The op's kernel as one of `launches` equal kernels (a runtime rule's `launches`): by default
    // each takes 1/launches of the leading (batch) dimension of every tensor.
    virtual workloads::Op part(const workloads::Op& op, std::int64_t launches) const;
};

using MapperFactory = std::function<std::unique_ptr<Mapper>()>;

// Registers `factory` under `name` at static-initialisation time (a namespace-scope object in the
// implementation's file; hwmodels is an OBJECT library, so the linker keeps it). Throws
// std::logic_error for a name registered twice.
struct MapperRegistrar {
    MapperRegistrar(std::string name, MapperFactory factory);
};

// The mapper registered as `name`, made once; throws std::invalid_argument naming the registered
// mappers for an unknown name.
const Mapper& find_mapper(std::string_view name);
std::vector<std::string> mapper_names();  // sorted

// The mapper of `kind`'s trait record.
const Mapper& mapper_for(workloads::OpKind kind);

}  // namespace fmsim::hwmodels
