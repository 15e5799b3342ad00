// SystemC device model: contention, overlap, wave quantization, and replay reuse. One process
// per test (SystemC elaborates once per process), as ctest runs discovered tests.
#include <gtest/gtest.h>

#include "fmsim/hwmodels/mapping.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/sim/facade.hpp"
#include "fmsim/workloads/model.hpp"

using namespace fmsim::hwmodels;
using fmsim::workloads::DType;

namespace {
fmsim::sim::ReplayResult replay(const fmsim::workloads::Workload& w, const std::string& hardware) {
    return fmsim::sim::replay_workload({w, fmsim::workloads::summarize(w)}, hardware);
}

const HardwareSpec& a100() {
    static const HardwareSpec h = load_hardware("a100-sxm-80gb");
    return h;
}

TileProgram stream(std::int64_t tiles, double bytes_per_tile, double cycles_per_tile) {
    TileProgram p;
    p.mapping = "test";
    p.engine = EngineKind::vector;
    p.tiles = tiles;
    p.dram_bytes_per_tile = bytes_per_tile;
    p.compute_cycles_per_tile = cycles_per_tile;
    return p;
}

double exec_s(const TileProgram& p) {
    const auto t = simulate_kernel(p, a100());
    return t.time_s - t.launch_s;
}
}  // namespace

TEST(DeviceSc, CoresContendForDramBandwidth) {
    // One core streaming 100 MB alone vs every core streaming 100 MB at once: the channels are
    // shared, so all cores together take about `cores` times as long as one.
    const double alone = exec_s(stream(1, 1e8, 0));
    const double together = exec_s(stream(a100().cores, 1e8, 0));
    EXPECT_GT(together, 0.9 * a100().cores * alone);
    const double bw = a100().achievable_memory_bandwidth_bytes_per_s();
    EXPECT_NEAR(together, a100().cores * 1e8 / bw, 0.05 * together);
}

TEST(DeviceSc, LoadsOverlapCompute) {
    // Tiles whose load time equals their compute time: double buffering hides one behind the
    // other, so the kernel takes about one of them, not the sum.
    const double clock = a100().clock.sustained_mhz * 1e6;
    const double bw_per_core = a100().achievable_memory_bandwidth_bytes_per_s() / a100().cores;
    const double bytes = 4e6, cycles = bytes / bw_per_core * clock;
    const std::int64_t tiles = a100().cores * 8;
    const double both = exec_s(stream(tiles, bytes, cycles));
    const double compute_only = exec_s(stream(tiles, 0, cycles));
    EXPECT_LT(both, 1.25 * compute_only);
    EXPECT_GT(both, compute_only);
}

TEST(DeviceSc, WaveQuantization) {
    const double cycles = 1e6;
    const double full = exec_s(stream(a100().cores, 0, cycles));
    const double one_more = exec_s(stream(a100().cores + 1, 0, cycles));
    EXPECT_NEAR(one_more / full, 2.0, 0.01);
}

TEST(DeviceSc, SkinnyGemmUsesSplitK) {
    // 64 x 1024 x 65536: 8 output tiles of 64 x 128; unsplit, 8 SMs would do 430 us of math each
    // while the 134 MB of B stream in 76 us.
    const auto plan = plan_op(gemm_op(1, 64, 1024, 65536, DType::bf16), a100());
    EXPECT_NE(plan.mapping.find("split-k 1"), 0u);
    EXPECT_EQ(plan.mapping.find("split-k 1 "), std::string::npos);
    EXPECT_GT(plan.kernels, 1);
    // Its fp32 partials are the kernel's workspace: split x M x N x 4 bytes.
    const auto split = std::stoll(plan.mapping.substr(plan.mapping.find("split-k ") + 8));
    EXPECT_DOUBLE_EQ(plan.workspace_bytes, static_cast<double>(split * 64 * 1024 * 4));
}

