// The op-kind trait table (workloads/op_kind.hpp) and the mapper registry (hwmodels/mapper.hpp):
// every kind has a record and a registered mapper, unknown names are refused with the known ones,
// and a mapper's plan key follows what its plan reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "fmsim/hwmodels/mapper.hpp"
#include "fmsim/workloads/op_kind.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;
using fmsim::workloads::kOpKindTraits;
using fmsim::workloads::Op;
using fmsim::workloads::OpKind;

namespace {

std::string key_of(const Op& op, const RuntimeSpec& rt = RuntimeSpec{}) {
    std::string key;
    append_plan_key(op, rt, key);
    return key;
}

// The message of the exception `f` throws as E ("" when it throws none).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(OpKindTraits, EveryKindHasARecordNamingARegisteredMapper) {
    ASSERT_EQ(std::size(kOpKindTraits), fmsim::workloads::kOpKindCount);
    for (const auto& t : kOpKindTraits) {
        SCOPED_TRACE(std::string(t.name));
        EXPECT_EQ(&fmsim::workloads::op_traits(t.kind), &t) << "records are in the enum's order";
        EXPECT_EQ(fmsim::workloads::to_string(t.kind), t.name);
        EXPECT_EQ(fmsim::workloads::parse_op_kind(t.name), t.kind) << "names parse back";
        EXPECT_NO_THROW(find_mapper(t.mapper)) << "mapper " << t.mapper << " is registered";
        EXPECT_EQ(&mapper_for(t.kind), &find_mapper(t.mapper));
    }
    EXPECT_EQ(fmsim::workloads::op_kind_names().size(), std::size(kOpKindTraits));
}

