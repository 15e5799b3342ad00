// Whisper (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision",
// section 2.2 and Figure 1) as Hugging Face's WhisperConfig describes it.
//
// Structure (transformers/models/whisper/modeling_whisper.py):
//   encoder: log-Mel features [B, num_mel_bins, 2 * max_source_positions] (a 30-s window of
//     3000 frames) -> conv1d(mel -> d, k3, pad 1) + GELU -> conv1d(d -> d, k3, stride 2, pad 1)
//     + GELU -> [B, max_source_positions, d] + sinusoidal positions (a fixed table stored as
//     embed_positions.weight and frozen: requires_grad False) -> pre-LN blocks -> final LayerNorm
//   decoder: token embedding + learned positions (max_target_positions rows) -> pre-LN blocks with
//     causal self-attention, cross-attention to the encoder output and a GELU MLP -> final
//     LayerNorm -> LM head tied to the token embedding (proj_out)
//   biases on every linear except the key projections (k_proj has bias=False).
#include <functional>

#include "encdec.hpp"

namespace fmsim::workloads {

namespace {

struct WhisperConfig {
    std::int64_t d_model = 0, encoder_layers = 0, decoder_layers = 0;
    std::int64_t encoder_attention_heads = 0, decoder_attention_heads = 0;
    std::int64_t encoder_ffn_dim = 0, decoder_ffn_dim = 0;
    std::int64_t vocab_size = 0, num_mel_bins = 0, max_source_positions = 0, max_target_positions = 0;
    std::string activation_function;
    bool tie_word_embeddings = true;
};

const Schema<WhisperConfig>& whisper_schema() {
    static const auto s = [] {
        Schema<WhisperConfig> s("whisper",
                                "OpenAI Whisper speech encoder-decoders (Hugging Face WhisperConfig field names): a "
                                "2-layer conv front end over log-Mel features, pre-LN blocks with biases (none on "
                                "k_proj), GELU MLPs, a decoder with cross-attention and a tied LM head.");
        s.integer("d_model", &WhisperConfig::d_model, std::nullopt, "", "Hidden size d (encoder and decoder).")
            .integer("encoder_layers", &WhisperConfig::encoder_layers, std::nullopt, "", "Encoder blocks.", 1, kMaxLayers)
            .integer("decoder_layers", &WhisperConfig::decoder_layers, std::nullopt, "", "Decoder blocks.", 1, kMaxLayers)
            .integer("encoder_attention_heads", &WhisperConfig::encoder_attention_heads, std::nullopt, "",
                     "Encoder attention heads.")
            .integer("decoder_attention_heads", &WhisperConfig::decoder_attention_heads, std::nullopt, "",
                     "Decoder attention heads (self- and cross-attention).")
            .integer("encoder_ffn_dim", &WhisperConfig::encoder_ffn_dim, std::nullopt, "", "Encoder MLP hidden size.")
            .integer("decoder_ffn_dim", &WhisperConfig::decoder_ffn_dim, std::nullopt, "", "Decoder MLP hidden size.")
            .integer("vocab_size", &WhisperConfig::vocab_size, std::nullopt, "tokens", "Vocabulary size.")
            .integer("num_mel_bins", &WhisperConfig::num_mel_bins, 80, "channels",
                     "Log-Mel channels of the input features (80; 128 from large-v3).")
            .integer("max_source_positions", &WhisperConfig::max_source_positions, 1500, "positions",
                     "Encoder positions: the 30-s window after the stride-2 convolution (2x this many Mel frames).")
            .integer("max_target_positions", &WhisperConfig::max_target_positions, 448, "tokens",
                     "Rows of the decoder's learned position table: the longest decoder sequence.")
            .choice("activation_function", &WhisperConfig::activation_function,
                    {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "quick_gelu"}, "gelu",
                    "MLP activation (the conv front end always uses the exact GELU).")
            .boolean("tie_word_embeddings", &WhisperConfig::tie_word_embeddings, true,
                     "LM head (proj_out) shares the decoder's token embedding table.");
        for (const char* k : {"dropout", "attention_dropout", "activation_dropout", "encoder_layerdrop",
                              "decoder_layerdrop", "init_std", "scale_embedding"})
            s.ignored(k, "numerics, dropout or initialisation; no effect on cost (this family's training graph does not replay dropout)");
        for (const char* k : {"apply_spec_augment", "mask_time_prob", "mask_time_length", "mask_time_min_masks",
                              "mask_feature_prob", "mask_feature_length", "mask_feature_min_masks"})
            s.ignored(k, "SpecAugment training augmentation of the features; no effect on cost");
        for (const char* k : {"use_weighted_layer_sum", "classifier_proj_size"})
            s.ignored(k, "audio-classification head (WhisperForAudioClassification), not built");
        for (const char* k : {"forced_decoder_ids", "suppress_tokens", "begin_suppress_tokens", "max_length",
                              "median_filter_width", "alignment_heads"})
            s.ignored(k, "generation setting (logit processors, token timestamps); no effect on cost");
        s.ignored("num_hidden_layers", "legacy copy of encoder_layers written by WhisperConfig");
        return add_hf_metadata(s);
    }();
    return s;
}

struct WhisperArch {
    std::int64_t d = 0, vocab = 0, mel_bins = 0, source_positions = 0, target_positions = 0;
    std::int64_t encoder_layers = 0, decoder_layers = 0;
    BlockSpec encoder_block, decoder_block;
    bool tied = true;
};

BlockSpec whisper_block(std::int64_t d, std::int64_t heads, std::int64_t ffn, Act act, bool causal) {
    BlockSpec s;
    s.hidden = d;
    s.heads = s.kv_heads = heads;
    s.head_dim = d / heads;
    s.ffn = ffn;
    s.norm = Norm::layer;
    s.norm_bias = true;
    s.pre_norm = true;
    s.attention_bias = true;  // q, v, out; the key projection has none (see linear_partly_biased)
    s.mlp_bias = true;
    s.gated = false;
    s.act = act;
    s.causal = causal;
    return s;
}


WhisperArch parse_whisper_arch(const json& j, const ConfigContext& ctx) {
    const WhisperConfig c = whisper_schema().parse(j, ctx);
    require_multiple(ctx, "d_model", c.d_model, c.encoder_attention_heads, "encoder_attention_heads");
    require_multiple(ctx, "d_model", c.d_model, c.decoder_attention_heads, "decoder_attention_heads");
    WhisperArch a;
    a.d = c.d_model;
    a.vocab = c.vocab_size;
    a.mel_bins = c.num_mel_bins;
    a.source_positions = c.max_source_positions;
    a.target_positions = c.max_target_positions;
    a.encoder_layers = c.encoder_layers;
    a.decoder_layers = c.decoder_layers;
    const Act act = parse_act(c.activation_function);
    a.encoder_block = whisper_block(c.d_model, c.encoder_attention_heads, c.encoder_ffn_dim, act, false);
    a.decoder_block = whisper_block(c.d_model, c.decoder_attention_heads, c.decoder_ffn_dim, act, true);
    a.tied = c.tie_word_embeddings;
    return a;
}

// y = x W + b over the last dim where only `biased` of the `out_features` outputs carry a bias:
// Whisper's packed [q | k | v] and [k | v] projections, whose k part has none.
// Whisper's attention: q and v projections biased, k_proj not (bias=False in
// modeling_whisper.py), the output projection biased.
AttentionBlock whisper_attention(const BlockSpec& s, bool cross) {
    AttentionBlock a = cross ? cross_attention_block(s) : self_attention_block(s);
    a.bias = QkvBias{.q = true, .k = false, .v = true};
    a.out_bias = true;
    a.window = 0;
    return a;
}

Val pre_ln_sublayer(GraphBuilder& b, Val h, const std::string& norm_name, const std::function<Val(const Val&)>& body) {
    return pre_norm_residual(b, h, Norm::layer, true, norm_name, norm_name + "_residual", body);
}

class WhisperModel final : public EncoderDecoderModel {
public:
    // The decoder prompt of a transcription: <|startoftranscript|> <|language|> <|transcribe|>
    // <|notimestamps|> (Radford et al. 2022, Figure 1; decoder_start_token_id plus the three
    // forced_decoder_ids of the Hugging Face configs).
    static constexpr std::int64_t kDecoderPromptTokens = 4;
    // Default generated tokens, as the decoder-only families use.
    static constexpr std::int64_t kDefaultOutputTokens = 128;

