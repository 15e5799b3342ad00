// "collective": all-reduces and friends are data exchanged among devices. The replay times them
// with the communication model over the links (replay_graph's CommModel, collective.hpp) and
// skips them on one device; they have no tile program. Planning one is an internal error, where a
// local streaming kernel over the buffer would be a silently wrong price.
#include <stdexcept>
#include <string>

#include "kernel_math.hpp"
#include "plan_inputs.hpp"

namespace fmsim::hwmodels::mappers {
namespace {

using workloads::CollectiveDims;

// What identifies a collective's cost (an Inputs record): the same fields the replay's
// collective cache keys on.
struct CollectiveInputs {
    workloads::CollectiveKind kind;
    workloads::ParallelAxis axis;
    std::int64_t group, bytes;
};

class CollectiveMapper final : public InputsMapper<CollectiveInputs> {
protected:
    CollectiveInputs inputs(const workloads::Op& op, const RuntimeSpec&) const override {
        const CollectiveDims& c = dims_of<CollectiveDims>(op, "collective");
        return {c.kind, c.axis, c.group, c.bytes};
    }

    TileProgram plan_inputs(const CollectiveInputs& in, const HardwareSpec&) const override {
        throw std::logic_error("a " + std::string(workloads::to_string(in.kind)) + " over " +
                               std::to_string(in.group) +
                               " devices is timed by the communication model (collective.hpp), not planned as a kernel");
    }
};

const MapperRegistrar kCollective{"collective", [] { return std::make_unique<CollectiveMapper>(); }};

}  // namespace
}  // namespace fmsim::hwmodels::mappers
