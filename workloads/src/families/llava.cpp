// LLaVA-1.5 (Liu et al. 2023, "Improved Baselines with Visual Instruction Tuning"), as Hugging
// Face's LlavaForConditionalGeneration builds it: a CLIP vision tower, a two-layer MLP projector
// and a LLaMA-family language model that reads the projected image features as tokens placed
// before the prompt. docs/families/encoders-and-multimodal.md.
#include "../family.hpp"
#include "clip.hpp"
#include "decoder.hpp"
#include "encoder_common.hpp"

namespace fmsim::workloads {

namespace {

struct LlavaConfig {
    json vision_config, text_config;
    std::string projector_hidden_act, vision_feature_select_strategy;
    std::vector<std::int64_t> vision_feature_layers;
    std::optional<std::int64_t> image_seq_length;
    bool multimodal_projector_bias = true;
};

const Schema<LlavaConfig>& llava_schema() {
    static const auto s = [] {
        Schema<LlavaConfig> s(
            "llava",
            "LLaVA vision-language models (Hugging Face LlavaConfig): a CLIP vision tower, a 2-layer MLP projector "
            "and a decoder-only language model. The image's features become image_seq_length tokens placed before "
            "the prompt. Phases prefill (default), decode, generate, train.");
        s.custom("vision_config", "object (clip_vision_model)", "", "The vision tower; see clip_vision_model.",
                 [](LlavaConfig& c, const json& j, const ConfigContext& at) {
                     if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
                     c.vision_config = j;
                 },
                 nullptr)
            .custom("text_config", "object (llama or mistral)", "",
                    "The language model, in the llama or mistral schema. As LlavaConfig does, model_type defaults "
                    "to llama and absent architecture keys take the defaults of Hugging Face's LlamaConfig "
                    "(MistralConfig for mistral).",
                    [](LlavaConfig& c, const json& j, const ConfigContext& at) {
                        if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
                        c.text_config = j;
                    },
                    nullptr)
            .choice("projector_hidden_act", &LlavaConfig::projector_hidden_act,
                    {"gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu"}, "gelu",
                    "Activation between the projector's two linear layers.")
            .custom("vision_feature_layer", "integer or list of integers", "-2",
                    "Which vision hidden state feeds the projector, indexed like Hugging Face's hidden_states (0 = "
                    "embeddings after pre_layrnorm, i = output of block i-1, negative counts from the end). A list "
                    "concatenates several along the feature dimension. The tower still runs all its blocks.",
                    [](LlavaConfig& c, const json& j, const ConfigContext& at) {
                        auto one = [&](const json& v, const ConfigContext& where) {
                            if (!v.is_number_integer())
                                where.fail("expected an integer layer index, got " + json_type_name(v));
                            return v.get<std::int64_t>();
                        };
                        c.vision_feature_layers.clear();
                        if (j.is_array()) {
                            if (j.empty()) at.fail("expected a non-empty list of layer indices");
                            for (std::size_t i = 0; i < j.size(); ++i)
                                c.vision_feature_layers.push_back(one(j[i], at.at(std::to_string(i))));
                        } else {
                            c.vision_feature_layers.push_back(one(j, at));
                        }
                    },
                    [](LlavaConfig& c) { c.vision_feature_layers = {-2}; })
            .choice("vision_feature_select_strategy", &LlavaConfig::vision_feature_select_strategy,
                    {"default", "full"}, "default",
                    "\"default\" drops the class token (24x24 = 576 tokens for a 336-px, 14-px-patch tower); "
                    "\"full\" keeps it.")
            .optional_integer("image_seq_length", &LlavaConfig::image_seq_length, "from the vision tower", "tokens",
                              "Image tokens per image; when given it must equal what the tower and the selection "
                              "strategy produce.")
            .boolean("multimodal_projector_bias", &LlavaConfig::multimodal_projector_bias, true,
                     "The projector's linear layers have biases.")
            .ignored("image_token_index", "token id of the image placeholder")
            .ignored("ignore_index", "label id masked out of the loss")
            .ignored("vocab_size", "deprecated copy of text_config.vocab_size")
            .ignored("tie_word_embeddings", "text_config.tie_word_embeddings decides the language model's head");
        add_pretrained_config_keys(s);
        return add_hf_metadata(s);
    }();
    return s;
}

// Hugging Face's LlamaConfig / MistralConfig defaults (transformers configuration_llama.py,
// configuration_mistral.py), filled into a text_config the way LlavaConfig instantiates it.
json with_text_defaults(json t) {
    if (!t.contains("model_type")) t["model_type"] = "llama";
    const std::string type = t["model_type"].is_string() ? t["model_type"].get<std::string>() : "";
    json defaults;
    if (type == "llama")
        defaults = {{"vocab_size", 32000},        {"hidden_size", 4096},       {"intermediate_size", 11008},
                    {"num_hidden_layers", 32},    {"num_attention_heads", 32}, {"max_position_embeddings", 2048}};
    else if (type == "mistral")
        defaults = {{"vocab_size", 32000},        {"hidden_size", 4096},       {"intermediate_size", 14336},
                    {"num_hidden_layers", 32},    {"num_attention_heads", 32}, {"num_key_value_heads", 8},
                    {"max_position_embeddings", 4096 * 32}, {"sliding_window", 4096}};
    for (auto it = defaults.begin(); it != defaults.end(); ++it)
        if (!t.contains(it.key())) t[it.key()] = it.value();
    return t;
}

struct LlavaArch {
    ClipTowerArch vision;
    DecoderArch text;
    std::vector<std::int64_t> feature_layers;  // indices into hidden_states, 0..vision.layers
    bool drop_cls = true;
    Act projector_act = Act::gelu;
    bool projector_bias = true;
    std::int64_t image_tokens = 0;  // per image
};

// LLaVA-1.5 trains with sequences of 2048 tokens (model_max_length 2048 in the LLaVA repository's
// scripts/v1_5/finetune.sh); fmsim's default context.
constexpr std::int64_t kDefaultContext = 2048;

class LlavaModel final : public Model {
public:
    explicit LlavaModel(LlavaArch a) : a_(std::move(a)) {}
    std::string family() const override { return "llava"; }
    RunPhase default_phase() const override { return RunPhase::prefill; }

