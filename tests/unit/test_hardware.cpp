// Hardware presets: every preset loads, its engine description reproduces the vendor's published
// peaks, and bad presets are clear errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/hardware_json.hpp"
#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/workloads/errors.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;

TEST(Hardware, A100DerivedFigures) {
    const auto h = load_hardware("a100-sxm-80gb");
    // 108 SMs x 2048 FLOP/clk x 1.41 GHz boost: the datasheet's 312 TFLOPS. At the sustained
    // 1226 MHz (measured best GEMM, 271.2 TFLOPS) the derived peak is that measurement.
    EXPECT_DOUBLE_EQ(h.peak_matrix_flops_at_boost(DType::bf16), 108.0 * 2048 * 1.41e9);
    EXPECT_NEAR(h.peak_matrix_flops(DType::bf16) / 271.2e12, 1.0, 0.001);
    EXPECT_NEAR(h.peak_vector_flops(DType::fp32) * 1410 / 1226 / 19.5e12, 1.0, 0.005);
    EXPECT_DOUBLE_EQ(h.ridge_point_flops_per_byte(DType::bf16), 108.0 * 2048 * 1.226e9 / 2039e9);
    EXPECT_EQ(h.peak_matrix_flops(DType::fp8), 0) << "A100 has no FP8 tensor path";
}

class HardwarePreset : public ::testing::TestWithParam<std::string> {};

TEST_P(HardwarePreset, ReproducesPublishedPeaks) {
    const auto h = load_hardware(GetParam());
    EXPECT_FALSE(h.sources.empty());
    ASSERT_FALSE(h.published_dense_tflops.empty());
    for (const auto& [dtype, tflops] : h.published_dense_tflops)
        EXPECT_NEAR(h.peak_matrix_flops_at_boost(dtype) / (tflops * 1e12), 1.0, 0.01)
            << GetParam() << " " << fmsim::workloads::to_string(dtype);
    EXPECT_GT(h.memory.bandwidth_gb_per_s, 0);
    EXPECT_LE(h.clock.sustained_mhz, h.clock.boost_mhz);
}

INSTANTIATE_TEST_SUITE_P(All, HardwarePreset, ::testing::ValuesIn(hardware_names()), [](const auto& info) {
    std::string n = info.param;
    for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
});

namespace {
std::string broken_preset(const std::function<void(nlohmann::json&)>& edit) {
    std::ifstream in(fmsim::workloads::config_dir() / "hardware" / "a100-sxm-80gb.json");
    auto j = nlohmann::json::parse(in);
    edit(j);
    const std::string path = ::testing::TempDir() + "broken-hardware.json";
    std::ofstream(path) << j.dump();
    return path;
}

void expect_error(const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    const std::string path = broken_preset(edit);
    try {
        load_hardware(path);
        ADD_FAILURE() << "no error for " << message;
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": " + message), std::string::npos) << e.what();
    }
}
}  // namespace

TEST(Hardware, BadPresetsNameFilePointerAndExpectation) {
    expect_error([](auto& j) { j["memory"]["bandwidth_gbps"] = 4800; },
                 "/memory/bandwidth_gbps: renamed to 'bandwidth_gb_per_s' (a bandwidth in GB/s, 1e9 bytes per second");
    expect_error([](auto& j) { j["memory"]["bandwith_gb_per_s"] = 1; },
                 "/memory/bandwith_gb_per_s: unknown key for hardware.memory (did you mean 'bandwidth_gb_per_s'?)");
    expect_error([](auto& j) { j["clock"]["boost_mhz"] = 1000; }, "/clock/boost_mhz: expected at least sustained_mhz");
    expect_error([](auto& j) { j["cores"]["matrix_engine"]["dense_flops_per_cycle"]["bf17"] = 1; },
                 "/cores/matrix_engine/dense_flops_per_cycle/bf17: unknown dtype");
    // int4g32 is a storage layout of int4 (its scales), not a format an engine has a rate for.
    expect_error([](auto& j) { j["cores"]["matrix_engine"]["dense_flops_per_cycle"]["int4g32"] = 1; },
                 "/cores/matrix_engine/dense_flops_per_cycle/int4g32: unknown dtype; expected one of fp32, tf32, "
                 "bf16, fp16, fp8, int8, int4");
    expect_error([](auto& j) { j["cores"]["count"] = 0; }, "/cores/count: expected an integer >= 1, got 0");
    expect_error([](auto& j) { j["on_chip"][1].erase("capacity_kib"); },
                 "/on_chip/1: missing required key 'capacity_kib'");
    expect_error([](auto& j) { j["kind"] = "fpga"; }, "/kind: expected one of \"gpu\", \"tpu\", \"npu\", \"soc\"");
}

