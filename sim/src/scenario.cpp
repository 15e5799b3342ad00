#include "fmsim/sim/scenario.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

using namespace workloads;

namespace {

struct ScenarioFields {
    std::string name, description, model, hardware, runtime, phase, attention, recompute;
    std::int64_t batch = 1, input_len = 0, output_len = 0, steps = 0;
    Precision precision;
};

void read_precision(ScenarioFields& f, const json& j, const ConfigContext& at) {
    auto one = [](const json& v, const ConfigContext& c) {
        if (v.is_string())
            if (auto d = parse_dtype(v.get<std::string>())) return *d;
        c.fail("expected one of " + dtype_names() + ", got " + json_type_name(v));
    };
    if (j.is_string()) {
        const DType d = one(j, at);
        f.precision = Precision{d, d, d, d};
        return;
    }
    if (!j.is_object()) at.fail("expected a dtype name or an object {weights, activations, kv_cache, math}, got " +
                                json_type_name(j));
    Precision p;
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "weights" && it.key() != "activations" && it.key() != "kv_cache" && it.key() != "math") {
            const std::string hint = did_you_mean(it.key(), {"weights", "activations", "kv_cache", "math"});
            at.at(it.key()).fail("unknown precision class" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                                 "; expected weights, activations, kv_cache or math");
        }
    if (j.contains("weights")) p.weights = one(j["weights"], at.at("weights"));
    if (j.contains("activations")) p.activations = one(j["activations"], at.at("activations"));
    p.kv_cache = j.contains("kv_cache") ? one(j["kv_cache"], at.at("kv_cache")) : p.activations;
    p.math = j.contains("math") ? one(j["math"], at.at("math")) : p.activations;
    f.precision = p;
}

const Schema<ScenarioFields>& scenario_schema() {
    static const auto s = [] {
        Schema<ScenarioFields> s("scenario", "A what-if run (`fmsim run FILE`): a model, a run and a device. "
                                             "System, parallelism and cost keys are to come.");
        s.string("name", &ScenarioFields::name, std::nullopt, "Short name shown in reports.")
            .string("description", &ScenarioFields::description, "", "What the scenario asks.")
            .string("model", &ScenarioFields::model, std::nullopt,
                    "A zoo name (configs/models/NAME.json) or a path to a model config or Hugging Face config.json, "
                    "relative to the scenario file.")
            .string("hardware", &ScenarioFields::hardware, "",
                    "A hardware preset (configs/hardware/NAME.json, `fmsim hardware list`) or a path to one, "
                    "relative to the scenario file; empty = report the workload only.")
            .string("runtime", &ScenarioFields::runtime, hwmodels::kDefaultRuntime,
                    "The software stack driving the device (configs/runtime/NAME.json: host dispatch per kernel, "
                    "CUDA graphs, library kernels) or a path to one, relative to the scenario file.")
            .choice("phase", &ScenarioFields::phase, {"default", "prefill", "decode", "generate", "train", "encode", "sample"},
                    "default", "What to run; 'default' is the model's natural phase.")
            .integer("batch", &ScenarioFields::batch, 1, "sequences", "Sequences (or images) per batch.")
            .integer("input_len", &ScenarioFields::input_len, 0, "tokens",
                     "Prompt length; for decode, the context already in the KV cache. 0 = model default.", 0)
            .integer("output_len", &ScenarioFields::output_len, 0, "tokens",
                     "Tokens generated (generate); the first comes from the prefill. 0 = 128.", 0)
            .integer("steps", &ScenarioFields::steps, 0, "steps", "Diffusion denoising steps. 0 = model default.", 0)
            .custom("precision", "dtype name or object", "\"bf16\"",
                    "One dtype for everything, or {weights, activations, kv_cache, math}; kv_cache and math default "
                    "to activations, the rest to bf16. Dtypes: " + dtype_names() + ".",
                    read_precision, [](ScenarioFields& f) { f.precision = Precision{}; })
            .choice("attention", &ScenarioFields::attention, {"fused", "unfused"}, "fused",
                    "fused = FlashAttention-style kernel (no seq x seq tensor in memory); unfused = "
                    "scores, softmax and context as separate ops.")
            .choice("recompute", &ScenarioFields::recompute, {"none", "selective", "full"}, "none",
                    "Activation recomputation in training.");
        return s;
    }();
    return s;
}

}  // namespace

Scenario load_scenario(const std::string& path) {
    const json j = read_json_file(path);
    const auto f = scenario_schema().parse(j, ConfigContext{path, ""});
    Scenario sc;
    sc.name = f.name;
    sc.description = f.description;
    // A preset name stays a name; a path (a '/' or .json) is relative to the scenario file.
    auto resolve = [&](const std::string& name_or_path) {
        const std::filesystem::path p = name_or_path;
        const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
        return is_path && p.is_relative() ? (std::filesystem::path(path).parent_path() / p).string() : name_or_path;
    };
    sc.query.model = resolve(f.model);
    sc.hardware = resolve(f.hardware);
    sc.runtime = resolve(f.runtime);
    if (f.phase != "default") sc.query.phase = parse_run_phase(f.phase);
    sc.query.run.batch = f.batch;
    sc.query.run.input_len = f.input_len;
    sc.query.run.output_len = f.output_len;
    sc.query.run.steps = f.steps;
    sc.query.run.precision = f.precision;
    sc.query.run.attention = f.attention == "unfused" ? AttentionImpl::unfused : AttentionImpl::fused;
    sc.query.run.recompute = *parse_recompute(f.recompute);
    return sc;
}

SchemaDoc scenario_schema_doc() { return scenario_schema().doc(); }

}  // namespace fmsim::sim
