// docs/config-reference.md is generated from the parameter declarations; it must be current.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fmsim/sim/scenario.hpp"

TEST(Docs, ConfigReferenceIsCurrent) {
    std::ifstream in(std::string(FMSIM_DOCS_DIR) + "/config-reference.md");
    ASSERT_TRUE(in) << "docs/config-reference.md is missing; run: build/fmsim docs config > docs/config-reference.md";
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), fmsim::sim::config_reference_markdown())
        << "docs/config-reference.md is stale; run: build/fmsim docs config > docs/config-reference.md";
}

TEST(Docs, EveryFamilyIsDocumented) {
    const std::string md = fmsim::sim::config_reference_markdown();
    for (const char* family : {"## `scenario`", "## `gpt2`", "## `opt`", "## `llama`", "## `mistral`", "## `mixtral`",
                               "## `bert`", "## `t5`", "## `whisper`", "## `vit`", "## `swin`", "## `segformer`",
                               "## `clip`", "## `clip_text_model`", "## `clip_vision_model`", "## `llava`",
                               "## `imagebind`", "## `stable_diffusion`"})
        EXPECT_NE(md.find(family), std::string::npos) << family;
}
