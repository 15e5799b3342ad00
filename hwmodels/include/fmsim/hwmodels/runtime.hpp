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
    RowKernelSpec softmax;
    RowKernelSpec norm;  // LayerNorm and RMSNorm

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