    // input_len: prompt text tokens for prefill, generate and train (the image tokens come on top);
    // the whole context, image tokens included, for a decode step.
    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::train},
                      "a LLaVA vision-language model");
        const std::int64_t context = std::min(kDefaultContext, a_.text.max_context);
        if (run.phase == RunPhase::decode) {
            run.input_len = positive_or(run.input_len, context);
            if (run.input_len < a_.image_tokens)
                throw ScenarioError("a LLaVA decode step's input_len is the whole context, which includes the " +
                                    std::to_string(a_.image_tokens) + " image tokens; got " +
                                    std::to_string(run.input_len));
        } else {
            run.input_len = positive_or(run.input_len, std::max<std::int64_t>(1, context - a_.image_tokens));
        }
        if (run.phase == RunPhase::generate) run.output_len = positive_or(run.output_len, 128);
        else run.output_len = 0;
        run.steps = 0;
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        std::vector<Stage> stages;
        const DType kv = run.precision.kv_cache;
        if (run.phase == RunPhase::decode) {
            stages.push_back(Stage{"decode", decode_step(run, run.input_len), 1,
                                   decoder_kv_cache_bytes(a_.text, run.batch, run.input_len + 1, kv)});
            return stages;
        }
        // The prefill caches K/V of the image tokens and the prompt, and yields the first token.
        const std::int64_t context = a_.image_tokens + run.input_len;
        stages.push_back(Stage{"prefill", prefill(run), 1, decoder_kv_cache_bytes(a_.text, run.batch, context, kv)});
        if (run.phase == RunPhase::generate) {
            const auto steps = decode_step_graphs(run, context, run.output_len - 1,
                                                  [&](GraphBuilder& b, std::int64_t ctx) { emit_decode_step(b, run, ctx); });
            for (const auto& [at, graph] : steps)
                stages.push_back(Stage{"decode@" + std::to_string(at.context), graph, at.repeat,
                                       decoder_kv_cache_bytes(a_.text, run.batch, at.last_context + 1, kv)});
        }
        return stages;
    }

    // Visual instruction tuning (LLaVA-1.5 stage 2): the vision tower is frozen, the projector and
    // the language model train. Logits cover every position, as Hugging Face computes them; the
    // loss reads only the text positions (image positions carry ignore_index labels).
    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        const Val image = emit_image_features(b, run, /*trainable_tower=*/false);
        auto s = b.scope("language_model", std::string("decoder"));
        Val h = merge(b, run, image);
        h = emit_decoder_blocks(b, a_.text, h, 0, false);
        const Val logits = emit_decoder_head(b, a_.text, h, false);
        const Val text_logits = b.slice(logits, {run.batch, run.input_len, a_.text.vocab});
        b.cross_entropy(b.view(text_logits, {run.batch * run.input_len, a_.text.vocab}), "loss");
        return g;
    }

