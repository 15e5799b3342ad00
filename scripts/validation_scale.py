#!/usr/bin/env python3
"""Prints the "Training and multi-device cases" section of docs/validation.md from fmsim's own output.

Usage: scripts/validation_scale.py [path/to/fmsim]   (default build/fmsim)
Every fmsim number comes from `fmsim run tests/validation_scenarios/ID.json --json -`; the
published figures come from tests/data/published_cases.json (a copy of
../shared/validation/published_cases.json). Each scenario file's description says which setting
it reproduces, what the source leaves unstated and what was taken for it. Nothing here, and no
modelling constant, preset, runtime or link, was tuned to these cases.
Takes a few minutes: the two 1000/1000 serving cases replay 1000 decode steps each.
"""
import csv
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent
fmsim = sys.argv[1] if len(sys.argv) > 1 else str(root / "build" / "fmsim")
scenarios = root / "tests" / "validation_scenarios"
published = {c["id"]: c for c in json.loads((root / "tests" / "data" / "published_cases.json").read_text())}


def run(cid, csv_path=None, sets=()):
    args = [fmsim, "run", str(scenarios / f"{cid}.json"), "--json", "-"]
    if csv_path:
        args += ["--csv", csv_path]
    for s in sets:
        args += ["--set", s]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def run_ops(cid, sets=()):
    """The report and its per-op rows (one replayed device)."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        r = run(cid, f.name, sets)
        return r, list(csv.DictReader(open(f.name)))


def op_time(o):
    return float(o["duration_s"]) * int(o["repeat"])


def devices(r):
    return r["scenario"].get("system", {}).get("devices", 1)


def peak_tflops(r):
    t = r["training"]
    return t["tflops_per_device"] / t["mfu"]


# What each published metric is in fmsim's report.
METRICS = {
    # Megatron-style TFLOP/s per GPU, recomputation counted: hfu x the dense peak at boost clock.
    "hw_tflops": (lambda r: r["training"]["hfu"] * peak_tflops(r), "TFLOP/s/GPU", "{:.1f}"),
    # Model FLOP/s per GPU (no recomputation).
    "model_tflops": (lambda r: r["training"]["tflops_per_device"], "TFLOP/s/GPU", "{:.1f}"),
    "mfu": (lambda r: r["training"]["mfu"] * 100, "% MFU", "{:.1f}"),
    "tokens_per_gpu": (lambda r: r["training"]["tokens_per_s"] / devices(r), "tokens/s/GPU", "{:.0f}"),
    "tokens_node": (lambda r: r["training"]["tokens_per_s"], "tokens/s", "{:,.0f}"),
    "device_hours": (lambda r: r["training"]["device_hours"], "GPU-hours", "{:,.0f}"),
    "out_tokens": (lambda r: r["throughput_tokens_per_s"], "tokens/s", "{:,.0f}"),
    "out_tokens_per_gpu": (lambda r: r["throughput_tokens_per_s"] / devices(r), "tokens/s/GPU", "{:,.0f}"),
    "latency_ms": (lambda r: r["latency_s"] * 1e3, "ms", "{:.1f}"),
}
PUBLISHED_SCALE = {"mfu": 100}  # published MFU is a fraction

# Point cases: (id, setting, metric, note). The order is the table's.
POINTS = [
    ("C01", "GPT 1T, 3072 A100, TP8 PP64 DP6, full recompute", "hw_tflops",
     "full recomputation; bubble 11% (64 stages)"),
    ("C02", "GPT 1.7B, 32 A100, DP32, full recompute, unfused attention", "hw_tflops",
     "per-device efficiency too high (GEMMs near the sustained peak; no loss scaling or gradient clipping)"),
    ("C03", "GPT-3 175B (vocab 51,200), 64 A100, TP8 PP8, SP, selective", "mfu",
     "per-device efficiency too high"),
    ("C04", "GPT 1T, 512 A100, TP8 PP64, SP, selective", "mfu", "as C03"),
    ("C05", "GPT-3 175B (vocab 131k, seq 4096), 4608 H100, TP8 PP12 DP48", "mfu",
     "24 micro-batches on 12 stages: fmsim's 1F1B bubble, no interleaved schedule"),
    ("C06", "the same on 96 H100, TP8 PP12 DP1", "mfu", "per-device efficiency too high; the bubble is small here"),
    ("C12", "LLaMA 65B, 2048 A100, TP8 SP DP256 ZeRO-1, selective", "tokens_per_gpu", ""),
    ("C21", "GPT3-1.3B, 8 A100 node, DDP+ZeRO-1, no recompute", "tokens_node",
     "per-device efficiency too high (GEMMs near the sustained peak)"),
    ("C22", "GPT3-2.7B (head dim 128), 8 A100 node", "tokens_node", "as C21"),
    ("C34", "GPT-2 1.2B, one V100 (DGX-2H), batch 8, full recompute", "hw_tflops",
     "per-device efficiency too high; the preset is the V100 SXM2 (125 TFLOP/s), ~4% slower than the DGX-2H's SXM3, so the device is not why fmsim is high"),
    ("C35", "BLOOM 176B, 384 A100, TP4 PP12 DP8 ZeRO-1, full recompute", "hw_tflops",
     "per-device efficiency too high, as C02"),
    ("B14", "Llama 3.3 70B FP8, 2 H100 TP2, 1000/1000, max load", "out_tokens",
     "static batch for in-flight batching"),
    ("B16", "Llama 3.1 405B FP8, 8 H100 TP8, 1000/1000, max load", "out_tokens", "as B14"),
    ("B23", "Llama 2 70B FP8, 2 H100 TP2, static batch 1024, 128/128", "out_tokens_per_gpu", ""),
    ("B20", "Llama 2 70B FP16, 4 A100 TP4, TTFT of 2048 tokens", "latency_ms", ""),
    ("B21", "Llama 2 70B FP8, 4 H100 TP4, TTFT of 2048 tokens", "latency_ms", ""),
]
# Which point cases are throughput/MFU (the target); the rest are latencies.
LATENCY = {"B20", "B21"}

BOUNDS = [
    ("C11", "OPT-175B, 992 A100, TP8 x FSDP 124, full recompute", "hw_tflops", "≤",
     "'up to 147': exceeded, as the per-device efficiency of the point cases"),
    ("C23", "GPT3-2.7B at 8k context, 8 A100 (FlashAttention-2)", "model_tflops", "≤",
     "'up to 225 (72% MFU)': exceeded, as C21/C22"),
]

HOURS = [
    ("C25", "Llama 2 7B, 2.0T tokens, 4k context, A100 (256 taken, DP256 ZeRO-1)"),
    ("C24", "Llama 2 70B, 2.0T tokens, A100 (2048 taken, TP8 SP DP256)"),
    ("C29", "LLaMA 65B, 1.4T tokens, 2048 A100 (the C12 setting)"),
    ("C26", "Llama 3 70B, 15T tokens, 8k context, H100 (4096 taken, TP8 SP DP512)"),
    ("C27", "Llama 3.1 405B, 15.6T tokens, 16,384 H100, TP8 PP16 DP128"),
    ("C28", "BLOOM 176B, 366B tokens, 384 A100 (the C35 setting)"),
]

NOT_SIMULATED = {
    "C10": "PaLM 540B on 6144 TPU v4: its partitioning (12-way model parallelism x 256-way fully sharded data "
           "parallelism per pod over the 3D torus, two pods over the data-centre network) and its parallel "
           "attention/FFN block are not fmsim's Megatron-style plan, and no link preset describes the pods' DCN",
    "C30": "ViT-H/14 TPUv3-core-days: no TPU v3 preset",
    "C31": "ViT-L/16 TPUv3-core-days: no TPU v3 preset",
    "C32": "MLPerf GPT-3 time to train on 11,616 H100: the tokens to reach the target log-perplexity depend on "
           "the batch and the run, and neither is in the case",
    "C33": "MLPerf GPT-3 time to train on 3584 H100: as C32",
}


def time_split(r):
    t = r.get("training")
    if not t:
        return ""
    s = t["time_split_s"]
    step = t["step_time_s"]
    return (f"step {step:.3g} s: compute {s['compute'] / step * 100:.0f}%, bubble "
            f"{s['pipeline_bubble'] / step * 100:.0f}%, exposed comm {s['exposed_communication'] / step * 100:.0f}%")


def published_value(cid, metric):
    return published[cid]["value"] * PUBLISHED_SCALE.get(metric, 1)


reports = {}
for cid, *_ in POINTS + BOUNDS + HOURS:
    reports[cid] = run(cid)

rows, errors, tput_errors = [], {}, []
for cid, setting, metric, note in POINTS:
    fn, unit, fmt = METRICS[metric]
    sim, pub = fn(reports[cid]), published_value(cid, metric)
    e = (sim - pub) / pub
    errors[cid] = e
    if cid not in LATENCY:
        tput_errors.append(e)
    split = time_split(reports[cid])
    full_note = "; ".join(x for x in (note, split) if x)
    rows.append(f"| {cid} | {setting} | {unit} | {fmt.format(pub)} | {fmt.format(sim)} | {e * 100:+.1f}% | {full_note} |")

bound_rows = []
for cid, setting, metric, sign, note in BOUNDS:
    fn, unit, fmt = METRICS[metric]
    sim, pub = fn(reports[cid]), published_value(cid, metric)
    x = (sim - pub) / pub
    verdict = "holds" if sim <= pub else "exceeded"
    bound_rows.append(f"| {cid} | {setting} | {sign} {fmt.format(pub)} {unit} | {fmt.format(sim)} | "
                      f"{verdict}: {abs(x) * 100:.1f}% {'over' if x > 0 else 'under'} | {note}; {time_split(reports[cid])} |")

hour_rows, hour_errors = [], []
for cid, setting in HOURS:
    r = reports[cid]
    t = r["training"]
    pub = published[cid]["value"]
    e = (t["device_hours"] - pub) / pub
    hour_errors.append(e)
    implied_mfu = t["mfu"] * t["device_hours"] / pub
    hour_rows.append(f"| {cid} | {setting} | {t['tokens']:.3g} | {pub:,.0f} | {t['device_hours']:,.0f} | {e * 100:+.1f}% | "
                     f"fmsim MFU {t['mfu'] * 100:.1f}%; the published hours imply {implied_mfu * 100:.1f}% |")


# Evidence quoted in the text.
_, c01_ops = run_ops("C01")
c01 = {o["name"]: o for o in c01_ops if o["name"] in ("layers.0.fc1", "layers.0.fc1.recompute")}
fc1, fc1r = c01["layers.0.fc1"], c01["layers.0.fc1.recompute"]
c23_report, c23_ops = run_ops("C23")
c23_bwd = [o for o in c23_ops if o["kind"] == "attention" and o["name"].endswith(".bwd")]
c23_bwd_flops = sum(float(o["flops"]) * int(o["repeat"]) for o in c23_bwd)
c23_bwd_s = sum(op_time(o) for o in c23_bwd)
_, c21_ops = run_ops("C21")
c21_mm = [o for o in c21_ops if o["kind"] == "matmul"]
c21_mm_rate = sum(float(o["flops"]) * int(o["repeat"]) for o in c21_mm) / sum(op_time(o) for o in c21_mm) / 1e12
a100_sustained = 271.2  # the A100 preset's dense BF16 peak at its sustained clock (fmsim hardware show)
# One decode step of B14 (the KV cache at 1000 tokens): a short run of the same scenario.
_, b14_ops = run_ops("B14", ["output_len=4"])
b14_step = [o for o in b14_ops if o["stage"].startswith("decode@")]
first_step = b14_step[0]["stage"]
b14_step = [o for o in b14_step if o["stage"] == first_step]
b14_step_s = sum(float(o["duration_s"]) for o in b14_step)
b14_attn = [o for o in b14_step if o["kind"] == "attention"]
b14_attn_s = sum(float(o["duration_s"]) for o in b14_attn)
b14_attn_gb = sum(float(o["dram_bytes"]) for o in b14_attn) / 1e9
c01_mem = reports["C01"]["memory"]["activation_bytes"] / 1e9
# The runtime choice: every training point case under the other runtime (native <-> pytorch-eager).
runtime_moves = {}
for cid, *_ in POINTS:
    r = reports[cid]
    if r.get("training"):
        other = "pytorch-eager" if r["scenario"]["runtime"] == "native" else "native"
        alt = run(cid, sets=[f"runtime={other}"])["training"]["tokens_per_s"]
        runtime_moves[cid] = alt / r["training"]["tokens_per_s"] - 1
rt_worst = max(runtime_moves, key=lambda c: abs(runtime_moves[c]))
rt_rest = max(abs(v) for c, v in runtime_moves.items() if c != rt_worst)
c01_inputs = 2 * 2048 * 25600 * 2 * 64 / 1e9  # 2 layers' fp16 inputs x 64 micro-batches in flight

def pct(cid):
    return f"{errors[cid] * 100:+.0f}%"


def pc(cid):
    return f"{cid} {pct(cid)}"


def mfu(cid):
    return reports[cid]["training"]["mfu"] * 100


def split_pct(cid, part):
    t = reports[cid]["training"]
    return t["time_split_s"][part] / t["step_time_s"] * 100


mfu_lo = min(mfu(c) for c in ("C21", "C22", "C25"))
mfu_hi = max(mfu(c) for c in ("C21", "C22", "C25"))
c21_pub_mfu = published["C21"]["value"] / reports["C21"]["training"]["tokens_per_s"] * mfu("C21")
no_fit = sorted(c for c, r in reports.items() if r["memory"]["fits"] is False or r["memory"]["fits"] == 0)

med = statistics.median(abs(e) for e in tput_errors)
hours_above = [cid for cid, _ in HOURS if reports[cid]["training"]["device_hours"] > published[cid]["value"]]
med_all = statistics.median(abs(e) for e in errors.values())
worst = max(errors.items(), key=lambda kv: abs(kv[1]))
over = sorted(cid for cid, e in errors.items() if abs(e) > 0.15)

print("## Training and multi-device cases\n")
print(f"""Groups `C_training` and the multi-GPU rows of `B_llm_inference` of
`../shared/validation/published_cases.json` (copied to `tests/data/`). One scenario file per case in
`tests/validation_scenarios/` (named by the case id) reproduces the published setting; its
`description` cites the source, says what the source leaves unstated and what was taken for it
(the "standard" choice), and why. None of these cases calibrated anything: no preset, runtime or
link value was set from them. Three mechanisms they exposed were added to the model (listed at the
end of this section), each tested against its closed form rather than a case. The table is printed
by `scripts/validation_scale.py`;
`ValidationScale.*` (`tests/sc/test_validation_scale.cpp`) holds the fast cases within their error
below + 2 points and the median at its value + 2 points.

