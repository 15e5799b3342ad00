// A malformed or unsupported model config is a ConfigError naming the file, the JSON pointer and
// what was expected; never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>

#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"

using namespace fmsim::workloads;

namespace {
struct BadCase {
    const char* file;
    const char* message;  // expected after "<path>: "
};

const BadCase kCases[] = {
    {"not_json.json", "/: invalid JSON: [json.exception.parse_error.101]"},
    {"top_level_array.json", "/: expected a model config object, got an array"},
    {"missing_model_type.json", "/model_type: expected a string naming the family, one of"},
    {"unsupported_family.json", "/model_type: unsupported model_type \"falcon\""},
    {"misspelt_family.json", "/model_type: unsupported model_type \"lama\" (did you mean \"llama\"?)"},
    {"unknown_key.json", "/hiden_size: unknown key for llama (did you mean 'hidden_size'?)"},
    {"string_for_integer.json", "/num_hidden_layers: expected an integer >= 1, got string \"2\""},
    {"kv_heads_do_not_divide.json", "/num_attention_heads: expected a multiple of num_key_value_heads (3), got 4"},
    {"missing_vocab.json", "/: missing required key 'vocab_size' (integer: Vocabulary size.)"},
    {"bad_published_params.json", "/fmsim/published_params: expected a number >= 1, got string \"7B\""},
    {"bad_activation.json", "/activation_function: expected one of \"gelu_new\""},
    {"zero_layers.json", "/n_layer: expected an integer >= 1, got 0"},
    {"more_experts_than_exist.json", "/num_experts_per_tok: expected at most num_local_experts (4)"},
    {"fractional_width.json", "/hidden_size: expected an integer >= 1, got number 64.5"},
    {"heads_do_not_divide_width.json", "/n_embd: expected a multiple of n_head (5), got 64"},
    {"opt_post_norm.json", "/do_layer_norm_before: expected true: post-LayerNorm OPT is not modelled"},
    {"dropout_of_one.json", "/resid_pdrop: expected a probability in [0, 1), got 1"},
};
}  // namespace

TEST(ConfigErrors, EachBadModelNamesFilePointerAndExpectation) {
    for (const auto& c : kCases) {
        const std::string path = std::string(FMSIM_TEST_DATA_DIR) + "/bad_models/" + c.file;
        try {
            load_model(path);
            ADD_FAILURE() << c.file << " loaded without error";
        } catch (const fmsim::ConfigError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
            EXPECT_NE(what.find(path + ": " + c.message), std::string::npos) << "got: " << what;
            EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
        }
    }
}

TEST(ConfigErrors, UnknownZooNameSuggestsTheNearest) {
    try {
        load_model("llama2-7");
        FAIL();
    } catch (const fmsim::UserError& e) {
        EXPECT_NE(std::string(e.what()).find("unknown model 'llama2-7' (did you mean 'llama2-7b'?)"), std::string::npos);
    }
}

TEST(ConfigErrors, MissingFile) {
    EXPECT_THROW(load_model("/nonexistent/config.json"), fmsim::ConfigError);
}

namespace {
std::string write_config(const std::string& name, const std::string& text) {
    const std::string path = std::string("/tmp/fmsim-config-errors-") + name + ".json";
    std::ofstream(path) << text;
    return path;
}

// A Llama-2-7B-shaped config with the layer count, width and vocabulary given as JSON text, and
// `extra` fields appended.
std::string llama_config(const std::string& extra, const std::string& layers = "32",
                         const std::string& hidden = "4096", const std::string& vocab = "32000") {
    return R"({"model_type": "llama", "hidden_size": )" + hidden + R"(, "intermediate_size": 11008,
               "num_hidden_layers": )" + layers + R"(, "num_attention_heads": 32, "vocab_size": )" + vocab +
           R"(, "max_position_embeddings": 4096)" + extra + "}";
}

RunSpec prefill_of(std::int64_t tokens, std::int64_t batch = 1) {
    RunSpec r;
    r.phase = RunPhase::prefill;
    r.input_len = tokens;
    r.batch = batch;
    return r;
}

std::string refusal(const std::function<void()>& f) {
    try {
        f();
    } catch (const fmsim::UserError& e) {
        return e.what();
    }
    return "(accepted)";
}
}  // namespace

