// "stream": element-wise kernels (adds, activations, gathers, optimizer updates, copies) as
// streaming kernels over their bytes.
#include "plan_inputs.hpp"
#include "streaming_kernel.hpp"

namespace fmsim::hwmodels::mappers {
namespace {

class StreamMapper final : public InputsMapper<StreamInputs> {
protected:
    StreamInputs inputs(const workloads::Op& op, const RuntimeSpec&) const override { return stream_inputs(op); }
    TileProgram plan_inputs(const StreamInputs& in, const HardwareSpec& hw) const override {
        return plan_stream(in, hw, 0, 0);
    }
};

const MapperRegistrar kStream{"stream", [] { return std::make_unique<StreamMapper>(); }};

}  // namespace
}  // namespace fmsim::hwmodels::mappers