private:
    // Vision tower over one image per sequence, the selected hidden state(s) without the class
    // token, and the projector: returns [B, image_tokens, text hidden].
    Val emit_image_features(GraphBuilder& b, const RunSpec& run, bool trainable_tower) const {
        const std::int64_t batch = run.batch, dv = a_.vision.block.hidden;
        Val features;
        {
            auto s = b.scope("vision_tower", std::string("vision"));
            b.set_trainable(trainable_tower);
            const ClipVisionOutputs out = emit_clip_vision_outputs(b, a_.vision, batch);
            b.set_trainable(true);
            std::vector<Val> picked;
            for (std::int64_t layer : a_.feature_layers) picked.push_back(out.hidden_states.at(static_cast<std::size_t>(layer)));
            features = picked.size() == 1 ? picked.front()
                                          : b.concat(picked, 2, "feature_concat", ModuleGroup::other);
            // "default" drops the class token: tokens 1.. are read in place.
            if (a_.drop_cls)
                features = b.slice(features, {batch, a_.image_tokens, dv * static_cast<std::int64_t>(picked.size())});
        }
        auto s = b.scope("multi_modal_projector", std::string("projector"));
        Val h = b.linear(features, a_.text.hidden, a_.projector_bias, "linear_1", ModuleGroup::ffn);
        h = b.act(h, a_.projector_act, "act", ModuleGroup::ffn);
        return b.linear(h, a_.text.hidden, a_.projector_bias, "linear_2", ModuleGroup::ffn);
    }

    // Prompt embeddings with the image features placed before them: [B, image_tokens + S, d].
    // (Hugging Face scatters the features into the image-token positions; either way one copy.)
    Val merge(GraphBuilder& b, const RunSpec& run, const Val& image) const {
        const Val ids = b.input("input_ids", {run.batch, run.input_len}, DType::int32);
        const Val text = emit_decoder_embedding(b, a_.text, ids);
        return b.concat({image, text}, 1, "merge_image_features", ModuleGroup::embedding);
    }

    std::shared_ptr<const OpGraph> prefill(const RunSpec& run) const {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        const Val image = emit_image_features(b, run, true);
        auto s = b.scope("language_model", std::string("decoder"));
        const Val h = emit_decoder_blocks(b, a_.text, merge(b, run, image), 0, true);
        emit_decoder_head(b, a_.text, h, true);
        return g;
    }

    // One generated token at `context` cached tokens. The vision tower and projector do not run,
    // but their weights stay resident: they are registered so the parameter count and the weight
    // bytes do not depend on the phase.
    std::shared_ptr<const OpGraph> decode_step(const RunSpec& run, std::int64_t context) const {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        emit_decode_step(b, run, context);
        return g;
    }

    void emit_decode_step(GraphBuilder& b, const RunSpec& run, std::int64_t context) const {
        {
            OpGraph vision_only;
            GraphBuilder vb(vision_only, run);
            emit_image_features(vb, run, true);
            for (const Weight& w : vision_only.weights()) b.graph().add_weight(w);
        }
        auto s = b.scope("language_model", std::string("decoder"));
        const Val ids = b.input("input_ids", {run.batch, 1}, DType::int32);
        const Val h = emit_decoder_blocks(b, a_.text, emit_decoder_embedding(b, a_.text, ids), context, true);
        emit_decoder_head(b, a_.text, h, true);
    }

    LlavaArch a_;
};

std::unique_ptr<Model> parse_llava(const json& j, const ConfigContext& ctx) {
    const LlavaConfig c = llava_schema().parse(j, ctx);
    LlavaArch a;
    a.vision = parse_clip_vision_config(c.vision_config, ctx.at("vision_config"));
    a.vision.projection_dim = 0;  // LLaVA reads hidden states, not the CLIP embedding
    if (auto it = c.text_config.find("model_type");
        it != c.text_config.end() && !(it->is_string() && (*it == "llama" || *it == "mistral")))
        ctx.at("text_config").at("model_type").fail("expected \"llama\" or \"mistral\" (LLaVA's language models), got " +
                                                    json_type_name(*it));
    a.text = parse_decoder_arch(with_text_defaults(c.text_config), ctx.at("text_config"));
    const std::int64_t states = a.vision.layers + 1;  // embeddings + one per block
    for (std::size_t i = 0; i < c.vision_feature_layers.size(); ++i) {
        const std::int64_t layer = c.vision_feature_layers[i];
        const std::int64_t resolved = layer < 0 ? states + layer : layer;
        if (resolved < 0 || resolved >= states) {
            const bool listed = j.contains("vision_feature_layer") && j["vision_feature_layer"].is_array();
            const ConfigContext at = listed ? ctx.at("vision_feature_layer").at(std::to_string(i))
                                            : ctx.at("vision_feature_layer");
            at.fail("expected a hidden-state index in [" + std::to_string(-states) + ", " +
                    std::to_string(states - 1) + "] (the tower has " + std::to_string(a.vision.layers) +
                    " blocks), got " + std::to_string(layer));
        }
        a.feature_layers.push_back(resolved);
    }
    a.drop_cls = c.vision_feature_select_strategy == "default";
    a.image_tokens = clip_vision_tokens(a.vision) - (a.drop_cls ? 1 : 0);
    if (c.image_seq_length && *c.image_seq_length != a.image_tokens)
        ctx.at("image_seq_length").fail("expected " + std::to_string(a.image_tokens) +
                                        " (what the vision tower and vision_feature_select_strategy produce), got " +
                                        std::to_string(*c.image_seq_length));
    a.projector_act = parse_act(c.projector_hidden_act);
    a.projector_bias = c.multimodal_projector_bias;
    return std::make_unique<LlavaModel>(std::move(a));
}

const FamilyRegistrar kLlava{{"llava", parse_llava, [] { return std::vector<SchemaDoc>{llava_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
