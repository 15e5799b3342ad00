#pragma once
// Models are data: a config file is parsed once into an immutable Model, which builds the
// operator graphs of a run (phase, batch, lengths, precision).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/workloads/dtype.hpp"
#include "fmsim/workloads/graph.hpp"

namespace fmsim::workloads {

enum class RunPhase { prefill, decode, generate, train, encode, sample };
std::string_view to_string(RunPhase p);
std::optional<RunPhase> parse_run_phase(std::string_view s);

enum class Recompute { none, selective, full };
std::string_view to_string(Recompute r);
std::optional<Recompute> parse_recompute(std::string_view s);

enum class AttentionImpl { fused, unfused };

// Parameter-efficient fine-tuning (training only). LoRA (Hu et al. 2021) freezes the model and
// trains a rank-r update B·A beside each targeted linear layer; QLoRA (Dettmers et al. 2023) does
// the same on a 4-bit frozen base.
enum class FineTuneMethod { full, lora, qlora };
struct FineTune {
    FineTuneMethod method = FineTuneMethod::full;
    std::int64_t rank = 16;
    std::vector<std::string> targets = {"qkv_proj", "q_proj", "kv_proj", "o_proj"};  // linear-layer names
};

// What to build. Lengths of 0 mean "the model's default" (its context for text, its configured
// image size for vision, its step count for diffusion).
// Decode steps simulated per generation at most. A step's cost is affine in its context (the
// attention reads grow by one token; the rest is constant), so a step at the midpoint of a run of
// steps costs their mean: 64 samples keep a 1,024-token generation of Llama-2-7B within 0.02% of
// simulating each step in latency, TPOT and energy (tests/sc/test_decode_sampling.cpp) and bound
// its run time.
inline constexpr std::int64_t kDefaultDecodeSamples = 64;
// Tokens one run may hold at once (batch x (input_len + output_len)): 2^38, a batch of 2^20
// sequences of 262,144 tokens. Times any config dimension (at most 2^24, schema.hpp) it stays
// below 2^63, so element and byte counts cannot overflow.
inline constexpr std::int64_t kMaxRunTokens = std::int64_t{1} << 38;

struct RunSpec {
    RunPhase phase = RunPhase::prefill;
    std::int64_t batch = 1;
    std::int64_t input_len = 0;   // prompt tokens (prefill/generate/train/encode); context length for decode
    std::int64_t output_len = 0;  // generated tokens; the first comes from the prefill (see docs/phases.md)
    std::int64_t steps = 0;       // diffusion denoising steps
    Precision precision;
    AttentionImpl attention = AttentionImpl::fused;
    Recompute recompute = Recompute::none;
    FineTune finetune;
    // Generation simulates at most this many decode steps, each standing for its share of the
    // steps at the midpoint context (docs/performance.md, "Long generations"); more steps than this
    // are sampled. 0 simulates every step. Not a scenario key: a fidelity knob for tests.
    std::int64_t max_decode_samples = kDefaultDecodeSamples;
};

// One graph of a workload, run `repeat` times (diffusion steps, or the decode steps a sampled
// step stands for) or once.
struct Stage {
    std::string name;
    std::shared_ptr<const OpGraph> graph;
    std::int64_t repeat = 1;
    std::int64_t kv_cache_bytes = 0;         // KV cache held when the stage ends
    std::int64_t gradient_bytes = 0;         // weight gradients (training)
    std::int64_t optimizer_state_bytes = 0;  // optimizer states and master weights (training)
};

// `count` decode steps from `first_context` cached tokens, in at most `max_samples` runs of equal
// length (0: one per step). Each run is simulated once, at its midpoint context, and counted
// `repeat` times; `last_context` is the context of its last step (its KV cache sets the memory).
struct DecodeSample {
    std::int64_t context = 0, repeat = 1, last_context = 0;
};
std::vector<DecodeSample> sample_decode_steps(std::int64_t first_context, std::int64_t count,
                                              std::int64_t max_samples);

struct Workload {
    std::string model;
    std::string family;
    RunSpec run;  // with defaults resolved
    std::vector<Stage> stages;
};

// One declared config field, for validation messages and generated docs.
struct FieldDoc {
    std::string key, type, unit, default_text, doc;
};
struct SchemaDoc {
    std::string name, doc;
    std::vector<FieldDoc> fields;
};

class Model {
public:
    virtual ~Model() = default;
    virtual std::string family() const = 0;
    virtual RunPhase default_phase() const = 0;
    // Fills the zero lengths of `run` with this model's defaults and checks the request.
    virtual RunSpec resolve(RunSpec run) const = 0;
    // Builds every stage of the run. Throws ScenarioError for a phase the model has no meaning for.
    Workload build(const RunSpec& run) const;

    // From the zoo file's "fmsim" block (empty for a plain Hugging Face config).
    std::string name;
    std::string description;
    std::optional<double> published_params;
    std::optional<double> published_active_params;
    double published_params_precision = 0.005;  // relative
    std::string published_source;

protected:
    virtual std::vector<Stage> build_inference(const RunSpec& run) const = 0;
    // The forward graph a training step differentiates (teacher-forced full sequences, with loss).
    virtual OpGraph build_training_forward(const RunSpec& run) const = 0;
};

// The folder of built-in configs: $FMSIM_CONFIG_DIR, or the source tree's configs/.
std::filesystem::path config_dir();
// Zoo names (file stems of configs/models/*.json), sorted.
std::vector<std::string> zoo_names();
// A zoo name or a path to a config file (zoo format or a Hugging Face config.json).
std::unique_ptr<Model> load_model(const std::string& name_or_path);
// Every family's config schema, for docs/config-reference.md.
std::vector<SchemaDoc> model_schema_docs();

}  // namespace fmsim::workloads
