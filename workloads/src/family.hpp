#pragma once
// The family registry: each family (a .cpp in families/) registers the Hugging Face model_type
// values it understands, with its parser and its schema docs. Configs pick a family by model_type.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fmsim/workloads/schema.hpp"

namespace fmsim::workloads {

struct FamilyEntry {
    std::string model_type;
    std::function<std::unique_ptr<Model>(const json&, const ConfigContext&)> parse;
    std::function<std::vector<SchemaDoc>()> docs;
};

const std::vector<FamilyEntry>& registered_families();

// Registers at static-initialisation time; families are linked as an OBJECT library so the
// linker keeps these objects.
struct FamilyRegistrar {
    explicit FamilyRegistrar(FamilyEntry entry);
};

// Dispatches on j["model_type"].
std::unique_ptr<Model> parse_model_json(const json& j, const ConfigContext& ctx);

// Shared run checks for families.
void require_phase(const RunSpec& run, std::initializer_list<RunPhase> allowed, const std::string& model_kind);
std::int64_t positive_or(std::int64_t value, std::int64_t fallback);
// A sequence of `tokens` must fit the `positions` rows of `table` (a learned position table or
// a text encoder's context); throws a ScenarioError saying so.
void require_positions(std::int64_t tokens, std::int64_t positions, const std::string& table);
// Image towers see a fixed number of tokens per image: `input_len` may be 0 or that number.
// Returns the number; `tower` names the tower and its image size in the message.
std::int64_t image_tokens(std::int64_t input_len, std::int64_t tokens, const std::string& tower);
// Image models (encode by default, and train when they have a head to train): images enter at the
// config's image size, so a token length is refused rather than silently ignored.
RunSpec resolve_image_run(RunSpec run, const std::string& model_kind, bool has_training_head,
                          const std::string& headless_config);

}  // namespace fmsim::workloads