TEST(DeviceSc, ReplayReuseEqualsFullReplay) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::prefill;
    run.input_len = 128;
    const auto w = fmsim::workloads::load_model("gpt2")->build(run);
    const auto& g = *w.stages.front().graph;
    KernelCache cache;
    const Timeline reused = replay_graph(g, a100(), load_runtime("pytorch-eager"), &cache);
    const Timeline full = replay_graph(g, a100(), load_runtime("pytorch-eager"), nullptr);
    EXPECT_GT(reused.reused, 0);
    EXPECT_LT(reused.simulated, full.simulated);
    EXPECT_DOUBLE_EQ(reused.total_s, full.total_s);
}

TEST(DeviceSc, GenerationLatencyIsPrefillPlusDecodeSteps) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::generate;
    run.batch = 4;
    run.input_len = 256;
    run.output_len = 9;
    const auto w = fmsim::workloads::load_model("gpt2")->build(run);
    const auto r = replay(w, "a100-sxm-80gb");
    ASSERT_TRUE(r.ttft_s && r.tpot_s);
    EXPECT_NEAR(r.latency_s, *r.ttft_s + 8 * *r.tpot_s, 1e-12);
    EXPECT_GT(*r.ttft_s, *r.tpot_s);  // 1024 prompt tokens vs 4 new tokens
    EXPECT_GT(r.kernels_reused, r.kernels_simulated);
    double groups = 0;
    for (double t : r.group_time_s) groups += t;
    EXPECT_NEAR(groups, r.latency_s, 1e-9 * r.latency_s);
}

TEST(DeviceSc, OutOfMemoryVerdict) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::decode;
    run.input_len = 128;
    // Llama-2-70B in bf16 is 138 GB of weights: more than an 80 GB A100 holds.
    const auto big = fmsim::workloads::load_model("llama2-70b")->build(run);
    const auto r = replay(big, "a100-sxm-80gb");
    EXPECT_FALSE(r.fits);
    EXPECT_GT(r.memory_peak_bytes, 2 * 68.9e9);
    const auto small = fmsim::workloads::load_model("llama2-7b")->build(run);
    EXPECT_TRUE(replay(small, "a100-sxm-80gb").fits);
}

TEST(DeviceSc, KernelEnergyIsCountsTimesTablePlusStaticPower) {
    // A large BF16 GEMM on the A100: its energy is its plan's action counts priced by the 7nm
    // table (with the A100's measured per-level figures) plus 54 W x its time. Its average power is
    // reported against the 400 W TDP in docs/hardware-model.md ("Energy"); here only a sanity
    // range, not a fit: above the constant power, below twice the TDP.
    const auto plan = plan_op(gemm_op(1, 8192, 8192, 8192, DType::bf16), a100());
    const auto t = simulate_kernel(plan, a100());
    const auto counted = energy_of(count_actions(plan), a100().energy, t.time_s);
    EXPECT_DOUBLE_EQ(t.energy.static_j, 54 * t.time_s);
    // Counted, it would average more than the 400 W limit (1.5x with the A100's measured per-level
    // figures, docs/hardware-model.md); the limiter holds it at the TDP.
    EXPECT_GT(counted.total_j() / t.time_s, a100().power.tdp_w);
    EXPECT_NEAR(t.energy.total_j() / t.time_s, a100().power.tdp_w, 1e-9);
    EXPECT_NEAR(t.energy.matrix_j / t.energy.dram_j, counted.matrix_j / counted.dram_j, 1e-9);
    // A small kernel stays under the limit and keeps its counted energy.
    const auto small = plan_op(gemm_op(1, 512, 512, 512, DType::bf16), a100());
    const auto ts = simulate_kernel(small, a100());
    EXPECT_DOUBLE_EQ(ts.energy.total_j(), energy_of(count_actions(small), a100().energy, ts.time_s).total_j());
}