**Conventions.** Megatron-LM 2021 (C01, C02), Megatron v1.0 (C34) and BLOOM (C35) count
recomputation in their TFLOP/s (the 96·B·s·l·h²(1 + s/6h + V/16lh) formula with 4 passes): those are
compared with fmsim's `hfu` × the device's dense peak at boost clock; MFU cases with `mfu` (model
FLOPs: forward and backward without recomputation, full s × s attention counted, as Megatron and PaLM do); FlashAttention's "up to 225" with
model FLOP/s (`tflops_per_device`). TensorRT-LLM's v1.0 tables give output throughput for the whole
TP group (B14, B16); its v0.6.1 table per GPU (B23: fmsim's group throughput / 2). Time to first
token (B20, B21) is the prefill's `latency_s`. GPU-hours are compared with `device_hours` over the
case's token count; they are accounting totals (restarts, failures, evaluation, long-context and
annealing stages included), so fmsim, which prices ideal steps, should come out below them
({' and '.join(hours_above)} {'does' if len(hours_above) == 1 else 'do'} not, for the reasons below).

**Runtime.** `native` for every Megatron-family case (Megatron-LM, Megatron-Core,
Megatron-DeepSpeed): their host runs ahead of the GPU asynchronously, the hot path is fused kernels
of milliseconds and the backward pass is dispatched by autograd's C++ engine, so the per-op Python
dispatch `pytorch-eager` charges is hidden. `pytorch-eager` for the PyTorch code bases (LLaMA,
Llama 2/3, OPT, the FlashAttention scripts); `cuda-graphs` for TensorRT-LLM's PyTorch backend (B14,
B16), `native` for its v0.5/v0.6 C++ runtime (B20, B21, B23). At these kernel sizes the choice
matters little: the other runtime moves a training case's throughput by at most
{runtime_moves[rt_worst] * 100:+.1f}% ({rt_worst}, and not through host time: pytorch-eager's softmax re-reads rows
wider than 1024 columns, PyTorch's block kernel, where Megatron's fused scale-mask-softmax reads its
2048-column rows once, as under native); every other case moves {rt_rest * 100:.1f}% or less.

