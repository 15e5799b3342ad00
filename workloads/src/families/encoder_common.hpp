#pragma once
// Small graph helpers shared by the encoder and multimodal families (bert, vit, clip, llava,
// imagebind).
#include <string>

#include "../builder.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::workloads {

// Learned absolute positions: gathers the first `rows` rows of the table `leaf` [table_rows, d]
// (positions 0..rows-1, the same for every sequence; the caller checks rows <= table_rows) and
// adds them to x [B, rows, d]: B*rows*d additions.
inline Val add_learned_positions(GraphBuilder& b, const Val& x, std::int64_t table_rows, const std::string& leaf) {
    const std::int64_t rows = x.shape.at(1), d = x.last();
    const Val ids = b.input(leaf + "_ids", {1, rows}, DType::int32);
    const Val pos = b.embedding(ids, table_rows, d, leaf, ModuleGroup::embedding);
    return b.add(x, pos, leaf + "_add", ModuleGroup::embedding);
}

// L2 normalisation of the last dim (contrastive embeddings): square, sum, rsqrt, scale = 3 per
// element plus one rsqrt per row (counted with the elements).
inline constexpr double kL2NormalizeFlopsPerElement = 3;

}  // namespace fmsim::workloads