TEST(OpKindTraits, TheRegistryListsEveryMapper) {
    const auto names = mapper_names();
    for (const char* expected :
         {"batched_gemm", "collective", "flash_attention", "gemm", "implicit_gemm", "norm_rows", "softmax_rows", "stream"})
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected << " is registered";
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(OpKindTraits, UnknownNamesAreRefusedWithTheKnownOnes) {
    const std::string mapper = message_of<std::invalid_argument>([] { find_mapper("tiled_magic"); });
    EXPECT_NE(mapper.find("unknown mapper \"tiled_magic\""), std::string::npos) << mapper;
    EXPECT_NE(mapper.find("flash_attention"), std::string::npos) << "lists the registered mappers: " << mapper;
    const std::string kind = message_of<std::invalid_argument>([] { fmsim::workloads::parse_op_kind("matmull"); });
    EXPECT_NE(kind.find("unknown op kind \"matmull\""), std::string::npos) << kind;
    EXPECT_NE(kind.find("batched_matmul"), std::string::npos) << "lists the known kinds: " << kind;
    const auto beyond = static_cast<OpKind>(fmsim::workloads::kOpKindCount);
    EXPECT_THROW(fmsim::workloads::op_traits(beyond), std::logic_error);
}

TEST(OpKindTraits, AnOpWithoutItsMappersDimsIsAnInternalError) {
    Op op = gemm_op(1, 64, 64, 64, DType::bf16);
    op.dims = std::monostate{};
    const std::string msg = message_of<std::logic_error>([&] { plan_op(op, load_hardware("a100-sxm-80gb")); });
    EXPECT_NE(msg.find("gemm mapper"), std::string::npos) << msg;
}

TEST(OpKindTraits, PlanKeysChangeWithWhatThePlanReads) {
    const auto hw = load_hardware("a100-sxm-80gb");
    // GEMM: the weight's dtype (its panels' width), the shape, the math format.
    const Op gemm = gemm_op(1, 64, 4096, 4096, DType::bf16);
    Op int4_weights = gemm;
    int4_weights.reads[1].dtype = DType::int4;
    EXPECT_NE(key_of(gemm), key_of(int4_weights));
    EXPECT_FALSE(plan_op(gemm, hw) == plan_op(int4_weights, hw));
    Op fp8_math = gemm;
    fp8_math.math_dtype = DType::fp8;
    EXPECT_NE(key_of(gemm), key_of(fp8_math));
    // What the plan does not read leaves the key alone: names, layers, components.
    Op renamed = gemm;
    renamed.name = "layers.7.mlp.fc1";
    renamed.layer = 7;
    EXPECT_EQ(key_of(gemm), key_of(renamed));
    // Attention: the backward kernel does more work than the forward or a recomputed forward.
    const Op fwd = attention_op(1, 32, 8, 2048, 2048, 128, true, DType::bf16);
    Op bwd = fwd;
    bwd.phase = fmsim::workloads::Phase::backward;
    EXPECT_NE(key_of(fwd), key_of(bwd));
    EXPECT_GT(plan_op(bwd, hw).compute_cycles_per_tile, plan_op(fwd, hw).compute_cycles_per_tile);
    Op recomputed = bwd;
    recomputed.recompute = true;
    EXPECT_EQ(key_of(fwd), key_of(recomputed));
    // Row kernels read their own runtime spec: softmax's, not the norms'.
    const Op softmax = rowwise_op(OpKind::softmax, 8, 65536, DType::bf16);
    RuntimeSpec multi_pass_softmax, multi_pass_norm;
    multi_pass_softmax.softmax = {1024, 3, 0};
    multi_pass_norm.norm = {1024, 3, 0};
    EXPECT_NE(key_of(softmax), key_of(softmax, multi_pass_softmax));
    EXPECT_EQ(key_of(softmax), key_of(softmax, multi_pass_norm));
    EXPECT_FALSE(plan_op(softmax, hw) == plan_op(softmax, hw, multi_pass_softmax));
    // Streams: FLOPs, bytes and the runtime's streaming rate.
    const Op add = elementwise_op(OpKind::elementwise, 1 << 20, 1, DType::bf16);
    Op wider = add;
    wider.reads.front().dtype = DType::fp32;
    EXPECT_NE(key_of(add), key_of(wider));
    RuntimeSpec slower;
    slower.kernel_bandwidth_fraction = 0.5;
    EXPECT_NE(key_of(add), key_of(add, slower));
}

TEST(OpKindTraits, CollectivesAreTimedByTheLinksNotPlanned) {
    Op c;
    c.name = "layers.0.attn.o_proj.tp_reduce";
    c.kind = OpKind::collective;
    c.dims = fmsim::workloads::CollectiveDims{fmsim::workloads::CollectiveKind::all_reduce,
                                              fmsim::workloads::ParallelAxis::tp, 8, 1 << 20};
    EXPECT_EQ(&mapper_for(OpKind::collective), &find_mapper("collective"));
    const std::string msg = message_of<std::logic_error>([&] { plan_op(c, load_hardware("a100-sxm-80gb")); });
    EXPECT_NE(msg.find("communication model"), std::string::npos) << msg;
    Op bigger = c;
    std::get<fmsim::workloads::CollectiveDims>(bigger.dims).bytes *= 2;
    EXPECT_NE(key_of(c), key_of(bigger));
}

TEST(OpKindTraits, RopeIsAStreamingKernelWithItsOwnFlops) {
    // Rotary embedding of q and k for 2 x 128 tokens of Llama-2-7B (q and k 4096 wide each).
    const auto& traits = fmsim::workloads::op_traits(OpKind::rope);
    EXPECT_EQ(fmsim::workloads::parse_op_kind("rope"), OpKind::rope);
    EXPECT_EQ(traits.mapper, "stream");
    EXPECT_EQ(traits.backward, fmsim::workloads::BackwardRule::elementwise);
    const std::int64_t elements = 2 * 128 * (4096 + 4096);
    const Op rope = elementwise_op(OpKind::rope, elements, traits.flops_per_element, DType::bf16);
    EXPECT_DOUBLE_EQ(rope.flops, 3.0 * static_cast<double>(elements)) << "x*cos + rotate(x)*sin";
    const auto hw = load_hardware("a100-sxm-80gb");
    const TileProgram p = plan_op(rope, hw);
    EXPECT_EQ(p.engine, EngineKind::vector);
    EXPECT_DOUBLE_EQ(p.bytes, 2.0 * 2.0 * static_cast<double>(elements)) << "bf16 in and out";
    EXPECT_EQ(p.mapping.rfind("stream ", 0), 0u) << p.mapping;
    // The same work as an element-wise op gets the same kernel; the kind stays in the plan key.
    Op add = rope;
    add.kind = OpKind::elementwise;
    EXPECT_TRUE(plan_op(add, hw) == p);
    EXPECT_NE(key_of(add), key_of(rope));
}