TEST(DeviceSc, ReplayEnergyPerTokenSampleAndGroup) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::generate;
    run.batch = 2;
    run.input_len = 128;
    run.output_len = 5;
    const auto w = fmsim::workloads::load_model("gpt2")->build(run);
    const auto r = replay(w, "a100-sxm-80gb");
    ASSERT_GT(r.energy_j, 0);
    EXPECT_NEAR(r.energy.static_j, 54 * r.latency_s, 1e-9 * r.energy.static_j);
    ASSERT_TRUE(r.energy_per_token_j);
    EXPECT_DOUBLE_EQ(r.tokens, 2 * 5);  // generation: per output token
    EXPECT_DOUBLE_EQ(*r.energy_per_token_j, r.energy_j / 10);
    EXPECT_DOUBLE_EQ(r.energy_per_sample_j, r.energy_j / 2);
    double groups = 0;
    for (double e : r.group_energy_j) groups += e;
    EXPECT_NEAR(groups, r.energy_j, 1e-9 * r.energy_j);
    // Prefill: per input token.
    run.phase = fmsim::workloads::RunPhase::prefill;
    const auto p = replay(fmsim::workloads::load_model("gpt2")->build(run), "a100-sxm-80gb");
    EXPECT_DOUBLE_EQ(p.tokens, 2 * 128);
    // Reusing identical kernels changes no joule: a full replay of one stage gives the same energy.
    const auto& g = *w.stages.front().graph;
    KernelCache cache;
    const Timeline reused = replay_graph(g, a100(), load_runtime("pytorch-eager"), &cache);
    const Timeline full = replay_graph(g, a100(), load_runtime("pytorch-eager"), nullptr);
    double e_reused = 0, e_full = 0;
    for (const auto& o : reused.ops) e_reused += o.energy.total_j();
    for (const auto& o : full.ops) e_full += o.energy.total_j();
    EXPECT_DOUBLE_EQ(e_reused, e_full);
}

TEST(DeviceSc, EagerDecodeIsHostBoundAndCudaGraphsRemoveIt) {
    // GPT-2 decoding one token: ~150 kernels of a few microseconds each. Eagerly, the device waits
    // on the host's dispatch and launch of every op; from a CUDA graph it runs them back to back.
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::decode;
    run.input_len = 128;
    const auto w = fmsim::workloads::load_model("gpt2")->build(run);
    const auto& g = *w.stages.front().graph;
    const auto eager = load_runtime("pytorch-eager"), graphs = load_runtime("cuda-graphs");
    const Timeline e = replay_graph(g, a100(), eager, nullptr);
    const Timeline c = replay_graph(g, a100(), graphs, nullptr);
    double host = 0;
    for (const auto& o : e.ops) host += eager.dispatch_s(g.op(o.op)) + o.launch_s;
    EXPECT_GE(e.total_s, host);  // the host's issue time bounds the eager step
    EXPECT_LT(c.total_s, 0.5 * e.total_s);
    // A graph step: one graph launch, then each kernel's execution plus the 0.5 us gap between kernels.
    double graph_step = graphs.graph_launch_us * 1e-6 + graphs.sync_us * 1e-6;
    for (const auto& o : c.ops) graph_step += o.launch_s;
    EXPECT_GT(c.total_s, graph_step);
}

