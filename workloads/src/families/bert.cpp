// BERT (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language
// Understanding"), as Hugging Face's modeling_bert.py builds it: word + position + token-type
// embeddings, an embedding LayerNorm, post-LN Transformer blocks, a pooler, and the pre-training
// heads (masked-LM and next-sentence prediction). docs/families/encoders-and-multimodal.md.
#include "../family.hpp"
#include "encoder_common.hpp"
#include "transformer.hpp"

namespace fmsim::workloads {

namespace {

// tanh counts as one primitive operation per element, as the builder counts transcendentals.
constexpr double kTanhFlopsPerElement = 1;

struct BertConfig {
    std::int64_t vocab_size = 0, hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0;
    std::int64_t intermediate_size = 0, max_position_embeddings = 0, type_vocab_size = 0;
    std::string hidden_act, position_embedding_type;
    bool tie_word_embeddings = true;
    double hidden_dropout_prob = 0, attention_probs_dropout_prob = 0;
};

const Schema<BertConfig>& bert_schema() {
    static const auto s = [] {
        Schema<BertConfig> s("bert",
                             "BERT encoders (Hugging Face BertConfig): word, learned position and token-type "
                             "embeddings, an embedding LayerNorm, post-LayerNorm blocks with biases, a pooler (dense "
                             "+ tanh on [CLS]) and the pre-training heads of the published checkpoints (masked-LM "
                             "head tied to the word embeddings, next-sentence head). Phases encode (default) and "
                             "train (MLM + NSP losses).");
        s.integer("vocab_size", &BertConfig::vocab_size, std::nullopt, "tokens", "WordPiece vocabulary size.")
            .integer("hidden_size", &BertConfig::hidden_size, std::nullopt, "", "Hidden size d.")
            .integer("num_hidden_layers", &BertConfig::num_hidden_layers, std::nullopt, "", "Transformer blocks.", 1, kMaxLayers)
            .integer("num_attention_heads", &BertConfig::num_attention_heads, std::nullopt, "",
                     "Attention heads; must divide hidden_size.")
            .integer("intermediate_size", &BertConfig::intermediate_size, std::nullopt, "", "FFN hidden size.")
            .integer("max_position_embeddings", &BertConfig::max_position_embeddings, std::nullopt, "tokens",
                     "Rows of the learned position table: the longest input.")
            .integer("type_vocab_size", &BertConfig::type_vocab_size, 2, "",
                     "Rows of the token-type (segment) table.")
            .choice("hidden_act", &BertConfig::hidden_act, {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"},
                    "gelu", "FFN and MLM-transform activation.")
            .choice("position_embedding_type", &BertConfig::position_embedding_type, {"absolute"}, "absolute",
                    "Learned absolute positions (the relative_key variants are not modelled).")
            .boolean("tie_word_embeddings", &BertConfig::tie_word_embeddings, true,
                     "The MLM decoder reuses the word-embedding table (it keeps its own bias).")
            .probability("hidden_dropout_prob", &BertConfig::hidden_dropout_prob, 0.1,
                    "Dropout on the embeddings and on each attention and FFN output, in training (Hugging Face's default).")
            .probability("attention_probs_dropout_prob", &BertConfig::attention_probs_dropout_prob, 0.1,
                    "Dropout on the attention probabilities in training (an op of its own with unfused attention).");
        for (const char* k : {"layer_norm_eps",
                              "classifier_dropout", "directionality", "pooler_fc_size", "pooler_num_attention_heads",
                              "pooler_num_fc_layers", "pooler_size_per_head", "pooler_type"})
            s.ignored(k, "dropout, numerics or unused conversion fields; no effect on cost");
        add_pretrained_config_keys(s);
        return add_hf_metadata(s);
    }();
    return s;
}

struct BertArch {
    BlockSpec block;
    std::int64_t layers = 0, vocab = 0, max_positions = 0, type_vocab = 0;
    bool tied = true;
};

class BertModel final : public Model {
public:
    explicit BertModel(BertArch a) : a_(std::move(a)) {}
    std::string family() const override { return "bert"; }
    RunPhase default_phase() const override { return RunPhase::encode; }

    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::encode, RunPhase::train}, "a BERT encoder");
        // 512 tokens is BERT's pre-training length (Devlin et al. 2019, Section A.2).
        run.input_len = positive_or(run.input_len, std::min<std::int64_t>(512, a_.max_positions));
        require_positions(run.input_len, a_.max_positions,
                          "BERT's learned position table (max_position_embeddings)");
        run.output_len = 0;
        run.steps = 0;
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        emit_bert(b, run);
        // The published checkpoints (BertForPreTraining) hold the pre-training heads; they are
        // registered, not run, so the parameter count does not depend on the phase.
        register_pretraining_heads(b);
        return {Stage{"encode", g}};
    }

