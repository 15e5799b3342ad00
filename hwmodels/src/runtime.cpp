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
                    "Reads of the input per call for wider rows (the output is written once).", 1)
            .number("one_pass_row_cycles", &RowKernelSpec::one_pass_row_cycles, 0.0, "cycles",
                    "Core cycles each row of a one-pass call costs beyond its bytes, not overlapped with them "
                    "(the rows are spread over the cores): a slow cross-lane reduction, as in the 2-D persistent "
                    "reductions of ROCm's 2023 Triton (pytorch/pytorch#102444). 0 = hidden under the stream.", 0);
    return s;
}

const Schema<KernelStep>& kernel_step_schema() {
    static const auto s =
        Schema<KernelStep>("runtime.op_kernels[].kernels[]",
                           "One kernel the stack launches for the op; bytes are multiples of the op's own tensors.")
            .string("name", &KernelStep::name, std::nullopt, "What the kernel does (shown in reports).")
            .boolean("op", &KernelStep::op, false,
                     "The op's own kernel, planned as without the rule; with `launches` > 1 a GEMM runs as that "
                     "many GEMMs over equal parts of its output columns (separate q, k and v projections).")
            .integer("launches", &KernelStep::launches, 1, "kernels",
                     "The step runs as this many kernels sharing its work evenly (one per tensor of a pair).", 1)
            .number("input_bytes", &KernelStep::input_bytes, 0.0, "x op input",
                    "Bytes read plus written, as multiples of the op's activation-input bytes (an fp32 copy of a "
                    "16-bit input read once and written once: 1 + 2 = 3).", 0)
            .number("output_bytes", &KernelStep::output_bytes, 0.0, "x op output",
                    "Bytes read plus written, as multiples of the op's activation-output bytes.", 0)
            .number("kv_cache_bytes", &KernelStep::kv_cache_bytes, 0.0, "x op KV cache",
                    "Bytes read plus written, as multiples of the KV-cache bytes the op reads (a concatenation "
                    "that copies the cache into a new tensor: 2).", 0)
            .boolean("weights", &KernelStep::weights, false, "The kernel also reads the op's weights.")
            .boolean("when_cached", &KernelStep::when_cached, false,
                     "Launched only when the op reads a KV cache (there is something to concatenate to).");
    return s;
}