**Result: the median absolute error over the {len(tput_errors)} throughput/MFU point cases is
{med * 100:.1f}%: issue 5's target of 15% is {'met' if med <= 0.15 else 'missed'}.** Over all {len(errors)} point cases (with the two
first-token latencies) it is {med_all * 100:.1f}%; the worst is {worst[0]} at {worst[1] * 100:+.1f}%.
Over 15%: {", ".join(pc(c) for c in over)}. Within 15%:
{", ".join(f"{c} {errors[c] * 100:+.1f}%" for c in sorted(errors) if c not in over)}. GPU-hour totals
(not in the target): median absolute error {statistics.median(abs(e) for e in hour_errors) * 100:.1f}%.

**What misses, and why.**

- *Per-device training efficiency is too high* wherever nothing else slows a step: {pc('C02')},
  {pc('C21')}, {pc('C22')}, {pc('C34')}, {pc('C03')}, {pc('C04')}, {pc('C06')}, and Llama 2 7B's
  GPU-hours at half the model card's. fmsim's training GEMMs run near the A100 preset's
  sustained-clock peak (C21: {c21_mm_rate:.0f} of {a100_sustained:.0f} TFLOP/s on average,
  {c21_mm_rate / 312 * 100:.0f}% of the 312 at boost), so an unpipelined A100 step reaches
  {mfu_lo:.0f}–{mfu_hi:.0f}% MFU (C21, C22, C25) where the best published A100 training runs report about
  60% (C21's own figure is {c21_pub_mfu:.0f}%). What the real steps also spend, and fmsim does not
  replay: loss scaling and the gradient-norm/clipping pass over every parameter, the data loader and
  logging, the cross-entropy's extra passes, inter-kernel gaps in the backward pass, and GEMMs under
  the clocks and power caps of a full training load. (Dropout is replayed since this validation
  found it missing: it took C02 from +43% to +25% and C34 from +37% to +22%.)
- *Pipeline bubble*: fmsim's 1F1B bubble is (pp − 1) micro-batches, with no interleaved
  (virtual-stage) schedule and no TP/PP communication overlap, both of which Megatron-Core uses.
  C05 (24 micro-batches per replica on 12 stages) is {pct('C05')} with the bubble
  {split_pct('C05', 'pipeline_bubble'):.0f}% of the step, while C06 (1152 micro-batches) is {pct('C06')}: the
  strong-scaling drop from 47% to 42% MFU comes out as {mfu('C06'):.1f}% → {mfu('C05'):.1f}%, too steep.
  The same bubble is {split_pct('C27', 'pipeline_bubble'):.0f}% of the Llama 3.1 405B step (16 micro-batches
  on 16 stages), which puts C27's GPU-hours above the model card's.
- *Full recomputation* cases (C01 {pct('C01')}, C35 {pct('C35')}, the OPT bound C11) sit above the
  published figures like the others, for the same reason.
- *Serving at max load* ({pc('B14')}, {pc('B16')}): a decode step's attention streams the FP8 KV
  cache at {b14_attn_gb / b14_attn_s / 1e3:.2f} TB/s of the H100's 3.35 (B14: {b14_attn_s * 1e3:.1f} ms of a
  {b14_step_s * 1e3:.1f} ms step for {b14_attn_gb:.1f} GB). fmsim serves a static batch where
  TensorRT-LLM batches in flight (requests join and leave at different lengths). The static batch also prefills every request
  at once (B16's 352 × 1000-token prefill needs {reports['B16']['memory']['peak_bytes_per_device'] / 1e9:.0f} GB
  on an 80 GB device, so its memory verdict reads "does not fit" where TensorRT-LLM chunks the
  prefill by max_num_tokens), which changes no time. First-token latencies: {pc('B20')} (FP16),
  {pc('B21')} (FP8).