    // BertForPreTraining: MLM logits over every position (as Hugging Face computes them; the loss
    // then ignores unmasked labels) and the next-sentence logits from the pooled [CLS].
    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        const auto [hidden, pooled] = emit_bert(b, run);
        auto s = b.scope("cls", std::string("head"));
        const std::int64_t d = a_.block.hidden, rows = run.batch * run.input_len;
        Val mlm;
        {
            auto p = b.scope("predictions");
            Val t;
            {
                auto tr = b.scope("transform");
                t = b.linear(hidden, d, true, "dense", ModuleGroup::head);
                t = b.act(t, a_.block.act, "transform_act_fn", ModuleGroup::head);
                t = b.norm(t, Norm::layer, true, "LayerNorm", ModuleGroup::head);
            }
            const TensorRef bias = b.weight("bias", {a_.vocab}, ModuleGroup::head, b.small_param_dtype());
            const TensorRef table = decoder_weight(b);
            // x W^T + b over the vocabulary: 2 * rows * d * V + rows * V FLOPs.
            mlm = b.op(OpKind::matmul, "decoder", ModuleGroup::head, 2.0 * rows * d * a_.vocab + 1.0 * rows * a_.vocab,
                       {t}, {table, bias}, {run.batch, run.input_len, a_.vocab}, GemmDims{1, rows, a_.vocab, d});
        }
        const Val nsp = b.linear(pooled, 2, true, "seq_relationship", ModuleGroup::head);
        const Val mlm_loss = b.cross_entropy(b.view(mlm, {rows, a_.vocab}), "mlm_loss");
        const Val nsp_loss = b.cross_entropy(b.view(nsp, {run.batch, 2}), "nsp_loss");
        // total_loss = masked_lm_loss + next_sentence_loss (two means and a sum).
        b.op(OpKind::elementwise, "loss", ModuleGroup::head, 2, {mlm_loss, nsp_loss}, {}, {1});
        return g;
    }

private:
    struct Outputs {
        Val hidden, pooled;
    };

    Outputs emit_bert(GraphBuilder& b, const RunSpec& run) const {
        const std::int64_t batch = run.batch, seq = run.input_len, d = a_.block.hidden;
        auto s = b.scope("bert", std::string("encoder"));
        Val h;
        {
            auto e = b.scope("embeddings");
            const Val ids = b.input("input_ids", {batch, seq}, DType::int32);
            const Val types = b.input("token_type_ids", {batch, seq}, DType::int32);
            const Val words = b.embedding(ids, a_.vocab, d, "word_embeddings", ModuleGroup::embedding);
            const Val segments = b.embedding(types, a_.type_vocab, d, "token_type_embeddings", ModuleGroup::embedding);
            h = b.add(words, segments, "token_type_add", ModuleGroup::embedding);
            h = add_learned_positions(b, h, a_.max_positions, "position_embeddings");
            h = b.dropout(b.norm(h, Norm::layer, true, "LayerNorm"), a_.block.hidden_dropout, "dropout",
                          ModuleGroup::embedding);
        }
        h = emit_blocks(b, a_.block, h, a_.layers, "encoder.layer");
        Val pooled;
        {
            auto p = b.scope("pooler");
            const Val cls = b.slice(h, {batch, 1, d});  // the [CLS] token, read in place
            pooled = b.linear(cls, d, true, "dense", ModuleGroup::head);
            pooled = b.scale(pooled, kTanhFlopsPerElement, "activation", ModuleGroup::head, OpKind::activation);
        }
        return {h, pooled};
    }

    TensorRef decoder_weight(GraphBuilder& b) const {
        const std::int64_t d = a_.block.hidden;
        if (a_.tied)  // the word-embedding table, read whole
            return TensorRef{"bert.embeddings.word_embeddings.weight", {a_.vocab, d}, b.small_param_dtype(),
                             TensorClass::weight};
        return b.weight("decoder.weight", {d, a_.vocab}, ModuleGroup::head, b.matrix_weight_dtype());
    }

    // The same weights build_training_forward's heads register (a test checks the counts agree).
    void register_pretraining_heads(GraphBuilder& b) const {
        const std::int64_t d = a_.block.hidden;
        auto s = b.scope("cls", std::string("head"));
        {
            auto p = b.scope("predictions");
            b.weight("transform.dense.weight", {d, d}, ModuleGroup::head, b.matrix_weight_dtype());
            b.weight("transform.dense.bias", {d}, ModuleGroup::head, b.small_param_dtype());
            b.weight("transform.LayerNorm.weight", {d}, ModuleGroup::head, b.small_param_dtype());
            b.weight("transform.LayerNorm.bias", {d}, ModuleGroup::head, b.small_param_dtype());
            b.weight("bias", {a_.vocab}, ModuleGroup::head, b.small_param_dtype());
            if (!a_.tied) decoder_weight(b);
        }
        b.weight("seq_relationship.weight", {d, 2}, ModuleGroup::head, b.matrix_weight_dtype());
        b.weight("seq_relationship.bias", {2}, ModuleGroup::head, b.small_param_dtype());
    }

    BertArch a_;
};

std::unique_ptr<Model> parse_bert(const json& j, const ConfigContext& ctx) {
    const BertConfig c = bert_schema().parse(j, ctx);
    require_multiple(ctx, "hidden_size", c.hidden_size, c.num_attention_heads, "num_attention_heads");
    BertArch a;
    a.block.hidden = c.hidden_size;
    a.block.heads = a.block.kv_heads = c.num_attention_heads;
    a.block.head_dim = c.hidden_size / c.num_attention_heads;
    a.block.ffn = c.intermediate_size;
    a.block.norm = Norm::layer;
    a.block.norm_bias = true;
    a.block.pre_norm = false;  // BERT normalises after each residual add
    a.block.attention_bias = true;
    a.block.mlp_bias = true;
    a.block.act = parse_act(c.hidden_act);
    a.block.causal = false;
    a.block.hidden_dropout = c.hidden_dropout_prob;
    a.block.attention_dropout = c.attention_probs_dropout_prob;
    a.layers = c.num_hidden_layers;
    a.vocab = c.vocab_size;
    a.max_positions = c.max_position_embeddings;
    a.type_vocab = c.type_vocab_size;
    a.tied = c.tie_word_embeddings;
    return std::make_unique<BertModel>(std::move(a));
}

const FamilyRegistrar kBert{{"bert", parse_bert, [] { return std::vector<SchemaDoc>{bert_schema().doc()}; }}};

}  // namespace
}  // namespace fmsim::workloads
