#pragma once
// Scenario files: the what-if a user runs with `fmsim run` (docs/scenarios.md). A file is read,
// patched by `--set` overrides, validated once and resolved into this immutable Scenario: the
// model, the device and the software stack are loaded, every default is filled in.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/link.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/workloads/model.hpp"

namespace fmsim::sim {

struct SystemSpec {
    std::int64_t devices = 1;
    std::int64_t devices_per_node = 1;
    std::optional<hwmodels::LinkSpec> intra_node;  // links inside a node (needed with > 1 device per node)
    std::optional<hwmodels::LinkSpec> inter_node;  // links across nodes (needed with > 1 node)
};

struct ParallelismSpec {
    std::int64_t tp = 1, pp = 1, dp = 1, ep = 1;
    bool sp = false;
    std::int64_t zero = 0;          // ZeRO stage 0-3 (3 = FSDP): what dp shards
    std::int64_t microbatch_size = 1;  // sequences per micro-batch (training)
    std::int64_t virtual_stages = 1;   // model chunks per pipeline device (interleaved 1F1B)
};

// A training run (`phase: train`): how many tokens, in what batches.
struct TrainingSpec {
    std::optional<double> tokens;       // total training tokens; none: one step
    bool chinchilla = false;            // 20 tokens per parameter (resolved when the model is built)
    std::int64_t global_batch = 0;      // sequences per optimizer step (0: from global_batch_tokens)
    std::int64_t global_batch_tokens = 0;
};

// What a run costs beyond the device's own energy: the price of a device-hour, the data centre's
// overhead (PUE) and the grid's carbon intensity (docs/scenarios.md says where the defaults come from).
struct CostSpec {
    std::optional<double> usd_per_device_hour;  // none: the report's cost.usd is null
    double pue = 1.1;
    double kg_co2_per_kwh = 0.429;
};

struct Scenario {
    std::string file;  // where it was read from
    std::string name;
    std::string description;
    std::shared_ptr<const workloads::Model> model;
    std::optional<workloads::RunPhase> phase;  // none: the model's default
    workloads::RunSpec run;                    // run.phase is ignored; see `phase`
    std::optional<hwmodels::HardwareSpec> hardware;  // none: the workload only, no replay
    hwmodels::RuntimeSpec runtime;
    SystemSpec system;
    ParallelismSpec parallelism;
    CostSpec cost;
    std::optional<TrainingSpec> training;
    std::string resolved_json;  // the scenario as run (overrides applied, defaults filled), for reports
};

// Reads, patches and validates a scenario. Each of `sets` is "key.path=value" (the value is JSON
// if it parses as JSON, else a string) and is applied to the file's JSON before validation.
// Relative model, hardware and runtime paths resolve against the file's folder. Errors are
// ConfigErrors naming the file and the JSON path.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& sets = {});
std::vector<workloads::SchemaDoc> scenario_schema_docs();

// What a model refuses (a ScenarioError: a phase it has no graph for, a fine-tuning target it
// lacks) as a ConfigError of scenario `file` at the key the message starts with ("finetune.targets
// ..." -> /finetune), or at its root.
[[noreturn]] void fail_at_model_key(const std::string& file, const std::string& message);

// docs/config-reference.md, generated from the declarations.
std::string config_reference_markdown();

}  // namespace fmsim::sim
