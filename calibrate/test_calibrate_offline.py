#!/usr/bin/env python3
"""Offline checks of calibrate/fmsim_calibrate.py: standard library only, no GPU, no torch.

    python3 calibrate/test_calibrate_offline.py      # exits non-zero on failure

What it checks: the script compiles; --dry-run lists every section with cases and imports
neither torch, numpy, cupy nor pynvml (stub packages that raise on import are put first on
PYTHONPATH); --only/--skip; the budget/skip logic, the per-case error isolation and the JSON
writer with a fake clock; the power statistics; the device slug; the watchdog; a failed torch
initialisation still writes a JSON; and, when a C++ compiler is available, that the CuPy read
kernels (compiled as C++ with CUDA shims) read every element exactly once.
"""
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "fmsim_calibrate.py")

FAILS = []
PASSES = [0]


def check(cond, msg):
    if cond:
        PASSES[0] += 1
    else:
        FAILS.append(msg)
        print("FAIL:", msg, flush=True)


def load_module():
    spec = importlib.util.spec_from_file_location("fmsim_calibrate_under_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stub_dir(tmp):
    """A directory whose torch/numpy/cupy/pynvml packages raise ImportError when imported."""
    d = os.path.join(tmp, "stubs")
    for name in ("torch", "numpy", "cupy", "pynvml", "triton"):
        os.makedirs(os.path.join(d, name), exist_ok=True)
        with open(os.path.join(d, name, "__init__.py"), "w") as f:
            f.write("raise ImportError('stub: %s must not be imported here')\n" % name)
    return d


def run_script(args, tmp, timeout=120):
    env = dict(os.environ)
    env["PYTHONPATH"] = stub_dir(tmp)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    p = subprocess.run([sys.executable, SCRIPT] + args, capture_output=True, text=True, env=env,
                       timeout=timeout, cwd=tmp)
    return p.returncode, p.stdout, p.stderr


def test_compile(tmp):
    import py_compile
    try:
        py_compile.compile(SCRIPT, cfile=os.path.join(tmp, "c.pyc"), doraise=True)
        ok = True
    except py_compile.PyCompileError as e:
        print(e)
        ok = False
    check(ok, "script compiles")


def test_dry_run(tmp, mod):
    rc, out, err = run_script(["--dry-run"], tmp)
    check(rc == 0, "dry run exits 0 (rc=%s, stderr=%s)" % (rc, err[-500:]))
    lines = out.splitlines()
    total_cases = 0
    for name in mod.SECTION_ORDER:
        hdr = [l for l in lines if l.startswith("section %s (" % name)]
        check(len(hdr) == 1, "dry run lists section %s" % name)
        n_listed = len([l for l in lines if l.startswith("  %s/" % name)])
        check(n_listed > 0, "section %s has cases in the dry run" % name)
        if hdr:
            n_hdr = int(hdr[0].split("(")[1].split()[0])
            check(n_hdr == n_listed, "section %s header count %d == listed %d" % (name, n_hdr, n_listed))
        total_cases += n_listed
    check(total_cases > 100, "dry run lists many cases (%d)" % total_cases)
    check(any(l.startswith("TOTAL %d cases" % total_cases) for l in lines), "TOTAL line matches")
    names = [l.split()[0] for l in lines if l.startswith("  ")]
    check(len(names) == len(set(names)), "case names are unique")
    for l in lines:
        if l.startswith("  "):
            json.loads(l.split(" ", 3)[3])  # params print as JSON
    # --only / --skip
    rc, out, _ = run_script(["--dry-run", "--only", "gemm,sdpa"], tmp)
    secs = [l.split()[1] for l in out.splitlines() if l.startswith("section ")]
    check(rc == 0 and secs == ["provenance", "gemm", "sdpa"], "--only keeps provenance + chosen (%s)" % secs)
    rc, out, _ = run_script(["--dry-run", "--skip", "power,mlp"], tmp)
    secs = [l.split()[1] for l in out.splitlines() if l.startswith("section ")]
    check(rc == 0 and "power" not in secs and "mlp" not in secs and "gemm" in secs, "--skip drops sections")
    rc, out, _ = run_script(["--dry-run", "--only", "nosuchsection"], tmp)
    check(rc == 2, "unknown section -> exit 2 (rc=%s)" % rc)
    rc, out, _ = run_script(["--dry-run", "--only", "gemm", "--case-filter", "fp8"], tmp)
    gl = [l for l in out.splitlines() if l.startswith("  gemm/")]
    check(rc == 0 and gl and all("fp8" in l for l in gl), "--case-filter filters cases")


def test_no_heavy_imports(mod):
    for name in ("torch", "numpy", "cupy", "pynvml"):
        check(name not in sys.modules, "importing the script does not import %s" % name)


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class Args:
    case_filter = None


def test_budget(mod):
    clk = FakeClock()
    b = mod.Budget(10.0, clock=clk)
    check(b.allows() and b.allows(0.5), "fresh budget allows")
    clk.t += 9.0
    check(b.allows(0.5), "short case allowed with 1 s left")
    check(not b.allows(5.0), "long case (5 s) refused with 1 s left")
    clk.t += 1.0
    check(not b.allows(), "budget exhausted at 10 s")
    check(abs(b.elapsed() - 10.0) < 1e-9 and abs(b.remaining()) < 1e-9, "elapsed/remaining")


def test_run_sections(tmp, mod):
    clk = FakeClock()
    budget = mod.Budget(25.0, clock=clk)
    path = os.path.join(tmp, "out", "res.json")
    rec = mod.Recorder(path, {"budget_s": 25.0}, clock=clk, write_interval_s=1e9)
    ctx = mod.Ctx(args=Args(), budget=budget, rec=rec)
    snapshots = {}

    def ok_case(ctx, p):
        clk.t += p.get("dt", 1.0)
        return {"time_us_median": 1.5, "nan_value": float("nan"), "inf_value": float("inf"),
                "tup": (1, 2), "blob": b"bytes"}

    def bad_case(ctx, p):
        clk.t += 1.0
        raise RuntimeError("boom in case")

    def soft_error_case(ctx, p):
        return {"error": "refused politely"}

    def fatal_case(ctx, p):
        ctx.fatal = "simulated dead context"
        raise RuntimeError("illegal memory access")

    def setup_skip(ctx):
        raise mod.SkipSection("no cupy here")

    def setup_fail(ctx):
        raise ValueError("setup exploded")

    teardowns = []
    S = mod.Section
    C = mod.Case
    secs = [
        S("alpha", "fam-a", "first", lambda c: [C("ok1", {"dt": 1.0}, ok_case), C("bad", {}, bad_case),
                                                C("soft", {}, soft_error_case), C("ok2", {"dt": 1.0}, ok_case)],
          teardown=lambda c: teardowns.append("alpha")),
        S("beta", "fam-b", "skipped by setup", lambda c: [C("x1", {}, ok_case), C("x2", {}, ok_case)],
          setup=setup_skip),
        S("gamma", "fam-c", "setup fails", lambda c: [C("y1", {}, ok_case)], setup=setup_fail),
        S("delta", "fam-d", "budget runs out", lambda c: [C("d%d" % i, {"dt": 5.0}, ok_case) for i in range(6)]
          + [C("long", {}, ok_case, est_s=30.0)]),
        S("eps", "fam-e", "after budget", lambda c: [C("e1", {}, ok_case)]),
    ]

    def out(line):
        if " done in " in line:
            name = line.split("section ")[1].split()[0]
            with open(path) as f:
                snapshots[name] = json.load(f)

    mod.run_sections(ctx, secs, rec, budget, out=out)
    check(os.path.exists(path) and not os.path.exists(path + ".tmp"), "JSON written atomically, no .tmp left")
    for name in ("alpha", "beta", "gamma", "delta", "eps"):
        check(name in snapshots and name in snapshots[name]["sections"],
              "JSON rewritten after section %s (contains it)" % name)
    check("beta" not in snapshots.get("alpha", {}).get("sections", {"beta": 1}),
          "snapshot after alpha does not yet contain beta")
    with open(path) as f:
        text = f.read()
    check("NaN" not in text and "Infinity" not in text, "no NaN/Infinity tokens in the JSON")
    d = json.loads(text)
    check(d["schema"] == "fmsim-calibration/1", "schema tag")
    for k in ("provenance", "settings", "sections", "skipped", "errors", "status"):
        check(k in d, "top-level key %s" % k)
    a = {c["name"]: c for c in d["sections"]["alpha"]["cases"]}
    check(list(a) == ["ok1", "bad", "soft", "ok2"], "alpha ran every case despite an exception")
    check(a["ok1"]["nan_value"] is None and a["ok1"]["inf_value"] is None, "NaN/inf -> null")
    check(a["ok1"]["tup"] == [1, 2] and a["ok1"]["blob"] == "bytes", "tuples/bytes sanitised")
    check(a["ok1"]["params"] == {"dt": 1.0} and "wall_s" in a["ok1"], "case carries params and wall_s")
    check("boom in case" in a["bad"]["error"], "exception recorded as error")
    check(a["soft"]["error"] == "refused politely", "returned error kept")
    check(teardowns == ["alpha"], "teardown ran")
    errs = [(e["section"], e["case"]) for e in d["errors"]]
    check(("alpha", "bad") in errs and ("alpha", "soft") in errs, "errors list has failing cases")
    check(("gamma", None) in errs, "setup failure recorded in errors")
    sk = {(s["section"], s["case"]): s["reason"] for s in d["skipped"]}
    check(("beta", "x1") in sk and "no cupy here" in sk[("beta", "x1")], "SkipSection skips all its cases")
    check(d["sections"]["beta"]["cases"] == [], "skipped section has no case entries")
    check(("gamma", "y1") in sk, "failed setup skips its cases")
    dl = [c["name"] for c in d["sections"]["delta"]["cases"]]
    # budget 25 s; alpha used 3 s, delta cases take 5 s: d0..d4 run (3+25=28 > 25 stops after d4)
    check(dl and dl[0] == "d0" and "long" not in dl and len(dl) < 6, "budget stops delta early (%s)" % dl)
    check(("delta", "long") in sk and "budget" in sk[("delta", "long")], "remaining delta cases skipped")
    check(("eps", "e1") in sk and "budget" in sk[("eps", "e1")], "sections after the budget are skipped")
    check(d["sections"]["delta"]["elapsed_s"] is not None, "section elapsed_s recorded")
    check(d["sections"]["alpha"]["family"] == "fam-a", "section family recorded")

    # a fatal CUDA state skips the rest
    clk2 = FakeClock()
    b2 = mod.Budget(100.0, clock=clk2)
    rec2 = mod.Recorder(os.path.join(tmp, "res2.json"), {}, clock=clk2)
    ctx2 = mod.Ctx(args=Args(), budget=b2, rec=rec2)
    mod.run_sections(ctx2, [S("f", "x", "x", lambda c: [C("a", {}, fatal_case), C("b", {}, ok_case)]),
                            S("g", "x", "x", lambda c: [C("c", {}, ok_case)])], rec2, b2, out=lambda l: None)
    d2 = json.load(open(os.path.join(tmp, "res2.json")))
    sk2 = {(s["section"], s["case"]): s["reason"] for s in d2["skipped"]}
    check(("f", "b") in sk2 and ("g", "c") in sk2, "fatal context skips later cases and sections")

    # case filter keeps provenance cases
    clk3 = FakeClock()
    b3 = mod.Budget(100.0, clock=clk3)
    rec3 = mod.Recorder(None, {}, clock=clk3)
    ctx3 = mod.Ctx(args=Args(), budget=b3, rec=rec3)
    mod.run_sections(ctx3, [S("provenance", "p", "p", lambda c: [C("host", {}, ok_case)]),
                            S("z", "x", "x", lambda c: [C("keep_fp8", {}, ok_case), C("drop", {}, ok_case)])],
                     rec3, b3, case_filter="fp8", out=lambda l: None)
    check([c["name"] for c in rec3.data["sections"]["z"]["cases"]] == ["keep_fp8"], "case filter")
    check(len(rec3.data["sections"]["provenance"]["cases"]) == 1, "case filter does not drop provenance")


def test_select_sections(mod):
    secs = mod.build_sections()
    check([s.name for s in secs] == mod.SECTION_ORDER, "build_sections order == SECTION_ORDER")
    check(mod.SECTION_ORDER.index("power") < mod.SECTION_ORDER.index("mlp"), "power before the tail")
    sel = mod.select_sections(secs, "rowwise", None)
    check([s.name for s in sel] == ["provenance", "rowwise"], "select --only")
    sel = mod.select_sections(secs, "rowwise", "provenance")
    check([s.name for s in sel] == ["rowwise"], "--skip provenance wins")
    try:
        mod.select_sections(secs, "bogus", None)
        check(False, "unknown section raises")
    except ValueError:
        check(True, "unknown section raises")


def test_power_stats(mod):
    rows = []
    for i in range(100):  # 2 s at 20 ms; second half at 400 W with power-cap bit set
        t = 10.0 + i * 0.02
        hot = t >= 11.0
        rows.append((t, 400.0 if hot else 100.0, 410.0 if hot else 110.0, 1980, 3201, 50 + (i // 50),
                     0x4 if hot else 0x1))
    s = mod.summarize_phase(rows, 10.0, 12.0, max_samples=30)
    check(s["n_samples"] == 100 and s["n_samples_steady"] == 50, "phase sample counts (%s)" % s["n_samples_steady"])
    check(abs(s["power_w_mean"] - 400.0) < 1e-9 and abs(s["power_w_median"] - 400.0) < 1e-9,
          "steady power from the second half")
    check(abs(s["power_instant_w_p90"] - 410.0) < 1e-9, "instant power p90")
    check(s["frac_sw_power_cap"] == 1.0 and s["frac_thermal_or_hw_slowdown"] == 0.0, "power-cap fraction")
    check(len(s["samples"]) <= 30 and s["samples"][0][0] == 0.0, "samples downsampled, t relative")
    check(s["sample_fields"][0] == "t_s" and len(s["samples"][0]) == len(s["sample_fields"]), "sample row width")
    check(s["temp_c_max"] == 51, "max temperature")
    none_rows = [(10.0 + i * 0.02, None, None, None, None, None, None) for i in range(10)]
    s2 = mod.summarize_phase(none_rows, 10.0, 10.2)
    check(s2["power_w_mean"] is None and s2["frac_sw_power_cap"] is None, "missing readings -> None")

    phases = [
        {"name": "idle_start", "workload": "idle", "duration_s": 4.0, "energy_j": 400.0, "power_w_mean": 99.0},
        {"name": "gemm", "workload": "gemm_bf16", "duration_s": 2.0, "energy_j": 1400.0, "flops_total": 1e15},
        {"name": "copy", "workload": "copy_2GiB", "duration_s": 2.0, "energy_j": None, "power_w_mean": 500.0,
         "bytes_total": 8e12},
        {"name": "fp8", "workload": "gemm_fp8", "error": "no fp8"},
        {"name": "idle_end", "workload": "idle", "duration_s": 2.0, "energy_j": 220.0},
    ]
    ps = mod.power_summary(phases)
    check(abs(ps["idle_power_w"] - 100.0) < 1e-9 and ps["idle_power_source"] == "energy_counter", "idle power")
    check(abs(ps["idle_power_w_end"] - 110.0) < 1e-9, "idle power at the end")
    by = {p["phase"]: p for p in ps["phases"]}
    check("fp8" not in by, "errored phase left out of the summary")
    check(abs(by["gemm"]["dynamic_energy_j"] - 1200.0) < 1e-9, "dynamic energy = E - P_idle*t")
    check(abs(by["gemm"]["pj_per_flop_dynamic"] - 1.2) < 1e-9, "pJ per FLOP")
    check(by["copy"]["energy_source"] == "samples" and abs(by["copy"]["energy_j"] - 1000.0) < 1e-9,
          "energy from samples when the counter is missing")
    check(abs(by["copy"]["pj_per_byte_dynamic"] - 100.0) < 1e-6, "pJ per byte (800 J / 8e12 B)")


def test_helpers(mod):
    slugs = {"NVIDIA H200": "h200-sxm", "NVIDIA H100 80GB HBM3": "h100-sxm", "NVIDIA H100 PCIe": "h100-pcie",
             "NVIDIA A100-SXM4-80GB": "a100-sxm-80gb", "NVIDIA A100-SXM4-40GB": "a100-sxm-40gb",
             "Tesla V100-SXM2-32GB": "v100-sxm2", "NVIDIA B200": "b200", "NVIDIA L4": "l4",
             "NVIDIA GeForce RTX 4090": "rtx-4090", "NVIDIA H200 NVL": "h200-nvl", "": "unknown"}
    for name, want in slugs.items():
        got = mod.device_slug(name)
        check(got == want, "device_slug(%r) == %r (got %r)" % (name, want, got))
    hw = os.path.join(os.path.dirname(HERE), "configs", "hardware")
    if os.path.isdir(hw):
        for want in ("h200-sxm", "h100-sxm", "a100-sxm-80gb", "b200", "l4", "rtx-4090", "v100-sxm2"):
            check(os.path.exists(os.path.join(hw, want + ".json")), "slug %s names a configs/hardware preset" % want)
    u = "6b2a0c1d-aaaa-bbbb-cccc-0123456789ab"
    check(mod.uuid_hex("GPU-" + u) == mod.uuid_hex("UUID('%s')" % u) == u.replace("-", ""), "uuid_hex")
    check(mod.fmt_bytes(4 * 1024) == "4KiB" and mod.fmt_bytes(3 * 1024 ** 3) == "3GiB"
          and mod.fmt_bytes(1000) == "1000B", "fmt_bytes")
    check(mod.median([3, 1, 2]) == 2 and mod.median([4, 1, 2, 3]) == 2.5 and mod.median([]) is None, "median")
    check(abs(mod.percentile(list(range(11)), 90) - 9.0) < 1e-9, "percentile")
    check(len(mod.downsample(list(range(1000)), 200)) <= 200, "downsample")
    check(mod.sanitize({"a": [float("nan"), 1.0]}) == {"a": [None, 1.0]}, "sanitize")
    e = {"name": "x", "time_us_median": 12.5, "tflop_per_s": 700.0}
    check("12.50 us" in mod.summarize_entry(e) and "700.0 TFLOP/s" in mod.summarize_entry(e), "progress summary")
    check(mod.summarize_entry({"error": "bad\nmore"}).startswith("ERROR bad"), "progress summary of errors")
    n124 = sum(mod._numel(s) for s in mod.gpt2_124m_shapes())
    check(123e6 < n124 < 126e6, "GPT-2 124M parameter set has ~124M params (%d)" % n124)
    n1b = sum(mod._numel(s) for s in mod.big_1b_shapes())
    check(1.0e9 <= n1b < 1.2e9, "~1B parameter set")


def test_plans(mod):
    ctx = mod.Ctx(args=Args())
    for sec in mod.build_sections():
        cases = list(sec.plan(ctx))
        check(len(cases) > 0, "plan %s non-empty" % sec.name)
        for c in cases:
            json.dumps(c.params)
    cfgs = mod.mlp_configs()
    check(len(cfgs) <= 60 and len(cfgs) == len(set(cfgs)), "mlp configs <= 60 and unique (%d)" % len(cfgs))
    for w in (4, 8, 16):
        for i in (1, 2, 4, 8):
            name, src = mod.mlp_kernel_source(w, i)
            check('extern "C" __global__' in src and "#include" not in src and name in src,
                  "kernel source w%d ilp%d is NVRTC-friendly" % (w, i))
            check("123.456f" in src, "kernel keeps loads alive with a conditional store")
    g = {c.name: c for c in mod.plan_gemm(ctx)}
    for must in ("bf16_sq_8192", "bf16_alignN_m4096_n50257_k4096", "bf16_gpt2_lmhead_m8192_n50257_k768",
                 "bf16_alignK_m4096_n4096_k4095", "bf16_alignM_m4095_n4096_k4096", "fp16_sq_8192",
                 "fp32_tf32_sq_4096", "fp32_ieee_sq_4096", "fp8_sq_16384", "bf16_llm_m1_n4096_k4096"):
        check(must in g, "gemm case %s planned" % must)
    check(all(g[n].params["profile"] for n in mod.GEMM_PROFILE), "profiled GEMM subset exists in the plan")
    sd = [c.params for c in mod.plan_sdpa(ctx)]
    check({p["backend"] for p in sd} == {"flash", "cudnn", "efficient", "math", "default"}, "all SDPA backends")
    check(any(p.get("gqa") == "enable_gqa" for p in sd) and any(p.get("gqa") == "expanded" for p in sd),
          "GQA variants planned")
    check(any(p["mode"] == "fwd_bwd" for p in sd), "SDPA training fwd+bwd planned")
    check(all(p["backend"] != "math" or p["B"] * p["H"] * p["Sq"] * p["Skv"] <= 2 ** 28 for p in sd),
          "math backend only at small sizes")
    rw = [c.params for c in mod.plan_rowwise(ctx)]
    check(all(p["cols"] >= 32000 for p in rw if p["op"].startswith("cross_entropy")), "CE only for vocab widths")
    check(any(p["rows"] == 16384 and p["cols"] == 50257 for p in rw), "16384x50257 planned")
    pw = [c.params["workload"] for c in mod.plan_power(ctx) if "workload" in c.params]
    check(pw[0] == "idle" and pw[-1] == "idle" and "gemm_bf16" in pw and "copy_2GiB" in pw, "power phases")


CXX_SHIM = r"""
#include <cstdio>
#include <cstdlib>
#include <vector>
struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
struct U3 { unsigned x, y, z; };
static U3 gridDim, blockDim, blockIdx, threadIdx;
#define __global__
#define __restrict__
"""


def test_kernel_semantics(tmp, mod):
    cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if not cxx:
        print("note: no C++ compiler; kernel emulation check skipped", flush=True)
        return
    parts = [CXX_SHIM]
    calls = []
    for w in (4, 8, 16):
        for i in (1, 2, 4, 8):
            name, src = mod.mlp_kernel_source(w, i)
            src = src.replace("if (acc == 123.456f) out[0] = acc;", "out[0] += acc;")
            parts.append(src)
            calls.append((name, w))
    parts.append(mod.CHASE_SOURCE)
    body = ["int main() {", "  int fails = 0;", "  const long long ns[3] = {1, 1000003, 65536};",
            "  const unsigned grids[4] = {1, 7, 132, 0};", "  const unsigned threads[3] = {32, 128, 256};"]
    for name, w in calls:
        comps = w // 4
        T = {4: "float", 8: "float2", 16: "float4"}[w]
        ilp = int(name.split("ilp")[1])
        body.append("""  for (int a = 0; a < 3; ++a) for (int g = 0; g < 4; ++g) for (int t = 0; t < 3; ++t) {
    long long n = ns[a];
    std::vector<float> data((size_t)n * %(c)d, 1.0f);
    float out[1] = {0.0f};
    unsigned grid = grids[g] ? grids[g] : (unsigned)((n + threads[t] * %(ilp)d - 1) / (threads[t] * %(ilp)d));
    gridDim = {grid, 1, 1}; blockDim = {threads[t], 1, 1};
    for (unsigned b = 0; b < grid; ++b) for (unsigned th = 0; th < threads[t]; ++th) {
      blockIdx = {b, 0, 0}; threadIdx = {th, 0, 0};
      %(name)s((const %(T)s*)data.data(), n, out);
    }
    if (out[0] != (float)(n * %(c)d)) { printf("MISMATCH %(name)s n=%%lld grid=%%u t=%%u got %%f\\n", n, grid, threads[t], out[0]); ++fails; }
  }""" % {"c": comps, "ilp": ilp, "name": name, "T": T})
    body.append("""  { // pointer chase over a 5-node cycle 0->3->1->4->2->0 (stride 1 word)
    unsigned buf[5] = {3, 4, 0, 1, 2}; unsigned out[1] = {0};
    gridDim = {1,1,1}; blockDim = {1,1,1}; blockIdx = {0,0,0}; threadIdx = {0,0,0};
    fmsim_chase(buf, 7, 0, out);
    if (out[0] != 1) { printf("CHASE got %u\\n", out[0]); ++fails; }
  }""")
    body.append("  printf(\"fails=%d\\n\", fails); return fails ? 1 : 0; }")
    src_path = os.path.join(tmp, "kern_emul.cpp")
    with open(src_path, "w") as f:
        f.write("\n".join(parts + body))
    exe = os.path.join(tmp, "kern_emul")
    p = subprocess.run([cxx, "-O1", "-std=c++14", "-o", exe, src_path], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "kernel sources compile as C++ with CUDA shims: %s" % p.stderr[-800:])
    if p.returncode != 0:
        return
    p = subprocess.run([exe], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "read kernels touch every element exactly once; chase follows the cycle: %s"
          % p.stdout[-800:])


WATCHDOG_SNIPPET = r"""
import importlib.util, sys, time
sys.dont_write_bytecode = True
spec = importlib.util.spec_from_file_location("m", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
rec = m.Recorder(sys.argv[2], {"x": 1})
wd = m._Watchdog(rec, 0.2)
wd.start()
time.sleep(10)
print("watchdog did not fire")
"""


def test_watchdog(tmp):
    out = os.path.join(tmp, "wd.json")
    t0 = time.time()
    p = subprocess.run([sys.executable, "-c", WATCHDOG_SNIPPET, SCRIPT, out], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 3 and time.time() - t0 < 8, "watchdog exits with code 3 (rc=%s)" % p.returncode)
    ok = False
    try:
        ok = json.load(open(out))["status"].get("hard_timeout") is True
    except Exception:
        pass
    check(ok, "watchdog wrote partial JSON with status.hard_timeout")


def test_failed_init(tmp):
    out = os.path.join(tmp, "fail.json")
    rc, so, se = run_script(["--out", out, "--budget-s", "5"], tmp)
    check(rc == 1, "no torch -> exit 1 (rc=%s, %s)" % (rc, se[-300:]))
    try:
        d = json.load(open(out))
        ok = d["schema"] == "fmsim-calibration/1" and "fatal" in d["status"] and d["errors"]
    except Exception:
        ok = False
    check(ok, "failed initialisation still writes a JSON with the error")


def main():
    tmp = tempfile.mkdtemp(prefix="fmsim_cal_test_")
    try:
        mod = load_module()
        for name, fn in (("compile", lambda: test_compile(tmp)),
                         ("no_heavy_imports", lambda: test_no_heavy_imports(mod)),
                         ("dry_run", lambda: test_dry_run(tmp, mod)),
                         ("budget", lambda: test_budget(mod)),
                         ("run_sections", lambda: test_run_sections(tmp, mod)),
                         ("select_sections", lambda: test_select_sections(mod)),
                         ("power_stats", lambda: test_power_stats(mod)),
                         ("helpers", lambda: test_helpers(mod)),
                         ("plans", lambda: test_plans(mod)),
                         ("kernel_semantics", lambda: test_kernel_semantics(tmp, mod)),
                         ("watchdog", lambda: test_watchdog(tmp)),
                         ("failed_init", lambda: test_failed_init(tmp))):
            try:
                fn()
            except Exception:
                FAILS.append("%s raised:\n%s" % (name, traceback.format_exc()))
                print("FAIL: %s raised\n%s" % (name, traceback.format_exc()), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (PASSES[0], len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
