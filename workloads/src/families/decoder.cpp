#include "decoder.hpp"

#include <cmath>

#include "../family.hpp"
#include "transformer.hpp"

namespace fmsim::workloads {

namespace {

// Raw Hugging Face fields, one struct per config dialect; normalised into DecoderArch below.
struct Gpt2Config {
    std::int64_t n_embd = 0, n_layer = 0, n_head = 0, n_positions = 0, vocab_size = 0;
    std::optional<std::int64_t> n_inner;
    std::string activation_function;
    bool tie_word_embeddings = true;
    double attn_pdrop = 0, resid_pdrop = 0, embd_pdrop = 0;
};

const Schema<Gpt2Config>& gpt2_schema() {
    static const auto s = [] {
        Schema<Gpt2Config> s("gpt2", "GPT-2 and GPT-3 style decoders: learned positions, pre-LayerNorm, GELU MLP, "
                                     "biases everywhere (Hugging Face GPT2Config field names).");
        s.integer("n_embd", &Gpt2Config::n_embd, std::nullopt, "", "Hidden size d.")
            .integer("n_layer", &Gpt2Config::n_layer, std::nullopt, "", "Transformer blocks.", 1, kMaxLayers)
            .integer("n_head", &Gpt2Config::n_head, std::nullopt, "", "Attention heads.")
            .integer("n_positions", &Gpt2Config::n_positions, std::nullopt, "tokens",
                     "Rows of the learned position table: the longest sequence (a default prompt leaves room "
                     "in it for the generated tokens).")
            .integer("vocab_size", &Gpt2Config::vocab_size, std::nullopt, "tokens", "Vocabulary size.")
            .optional_integer("n_inner", &Gpt2Config::n_inner, "4 * n_embd", "", "FFN hidden size.")
            .choice("activation_function", &Gpt2Config::activation_function,
                    {"gelu_new", "gelu", "gelu_fast", "gelu_pytorch_tanh", "relu", "quick_gelu"}, "gelu_new",
                    "FFN activation.")
            .boolean("tie_word_embeddings", &Gpt2Config::tie_word_embeddings, true,
                     "LM head shares the token embedding table.")
            .probability("attn_pdrop", &Gpt2Config::attn_pdrop, 0.1,
                    "Dropout on the attention probabilities in training (Hugging Face's default); an op of its "
                    "own with unfused attention, inside the fused kernel otherwise.")
            .probability("resid_pdrop", &Gpt2Config::resid_pdrop, 0.1,
                    "Dropout on each attention and MLP output before its residual add, in training.")
            .probability("embd_pdrop", &Gpt2Config::embd_pdrop, 0.1, "Dropout on the embeddings, in training.");
        for (const char* k : {"layer_norm_epsilon", "n_ctx",
                              "summary_activation", "summary_first_dropout", "summary_proj_to_labels",
                              "summary_type", "summary_use_proj", "task_specific_params", "scale_attn_weights",
                              "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "gradient_checkpointing"})
            s.ignored(k, "numerics, dropout or fine-tuning heads; no effect on cost");
        return add_hf_metadata(s);
    }();
    return s;
}

struct OptConfig {
    std::int64_t hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, ffn_dim = 0;
    std::int64_t max_position_embeddings = 0, vocab_size = 0;
    std::optional<std::int64_t> word_embed_proj_dim;
    std::string activation_function;
    bool do_layer_norm_before = true, enable_bias = true, layer_norm_elementwise_affine = true;
    bool tie_word_embeddings = true;
    double dropout = 0, attention_dropout = 0;
};

const Schema<OptConfig>& opt_schema() {
    static const auto s = [] {
        Schema<OptConfig> s("opt", "Meta OPT decoders (Hugging Face OPTConfig field names). Learned positions with "
                                   "the 2-row offset OPT uses, pre-LayerNorm, ReLU MLP.");
        s.integer("hidden_size", &OptConfig::hidden_size, std::nullopt, "", "Hidden size d.")
            .integer("num_hidden_layers", &OptConfig::num_hidden_layers, std::nullopt, "", "Transformer blocks.", 1, kMaxLayers)
            .integer("num_attention_heads", &OptConfig::num_attention_heads, std::nullopt, "", "Attention heads.")
            .integer("ffn_dim", &OptConfig::ffn_dim, std::nullopt, "", "FFN hidden size.")
            .integer("max_position_embeddings", &OptConfig::max_position_embeddings, std::nullopt, "tokens",
                     "Longest sequence; the position table has 2 more rows (a default prompt leaves room in it for "
                     "the generated tokens).")
            .integer("vocab_size", &OptConfig::vocab_size, std::nullopt, "tokens", "Vocabulary size.")
            .optional_integer("word_embed_proj_dim", &OptConfig::word_embed_proj_dim, "hidden_size", "",
                              "Embedding width; must equal hidden_size (OPT-350m's projection is not modelled).")
            .choice("activation_function", &OptConfig::activation_function, {"relu", "gelu"}, "relu",
                    "FFN activation.")
            .boolean("do_layer_norm_before", &OptConfig::do_layer_norm_before, true,
                     "Pre-LayerNorm; must be true (post-norm OPT-350m is not modelled).")
            .boolean("enable_bias", &OptConfig::enable_bias, true, "Linear layers have biases.")
            .boolean("layer_norm_elementwise_affine", &OptConfig::layer_norm_elementwise_affine, true,
                     "LayerNorms have a weight and a bias.")
            .boolean("tie_word_embeddings", &OptConfig::tie_word_embeddings, true,
                     "LM head shares the token embedding table.")
            .probability("dropout", &OptConfig::dropout, 0.1,
                    "Dropout on the embeddings and on each attention and MLP output, in training (Hugging Face's default).")
            .probability("attention_dropout", &OptConfig::attention_dropout, 0.0,
                    "Dropout on the attention probabilities in training (an op of its own with unfused attention).");
        for (const char* k : {"activation_dropout", "layerdrop", "init_std",
                              "prefix", "_remove_final_layer_norm", "output_projection", "scale_embedding"})
            s.ignored(k, "numerics, dropout or conversion flags; no effect on cost");
        return add_hf_metadata(s);
    }();
    return s;
}

struct LlamaConfig {
    std::int64_t hidden_size = 0, intermediate_size = 0, num_hidden_layers = 0, num_attention_heads = 0;
    std::optional<std::int64_t> num_key_value_heads, head_dim, sliding_window;
    std::int64_t vocab_size = 0, max_position_embeddings = 0;
    std::int64_t num_local_experts = 0, num_experts_per_tok = 0;
    std::string hidden_act;
    bool tie_word_embeddings = false, attention_bias = false, mlp_bias = false;
    double attention_dropout = 0;
};

Schema<LlamaConfig> llama_like_schema(const std::string& type) {
    Schema<LlamaConfig> s(type, type == "mixtral"
                                    ? "Mixtral sparse mixture-of-experts decoders (Hugging Face MixtralConfig): a "
                                      "LLaMA block whose FFN is num_local_experts SwiGLU experts, top-k routed."
                                    : "LLaMA-style decoders (Hugging Face " + type +
                                          " config): rotary positions, pre-RMSNorm, SwiGLU FFN, grouped-query "
                                          "attention, no biases.");
    s.integer("hidden_size", &LlamaConfig::hidden_size, std::nullopt, "", "Hidden size d.")
        .integer("intermediate_size", &LlamaConfig::intermediate_size, std::nullopt, "",
                 "FFN hidden size (per expert for MoE).")
        .integer("num_hidden_layers", &LlamaConfig::num_hidden_layers, std::nullopt, "", "Transformer blocks.", 1, kMaxLayers)
        .integer("num_attention_heads", &LlamaConfig::num_attention_heads, std::nullopt, "", "Query heads.")
        .optional_integer("num_key_value_heads", &LlamaConfig::num_key_value_heads, "num_attention_heads", "",
                          "Key/value heads: equal to the query heads is MHA, fewer is GQA, 1 is MQA.")
        .optional_integer("head_dim", &LlamaConfig::head_dim, "hidden_size / num_attention_heads", "",
                          "Width of one head.")
        .integer("vocab_size", &LlamaConfig::vocab_size, std::nullopt, "tokens", "Vocabulary size.")
        .integer("max_position_embeddings", &LlamaConfig::max_position_embeddings, std::nullopt, "tokens",
                 "Context the model was trained for; the default input length is min(2048, this).")
        .choice("hidden_act", &LlamaConfig::hidden_act, {"silu", "gelu", "gelu_pytorch_tanh", "relu"}, "silu",
                "Gate activation of the gated FFN.")
        .boolean("tie_word_embeddings", &LlamaConfig::tie_word_embeddings, false,
                 "LM head shares the token embedding table.")
        .boolean("attention_bias", &LlamaConfig::attention_bias, false, "q/k/v/o projections have biases.")
        .boolean("mlp_bias", &LlamaConfig::mlp_bias, false, "FFN projections have biases.")
        .probability("attention_dropout", &LlamaConfig::attention_dropout, 0.0,
                "Dropout on the attention probabilities in training (an op of its own with unfused attention).");
    if (type == "mistral" || type == "mixtral")
        s.optional_integer("sliding_window", &LlamaConfig::sliding_window, "none (full attention)", "tokens",
                           "Keys each query attends to; the KV cache keeps only this many tokens.");
    if (type == "mixtral")
        s.integer("num_local_experts", &LlamaConfig::num_local_experts, std::nullopt, "", "Experts per MoE layer.")
            .integer("num_experts_per_tok", &LlamaConfig::num_experts_per_tok, std::nullopt, "",
                     "Experts each token is routed to (top-k).")
            .ignored("router_aux_loss_coef", "training loss weight")
            .ignored("output_router_logits", "runtime flag")
            .ignored("router_jitter_noise", "training noise");
    for (const char* k : {"rms_norm_eps", "rope_theta", "rope_scaling", "pretraining_tp",
                          "max_sequence_length", "rope_interleaved"})
        s.ignored(k, "numerics or position-encoding constants; no effect on cost");
    return add_hf_metadata(s);
}

const Schema<LlamaConfig>& llama_schema(const std::string& type) {
    static const auto llama = llama_like_schema("llama");
    static const auto mistral = llama_like_schema("mistral");
    static const auto mixtral = llama_like_schema("mixtral");
    return type == "mistral" ? mistral : type == "mixtral" ? mixtral : llama;
}


// The longest sequence a rotary model runs: max_position_embeddings, or, when the config declares
// rope_scaling (linear, dynamic, yarn, llama3, longrope: Hugging Face's rope_type), its factor
// times original_max_position_embeddings, or times max_position_embeddings when the original is not
// given (Hugging Face's linear and dynamic scaling configs), whichever is longer.
std::int64_t rotary_context_limit(const json& j, std::int64_t max_positions, const ConfigContext& ctx) {
    const auto it = j.find("rope_scaling");
    if (it == j.end() || it->is_null()) return max_positions;
    const ConfigContext at = ctx.at("rope_scaling");
    if (!it->is_object()) at.fail("expected an object with a factor, or null; got " + json_type_name(*it));
    if (!it->contains("factor")) at.fail("expected a 'factor' (how far the scaling stretches the positions)");
    const double factor = schema_detail::read_number((*it)["factor"], at.at("factor"), 1.0);
    const std::int64_t base = it->contains("original_max_position_embeddings")
                                  ? schema_detail::read_int((*it)["original_max_position_embeddings"],
                                                            at.at("original_max_position_embeddings"), 1)
                                  : max_positions;
    return std::max(max_positions, static_cast<std::int64_t>(factor * static_cast<double>(base)));
}

}  // namespace

DecoderArch parse_decoder_arch(const json& j, const ConfigContext& ctx) {
    const std::string type = j.value("model_type", "");
    DecoderArch a;
    a.model_type = type;
    if (type == "gpt2") {
        const auto c = gpt2_schema().parse(j, ctx);
        require_multiple(ctx, "n_embd", c.n_embd, c.n_head, "n_head");
        a.hidden = c.n_embd;
        a.layers = c.n_layer;
        a.heads = a.kv_heads = c.n_head;
        a.head_dim = c.n_embd / c.n_head;
        a.ffn = c.n_inner.value_or(4 * c.n_embd);
        a.vocab = c.vocab_size;
        a.learned_positions = a.max_context = c.n_positions;
        a.norm = Norm::layer;
        a.linear_bias = true;
        a.act = parse_act(c.activation_function);
        a.tied_embeddings = c.tie_word_embeddings;
        a.attention_dropout = c.attn_pdrop;
        a.hidden_dropout = c.resid_pdrop;
        a.embedding_dropout = c.embd_pdrop;
    } else if (type == "opt") {
        const auto c = opt_schema().parse(j, ctx);
        require_multiple(ctx, "hidden_size", c.hidden_size, c.num_attention_heads, "num_attention_heads");
        if (c.word_embed_proj_dim && *c.word_embed_proj_dim != c.hidden_size)
            ctx.at("word_embed_proj_dim").fail("expected hidden_size (" + std::to_string(c.hidden_size) +
                                               "): OPT's embedding projection is not modelled");
        if (!c.do_layer_norm_before)
            ctx.at("do_layer_norm_before").fail("expected true: post-LayerNorm OPT is not modelled");
        if (!c.layer_norm_elementwise_affine)
            ctx.at("layer_norm_elementwise_affine").fail("expected true: LayerNorm without affine is not modelled");
        a.hidden = c.hidden_size;
        a.layers = c.num_hidden_layers;
        a.heads = a.kv_heads = c.num_attention_heads;
        a.head_dim = c.hidden_size / c.num_attention_heads;
        a.ffn = c.ffn_dim;
        a.vocab = c.vocab_size;
        // OPT's learned position table has 2 extra rows (OPTLearnedPositionalEmbedding offset).
        a.learned_positions = c.max_position_embeddings + 2;
        a.max_context = c.max_position_embeddings;
        a.norm = Norm::layer;
        a.linear_bias = c.enable_bias;
        a.act = parse_act(c.activation_function);
        a.tied_embeddings = c.tie_word_embeddings;
        a.hidden_dropout = a.embedding_dropout = c.dropout;
        a.attention_dropout = c.attention_dropout;
    } else {
        const auto c = llama_schema(type).parse(j, ctx);
        const std::int64_t kv = c.num_key_value_heads.value_or(c.num_attention_heads);
        require_multiple(ctx, "num_attention_heads", c.num_attention_heads, kv, "num_key_value_heads");
        if (!c.head_dim) require_multiple(ctx, "hidden_size", c.hidden_size, c.num_attention_heads, "num_attention_heads");
        a.hidden = c.hidden_size;
        a.layers = c.num_hidden_layers;
        a.heads = c.num_attention_heads;
        a.kv_heads = kv;
        a.head_dim = c.head_dim.value_or(c.hidden_size / c.num_attention_heads);
        a.ffn = c.intermediate_size;
        a.vocab = c.vocab_size;
        a.max_context = rotary_context_limit(j, c.max_position_embeddings, ctx);
        a.norm = Norm::rms;
        a.linear_bias = c.attention_bias;
        if (c.attention_bias != c.mlp_bias)
            ctx.at("mlp_bias").fail("expected the same value as attention_bias (mixed bias settings are not modelled)");
        a.gated_ffn = true;
        a.act = parse_act(c.hidden_act);
        a.tied_embeddings = c.tie_word_embeddings;
        a.sliding_window = c.sliding_window.value_or(0);
        a.attention_dropout = c.attention_dropout;
        if (type == "mixtral") {
            if (c.num_experts_per_tok > c.num_local_experts)
                ctx.at("num_experts_per_tok").fail("expected at most num_local_experts (" +
                                                   std::to_string(c.num_local_experts) + ")");
            a.experts = c.num_local_experts;
            a.top_k = c.num_experts_per_tok;
        }
    }
    return a;
}

std::int64_t expected_active_experts(std::int64_t num_experts, std::int64_t top_k, std::int64_t tokens) {
    const double e = static_cast<double>(num_experts);
    const double expected = e * (1.0 - std::pow(1.0 - static_cast<double>(top_k) / e, static_cast<double>(tokens)));
    return std::min<std::int64_t>(num_experts, static_cast<std::int64_t>(std::ceil(expected - 1e-9)));
}

std::int64_t decoder_kv_cache_bytes(const DecoderArch& a, std::int64_t batch, std::int64_t tokens, DType kv) {
    const std::int64_t kept = a.sliding_window > 0 ? std::min(tokens, a.sliding_window) : tokens;
    return 2 * a.layers * storage_bytes(a.kv_heads * a.head_dim * kept * batch, kv);
}

Val emit_decoder_embedding(GraphBuilder& b, const DecoderArch& a, const Val& ids) {
    Val h = b.embedding(ids, a.vocab, a.hidden, "embed_tokens", ModuleGroup::embedding);
    if (a.learned_positions > 0) {
        const Val pos_ids = b.input("position_ids", ids.shape, DType::int32);
        const Val pos = b.embedding(pos_ids, a.learned_positions, a.hidden, "embed_positions", ModuleGroup::embedding);
        h = b.add(h, pos, "embed_add", ModuleGroup::embedding);
    }
    return b.dropout(h, a.embedding_dropout, "embed_dropout", ModuleGroup::embedding);
}

namespace {
Val emit_moe(GraphBuilder& b, const DecoderArch& a, const Val& x) {
    const std::int64_t tokens = element_count(x.shape) / a.hidden;
    const Val logits = b.linear(x, a.experts, false, "router", ModuleGroup::ffn);
    // Softmax over experts plus the top-k selection (k compares per expert score).
    const Val routing = b.op(OpKind::softmax, "router_topk", ModuleGroup::ffn,
                             (kSoftmaxFlopsPerElement + static_cast<double>(a.top_k)) * tokens * a.experts, {logits},
                             {}, {tokens, a.top_k});
    const std::int64_t routed = tokens * a.top_k;
    const Val dispatched = b.op(OpKind::memcpy, "dispatch", ModuleGroup::ffn, 0, {x, routing}, {}, {routed, a.hidden});
    const std::int64_t active = expected_active_experts(a.experts, a.top_k, tokens);
    const std::int64_t rows_per_expert = (routed + active - 1) / active;
    const double share = static_cast<double>(a.top_k) / static_cast<double>(a.experts);
    auto expert_gemm = [&](const Val& in, const std::string& leaf, std::int64_t k_dim, std::int64_t n_dim) {
        std::vector<TensorRef> reads;
        for (std::int64_t e = 0; e < a.experts; ++e) {
            TensorRef w = b.weight("experts." + std::to_string(e) + "." + leaf + ".weight", {k_dim, n_dim},
                                   ModuleGroup::ffn, b.matrix_weight_dtype(), share);
            if (e < active) reads.push_back(std::move(w));  // the experts the tokens reach are read
        }
        return b.op(OpKind::matmul, "experts." + leaf, ModuleGroup::ffn, 2.0 * routed * k_dim * n_dim, {in},
                    std::move(reads), {routed, n_dim}, GemmDims{active, rows_per_expert, n_dim, k_dim});
    };
    const Val gate_up = expert_gemm(dispatched, "gate_up_proj", a.hidden, 2 * a.ffn);
    const Val act = b.gated_act(gate_up, a.act, "experts.act", ModuleGroup::ffn);
    const Val down = expert_gemm(act, "down_proj", a.ffn, a.hidden);
    // Weighted sum of each token's k expert outputs: a multiply and an add per element.
    return b.op(OpKind::elementwise, "combine", ModuleGroup::ffn, 2.0 * routed * a.hidden, {down, routing}, {},
                x.shape);
}
}  // namespace

Val emit_decoder_blocks(GraphBuilder& b, const DecoderArch& a, Val h, std::int64_t past, bool cache_kv) {
    BlockSpec spec;
    spec.hidden = a.hidden;
    spec.heads = a.heads;
    spec.kv_heads = a.kv_heads;
    spec.head_dim = a.head_dim;
    spec.ffn = a.ffn;
    spec.norm = a.norm;
    spec.norm_bias = a.norm == Norm::layer;
    spec.attention_bias = spec.mlp_bias = a.linear_bias;
    spec.gated = a.gated_ffn;
    spec.act = a.act;
    spec.causal = true;
    spec.rotary = a.learned_positions == 0;
    spec.window = a.sliding_window;
    spec.attention_dropout = a.attention_dropout;
    spec.hidden_dropout = a.hidden_dropout;
    BlockIO io;
    io.past = past;
    io.cache_kv = cache_kv;
    if (a.experts > 0) io.ffn = [&a](GraphBuilder& gb, const Val& x) { return emit_moe(gb, a, x); };
    return emit_blocks(b, spec, h, a.layers, "layers", io);
}

Val emit_decoder_head(GraphBuilder& b, const DecoderArch& a, Val h, bool last_token_only) {
    h = b.norm(h, a.norm, a.norm == Norm::layer, "final_norm");
    const std::int64_t batch = h.shape[0];
    if (last_token_only) h = b.slice(h, {batch, 1, a.hidden});
    if (!a.tied_embeddings) return b.linear(h, a.vocab, false, "lm_head", ModuleGroup::head);
    // Tied head: the token embedding table, read whole, as the output projection.
    const std::int64_t rows = element_count(h.shape) / a.hidden;
    TensorRef table{b.qualified("embed_tokens.weight"), {a.vocab, a.hidden}, b.small_param_dtype(), TensorClass::weight};
    Shape out = h.shape;
    out.back() = a.vocab;
    return b.op(OpKind::matmul, "lm_head", ModuleGroup::head, 2.0 * rows * a.hidden * a.vocab, {h}, {table}, out,
                GemmDims{1, rows, a.vocab, a.hidden});
}

namespace {

class DecoderModel final : public Model {
public:
    explicit DecoderModel(DecoderArch a) : a_(std::move(a)) {}
    std::string family() const override { return a_.model_type; }
    RunPhase default_phase() const override { return RunPhase::prefill; }

    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::train},
                      "a decoder-only model");
        if (run.phase == RunPhase::generate) run.output_len = positive_or(run.output_len, 128);
        else run.output_len = 0;
        run.steps = 0;
        const std::int64_t new_tokens = run.phase == RunPhase::decode ? 1 : run.output_len;
        // Positions end at max_context (learned tables; rotary models as trained or as their
        // rope_scaling stretches them): a default prompt leaves room for the tokens generated after it.
        std::int64_t default_prompt = std::min<std::int64_t>(2048, a_.max_context);
        default_prompt = std::max<std::int64_t>(1, std::min(default_prompt, a_.max_context - new_tokens));
        run.input_len = positive_or(run.input_len, default_prompt);
        const std::int64_t longest = run.input_len + new_tokens;
        require_positions(longest, a_.max_context,
                          a_.learned_positions > 0
                              ? a_.model_type + "'s learned position table"
                              : a_.model_type + "'s rotary positions (max_position_embeddings; a rope_scaling "
                                                "entry in the config extends them)");
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        std::vector<Stage> stages;
        const DType kv = run.precision.kv_cache;
        if (run.phase == RunPhase::prefill || run.phase == RunPhase::generate)
            stages.push_back(Stage{"prefill", build(run, run.input_len, 0, true), 1,
                                   decoder_kv_cache_bytes(a_, run.batch, run.input_len, kv)});
        if (run.phase == RunPhase::decode)
            stages.push_back(Stage{"decode", build(run, 1, run.input_len, true), 1,
                                   decoder_kv_cache_bytes(a_, run.batch, run.input_len + 1, kv)});
        // The prefill yields the first output token; each decode step yields one more.
        if (run.phase == RunPhase::generate) {
            const auto steps = decode_step_graphs(run, run.input_len, run.output_len - 1,
                                                  [&](GraphBuilder& b, std::int64_t ctx) { emit(b, run, 1, ctx, true); });
            for (const auto& [at, graph] : steps)
                stages.push_back(Stage{"decode@" + std::to_string(at.context), graph, at.repeat,
                                       decoder_kv_cache_bytes(a_, run.batch, at.last_context + 1, kv)});
        }
        return stages;
    }

    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        auto s = b.scope("", std::string("decoder"));
        const Val ids = b.input("input_ids", {run.batch, run.input_len}, DType::int32);
        Val h = emit_decoder_blocks(b, a_, emit_decoder_embedding(b, a_, ids), 0, false);
        const Val logits = emit_decoder_head(b, a_, h, false);
        b.cross_entropy(b.view(logits, {run.batch * run.input_len, a_.vocab}), "loss");
        return g;
    }

private:
    std::shared_ptr<const OpGraph> build(const RunSpec& run, std::int64_t new_tokens, std::int64_t past,
                                         bool cache_kv) const {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        emit(b, run, new_tokens, past, cache_kv);
        return g;
    }