TEST(Hardware, UnknownPresetSuggestsTheNearest) {
    try {
        load_hardware("a100-sxm-80g");
        FAIL();
    } catch (const fmsim::UserError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'a100-sxm-80gb'?"), std::string::npos);
    }
}

TEST(Runtime, PresetsLoadAndDispatchByOpClass) {
    for (const auto& name : runtime_names()) EXPECT_NO_THROW(load_runtime(name)) << name;
    const auto eager = load_runtime("pytorch-eager");
    EXPECT_DOUBLE_EQ(eager.dispatch_s(gemm_op(1, 8, 8, 8, DType::bf16)), eager.dispatch_gemm_us * 1e-6);
    EXPECT_DOUBLE_EQ(eager.dispatch_s(rowwise_op(fmsim::workloads::OpKind::softmax, 8, 8, DType::bf16)),
                     eager.dispatch_other_us * 1e-6);
    // Under CUDA graphs no op is dispatched by the host.
    EXPECT_DOUBLE_EQ(load_runtime("cuda-graphs").dispatch_s(gemm_op(1, 8, 8, 8, DType::bf16)), 0);
}

TEST(Runtime, MultiPassSoftmaxReadsItsInputAgain) {
    const auto& hw = load_hardware("a100-sxm-80gb");
    const auto eager = load_runtime("pytorch-eager");  // one pass up to 1024 columns, 2.5 reads beyond
    const auto narrow = rowwise_op(fmsim::workloads::OpKind::softmax, 4096, 1024, DType::bf16);
    const auto wide = rowwise_op(fmsim::workloads::OpKind::softmax, 4096, 2048, DType::bf16);
    auto dram = [&](const fmsim::workloads::Op& op) {
        const auto p = plan_op(op, hw, eager);
        return p.dram_bytes_per_tile * static_cast<double>(p.tiles);
    };
    EXPECT_DOUBLE_EQ(dram(narrow), 2.0 * 4096 * 1024 * 2);         // read + write
    EXPECT_DOUBLE_EQ(dram(wide), (2.5 + 1.0) * 4096 * 2048 * 2);  // 2.5 reads + write
}

TEST(Runtime, BadPresetNamesFileAndKey) {
    const std::string path = ::testing::TempDir() + "broken-runtime.json";
    std::ofstream(path) << R"({"description": "x", "sources": {"a": "b"}, "dispatch_gemm_us": 1,
                             "dispatch_other_us": 1, "sync_us": 1, "softmax": {"single_pass_max_col": 4}})";
    try {
        load_runtime(path);
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": /softmax/single_pass_max_col: unknown key"), std::string::npos)
            << e.what();
    }
    try {
        load_runtime("pytorch-eagr");
        ADD_FAILURE() << "no error";
    } catch (const fmsim::UserError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'pytorch-eager'?"), std::string::npos) << e.what();
    }
}

