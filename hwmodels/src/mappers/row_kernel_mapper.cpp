// "softmax_rows" and "norm_rows": reductions along each row (softmax, layer and RMS norms) as the
// runtime's library runs them: one pass up to a row width, several beyond it (RowKernelSpec).
#include <algorithm>

#include "plan_inputs.hpp"
#include "streaming_kernel.hpp"

namespace fmsim::hwmodels::mappers {
namespace {

// What a row kernel reads (an Inputs record): the input's rows, the library's kernel choice, and
// the streaming kernel's inputs.
struct RowInputs {
    std::int64_t rows, cols;
    std::int64_t x_bytes;  // the row-wise input (the op's first read)
    std::int64_t single_pass_max_cols;
    double multi_pass_reads, one_pass_row_cycles;
    double flops;
    std::int64_t bytes;
    DType in_type;
};

class RowKernelMapper final : public InputsMapper<RowInputs> {
public:
    // `kernel`: the runtime's spec of this kind of row kernel.
    explicit RowKernelMapper(RowKernelSpec RuntimeSpec::*kernel) : kernel_(kernel) {}

protected:
    RowInputs inputs(const workloads::Op& op, const RuntimeSpec& rt) const override {
        const auto& x = op.reads.front();
        const std::int64_t cols = std::max<std::int64_t>(1, x.shape.back());
        const RowKernelSpec& k = rt.*kernel_;
        const StreamInputs s = stream_inputs(op);
        return {workloads::element_count(x.shape) / cols, cols, x.bytes(), k.single_pass_max_cols,
                k.multi_pass_reads, k.one_pass_row_cycles, s.flops, s.bytes, s.in_type};
    }

    TileProgram plan_inputs(const RowInputs& in, const HardwareSpec& hw) const override {
        double reread = 0, serial_cycles = 0;
        if (in.single_pass_max_cols > 0 && in.cols > in.single_pass_max_cols)
            reread = (in.multi_pass_reads - 1) * static_cast<double>(in.x_bytes);
        else  // the one-pass kernel: one row per program, the rows dealt over the cores
            serial_cycles = static_cast<double>(ceil_div(in.rows, hw.cores)) * in.one_pass_row_cycles;
        TileProgram p = plan_stream({in.flops, in.bytes, in.in_type}, hw, in.rows, reread);
        p.serial_cycles_per_core = serial_cycles;
        return p;
    }

private:
    RowKernelSpec RuntimeSpec::*kernel_;
};

const MapperRegistrar kSoftmaxRows{"softmax_rows", [] { return std::make_unique<RowKernelMapper>(&RuntimeSpec::softmax); }};
const MapperRegistrar kNormRows{"norm_rows", [] { return std::make_unique<RowKernelMapper>(&RuntimeSpec::norm); }};

}  // namespace
}  // namespace fmsim::hwmodels::mappers
