#pragma once
// Graph passes that work on any family's forward graph.
#include "fmsim/workloads/model.hpp"

namespace fmsim::workloads {

// The FLOPs of AdamW and of each op kind's backward are the kinds' trait records' (op_kind.hpp).

// Forward + backward (input and weight gradients) + AdamW update, with the recomputation policy
// of run.recompute: none; selective = the attention core (scores, softmax, context) is recomputed
// (Korthikanti et al. 2022); full = every op of a block is recomputed from the block's input.
Stage make_training_step(const OpGraph& forward, const RunSpec& run);

// Adds `op` (a transformed copy of `orig`, an op of `src`, with its inputs already mapped to
// values of `g`) to `g`: the writes that were orig's outputs are produced again as new values
// (same positions), the other writes (KV cache, gradients) stay writes. Returns the new op's id;
// its outputs correspond one to one to orig's. Graph-rebuilding passes use it.
OpId add_rebuilt_op(OpGraph& g, const OpGraph& src, const Op& orig, Op op);

// LoRA/QLoRA (run.finetune): every weight of `forward` frozen, and beside each targeted linear
// layer y = x W a trainable low-rank path y += (x A) B, A [k, rank], B [rank, n], added to its
// output (Hu et al. 2021, section 4.1). QLoRA stores the frozen weights in run.precision.weights
// (int4 by default) and trains the adapters in 16-bit.
OpGraph with_lora_adapters(const OpGraph& forward, const RunSpec& run);

}  // namespace fmsim::workloads