    void emit(GraphBuilder& b, const RunSpec& run, std::int64_t new_tokens, std::int64_t past, bool cache_kv) const {
        auto s = b.scope("", std::string("decoder"));
        const Val ids = b.input("input_ids", {run.batch, new_tokens}, DType::int32);
        const Val h = emit_decoder_blocks(b, a_, emit_decoder_embedding(b, a_, ids), past, cache_kv);
        emit_decoder_head(b, a_, h, true);
    }

    DecoderArch a_;
};

std::unique_ptr<Model> parse_decoder(const json& j, const ConfigContext& ctx) {
    return std::make_unique<DecoderModel>(parse_decoder_arch(j, ctx));
}

const FamilyRegistrar kGpt2{{"gpt2", parse_decoder, [] { return std::vector<SchemaDoc>{gpt2_schema().doc()}; }}};
const FamilyRegistrar kOpt{{"opt", parse_decoder, [] { return std::vector<SchemaDoc>{opt_schema().doc()}; }}};
const FamilyRegistrar kLlama{{"llama", parse_decoder, [] { return std::vector<SchemaDoc>{llama_schema("llama").doc()}; }}};
const FamilyRegistrar kMistral{
    {"mistral", parse_decoder, [] { return std::vector<SchemaDoc>{llama_schema("mistral").doc()}; }}};
const FamilyRegistrar kMixtral{
    {"mixtral", parse_decoder, [] { return std::vector<SchemaDoc>{llama_schema("mixtral").doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
