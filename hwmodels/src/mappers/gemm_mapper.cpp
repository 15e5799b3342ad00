// "gemm" (activation x weight: a linear layer) and "batched_gemm" (activation x activation:
// attention scores, attention x V): matrix products on the GEMM tilings (gemm_tiling.hpp).
#include <cmath>

#include "gemm_tiling.hpp"
#include "plan_inputs.hpp"

namespace fmsim::hwmodels::mappers {
namespace {

using workloads::GemmDims;
using workloads::TensorClass;

// `t` as a flat tensor of `fraction` of its elements (one of several kernels sharing it).
workloads::TensorRef part_of(const workloads::TensorRef& t, double fraction) {
    workloads::TensorRef out = t;
    out.shape = {static_cast<std::int64_t>(std::ceil(static_cast<double>(workloads::element_count(t.shape)) * fraction))};
    return out;
}

class GemmMapper final : public InputsMapper<GemmInputs> {
public:
    // `b_is_second_read`: B is the op's second read (a batched product of two activations), not
    // its weight.
    explicit GemmMapper(bool b_is_second_read) : b_is_second_read_(b_is_second_read) {}

    // One of `launches` GEMMs over equal parts of the output columns (separate q, k and v
    // projections): each reads its part of the weights and writes its part of the output.
    workloads::Op part(const workloads::Op& op, std::int64_t launches) const override {
        workloads::Op o = op;
        const double f = 1.0 / static_cast<double>(launches);
        o.flops *= f;
        auto& g = std::get<GemmDims>(o.dims);
        g.n = ceil_div(g.n, launches);
        for (auto& r : o.reads)
            if (r.cls == TensorClass::weight) r = part_of(r, f);
        for (auto& w : o.writes) w = part_of(w, f);
        return o;
    }

protected:
    GemmInputs inputs(const workloads::Op& op, const RuntimeSpec& rt) const override {
        const GemmDims& g = dims_of<GemmDims>(op, b_is_second_read_ ? "batched_gemm" : "gemm");
        // B: the weight, or a KV cache; a weight stored narrower (int4) moves at its own width.
        DType b = DType::bf16;
        for (const auto& r : op.reads)
            if (r.cls == TensorClass::weight || r.cls == TensorClass::kv_cache) b = r.dtype;
        if (b_is_second_read_ && op.reads.size() > 1) b = op.reads[1].dtype;
        return {g.batch, g.m, g.n, g.k, first_read_dtype(op), b, first_write_dtype(op), op.math_dtype,
                op.flops, op_bytes(op), rt.kernel_bandwidth_fraction};
    }

    TileProgram plan_inputs(const GemmInputs& in, const HardwareSpec& hw) const override {
        return plan_gemm_tiles(in, hw);
    }

private:
    bool b_is_second_read_;
};

const MapperRegistrar kGemm{"gemm", [] { return std::make_unique<GemmMapper>(false); }};
const MapperRegistrar kBatchedGemm{"batched_gemm", [] { return std::make_unique<GemmMapper>(true); }};

}  // namespace
}  // namespace fmsim::hwmodels::mappers
