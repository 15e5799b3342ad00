#pragma once
// Loader-only header (it brings nlohmann/json). Declares each config field once (key, type, unit, default, doc) and uses that one declaration
// to parse JSON into an immutable spec struct and to generate docs/config-reference.md.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"

namespace fmsim::workloads {

using json = nlohmann::json;

// Where a JSON object came from: the file and the JSON pointer of the object inside it.
struct ConfigContext {
    std::string file;
    std::string pointer;
    ConfigContext at(const std::string& key) const { return {file, pointer + "/" + key}; }
    [[noreturn]] void fail(const std::string& message) const { throw ConfigError(file, pointer, message); }
};

std::string json_type_name(const json& j);

// std::filesystem's checks without throwing: a path the OS refuses (a name too long, no
// permission) counts as absent, so the caller's own "no such file" user error (exit 2) names it.
bool path_exists(const std::filesystem::path& p) noexcept;
bool regular_file_exists(const std::filesystem::path& p) noexcept;
bool directory_exists(const std::filesystem::path& p) noexcept;

// A config file's JSON; a ConfigError naming the file when it cannot be read or parsed.
json read_json_file(const std::filesystem::path& path);
// Stems of the *.json files in `dir`, sorted (the preset names of a config folder).
std::vector<std::string> json_file_stems(const std::filesystem::path& dir);
// A preset name (a stem in `dir`) or a path (has a '/' or ends in .json) to its file. An unknown
// name throws UserError: "unknown WHAT 'NAME' (did you mean 'X'?); LISTING: a, b, c" + `tail`.
std::filesystem::path preset_path(const std::string& name_or_path, const std::filesystem::path& dir,
                                  const std::string& what, const std::string& listing, const std::string& tail = "");
// Closest of `candidates` to `key` by edit distance, or "" when none is close.
std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates);

// The largest integer any config field takes unless it says less: 2^24 = 16,777,216, above every
// published model dimension (vocabularies reach 256k, hidden sizes 64k, contexts 10M tokens), so
// sizes no real model has are refused before a graph is built and products of dimensions stay
// far inside int64.
inline constexpr std::int64_t kMaxConfigInteger = std::int64_t{1} << 24;
// Transformer blocks in one stack: 1,024, eight times the deepest published LLM (Llama-3.1-405B:
// 126 blocks).
inline constexpr std::int64_t kMaxLayers = 1024;

namespace schema_detail {
std::int64_t read_int(const json& j, const ConfigContext& at, std::int64_t min, std::int64_t max = kMaxConfigInteger);
double read_number(const json& j, const ConfigContext& at, double min);
double read_fraction(const json& j, const ConfigContext& at);  // a number in (0, 1]
double read_probability(const json& j, const ConfigContext& at);  // a number in [0, 1)
bool read_bool(const json& j, const ConfigContext& at);
std::string read_choice(const json& j, const ConfigContext& at, const std::vector<std::string>& allowed);
std::vector<std::int64_t> read_int_list(const json& j, const ConfigContext& at, std::int64_t min,
                                        std::int64_t max = kMaxConfigInteger);
// Calls `each` on every element of the list `j` with the element's own place; fails "expected a
// [non-empty ]list of WHAT" unless `j` is a list (with an element, when `non_empty`).
void for_each_in_list(const json& j, const ConfigContext& at, const std::string& what, bool non_empty,
                      const std::function<void(const json&, const ConfigContext&)>& each);
// Hugging Face image sizes: an integer (square) or a pair [height, width].
std::vector<std::int64_t> read_size_pair(const json& j, const ConfigContext& at);
// The first entry of a Hugging Face "architectures" list, which must be one of `allowed`.
std::string read_architecture(const json& j, const ConfigContext& at, const std::vector<std::string>& allowed);
std::string list_text(const std::vector<std::string>& v);
std::map<std::string, std::string> read_sources(const json& j, const ConfigContext& at);
// A non-empty object from math dtype (math_dtype_names) to a number >= 0, into `out` (cleared):
// fails "expected an object from dtype (...) to PER" or names the unknown key.
void read_dtype_numbers(std::map<DType, double>& out, const json& j, const ConfigContext& at, const std::string& per);
}  // namespace schema_detail

