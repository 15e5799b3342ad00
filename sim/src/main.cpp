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
#include "fmsim/sim/format.hpp"
#include "fmsim/sim/hardware_report.hpp"
#include "fmsim/sim/metrics.hpp"
#include "fmsim/sim/report.hpp"
#include "fmsim/sim/results_db.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/sim/sweep.hpp"
#include "fmsim/workloads/errors.hpp"
#include "collective_cli.hpp"

namespace {

using namespace fmsim;
using namespace fmsim::workloads;

struct RunFlags {
    std::string phase, precision, weights, activations, kv_cache, math, attention = "auto", recompute = "none";
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
    cmd->add_option("--attention", f.attention, "fused|unfused|auto (auto: the --runtime's, else fused)")
        ->check(CLI::IsMember({"fused", "unfused", "auto"}));
    cmd->add_option("--recompute", f.recompute, "none|selective|full (train)")
        ->check(CLI::IsMember({"none", "selective", "full"}));
}

sim::GraphQuery make_query(const std::string& model, const RunFlags& f,
                           const std::string& runtime = hwmodels::kDefaultRuntime) {
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
    q.run.attention = sim::resolve_attention(f.attention, hwmodels::load_runtime(runtime));
    q.run.recompute = *parse_recompute(f.recompute);
    return q;
}

struct KernelFlags {
    std::string hardware, runtime, dtype = "bf16";
    bool json = false, causal = false;
    std::int64_t m = 0, n = 0, k = 0, batch = 1, heads = 0, kv_heads = 0, seq_q = 0, seq_kv = 0, head_dim = 0;
    std::int64_t rows = 0, cols = 0, elements = 0;
    std::string bytes_text;  // --bytes as typed (sim::parse_bytes)
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

// `fmsim kernel memcpy --bytes`: sizes as `fmsim collective --bytes` takes them, in whole bytes.
std::int64_t memcpy_bytes(const std::string& text) {
    const double bytes = sim::parse_bytes(text, "--bytes");
    if (bytes < 1 || bytes > 0x1p50)
        throw UserError("--bytes: expected a size from 1 byte to 1P (2^50 bytes), got '" + text + "'");
    return static_cast<std::int64_t>(bytes);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fmsim: foundation-model workloads on simulated hardware"};
    app.require_subcommand(1);
    const auto collective_commands = cli::add_collective_commands(app);  // fmsim link ..., fmsim collective ...

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

    auto* run = app.add_subcommand("run", "run a scenario file (docs/scenarios.md)");
    std::string scenario_path, run_json_file, run_csv, run_trace;
    std::vector<std::string> run_sets;
    run->add_option("SCENARIO", scenario_path, "scenario JSON file")->required();
    run->add_option("--set", run_sets, "override a scenario key: key.path=value (repeatable), e.g. --set batch=64");
    run->add_option("--json", run_json_file, "write the report as JSON to FILE ('-': stdout, instead of the text)");
    run->add_option("--csv", run_csv, "write one row per op to FILE");
    run->add_option("--trace", run_trace, "write a Chrome/Perfetto trace of the timeline to FILE (ui.perfetto.dev)");
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
    k_memcpy->add_option("--bytes", kf.bytes_text, "bytes copied: 1073741824, 1e9, 256M, 4G (K/M/G/T = 2^10/20/30/40)")
        ->required();
    add_common(k_memcpy);

    auto* sweep = app.add_subcommand("sweep", "run a sweep file's points into a results database (docs/scenarios.md)");
    std::string sweep_path, db_path = "results.sqlite", pareto_keys, pareto_csv;
    sim::SweepOptions sweep_options;
    sweep->add_option("SWEEP", sweep_path, "sweep JSON file")->required();
    sweep->add_option("--jobs,-j", sweep_options.jobs, "worker processes running points in parallel")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    sweep->add_option("--db", db_path, "SQLite results database (created when absent)")->capture_default_str();
    sweep->add_flag("--retry-errors", sweep_options.retry_errors, "also rerun the points stored with an error");
    sweep->add_option("--pareto", pareto_keys,
                      "print the non-dominated points of these metrics (`fmsim docs metrics`), each going its "
                      "better way unless :min or :max is appended, e.g. latency_s,energy_per_token_j; older "
                      "dotted report paths (energy.per_token_j) and other report numbers are accepted too");
    sweep->add_option("--pareto-csv", pareto_csv, "with --pareto: write the front to FILE as CSV");

    auto* results = app.add_subcommand("results", "list, filter and export a results database");
    std::string results_db, results_sweep, results_csv, results_json;
    std::vector<std::string> results_where;
    results->add_option("DB", results_db, "SQLite results database written by fmsim sweep")->required();
    results->add_option("--sweep", results_sweep, "only this sweep's points");
    results->add_option("--where", results_where, "only points with this axis value or metric value: axis=value, fits=true (repeatable)");
    auto* results_csv_opt = results->add_option("--csv", results_csv, "write the points as CSV to FILE ('-': stdout)");
    results->add_option("--json", results_json, "write the points with their reports as JSON to FILE ('-': stdout)")
        ->excludes(results_csv_opt);
    results->add_option("--pareto", pareto_keys, "print the non-dominated points of these metrics (as sweep)");

    auto* docs = app.add_subcommand("docs", "print generated documentation");
    std::string docs_topic;
    docs->add_option("TOPIC", docs_topic, "config (docs/config-reference.md) or metrics (the table in docs/cli.md)")
        ->required()
        ->check(CLI::IsMember({"config", "metrics"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    try {
        if (collective_commands->run()) {
        } else if (*graph) {
            print_graph(sim::describe_graph(make_query(model, flags, graph_runtime)), as_json, dot, export_json, graph_hardware,
                        graph_runtime, memory_csv);
        } else if (*run) {
            const auto sc = sim::load_scenario(scenario_path, run_sets);
            const bool needs_device = !run_csv.empty() || !run_trace.empty() || !memory_csv.empty();
            if (needs_device && !sc.hardware)
                throw UserError(scenario_path + ": --csv, --trace and --memory-csv need a device: set \"hardware\"");
            sim::ReplayOptions options;
            options.op_records = !run_csv.empty() || !run_trace.empty();
            const auto report = sim::run_scenario(sc, options);
            if (!run_csv.empty()) write_file(run_csv, sim::ops_csv(report));
            if (!run_trace.empty()) write_file(run_trace, sim::trace_json(report));
            if (!memory_csv.empty()) write_file(memory_csv, sim::memory_csv(*report.replay));
            if (run_json_file == "-") std::cout << sim::report_json(report) << "\n";
            else {
                if (!run_json_file.empty()) write_file(run_json_file, sim::report_json(report) + "\n");
                std::cout << sim::report_text(report);
            }
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
                            std::string(to_string(shown)).c_str(), h.memory.bandwidth_gb_per_s, h.description.c_str());
            }
        } else if (*rt_list) {
            const auto names = hwmodels::runtime_names();
            std::size_t width = 0;
            for (const auto& name : names) width = std::max(width, name.size());
            for (const auto& name : names)
                std::printf("%-*s  %s\n", static_cast<int>(width), name.c_str(),
                            hwmodels::load_runtime(name).description.c_str());
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
            else op = hwmodels::memcpy_op(memcpy_bytes(kf.bytes_text));
            const auto rt = kf.runtime.empty() ? hwmodels::RuntimeSpec{} : hwmodels::load_runtime(kf.runtime);
            const auto t = hwmodels::simulate_kernel(hwmodels::plan_op(op, hw, rt), hw);
            std::optional<sim::IsolatedCall> call;
            if (!kf.runtime.empty()) call = sim::IsolatedCall{rt.name, hwmodels::isolated_call_s(op, t, rt)};
            std::cout << (kf.json ? sim::kernel_json(t, call) + "\n" : sim::kernel_text(t, call));
        } else if (*sweep) {
            if (!pareto_csv.empty() && pareto_keys.empty()) throw UserError("--pareto-csv needs --pareto KEYS");
            const auto objectives =
                pareto_keys.empty() ? std::vector<sim::ParetoObjective>{} : sim::parse_pareto_objectives(pareto_keys);
            const auto spec = sim::load_sweep(sweep_path);
            auto db = sim::ResultsDb::open(db_path, true);
            const auto outcome = sim::run_sweep(spec, db, sweep_options);
            std::printf("sweep %s: %zu points in %s (%zu run now in %.1f s, %zu already stored)", spec.name.c_str(),
                        outcome.points, db_path.c_str(), outcome.ran, outcome.elapsed_s, outcome.already_stored);
            std::printf(outcome.errors ? "; %zu failed: fmsim results %s --sweep %s --where status=error\n" : "\n",
                        outcome.errors, db_path.c_str(), spec.name.c_str());
            if (!objectives.empty()) {
                const auto front = sim::pareto_points(sim::sweep_points(spec, db), objectives);
                std::cout << sim::pareto_table(front);
                if (!pareto_csv.empty()) write_file(pareto_csv, sim::pareto_csv(front));
            }
        } else if (*results) {
            const auto objectives =
                pareto_keys.empty() ? std::vector<sim::ParetoObjective>{} : sim::parse_pareto_objectives(pareto_keys);
            const auto db = sim::ResultsDb::open(results_db, false);
            auto stored = db.points(results_sweep);
            if (!results_sweep.empty() && stored.empty()) {
                std::string names;
                for (const auto& s : db.sweeps()) names += (names.empty() ? "" : ", ") + s.name;
                throw UserError(results_db + ": no sweep '" + results_sweep + "'; stored: " +
                                (names.empty() ? "none" : names));
            }
            const auto points = sim::filter_points(stored, sim::parse_where(results_where));
            if (results_csv == "-") std::cout << sim::results_csv(points);
            else if (results_json == "-") std::cout << sim::results_json(points);
            else {
                if (!results_csv.empty()) write_file(results_csv, sim::results_csv(points));
                if (!results_json.empty()) write_file(results_json, sim::results_json(points));
                std::cout << sim::results_table(points);
                if (!objectives.empty()) std::cout << "\n" << sim::pareto_table(sim::pareto_points(points, objectives));
            }
        } else if (*docs) {
            std::cout << (docs_topic == "metrics" ? sim::metrics_reference_markdown() : sim::config_reference_markdown());
        }
    } catch (const UserError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        // A broken internal invariant: say so instead of aborting, and ask for a report.
        std::cerr << "internal error (a bug in fmsim; please report it with the command line): " << e.what() << "\n";
        return 3;
    }
    return 0;
}