- *FP8 GEMMs of 2023's TensorRT-LLM*: the v0.6.1 static batch {pc('B23')} (and, below, the v0.5
  FP8 first-token latencies of LLaMA 7B) are fast where the v1.0-era FP8 runs (B14, B16, and B12,
  B13, B15 below) are within 14%. fmsim runs an FP8 GEMM at the H100's measured FP8 MAMF clock
  (1403 TFLOP/s dense at its best shape, hardware sheet section 8); B23's 2657 tokens/s per GPU
  implies about 55% of that over the run, the software of that version. Before the GEMM mapper
  counted each operand's L2 traffic at its own width (see below), every FP8-weight GEMM was charged
  its weight panels at 16 bits and came out L2-bound near that figure: B23 read +1.4%, B14 -3.8%.
- *Memory verdicts* (not a compared metric): {", ".join(no_fit)} read "does not fit" where the real
  runs fit. Stage k of the 1F1B pipeline holds what pp − k micro-batches saved for their backward
  passes, plus one micro-batch's working peak (`docs/parallelism.md`). C01 holds {c01_mem:.1f} GB of
  activations (its 64 micro-batches' checkpointed block inputs are {c01_inputs:.1f} GB; the first stage
  also keeps the embeddings' dropout masks). C27 (Llama 3.1 405B) is {(reports['C27']['memory']['peak_bytes_per_device'] - 80e9) / 1e9:.1f} GB
  over 80 GB, as Korthikanti et al.'s 34·s·b·h/t per layer predicts for 7 layers × 16 micro-batches in
  flight; C23 keeps 4 sequences of 8k tokens without recomputation (the source's configuration is
  from memory); B16 is the static batch's prefill above.

**Mechanisms added since this validation first ran** (2026-11-29; the figures above include them):
grouped-query decode attention now packs the query heads of a KV head into one tile and reads the
cache at its own dtype (FlashDecoding, TensorRT-LLM's XQA), where each query head had re-read its
K/V from L2 at bf16 — 16x the cache's bytes for Llama-70B's FP8 cache, which had put B14 at -37%
and B16 at -30%; tensor parallelism splits unfused attention's scores by head, so the
pre-FlashAttention runs (C01, C03, C04, C11, C28, C35) are replayed unfused, as they ran, instead
of with a fused kernel; training graphs replay dropout as the model config sets it (an op per
sub-block output and, unfused, on the attention probabilities, with its 1-byte mask;
`docs/formulas.md`). Activation memory no longer keeps what backward ops do not read (a residual
add's inputs, the whole output of a tensor-parallel product before its reduce-scatter) or puts
the first stage's pp micro-batches on every stage: Llama 3.1 405B's device went from 157 to
{reports['C27']['memory']['peak_bytes_per_device'] / 1e9:.1f} GB.

**GEMM operand widths and the FP8 clock** (2026-11-29, later the same day): the GEMM mapper
counted both operands' L2 and shared-memory traffic at the activations' width, so FP8 or int4
weights were charged at 16 bits; each operand now moves at its own width. An H100 holds a lower
clock under FP8 than under BF16 (MAMF FP8 1402.6 against 2 x 794.5 TFLOP/s: 0.883), now a preset
value (`clock.matrix_clock_fraction`) with that source (H200 0.915, B200 0.984, Gaudi 2 0.987).
Together they moved B14 from -3.8% to {pct('B14')}, B16 from -7.2% to {pct('B16')}, B23 from +1.4% to
{pct('B23')} and B21 from +12.7% to {pct('B21')}.

**Bugs this validation found, fixed the same day** (the figures above are after the fixes):
recomputed GEMMs were not split by tensor parallelism (and missed their all-reduces); the fused
attention's backward kernel was timed as its forward (now 2.5x the block products and 2x the
softmax work, Dao 2023); MFU counted recomputed ops (they carry the backward phase); a global batch
that does not divide over dp x micro-batch was computed truncated (now rounded up); a data-parallel
group that does not fill nodes evenly was refused (now split as evenly as it goes).

### Point cases

Median absolute error over the {len(tput_errors)} throughput/MFU cases: {med * 100:.1f}%; over all
{len(errors)} point cases: {med_all * 100:.1f}%.

| case | setting | metric | published | fmsim | error | note |
|---|---|---|---|---|---|---|""")
print("\n".join(rows))
print("""
### Bounds

"Up to" figures are best results: fmsim's figure for the stated setting is checked against them as
an inequality.

| case | setting | bound | fmsim | verdict | note |
|---|---|---|---|---|---|""")
print("\n".join(bound_rows))
print("""
### GPU-hour totals (`device_hours`)

| case | setting | tokens | published GPU-hours | fmsim device_hours | error | note |
|---|---|---|---|---|---|---|""")
print("\n".join(hour_rows))
print("""
### Not simulated

| case | why |
|---|---|""")
for cid, why in NOT_SIMULATED.items():
    print(f"| {cid} | {why} |")
print("\nSingle-GPU rows of `B_llm_inference` are in the next section.")

# Single-device LLM inference: the single-GPU rows of B_llm_inference.
SINGLE = [
    ("B12", "Llama 3.1 8B FP8, H100, TensorRT-LLM (PyTorch backend), max load, 128/128", "out_tokens", "static batch 3618 for in-flight batching"),
    ("B13", "Llama 3.1 8B FP8, H100, TensorRT-LLM, max load, 2048/128", "out_tokens", "static batch 425; prefills at once (memory verdict: does not fit)"),
    ("B15", "Llama 3.3 70B FP8, H200, TensorRT-LLM, max load, 1000/1000", "out_tokens", "static batch 179"),
    ("B22", "LLaMA 7B FP16, A100, TensorRT-LLM v0.6.1, static batch 384, 128/128", "out_tokens", ""),
    ("B24", "LLaMA 2 7B f16, A100, llama.cpp (Dec 2023), batch 1 decode", "decode_tokens", "prompt length not given: 128 taken"),
    ("B25", "LLaMA 2 7B f16, H100 PCIe, llama.cpp (Dec 2023), batch 1 decode", "decode_tokens", "prompt length not given: 128 taken, as B24"),
    ("B29", "Llama 3.1 8B INT4, Jetson Orin Nano Super, MLC, batch 1 decode", "decode_tokens", "Super mode as hardware overrides (1020 MHz, 102 GB/s)"),
    ("B17", "LLaMA 7B FP8, H100, TensorRT-LLM v0.5, TTFT of 128 tokens", "latency_ms", ""),
    ("B18", "LLaMA 7B FP8, H100, TensorRT-LLM v0.5, TTFT of 2048 tokens", "latency_ms", ""),
    ("B19", "LLaMA 7B FP16, A100, TensorRT-LLM v0.5, TTFT of 2048 tokens", "latency_ms", ""),
]
SINGLE_NOT_SIMULATED = {
    "B26": "Apple M2 Ultra (76-core GPU): no preset (the M2 Max preset is a different chip)",
    "B27": "Apple M1 Max: no preset",
    "B28": "llama.cpp prompt-eval speed on an A100: the prompt lengths averaged over are not given",
    "B30": "Jetson AGX Thor (Blackwell, NVFP4): no preset",
}
METRICS["decode_tokens"] = (lambda r: 1 / r["tpot_s"], "tokens/s", "{:,.1f}")
single_rows, single_errors, single_tput = [], {}, []
for cid, setting, metric, note in SINGLE:
    fn, unit, fmt = METRICS[metric]
    r = run(cid)
    sim, pub = fn(r), published[cid]["value"]
    e = (sim - pub) / pub
    single_errors[cid] = e
    if metric != "latency_ms":
        single_tput.append(e)
    single_rows.append(f"| {cid} | {setting} | {unit} | {fmt.format(pub)} | {fmt.format(sim)} | {e * 100:+.1f}% | {note} |")
single_med = statistics.median(abs(e) for e in single_tput)
single_med_all = statistics.median(abs(e) for e in single_errors.values())


def spc(cid):
    return f"{cid} {single_errors[cid] * 100:+.0f}%"


print(f"""
## Single-device LLM inference

The single-GPU rows of `B_llm_inference`, one scenario file each in `tests/validation_scenarios/`
(the description says what was taken where the source is silent), printed by the same script and
held by `ValidationScale.SingleDeviceCasesDoNotRegress`. Nothing was calibrated on them.
Throughput cases: output tokens per second of the run (TensorRT-LLM; max-load runs as the static
batch the KV cache holds, as B14) or 1 / TPOT (llama.cpp's and MLC's decode speed); latencies: the
prefill's.

**Result: median absolute error {single_med * 100:.1f}% over the {len(single_tput)} throughput cases,
{single_med_all * 100:.1f}% over all {len(single_errors)}.** The v1.0-era TensorRT-LLM runs ({spc('B12')},
{spc('B13')}, {spc('B15')}) and the FP16 ones of v0.5/v0.6 ({spc('B22')}, {spc('B19')}) are within 11%,
MLC's INT4 decode on the Jetson ({spc('B29')}) within 6%. Two miss, each by software the model does
not describe: llama.cpp's f16 decode of December 2023
({spc('B24')} on an A100, {spc('B25')} on an H100 PCIe: the 13.2 GB of weights a token reads is,
at 74 tokens/s, 0.98 TB/s, 55% of the A100's 1.77 TB/s streaming rate, and at 83 tokens/s 1.10 TB/s,
63% of the H100 PCIe's 1.74, rates fmsim's GEMVs reach); TensorRT-LLM v0.5's FP8 prefill ({spc('B17')},
{spc('B18')}: the FP8 GEMMs of that version, as B23 above; at 128 tokens the measured 7 ms is 3x the
2.3 ms it takes to read the 6.7 GB of FP8 weights once at the H100's streaming rate). B29 runs MLC's
q4f16_1 format, an fp16 scale per 32 weights (`int4g32`, 4.5 bits; +14.9% when it was replayed as
AWQ's per-128 layout, `int4`). Before this section's runs, the GEMM mapper charged int4 weight panels
at 16 bits in L2 (B29 read -24%), and int4 carried no scales (+18%).

| case | setting | metric | published | fmsim | error | note |
|---|---|---|---|---|---|---|""")
print("\n".join(single_rows))
print("""
| not simulated | why |
|---|---|""")
for cid, why in SINGLE_NOT_SIMULATED.items():
    print(f"| {cid} | {why} |")
