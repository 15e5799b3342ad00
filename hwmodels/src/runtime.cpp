#include "fmsim/hwmodels/runtime.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::hwmodels {

using workloads::ConfigContext;
using workloads::json;
using workloads::Schema;

namespace {

const Schema<RowKernelSpec>& row_kernel_schema() {
    static const auto s =
        Schema<RowKernelSpec>("runtime.softmax / runtime.norm",
                              "The library's row-wise kernel: one pass while a row fits its on-chip algorithm, "
                              "several reads of the input beyond.")
            .integer("single_pass_max_cols", &RowKernelSpec::single_pass_max_cols, 0, "elements",
                     "Widest row read once; 0 = every width.", 0)
            .number("multi_pass_reads", &RowKernelSpec::multi_pass_reads, 1.0, "reads",
                    "Reads of the input per call for wider rows (the output is written once).", 1);
    return s;
}

const Schema<RuntimeSpec>& runtime_schema() {
    static const auto s = [] {
        Schema<RuntimeSpec> s("runtime", "A software stack (configs/runtime/NAME.json): what the host costs per "
                                         "kernel and which kernel algorithms its libraries pick. Every value "
                                         "carries its source in `sources`.");
        s.string("description", &RuntimeSpec::description, std::nullopt, "One line: what the stack is.")
            .sources("sources", &RuntimeSpec::sources, "Where each value comes from.")
            .number("dispatch_gemm_us", &RuntimeSpec::dispatch_gemm_us, std::nullopt, "us",
                    "Host time of one GEMM or convolution call before the driver launches its kernel (framework "
                    "dispatch, BLAS algorithm selection).")
            .number("dispatch_other_us", &RuntimeSpec::dispatch_other_us, std::nullopt, "us",
                    "Host time of any other op call before its launch.")
            .number("sync_us", &RuntimeSpec::sync_us, std::nullopt, "us",
                    "Host wake-up after the device finishes: paid by a synchronising call and at the end of "
                    "each stage (a decode step returns its token to the host).")
            .boolean("cuda_graphs", &RuntimeSpec::cuda_graphs, false,
                     "Kernels are replayed from a captured graph: no dispatch or driver launch per kernel.")
            .number("graph_launch_us", &RuntimeSpec::graph_launch_us, 0.0, "us",
                    "Host cost of launching one captured graph (one per stage); with cuda_graphs only.")
            .number("graph_kernel_gap_us", &RuntimeSpec::graph_kernel_gap_us, 0.0, "us",
                    "Device-side gap between consecutive kernels of a graph; with cuda_graphs only.")
            .fraction("kernel_bandwidth_fraction", &RuntimeSpec::kernel_bandwidth_fraction, 1.0,
                    "Fraction of the device's streaming bandwidth (hardware memory.stream_efficiency x peak) "
                    "that this stack's kernels reach on their DRAM traffic; 1 when its libraries stream at "
                    "STREAM speed.");
        for (auto [key, member, what] : {std::tuple{"softmax", &RuntimeSpec::softmax, "The softmax kernel."},
                                         std::tuple{"norm", &RuntimeSpec::norm, "The LayerNorm/RMSNorm kernel."}})
            s.custom(key, "object (runtime.softmax / runtime.norm)", "{} (one pass)", what,
                     [member](RuntimeSpec& r, const json& j, const ConfigContext& at) {
                         if (!j.is_object()) at.fail("expected an object, got " + workloads::json_type_name(j));
                         r.*member = row_kernel_schema().parse(j, at);
                     },
                     [member](RuntimeSpec& r) { r.*member = RowKernelSpec{}; });
        return s;
    }();
    return s;
}

std::filesystem::path runtime_dir() { return workloads::config_dir() / "runtime"; }

}  // namespace

double RuntimeSpec::dispatch_s(const workloads::Op& op) const {
    if (cuda_graphs) return 0;
    const bool gemm = op.kind == workloads::OpKind::matmul || op.kind == workloads::OpKind::batched_matmul ||
                      std::holds_alternative<workloads::ConvDims>(op.dims);
    return (gemm ? dispatch_gemm_us : dispatch_other_us) * 1e-6;
}

std::vector<std::string> runtime_names() { return workloads::json_file_stems(runtime_dir()); }

RuntimeSpec load_runtime(const std::string& name_or_path) {
    const auto path = workloads::preset_path(name_or_path, runtime_dir(), "runtime", "presets");
    const json j = workloads::read_json_file(path);
    RuntimeSpec r = runtime_schema().parse(j, ConfigContext{path.string(), ""});
    r.name = path.stem().string();
    return r;
}

std::vector<workloads::SchemaDoc> runtime_schema_docs() {
    return {runtime_schema().doc(), row_kernel_schema().doc()};
}

}  // namespace fmsim::hwmodels