TEST(Runtime, KernelBandwidthFractionIsAFraction) {
    const std::string path = ::testing::TempDir() + "fraction-runtime.json";
    std::ofstream(path) << R"({"description": "x", "sources": {"a": "b"}, "dispatch_gemm_us": 1,
                             "dispatch_other_us": 1, "sync_us": 1, "kernel_bandwidth_fraction": 1.5})";
    try {
        load_runtime(path);
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": /kernel_bandwidth_fraction: expected a fraction in (0, 1]"),
                  std::string::npos)
            << e.what();
    }
}

namespace {
// One decode step of `model` at `context` cached tokens, batch 1, unfused attention (as
// transformers' eager code runs it).
fmsim::workloads::Workload decode_step(const std::string& model, std::int64_t context) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::decode;
    run.batch = 1;
    run.input_len = context;
    run.attention = fmsim::workloads::AttentionImpl::unfused;
    return fmsim::workloads::load_model(model)->build(run);
}

struct LayerKernels {
    std::size_t ops = 0, launches = 0;  // in the graph, and launched under the stack
};

// What `rt` launches for layer 0 of `model`'s decode step.
LayerKernels first_layer(const std::string& model, const RuntimeSpec& rt) {
    const auto w = decode_step(model, 64);
    const auto& g = *w.stages.front().graph;
    LayerKernels k;
    for (std::size_t i = 0; i < g.op_count(); ++i) {
        const auto& op = g.op(static_cast<fmsim::workloads::OpId>(i));
        if (op.layer != 0) continue;
        ++k.ops;
        const auto* rule = rt.kernels_for(op);
        k.launches += rule ? kernel_ops(op, *rule).size() : 1;
    }
    return k;
}
}  // namespace

