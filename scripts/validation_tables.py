#!/usr/bin/env python3
"""Prints the workload-layer validation tables of docs/validation.md from fmsim's own output.

Usage: scripts/validation_tables.py [path/to/fmsim]   (default build/fmsim)
Every number comes from running fmsim; the published figures come from the zoo files' "fmsim"
blocks and from tests/data/survey_gpt2_flops.json.
"""
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
fmsim = sys.argv[1] if len(sys.argv) > 1 else str(root / "build" / "fmsim")


def graph(*args):
    out = subprocess.run([fmsim, "graph", *args, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def fmt_params(n):
    return f"{n / 1e9:.3f} B" if n >= 1e9 else f"{n / 1e6:.2f} M"


print("## Parameter counts of the zoo\n")
print("| model | fmsim | published | error | tolerance | source |")
print("|---|---|---|---|---|---|")
for path in sorted((root / "configs" / "models").glob("*.json")):
    meta = json.loads(path.read_text())["fmsim"]
    s = graph(path.stem)
    pub = meta["published_params"]
    err = (s["params_total"] - pub) / pub * 100
    tol = max(0.005, meta.get("published_params_precision", 0.005)) * 100
    source = meta["source"] if len(meta["source"]) <= 110 else meta["source"][:110].rsplit(" ", 1)[0] + " …"
    line = f"| {path.stem} | {fmt_params(s['params_total'])} | {fmt_params(pub)} | {err:+.2f}% | {tol:.1f}% | {source} |"
    print(line)
    if "published_active_params" in meta:
        pa = meta["published_active_params"]
        print(f"| {path.stem} (active) | {fmt_params(s['params_active'])} | {fmt_params(pa)} | "
              f"{(s['params_active'] - pa) / pa * 100:+.2f}% | 0.5% | same |")

print("\n## GPT-2 small forward FLOPs vs the survey's table (Fig. 5)\n")
print("| seq_len | attention: survey | fmsim | error | FFN: survey | fmsim | error |")
print("|---|---|---|---|---|---|---|")
table = json.loads((root / "tests" / "data" / "survey_gpt2_flops.json").read_text())
for row in table["rows"]:
    s = graph("gpt2", "--phase", "prefill", "--input-len", str(row["seq_len"]))
    a, f = s["groups"]["attention"]["flops"] / 1e6, s["groups"]["ffn"]["flops"] / 1e6
    ea = (a - row["attention_mflops"]) / row["attention_mflops"] * 100
    ef = (f - row["ffn_mflops"]) / row["ffn_mflops"] * 100
    print(f"| {row['seq_len']} | {row['attention_mflops']:.1f} M | {a:.1f} M | {ea:+.2f}% | "
          f"{row['ffn_mflops']:.1f} M | {f:.1f} M | {ef:+.2f}% |")

# ---- Kernels on the A100 preset vs the LLMCompass authors' measurements ----
measured_path = root.parent / "shared" / "validation" / "llmcompass_measured.json"
if measured_path.exists():
    import statistics

    measured = json.loads(measured_path.read_text())

    # How the LLMCompass scripts call each op (software_model/*.py, run_on_gpu): matmul, bmm and
    # softmax eagerly, LayerNorm and GELU as @torch.compile'd functions; each call is timed with
    # time.time() around it and a torch.cuda.synchronize(): fmsim's isolated call (call_s).
    harness = {"gemm": "pytorch-eager", "softmax": "pytorch-eager", "layernorm": "pytorch-compile",
               "gelu": "pytorch-compile"}

    def kernel(*args, hardware="a100-sxm-80gb", stack=""):
        """One call's time; `stack` prefixes the runtime names ("rocm-" for the MI210 machine)."""
        out = subprocess.run([fmsim, "kernel", *args, "--hardware", hardware, "--runtime", stack + harness[args[0]],
                              "--json"], check=True, capture_output=True, text=True).stdout
        return json.loads(out)["call_s"]

    def kernel_sweeps(device, hardware, title, stack=""):
        """The GEMM, softmax, LayerNorm and GELU sweeps measured on `device`, replayed on `hardware`."""
        rows, errors = [], {}

        def record(sweep, case, meas_s, sim_s):
            e = (sim_s - meas_s) / meas_s
            errors.setdefault(sweep, []).append(e)
            rows.append(f"| {sweep} | {case} | {meas_s * 1e6:.1f} | {sim_s * 1e6:.1f} | {e * 100:+.1f}% |")

        for r in measured["matmul"][device]:
            record("GEMM", f"M={r['M']} N={r['N']} K={r['K']}", r["latency_ms"] / 1e3,
                   kernel("gemm", "--m", str(r["M"]), "--n", str(r["N"]), "--k", str(r["K"]), hardware=hardware,
                          stack=stack))
        for sweep in ("softmax", "layernorm"):
            for r in measured[sweep][device]:
                record(sweep, f"{r['M']}x{r['N']}", r["M"] * r["N"] / r["gelements_per_s"] / 1e9,
                       kernel(sweep, "--rows", str(r["M"]), "--cols", str(r["N"]), hardware=hardware, stack=stack))
        for r in measured["gelu"][device]:
            record("GELU", f"{r['elements']} elements", r["elements"] / r["gelements_per_s"] / 1e9,
                   kernel("gelu", "--elements", str(r["elements"]), hardware=hardware, stack=stack))
        print(f"\n## {title}\n")
        print("| sweep | cases | median abs error | worst |")
        print("|---|---|---|---|")
        for sweep, es in errors.items():
            worst = max(es, key=abs)
            print(f"| {sweep} | {len(es)} | {statistics.median(abs(e) for e in es) * 100:.1f}% | {worst * 100:+.1f}% |")
        print("\n| sweep | case | measured (us) | fmsim (us) | error |")
        print("|---|---|---|---|---|")
        print("\n".join(rows))

    kernel_sweeps("A100", "a100-sxm-80gb", "A100 kernels vs LLMCompass measurements")

    # GPT-3 175B layer, tensor-parallel over 4 A100s (per-GPU shapes), batch 8: prefill of 2048
    # tokens and one decode step over a 3072-token KV cache. Shapes from the caveats of the file:
    # d_model 12288, 96 heads of 128 (24 per GPU), FFN 4 x d_model.
    layer = measured["gpt3_layer_tp4"]
    d, heads, hd, b = 12288, 24, 128, 8

    def layer_ops(tokens, q_len, kv_len):
        bh = str(b * heads)
        return {
            "qkv_projection": ("gemm", "--m", str(tokens), "--n", str(3 * d // 4), "--k", str(d)),
            "q_times_kT": ("gemm", "--batch", bh, "--m", str(q_len), "--n", str(kv_len), "--k", str(hd)),
            "attention_times_v": ("gemm", "--batch", bh, "--m", str(q_len), "--n", str(hd), "--k", str(kv_len)),
            "output_projection": ("gemm", "--m", str(tokens), "--n", str(d), "--k", str(d // 4)),
            "ffn_up": ("gemm", "--m", str(tokens), "--n", str(d), "--k", str(d)),
            "ffn_down": ("gemm", "--m", str(tokens), "--n", str(d), "--k", str(d)),
            "softmax": ("softmax", "--rows", str(b * heads * q_len), "--cols", str(kv_len)),
            "layernorm_attention": ("layernorm", "--rows", str(tokens), "--cols", str(d)),
            "layernorm_ffn": ("layernorm", "--rows", str(tokens), "--cols", str(d)),
            "gelu": ("gelu", "--elements", str(tokens * d)),
        }

    print("\n## GPT-3 175B layer on 4 x A100 (TP 4, per GPU), batch 8\n")
    print("All-reduces are not in this table (multi-device is issue 5).\n")
    print("| phase | operator | measured (us) | fmsim (us) | error |")
    print("|---|---|---|---|---|")
    for phase, (tokens, q_len, kv_len) in (("prefill", (b * 2048, 2048, 2048)), ("decode", (b, 1, 3072))):
        measured_total = sim_total = 0.0
        errs = []
        for op, args in layer_ops(tokens, q_len, kv_len).items():
            meas = layer[phase]["latency_s"][op]
            sim = kernel(*args)
            measured_total += meas
            sim_total += sim
            errs.append(abs(sim - meas) / meas)
            print(f"| {phase} | {op} | {meas * 1e6:.1f} | {sim * 1e6:.1f} | {(sim - meas) / meas * 100:+.1f}% |")
        print(f"| {phase} | **layer without all-reduce** | {measured_total * 1e6:.1f} | {sim_total * 1e6:.1f} | "
              f"{(sim_total - measured_total) / measured_total * 100:+.1f}% (per-op median abs "
              f"{statistics.median(errs) * 100:.1f}%) |")

    # The same sweeps on the MI210 preset (clock and STREAM rate from other measurements) under the
    # ROCm runtimes, whose floors and streaming rate come from these sweeps (docs/validation.md).
    kernel_sweeps("MI210", "mi210", "MI210 kernels vs LLMCompass measurements", stack="rocm-")