    explicit WhisperModel(WhisperArch a)
        : EncoderDecoderModel(a.decoder_layers, a.decoder_block.heads * a.decoder_block.head_dim, kDecoderPromptTokens),
          a_(std::move(a)) {}
    std::string family() const override { return "whisper"; }

    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::encode, RunPhase::prefill, RunPhase::decode, RunPhase::generate, RunPhase::train},
                      "an encoder-decoder model (whisper)");
        // Whisper was trained on, and Hugging Face's WhisperEncoder and OpenAI's reference code only
        // accept, one 30-s window: the default. A shorter window (input_len < max_source_positions,
        // 2 x input_len Mel frames, the first input_len rows of the position table) is what
        // whisper.cpp's audio_ctx option runs; a longer one has no positions.
        run.input_len = positive_or(run.input_len, a_.source_positions);
        if (run.input_len > a_.source_positions)
            throw ScenarioError("whisper's encoder has " + std::to_string(a_.source_positions) +
                                " positions (a 30-s window of " + std::to_string(2 * a_.source_positions) +
                                " Mel frames); input_len must be at most " + std::to_string(a_.source_positions) +
                                ", got " + std::to_string(run.input_len));
        // Decoder positions used: tokens fed to the decoder, each needs a row of the position table.
        std::int64_t positions = kDecoderPromptTokens;
        switch (run.phase) {
            case RunPhase::decode:
                run.output_len = positive_or(run.output_len, 1);
                positions = kDecoderPromptTokens + run.output_len;
                break;
            case RunPhase::generate:
                run.output_len = positive_or(run.output_len, kDefaultOutputTokens);
                positions = kDecoderPromptTokens + run.output_len - 1;
                break;
            case RunPhase::train:
                // Default target: the decoder's whole context, the longest a 30-s segment's text may be.
                run.output_len = positive_or(run.output_len, a_.target_positions);
                positions = run.output_len;
                break;
            default: run.output_len = 0;
        }
        if (positions > a_.target_positions)
            throw ScenarioError("the decoder would run over " + std::to_string(positions) + " positions (the " +
                                std::to_string(kDecoderPromptTokens) + "-token prompt included), more than the " +
                                std::to_string(a_.target_positions) + " of whisper's position table "
                                "(max_target_positions)");
        run.steps = 0;
        return run;
    }