// The Hugging Face eager stack launches what transformers' LLaMA code writes out: LlamaRMSNorm as
// 8 kernels moving 18 input-sized passes (fp32 intermediates count twice), q/k/v as 3 GEMMs, the
// KV cache grown by torch.cat (a copy of the whole cache per step) only when there is a cache.
TEST(Runtime, EagerModelCodeRunsAnOpAsSeveralKernels) {
    using fmsim::workloads::TensorClass;
    const auto hf = load_runtime("hf-transformers-eager");
    const auto w = decode_step("llama2-7b", 300);
    const auto& g = *w.stages.front().graph;
    auto find = [&](const std::string& name) -> const fmsim::workloads::Op& {
        for (std::size_t i = 0; i < g.op_count(); ++i)
            if (g.op(static_cast<fmsim::workloads::OpId>(i)).name == name) return g.op(static_cast<fmsim::workloads::OpId>(i));
        throw std::runtime_error("no op " + name);
    };
    auto bytes = [](const std::vector<fmsim::workloads::Op>& ops) {
        double b = 0;
        for (const auto& o : ops) b += static_cast<double>(o.bytes_read() + o.bytes_written());
        return b;
    };
    const auto& norm = find("layers.3.attn_norm");
    const auto norm_kernels = kernel_ops(norm, *hf.kernels_for(norm));
    ASSERT_EQ(norm_kernels.size(), 8u);
    EXPECT_EQ(norm_kernels.front().name, "layers.3.attn_norm.to_fp32");
    EXPECT_DOUBLE_EQ(bytes(norm_kernels), 18.0 * 4096 * 2 + 4096 * 2);  // 18 passes of x, the weight once

    const auto& qkv = find("layers.3.qkv_proj");
    const auto gemms = kernel_ops(qkv, *hf.kernels_for(qkv));
    ASSERT_EQ(gemms.size(), 3u);
    for (const auto& q : gemms) {
        EXPECT_EQ(std::get<fmsim::workloads::GemmDims>(q.dims).n, 4096);
        EXPECT_EQ(q.bytes_read(TensorClass::weight), 4096LL * 4096 * 2);
        EXPECT_DOUBLE_EQ(q.flops, qkv.flops / 3);
    }

    const auto& scores = find("layers.3.attn.scores");
    const auto with_cache = kernel_ops(scores, *hf.kernels_for(scores));
    ASSERT_EQ(with_cache.size(), 4u);  // cat, matmul, scale, mask
    EXPECT_DOUBLE_EQ(bytes({with_cache.front()}), 2.0 * 300 * 4096 * 2);  // read the old cache, write the new
    EXPECT_TRUE(kernel_ops(find("layers.3.attn.kv_append"), *hf.kernels_for(find("layers.3.attn.kv_append"))).empty());

    fmsim::workloads::RunSpec prefill = w.run;  // the same 300 tokens, batch 1, unfused
    prefill.phase = fmsim::workloads::RunPhase::prefill;  // no cache yet: nothing to concatenate
    const auto p = fmsim::workloads::load_model("llama2-7b")->build(prefill);
    const auto& pg = *p.stages.front().graph;
    for (std::size_t i = 0; i < pg.op_count(); ++i) {
        const auto& op = pg.op(static_cast<fmsim::workloads::OpId>(i));
        if (op.name == "layers.0.attn.scores") {
            EXPECT_EQ(kernel_ops(op, *hf.kernels_for(op)).size(), 3u);
        }
    }
    // Ops without a rule, and every op under the other stacks, stay one kernel.
    EXPECT_EQ(hf.kernels_for(find("layers.3.o_proj")), nullptr);
    EXPECT_EQ(load_runtime("pytorch-eager").kernels_for(norm), nullptr);
    // Each family gets the rules counted from its own code: GPT-2's packed c_attn and Python GELU
    // are not LLaMA's q/k/v and SiLU; T5's code is not described (one kernel per op).
    const auto llama = hf.for_model_family("llama"), gpt2 = hf.for_model_family("gpt2"),
               opt = hf.for_model_family("opt");
    EXPECT_EQ(llama.op_kernels.size(), hf.for_model_family("mistral").op_kernels.size());
    EXPECT_EQ(llama.op_kernels.size() + gpt2.op_kernels.size() + opt.op_kernels.size(), hf.op_kernels.size());
    EXPECT_TRUE(hf.for_model_family("t5").op_kernels.empty());
    // A GPT-2 decode step: 27 kernels per layer against the graph's 13 (docs: the preset's sources).
    const LayerKernels gpt2_layer = first_layer("gpt2", gpt2);
    EXPECT_EQ(gpt2_layer.ops, 13u);
    EXPECT_EQ(gpt2_layer.launches, 27u);
    // OPT's layer: separate q/k/v with their contiguous copies and the q scaling, the mask add and
    // clamp, the fp32 softmax and its cast: 25 kernels.
    EXPECT_EQ(first_layer("opt-175b", opt).launches, 25u);
}

TEST(Runtime, BadKernelRulesNameTheirPlace) {
    const std::string path = ::testing::TempDir() + "rules-runtime.json";
    auto error_of = [&](const std::string& rules) {
        std::ofstream(path) << R"({"description": "x", "sources": {"a": "b"}, "dispatch_gemm_us": 1,
                                 "dispatch_other_us": 1, "sync_us": 1, "op_kernels": )" + rules + "}";
        try {
            load_runtime(path);
        } catch (const fmsim::ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of(R"([{"kind": "rms_nrm", "source": "s", "kernels": []}])").find(path + ": /op_kernels/0/kind"),
              std::string::npos);
    EXPECT_NE(error_of(R"([{"kind": "matmul", "source": "s", "kernels": [{"name": "a", "op": true, "input_bytes": 1}]}])")
                  .find("/op_kernels/0/kernels/0: expected no bytes on the op's own kernel"),
              std::string::npos);
    EXPECT_NE(error_of(R"([{"kind": "matmul", "source": "s", "kernels": [{"name": "a", "launches": 0}]}])")
                  .find("/op_kernels/0/kernels/0/launches"),
              std::string::npos);
    EXPECT_NE(error_of(R"([{"kind": "matmul", "source": "s"}])").find("missing required key 'kernels'"), std::string::npos);
    EXPECT_NE(error_of(R"([{"kind": "matmul", "families": ["llama", 2], "source": "s", "kernels": []}])")
                  .find("/op_kernels/0/families/1: expected a model family (string)"),
              std::string::npos);
}

