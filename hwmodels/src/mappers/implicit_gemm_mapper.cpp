// "implicit_gemm": a convolution as one GEMM per group: m = batch x output pixels, n = output
// channels, k = input channels x kernel window (per group), on the GEMM tilings (gemm_tiling.hpp).
#include "gemm_tiling.hpp"
#include "plan_inputs.hpp"

namespace fmsim::hwmodels::mappers {
namespace {

using workloads::ConvDims;

class ImplicitGemmMapper final : public InputsMapper<GemmInputs> {
public:
    workloads::Op part(const workloads::Op& op, std::int64_t launches) const override {
        return batch_part<ConvDims>(op, launches);
    }

protected:
    GemmInputs inputs(const workloads::Op& op, const RuntimeSpec& rt) const override {
        const ConvDims& c = dims_of<ConvDims>(op, "implicit_gemm");
        std::int64_t out_pixels = 1, kernel = 1;
        for (auto v : c.out_spatial) out_pixels *= v;
        for (auto v : c.kernel) kernel *= v;
        const DType a = first_read_dtype(op);
        return {c.groups, c.batch * out_pixels, c.out_channels / c.groups, c.in_channels / c.groups * kernel, a, a,
                first_write_dtype(op), op.math_dtype, op.flops, op_bytes(op), rt.kernel_bandwidth_fraction};
    }

    TileProgram plan_inputs(const GemmInputs& in, const HardwareSpec& hw) const override {
        return plan_gemm_tiles(in, hw);
    }
};

const MapperRegistrar kImplicitGemm{"implicit_gemm", [] { return std::make_unique<ImplicitGemmMapper>(); }};

}  // namespace
}  // namespace fmsim::hwmodels::mappers
