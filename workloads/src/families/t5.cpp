// T5 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
// Transformer", JMLR 21) as Hugging Face's T5Config describes it: v1.0 (ReLU FFN, LM head tied to
// the shared embedding) and v1.1 / Flan-T5 (gated-GELU FFN, untied head).
//
// Structure (transformers/models/t5/modeling_t5.py):
//   shared token embedding (encoder, decoder and the tied head use one table)
//   encoder block: x + SelfAttention(RMSNorm(x)), x + FF(RMSNorm(x))
//   decoder block: + causal self-attention, + cross-attention to the encoder output
//   T5LayerNorm = RMS norm with a weight and no bias; no linear biases anywhere;
//   heads * d_kv may differ from d_model;
//   relative position bias: a (num_buckets x heads) table in the first block of each stack,
//   computed there and added to the attention scores of every block of that stack;
//   final RMS norm per stack; tied head: logits = (h * d_model^-0.5) E^T.
#include <algorithm>
#include <functional>

#include "encdec.hpp"

namespace fmsim::workloads {

namespace {

struct T5Config {
    std::int64_t d_model = 0, d_kv = 0, d_ff = 0, num_layers = 0, num_heads = 0, vocab_size = 0;
    std::optional<std::int64_t> num_decoder_layers, n_positions;
    std::int64_t relative_attention_num_buckets = 0, relative_attention_max_distance = 0;
    std::string feed_forward_proj;
    std::string dense_act_fn;                 // "" = derived from feed_forward_proj
    std::optional<bool> is_gated_act;         // nullopt = derived from feed_forward_proj
    bool tie_word_embeddings = true;
};

const Schema<T5Config>& t5_schema() {
    static const auto s = [] {
        Schema<T5Config> s("t5", "T5 encoder-decoders (Hugging Face T5Config field names): shared embedding, pre-RMS-norm "
                                 "blocks without biases, relative position bias, ReLU (v1.0) or gated-GELU (v1.1) FFN.");
        s.integer("d_model", &T5Config::d_model, std::nullopt, "", "Hidden size d.")
            .integer("d_kv", &T5Config::d_kv, std::nullopt, "", "Width of one attention head (heads * d_kv may differ from d_model).")
            .integer("d_ff", &T5Config::d_ff, std::nullopt, "", "FFN hidden size.")
            .integer("num_layers", &T5Config::num_layers, std::nullopt, "", "Encoder blocks.", 1, kMaxLayers)
            .optional_integer("num_decoder_layers", &T5Config::num_decoder_layers, "num_layers", "", "Decoder blocks.", 1, kMaxLayers)
            .integer("num_heads", &T5Config::num_heads, std::nullopt, "", "Attention heads.")
            .integer("vocab_size", &T5Config::vocab_size, std::nullopt, "tokens", "Vocabulary size (rows of the shared embedding).")
            .integer("relative_attention_num_buckets", &T5Config::relative_attention_num_buckets, 32, "buckets",
                     "Rows of each stack's relative-position-bias table (one column per head).", 2)
            .integer("relative_attention_max_distance", &T5Config::relative_attention_max_distance, 128, "tokens",
                     "Offset beyond which all positions share the last bucket.")
            .choice("feed_forward_proj", &T5Config::feed_forward_proj,
                    {"relu", "gelu", "gelu_new", "silu", "gated-relu", "gated-gelu", "gated-gelu_new", "gated-silu"},
                    "relu",
                    "FFN: \"ACT\" is wo(act(wi x)); \"gated-ACT\" is wo(act(wi_0 x) * wi_1 x). \"gated-gelu\" uses the "
                    "tanh GELU (gelu_new), as Hugging Face maps it.")
            .string("dense_act_fn", &T5Config::dense_act_fn, "",
                    "Activation Hugging Face derives from feed_forward_proj and saves; when present it is the one used.")
            .custom("is_gated_act", "boolean", "derived from feed_forward_proj",
                    "Gated FFN flag Hugging Face derives from feed_forward_proj and saves; when present it is the one used.",
                    [](T5Config& c, const json& j, const ConfigContext& at) { c.is_gated_act = schema_detail::read_bool(j, at); },
                    [](T5Config& c) { c.is_gated_act = std::nullopt; })
            .boolean("tie_word_embeddings", &T5Config::tie_word_embeddings, true,
                     "LM head shares the embedding table (v1.0); false gives a separate lm_head (v1.1, Flan-T5).")
            .optional_integer("n_positions", &T5Config::n_positions, "512", "tokens",
                              "Input length the checkpoint was pre-trained with (positions are relative, so it is no "
                              "limit); the default input_len.");
        for (const char* k : {"dropout_rate", "layer_norm_epsilon", "initializer_factor", "classifier_dropout"})
            s.ignored(k, "numerics, dropout or initialisation; no effect on cost (this family's training graph does not replay dropout)");
        for (const char* k : {"output_past", "task_specific_params", "gradient_checkpointing", "tokenizer_class",
                              "max_length", "early_stopping", "num_beams", "length_penalty", "no_repeat_ngram_size",
                              "prefix"})
            s.ignored(k, "runtime, generation or fine-tuning setting; no effect on cost");
        return add_hf_metadata(s);
    }();
    return s;
}

// Activations Hugging Face's ACT2FN accepts here.
const std::vector<std::string> kT5Activations{"relu", "gelu", "gelu_new", "gelu_pytorch_tanh", "silu", "swish"};

struct T5Arch {
    std::int64_t d_model = 0, d_kv = 0, d_ff = 0, heads = 0, vocab = 0;
    std::int64_t encoder_layers = 0, decoder_layers = 0;
    std::int64_t buckets = 0, max_distance = 0;
    std::int64_t default_input_len = 0;
    bool gated = false, tied = true;
    Act act = Act::relu;
    std::int64_t inner() const { return heads * d_kv; }
    BlockSpec block(bool causal) const {
        BlockSpec s;
        s.hidden = d_model;
        s.heads = s.kv_heads = heads;
        s.head_dim = d_kv;
        s.ffn = d_ff;
        s.norm = Norm::rms;
        s.norm_bias = false;
        s.pre_norm = true;
        s.attention_bias = false;
        s.mlp_bias = false;
        s.gated = gated;
        s.act = act;
        s.causal = causal;
        return s;
    }
};

// Default input length when the config has no n_positions: T5 was pre-trained on 512-token inputs
// (Raffel et al. 2020, section 3.1.2).
constexpr std::int64_t kT5PretrainInputTokens = 512;

T5Arch parse_t5_arch(const json& j, const ConfigContext& ctx) {
    const T5Config c = t5_schema().parse(j, ctx);
    T5Arch a;
    a.d_model = c.d_model;
    a.d_kv = c.d_kv;
    a.d_ff = c.d_ff;
    a.heads = c.num_heads;
    a.vocab = c.vocab_size;
    a.encoder_layers = c.num_layers;
    a.decoder_layers = c.num_decoder_layers.value_or(c.num_layers);
    a.buckets = c.relative_attention_num_buckets;
    a.max_distance = c.relative_attention_max_distance;
    // _relative_position_bucket takes log(max_distance / max_exact) with max_exact = num_buckets / 2
    // (causal) or num_buckets / 4 (bidirectional); it must be positive.
    if (a.max_distance <= a.buckets / 2)
        ctx.at("relative_attention_max_distance")
            .fail("expected more than relative_attention_num_buckets / 2 (" + std::to_string(a.buckets / 2) +
                  "), got " + std::to_string(a.max_distance));
    // feed_forward_proj "gated-ACT" or "ACT" (T5Config.__init__); "gated-gelu" means the tanh GELU.
    const std::string& ff = c.feed_forward_proj;
    const bool gated_prefix = ff.rfind("gated-", 0) == 0;
    std::string act = gated_prefix ? ff.substr(6) : ff;
    if (ff == "gated-gelu") act = "gelu_new";
    a.gated = c.is_gated_act.value_or(gated_prefix);
    if (!c.dense_act_fn.empty()) {
        if (std::find(kT5Activations.begin(), kT5Activations.end(), c.dense_act_fn) == kT5Activations.end())
            ctx.at("dense_act_fn").fail("expected one of " + schema_detail::list_text(kT5Activations) + ", got \"" +
                                        c.dense_act_fn + "\"");
        act = c.dense_act_fn;
    }
    a.act = parse_act(act);
    a.tied = c.tie_word_embeddings;
    a.default_input_len = c.n_positions.value_or(kT5PretrainInputTokens);
    return a;
}

// Primitive operations per (query, key) pair of T5Attention._relative_position_bucket, counted
// from its code: the offset (1 subtract); bidirectional: sign test, scale, add, abs (4) / causal:
// min, negate (2); is_small compare (1); log-bucket: divide, log, divide, multiply, add, min (6);
// where (1); add (1).
constexpr double kBucketFlopsBidirectional = 14;
constexpr double kBucketFlopsCausal = 12;

// Relative position bias [1, heads, q_len, k_len] for queries at positions k_len - q_len ...
// k_len - 1: bucket ids of the query-key offsets, then a gather from the stack's
// (num_buckets x heads) table. Emitted in the first block; every block of the stack reuses it.
Val emit_position_bias(GraphBuilder& b, const T5Arch& a, std::int64_t q_len, std::int64_t k_len, bool bidirectional) {
    const double pairs = static_cast<double>(q_len) * static_cast<double>(k_len);
    const Val buckets = b.op(OpKind::elementwise, "relative_position_bucket", ModuleGroup::attention,
                             (bidirectional ? kBucketFlopsBidirectional : kBucketFlopsCausal) * pairs, {}, {},
                             {q_len, k_len});
    const Val bias = b.embedding(buckets, a.buckets, a.heads, "relative_attention_bias", ModuleGroup::attention);
    // [q, k, heads] -> [1, heads, q, k]: PyTorch's permute is a view; the score add broadcasts it.
    return b.view(bias, {1, a.heads, q_len, k_len});
}

// Self-attention with the stack's position bias: packed q/k/v (no biases), o projection to d_model.
Val emit_t5_self_attention(GraphBuilder& b, const T5Arch& a, const Val& x, const Val& bias, std::int64_t past,
                           bool cache_kv, bool causal) {
    AttentionBlock attention = self_attention_block(a.block(causal));
    attention.score_bias = bias;
    return emit_self_attention(b, attention, x, past, cache_kv);
}

// Token lookup in the shared table, registered once as "shared.weight" whichever stack looks up
// first (encoder.embed_tokens and decoder.embed_tokens are that table in Hugging Face).
Val emit_shared_embedding(GraphBuilder& b, const T5Arch& a, const Val& ids, const std::string& component) {
    Weight table{"shared.weight", {a.vocab, a.d_model}, b.small_param_dtype(), ModuleGroup::embedding, component, -1};
    b.graph().add_weight(table);
    const std::int64_t n = element_count(ids.shape);
    Shape out = ids.shape;
    out.push_back(a.d_model);
    return b.op(OpKind::embedding, "embed_tokens", ModuleGroup::embedding, 0, {ids},
                {TensorRef{table.name, {n, a.d_model}, table.dtype, TensorClass::weight}}, out);
}

// Every T5 sub-layer: h + body(RMSNorm(h)), the norm without a bias.
Val residual_sublayer(GraphBuilder& b, Val h, const std::string& norm_name, const std::function<Val(const Val&)>& body) {
    return pre_norm_residual(b, h, Norm::rms, false, norm_name, norm_name + "_residual", body);
}

class T5Model final : public EncoderDecoderModel {
public:
    // The decoder starts from one token, decoder_start_token_id (T5ForConditionalGeneration.generate).
    static constexpr std::int64_t kDecoderPromptTokens = 1;
    // Default generated tokens, as the decoder-only families use.
    static constexpr std::int64_t kDefaultOutputTokens = 128;
    // Default training target length: span corruption of 512-token inputs at noise density 0.15 and
    // mean span 3 gives 114-token targets (random_spans_helper in google-research/
    // text-to-text-transfer-transformer, t5/data/preprocessors.py; Raffel et al. 2020, section 3.3).
    static constexpr std::int64_t kDefaultTrainTargetTokens = 114;