// Hugging Face eager code at batch 1: about 50 kernels per LLaMA layer (transformers' 2023 code,
// counted in configs/runtime/hf-transformers-eager.json), each paying the host's dispatch and
// launch; the GPU waits on the host, so a decode step takes the host's issue time.
TEST(DeviceSc, EagerModelCodeIsHostBoundAtBatchOne) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::decode;
    run.batch = 1;
    run.input_len = 300;
    run.attention = fmsim::workloads::AttentionImpl::unfused;
    const auto w = fmsim::workloads::load_model("llama2-7b")->build(run);
    const auto& g = *w.stages.front().graph;
    const auto hf = load_runtime("hf-transformers-eager");
    double host = 0;
    std::size_t launches = 0;
    for (std::size_t i = 0; i < g.op_count(); ++i) {
        const auto& op = g.op(static_cast<fmsim::workloads::OpId>(i));
        const auto* rule = hf.kernels_for(op);
        const auto kernels = rule ? kernel_ops(op, *rule) : std::vector<fmsim::workloads::Op>{op};
        launches += kernels.size();
        for (const auto& k : kernels) host += hf.dispatch_s(k);
    }
    // 32 layers x 50, the embedding, the final RMSNorm (8) and the LM head.
    EXPECT_EQ(launches, 32u * 50 + 1 + 8 + 1);
    KernelCache cache;
    const Timeline t = replay_graph(g, a100(), hf, &cache);
    double launch = 0;
    for (const auto& o : t.ops) launch += o.launch_s;
    host += launch;
    EXPECT_GE(t.total_s, host);
    EXPECT_LT(t.total_s, 1.05 * host);
    // The same step as fmsim's graph of library kernels issues 451 kernels against 1610.
    const Timeline lib = replay_graph(g, a100(), load_runtime("pytorch-eager"), &cache);
    EXPECT_LT(lib.total_s, 0.45 * t.total_s);
}

TEST(DeviceSc, MemoryTimelineFollowsLifetimesAndGivesThePeak) {
    fmsim::workloads::RunSpec run;
    run.phase = fmsim::workloads::RunPhase::generate;
    run.batch = 4;
    run.input_len = 256;
    run.output_len = 5;
    const auto w = fmsim::workloads::load_model("gpt2")->build(run);
    const auto summary = fmsim::workloads::summarize(w);
    const auto r = replay(w, "a100-sxm-80gb");
    std::size_t ops = 0;
    for (const auto& st : w.stages) ops += st.graph->op_count();
    ASSERT_EQ(r.memory_timeline.size(), ops);  // one point per op (GPT-2 has no collectives)
    double peak = 0, peak_activations = 0, last_time = -1, last_kv = 0;
    for (const auto& m : r.memory_timeline) {
        EXPECT_GE(m.time_s, last_time);
        EXPECT_GE(m.kv_cache_bytes, last_kv);  // the cache only grows during generation
        EXPECT_DOUBLE_EQ(m.weights_bytes, static_cast<double>(summary.weight_bytes));
        last_time = m.time_s;
        last_kv = m.kv_cache_bytes;
        peak = std::max(peak, m.total_bytes());
        peak_activations = std::max(peak_activations, m.activation_bytes);
    }
    EXPECT_DOUBLE_EQ(r.memory_peak_bytes, peak);
    EXPECT_DOUBLE_EQ(r.memory_at_peak.total_bytes(), peak);
    // The activations alive at their peak are the summary's peak live activations.
    EXPECT_DOUBLE_EQ(peak_activations, static_cast<double>(summary.activation_bytes));
    // KV cache at the end: 4 sequences x (256 + 4) tokens x 12 layers x K and V x 768 x 2 bytes.
    EXPECT_DOUBLE_EQ(last_kv, 4.0 * 260 * 12 * 2 * 768 * 2);
    // Downsampled for the JSON report: at most 200 points, the peak kept.
    const auto few = fmsim::sim::downsample_memory(r.memory_timeline, 200);
    EXPECT_LE(few.size(), 200u);
    double few_peak = 0;
    for (const auto& m : few) few_peak = std::max(few_peak, m.total_bytes());
    EXPECT_DOUBLE_EQ(few_peak, peak);
}