template <class Spec>
class Schema {
public:
    Schema(std::string name, std::string doc) : name_(std::move(name)), doc_(std::move(doc)) {}

    Schema& integer(const std::string& key, std::int64_t Spec::*member, std::optional<std::int64_t> dflt,
                    std::string unit, std::string doc, std::int64_t min = 1, std::int64_t max = kMaxConfigInteger) {
        return add(key, "integer", std::move(unit), dflt ? std::to_string(*dflt) : "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_int(j, at, min, max); },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    // Absent or null gives nullopt; the family derives the value (the doc says how).
    Schema& optional_integer(const std::string& key, std::optional<std::int64_t> Spec::*member,
                             std::string derived, std::string unit, std::string doc, std::int64_t min = 1,
                             std::int64_t max = kMaxConfigInteger) {
        return add(key, "integer or null", std::move(unit), std::move(derived), std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) {
                       if (j.is_null()) s.*member = std::nullopt;
                       else s.*member = schema_detail::read_int(j, at, min, max);
                   },
                   [=](Spec& s) { s.*member = std::nullopt; });
    }
    Schema& number(const std::string& key, double Spec::*member, std::optional<double> dflt, std::string unit,
                   std::string doc, double min = 0) {
        return add(key, "number", std::move(unit), dflt ? json(*dflt).dump() : "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_number(j, at, min); },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    // A share of something (an efficiency, a fraction of bandwidth): a number in (0, 1].
    Schema& fraction(const std::string& key, double Spec::*member, std::optional<double> dflt, std::string doc) {
        return add(key, "number in (0, 1]", "fraction", dflt ? json(*dflt).dump() : "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_fraction(j, at); },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    // A probability that must leave something (a dropout rate): a number in [0, 1).
    Schema& probability(const std::string& key, double Spec::*member, double dflt, std::string doc) {
        return add(key, "number in [0, 1)", "probability", json(dflt).dump(), std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_probability(j, at); },
                   [=](Spec& s) { s.*member = dflt; });
    }
    Schema& boolean(const std::string& key, bool Spec::*member, std::optional<bool> dflt, std::string doc) {
        return add(key, "boolean", "", dflt ? (*dflt ? "true" : "false") : "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_bool(j, at); },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    // A required, non-empty object from field name to the text saying where its value comes from.
    Schema& sources(const std::string& key, std::map<std::string, std::string> Spec::*member, std::string doc) {
        return add(key, "object field -> text", "", "required", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_sources(j, at); },
                   nullptr);
    }
    Schema& choice(const std::string& key, std::string Spec::*member, std::vector<std::string> allowed,
                   std::optional<std::string> dflt, std::string doc) {
        return add(key, "one of " + schema_detail::list_text(allowed), "", dflt.value_or(""), std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_choice(j, at, allowed); },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    Schema& string(const std::string& key, std::string Spec::*member, std::optional<std::string> dflt, std::string doc) {
        return add(key, "string", "", dflt ? "\"" + *dflt + "\"" : "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) {
                       if (!j.is_string()) at.fail("expected a string, got " + json_type_name(j));
                       s.*member = j.get<std::string>();
                   },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    Schema& integer_list(const std::string& key, std::vector<std::int64_t> Spec::*member,
                         std::optional<std::vector<std::int64_t>> dflt, std::string unit, std::string doc,
                         std::int64_t min = 1, std::int64_t max = kMaxConfigInteger) {
        return add(key, "list of integers", std::move(unit), dflt ? json(*dflt).dump() : "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) { s.*member = schema_detail::read_int_list(j, at, min, max); },
                   dflt ? std::function<void(Spec&)>([=](Spec& s) { s.*member = *dflt; }) : nullptr);
    }
    // A nested object parsed by its own function (sub-configs such as CLIP's text_config).
    template <class Sub>
    Schema& object(const std::string& key, Sub Spec::*member,
                   std::function<Sub(const json&, const ConfigContext&)> parse_sub, std::string type_doc,
                   std::string doc) {
        return add(key, std::move(type_doc), "", "", std::move(doc),
                   [=](Spec& s, const json& j, const ConfigContext& at) {
                       if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
                       s.*member = parse_sub(j, at);
                   },
                   nullptr);
    }
    // A field with its own reader, for keys whose meaning is derived (e.g. id2label's size).
    Schema& custom(const std::string& key, std::string type, std::string dflt, std::string doc,
                   std::function<void(Spec&, const json&, const ConfigContext&)> read,
                   std::function<void(Spec&)> apply_default) {
        return add(key, std::move(type), "", std::move(dflt), std::move(doc), std::move(read), std::move(apply_default));
    }
    // A key that was renamed: the old one is refused with a message naming the new one and why.
    Schema& renamed(const std::string& old_key, const std::string& new_key, const std::string& why) {
        return add(old_key, "renamed", "", "", "Renamed to `" + new_key + "`: " + why,
                   [=](Spec&, const json&, const ConfigContext& at) {
                       at.fail("renamed to '" + new_key + "' (" + why + ")");
                   },
                   [](Spec&) {});
    }
    // A key Hugging Face configs carry that does not change cost (token ids, dropout, eps, ...).
    Schema& ignored(const std::string& key, std::string doc) {
        return add(key, "any", "", "", "Accepted and ignored: " + doc,
                   [](Spec&, const json&, const ConfigContext&) {}, [](Spec&) {});
    }

    // Every problem of the object is reported at once (each bad value, unknown key and missing
    // required key), so a config is fixed in one round.
    Spec parse(const json& j, const ConfigContext& ctx) const {
        if (!j.is_object()) ctx.fail("expected an object, got " + json_type_name(j));
        Spec spec{};
        std::vector<ConfigError::Problem> problems;
        const auto collect = [&](const ConfigContext& at, const std::function<void()>& step) {
            try {
                step();
            } catch (const ConfigError& e) {
                if (e.file() != at.file) throw;  // another file's error (a preset it loads) stays whole
                problems.insert(problems.end(), e.problems().begin(), e.problems().end());
            }
        };
        std::vector<bool> seen(fields_.size(), false);
        for (auto it = j.begin(); it != j.end(); ++it) {
            const ConfigContext at = ctx.at(it.key());
            const std::size_t i = index_of(it.key());
            if (i == fields_.size()) {
                const std::string hint = did_you_mean(it.key(), keys());
                problems.push_back({at.pointer, "unknown key for " + name_ + (hint.empty() ? "" : " (did you mean '" + hint + "'?)")});
                continue;
            }
            seen[i] = true;
            collect(at, [&] { fields_[i].read(spec, it.value(), at); });
        }
        std::vector<std::size_t> missing;
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            if (seen[i]) continue;
            if (!fields_[i].apply_default) missing.push_back(i);
            else fields_[i].apply_default(spec);
        }
        if (missing.size() == 1) {
            const FieldDoc& d = fields_[missing.front()].doc;
            problems.push_back({ctx.pointer, "missing required key '" + d.key + "' (" + d.type + ": " + d.doc + ")"});
        } else if (!missing.empty()) {
            std::string keys;
            for (std::size_t i : missing) keys += (keys.empty() ? "'" : ", '") + fields_[i].doc.key + "'";
            problems.push_back({ctx.pointer, "missing required keys " + keys + " (docs/config-reference.md, " + name_ + ")"});
        }
        if (!problems.empty()) throw ConfigError(ctx.file, std::move(problems));
        return spec;
    }

    SchemaDoc doc() const {
        SchemaDoc d{name_, doc_, {}};
        for (const auto& f : fields_) d.fields.push_back(f.doc);
        return d;
    }

private:
    struct Field {
        FieldDoc doc;
        std::function<void(Spec&, const json&, const ConfigContext&)> read;
        std::function<void(Spec&)> apply_default;  // null: the key is required
    };
    Schema& add(const std::string& key, std::string type, std::string unit, std::string dflt, std::string doc,
                std::function<void(Spec&, const json&, const ConfigContext&)> read,
                std::function<void(Spec&)> apply_default) {
        if (!read) throw std::logic_error("schema field without reader");
        FieldDoc fd{key, std::move(type), std::move(unit), apply_default ? std::move(dflt) : "required", std::move(doc)};
        fields_.push_back(Field{std::move(fd), std::move(read), std::move(apply_default)});
        return *this;
    }
    std::size_t index_of(const std::string& key) const {
        for (std::size_t i = 0; i < fields_.size(); ++i)
            if (fields_[i].doc.key == key) return i;
        return fields_.size();
    }
    std::vector<std::string> keys() const {  // the keys to suggest: renamed ones are not
        std::vector<std::string> out;
        for (const auto& f : fields_)
            if (f.doc.type != "renamed") out.push_back(f.doc.key);
        return out;
    }
    std::string name_;
    std::string doc_;
    std::vector<Field> fields_;
};

// Keys that PretrainedConfig.to_dict() writes into every config.json of transformers 4.x
// (generation defaults, fine-tuning labels, export flags). None changes the cost of a forward pass.
// `pruned_heads` would, so it must be empty. id2label/label2id are left to the caller (ViT counts
// its classes from them) unless `with_labels`.
template <class Spec>
Schema<Spec>& add_pretrained_config_keys(Schema<Spec>& s, bool with_labels = true) {
    for (const char* k :
         {"add_cross_attention", "bad_words_ids", "begin_suppress_tokens", "chunk_size_feed_forward",
          "cross_attention_hidden_size", "diversity_penalty", "do_sample", "early_stopping",
          "encoder_no_repeat_ngram_size", "exponential_decay_length_penalty", "finetuning_task",
          "forced_bos_token_id", "forced_eos_token_id", "is_decoder", "length_penalty", "max_length", "min_length",
          "no_repeat_ngram_size", "num_beam_groups", "num_beams", "num_return_sequences", "output_attentions",
          "output_scores", "prefix", "remove_invalid_values", "repetition_penalty", "return_dict_in_generate",
          "sep_token_id", "suppress_tokens", "task_specific_params", "temperature", "tf_legacy_loss",
          "tie_encoder_decoder", "tokenizer_class", "top_k", "top_p", "torchscript", "typical_p", "use_bfloat16",
          "gradient_checkpointing"})
        s.ignored(k, "generation, fine-tuning or export setting of PretrainedConfig; no effect on cost");
    if (with_labels)
        s.ignored("id2label", "class names of a fine-tuning head this model does not build")
            .ignored("label2id", "class ids of a fine-tuning head this model does not build");
    s.custom("pruned_heads", "object (empty)", "{}", "Heads removed per layer; pruning is not modelled, so it must be empty.",
             [](Spec&, const json& j, const ConfigContext& at) {
                 if (!j.is_null() && !(j.is_object() && j.empty()))
                     at.fail("expected an empty object: pruned attention heads are not modelled, got " +
                             json_type_name(j));
             },
             [](Spec&) {});
    return s;
}

// Hugging Face classification heads give their class count as num_labels and/or id2label (whose
// size is the count; label2id can be shorter where class names repeat, as ImageNet's "crane").
template <class Spec>
Schema<Spec>& add_label_fields(Schema<Spec>& s, std::optional<std::int64_t> Spec::*num_labels,
                               std::optional<std::int64_t> Spec::*id2label_size, const std::string& when_absent) {
    return s.optional_integer("num_labels", num_labels, when_absent, "classes", "Classes of the classification head.", 0)
        .custom("id2label", "object (class id -> name)", "absent",
                "Class names; their count is the head's output width. " + when_absent + " when neither is given.",
                [=](Spec& c, const json& j, const ConfigContext& at) {
                    if (!j.is_object() || j.empty())
                        at.fail("expected a non-empty object mapping class ids to names, got " + json_type_name(j));
                    for (auto it = j.begin(); it != j.end(); ++it)
                        if (!it.value().is_string())
                            at.at(it.key()).fail("expected a class name (string), got " + json_type_name(it.value()));
                    c.*id2label_size = static_cast<std::int64_t>(j.size());
                },
                [=](Spec& c) { c.*id2label_size = std::nullopt; })
        .ignored("label2id", "inverse of id2label (shorter where class names repeat)");
}

// The class count of add_label_fields: both given must agree; neither gives `fallback`.
inline std::int64_t resolve_label_count(std::optional<std::int64_t> num_labels, std::optional<std::int64_t> id2label_size,
                                        const ConfigContext& ctx, std::int64_t fallback) {
    if (num_labels && id2label_size && *num_labels != *id2label_size)
        ctx.at("num_labels").fail("expected the number of id2label entries (" + std::to_string(*id2label_size) +
                                  "), got " + std::to_string(*num_labels));
    return id2label_size.value_or(num_labels.value_or(fallback));
}

// Fails at `key` unless `value` is a multiple of `by` (heads dividing a width, ...).
inline void require_multiple(const ConfigContext& ctx, const std::string& key, std::int64_t value, std::int64_t by,
                             const std::string& by_key) {
    if (by <= 0 || value % by != 0)
        ctx.at(key).fail("expected a multiple of " + by_key + " (" + std::to_string(by) + "), got " +
                         std::to_string(value));
}

// "architectures" for a family whose head depends on the Hugging Face class: the first entry, one
// of `allowed`; absent or null leaves `member` empty. Pair with add_hf_metadata(s, false).
template <class Spec>
Schema<Spec>& add_architecture_field(Schema<Spec>& s, std::string Spec::*member, std::vector<std::string> allowed,
                                     std::string doc) {
    return s.custom(
        "architectures", "list of class names", allowed.front(), std::move(doc),
        [=](Spec& c, const json& j, const ConfigContext& at) {
            if (!j.is_null()) c.*member = schema_detail::read_architecture(j, at, allowed);
        },
        [=](Spec& c) { (c.*member).clear(); });
}

// Keys every Hugging Face config.json may carry that say nothing about cost. A family whose head
// depends on the Hugging Face class declares "architectures" itself and passes false.
template <class Spec>
Schema<Spec>& add_hf_metadata(Schema<Spec>& s, bool architectures_ignored = true) {
    if (architectures_ignored) s.ignored("architectures", "Hugging Face class names");
    return s.ignored("model_type", "selects the family (already used to pick this schema)")
        .ignored("_name_or_path", "Hugging Face checkpoint name")
        .ignored("transformers_version", "Hugging Face library version")
        .ignored("torch_dtype", "checkpoint dtype; fmsim takes precision from the run")
        .ignored("dtype", "checkpoint dtype (newer transformers); fmsim takes precision from the run")
        .ignored("bos_token_id", "token id").ignored("eos_token_id", "token id")
        .ignored("pad_token_id", "token id").ignored("decoder_start_token_id", "token id")
        .ignored("initializer_range", "training initialisation").ignored("use_cache", "runtime flag")
        .ignored("is_encoder_decoder", "implied by the family").ignored("return_dict", "runtime flag")
        .ignored("output_hidden_states", "runtime flag").ignored("problem_type", "training task");
}

}  // namespace fmsim::workloads