const Schema<OpKernels>& op_kernels_schema() {
    static const auto s = [] {
        Schema<OpKernels> s("runtime.op_kernels[]",
                            "The kernels the stack launches for every forward op of a kind (and name) in place of "
                            "the graph's one kernel: model code run eagerly decomposes what fmsim's graph fuses.");
        s.choice("kind", &OpKernels::kind, workloads::op_kind_names(), std::nullopt, "The op kind the rule applies to.")
            .string("name", &OpKernels::name, "",
                    "The last dotted part of the op's name (`rope`, `qkv_proj`: `fmsim graph --export-json` lists "
                    "them); empty = every op of the kind.")
            .custom("families", "list of strings", "[] (every model)",
                    "Model families (the config's model_type: llama, mistral, gpt2, ...) whose code the rule "
                    "describes; a model of another family runs the op as one kernel.",
                    [](OpKernels& r, const json& j, const ConfigContext& at) {
                        workloads::schema_detail::for_each_in_list(
                            j, at, "model families", false, [&](const json& v, const ConfigContext& here) {
                                if (!v.is_string())
                                    here.fail("expected a model family (string), got " + workloads::json_type_name(v));
                                r.families.push_back(v.get<std::string>());
                            });
                    },
                    [](OpKernels& r) { r.families.clear(); })
            .string("source", &OpKernels::source, std::nullopt, "The code the kernels were counted from.")
            .custom("kernels", "list of objects (runtime.op_kernels[].kernels[])", "required",
                    "The kernels, in launch order; an empty list launches nothing (another op's kernels do its work).",
                    [](OpKernels& r, const json& j, const ConfigContext& at) {
                        int op_steps = 0;
                        workloads::schema_detail::for_each_in_list(
                            j, at, "kernels", false, [&](const json& v, const ConfigContext& here) {
                                KernelStep k = kernel_step_schema().parse(v, here);
                                if (k.op && (k.input_bytes > 0 || k.output_bytes > 0 || k.kv_cache_bytes > 0 || k.weights))
                                    here.fail("expected no bytes on the op's own kernel (it moves the op's bytes)");
                                if (k.op && ++op_steps > 1) here.fail("expected at most one kernel with \"op\": true");
                                r.kernels.push_back(std::move(k));
                            });
                    },
                    nullptr);
        return s;
    }();
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
            .number("context_memory_mb", &RuntimeSpec::context_memory_mb, 0.0, "MB",
                    "Device memory the stack holds before its first tensor (the CUDA context, library "
                    "handles, loaded kernel images); counted in every memory timeline and verdict.", 0)
            .choice("attention", &RuntimeSpec::attention, {"any", "fused", "unfused"}, "any",
                    "The attention the stack's model code runs, used by runs that leave `attention` at auto: "
                    "fused (a FlashAttention-style kernel), unfused (scores, softmax and context as separate "
                    "kernels: model code before fused attention), or any (fused unless the run says otherwise).")
            .fraction("kernel_bandwidth_fraction", &RuntimeSpec::kernel_bandwidth_fraction, 1.0,
                    "Fraction of the device's streaming bandwidth (hardware memory.stream_efficiency x peak) "
                    "that this stack's kernels reach on their DRAM traffic; 1 when its libraries stream at "
                    "STREAM speed.");
        for (auto [key, member, what] : {std::tuple{"softmax", &RuntimeSpec::softmax, "The softmax kernel."},
                                         std::tuple{"norm", &RuntimeSpec::norm, "The LayerNorm/RMSNorm kernel."}})
            s.custom(key, "object (runtime.softmax / runtime.norm)", "{} (one pass)", what,
                     // Init-captures: clang 14 (the fuzz build) cannot capture a structured binding.
                     [m = member](RuntimeSpec& r, const json& j, const ConfigContext& at) {
                         if (!j.is_object()) at.fail("expected an object, got " + workloads::json_type_name(j));
                         r.*m = row_kernel_schema().parse(j, at);
                     },
                     [m = member](RuntimeSpec& r) { r.*m = RowKernelSpec{}; });
        s.custom("op_kernels", "list of objects (runtime.op_kernels[])", "[] (one kernel per op)",
                 "Ops the stack runs as several kernels, tried in order (the first matching rule applies). "
                 "Forward ops only.",
                 [](RuntimeSpec& r, const json& j, const ConfigContext& at) {
                     workloads::schema_detail::for_each_in_list(j, at, "rules", false,
                                                                [&](const json& v, const ConfigContext& here) {
                                                                    r.op_kernels.push_back(op_kernels_schema().parse(v, here));
                                                                });
                 },
                 [](RuntimeSpec& r) { r.op_kernels.clear(); });
        return s;
    }();
    return s;
}

std::filesystem::path runtime_dir() { return workloads::config_dir() / "runtime"; }

}  // namespace

double RuntimeSpec::dispatch_s(const workloads::Op& op) const {
    if (cuda_graphs) return 0;
    const bool gemm = workloads::op_traits(op.kind).kernel == workloads::KernelClass::gemm;
    return (gemm ? dispatch_gemm_us : dispatch_other_us) * 1e-6;
}

const OpKernels* RuntimeSpec::kernels_for(const workloads::Op& op) const {
    if (op_kernels.empty() || op.phase != workloads::Phase::forward) return nullptr;
    const std::string_view kind = workloads::to_string(op.kind);
    const std::size_t dot = op.name.rfind('.');
    const std::string_view leaf = dot == std::string::npos ? std::string_view(op.name)
                                                           : std::string_view(op.name).substr(dot + 1);
    for (const OpKernels& r : op_kernels)
        if (r.kind == kind && (r.name.empty() || r.name == leaf)) return &r;
    return nullptr;
}

RuntimeSpec RuntimeSpec::for_model_family(const std::string& family) const {
    RuntimeSpec r = *this;
    std::erase_if(r.op_kernels, [&](const OpKernels& k) {
        return !k.families.empty() && std::find(k.families.begin(), k.families.end(), family) == k.families.end();
    });
    return r;
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
    return {runtime_schema().doc(), row_kernel_schema().doc(), op_kernels_schema().doc(), kernel_step_schema().doc()};
}

}  // namespace fmsim::hwmodels
