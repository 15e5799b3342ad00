// fmsim: the command-line client of the sim facade.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>
#include <iostream>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/replay.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/sim/facade.hpp"
#include "fmsim/sim/hardware_report.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/workloads/errors.hpp"

namespace {

using namespace fmsim;
using namespace fmsim::workloads;

struct RunFlags {
    std::string phase, precision, weights, activations, kv_cache, math, attention = "fused", recompute = "none";
    std::int64_t batch = 1, input_len = 0, output_len = 0, steps = 0;
};

void add_run_flags(CLI::App* cmd, RunFlags& f) {
    cmd->add_option("--phase", f.phase, "prefill|decode|generate|train|encode|sample (default: the model's)");
    cmd->add_option("--batch", f.batch, "sequences or images per batch")->check(CLI::PositiveNumber);
    cmd->add_option("--input-len", f.input_len, "prompt tokens; for decode the cached context (0 = default)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--output-len", f.output_len, "generated tokens (generate; 0 = 128)")->check(CLI::NonNegativeNumber);
    cmd->add_option("--steps", f.steps, "diffusion denoising steps (0 = model default)")->check(CLI::NonNegativeNumber);
    cmd->add_option("--precision", f.precision, "one dtype for all tensor classes: " + dtype_names());
    cmd->add_option("--weights", f.weights, "weight dtype (e.g. int4 for weight-only quantization)");
    cmd->add_option("--activations", f.activations, "activation dtype");
    cmd->add_option("--kv-cache", f.kv_cache, "KV-cache dtype (default: activations)");
    cmd->add_option("--math", f.math, "matmul math dtype (default: activations)");
    cmd->add_option("--attention", f.attention, "fused|unfused")->check(CLI::IsMember({"fused", "unfused"}));
    cmd->add_option("--recompute", f.recompute, "none|selective|full (train)")
        ->check(CLI::IsMember({"none", "selective", "full"}));
}

sim::GraphQuery make_query(const std::string& model, const RunFlags& f) {
    sim::GraphQuery q;
    q.model = model;
    if (!f.phase.empty()) {
        q.phase = parse_run_phase(f.phase);
        if (!q.phase)
            throw UserError("unknown phase '" + f.phase + "'; expected prefill, decode, generate, train, encode or sample");
    }
    q.run.batch = f.batch;
    q.run.input_len = f.input_len;
    q.run.output_len = f.output_len;
    q.run.steps = f.steps;
    q.run.precision = sim::make_precision(f.precision, f.weights, f.activations, f.kv_cache, f.math);
    q.run.attention = f.attention == "unfused" ? AttentionImpl::unfused : AttentionImpl::fused;
    q.run.recompute = *parse_recompute(f.recompute);
    return q;
}

struct KernelFlags {
    std::string hardware, runtime, dtype = "bf16";
    bool json = false, causal = false;
    std::int64_t m = 0, n = 0, k = 0, batch = 1, heads = 0, kv_heads = 0, seq_q = 0, seq_kv = 0, head_dim = 0;
    std::int64_t rows = 0, cols = 0, elements = 0, bytes = 0;
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    if (!out) throw UserError("cannot write " + path);
    out << text;
}

// The workload summary and, with a device, its replay: text, or one JSON object whose "replay"
// key holds the replay.
void print_graph(const sim::GraphResult& r, bool as_json, const std::string& dot, const std::string& export_json,
                 const std::string& hardware = "", const std::string& runtime = hwmodels::kDefaultRuntime,
                 const std::string& memory_csv = "") {
    if (!memory_csv.empty() && hardware.empty()) throw UserError("--memory-csv needs a device: give --hardware");
    const std::optional<sim::ReplayResult> replay =
        hardware.empty() ? std::nullopt : std::optional(sim::replay_workload(r, hardware, runtime));
    if (replay && !memory_csv.empty()) write_file(memory_csv, sim::memory_csv(*replay));
    if (as_json) {
        auto j = nlohmann::ordered_json::parse(summary_json(r.workload, r.summary));
        if (replay) j["replay"] = nlohmann::ordered_json::parse(sim::replay_json(*replay));
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << summary_text(r.workload, r.summary);
        if (replay) std::cout << sim::replay_text(*replay);
    }
    if (!dot.empty()) {
        std::ofstream out(dot);
        if (!out) throw UserError("cannot write " + dot);
        // The first stage: the prefill, the decode step, the encoder pass or the training step.
        r.workload.stages.front().graph->write_dot(out, r.workload.model + " " + r.workload.stages.front().name);
    }
    if (!export_json.empty()) write_file(export_json, graph_json(r.workload));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fmsim: foundation-model workloads on simulated hardware"};
    app.require_subcommand(1);

    auto* graph = app.add_subcommand("graph", "build a model's operator graph and print its totals");
    std::string model;
    RunFlags flags;
    bool as_json = false;
    std::string dot, export_json;
    graph->add_option("MODEL", model, "zoo name or path to a config.json")->required();
    add_run_flags(graph, flags);
    graph->add_flag("--json", as_json, "print one JSON object instead of text");
    graph->add_option("--dot", dot, "write the first stage's graph as Graphviz DOT");
    graph->add_option("--export-json", export_json, "write the whole IR (ops, edges, weights) as JSON");
    std::string graph_hardware;
    graph->add_option("--hardware", graph_hardware, "also replay the workload on this preset (latency, TTFT, TPOT)");
    std::string graph_runtime = hwmodels::kDefaultRuntime;
    graph->add_option("--runtime", graph_runtime, "software stack driving the device (fmsim runtime list)")
        ->capture_default_str();
    std::string memory_csv;
    graph->add_option("--memory-csv", memory_csv, "with --hardware: write the device memory timeline, one row per op");

    auto* run = app.add_subcommand("run", "run a scenario file");
    std::string scenario_path;
    bool run_json = false;
    run->add_option("SCENARIO", scenario_path, "scenario JSON file")->required();
    run->add_flag("--json", run_json, "print one JSON object instead of text");
    run->add_option("--memory-csv", memory_csv, "write the device memory timeline, one row per op");

    auto* models = app.add_subcommand("models", "list the model zoo");

    auto* hardware = app.add_subcommand("hardware", "list or show hardware presets");
    hardware->require_subcommand(1);
    auto* hw_list = hardware->add_subcommand("list", "list the presets");
    auto* hw_show = hardware->add_subcommand("show", "a preset with its derived peaks, ridge point and memory");
    std::string hw_name;
    bool hw_json = false;
    hw_show->add_option("NAME", hw_name, "preset name or path to a hardware JSON")->required();
    hw_show->add_flag("--json", hw_json, "print one JSON object");
    auto* runtime = app.add_subcommand("runtime", "list the runtime presets (software stacks)");
    runtime->require_subcommand(1);
    auto* rt_list = runtime->add_subcommand("list", "list the presets");
    auto* kernel = app.add_subcommand("kernel", "simulate one kernel on a hardware preset");
    kernel->require_subcommand(1);
    KernelFlags kf;
    auto add_common = [&](CLI::App* c) {
        c->add_option("--hardware", kf.hardware, "preset name or path")->required();
        c->add_option("--dtype", kf.dtype, "element and math dtype")->capture_default_str();
        c->add_option("--runtime", kf.runtime,
                      "also time one synchronous call under this software stack (its library kernels too)");
        c->add_flag("--json", kf.json, "print one JSON object");
    };
    auto* k_gemm = kernel->add_subcommand("gemm", "C[b,m,n] = A[b,m,k] x B[b,k,n]");
    k_gemm->add_option("--m", kf.m)->required()->check(CLI::PositiveNumber);
    k_gemm->add_option("--n", kf.n)->required()->check(CLI::PositiveNumber);
    k_gemm->add_option("--k", kf.k)->required()->check(CLI::PositiveNumber);
    k_gemm->add_option("--batch", kf.batch)->check(CLI::PositiveNumber);
    add_common(k_gemm);
    auto* k_attn = kernel->add_subcommand("attention", "fused (FlashAttention-style) attention");
    k_attn->add_option("--batch", kf.batch)->check(CLI::PositiveNumber);
    k_attn->add_option("--heads", kf.heads)->required()->check(CLI::PositiveNumber);
    k_attn->add_option("--kv-heads", kf.kv_heads, "default: --heads")->check(CLI::PositiveNumber);
    k_attn->add_option("--seq-q", kf.seq_q)->required()->check(CLI::PositiveNumber);
    k_attn->add_option("--seq-kv", kf.seq_kv)->required()->check(CLI::PositiveNumber);
    k_attn->add_option("--head-dim", kf.head_dim)->required()->check(CLI::PositiveNumber);
    k_attn->add_flag("--causal", kf.causal);
    add_common(k_attn);
    auto* k_softmax = kernel->add_subcommand("softmax", "row-wise softmax of [rows, cols]");
    auto* k_layernorm = kernel->add_subcommand("layernorm", "row-wise LayerNorm of [rows, cols]");
    for (auto* c : {k_softmax, k_layernorm}) {
        c->add_option("--rows", kf.rows)->required()->check(CLI::PositiveNumber);
        c->add_option("--cols", kf.cols)->required()->check(CLI::PositiveNumber);
        add_common(c);
    }
    auto* k_gelu = kernel->add_subcommand("gelu", "element-wise GELU (tanh form)");
    k_gelu->add_option("--elements", kf.elements)->required()->check(CLI::PositiveNumber);
    add_common(k_gelu);
    auto* k_memcpy = kernel->add_subcommand("memcpy", "device-to-device copy");
    k_memcpy->add_option("--bytes", kf.bytes)->required()->check(CLI::PositiveNumber);
    add_common(k_memcpy);

    auto* docs = app.add_subcommand("docs", "print generated documentation");
    std::string docs_topic;
    docs->add_option("TOPIC", docs_topic, "config")->required()->check(CLI::IsMember({"config"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    try {
        if (*graph) {
            print_graph(sim::describe_graph(make_query(model, flags)), as_json, dot, export_json, graph_hardware,
                        graph_runtime, memory_csv);
        } else if (*run) {
            const auto sc = sim::load_scenario(scenario_path);
            if (!run_json)
                std::cout << "scenario " << sc.name << (sc.description.empty() ? "" : ": " + sc.description) << "\n\n";
            print_graph(sim::describe_graph(sc.query), run_json, "", "", sc.hardware, sc.runtime, memory_csv);
        } else if (*models) {
            for (const auto& name : zoo_names()) {
                const auto m = load_model(name);
                std::printf("%-22s %-17s %s\n", name.c_str(), m->family().c_str(), m->description.c_str());
            }
        } else if (*hw_list) {
            for (const auto& name : hwmodels::hardware_names()) {
                const auto h = hwmodels::load_hardware(name);
                // The headline dtype: BF16, else the device's integer or FP16/FP32 path.
                DType shown = DType::bf16;
                for (DType d : {DType::bf16, DType::int8, DType::fp16, DType::fp32})
                    if (h.peak_matrix_flops(d) > 0) {
                        shown = d;
                        break;
                    }
                std::printf("%-22s %-4s %8.1f T %-5s %7.0f GB/s  %s\n", name.c_str(),
                            std::string(hwmodels::to_string(h.kind)).c_str(), h.peak_matrix_flops(shown) / 1e12,
                            std::string(to_string(shown)).c_str(), h.memory.bandwidth_gbps, h.description.c_str());
            }
        } else if (*rt_list) {
            for (const auto& name : hwmodels::runtime_names())
                std::printf("%-18s %s\n", name.c_str(), hwmodels::load_runtime(name).description.c_str());
        } else if (*hw_show) {
            const auto h = hwmodels::load_hardware(hw_name);
            std::cout << (hw_json ? sim::hardware_json(h) + "\n" : sim::hardware_text(h));
        } else if (*kernel) {
            const auto hw = hwmodels::load_hardware(kf.hardware);
            const auto dtype = parse_dtype(kf.dtype);
            if (!dtype) throw UserError("unknown dtype '" + kf.dtype + "'; expected one of " + dtype_names());
            Op op;
            if (*k_gemm) op = hwmodels::gemm_op(kf.batch, kf.m, kf.n, kf.k, *dtype);
            else if (*k_attn)
                op = hwmodels::attention_op(kf.batch, kf.heads, kf.kv_heads ? kf.kv_heads : kf.heads, kf.seq_q,
                                            kf.seq_kv, kf.head_dim, kf.causal, *dtype);
            else if (*k_softmax) op = hwmodels::rowwise_op(OpKind::softmax, kf.rows, kf.cols, *dtype);
            else if (*k_layernorm) op = hwmodels::rowwise_op(OpKind::layer_norm, kf.rows, kf.cols, *dtype);
            else if (*k_gelu) op = hwmodels::elementwise_op(OpKind::activation, kf.elements, 9, *dtype);
            else op = hwmodels::memcpy_op(kf.bytes);
            const auto rt = kf.runtime.empty() ? hwmodels::RuntimeSpec{} : hwmodels::load_runtime(kf.runtime);
            const auto t = hwmodels::simulate_kernel(hwmodels::plan_op(op, hw, rt), hw);
            std::optional<sim::IsolatedCall> call;
            if (!kf.runtime.empty()) call = sim::IsolatedCall{rt.name, hwmodels::isolated_call_s(op, t, rt)};
            std::cout << (kf.json ? sim::kernel_json(t, call) + "\n" : sim::kernel_text(t, call));
        } else if (*docs) {
            std::cout << sim::config_reference_markdown();
        }
    } catch (const UserError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
