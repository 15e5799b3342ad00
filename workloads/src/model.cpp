#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "family.hpp"
#include "passes.hpp"
#include "fmsim/workloads/model_json.hpp"

#ifndef FMSIM_SOURCE_CONFIG_DIR
#error "FMSIM_SOURCE_CONFIG_DIR must be defined by the build"
#endif

namespace fmsim::workloads {

namespace {
std::vector<FamilyEntry>& family_storage() {
    static std::vector<FamilyEntry> families;
    return families;
}

struct ZooMeta {
    std::string description;
    double published_params = 0;
    double published_active_params = 0;
    double published_params_precision = 0.005;
    std::string source;
};

const Schema<ZooMeta>& zoo_meta_schema() {
    static const auto s = Schema<ZooMeta>("fmsim zoo metadata",
                                          "The \"fmsim\" block of a zoo file: what the entry is and the published "
                                          "parameter count the tests check it against.")
                              .string("description", &ZooMeta::description, std::nullopt,
                                      "One line: what the model is and its published configuration.")
                              .number("published_params", &ZooMeta::published_params, std::nullopt, "parameters",
                                      "Parameter count published by the model's authors.", 1)
                              .number("published_active_params", &ZooMeta::published_active_params, 0.0,
                                      "parameters", "Parameters used per token (MoE), when published; 0 = dense.")
                              .number("published_params_precision", &ZooMeta::published_params_precision, 0.005,
                                      "fraction",
                                      "Relative precision of the published figure: 0.005 for a precise count; larger "
                                      "only where the authors published a rounded size label (say why in source).")
                              .string("source", &ZooMeta::source, std::nullopt,
                                      "Where published_params comes from (paper, model card).");
    return s;
}
}  // namespace

const std::vector<FamilyEntry>& registered_families() { return family_storage(); }

FamilyRegistrar::FamilyRegistrar(FamilyEntry entry) { family_storage().push_back(std::move(entry)); }

std::unique_ptr<Model> parse_model_json(const json& j, const ConfigContext& ctx) {
    if (!j.is_object()) ctx.fail("expected a model config object, got " + json_type_name(j));
    std::vector<std::string> types;
    for (const auto& f : registered_families()) types.push_back(f.model_type);
    std::sort(types.begin(), types.end());
    auto it = j.find("model_type");
    if (it == j.end() || !it->is_string())
        ctx.at("model_type").fail("expected a string naming the family, one of " + schema_detail::list_text(types));
    const auto type = it->get<std::string>();
    for (const auto& f : registered_families())
        if (f.model_type == type) return f.parse(j, ctx);
    const std::string hint = did_you_mean(type, types);
    ctx.at("model_type").fail("unsupported model_type \"" + type + "\"" +
                              (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") + "; supported: " +
                              schema_detail::list_text(types));
}

std::string_view to_string(RunPhase p) {
    switch (p) {
        case RunPhase::prefill: return "prefill";
        case RunPhase::decode: return "decode";
        case RunPhase::generate: return "generate";
        case RunPhase::train: return "train";
        case RunPhase::encode: return "encode";
        case RunPhase::sample: return "sample";
    }
    return "?";
}

std::optional<RunPhase> parse_run_phase(std::string_view s) {
    for (RunPhase p : {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::train, RunPhase::encode,
                       RunPhase::sample})
        if (to_string(p) == s) return p;
    return std::nullopt;
}

std::string_view to_string(Recompute r) {
    switch (r) {
        case Recompute::none: return "none";
        case Recompute::selective: return "selective";
        case Recompute::full: return "full";
    }
    return "?";
}

std::optional<Recompute> parse_recompute(std::string_view s) {
    for (Recompute r : {Recompute::none, Recompute::selective, Recompute::full})
        if (to_string(r) == s) return r;
    return std::nullopt;
}

void require_phase(const RunSpec& run, std::initializer_list<RunPhase> allowed, const std::string& model_kind) {
    if (std::find(allowed.begin(), allowed.end(), run.phase) != allowed.end()) return;
    std::string list;
    for (RunPhase p : allowed) list += (list.empty() ? "" : ", ") + std::string(to_string(p));
    throw ScenarioError("phase '" + std::string(to_string(run.phase)) + "' does not apply to " + model_kind +
                        "; supported phases: " + list);
}

std::int64_t positive_or(std::int64_t value, std::int64_t fallback) { return value > 0 ? value : fallback; }

void require_positions(std::int64_t tokens, std::int64_t positions, const std::string& table) {
    if (tokens > positions)
        throw ScenarioError("sequence of " + std::to_string(tokens) + " tokens exceeds the " +
                            std::to_string(positions) + " positions of " + table);
}

std::int64_t image_tokens(std::int64_t input_len, std::int64_t tokens, const std::string& tower) {
    if (input_len != 0 && input_len != tokens)
        throw ScenarioError(tower + " sees " + std::to_string(tokens) +
                            " tokens per image (input_len); change image_size in the config to change it");
    return tokens;
}

RunSpec resolve_image_run(RunSpec run, const std::string& model_kind, bool has_training_head,
                          const std::string& headless_config) {
    require_phase(run, {RunPhase::encode, RunPhase::train}, model_kind);
    if (run.phase == RunPhase::train && !has_training_head)
        throw ScenarioError("training needs a head; this " + headless_config + " has none");
    if (run.input_len != 0 || run.output_len != 0)
        throw ScenarioError("input_len and output_len do not apply to an image model: images enter at the "
                            "configured image_size (change it in the config)");
    run.steps = 0;
    return run;
}

// Refuses run sizes no real run has before anything is built: each count at most
// kMaxConfigInteger, and at most kMaxRunTokens tokens in flight (batch x longest sequence), so that
// element counts (tokens x a dimension <= kMaxConfigInteger) stay inside int64.
static void require_run_sizes(const RunSpec& run) {
    if (run.batch < 1) throw ScenarioError("batch must be >= 1, got " + std::to_string(run.batch));
    if (run.input_len < 0 || run.output_len < 0 || run.steps < 0)
        throw ScenarioError("lengths and steps must be >= 0 (0 = the model's default)");
    for (const auto& [what, v] : {std::pair{"batch", run.batch}, {"input_len", run.input_len},
                                  {"output_len", run.output_len}, {"steps", run.steps}})
        if (v > kMaxConfigInteger)
            throw ScenarioError(std::string(what) + " of " + std::to_string(v) + " is beyond any real run (at most " +
                                std::to_string(kMaxConfigInteger) + ")");
    const double tokens = static_cast<double>(run.batch) * static_cast<double>(run.input_len + run.output_len);
    if (tokens > static_cast<double>(kMaxRunTokens))
        throw ScenarioError("batch x (input_len + output_len) = " + std::to_string(run.batch) + " x " +
                            std::to_string(run.input_len + run.output_len) + " tokens is beyond any real run (at most " +
                            std::to_string(kMaxRunTokens) + " tokens at once)");
}

Workload Model::build(const RunSpec& requested) const {
    require_run_sizes(requested);
    const RunSpec run = resolve(requested);
    require_run_sizes(run);
    Workload w{name, family(), run, {}};
    if (run.phase == RunPhase::train) {
        const OpGraph forward = build_training_forward(run);
        w.stages.push_back(make_training_step(
            run.finetune.method == FineTuneMethod::full ? forward : with_lora_adapters(forward, run), run));
    } else {
        w.stages = build_inference(run);
    }
    return w;
}

std::filesystem::path config_dir() {
    if (const char* env = std::getenv("FMSIM_CONFIG_DIR"); env && *env) return env;
    return FMSIM_SOURCE_CONFIG_DIR;
}

std::vector<std::string> zoo_names() { return json_file_stems(config_dir() / "models"); }

std::unique_ptr<Model> load_model(const std::string& name_or_path) {
    const auto path = preset_path(name_or_path, config_dir() / "models", "model", "zoo models",
                                  "; or pass a path to a config.json");
    if (!path_exists(path)) throw ConfigError(path.string(), "", "no such file");
    return model_from_json(read_json_file(path), ConfigContext{path.string(), ""}, path.stem().string());
}

std::unique_ptr<Model> model_from_json(json j, const ConfigContext& ctx, const std::string& name) {
    ZooMeta meta;
    bool has_meta = false;
    if (j.is_object() && j.contains("fmsim")) {
        meta = zoo_meta_schema().parse(j["fmsim"], ctx.at("fmsim"));
        has_meta = true;
        j.erase("fmsim");
    }
    auto model = parse_model_json(j, ctx);
    model->name = name;
    if (has_meta) {
        model->description = meta.description;
        model->published_params = meta.published_params;
        if (meta.published_active_params > 0) model->published_active_params = meta.published_active_params;
        model->published_source = meta.source;
        model->published_params_precision = meta.published_params_precision;
    }
    return model;
}

std::vector<SchemaDoc> model_schema_docs() {
    std::vector<SchemaDoc> families;
    for (const auto& f : registered_families())
        for (auto& d : f.docs())
            if (std::none_of(families.begin(), families.end(), [&](const SchemaDoc& s) { return s.name == d.name; }))
                families.push_back(std::move(d));
    // Registration order follows link order; the reference is sorted so it is the same everywhere.
    std::sort(families.begin(), families.end(), [](const SchemaDoc& a, const SchemaDoc& b) { return a.name < b.name; });
    std::vector<SchemaDoc> out{zoo_meta_schema().doc()};
    out.insert(out.end(), std::make_move_iterator(families.begin()), std::make_move_iterator(families.end()));
    return out;
}

}  // namespace fmsim::workloads