protected:
    Val emit_encoder(GraphBuilder& b, std::int64_t batch, std::int64_t input_len) const override {
        auto comp = b.scope("", std::string("encoder"));
        const Val features = b.input("input_features", {batch, a_.mel_bins, 2 * input_len}, b.act_dtype());
        auto name = b.scope("encoder");
        // Conv front end; HF applies the exact GELU here whatever activation_function says.
        Val x = b.conv(features, a_.d, {3}, {1}, {1}, 1, true, "conv1", ModuleGroup::conv);
        x = b.act(x, Act::gelu, "conv1_act", ModuleGroup::conv);
        x = b.conv(x, a_.d, {3}, {2}, {1}, 1, true, "conv2", ModuleGroup::conv);
        x = b.act(x, Act::gelu, "conv2_act", ModuleGroup::conv);
        // [B, d, M] -> [B, M, d]: PyTorch's permute is a view; the position add reads it.
        x = b.view(x, {batch, input_len, a_.d});
        // Sinusoidal positions: HF stores the fixed table as a frozen parameter (counted by
        // num_parameters and in the checkpoint, no gradient), so it is registered as a frozen weight.
        b.set_trainable(false);
        const TensorRef table = b.weight("embed_positions.weight", {a_.source_positions, a_.d}, ModuleGroup::embedding,
                                         b.small_param_dtype());
        b.set_trainable(true);
        Val h = b.op(OpKind::elementwise, "embed_positions_add", ModuleGroup::embedding,
                     static_cast<double>(element_count(x.shape)), {x},
                     {TensorRef{table.name, {input_len, a_.d}, table.dtype, TensorClass::weight}}, x.shape);
        const BlockSpec& s = a_.encoder_block;
        for (std::int64_t l = 0; l < a_.encoder_layers; ++l) {
            auto scope = b.scope("layers." + std::to_string(l), std::nullopt, static_cast<int>(l));
            h = pre_ln_sublayer(b, h, "attn_norm", [&](const Val& y) { return emit_self_attention(b, whisper_attention(s, false), y); });
            h = pre_ln_sublayer(b, h, "mlp_norm", [&](const Val& y) { return emit_mlp(b, s, y); });
        }
        return b.norm(h, Norm::layer, true, "final_norm");
    }

    Val emit_decoder(GraphBuilder& b, const EncDecDecoderCall& c) const override {
        auto comp = b.scope("", std::string("decoder"));
        const Val ids = b.input("decoder_input_ids", {c.batch, c.new_tokens}, DType::int32);
        auto name = b.scope("decoder");
        const Val tokens = b.embedding(ids, a_.vocab, a_.d, "embed_tokens", ModuleGroup::embedding);
        const Val pos_ids = b.input("position_ids", ids.shape, DType::int32);
        const Val pos = b.embedding(pos_ids, a_.target_positions, a_.d, "embed_positions", ModuleGroup::embedding);
        Val h = b.add(tokens, pos, "embed_add", ModuleGroup::embedding);
        const BlockSpec& s = a_.decoder_block;
        for (std::int64_t l = 0; l < a_.decoder_layers; ++l) {
            auto scope = b.scope("layers." + std::to_string(l), std::nullopt, static_cast<int>(l));
            h = pre_ln_sublayer(b, h, "attn_norm",
                                [&](const Val& y) { return emit_self_attention(b, whisper_attention(s, false), y, c.past, c.cache_kv); });
            h = pre_ln_sublayer(b, h, "cross_attn_norm", [&](const Val& y) {
                return emit_cross_attention(b, whisper_attention(s, true), y, c.memory, c.memory_len, 0, c.cache_kv);
            });
            h = pre_ln_sublayer(b, h, "mlp_norm", [&](const Val& y) { return emit_mlp(b, s, y); });
        }
        h = b.norm(h, Norm::layer, true, "final_norm");
        if (c.last_token_only) h = b.slice(h, {c.batch, 1, a_.d});
        if (!a_.tied) return b.linear(h, a_.vocab, false, "proj_out", ModuleGroup::head);
        // Tied head: the token embedding table, read whole, as the output projection (no bias).
        const std::int64_t rows = element_count(h.shape) / a_.d;
        Shape out = h.shape;
        out.back() = a_.vocab;
        return b.op(OpKind::matmul, "proj_out", ModuleGroup::head, 2.0 * rows * a_.d * a_.vocab, {h},
                    {TensorRef{b.qualified("embed_tokens.weight"), {a_.vocab, a_.d}, b.small_param_dtype(),
                               TensorClass::weight}},
                    out, GemmDims{1, rows, a_.vocab, a_.d});
    }

private:
    WhisperArch a_;
};

std::unique_ptr<Model> parse_whisper(const json& j, const ConfigContext& ctx) {
    return std::make_unique<WhisperModel>(parse_whisper_arch(j, ctx));
}

const FamilyRegistrar kWhisper{{"whisper", parse_whisper, [] { return std::vector<SchemaDoc>{whisper_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
