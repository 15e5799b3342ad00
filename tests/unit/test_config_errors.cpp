// A malformed or unsupported model config is a ConfigError naming the file, the JSON pointer and
// what was expected; never a crash.
#include <gtest/gtest.h>

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
