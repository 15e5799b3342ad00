#pragma once
// Encoder-decoder models (T5, Whisper): the phases they share. A family supplies its encoder, its
// decoder and its decoder-prompt length; this base turns them into the stages of every phase
// (docs/families/encoder-decoder.md):
//   encode   the encoder over input_len positions
//   prefill  the encoder, then the decoder over its prompt, filling the self-attention cache with
//            the prompt's K/V and the cross-attention cache with the K/V of the encoder output
//   decode   one decoder step: reads both caches, does not run the encoder
//   generate prefill + (output_len - 1) decode steps (the prefill yields the first token)
//   train    teacher forcing: encoder over input_len, decoder over output_len target tokens, loss
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../family.hpp"
#include "transformer.hpp"

namespace fmsim::workloads {

// One decoder pass.
struct EncDecDecoderCall {
    std::int64_t batch = 1;
    std::int64_t new_tokens = 1;  // decoder tokens fed in this pass
    std::int64_t past = 0;        // decoder tokens already in the self-attention cache
    bool cache_kv = false;        // append the new self-attention K/V (and the cross K/V) to the caches
    std::optional<Val> memory;    // encoder output [B, M, d]: cross K/V projected from it
    std::int64_t memory_len = 0;  // without `memory`: M positions of cross K/V read from the cache
    bool last_token_only = false; // logits of the last position only (serving), else all (training)
};

class EncoderDecoderModel : public Model {
public:
    // Transcribing and translating are what users run these models for.
    RunPhase default_phase() const override { return RunPhase::generate; }

protected:
    // decoder_layers and kv_width (K or V width per token of one layer; the same for the self- and
    // the cross-attention cache) size the caches; prompt_len is the decoder's prompt in prefill.
    EncoderDecoderModel(std::int64_t decoder_layers, std::int64_t kv_width, std::int64_t prompt_len)
        : decoder_layers_(decoder_layers), kv_width_(kv_width), prompt_len_(prompt_len) {}

    // Emits the encoder over `batch` inputs of `input_len` positions; returns its output [B, M, d].
    virtual Val emit_encoder(GraphBuilder& b, std::int64_t batch, std::int64_t input_len) const = 0;
    // Emits a decoder pass; returns logits [B, tokens, vocab] (tokens = 1 when last_token_only).
    virtual Val emit_decoder(GraphBuilder& b, const EncDecDecoderCall& call) const = 0;

    std::int64_t prompt_len() const { return prompt_len_; }

    // Self-attention cache of `self_tokens` plus cross-attention cache of `cross_tokens` per
    // sequence: K and V, every decoder layer.
    std::int64_t kv_cache_bytes(const RunSpec& run, std::int64_t self_tokens, std::int64_t cross_tokens) const {
        const DType kv = run.precision.kv_cache;
        return 2 * decoder_layers_ *
               (storage_bytes(kv_width_ * self_tokens * run.batch, kv) +
                storage_bytes(kv_width_ * cross_tokens * run.batch, kv));
    }

    std::vector<Stage> build_inference(const RunSpec& run) const override {
        std::vector<Stage> stages;
        const std::int64_t m = run.input_len;
        if (run.phase == RunPhase::encode) {
            auto g = std::make_shared<OpGraph>();
            {
                GraphBuilder b(*g, run);
                emit_encoder(b, run.batch, m);
            }
            add_weights(*g, decoder_weights(run));
            stages.push_back(Stage{"encode", g, 1, 0});
            return stages;
        }
        if (run.phase == RunPhase::prefill || run.phase == RunPhase::generate) {
            auto g = std::make_shared<OpGraph>();
            GraphBuilder b(*g, run);
            const Val memory = emit_encoder(b, run.batch, m);
            EncDecDecoderCall c;
            c.batch = run.batch;
            c.new_tokens = prompt_len_;
            c.cache_kv = true;
            c.memory = memory;
            c.last_token_only = true;
            emit_decoder(b, c);
            stages.push_back(Stage{"prefill", g, 1, kv_cache_bytes(run, prompt_len_, m)});
        }
        // A decode step at `past` cached decoder tokens; the encoder's weights stay resident.
        const std::vector<Weight> encoder_w =
            run.phase == RunPhase::decode || run.phase == RunPhase::generate ? encoder_weights(run) : std::vector<Weight>{};
        auto step = [&](std::int64_t past) {
            auto g = std::make_shared<OpGraph>();
            add_weights(*g, encoder_w);
            GraphBuilder b(*g, run);
            EncDecDecoderCall c;
            c.batch = run.batch;
            c.new_tokens = 1;
            c.past = past;
            c.cache_kv = true;
            c.memory_len = m;
            c.last_token_only = true;
            emit_decoder(b, c);
            return g;
        };
        // decode: output_len = tokens generated so far (>= 1); the token fed is the last of them,
        // so the self-attention cache holds the prompt and the other output_len - 1 tokens.
        if (run.phase == RunPhase::decode) {
            const std::int64_t past = prompt_len_ + run.output_len - 1;
            stages.push_back(Stage{"decode", step(past), 1, kv_cache_bytes(run, past + 1, m)});
        }
        if (run.phase == RunPhase::generate)
            for (const DecodeSample& at : sample_decode_steps(prompt_len_, run.output_len - 1, run.max_decode_samples))
                stages.push_back(Stage{"decode@" + std::to_string(at.context), step(at.context), at.repeat,
                                       kv_cache_bytes(run, at.last_context + 1, m)});
        return stages;
    }

    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        EncDecDecoderCall c;
        c.batch = run.batch;
        c.new_tokens = run.output_len;
        c.memory = emit_encoder(b, run.batch, run.input_len);
        const Val logits = emit_decoder(b, c);
        auto s = b.scope("", std::string("decoder"));
        const std::int64_t vocab = logits.last();
        b.cross_entropy(b.view(logits, {run.batch * run.output_len, vocab}), "loss");
        return g;
    }

private:
    // Every phase carries the whole model's weights (params and weight bytes do not depend on the
    // phase); a stage that does not run a part registers its weights without ops, as the
    // cross-attention K/V projections of a decode step are.
    static void add_weights(OpGraph& g, const std::vector<Weight>& weights) {
        for (const Weight& w : weights) g.add_weight(w);
    }
    std::vector<Weight> encoder_weights(const RunSpec& run) const {
        OpGraph scratch;
        GraphBuilder b(scratch, run);
        emit_encoder(b, 1, run.input_len);
        return scratch.weights();
    }
    std::vector<Weight> decoder_weights(const RunSpec& run) const {
        OpGraph scratch;
        GraphBuilder b(scratch, run);
        EncDecDecoderCall c;
        c.memory_len = run.input_len;
        emit_decoder(b, c);
        return scratch.weights();
    }

    std::int64_t decoder_layers_, kv_width_, prompt_len_;
};

}  // namespace fmsim::workloads
