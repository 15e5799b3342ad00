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

}  // namespace fmsim::workloads