TEST(DeviceSc, KernelBandwidthFractionSlowsStreamingOnly) {
    // A stack whose kernels reach half the streaming bandwidth: a large copy-like kernel takes
    // twice as long; a compute-bound GEMM is untouched.
    const auto& hw = load_hardware("mi210");
    const auto eager = load_runtime("pytorch-eager"), rocm = load_runtime("rocm-pytorch-eager");
    ASSERT_DOUBLE_EQ(rocm.kernel_bandwidth_fraction, 0.5);
    const auto gelu = elementwise_op(fmsim::workloads::OpKind::activation, 1 << 28, 9, DType::bf16);
    const double full = simulate_kernel(plan_op(gelu, hw, eager), hw).time_s;
    const double half = simulate_kernel(plan_op(gelu, hw, rocm), hw).time_s;
    EXPECT_NEAR(half / full, 2.0, 0.02);
    // Streaming at the device's measured STREAM rate: 1 GiB in and out at 0.757 x 1638.4 GB/s.
    EXPECT_NEAR(full, 2.0 * (1 << 28) * 2 / (0.757 * 1638.4e9), 0.02 * full);
    const auto big = gemm_op(1, 8192, 8192, 8192, DType::bf16);
    EXPECT_NEAR(simulate_kernel(plan_op(big, hw, rocm), hw).time_s / simulate_kernel(plan_op(big, hw, eager), hw).time_s,
                1.0, 0.01);
}

TEST(DeviceSc, OnePassRowCyclesAddToTheStreamOnlyForOnePassRows) {
    // A norm kernel whose one-pass rows each cost 1000 core cycles: 4096 rows over the MI210's 104
    // CUs are 40 rows a CU, 40000 cycles at 1229 MHz = 32.5 us after the stream, not hidden by it;
    // rows wider than single_pass_max_cols run the looped kernel (2 reads) and pay nothing per row.
    const auto& hw = load_hardware("mi210");
    ASSERT_EQ(hw.cores, 104);
    RuntimeSpec plain, slow;
    plain.norm = {1024, 2, 0};
    slow.norm = {1024, 2, 1000};
    auto exec = [&](std::int64_t rows, std::int64_t cols, const RuntimeSpec& rt) {
        const auto t = simulate_kernel(plan_op(rowwise_op(fmsim::workloads::OpKind::layer_norm, rows, cols, DType::fp16), hw, rt), hw);
        return t.time_s - t.launch_s;
    };
    const double serial = 40 * 1000 / (hw.clock.sustained_mhz * 1e6);
    for (std::int64_t cols : {32, 1024})
        EXPECT_NEAR(exec(4096, cols, slow) - exec(4096, cols, plain), serial, 1e-12) << cols;
    EXPECT_DOUBLE_EQ(exec(4096, 2048, slow), exec(4096, 2048, plain));
    // The looped kernel reads its input twice: 3 x 16 MiB moved against 2 x 16 MiB one-pass.
    RuntimeSpec one_pass;
    const double looped = exec(4096, 2048, plain), single = exec(4096, 2048, one_pass);
    EXPECT_NEAR(looped / single, 1.5, 0.05);
}

TEST(DeviceSc, KernelFlopsStayUnderTheRoof) {
    // Op records carry what each kernel computed: a causal prefill's attention counts the whole
    // score rectangle in `flops` (the MFU convention) but its kernel skips half of it, so only
    // kernel_flops / duration is bounded by the device's peak.
    fmsim::workloads::RunSpec r;
    r.phase = fmsim::workloads::RunPhase::prefill;
    r.batch = 2;
    r.input_len = 2048;
    const auto w = fmsim::workloads::load_model("llama2-7b")->build(r);
    const auto hw = load_hardware("a100-sxm-80gb");
    fmsim::sim::ReplayOptions options;
    options.op_records = true;
    const auto replay = fmsim::sim::replay_workload({w, fmsim::workloads::summarize(w)}, hw,
                                                    load_runtime(fmsim::hwmodels::kDefaultRuntime), options);
    const double peak = hw.peak_matrix_flops(DType::bf16);
    int attention = 0;
    for (const auto& o : replay.op_records) {
        if (o.duration_s <= 0) continue;
        EXPECT_LE(o.kernel_flops / o.duration_s, peak * (1 + 1e-9)) << o.name;
        if (o.kind != "attention") continue;
        ++attention;
        EXPECT_NEAR(o.kernel_flops / o.flops, 0.5, 0.02) << o.name;  // causal: half the scores
    }
    EXPECT_EQ(attention, 32);
}