    explicit T5Model(T5Arch a) : EncoderDecoderModel(a.decoder_layers, a.inner(), kDecoderPromptTokens), a_(a) {}
    std::string family() const override { return "t5"; }

    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::encode, RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::train},
                      "an encoder-decoder model (t5)");
        run.input_len = positive_or(run.input_len, a_.default_input_len);
        switch (run.phase) {
            case RunPhase::decode: run.output_len = positive_or(run.output_len, 1); break;
            case RunPhase::generate: run.output_len = positive_or(run.output_len, kDefaultOutputTokens); break;
            case RunPhase::train: run.output_len = positive_or(run.output_len, kDefaultTrainTargetTokens); break;
            default: run.output_len = 0;
        }
        run.steps = 0;
        return run;
    }

protected:
    Val emit_encoder(GraphBuilder& b, std::int64_t batch, std::int64_t input_len) const override {
        auto comp = b.scope("", std::string("encoder"));
        const Val ids = b.input("input_ids", {batch, input_len}, DType::int32);
        auto name = b.scope("encoder");
        Val h = emit_shared_embedding(b, a_, ids, "encoder");
        const BlockSpec spec = a_.block(false);
        Val bias;
        for (std::int64_t l = 0; l < a_.encoder_layers; ++l) {
            auto s = b.scope("layers." + std::to_string(l), std::nullopt, static_cast<int>(l));
            if (l == 0) bias = emit_position_bias(b, a_, input_len, input_len, true);
            h = residual_sublayer(b, h, "attn_norm",
                                  [&](const Val& x) { return emit_t5_self_attention(b, a_, x, bias, 0, false, false); });
            h = residual_sublayer(b, h, "mlp_norm", [&](const Val& x) { return emit_mlp(b, spec, x); });
        }
        return b.norm(h, Norm::rms, false, "final_norm");
    }

    Val emit_decoder(GraphBuilder& b, const EncDecDecoderCall& c) const override {
        auto comp = b.scope("", std::string("decoder"));
        const Val ids = b.input("decoder_input_ids", {c.batch, c.new_tokens}, DType::int32);
        auto name = b.scope("decoder");
        Val h = emit_shared_embedding(b, a_, ids, "decoder");
        const BlockSpec spec = a_.block(true);
        Val bias;
        for (std::int64_t l = 0; l < a_.decoder_layers; ++l) {
            auto s = b.scope("layers." + std::to_string(l), std::nullopt, static_cast<int>(l));
            if (l == 0) bias = emit_position_bias(b, a_, c.new_tokens, c.past + c.new_tokens, false);
            h = residual_sublayer(b, h, "attn_norm", [&](const Val& x) {
                return emit_t5_self_attention(b, a_, x, bias, c.past, c.cache_kv, true);
            });
            h = residual_sublayer(b, h, "cross_attn_norm", [&](const Val& x) {
                return emit_cross_attention(b, cross_attention_block(spec), x, c.memory, c.memory_len, a_.d_model, c.cache_kv);
            });
            h = residual_sublayer(b, h, "mlp_norm", [&](const Val& x) { return emit_mlp(b, spec, x); });
        }
        h = b.norm(h, Norm::rms, false, "final_norm");
        if (c.last_token_only) h = b.slice(h, {c.batch, 1, a_.d_model});
        if (!a_.tied) return b.linear(h, a_.vocab, false, "lm_head", ModuleGroup::head);
        // Tied head (T5ForConditionalGeneration): rescale by d_model^-0.5 (one multiply per
        // element), then the shared table, read whole, as the output projection.
        h = b.scale(h, 1, "lm_head_rescale", ModuleGroup::head);
        const std::int64_t rows = element_count(h.shape) / a_.d_model;
        Shape out = h.shape;
        out.back() = a_.vocab;
        return b.op(OpKind::matmul, "lm_head", ModuleGroup::head, 2.0 * rows * a_.d_model * a_.vocab, {h},
                    {TensorRef{"shared.weight", {a_.vocab, a_.d_model}, b.small_param_dtype(), TensorClass::weight}},
                    out, GemmDims{1, rows, a_.vocab, a_.d_model});
    }

private:
    T5Arch a_;
};

std::unique_ptr<Model> parse_t5(const json& j, const ConfigContext& ctx) {
    return std::make_unique<T5Model>(parse_t5_arch(j, ctx));
}

const FamilyRegistrar kT5{{"t5", parse_t5, [] { return std::vector<SchemaDoc>{t5_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
