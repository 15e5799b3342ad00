// What a run changed, ignored or fell back from, said to the user (report.hpp, run_notes): each
// note is a `note:` line of the text report and an entry of the JSON report's `warnings`.
#include <string>
#include <vector>

#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/sim/report.hpp"
#include "fmsim/sim/scenario.hpp"

namespace fmsim::sim {

namespace {

using workloads::DType;
using workloads::RunPhase;

// Matrix math the device has no rate for runs on another path (mappers' math_path).
void note_math_fallback(const Scenario& sc, std::vector<std::string>& notes) {
    if (!sc.hardware) return;
    const DType asked = workloads::math_format(sc.run.precision.math);
    const auto path = hwmodels::gemm_math_path(*sc.hardware, asked);
    const std::string device = sc.hardware->name;
    if (path.engine == hwmodels::EngineKind::vector)
        notes.push_back(std::string(to_string(asked)) + " math: " + device + " has no matrix path for it; its GEMMs run on the " +
                        std::string(to_string(path.dtype)) + " vector units");
    else if (path.dtype != asked)
        notes.push_back(std::string(to_string(asked)) + " math: " + device + " has no " + std::string(to_string(asked)) +
                        " matrix rate; its GEMMs run at the " + std::string(to_string(path.dtype)) +
                        " rate (the weights keep their " + std::string(to_string(sc.run.precision.weights)) +
                        " storage)");
}

// A training run's batch per step comes from training.global_batch(_tokens), not `batch`.
void note_training_batch(const Scenario& sc, const RunReport& r, std::vector<std::string>& notes) {
    if (!r.training || sc.run.batch == 1 || sc.run.batch == r.training->global_batch) return;
    notes.push_back("batch " + std::to_string(sc.run.batch) + " is not used by a training run: each step takes " +
                    std::to_string(r.training->global_batch) + " sequences (training.global_batch" +
                    (sc.training && sc.training->global_batch == 0 ? "_tokens" : "") + "), in micro-batches of " +
                    std::to_string(sc.parallelism.microbatch_size) + " (parallelism.microbatch_size)");
}

// Inference under data parallelism: every figure per op or per device is one replica's.
void note_data_parallel(const Scenario& sc, const RunReport& r, std::vector<std::string>& notes) {
    if (r.training || sc.parallelism.dp <= 1) return;
    notes.push_back("batch " + std::to_string(sc.run.batch) + " is split over " + std::to_string(sc.parallelism.dp) +
                    " data-parallel replicas: each runs batch " + std::to_string(r.graph.workload.run.batch) +
                    " (the header's batch, the per-op figures and the memory are one replica's)");
}

// CUDA graph replay is a GPU runtime's feature.
void note_cuda_graphs(const Scenario& sc, std::vector<std::string>& notes) {
    if (!sc.hardware || !sc.runtime.cuda_graphs) return;
    const auto kind = sc.hardware->kind;
    if (kind != hwmodels::DeviceKind::tpu && kind != hwmodels::DeviceKind::npu) return;
    notes.push_back("runtime " + sc.runtime.name + " replays CUDA graphs, which " + sc.hardware->name + " (a " +
                    std::string(to_string(kind)) + ") does not run; its launches are priced as that runtime describes them");
}

}  // namespace

std::vector<std::string> run_notes(const Scenario& sc, const RunReport& r) {
    std::vector<std::string> notes;
    note_math_fallback(sc, notes);
    note_training_batch(sc, r, notes);
    note_data_parallel(sc, r, notes);
    note_cuda_graphs(sc, notes);
    return notes;
}

}  // namespace fmsim::sim