// An H100 holds a lower clock under FP8 GEMMs than under BF16 (MAMF FP8 1402.6 against 2 x 794.5
// TFLOP/s): the preset's FP8 clock fraction reproduces the measured FP8 peak, leaves BF16 alone and
// follows a what-if change of the sustained clock.
TEST(Hardware, Fp8RunsAtItsMeasuredClock) {
    const auto h = load_hardware("h100-sxm");
    EXPECT_NEAR(h.peak_matrix_flops(DType::fp8) / 1e12, 1402.6, 1402.6 * 0.002);
    EXPECT_NEAR(h.peak_matrix_flops(DType::bf16) / 1e12, 794.5, 794.5 * 0.002);
    EXPECT_DOUBLE_EQ(h.peak_matrix_flops_at_boost(DType::fp8), 132.0 * 8192 * 1830e6);  // the spec
    const auto plan = plan_op(gemm_op(1, 4096, 4096, 4096, DType::fp8), h);
    const auto bf16 = plan_op(gemm_op(1, 4096, 4096, 4096, DType::bf16), h);
    // Per tile, FP8 takes half BF16's cycles at the BF16 clock, divided by the fraction.
    EXPECT_NEAR(plan.compute_cycles_per_tile * static_cast<double>(plan.tiles) / static_cast<double>(plan.tiles_per_core_at_once),
                bf16.compute_cycles_per_tile * static_cast<double>(bf16.tiles) / static_cast<double>(bf16.tiles_per_core_at_once) / 2 / 0.883,
                1e-6 * bf16.compute_cycles_per_tile * static_cast<double>(bf16.tiles));
    auto j = nlohmann::json::parse(std::ifstream(fmsim::workloads::config_dir() / "hardware" / "h100-sxm.json"));
    j["clock"]["sustained_mhz"] = 1000;
    const auto slow = hardware_from_json(j, {"h100.json", ""}, "h100", fmsim::workloads::config_dir() / "hardware");
    EXPECT_DOUBLE_EQ(slow.clock.matrix_mhz(DType::fp8), 883);
    j["clock"]["matrix_clock_fraction"]["fp8"] = 1.2;
    try {
        hardware_from_json(j, {"h100.json", ""}, "h100", fmsim::workloads::config_dir() / "hardware");
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("/clock/matrix_clock_fraction/fp8: expected a fraction in (0, 1]"),
                  std::string::npos) << e.what();
    }
}

// Unified memory: Metal lets an Apple GPU allocate about 78% of a large Mac's memory (published
// case E13), so the M2 Max preset's verdicts use 0.78 x 96 GB; discrete GPUs keep all of theirs.
TEST(Hardware, UnifiedMemoryCapsTheGpusShare) {
    EXPECT_DOUBLE_EQ(load_hardware("apple-m2-max-gpu").memory.allocatable_bytes(), 0.78 * 96e9);
    EXPECT_DOUBLE_EQ(load_hardware("h100-sxm").memory.allocatable_bytes(), 80e9);
}

TEST(Hardware, StreamEfficiencyIsAFraction) {
    EXPECT_DOUBLE_EQ(load_hardware("a100-sxm-80gb").memory.stream_efficiency, 0.87);  // the default
    std::ifstream in(fmsim::workloads::config_dir() / "hardware" / "a100-sxm-80gb.json");
    nlohmann::json j = nlohmann::json::parse(in);
    j["memory"]["stream_efficiency"] = 0;
    const std::string path = ::testing::TempDir() + "zero-stream.json";
    std::ofstream(path) << j.dump();
    try {
        load_hardware(path);
        ADD_FAILURE() << "no error";
    } catch (const fmsim::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": /memory/stream_efficiency: expected a fraction in (0, 1]"),
                  std::string::npos)
            << e.what();
    }
}
