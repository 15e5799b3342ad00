#pragma once
// Activation lifetimes of one stage graph, op by op: what the replay's memory timeline is built
// from (docs/hardware-model.md, "Memory").
#include <cstdint>
#include <vector>

#include "fmsim/workloads/graph.hpp"

namespace fmsim::workloads {

// Bytes of activation-class values alive while each op runs (indexed by op id, ops in id order):
// graph inputs from the start, a value from its producer through its last consumer, the op's own
// outputs included. Its maximum is peak_live_activation_bytes(g).
std::vector<std::int64_t> live_activation_bytes_by_op(const OpGraph& g);

// What a training micro-batch keeps between its forward and its backward pass: activation values
// made (or, for graph inputs, first read) by forward ops and read again by a backward op. Tensors
// only the forward pass uses are freed by then, and a pipeline stage's incoming gradient (an input
// the backward reads first) arrives later. 1F1B holds this for every micro-batch in flight.
std::int64_t saved_for_backward_bytes(const OpGraph& g);

}  // namespace fmsim::workloads
