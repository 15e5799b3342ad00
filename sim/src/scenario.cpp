#include "fmsim/sim/scenario.hpp"

#include <filesystem>

#include "fmsim/hwmodels/hardware_json.hpp"
#include "fmsim/hwmodels/link.hpp"
#include "fmsim/sim/facade.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model_json.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

using namespace workloads;

namespace {

// The keys as read; model and hardware stay JSON until the file's folder is known.
struct SystemFields {
    std::int64_t devices = 1, devices_per_node = 0;
    std::string intra_node, inter_node;
};

struct TrainingFields {
    double tokens = 0;
    bool chinchilla = false;
    std::int64_t global_batch = 0, global_batch_tokens = 0;
};

struct FineTuneFields {
    std::string method = "full";
    std::int64_t rank = 16;
    std::vector<std::string> targets;
};

struct ScenarioFields {
    std::string name, description, runtime, phase, attention, recompute;
    FineTuneFields finetune;
    bool has_training = false;
    TrainingFields training;
    json model, hardware, hardware_overrides;
    std::int64_t batch = 1, input_len = 0, output_len = 0, steps = 0;
    Precision precision;
    SystemFields system;
    ParallelismSpec parallelism;
    CostSpec cost;
};

void read_precision(ScenarioFields& f, const json& j, const ConfigContext& at) {
    auto one = [](const json& v, const ConfigContext& c) {
        if (v.is_string())
            if (auto d = parse_dtype(v.get<std::string>())) return *d;
        c.fail("expected one of " + dtype_names() + ", got " + (v.is_string() ? "'" + v.get<std::string>() + "'"
                                                                                 : json_type_name(v)));
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

// "model" and "hardware": a name or path (a string), or an inline object.
std::function<void(ScenarioFields&, const json&, const ConfigContext&)> name_or_object(json ScenarioFields::*member) {
    return [member](ScenarioFields& f, const json& j, const ConfigContext& at) {
        if (!j.is_string() && !j.is_object()) at.fail("expected a name, a path or an object, got " + json_type_name(j));
        if (j.is_string() && j.get<std::string>().empty()) at.fail("expected a name, a path or an object, got \"\"");
        f.*member = j;
    };
}

const Schema<SystemFields>& system_schema() {
    static const auto s =
        Schema<SystemFields>("scenario.system", "The devices the scenario runs on and the links between them.")
            .integer("devices", &SystemFields::devices, 1, "devices", "Devices in the system.")
            .integer("devices_per_node", &SystemFields::devices_per_node, 0, "devices",
                     "Devices per node (server); 0 = all in one node.", 0)
            .string("intra_node", &SystemFields::intra_node, "",
                    "Link preset inside a node (configs/links/, `fmsim link list`), e.g. nvlink4; needed when a "
                    "node holds more than one device.")
            .string("inter_node", &SystemFields::inter_node, "",
                    "Link preset across nodes, e.g. ib-ndr; needed when there is more than one node.");
    return s;
}

const Schema<TrainingFields>& training_schema() {
    static const auto s =
        Schema<TrainingFields>("scenario.training", "A training run's size (phase train): fmsim reports its "
                                                    "step time, MFU, days, device-hours, energy, $ and CO2.")
            .number("tokens", &TrainingFields::tokens, 0.0, "tokens", "Training tokens in all; 0 = one step.")
            .boolean("chinchilla", &TrainingFields::chinchilla, false,
                     "Train on 20 tokens per parameter (Hoffmann et al. 2022) instead of `tokens`.")
            .integer("global_batch", &TrainingFields::global_batch, 0, "sequences",
                     "Sequences per optimizer step (of input_len tokens); 0 = from global_batch_tokens.", 0)
            .integer("global_batch_tokens", &TrainingFields::global_batch_tokens, 0, "tokens",
                     "Tokens per optimizer step; 0 = one micro-batch per data-parallel replica.", 0);
    return s;
}

const Schema<ParallelismSpec>& parallelism_schema() {
    static const auto s =
        Schema<ParallelismSpec>("scenario.parallelism", "How the work is split over the devices; tp x pp x dp = devices.")
            .integer("tp", &ParallelismSpec::tp, 1, "devices", "Tensor-parallel degree (Megatron splits).")
            .integer("pp", &ParallelismSpec::pp, 1, "stages", "Pipeline-parallel degree.")
            .integer("dp", &ParallelismSpec::dp, 1, "replicas", "Data-parallel degree.")
            .integer("ep", &ParallelismSpec::ep, 1, "devices",
                     "Expert-parallel degree (MoE): experts spread over ep of the dp replicas; divides dp.")
            .boolean("sp", &ParallelismSpec::sp, false,
                     "Sequence parallelism: norms and residuals split over tp too; all-reduces become "
                     "reduce-scatter + all-gather.")
            .integer("zero", &ParallelismSpec::zero, 0, "stage",
                     "ZeRO stage over dp: 1 shards optimizer states, 2 also gradients, 3 also weights (FSDP).", 0)
            .integer("microbatch_size", &ParallelismSpec::microbatch_size, 1, "sequences",
                     "Sequences per micro-batch in training (the `batch` key is ignored for training when "
                     "training.global_batch is set).")
            .integer("virtual_stages", &ParallelismSpec::virtual_stages, 1, "chunks",
                     "Model chunks per pipeline device: Megatron's interleaved 1F1B schedule "
                     "(--num-layers-per-virtual-pipeline-stage = layers / (pp x virtual_stages)), which "
                     "divides the bubble by this and raises the first stage's activations (docs/parallelism.md). "
                     "Needs pp > 1 and at least pp x virtual_stages layers.");
    return s;
}

const Schema<CostSpec>& cost_schema() {
    static const auto s =
        Schema<CostSpec>("scenario.cost", "Price and carbon of the energy and device time a run takes.")
            .custom("usd_per_device_hour", "number", "null (no price: cost.usd is null)",
                    "Rental or amortised price of one device-hour, USD. Cloud list prices (hardware sheet "
                    "section 10, May 2026): H100 SXM $3.78-12.29, A100 80GB $2.50-5.04, L4 $0.80, TPU v5e $1.20, "
                    "MI300X $1.71-1.85.",
                    [](CostSpec& c, const json& j, const ConfigContext& at) {
                        if (j.is_null()) return;
                        c.usd_per_device_hour = schema_detail::read_number(j, at, 0);
                    },
                    [](CostSpec& c) { c.usd_per_device_hour.reset(); })
            .number("pue", &CostSpec::pue, 1.1, "ratio",
                    "Facility power over IT power. Default 1.1: the cloud data centres of Patterson et al. 2021, "
                    "Table 4 (1.09-1.12); the US average was 1.58-1.59.", 1)
            .number("kg_co2_per_kwh", &CostSpec::kg_co2_per_kwh, 0.429, "kg CO2e/kWh",
                    "Grid carbon intensity. Default 0.429: the US average mix, gross (Patterson et al. 2021).");
    return s;
}

// An optional nested object read by its own schema; absent, the struct's defaults stand.
template <class Sub>
std::function<void(ScenarioFields&, const json&, const ConfigContext&)> sub_object(Sub ScenarioFields::*member,
                                                                                  const Schema<Sub>& (*schema)()) {
    return [member, schema](ScenarioFields& f, const json& j, const ConfigContext& at) {
        if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
        f.*member = schema().parse(j, at);
    };
}

const Schema<FineTuneFields>& finetune_schema() {
    static const auto s =
        Schema<FineTuneFields>("scenario.finetune", "Fine-tuning method of a training run (phase train).")
            .choice("method", &FineTuneFields::method, {"full", "lora", "qlora"}, "full",
                    "full: every weight trains; lora: the model is frozen and rank-r adapters train beside the "
                    "target layers (Hu et al. 2021); qlora: the same on a 4-bit frozen base (Dettmers et al. 2023; "
                    "weights stored as int4).")
            .integer("rank", &FineTuneFields::rank, 16, "rank", "LoRA rank r.")
            .custom("targets", "list of strings", "[\"qkv_proj\", \"q_proj\", \"kv_proj\", \"o_proj\"]",
                    "Linear layers that get adapters, by name (attention projections by default, as in the LoRA paper; "
                    "add gate_up_proj, down_proj, fc1, fc2 for all linear layers as QLoRA does).",
                    [](FineTuneFields& f, const json& j, const ConfigContext& at) {
                        f.targets.clear();
                        schema_detail::for_each_in_list(j, at, "layer names", true, [&](const json& v, const ConfigContext& here) {
                            if (!v.is_string()) here.fail("expected a layer name, got " + json_type_name(v));
                            f.targets.push_back(v.get<std::string>());
                        });
                    },
                    [](FineTuneFields& f) { f.targets = FineTune{}.targets; });
    return s;
}

const Schema<ScenarioFields>& scenario_schema() {
    static const auto s = [] {
        Schema<ScenarioFields> s("scenario", "A what-if run (`fmsim run FILE`): a model, a run, a device and "
                                             "what its energy and time cost (docs/scenarios.md).");
        s.string("name", &ScenarioFields::name, std::nullopt, "Short name shown in reports.")
            .string("description", &ScenarioFields::description, "", "What the scenario asks.")
            .custom("model", "string or object", "required",
                    "A zoo name (configs/models/NAME.json, `fmsim models`), a path to a model config or a Hugging "
                    "Face config.json (relative to the scenario file), or the config inline as an object.",
                    name_or_object(&ScenarioFields::model), nullptr)
            .custom("hardware", "string or object", "\"\" (workload only)",
                    "A hardware preset (configs/hardware/NAME.json, `fmsim hardware list`), a path to one "
                    "(relative to the scenario file), or the description inline as an object. Absent: report the "
                    "workload only.",
                    name_or_object(&ScenarioFields::hardware), [](ScenarioFields& f) { f.hardware = nullptr; })
            .custom("hardware_overrides", "object", "{}",
                    "Fields patched into the hardware (a JSON merge patch: nested objects merge, values replace), "
                    "e.g. {\"memory\": {\"bandwidth_gb_per_s\": 4800}}. The result is validated as a preset.",
                    [](ScenarioFields& f, const json& j, const ConfigContext& at) {
                        if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
                        f.hardware_overrides = j;
                    },
                    [](ScenarioFields& f) { f.hardware_overrides = json::object(); })
            .string("runtime", &ScenarioFields::runtime, hwmodels::kDefaultRuntime,
                    "The software stack driving the device (configs/runtime/NAME.json, `fmsim runtime list`: host "
                    "dispatch per kernel, CUDA graphs, library kernels) or a path to one, relative to the scenario file.")
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
            .choice("attention", &ScenarioFields::attention, {"auto", "fused", "unfused"}, "auto",
                    "fused = FlashAttention-style kernel (no seq x seq tensor in memory); unfused = "
                    "scores, softmax and context as separate ops; auto = the runtime's (its `attention`: "
                    "unfused under hf-transformers-eager), else fused.")
            .choice("recompute", &ScenarioFields::recompute, {"none", "selective", "full"}, "none",
                    "Activation recomputation in training.")
            .custom("system", "object (scenario.system)", "one device", "The devices.",
                    sub_object(&ScenarioFields::system, system_schema), [](ScenarioFields&) {})
            .custom("parallelism", "object (scenario.parallelism)", "none", "How the work is split over the devices.",
                    sub_object(&ScenarioFields::parallelism, parallelism_schema), [](ScenarioFields&) {})
            .custom("cost", "object (scenario.cost)", "the defaults of scenario.cost", "Prices and carbon.",
                    sub_object(&ScenarioFields::cost, cost_schema), [](ScenarioFields&) {})
            .custom("finetune", "object (scenario.finetune)", "full fine-tuning", "LoRA / QLoRA (phase train).",
                    sub_object(&ScenarioFields::finetune, finetune_schema),
                    [](ScenarioFields& f) { f.finetune.targets = FineTune{}.targets; })
            .custom("training", "object (scenario.training)", "none (one step)", "The training run's size (phase train).",
                    [](ScenarioFields& f, const json& j, const ConfigContext& at) {
                        if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
                        f.training = training_schema().parse(j, at);
                        f.has_training = true;
                    },
                    [](ScenarioFields&) {});
        return s;
    }();
    return s;
}

// `--set a.b.c=value`: the value as JSON when it parses (numbers, true, {"x": 1}), else as a string.
void apply_set(json& root, const std::string& file, const std::string& set) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UserError("--set '" + set + "': expected key.path=value, e.g. --set batch=64");
    const std::string path = set.substr(0, eq), text = set.substr(eq + 1);
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;
    json* node = &root;
    std::string pointer;
    std::size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (key.empty()) throw UserError("--set '" + set + "': empty key in '" + path + "'");
        if (!node->is_object())
            throw ConfigError(file, pointer, "--set " + path + ": expected an object here to set '" + key +
                                                 "' in, got " + json_type_name(*node));
        pointer += "/" + key;
        if (dot == std::string::npos) {
            (*node)[key] = value;
            return;
        }
        if (!node->contains(key)) (*node)[key] = json::object();
        node = &(*node)[key];
        start = dot + 1;
    }
}

// A preset name stays a name; a path (a '/' or .json) is relative to the scenario file.
std::string resolve_path(const std::string& file, const std::string& name_or_path) {
    const std::filesystem::path p = name_or_path;
    const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
    return is_path && p.is_relative() ? (std::filesystem::path(file).parent_path() / p).string() : name_or_path;
}

hwmodels::HardwareSpec resolve_hardware(const ScenarioFields& f, const std::string& file) {
    const ConfigContext ctx{file, ""};
    const bool patched = !f.hardware_overrides.empty();
    if (f.hardware.is_object()) {
        json j = f.hardware;
        j.merge_patch(f.hardware_overrides);
        return hwmodels::hardware_from_json(j, patched ? ctx.at("hardware_overrides") : ctx.at("hardware"), "inline",
                                            std::filesystem::path(file).parent_path());
    }
    const std::string ref = resolve_path(file, f.hardware.get<std::string>());
    if (!patched) return hwmodels::load_hardware(ref);
    // The preset file, then the patch; errors point at the overrides, where the user's values are.
    const auto path = preset_path(ref, config_dir() / "hardware", "hardware", "presets");
    json j = read_json_file(path);
    j.merge_patch(f.hardware_overrides);
    auto h = hwmodels::hardware_from_json(j, ctx.at("hardware_overrides"), path.stem().string() + "+overrides",
                                          path.parent_path());
    return h;
}

void check_system(const Scenario& sc, const ConfigContext& ctx) {
    const auto& s = sc.system;
    const auto& p = sc.parallelism;
    if (s.devices_per_node > 0 && s.devices % s.devices_per_node != 0)
        ctx.at("system").at("devices_per_node").fail("expected a divisor of system.devices (" +
                                                     std::to_string(s.devices) + ")");
    if (p.tp * p.pp * p.dp != s.devices)
        ctx.at("parallelism").fail("tp x pp x dp = " + std::to_string(p.tp * p.pp * p.dp) +
                                   " must equal system.devices (" + std::to_string(s.devices) + ")");
    if (p.dp % p.ep != 0) ctx.at("parallelism").at("ep").fail("expected a divisor of dp (" + std::to_string(p.dp) + ")");
    if (p.zero > 3) ctx.at("parallelism").at("zero").fail("expected a ZeRO stage 0-3, got " + std::to_string(p.zero));
    if (p.virtual_stages > 1 && p.pp == 1)
        ctx.at("parallelism").at("virtual_stages").fail("expected 1 without pipeline parallelism (pp is 1)");
    if (p.tp > s.devices_per_node)
        ctx.at("parallelism").at("tp").fail("tp " + std::to_string(p.tp) + " spans nodes of " +
                                            std::to_string(s.devices_per_node) +
                                            " devices; tensor parallelism stays inside a node");
    if (s.devices_per_node > 1 && !s.intra_node)
        ctx.at("system").fail("missing 'intra_node': the link between the " + std::to_string(s.devices_per_node) +
                              " devices of a node (`fmsim link list`)");
    if (s.devices > s.devices_per_node && !s.inter_node)
        ctx.at("system").fail("missing 'inter_node': the link between the " +
                              std::to_string(s.devices / s.devices_per_node) + " nodes (`fmsim link list`)");
}

// A preset or config named by the scenario: "unknown hardware 'h100' (did you mean ...)" and a
// missing file become errors at the scenario's key; errors inside that file keep its own name.
template <class Load>
auto at_key(const ConfigContext& at, Load load) {
    try {
        return load();
    } catch (const ConfigError&) {
        throw;
    } catch (const UserError& e) {
        at.fail(e.what());
    }
}

std::string existing(const ConfigContext& at, const std::string& name_or_path) {
    const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
    if (is_path && !workloads::path_exists(name_or_path)) at.fail("no such file: " + name_or_path);
    return name_or_path;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& sets) {
    json j = read_json_file(path);
    if (!j.is_object()) throw ConfigError(path, "", "expected an object, got " + json_type_name(j));
    for (const auto& set : sets) apply_set(j, path, set);
    const ConfigContext ctx{path, ""};
    const auto f = scenario_schema().parse(j, ctx);
    Scenario sc;
    sc.file = path;
    sc.name = f.name;
    sc.description = f.description;
    if (f.model.is_object())
        sc.model = model_from_json(f.model, ctx.at("model"), f.name + ".model");
    else
        sc.model = at_key(ctx.at("model"), [&] {
            return load_model(existing(ctx.at("model"), resolve_path(path, f.model.get<std::string>())));
        });
    if (f.hardware.is_string())
        existing(ctx.at("hardware"), resolve_path(path, f.hardware.get<std::string>()));
    if (!f.hardware.is_null()) sc.hardware = at_key(ctx.at("hardware"), [&] { return resolve_hardware(f, path); });
    else if (!f.hardware_overrides.empty())
        ctx.at("hardware_overrides").fail("overrides need a device: set 'hardware'");
    sc.runtime = at_key(ctx.at("runtime"), [&] {
        return hwmodels::load_runtime(existing(ctx.at("runtime"), resolve_path(path, f.runtime)));
    });
    if (f.phase != "default") sc.phase = parse_run_phase(f.phase);
    sc.run.batch = f.batch;
    sc.run.input_len = f.input_len;
    sc.run.output_len = f.output_len;
    sc.run.steps = f.steps;
    sc.run.precision = f.precision;
    sc.run.attention = resolve_attention(f.attention, sc.runtime);
    sc.run.recompute = *parse_recompute(f.recompute);
    sc.run.finetune.method = f.finetune.method == "lora"    ? FineTuneMethod::lora
                             : f.finetune.method == "qlora" ? FineTuneMethod::qlora
                                                            : FineTuneMethod::full;
    sc.run.finetune.rank = f.finetune.rank;
    sc.run.finetune.targets = f.finetune.targets;
    if (sc.run.finetune.method != FineTuneMethod::full && f.phase != "train")
        ctx.at("finetune").fail("fine-tuning needs phase 'train'");
    if (sc.run.finetune.method == FineTuneMethod::qlora) sc.run.precision.weights = DType::int4;
    sc.system.devices = f.system.devices;
    sc.system.devices_per_node = f.system.devices_per_node == 0 ? f.system.devices : f.system.devices_per_node;
    if (!f.system.intra_node.empty())
        sc.system.intra_node = at_key(ctx.at("system").at("intra_node"), [&] {
            return hwmodels::load_link(existing(ctx.at("system").at("intra_node"), resolve_path(path, f.system.intra_node)));
        });
    if (!f.system.inter_node.empty())
        sc.system.inter_node = at_key(ctx.at("system").at("inter_node"), [&] {
            return hwmodels::load_link(existing(ctx.at("system").at("inter_node"), resolve_path(path, f.system.inter_node)));
        });
    if (f.has_training) {
        if (f.phase != "train") ctx.at("training").fail("a training run needs phase 'train'");
        TrainingSpec t;
        if (f.training.chinchilla && f.training.tokens > 0)
            ctx.at("training").fail("give either 'tokens' or 'chinchilla', not both");
        t.chinchilla = f.training.chinchilla;
        if (f.training.tokens > 0) t.tokens = f.training.tokens;
        t.global_batch = f.training.global_batch;
        t.global_batch_tokens = f.training.global_batch_tokens;
        sc.training = t;
    }
    sc.parallelism = f.parallelism;
    sc.cost = f.cost;
    check_system(sc, ctx);
    // What the model cannot run (a phase it has no graph for, lengths it does not take) is
    // checked now, against the key the model's message names.
    try {
        workloads::RunSpec run = sc.run;
        run.phase = sc.phase.value_or(sc.model->default_phase());
        sc.model->resolve(run);
    } catch (const ScenarioError& e) {
        fail_at_model_key(path, e.what());
    }

    json resolved = j;
    resolved["phase"] = std::string(to_string(sc.phase.value_or(sc.model->default_phase())));
    resolved["runtime"] = sc.runtime.name;
    resolved["system"] = {{"devices", sc.system.devices},
                          {"devices_per_node", sc.system.devices_per_node},
                          {"intra_node", sc.system.intra_node ? json(sc.system.intra_node->name) : json(nullptr)},
                          {"inter_node", sc.system.inter_node ? json(sc.system.inter_node->name) : json(nullptr)}};
    resolved["parallelism"] = {{"tp", sc.parallelism.tp}, {"pp", sc.parallelism.pp}, {"dp", sc.parallelism.dp},
                               {"ep", sc.parallelism.ep}, {"sp", sc.parallelism.sp}, {"zero", sc.parallelism.zero},
                               {"microbatch_size", sc.parallelism.microbatch_size},
                               {"virtual_stages", sc.parallelism.virtual_stages}};
    resolved["cost"] = {{"usd_per_device_hour", sc.cost.usd_per_device_hour ? json(*sc.cost.usd_per_device_hour)
                                                                             : json(nullptr)},
                        {"pue", sc.cost.pue},
                        {"kg_co2_per_kwh", sc.cost.kg_co2_per_kwh}};
    sc.resolved_json = resolved.dump();
    return sc;
}

void fail_at_model_key(const std::string& file, const std::string& message) {
    std::string pointer;
    for (const char* k : {"phase", "batch", "input_len", "output_len", "steps", "precision", "recompute", "attention", "finetune"})
        if (message.starts_with(k)) pointer = std::string("/") + k;
    throw ConfigError(file, pointer, message);
}

std::vector<SchemaDoc> scenario_schema_docs() {
    return {scenario_schema().doc(), system_schema().doc(), parallelism_schema().doc(), cost_schema().doc(),
            training_schema().doc(), finetune_schema().doc()};
}

}  // namespace fmsim::sim
