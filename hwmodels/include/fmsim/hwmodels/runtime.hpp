#pragma once
// The software stack that drives a device, as data: configs/runtime/NAME.json, parsed once into
// this immutable RuntimeSpec. It says what the host costs per kernel (framework dispatch, the
// driver launch, CUDA graphs), what a synchronising call adds, and which kernel algorithms its
// libraries pick where that changes the bytes moved (docs/hardware-model.md, "Runtime").
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fmsim/workloads/model.hpp"
#include "fmsim/workloads/op.hpp"

namespace fmsim::hwmodels {

// Row-wise kernels (softmax, LayerNorm/RMSNorm) keep a row on chip up to a width, and re-read it
// from memory beyond that (a multi-pass algorithm).
struct RowKernelSpec {
    std::int64_t single_pass_max_cols = 0;  // 0: always one pass
    double multi_pass_reads = 1;            // reads of the input per call beyond that width
    double one_pass_row_cycles = 0;         // core cycles per row of the one-pass kernel, not overlapped with its bytes
};

// One kernel a stack launches for an op (a step of an OpKernels rule). Its bytes are multiples of
// the op's own tensors, so one rule serves every shape.
struct KernelStep {
    std::string name;
    bool op = false;             // the op's own kernel as the mapper plans it (a GEMM split over n by `launches`)
    std::int64_t launches = 1;   // the step runs as this many kernels sharing its work evenly
    double input_bytes = 0;      // bytes read + written, in multiples of the op's activation-input bytes
    double output_bytes = 0;     // ... of its activation-output bytes
    double kv_cache_bytes = 0;   // ... of the KV-cache bytes it reads
    bool weights = false;        // also reads the op's weights
    bool when_cached = false;    // launched only when the op reads a KV cache (a concatenation grows it)
};

// The kernels a stack launches for the forward ops of one kind (and optionally one name) in place of
// the graph's one: eager model code decomposes what fmsim's graph fuses (docs/hardware-model.md).
struct OpKernels {
    std::string kind;  // an op kind (fmsim graph --export-json)
    std::string name;  // the op name's last dotted part ("rope", "qkv_proj"); "" = any op of the kind
    std::vector<std::string> families;  // model families (Hugging Face model_type) it describes; empty = all
    std::string source;
    std::vector<KernelStep> kernels;
};

struct RuntimeSpec {
    std::string name;  // preset name (file stem)
    std::string description;
    std::map<std::string, std::string> sources;
    double dispatch_gemm_us = 0;   // host time per GEMM/convolution call before the driver launch
    double dispatch_other_us = 0;  // ... per other op call
    double sync_us = 0;            // host wake-up once the device is done (a synchronising call, a stage's end)
    bool cuda_graphs = false;      // kernels replayed from a captured graph: no per-op dispatch or launch
    double graph_launch_us = 0;    // host cost of launching one captured graph (one per stage)
    double graph_kernel_gap_us = 0;  // device-side gap between kernels of a graph
    double kernel_bandwidth_fraction = 1;  // of the device's streaming bandwidth, reached by this stack's kernels
    double context_memory_mb = 0;  // device memory the stack holds before any tensor (CUDA context, kernel images)
    std::string attention = "any";  // the attention its model code runs: "fused", "unfused", or "any" (the run's choice)
    RowKernelSpec softmax;
    RowKernelSpec norm;  // LayerNorm and RMSNorm
    std::vector<OpKernels> op_kernels;  // tried in order; the first match applies

    // The rule for a forward op, or null (the op is one kernel).
    const OpKernels* kernels_for(const workloads::Op& op) const;
    // This stack running a model of `family`: the op_kernels rules that describe its code.
    RuntimeSpec for_model_family(const std::string& family) const;

    // Host dispatch of one call of `op` (0 under CUDA graphs).
    double dispatch_s(const workloads::Op& op) const;
};

// The default when a run names none: PyTorch eager mode, the stack the A100 measurements were
// taken with (docs/validation.md).
inline constexpr const char* kDefaultRuntime = "pytorch-eager";

std::vector<std::string> runtime_names();
// A preset name or a path to a runtime JSON file.
RuntimeSpec load_runtime(const std::string& name_or_path);
std::vector<workloads::SchemaDoc> runtime_schema_docs();

}  // namespace fmsim::hwmodels