// Every problem of a file in one round (a Qwen2-shaped config read as llama took four rounds):
// a bad value, two unknown keys and a missing key.
TEST(ConfigErrors, EveryProblemOfAFileAtOnce) {
    const std::string path = write_config(
        "qwen-like", R"({"model_type": "llama", "hidden_size": "3584", "intermediate_size": 18944,
                         "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
                         "max_position_embeddings": 32768, "use_sliding_window": false, "max_window_layers": 28})");
    try {
        load_model(path);
        FAIL() << "loaded";
    } catch (const fmsim::ConfigError& e) {
        const auto& p = e.problems();
        ASSERT_EQ(p.size(), 4u) << e.what();
        EXPECT_EQ(p[0].pointer, "/hidden_size");
        EXPECT_EQ(p[0].message, "expected an integer >= 1, got string \"3584\"");
        EXPECT_EQ(p[1].pointer, "/max_window_layers");
        EXPECT_EQ(p[2].pointer, "/use_sliding_window");
        EXPECT_EQ(p[3].message.rfind("missing required key 'vocab_size'", 0), 0u) << p[3].message;
        EXPECT_EQ(e.pointer(), "/hidden_size");  // the first problem's
        const std::string what = e.what();
        EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 3) << what;
        EXPECT_NE(what.find(path + ": /use_sliding_window: unknown key for llama"), std::string::npos) << what;
    }
}

// Sizes no real model has are refused while the config is read, before a graph is built.
TEST(ConfigErrors, SizesNoRealModelHasAreRefused) {
    const auto load = [](const std::string& name, const std::string& text) {
        return refusal([&] { load_model(write_config(name, text)); });
    };
    EXPECT_NE(load("layers", llama_config("", "48000000")).find("/num_hidden_layers: expected an integer <= 1024, got 48000000"),
              std::string::npos);
    EXPECT_NE(load("width", llama_config("", "32", "1e300")).find("/hidden_size: expected an integer <= 16777216, got 1e+300 (no real model"),
              std::string::npos);
    EXPECT_NE(load("vocab", llama_config("", "32", "4096", "18446744073709551615")).find("/vocab_size: expected an integer <= 16777216"),
              std::string::npos);
    EXPECT_EQ(load("fine", llama_config("", "1024")), "(accepted)");
}

TEST(ConfigErrors, RunSizesBeyondAnyRealRunAreRefused) {
    const auto llama2 = load_model("llama2-7b");
    EXPECT_NE(refusal([&] { llama2->build(prefill_of(512, std::int64_t{1} << 53)); })
                  .find("batch of 9007199254740992 is beyond any real run (at most 16777216)"),
              std::string::npos);
    // Llama-3.1-8B's 131,072 positions x 2^22 sequences = 2^39 tokens at once: over 2^38.
    const auto llama31 = load_model("llama3.1-8b");
    EXPECT_NE(refusal([&] { llama31->build(prefill_of(131072, std::int64_t{1} << 22)); })
                  .find("batch x (input_len + output_len) = 4194304 x 131072 tokens is beyond any real run"),
              std::string::npos);
}

// A prompt past a rotary model's positions is refused unless the config declares rope_scaling.
TEST(ConfigErrors, PromptLongerThanThePositionsNeedsRopeScaling) {
    const auto plain = load_model(write_config("rope-none", llama_config("")));
    EXPECT_NO_THROW(plain->build(prefill_of(4096)));
    EXPECT_NE(refusal([&] { plain->build(prefill_of(4097)); })
                  .find("sequence of 4097 tokens exceeds the 4096 positions of llama's rotary positions "
                        "(max_position_embeddings; a rope_scaling entry"),
              std::string::npos);
    // Linear scaling by 4 (LongChat-style): 16,384 positions.
    const auto scaled = load_model(
        write_config("rope-linear", llama_config(R"(, "rope_scaling": {"type": "linear", "factor": 4.0})")));
    EXPECT_NO_THROW(scaled->build(prefill_of(16384)));
    EXPECT_THROW(scaled->build(prefill_of(16385)), fmsim::ScenarioError);
    // Llama 3.1's llama3 scaling: 8 x 8,192 original positions, below its 131,072: the longer holds.
    EXPECT_THROW(load_model("llama3.1-8b")->build(prefill_of(131073)), fmsim::ScenarioError);
    // Mixtral has 32,768 positions and no scaling: a 1,024,000-token prompt is refused at once.
    EXPECT_THROW(load_model("mixtral-8x7b")->build(prefill_of(1024000)), fmsim::ScenarioError);
    EXPECT_NE(refusal([&] { load_model(write_config("rope-bad", llama_config(R"(, "rope_scaling": {"type": "linear"})"))); })
                  .find("/rope_scaling: expected a 'factor'"),
              std::string::npos);
}

// An over-long model name or path is a user error (exit 2), not an internal one.
TEST(ConfigErrors, OverLongNameIsAUserError) {
    const std::string name(5000, 'x');
    EXPECT_NE(refusal([&] { load_model(name); }).find("unknown model"), std::string::npos);
    EXPECT_NE(refusal([&] { load_model("/tmp/" + name + ".json"); }).find("no such file"), std::string::npos);
}
