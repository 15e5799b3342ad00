#!/usr/bin/env python3
"""fmsim calibration microbenchmarks: one JSON of raw GPU measurements with provenance.

Run on a machine with an NVIDIA GPU and PyTorch (CuPy and nvidia-ml-py optional):

    python3 calibrate/fmsim_calibrate.py --out configs/measured/h200-sxm-pytorch-2.11.json
    python3 calibrate/fmsim_calibrate.py --dry-run          # list sections/cases, needs no torch
    python3 calibrate/fmsim_calibrate.py --only gemm,sdpa   # provenance is always collected

See calibrate/README.md for the JSON schema and for which fmsim parameter family each
section is meant to set.

Estimated runtime on one H200 with the defaults.  Per case: ~30 ms of timed GPU work, 3 warm-up
calls and one estimate call, plus allocation and Python overhead, so about 50-100 ms.  On top of
that come the first-call cuBLAS/cuDNN planning and the profiler sessions (capped at 45 sessions
and 30 s in all):

    start-up (import torch, CUDA context, 256 MiB flush buffer)      ~5 s
    provenance      4 cases                                          ~1 s
    launch         19 cases (host dispatch, graph replay, sync)      ~2 s
    stream         57 cases (copy/add/GELU bf16 4 KiB..4 GiB, fp32)  ~4 s
    gemm           73 cases (9 of them profiled for kernel names)    ~10 s
    power           6 phases: idle 4 s + GEMM 6 s + fp8 5 s + copy 6 s + add 4 s + idle 3 s,
                    1 s settle per idle phase, then a summary      ~32 s
    sdpa          129 cases (~30 default-backend ones profiled)      ~20-40 s (cuDNN planning)
    rowwise        83 cases                                          ~5 s
    mlp            57 cases (13 NVRTC compiles ~4 s)                 ~8 s
    training        9 cases (AdamW 124M and 1B, autocast)            ~4 s
    total                                                            ~100-150 s (budget 270 s)

The global budget (--budget-s, default 270) is checked before every case; cases past it are
recorded as skipped.  The output JSON is rewritten after every section (and at most every
few seconds between cases), so a killed run still leaves partial results.  A watchdog
thread writes what it has and exits (code 3) if the run hangs past --hard-timeout-s.

Nothing here changes a GPU setting (clocks, power limit, persistence, compute mode): NVML is
only read.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import math
import os
import platform
import re
import signal
import socket
import sys
import threading
import time
import warnings

SCHEMA = "fmsim-calibration/1"
KiB = 1024
MiB = 1024 ** 2
GiB = 1024 ** 3

SECTION_ORDER = ["provenance", "launch", "stream", "gemm", "power", "sdpa", "rowwise", "mlp", "training"]

# NVML clock-event ("throttle") reason bits, from nvml.h (nvmlClocksEventReason*).
NVML_REASON_BITS = {
    "gpu_idle": 0x1,
    "applications_clocks_setting": 0x2,
    "sw_power_cap": 0x4,
    "hw_slowdown": 0x8,
    "sync_boost": 0x10,
    "sw_thermal_slowdown": 0x20,
    "hw_thermal_slowdown": 0x40,
    "hw_power_brake_slowdown": 0x80,
    "display_clock_setting": 0x100,
}
_THERMAL_OR_HW_MASK = 0x8 | 0x20 | 0x40 | 0x80

# ----------------------------------------------------------------------------------------
# Generic, torch-free machinery (tested offline by calibrate/test_calibrate_offline.py)
# ----------------------------------------------------------------------------------------


def log(msg):
    print(msg, flush=True)


class SkipSection(Exception):
    """Raised by a section's setup when the section cannot run (missing package, no NVML)."""


class Case:
    __slots__ = ("name", "params", "fn", "est_s")

    def __init__(self, name, params, fn, est_s=0.08):
        self.name = name
        self.params = params
        self.fn = fn
        self.est_s = est_s


class Section:
    def __init__(self, name, family, description, plan, setup=None, teardown=None,
                 fixed_est_s=0.0, notes=""):
        self.name = name
        self.family = family
        self.description = description
        self.plan = plan
        self.setup = setup
        self.teardown = teardown
        self.fixed_est_s = fixed_est_s
        self.notes = notes


class Budget:
    """Wall-clock budget.  `clock` is injectable so the skip logic is testable offline."""

    LONG_CASE_S = 2.0  # cases estimated at least this long must also fit in what is left

    def __init__(self, budget_s, clock=time.monotonic):
        self.clock = clock
        self.t0 = clock()
        self.budget_s = float(budget_s)

    def elapsed(self):
        return self.clock() - self.t0

    def remaining(self):
        return self.budget_s - self.elapsed()

    def allows(self, est_s=0.0):
        el = self.elapsed()
        if el >= self.budget_s:
            return False
        if est_s >= self.LONG_CASE_S and el + est_s > self.budget_s + 1.0:
            return False
        return True


def sanitize(obj):
    """Make `obj` strictly JSON-serialisable: NaN/inf -> None, tuples -> lists, others -> str."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): sanitize(v) for k, v in list(obj.items())}
    if isinstance(obj, (list, tuple, set)):
        return [sanitize(v) for v in list(obj)]
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    try:  # numpy / torch scalars
        if hasattr(obj, "item"):
            return sanitize(obj.item())
    except Exception:
        pass
    return str(obj)


class Recorder:
    """Holds the result document and writes it atomically."""

    def __init__(self, path, settings, clock=time.monotonic, write_interval_s=3.0):
        self.path = path
        self.clock = clock
        self.write_interval_s = write_interval_s
        self._last_write = -1e30
        self.lock = threading.RLock()
        self.data = {
            "schema": SCHEMA,
            "status": {"complete": False, "started_utc": _utc_now(), "elapsed_s": 0.0},
            "provenance": {},
            "settings": settings,
            "sections": {},
            "skipped": [],
            "errors": [],
        }

    def section(self, name):
        return self.data["sections"][name]

    def begin_section(self, sec):
        with self.lock:
            rec = {"family": sec.family, "description": sec.description, "elapsed_s": None,
                   "cases": [], "notes": sec.notes}
            self.data["sections"][sec.name] = rec
            return rec

    def add_case(self, section, entry):
        with self.lock:
            self.data["sections"][section]["cases"].append(entry)

    def add_skip(self, section, case_name, reason):
        with self.lock:
            self.data["skipped"].append({"section": section, "case": case_name, "reason": reason})

    def add_error(self, section, case_name, msg):
        with self.lock:
            self.data["errors"].append({"section": section, "case": case_name, "error": msg})

    def write(self, lock_timeout=None):
        if not self.path:
            return False
        got = self.lock.acquire(timeout=lock_timeout) if lock_timeout else self.lock.acquire()
        try:
            text = None
            for _ in range(3):  # another thread may mutate a nested dict without the lock
                try:
                    text = json.dumps(sanitize(self.data), indent=1, allow_nan=False)
                    break
                except RuntimeError:
                    time.sleep(0.05)
            if text is None:
                return False
            d = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(d, exist_ok=True)
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
                f.write("\n")
            os.replace(tmp, self.path)
            self._last_write = self.clock()
            return True
        finally:
            if got:
                self.lock.release()

    def maybe_write(self):
        if self.clock() - self._last_write >= self.write_interval_s:
            self.write()


class Ctx:
    """Run context handed to every case function."""

    def __init__(self, args=None, budget=None, rec=None):
        self.args = args
        self.budget = budget
        self.rec = rec
        self.torch = None
        self.F = None
        self.props = None
        self.sm_count = None
        self.l2_bytes = None
        self.flush_buf = None
        self.flush_ms = 0.1
        self.flush_threshold = 256 * MiB
        self.sleep_cycles = 100000
        self.sleep_pad_ms = 0.05
        self.nv = None
        self.nv_handle = None
        self.state = {}
        self.fatal = None
        self.profiles_done = 0
        self.profile_wall_s = 0.0

    def after_error(self, exc):
        """Free memory after a failed case and detect a dead CUDA context."""
        gc.collect()
        torch = self.torch
        if torch is None:
            return
        try:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
        except Exception as e2:  # sticky CUDA error: nothing later can run
            self.fatal = "CUDA context unusable after an error: %s" % (_short(e2, 300),)


def _short(e, n=2000):
    s = "%s: %s" % (type(e).__name__, e)
    return s if len(s) <= n else s[:n] + "...[truncated]"


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summarize_entry(entry):
    """One short human-readable result string for the progress line."""
    if "error" in entry:
        return "ERROR " + str(entry["error"]).splitlines()[0][:140]
    parts = []
    for k, fmt in (("time_us_median", "%.2f us"), ("tflop_per_s", "%.1f TFLOP/s"),
                   ("gb_per_s", "%.0f GB/s"), ("read_gb_per_s", "%.0f GB/s"),
                   ("ns_per_load", "%.1f ns/load"), ("host_enqueue_us_per_op_median", "%.2f us/op enqueue"),
                   ("power_w_median", "%.0f W"), ("energy_j", "%.1f J")):
        v = entry.get(k)
        if isinstance(v, (int, float)) and math.isfinite(v):
            parts.append(fmt % v)
    if not parts and "stored_in" in entry:
        parts.append("-> " + entry["stored_in"])
    return "  ".join(parts) if parts else "ok"


def run_one_case(ctx, sec, case, budget):
    t0 = budget.elapsed()
    entry = {"name": case.name, "params": dict(case.params)}
    try:
        res = case.fn(ctx, case.params)
        if res:
            entry.update(res)
    except Exception as e:  # a failing case never stops the run
        msg = _short(e)
        entry["error"] = msg
        if ctx.rec is not None:
            ctx.rec.add_error(sec.name, case.name, msg[:600])
        ctx.after_error(e)
    else:
        if "error" in entry and ctx.rec is not None:
            ctx.rec.add_error(sec.name, case.name, str(entry["error"])[:600])
    entry["wall_s"] = round(budget.elapsed() - t0, 4)
    return entry


def run_sections(ctx, sections, rec, budget, case_filter=None, out=log):
    """Run `sections` in order, recording every case, skip and error in `rec`."""
    for sec in sections:
        t_sec = budget.elapsed()
        srec = rec.begin_section(sec)
        try:
            cases = list(sec.plan(ctx))
        except Exception as e:
            srec["plan_error"] = _short(e)
            rec.add_error(sec.name, None, "plan failed: " + _short(e, 500))
            srec["elapsed_s"] = round(budget.elapsed() - t_sec, 3)
            rec.write()
            continue
        if case_filter and sec.name != "provenance":
            cases = [c for c in cases if case_filter in c.name]
        out("[%7.1fs] section %s: %d cases" % (budget.elapsed(), sec.name, len(cases)))
        reason = None
        if ctx.fatal:
            reason = ctx.fatal
        elif not budget.allows():
            reason = "budget exhausted before section (%.0f s)" % budget.budget_s
        if reason is None and sec.setup is not None:
            try:
                info = sec.setup(ctx)
                if info:
                    srec["setup"] = info
            except SkipSection as e:
                reason = "section skipped: %s" % (e,)
                srec["skipped_reason"] = str(e)
            except Exception as e:
                reason = "section setup failed: %s" % (_short(e, 500),)
                srec["setup_error"] = _short(e)
                rec.add_error(sec.name, None, reason)
                ctx.after_error(e)
        if reason is not None:
            out("[%7.1fs]   skipping %s: %s" % (budget.elapsed(), sec.name, reason))
            for c in cases:
                rec.add_skip(sec.name, c.name, reason)
        else:
            for c in cases:
                if ctx.fatal:
                    rec.add_skip(sec.name, c.name, ctx.fatal)
                    continue
                if not budget.allows(c.est_s):
                    rec.add_skip(sec.name, c.name, "budget exhausted (%.0f s)" % budget.budget_s)
                    continue
                entry = run_one_case(ctx, sec, c, budget)
                rec.add_case(sec.name, entry)
                out("[%7.1fs]   %s/%s: %s" % (budget.elapsed(), sec.name, c.name, summarize_entry(entry)))
                rec.maybe_write()
            if sec.teardown is not None:
                try:
                    sec.teardown(ctx)
                except Exception as e:
                    srec["teardown_error"] = _short(e)
        if ctx.torch is not None:
            try:
                gc.collect()
                ctx.torch.cuda.empty_cache()
            except Exception:
                pass
        srec["elapsed_s"] = round(budget.elapsed() - t_sec, 3)
        rec.data["status"]["elapsed_s"] = round(budget.elapsed(), 3)
        rec.write()
        out("[%7.1fs] section %s done in %.1f s" % (budget.elapsed(), sec.name, srec["elapsed_s"]))


def select_sections(all_sections, only=None, skip=None):
    """Resolve --only / --skip.  provenance is always kept unless explicitly skipped."""
    names = [s.name for s in all_sections]
    only_l = [x.strip() for x in only.split(",") if x.strip()] if only else []
    skip_l = [x.strip() for x in skip.split(",") if x.strip()] if skip else []
    bad = [x for x in only_l + skip_l if x not in names]
    if bad:
        raise ValueError("unknown section(s): %s (known: %s)" % (", ".join(bad), ", ".join(names)))
    chosen = []
    for s in all_sections:
        if only_l and s.name not in only_l and s.name != "provenance":
            continue
        if s.name in skip_l:
            continue
        chosen.append(s)
    return chosen


def device_slug(name):
    """Best-effort slug of a GPU name matching configs/hardware/ file names (e.g. 'h200-sxm')."""
    low = (name or "unknown").strip().lower()
    for pre in ("nvidia ", "tesla ", "geforce ", "quadro "):
        if low.startswith(pre):
            low = low[len(pre):]
    words = low.replace("-", " ").replace("_", " ").strip()
    m = re.match(r"^([a-z]+)(\d{2,3})\b(.*)$", words)
    if m and (m.group(1) + m.group(2)) in ("a100", "a800", "h100", "h800", "h200", "h20", "v100", "b100",
                                           "b200", "b300"):
        fam = m.group(1) + m.group(2)
        rest = m.group(3)
        if "pcie" in rest:
            form = "pcie"
        elif "nvl" in rest:
            form = "nvl"
        elif "sxm2" in rest:
            form = "sxm2"
        elif fam.startswith("b"):
            form = ""
        else:
            form = "sxm"
        slug = fam + ("-" + form if form else "")
        mem = re.search(r"(\d+)\s*gb", rest)
        if fam in ("a100", "a800") and mem:
            slug += "-%sgb" % mem.group(1)
        return slug
    m = re.search(r"rtx\s*(\d{4})", words)
    if m:
        return "rtx-" + m.group(1)
    slug = re.sub(r"[^a-z0-9]+", "-", low).strip("-")
    return slug or "unknown-gpu"


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def percentile(xs, q):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = (len(xs) - 1) * q / 100.0
    lo = int(math.floor(k))
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def downsample(rows, max_n):
    if len(rows) <= max_n:
        return list(rows)
    step = int(math.ceil(len(rows) / float(max_n)))
    return list(rows[::step])


def fmt_bytes(n):
    for unit, v in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= v and n % v == 0:
            return "%d%s" % (n // v, unit)
    return "%dB" % n


# Sample columns: t_s, power_w, power_instant_w, sm_mhz, mem_mhz, temp_c, reasons
SAMPLE_FIELDS = ["t_s", "power_w", "power_instant_w", "sm_mhz", "mem_mhz", "temp_c", "reasons"]


def summarize_phase(samples, t0, t1, max_samples=200):
    """Statistics of one power phase from sampler rows (tuples in SAMPLE_FIELDS order).

    t0/t1 are on the sampler's clock.  Steady-state statistics use the second half."""
    win = [s for s in samples if t0 <= s[0] <= t1]
    half = t0 + 0.5 * (t1 - t0)
    steady = [s for s in win if s[0] >= half]
    out = {"n_samples": len(win), "n_samples_steady": len(steady)}

    def col(rows, i):
        return [r[i] for r in rows if r[i] is not None]

    p = col(steady, 1)
    pi = col(steady, 2)
    out["power_w_mean"] = mean(p)
    out["power_w_median"] = median(p)
    out["power_w_p90"] = percentile(p, 90)
    out["power_instant_w_mean"] = mean(pi)
    out["power_instant_w_median"] = median(pi)
    out["power_instant_w_p90"] = percentile(pi, 90)
    out["sm_mhz_mean"] = mean(col(steady, 3))
    out["mem_mhz_mean"] = mean(col(steady, 4))
    temps = col(win, 5)
    out["temp_c_max"] = max(temps) if temps else None
    rs = col(steady, 6)
    if rs:
        out["frac_sw_power_cap"] = sum(1 for r in rs if r & NVML_REASON_BITS["sw_power_cap"]) / float(len(rs))
        out["frac_thermal_or_hw_slowdown"] = sum(1 for r in rs if r & _THERMAL_OR_HW_MASK) / float(len(rs))
        out["frac_gpu_idle_reason"] = sum(1 for r in rs if r & NVML_REASON_BITS["gpu_idle"]) / float(len(rs))
    else:
        out["frac_sw_power_cap"] = None
        out["frac_thermal_or_hw_slowdown"] = None
        out["frac_gpu_idle_reason"] = None
    rows = []
    for s in downsample(win, max_samples):
        rows.append([round(s[0] - t0, 4)] + [None if v is None else (round(v, 2) if isinstance(v, float) else v)
                                            for v in s[1:]])
    out["sample_fields"] = SAMPLE_FIELDS
    out["samples"] = rows
    return out


def power_summary(phases):
    """Joules per FLOP / per byte from phase results (pure python; tested offline).

    phases: list of dicts with keys name, workload, duration_s, energy_j (counter, may be None),
    power_w_mean (steady samples), flops_total, bytes_total."""
    idle = [p for p in phases if p.get("workload") == "idle" and not p.get("error")]
    out = {"method": "dynamic energy = phase energy - idle power x phase duration; "
                     "energy from nvmlDeviceGetTotalEnergyConsumption when available, else "
                     "mean sampled power x duration; idle power from the first idle phase"}
    p_idle = None
    p_idle_src = None
    if idle:
        i0 = idle[0]
        if i0.get("energy_j") is not None and i0.get("duration_s"):
            p_idle = i0["energy_j"] / i0["duration_s"]
            p_idle_src = "energy_counter"
        elif i0.get("power_w_mean") is not None:
            p_idle = i0["power_w_mean"]
            p_idle_src = "samples"
    out["idle_power_w"] = p_idle
    out["idle_power_source"] = p_idle_src
    if len(idle) > 1:
        i1 = idle[-1]
        if i1.get("energy_j") is not None and i1.get("duration_s"):
            out["idle_power_w_end"] = i1["energy_j"] / i1["duration_s"]
        else:
            out["idle_power_w_end"] = i1.get("power_w_mean")
    per = []
    for p in phases:
        if p.get("workload") == "idle" or p.get("error"):
            continue
        d = {"phase": p.get("name"), "workload": p.get("workload")}
        dur = p.get("duration_s")
        e = p.get("energy_j")
        src = "energy_counter"
        if e is None and p.get("power_w_mean") is not None and dur:
            e = p["power_w_mean"] * dur
            src = "samples"
        d["energy_j"] = e
        d["energy_source"] = src if e is not None else None
        if e is not None and dur:
            d["avg_power_w"] = e / dur
        if e is not None and p_idle is not None and dur:
            dyn = e - p_idle * dur
            d["dynamic_energy_j"] = dyn
            if p.get("flops_total"):
                d["j_per_flop_dynamic"] = dyn / p["flops_total"]
                d["pj_per_flop_dynamic"] = 1e12 * dyn / p["flops_total"]
                d["pj_per_flop_total"] = 1e12 * e / p["flops_total"]
            if p.get("bytes_total"):
                d["j_per_byte_dynamic"] = dyn / p["bytes_total"]
                d["pj_per_byte_dynamic"] = 1e12 * dyn / p["bytes_total"]
                d["pj_per_byte_total"] = 1e12 * e / p["bytes_total"]
        per.append(d)
    out["phases"] = per
    return out


# ----------------------------------------------------------------------------------------
# Torch-side helpers (only called when running for real)
# ----------------------------------------------------------------------------------------

_DTYPE_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4, "fp8_e4m3": 1}


def _dtype(ctx, name):
    t = ctx.torch
    return {"bf16": t.bfloat16, "fp16": t.float16, "fp32": t.float32,
            "fp8_e4m3": getattr(t, "float8_e4m3fn", None)}[name]


def _ev(ctx):
    return ctx.torch.cuda.Event(enable_timing=True)


def bench(ctx, fn, ws_bytes=None, mode=None, target_ms=None, warmup=3, max_reps=None):
    """Time `fn` on the GPU with CUDA events (triton do_bench style).

    mode 'flush': before every rep, write the 256 MiB flush buffer (evicts L2), then time the
                  rep alone with its own event pair (chosen when ws_bytes < 4 x L2).
    mode 'hot'  : like 'flush' but the pad before each rep is torch.cuda._sleep (L2 stays warm).
    mode 'loop' : back-to-back reps between one event pair per sample (working set >> L2).
    Returns medians/minimums in microseconds and the host enqueue time per rep."""
    torch = ctx.torch
    target_ms = float(target_ms or ctx.args.target_ms)
    if mode is None:
        mode = "flush" if (ws_bytes is not None and ws_bytes < ctx.flush_threshold and not ctx.args.no_flush) else "loop"
    if mode == "flush" and (ctx.flush_buf is None or ctx.args.no_flush):
        mode = "loop"
    if mode == "hot" and not hasattr(torch.cuda, "_sleep"):
        mode = "loop"
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    s, e = _ev(ctx), _ev(ctx)
    s.record()
    fn()
    e.record()
    e.synchronize()
    est_ms = s.elapsed_time(e)
    if est_ms < 0.05:
        s.record()
        for _ in range(20):
            fn()
        e.record()
        e.synchronize()
        est_ms = s.elapsed_time(e) / 20.0
    est_ms = max(est_ms, 1e-4)
    out = {"l2_mode": mode, "warmup_reps": warmup}
    times = []
    host = []
    perf = time.perf_counter
    if mode in ("flush", "hot"):
        pad_ms = ctx.flush_ms if mode == "flush" else ctx.sleep_pad_ms
        n = int(target_ms / (est_ms + pad_ms))
        n = max(3 if est_ms > 5.0 else 10, min(n, max_reps or 400))
        starts = [_ev(ctx) for _ in range(n)]
        ends = [_ev(ctx) for _ in range(n)]
        for i in range(n):
            if mode == "flush":
                ctx.flush_buf.zero_()
            else:
                torch.cuda._sleep(ctx.sleep_cycles)
            t0 = perf()
            starts[i].record()
            fn()
            ends[i].record()
            host.append((perf() - t0) * 1e6)
        torch.cuda.synchronize()
        times = [a.elapsed_time(b) * 1e3 for a, b in zip(starts, ends)]
        out["n_samples"] = n
        out["reps_per_sample"] = 1
    else:
        n_samples = 5 if est_ms < 10.0 else 3
        reps = int(target_ms / (n_samples * est_ms))
        reps = max(1, min(reps, max_reps or 5000))
        for _ in range(n_samples):
            t0 = perf()
            s.record()
            for _ in range(reps):
                fn()
            e.record()
            t1 = perf()
            e.synchronize()
            times.append(s.elapsed_time(e) * 1e3 / reps)
            host.append((t1 - t0) * 1e6 / reps)
        out["n_samples"] = n_samples
        out["reps_per_sample"] = reps
    out["time_us_median"] = median(times)
    out["time_us_min"] = min(times)
    out["time_us_max"] = max(times)
    out["host_enqueue_us_median"] = median(host)
    return out


def add_rates(res, flops=None, nbytes=None):
    t = res.get("time_us_median")
    tmin = res.get("time_us_min")
    if flops is not None:
        res["flops"] = flops
        if t:
            res["tflop_per_s"] = flops / (t * 1e-6) / 1e12
        if tmin:
            res["tflop_per_s_best"] = flops / (tmin * 1e-6) / 1e12
    if nbytes is not None:
        res["bytes"] = nbytes
        if t:
            res["gb_per_s"] = nbytes / (t * 1e-6) / 1e9
        if tmin:
            res["gb_per_s_best"] = nbytes / (tmin * 1e-6) / 1e9
    return res


def profile_kernels(ctx, fn, iters=2, max_kernels=12):
    """Names of the CUDA kernels `fn` launches; never raises (a failure is returned as kernels_error)."""
    try:
        return _profile_kernels_impl(ctx, fn, iters, max_kernels)
    except Exception as e:
        return {"kernels_error": _short(e, 500)}


def _profile_kernels_impl(ctx, fn, iters, max_kernels):
    """torch.profiler with CUDA activity only (falls back to CPU+CUDA); aggregates CUDA events by name."""
    if ctx.args.no_profile:
        return {"kernels_note": "profiling disabled (--no-profile)"}
    if ctx.profiles_done >= ctx.args.max_profiles:
        return {"kernels_note": "profile cap reached (--max-profiles %d)" % ctx.args.max_profiles}
    if ctx.profile_wall_s >= ctx.args.max_profile_s:
        return {"kernels_note": "profiling time cap reached (--max-profile-s %.0f)" % ctx.args.max_profile_s}
    torch = ctx.torch
    from torch.profiler import profile, ProfilerActivity
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    ctx.profiles_done += 1
    prof = None
    err = None
    for acts in ([ProfilerActivity.CUDA], [ProfilerActivity.CPU, ProfilerActivity.CUDA]):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with profile(activities=acts) as prof:
                    for _ in range(iters):
                        fn()
                    torch.cuda.synchronize()
            break
        except Exception as e:
            err = e
            prof = None
    ctx.profile_wall_s += time.perf_counter() - t0
    if prof is None:
        return {"kernels_error": _short(err, 500)}
    agg = {}
    try:
        events = prof.events()
    except Exception as e:
        return {"kernels_error": "prof.events(): " + _short(e, 300)}
    for ev in events:
        dt = str(getattr(ev, "device_type", ""))
        if "CUDA" not in dt.upper():
            continue
        name = str(getattr(ev, "name", "?"))
        dur = None
        tr = getattr(ev, "time_range", None)
        if tr is not None:
            try:
                dur = float(tr.elapsed_us())
            except Exception:
                dur = None
        if dur is None:
            for attr in ("device_time", "cuda_time", "device_time_total", "cuda_time_total"):
                v = getattr(ev, attr, None)
                if isinstance(v, (int, float)):
                    dur = float(v)
                    break
        a = agg.setdefault(name, {"name": name[:400], "count": 0, "total_us": 0.0})
        a["count"] += 1
        a["total_us"] += dur or 0.0
    ks = sorted(agg.values(), key=lambda a: -a["total_us"])
    for a in ks:
        a["calls_per_iter"] = a["count"] / float(iters)
        a["us_per_iter"] = a["total_us"] / float(iters)
        del a["total_us"]
    return {"kernels": ks[:max_kernels], "kernels_total_distinct": len(ks),
            "profile_wall_s": round(time.perf_counter() - t0, 3)}


WARM_GEMM_N = 4096


def gpu_warm(ctx, seconds):
    """Spin the GPU with bf16 GEMMs so clocks are up before timing."""
    torch = ctx.torch
    if seconds <= 0:
        return None
    a = torch.randn(WARM_GEMM_N, WARM_GEMM_N, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(WARM_GEMM_N, WARM_GEMM_N, device="cuda", dtype=torch.bfloat16)
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        for _ in range(20):
            torch.matmul(a, b)
        n += 20
        torch.cuda.synchronize()
    return {"warm_s": round(time.perf_counter() - t0, 3), "warm_gemms": n}


def _nv_call(nv, fname, *a):
    """Call pynvml.<fname>(*a); the name is looked up here so a missing function is a caught error."""
    fn = getattr(nv, fname, None)
    if fn is None:
        raise AttributeError("pynvml has no %s" % fname)
    v = fn(*a)
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def _nv_const(nv, name, default):
    return getattr(nv, name, default)


def nvml_snapshot(ctx):
    nv, h = ctx.nv, ctx.nv_handle
    if nv is None or h is None:
        return None
    out = {}

    def g(key, fname, *a, scale=None):
        try:
            v = _nv_call(nv, fname, *a)
            out[key] = v * scale if (scale is not None and v is not None) else v
        except Exception as e:
            out[key + "_error"] = _short(e, 120)

    g("power_w", "nvmlDeviceGetPowerUsage", h, scale=1e-3)
    g("sm_mhz", "nvmlDeviceGetClockInfo", h, _nv_const(nv, "NVML_CLOCK_SM", 1))
    g("mem_mhz", "nvmlDeviceGetClockInfo", h, _nv_const(nv, "NVML_CLOCK_MEM", 2))
    g("temp_c", "nvmlDeviceGetTemperature", h, _nv_const(nv, "NVML_TEMPERATURE_GPU", 0))
    g("pstate", "nvmlDeviceGetPerformanceState", h)
    rf = _nvml_reasons_fn(nv)
    if rf is not None:
        try:
            out["clock_event_reasons"] = int(rf(h))
        except Exception as e:
            out["clock_event_reasons_error"] = _short(e, 120)
    g("energy_mj", "nvmlDeviceGetTotalEnergyConsumption", h)
    return out


def _nvml_reasons_fn(nv):
    return (getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None)
            or getattr(nv, "nvmlDeviceGetCurrentClocksThrottleReasons", None))


def _nvml_field_value(fv):
    """Decode a c_nvmlFieldValue_t (value union chosen by valueType)."""
    vt = getattr(fv, "valueType", 1)
    names = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}
    attr = names.get(vt, "uiVal")
    val = getattr(fv.value, attr, None)
    if val is None:
        val = fv.value.uiVal
    return val


def uuid_hex(u):
    """Hex digits of a GPU UUID however it is printed ('GPU-1a2b...', "UUID('1a2b...')", '1a2b-...')."""
    t = str(u or "").lower().replace("uuid", "").replace("gpu-", "")
    return re.sub(r"[^0-9a-f]", "", t)


def _nv_str(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


# ----------------------------------------------------------------------------------------
# Section: provenance
# ----------------------------------------------------------------------------------------


def plan_provenance(ctx):
    return [Case("host_and_versions", {}, _prov_host, 0.2),
            Case("device_properties", {}, _prov_device, 0.1),
            Case("nvml", {}, _prov_nvml, 0.2),
            Case("torch_flags", {}, _prov_flags, 0.1)]


def _store_prov(ctx, key, value):
    with ctx.rec.lock:
        ctx.rec.data["provenance"][key] = value
    return {"stored_in": "provenance." + key}


def _dist_version(name):
    try:
        from importlib import metadata
        return metadata.version(name)
    except Exception:
        return None


def _prov_host(ctx, p):
    torch = ctx.torch
    d = {"hostname": socket.gethostname(), "utc_timestamp": _utc_now(),
         "python_version": sys.version.split()[0], "python_executable": sys.executable,
         "platform": platform.platform(), "machine": platform.machine(),
         "cpu_count": os.cpu_count(), "argv": sys.argv}
    d["torch_version"] = torch.__version__
    d["torch_cuda_runtime"] = torch.version.cuda
    d["torch_git_version"] = getattr(torch.version, "git_version", None)
    try:
        d["cudnn_version"] = torch.backends.cudnn.version()
    except Exception as e:
        d["cudnn_version_error"] = _short(e, 200)
    try:
        d["torch_arch_list"] = torch.cuda.get_arch_list()
    except Exception:
        pass
    vers = {}
    for n in ("torch", "triton", "cupy-cuda13x", "cupy-cuda12x", "cupy", "transformers", "nvidia-ml-py",
              "pynvml", "numpy", "accelerate", "flash-attn", "transformer-engine"):
        v = _dist_version(n)
        if v:
            vers[n] = v
    try:
        from importlib import metadata
        for dist in metadata.distributions():
            nm = (dist.metadata.get("Name") or "")
            if nm.lower().startswith("nvidia-"):
                vers[nm] = dist.version
    except Exception:
        pass
    d["package_versions"] = vers
    env = {}
    for k, v in os.environ.items():
        if not re.match(r"^(CUDA_|PYTORCH_|TORCH_|NVIDIA_|CUBLAS|CUDNN|NCCL_|TRITON_|OMP_NUM)", k):
            continue
        if re.search(r"TOKEN|KEY|SECRET|PASS|CRED", k, re.I):
            continue
        env[k] = v[:300]
    d["env"] = env
    return _store_prov(ctx, "host", d)


def _prov_device(ctx, p):
    torch = ctx.torch
    props = ctx.props
    d = {}
    for name in dir(props):
        if name.startswith("_"):
            continue
        try:
            v = getattr(props, name)
        except Exception:
            continue
        if callable(v):
            continue
        d[name] = v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
    d["compute_capability"] = "%d.%d" % (props.major, props.minor)
    d["l2_cache_bytes_used"] = ctx.l2_bytes
    d["device_count"] = torch.cuda.device_count()
    d["device_index"] = torch.cuda.current_device()
    try:
        free, total = torch.cuda.mem_get_info()
        d["mem_free_bytes_at_start"] = free
        d["mem_total_bytes"] = total
    except Exception:
        pass
    d["device_slug"] = device_slug(props.name)
    return _store_prov(ctx, "device", d)


def _prov_nvml(ctx, p):
    nv, h = ctx.nv, ctx.nv_handle
    if nv is None or h is None:
        return _store_prov(ctx, "nvml", {"available": False, "error": ctx.state.get("nvml_error")})
    d = {"available": True, "handle_match": ctx.state.get("nvml_match")}

    def g(key, fname, *a, scale=None):
        try:
            v = _nv_call(nv, fname, *a)
            d[key] = v * scale if (scale is not None and v is not None) else v
        except Exception as e:
            d[key + "_error"] = _short(e, 150)

    g("driver_version", "nvmlSystemGetDriverVersion")
    g("cuda_driver_version", "nvmlSystemGetCudaDriverVersion")
    g("nvml_version", "nvmlSystemGetNVMLVersion")
    g("name", "nvmlDeviceGetName", h)
    g("uuid", "nvmlDeviceGetUUID", h)
    g("vbios_version", "nvmlDeviceGetVbiosVersion", h)
    g("power_management_limit_w", "nvmlDeviceGetPowerManagementLimit", h, scale=1e-3)
    g("power_default_limit_w", "nvmlDeviceGetPowerManagementDefaultLimit", h, scale=1e-3)
    try:
        lo, hi = _nv_call(nv, "nvmlDeviceGetPowerManagementLimitConstraints", h)
        d["power_limit_min_w"] = lo * 1e-3
        d["power_limit_max_w"] = hi * 1e-3
    except Exception as e:
        d["power_limit_constraints_error"] = _short(e, 150)
    g("enforced_power_limit_w", "nvmlDeviceGetEnforcedPowerLimit", h, scale=1e-3)
    for cname, cdef in (("SM", 1), ("MEM", 2), ("GRAPHICS", 0)):
        cid = _nv_const(nv, "NVML_CLOCK_" + cname, cdef)
        c = cname.lower()
        g("max_%s_mhz" % c, "nvmlDeviceGetMaxClockInfo", h, cid)
        g("current_%s_mhz" % c, "nvmlDeviceGetClockInfo", h, cid)
        g("applications_%s_mhz" % c, "nvmlDeviceGetApplicationsClock", h, cid)
        g("default_applications_%s_mhz" % c, "nvmlDeviceGetDefaultApplicationsClock", h, cid)
    g("persistence_mode", "nvmlDeviceGetPersistenceMode", h)
    g("compute_mode", "nvmlDeviceGetComputeMode", h)
    g("performance_state", "nvmlDeviceGetPerformanceState", h)
    g("power_usage_w", "nvmlDeviceGetPowerUsage", h, scale=1e-3)
    g("temperature_c", "nvmlDeviceGetTemperature", h, _nv_const(nv, "NVML_TEMPERATURE_GPU", 0))
    for tname, tdef in (("SLOWDOWN", 1), ("SHUTDOWN", 0), ("GPU_MAX", 3), ("MEM_MAX", 2)):
        tid = getattr(nv, "NVML_TEMPERATURE_THRESHOLD_" + tname, None)
        if tid is not None:
            g("temp_threshold_%s_c" % tname.lower(), "nvmlDeviceGetTemperatureThreshold", h, tid)
    g("total_energy_mj", "nvmlDeviceGetTotalEnergyConsumption", h)
    try:
        mi = _nv_call(nv, "nvmlDeviceGetMemoryInfo", h)
        d["memory_total_bytes"] = mi.total
        d["memory_used_bytes"] = mi.used
    except Exception as e:
        d["memory_info_error"] = _short(e, 150)
    g("memory_bus_width_bits", "nvmlDeviceGetMemoryBusWidth", h)
    g("num_gpu_cores", "nvmlDeviceGetNumGpuCores", h)
    try:
        cur, pend = _nv_call(nv, "nvmlDeviceGetEccMode", h)
        d["ecc_mode_current"] = cur
        d["ecc_mode_pending"] = pend
    except Exception as e:
        d["ecc_mode_error"] = _short(e, 150)
    try:
        cur, pend = _nv_call(nv, "nvmlDeviceGetMigMode", h)
        d["mig_mode_current"] = cur
    except Exception as e:
        d["mig_mode_error"] = _short(e, 150)
    g("pcie_link_gen_current", "nvmlDeviceGetCurrPcieLinkGeneration", h)
    g("pcie_link_width_current", "nvmlDeviceGetCurrPcieLinkWidth", h)
    g("pcie_link_gen_max", "nvmlDeviceGetMaxPcieLinkGeneration", h)
    rf = _nvml_reasons_fn(nv)
    if rf is not None:
        try:
            d["clock_event_reasons"] = int(rf(h))
        except Exception as e:
            d["clock_event_reasons_error"] = _short(e, 150)
    d["clock_event_reason_bits"] = NVML_REASON_BITS
    fid = getattr(nv, "NVML_FI_DEV_POWER_INSTANT", None)
    d["field_power_instant_id"] = fid
    if fid is not None:
        try:
            fv = _nv_call(nv, "nvmlDeviceGetFieldValues", h, [fid])[0]
            d["field_power_instant_return"] = fv.nvmlReturn
            if fv.nvmlReturn == 0:
                d["power_instant_w"] = _nvml_field_value(fv) * 1e-3
        except Exception as e:
            d["field_power_instant_error"] = _short(e, 150)
    return _store_prov(ctx, "nvml", d)


def _prov_flags(ctx, p):
    torch = ctx.torch
    d = {}
    b = torch.backends.cuda
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled",
                  "is_flash_attention_available", "preferred_blas_library", "preferred_linalg_library"):
            f = getattr(b, k, None)
            if f is None:
                continue
            try:
                d[k] = str(f()) if k.startswith("preferred") else f()
            except Exception as e:
                d[k + "_error"] = _short(e, 150)
        for k in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
                  "fp32_precision"):
            try:
                d["matmul_" + k] = getattr(b.matmul, k)
            except Exception as e:
                d["matmul_" + k + "_error"] = _short(e, 150)
        try:
            d["float32_matmul_precision"] = torch.get_float32_matmul_precision()
        except Exception as e:
            d["float32_matmul_precision_error"] = _short(e, 150)
        for k in ("enabled", "benchmark", "deterministic", "allow_tf32"):
            try:
                d["cudnn_" + k] = getattr(torch.backends.cudnn, k)
            except Exception as e:
                d["cudnn_" + k + "_error"] = _short(e, 150)
        try:
            d["deterministic_algorithms"] = torch.are_deterministic_algorithms_enabled()
        except Exception:
            pass
    d["l2_flush"] = ctx.rec.data["settings"].get("l2_flush")
    return _store_prov(ctx, "torch_flags", d)


# ----------------------------------------------------------------------------------------
# Section: launch (host dispatch, graph replay, sync)
# ----------------------------------------------------------------------------------------

DISPATCH_OPS = ["add_inplace_1elem", "add_outofplace_64x64", "mul_scalar_64x64", "mm_bf16_64",
                "linear_bias_bf16_64", "layer_norm_bf16_64x64", "softmax_bf16_64x64", "gelu_bf16_64x64",
                "sdpa_bf16_1x1x16x64", "cat_2x64x64", "to_bf16_64x64", "transpose_contiguous_64x64",
                "view_noop", "embedding_64x128", "cross_entropy_64x128"]


def plan_launch(ctx):
    n = 2000
    cases = [Case("eager_add_inplace_n%d" % n, {"n_ops": n, "repeats": 5, "op": "x.add_(1), 1-element fp32"},
                  _launch_eager, 0.3),
             Case("graph_replay_add_inplace_n%d" % n, {"n_ops": n, "repeats": 5, "op": "x.add_(1) captured"},
                  _launch_graph, 0.5),
             Case("single_tiny_op_event_timed", {"reps": 200, "op": "x.add_(1)"}, _launch_single, 0.3),
             Case("synchronize_roundtrip", {"reps": 500}, _launch_sync, 0.3)]
    for op in DISPATCH_OPS:
        cases.append(Case("dispatch_" + op, {"op": op, "n_ops": 500, "repeats": 3}, _launch_dispatch, 0.1))
    return cases


def _time_launch_loop(ctx, fn, n, repeats):
    """Per-op times of `n` back-to-back calls of `fn`, `repeats` times, in microseconds: host enqueue
    (perf_counter over the loop, no sync), wall to sync (to the end of synchronize) and device span
    (CUDA events around the loop). Returns three lists (enqueue, to_sync, device). Calling `fn`
    adds one Python call per op (tens of ns, see python_empty_loop_us_per_iter), small beside the
    microseconds of a launch."""
    torch, perf = ctx.torch, time.perf_counter
    s, e = _ev(ctx), _ev(ctx)
    enq, tot, dev = [], [], []
    for _ in range(repeats):
        torch.cuda.synchronize()
        t0 = perf()
        s.record()
        for _ in range(n):
            fn()
        e.record()
        t1 = perf()
        torch.cuda.synchronize()
        t2 = perf()
        enq.append((t1 - t0) * 1e6 / n)
        tot.append((t2 - t0) * 1e6 / n)
        dev.append(s.elapsed_time(e) * 1e3 / n)
    return enq, tot, dev


def _launch_eager(ctx, p):
    torch = ctx.torch
    N = p["n_ops"]
    x = torch.zeros(1, device="cuda")
    for _ in range(200):
        x.add_(1)
    torch.cuda.synchronize()
    perf = time.perf_counter
    t0 = perf()
    for _ in range(N):
        pass
    py_loop_us = (perf() - t0) * 1e6 / N
    enq, tot, dev = _time_launch_loop(ctx, lambda: x.add_(1), N, p["repeats"])
    return {"host_enqueue_us_per_op_median": median(enq), "host_enqueue_us_per_op_min": min(enq),
            "wall_to_sync_us_per_op_median": median(tot), "wall_to_sync_us_per_op_min": min(tot),
            "device_span_us_per_op_median": median(dev), "device_span_us_per_op_min": min(dev),
            "python_empty_loop_us_per_iter": py_loop_us,
            "definition": "host_enqueue: perf_counter over the launch loop / N (no sync); wall_to_sync: "
                          "to the end of torch.cuda.synchronize() / N; device_span: CUDA events around "
                          "the loop / N (bounded below by host rate when host-bound)"}


def _launch_graph(ctx, p):
    torch = ctx.torch
    N = p["n_ops"]
    x = torch.zeros(1, device="cuda")
    st = torch.cuda.Stream()
    st.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(st):
        for _ in range(10):
            x.add_(1)
    torch.cuda.current_stream().wait_stream(st)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    perf = time.perf_counter
    t0 = perf()
    with torch.cuda.graph(g):
        for _ in range(N):
            x.add_(1)
    capture_s = perf() - t0
    g.replay()
    torch.cuda.synchronize()
    s, e = _ev(ctx), _ev(ctx)
    dev, host = [], []
    for _ in range(p["repeats"]):
        torch.cuda.synchronize()
        s.record()
        t0 = perf()
        g.replay()
        t1 = perf()
        e.record()
        torch.cuda.synchronize()
        dev.append(s.elapsed_time(e) * 1e3 / N)
        host.append((t1 - t0) * 1e6)
    return {"device_us_per_kernel_median": median(dev), "device_us_per_kernel_min": min(dev),
            "replay_host_call_us_median": median(host), "capture_s": capture_s,
            "definition": "CUDA events around g.replay() of N captured ops / N = per-kernel time incl. "
                          "inter-kernel gap inside a graph"}


def _launch_single(ctx, p):
    torch = ctx.torch
    x = torch.zeros(1, device="cuda")
    for _ in range(50):
        x.add_(1)
    torch.cuda.synchronize()
    reps = p["reps"]
    has_sleep = hasattr(torch.cuda, "_sleep")
    out = {}

    def run(queued, with_op):
        ts = []
        for _ in range(reps):
            s, e = _ev(ctx), _ev(ctx)
            if queued:
                torch.cuda._sleep(ctx.sleep_cycles)
            else:
                torch.cuda.synchronize()
            s.record()
            if with_op:
                x.add_(1)
            e.record()
            e.synchronize()
            ts.append(s.elapsed_time(e) * 1e3)
        return ts

    idle = run(False, True)
    out["idle_gpu_event_us_median"] = median(idle)
    out["idle_gpu_event_us_min"] = min(idle)
    if has_sleep:
        q = run(True, True)
        base = run(True, False)
        out["queued_event_us_median"] = median(q)
        out["queued_event_us_min"] = min(q)
        out["queued_empty_event_pair_us_median"] = median(base)
        out["kernel_device_us_median"] = median(q) - median(base)
    else:
        out["queued_note"] = "torch.cuda._sleep missing; queued variant not measured"
    out["definition"] = ("idle_gpu: events around one op launched on an idle GPU (includes host launch "
                         "latency); queued: the GPU is busy in torch.cuda._sleep when the op is enqueued, "
                         "so the pair measures device time only; kernel_device = queued - empty pair")
    return out


def _launch_sync(ctx, p):
    torch = ctx.torch
    x = torch.zeros(1, device="cuda")
    torch.cuda.synchronize()
    perf = time.perf_counter
    idle, opsync = [], []
    for _ in range(p["reps"]):
        t0 = perf()
        torch.cuda.synchronize()
        idle.append((perf() - t0) * 1e6)
    for _ in range(p["reps"]):
        t0 = perf()
        x.add_(1)
        torch.cuda.synchronize()
        opsync.append((perf() - t0) * 1e6)
    return {"sync_idle_us_median": median(idle), "sync_idle_us_min": min(idle),
            "op_then_sync_us_median": median(opsync), "op_then_sync_us_min": min(opsync),
            "definition": "sync_idle: torch.cuda.synchronize() on an idle GPU; op_then_sync: one tiny op "
                          "launched then synchronize (host-observed end-to-end latency)"}


def _dispatch_fn(ctx, op):
    torch, F = ctx.torch, ctx.F
    dev = "cuda"
    bf = torch.bfloat16
    a32 = torch.randn(64, 64, device=dev)
    b32 = torch.randn(64, 64, device=dev)
    a = a32.to(bf)
    b = b32.to(bf)
    if op == "add_inplace_1elem":
        x = torch.zeros(1, device=dev)
        return lambda: x.add_(1)
    if op == "add_outofplace_64x64":
        return lambda: a32 + b32
    if op == "mul_scalar_64x64":
        return lambda: a32 * 2.0
    if op == "mm_bf16_64":
        return lambda: torch.mm(a, b)
    if op == "linear_bias_bf16_64":
        bias = torch.randn(64, device=dev, dtype=bf)
        return lambda: F.linear(a, b, bias)
    if op == "layer_norm_bf16_64x64":
        w = torch.ones(64, device=dev, dtype=bf)
        bb = torch.zeros(64, device=dev, dtype=bf)
        return lambda: F.layer_norm(a, (64,), w, bb)
    if op == "softmax_bf16_64x64":
        return lambda: torch.softmax(a, dim=-1)
    if op == "gelu_bf16_64x64":
        return lambda: F.gelu(a, approximate="tanh")
    if op == "sdpa_bf16_1x1x16x64":
        q = torch.randn(1, 1, 16, 64, device=dev, dtype=bf)
        return lambda: F.scaled_dot_product_attention(q, q, q)
    if op == "cat_2x64x64":
        return lambda: torch.cat([a32, b32])
    if op == "to_bf16_64x64":
        return lambda: a32.to(bf)
    if op == "transpose_contiguous_64x64":
        return lambda: a32.t().contiguous()
    if op == "view_noop":
        return lambda: a32.view(-1)
    if op == "embedding_64x128":
        table = torch.randn(1000, 128, device=dev, dtype=bf)
        idx = torch.randint(0, 1000, (64,), device=dev)
        return lambda: F.embedding(idx, table)
    if op == "cross_entropy_64x128":
        logits = torch.randn(64, 128, device=dev)
        labels = torch.randint(0, 128, (64,), device=dev)
        return lambda: F.cross_entropy(logits, labels)
    raise ValueError("unknown dispatch op " + op)


def _launch_dispatch(ctx, p):
    torch = ctx.torch
    fn = _dispatch_fn(ctx, p["op"])
    N = p["n_ops"]
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    perf = time.perf_counter
    enq, tot, dev = _time_launch_loop(ctx, fn, N, p["repeats"])
    return {"host_enqueue_us_per_op_median": median(enq), "host_enqueue_us_per_op_min": min(enq),
            "wall_to_sync_us_per_op_median": median(tot), "device_span_us_per_op_median": median(dev)}


# ----------------------------------------------------------------------------------------
# Section: stream (bandwidth vs size)
# ----------------------------------------------------------------------------------------

STREAM_SIZES = [4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB,
                128 * MiB, 256 * MiB, 1 * GiB, 4 * GiB]
STREAM_OPS = ["copy", "add", "gelu_tanh", "gelu_exact"]


def plan_stream(ctx):
    cases = []
    for size in STREAM_SIZES:
        for op in STREAM_OPS:
            cases.append(Case("%s_bf16_%s" % (op, fmt_bytes(size)),
                              {"op": op, "dtype": "bf16", "bytes_per_tensor": size}, _stream_case, 0.06))
    for size in (1 * MiB, 64 * MiB, 1 * GiB, 4 * GiB):
        cases.append(Case("copy_fp32_%s" % fmt_bytes(size),
                          {"op": "copy", "dtype": "fp32", "bytes_per_tensor": size}, _stream_case, 0.06))
    for size in (4 * KiB, 64 * KiB, 1 * MiB, 4 * MiB, 16 * MiB):
        cases.append(Case("copy_bf16_%s_l2hot" % fmt_bytes(size),
                          {"op": "copy", "dtype": "bf16", "bytes_per_tensor": size, "mode": "hot"},
                          _stream_case, 0.05))
    return cases


def _stream_case(ctx, p):
    torch, F = ctx.torch, ctx.F
    dt = _dtype(ctx, p["dtype"])
    S = p["bytes_per_tensor"]
    n = S // _DTYPE_BYTES[p["dtype"]]
    a = torch.empty(n, dtype=dt, device="cuda").uniform_(-2.0, 2.0)
    op = p["op"]
    if op == "copy":
        dst = torch.empty_like(a)
        fn = lambda: dst.copy_(a)  # noqa: E731
        nbytes = 2 * S
    elif op == "add":
        b = torch.empty_like(a).uniform_(-2.0, 2.0)
        c = torch.empty_like(a)
        fn = lambda: torch.add(a, b, out=c)  # noqa: E731
        nbytes = 3 * S
    elif op == "gelu_tanh":
        fn = lambda: F.gelu(a, approximate="tanh")  # noqa: E731
        nbytes = 2 * S
    elif op == "gelu_exact":
        fn = lambda: F.gelu(a)  # noqa: E731
        nbytes = 2 * S
    else:
        raise ValueError(op)
    res = bench(ctx, fn, ws_bytes=nbytes, mode=p.get("mode"))
    res["elements"] = n
    res["bytes_definition"] = "bytes read + written by the op (copy/gelu 2 x tensor, add 3 x tensor)"
    return add_rates(res, nbytes=nbytes)


# ----------------------------------------------------------------------------------------
# Section: gemm
# ----------------------------------------------------------------------------------------

GEMM_PROFILE = {"bf16_sq_8192", "bf16_alignN_m4096_n50257_k4096", "bf16_alignN_m4096_n50304_k4096",
                "bf16_alignK_m4096_n4096_k4095", "bf16_llm_m1_n4096_k4096", "bf16_llm_m16_n28672_k8192",
                "bf16_gpt2_lmhead_m8192_n50257_k768", "fp8_sq_8192", "bf16_llm_m4096_n28672_k8192"}


def plan_gemm(ctx):
    cases = []

    def add(name, dtype, M, N, K, **extra):
        prm = {"dtype": dtype, "M": M, "N": N, "K": K, "data": "randn", "layout": "A[M,K] @ B[K,N] row-major"}
        if dtype == "fp8_e4m3":
            prm["layout"] = "torch._scaled_mm: A[M,K] row-major, B = Bt[N,K].t() (column-major), out bf16"
        prm.update(extra)
        prm["profile"] = name in GEMM_PROFILE
        cases.append(Case(name, prm, _gemm_case, 0.1 if max(M, N, K) >= 16384 else 0.06))

    for s in (256, 512, 1024, 2048, 4096, 8192, 16384):
        add("bf16_sq_%d" % s, "bf16", s, s, s)
    add("bf16_sq_8192_zeros", "bf16", 8192, 8192, 8192, data="zeros")
    for (N, K) in ((4096, 4096), (11008, 4096), (4096, 11008), (8192, 8192), (28672, 8192), (8192, 28672)):
        for M in (1, 16, 64, 256, 1024, 4096, 16384):
            add("bf16_llm_m%d_n%d_k%d" % (M, N, K), "bf16", M, N, K)
    for N in (50257, 50304, 32001, 32000, 4095, 4096):
        add("bf16_alignN_m4096_n%d_k4096" % N, "bf16", 4096, N, 4096)
    add("bf16_gpt2_lmhead_m8192_n50257_k768", "bf16", 8192, 50257, 768)
    add("bf16_gpt2_lmhead_m8192_n50304_k768", "bf16", 8192, 50304, 768)
    for K in (4095, 4096):
        add("bf16_alignK_m4096_n4096_k%d" % K, "bf16", 4096, 4096, K)
    for M in (4095, 4096):
        add("bf16_alignM_m%d_n4096_k4096" % M, "bf16", M, 4096, 4096)
    add("fp16_sq_8192", "fp16", 8192, 8192, 8192)
    add("fp32_tf32_sq_4096", "fp32", 4096, 4096, 4096, tf32=True)
    add("fp32_ieee_sq_4096", "fp32", 4096, 4096, 4096, tf32=False)
    for s in (1024, 2048, 4096, 8192, 16384):
        add("fp8_sq_%d" % s, "fp8_e4m3", s, s, s)
    add("fp8_sq_8192_fast_accum", "fp8_e4m3", 8192, 8192, 8192, use_fast_accum=True)
    for N in (50257, 50304):
        add("fp8_alignN_m4096_n%d_k4096" % N, "fp8_e4m3", 4096, N, 4096)
    return cases


def _gemm_case(ctx, p):
    torch = ctx.torch
    M, N, K = p["M"], p["N"], p["K"]
    dtn = p["dtype"]
    es = _DTYPE_BYTES[dtn]
    res_extra = {}
    restore = None
    if dtn == "fp8_e4m3":
        f8 = _dtype(ctx, dtn)
        if f8 is None or not hasattr(torch, "_scaled_mm"):
            return {"error": "float8_e4m3fn or torch._scaled_mm not available"}
        a = torch.randn(M, K, device="cuda", dtype=torch.bfloat16).to(f8)
        bt = torch.randn(N, K, device="cuda", dtype=torch.bfloat16).to(f8)
        b = bt.t()
        sa = torch.tensor(1.0, device="cuda", dtype=torch.float32)
        sb = torch.tensor(1.0, device="cuda", dtype=torch.float32)
        kw = {"scale_a": sa, "scale_b": sb, "out_dtype": torch.bfloat16}
        if p.get("use_fast_accum"):
            kw["use_fast_accum"] = True
        r = torch._scaled_mm(a, b, **kw)
        if isinstance(r, (tuple, list)):
            res_extra["scaled_mm_returned"] = "tuple"
            r = r[0]
        res_extra["out_shape"] = list(r.shape)
        res_extra["out_dtype"] = str(r.dtype)
        del r
        fn = lambda: torch._scaled_mm(a, b, **kw)  # noqa: E731
        out_es = 2
    else:
        dt = _dtype(ctx, dtn)
        if p.get("data") == "zeros":
            a = torch.zeros(M, K, device="cuda", dtype=dt)
            b = torch.zeros(K, N, device="cuda", dtype=dt)
        else:
            a = torch.randn(M, K, device="cuda", dtype=dt)
            b = torch.randn(K, N, device="cuda", dtype=dt)
        if dtn == "fp32":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    restore = torch.get_float32_matmul_precision()
                except Exception:
                    restore = "highest"
                torch.set_float32_matmul_precision("high" if p.get("tf32") else "highest")
                res_extra["float32_matmul_precision"] = "high" if p.get("tf32") else "highest"
        fn = lambda: torch.matmul(a, b)  # noqa: E731
        out_es = es
    try:
        ws = es * (M * K + K * N) + out_es * M * N
        res = bench(ctx, fn, ws_bytes=ws)
        res.update(res_extra)
        add_rates(res, flops=2 * M * N * K, nbytes=ws)
        res["bytes_definition"] = "A + B read once + C written once (minimum traffic)"
        if p.get("profile"):
            res.update(profile_kernels(ctx, fn))
    finally:
        if restore is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.set_float32_matmul_precision(restore)
    return res


# ----------------------------------------------------------------------------------------
# Section: power (NVML sampling while sustained workloads run)
# ----------------------------------------------------------------------------------------

POWER_GEMM_N = 8192
POWER_COPY_BYTES = 2 * GiB
POWER_ADD_BYTES = 1 * GiB
POWER_PHASES = [("idle_start", "idle", 4.0), ("gemm_bf16_8192", "gemm_bf16", 6.0),
                ("gemm_fp8_8192", "gemm_fp8", 5.0), ("copy_d2d_2GiB", "copy_2GiB", 6.0),
                ("add_bf16_1GiB", "add_1GiB", 4.0), ("idle_end", "idle", 3.0)]


class PowerSampler(threading.Thread):
    """Background NVML sampler: rows (t, power_w, power_instant_w, sm_mhz, mem_mhz, temp_c, reasons)."""

    def __init__(self, nv, handle, period_s=0.02, clock=time.perf_counter):
        threading.Thread.__init__(self, daemon=True)
        self.nv = nv
        self.h = handle
        self.period_s = period_s
        self.clock = clock
        self.samples = []
        self.fail = {}
        self.errors = {}
        self._stop_ev = threading.Event()
        self.fid_instant = getattr(nv, "NVML_FI_DEV_POWER_INSTANT", None)
        self.reasons_fn = _nvml_reasons_fn(nv)

    def _read(self, key, fn):
        if self.fail.get(key, 0) >= 3:
            return None
        try:
            v = fn()
            self.fail[key] = 0
            return v
        except Exception as e:
            self.fail[key] = self.fail.get(key, 0) + 1
            self.errors[key] = _short(e, 150)
            return None

    def _instant(self):
        fv = _nv_call(self.nv, "nvmlDeviceGetFieldValues", self.h, [self.fid_instant])[0]
        if fv.nvmlReturn != 0:
            raise RuntimeError("nvmlReturn=%s" % fv.nvmlReturn)
        return _nvml_field_value(fv) * 1e-3

    def sample_once(self):
        nv, h = self.nv, self.h
        t = self.clock()
        c_sm = _nv_const(nv, "NVML_CLOCK_SM", 1)
        c_mem = _nv_const(nv, "NVML_CLOCK_MEM", 2)
        c_t = _nv_const(nv, "NVML_TEMPERATURE_GPU", 0)
        pw = self._read("power", lambda: _nv_call(nv, "nvmlDeviceGetPowerUsage", h) * 1e-3)
        pi = self._read("instant", self._instant) if self.fid_instant is not None else None
        sm = self._read("sm", lambda: _nv_call(nv, "nvmlDeviceGetClockInfo", h, c_sm))
        mem = self._read("mem", lambda: _nv_call(nv, "nvmlDeviceGetClockInfo", h, c_mem))
        tc = self._read("temp", lambda: _nv_call(nv, "nvmlDeviceGetTemperature", h, c_t))
        rs = self._read("reasons", lambda: int(self.reasons_fn(h))) if self.reasons_fn else None
        row = (t, pw, pi, sm, mem, tc, rs)
        self.samples.append(row)
        return row

    def run(self):
        while not self._stop_ev.is_set():
            t = self.clock()
            try:
                self.sample_once()
            except Exception as e:
                self.errors["loop"] = _short(e, 150)
            self._stop_ev.wait(max(0.0, self.period_s - (self.clock() - t)))

    def stop(self):
        self._stop_ev.set()


def plan_power(ctx):
    cases = []
    for name, wl, dur in POWER_PHASES:
        cases.append(Case(name, {"workload": wl, "duration_s": dur, "settle_s": 1.0 if wl == "idle" else 0.0,
                                 "sample_period_s": 0.02}, _power_phase, dur + 1.5))
    cases.append(Case("summary", {"idle_phase": "idle_start"}, _power_summary_case, 0.01))
    return cases


def _power_setup(ctx):
    if ctx.nv is None or ctx.nv_handle is None:
        raise SkipSection("pynvml not available or NVML init failed: %s" % ctx.state.get("nvml_error"))
    s = PowerSampler(ctx.nv, ctx.nv_handle, period_s=0.02)
    row = s.sample_once()
    energy_ok = True
    try:
        _nv_call(ctx.nv, "nvmlDeviceGetTotalEnergyConsumption", ctx.nv_handle)
    except Exception:
        energy_ok = False
    if row[1] is None and row[2] is None and not energy_ok:
        raise SkipSection("NVML gives neither power readings nor the energy counter")
    s.samples = []
    s.start()
    ctx.state["power"] = {"sampler": s, "energy_ok": energy_ok}
    t0 = time.perf_counter()
    time.sleep(0.1)
    n = len(s.samples)
    return {"first_sample": list(row), "energy_counter_available": energy_ok,
            "achieved_sample_rate_hz": n / max(1e-3, time.perf_counter() - t0),
            "sample_fields": SAMPLE_FIELDS, "clock_event_reason_bits": NVML_REASON_BITS}


def _power_teardown(ctx):
    st = ctx.state.get("power")
    if st and st.get("sampler"):
        st["sampler"].stop()
        st["sampler"].join(timeout=2.0)
        errs = st["sampler"].errors
        if errs:
            ctx.rec.section("power")["sampler_errors"] = dict(errs)


def _power_workload(ctx, kind):
    """Returns (step_fn, flops_per_step, bytes_per_step, description)."""
    torch = ctx.torch
    n = POWER_GEMM_N
    if kind == "gemm_bf16":
        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        c = torch.empty(n, n, device="cuda", dtype=torch.bfloat16)
        return (lambda: torch.mm(a, b, out=c)), 2 * n ** 3, None, "torch.mm bf16 %d^3, randn" % n
    if kind == "gemm_fp8":
        f8 = getattr(torch, "float8_e4m3fn", None)
        if f8 is None or not hasattr(torch, "_scaled_mm"):
            raise RuntimeError("fp8 (torch.float8_e4m3fn / torch._scaled_mm) not available")
        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16).to(f8)
        b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16).to(f8).t()
        one = torch.tensor(1.0, device="cuda", dtype=torch.float32)
        fn = lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)  # noqa: E731
        fn()
        return fn, 2 * n ** 3, None, "torch._scaled_mm e4m3 %d^3 -> bf16" % n
    if kind == "copy_2GiB":
        src = torch.empty(POWER_COPY_BYTES // 2, device="cuda", dtype=torch.bfloat16).uniform_(-2, 2)
        dst = torch.empty_like(src)
        return ((lambda: dst.copy_(src)), None, 2 * POWER_COPY_BYTES,
                "dst.copy_(src), %s bf16 each (bytes = read+write)" % fmt_bytes(POWER_COPY_BYTES))
    if kind == "add_1GiB":
        a = torch.empty(POWER_ADD_BYTES // 2, device="cuda", dtype=torch.bfloat16).uniform_(-2, 2)
        b = torch.empty_like(a).uniform_(-2, 2)
        c = torch.empty_like(a)
        return ((lambda: torch.add(a, b, out=c)), None, 3 * POWER_ADD_BYTES,
                "torch.add(a,b,out=c), %s bf16 tensors" % fmt_bytes(POWER_ADD_BYTES))
    raise ValueError(kind)


def _power_phase(ctx, p):
    torch = ctx.torch
    st = ctx.state["power"]
    sampler = st["sampler"]
    nv, h = ctx.nv, ctx.nv_handle
    kind = p["workload"]
    dur = float(p["duration_s"])
    res = {"workload": kind}
    step = None
    if kind != "idle":
        step, flops_per, bytes_per, desc = _power_workload(ctx, kind)
        res["workload_description"] = desc
        for _ in range(3):
            step()
        torch.cuda.synchronize()
        s, e = _ev(ctx), _ev(ctx)
        s.record()
        for _ in range(5):
            step()
        e.record()
        e.synchronize()
        t_step_ms = s.elapsed_time(e) / 5.0
        chunk = max(1, int(50.0 / max(t_step_ms, 1e-3)))
        res["chunk_steps"] = chunk
    else:
        torch.cuda.synchronize()
        time.sleep(float(p.get("settle_s", 0.0)))
    energy0 = None
    if st["energy_ok"]:
        try:
            energy0 = _nv_call(nv, "nvmlDeviceGetTotalEnergyConsumption", h)
        except Exception:
            energy0 = None
    clk = sampler.clock
    t0 = clk()
    count = 0
    if step is None:
        time.sleep(dur)
        t1 = clk()
    else:
        ev_s, ev_e = _ev(ctx), _ev(ctx)
        ev_s.record()
        inflight = []
        while True:
            for _ in range(chunk):
                step()
            count += chunk
            ev = torch.cuda.Event()
            ev.record()
            inflight.append(ev)
            while len(inflight) > 2:
                inflight.pop(0).synchronize()
            if clk() - t0 >= dur:
                break
        ev_e.record()
        ev_e.synchronize()
        t1 = clk()
        dev_ms = ev_s.elapsed_time(ev_e)
        res["kernels_completed"] = count
        res["device_time_s"] = dev_ms * 1e-3
        res["time_us_per_kernel"] = dev_ms * 1e3 / count
        if flops_per:
            res["flops_total"] = flops_per * count
            res["tflop_per_s"] = flops_per * count / (dev_ms * 1e-3) / 1e12
        if bytes_per:
            res["bytes_total"] = bytes_per * count
            res["gb_per_s"] = bytes_per * count / (dev_ms * 1e-3) / 1e9
    energy1 = None
    if energy0 is not None:
        try:
            energy1 = _nv_call(nv, "nvmlDeviceGetTotalEnergyConsumption", h)
        except Exception:
            energy1 = None
    res["duration_s"] = t1 - t0
    res["energy_j"] = (energy1 - energy0) * 1e-3 if (energy0 is not None and energy1 is not None) else None
    if res["energy_j"] is not None and res["duration_s"] > 0:
        res["energy_avg_power_w"] = res["energy_j"] / res["duration_s"]
    time.sleep(0.05)  # let the sampler record the phase end
    res.update(summarize_phase(list(sampler.samples), t0, t1))
    res["stats_window"] = "power/clock statistics over the second half of the phase (steady state)"
    return res


def _power_summary_case(ctx, p):
    st = ctx.state.get("power") or {}
    phases = []
    for c in ctx.rec.section("power")["cases"]:
        if c.get("name") == "summary":
            continue
        phases.append({"name": c.get("name"), "workload": c.get("workload") or c["params"].get("workload"),
                       "duration_s": c.get("duration_s"), "energy_j": c.get("energy_j"),
                       "power_w_mean": c.get("power_w_mean"), "flops_total": c.get("flops_total"),
                       "bytes_total": c.get("bytes_total"), "error": c.get("error")})
    out = power_summary(phases)
    out["n_samples_total"] = len(st["sampler"].samples) if st.get("sampler") else None
    return out


# ----------------------------------------------------------------------------------------
# Section: sdpa
# ----------------------------------------------------------------------------------------

SDPA_BACKENDS = ["flash", "cudnn", "efficient", "math", "default"]
_SDPA_ENUM = {"flash": "FLASH_ATTENTION", "cudnn": "CUDNN_ATTENTION", "efficient": "EFFICIENT_ATTENTION",
              "math": "MATH"}


def plan_sdpa(ctx):
    cases = []

    def add(name, **prm):
        prm.setdefault("dtype", "bf16")
        prm["profile"] = prm["backend"] == "default"
        cases.append(Case(name, prm, _sdpa_case, 0.12))

    shapes = [(1, 32, S, 128) for S in (512, 1024, 2048, 4096, 8192)]
    shapes += [(1, 64, S, 64) for S in (512, 1024, 2048, 4096, 8192)]
    shapes += [(8, 32, 1024, 128), (32, 16, 512, 64)]
    causal_too = {(1, 32, 2048, 128), (1, 32, 8192, 128), (8, 32, 1024, 128), (1, 64, 4096, 64)}
    for (B, H, S, D) in shapes:
        for causal in ((False, True) if (B, H, S, D) in causal_too else (False,)):
            for be in SDPA_BACKENDS:
                if be == "math" and B * H * S * S > 2 ** 28:
                    continue
                add("prefill_%s_b%d_h%d_s%d_d%d%s" % (be, B, H, S, D, "_causal" if causal else ""),
                    kind="prefill", mode="fwd", backend=be, B=B, H=H, Hkv=H, Sq=S, Skv=S, D=D, causal=causal)
    for be in ("flash", "cudnn", "efficient", "default"):
        add("train_fwd_bwd_%s_b4_h32_s2048_d128_causal" % be, kind="train", mode="fwd_bwd", backend=be,
            B=4, H=32, Hkv=32, Sq=2048, Skv=2048, D=128, causal=True)
    for B in (1, 64):
        for Skv in (1024, 4096, 32768):
            for be in SDPA_BACKENDS:
                if be == "math" and B * Skv > 64 * 4096:
                    continue
                add("decode_%s_b%d_h32_kv%d_d128" % (be, B, Skv), kind="decode", mode="fwd", backend=be,
                    B=B, H=32, Hkv=32, Sq=1, Skv=Skv, D=128, causal=False)
    for B in (1, 64):
        for be in SDPA_BACKENDS:
            add("gqa_decode_enable_gqa_%s_b%d_hq64_hkv8_kv4096_d128" % (be, B), kind="gqa_decode", mode="fwd",
                backend=be, B=B, H=64, Hkv=8, Sq=1, Skv=4096, D=128, causal=False, gqa="enable_gqa")
        for be in SDPA_BACKENDS:
            add("gqa_decode_expanded_%s_b%d_hq64_hkv8_kv4096_d128" % (be, B), kind="gqa_decode", mode="fwd",
                backend=be, B=B, H=64, Hkv=8, Sq=1, Skv=4096, D=128, causal=False, gqa="expanded")
        add("gqa_decode_expand_in_loop_default_b%d_hq64_hkv8_kv4096_d128" % B, kind="gqa_decode", mode="fwd",
            backend="default", B=B, H=64, Hkv=8, Sq=1, Skv=4096, D=128, causal=False, gqa="expand_in_loop")
    return cases


def _sdpa_ctx(ctx, backend):
    if backend == "default":
        return contextlib.nullcontext()
    from torch.nn.attention import sdpa_kernel, SDPBackend
    return sdpa_kernel(getattr(SDPBackend, _SDPA_ENUM[backend]))


def _sdpa_inputs(ctx, p):
    """q, k, v for the case; cached across backends of the same shape to save allocation time."""
    torch = ctx.torch
    grad = p["mode"] == "fwd_bwd"
    key = (p["B"], p["H"], p["Hkv"], p["Sq"], p["Skv"], p["D"], grad)
    cache = ctx.state.get("sdpa_inputs")
    if cache and cache[0] == key:
        return cache[1]
    ctx.state["sdpa_inputs"] = None
    cache = None
    gc.collect()
    dt = torch.bfloat16
    q = torch.randn(p["B"], p["H"], p["Sq"], p["D"], device="cuda", dtype=dt, requires_grad=grad)
    k = torch.randn(p["B"], p["Hkv"], p["Skv"], p["D"], device="cuda", dtype=dt, requires_grad=grad)
    v = torch.randn(p["B"], p["Hkv"], p["Skv"], p["D"], device="cuda", dtype=dt, requires_grad=grad)
    ctx.state["sdpa_inputs"] = (key, (q, k, v))
    return q, k, v


def _sdpa_teardown(ctx):
    ctx.state["sdpa_inputs"] = None


def _sdpa_case(ctx, p):
    torch, F = ctx.torch, ctx.F
    q, k, v = _sdpa_inputs(ctx, p)
    B, H, Hkv, Sq, Skv, D = p["B"], p["H"], p["Hkv"], p["Sq"], p["Skv"], p["D"]
    causal = bool(p["causal"])
    gqa = p.get("gqa")
    kw = {"is_causal": causal}
    es = 2
    extra_bytes = 0
    if gqa == "enable_gqa":
        kw["enable_gqa"] = True
        kk, vv = k, v
    elif gqa == "expanded":
        rep = H // Hkv
        kk = k.repeat_interleave(rep, dim=1)
        vv = v.repeat_interleave(rep, dim=1)
    else:
        kk, vv = k, v
    if gqa == "expand_in_loop":
        rep = H // Hkv

        def fn():
            k2 = k.repeat_interleave(rep, dim=1)
            v2 = v.repeat_interleave(rep, dim=1)
            return F.scaled_dot_product_attention(q, k2, v2, **kw)
        extra_bytes = 2 * es * (B * Hkv * Skv * D + B * H * Skv * D)  # read kv, write expanded kv
        kv_heads_read = H
    elif p["mode"] == "fwd_bwd":
        do = torch.randn_like(q)

        def fn():
            o = F.scaled_dot_product_attention(q, kk, vv, **kw)
            return torch.autograd.grad(o, (q, kk, vv), do)
        kv_heads_read = kk.shape[1]
    else:
        def fn():
            return F.scaled_dot_product_attention(q, kk, vv, **kw)
        kv_heads_read = kk.shape[1]
    flops = 4.0 * B * H * Sq * Skv * D
    if causal and Sq == Skv:
        flops /= 2.0
    if p["mode"] == "fwd_bwd":
        flops *= 3.5
    nbytes = es * (2 * B * H * Sq * D + 2 * B * kv_heads_read * Skv * D) + extra_bytes
    if p["mode"] == "fwd_bwd":
        nbytes *= 2.5
    res = {}
    with _sdpa_ctx(ctx, p["backend"]):
        with warnings.catch_warnings(record=True) as wlist:
            warnings.simplefilter("always")
            try:
                o = fn()
                torch.cuda.synchronize()
                del o
            except Exception as e:
                msgs = [str(w.message) for w in wlist][:6]
                return {"error": _short(e, 800), "warnings": [m[:400] for m in msgs]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = bench(ctx, fn, ws_bytes=nbytes)
            if p.get("profile"):
                res.update(profile_kernels(ctx, fn))
    add_rates(res, flops=int(flops), nbytes=int(nbytes))
    res["flops_definition"] = ("4*B*H*Sq*Skv*D, /2 if causal and Sq==Skv; fwd_bwd = 3.5 x fwd "
                               "(2 fwd + 5 bwd matmuls)")
    res["bytes_definition"] = ("q read + out write + k,v read (of the tensors SDPA sees; expand_in_loop adds "
                               "the repeat_interleave traffic); fwd_bwd = 2.5 x fwd bytes (estimate)")
    return res


# ----------------------------------------------------------------------------------------
# Section: rowwise
# ----------------------------------------------------------------------------------------

ROWWISE_OPS = ["softmax", "layer_norm", "rms_norm"]


def _rowwise_shapes():
    shapes = []
    for R in (8, 64, 512, 4096, 32768):
        for C in (128, 1024, 4096, 32000):
            shapes.append((R, C))
    for s in ((131072, 128), (8, 32000), (4096, 32768), (16384, 50257)):
        if s not in shapes:
            shapes.append(s)
    return shapes


def plan_rowwise(ctx):
    cases = []
    for (R, C) in _rowwise_shapes():
        for op in ROWWISE_OPS:
            cases.append(Case("%s_bf16_r%d_c%d" % (op, R, C), {"op": op, "rows": R, "cols": C, "dtype": "bf16"},
                              _rowwise_case, 0.05))
        if C >= 32000:
            for op in ("cross_entropy_fwd", "cross_entropy_fwd_bwd"):
                cases.append(Case("%s_r%d_c%d" % (op, R, C),
                                  {"op": op, "rows": R, "cols": C, "dtype": "bf16 logits -> .float()"},
                                  _rowwise_case, 0.08))
    return cases


def _rowwise_case(ctx, p):
    torch, F = ctx.torch, ctx.F
    R, C, op = p["rows"], p["cols"], p["op"]
    x = torch.randn(R, C, device="cuda", dtype=torch.bfloat16)
    res_extra = {}
    if op == "softmax":
        fn = lambda: torch.softmax(x, dim=-1)  # noqa: E731
        nbytes = 2 * 2 * R * C
        bdef = "read + write bf16"
    elif op == "layer_norm":
        w = torch.ones(C, device="cuda", dtype=torch.bfloat16)
        b = torch.zeros(C, device="cuda", dtype=torch.bfloat16)
        fn = lambda: F.layer_norm(x, (C,), w, b)  # noqa: E731
        nbytes = 2 * 2 * R * C + 2 * 2 * C
        bdef = "read x + write y (bf16) + weight + bias"
    elif op == "rms_norm":
        if not hasattr(F, "rms_norm"):
            return {"error": "torch.nn.functional.rms_norm not available"}
        w = torch.ones(C, device="cuda", dtype=torch.bfloat16)
        fn = lambda: F.rms_norm(x, (C,), weight=w)  # noqa: E731
        nbytes = 2 * 2 * R * C + 2 * C
        bdef = "read x + write y (bf16) + weight"
    elif op in ("cross_entropy_fwd", "cross_entropy_fwd_bwd"):
        labels = torch.randint(0, C, (R,), device="cuda")
        if op == "cross_entropy_fwd":
            fn = lambda: F.cross_entropy(x.float(), labels)  # noqa: E731
            nbytes = 14 * R * C
            bdef = ("unfused PyTorch path: cast bf16->fp32 (2+4 B/elem) + log_softmax fp32 (4+4 B/elem) "
                    "= 14 B/elem; logical_bytes = bf16 logits read once")
        else:
            xg = x.detach().requires_grad_(True)
            fn = lambda: torch.autograd.grad(F.cross_entropy(xg.float(), labels), xg)  # noqa: E731
            nbytes = 36 * R * C
            bdef = ("unfused estimate: fwd 14 B/elem + bwd (nll grad 4 + log_softmax bwd 12 + cast bwd 6) "
                    "= 36 B/elem; logical_bytes = bf16 logits read + bf16 grad written")
        res_extra["logical_bytes"] = 2 * R * C * (1 if op == "cross_entropy_fwd" else 2)
    else:
        raise ValueError(op)
    res = bench(ctx, fn, ws_bytes=nbytes)
    res.update(res_extra)
    add_rates(res, nbytes=nbytes)
    res["bytes_definition"] = bdef
    if "logical_bytes" in res and res.get("time_us_median"):
        res["logical_gb_per_s"] = res["logical_bytes"] / (res["time_us_median"] * 1e-6) / 1e9
    return res


# ----------------------------------------------------------------------------------------
# Section: mlp (memory-level parallelism; CuPy RawKernel)
# ----------------------------------------------------------------------------------------

MLP_TYPES = {4: ("float", "v"), 8: ("float2", "(v.x + v.y)"), 16: ("float4", "((v.x + v.y) + (v.z + v.w))")}
MLP_GRIDS = [0.125, 0.25, 0.5, 1, 2, 4, 8, "wave", "full"]
MLP_BUFFER_BYTES = 2 * GiB
MLP_MIN_READ_BYTES = 256 * MiB
CHASE_SIZES = [16 * KiB, 256 * KiB, 4 * MiB, 32 * MiB, 128 * MiB, 1 * GiB]
CHASE_STRIDE = 256


def mlp_kernel_source(width, ilp):
    """NVRTC source for a grid-stride read kernel with `ilp` independent loads of `width` bytes."""
    T, SUM = MLP_TYPES[width]
    name = "fmsim_read_w%d_ilp%d" % (width, ilp)
    src = """
extern "C" __global__ void %(name)s(const %(T)s* __restrict__ p, long long n, float* __restrict__ out)
{
    const long long nthreads = (long long)gridDim.x * (long long)blockDim.x;
    long long i = (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
    float acc = 0.0f;
    for (; i + %(ilpm1)d * nthreads < n; i += %(ilp)d * nthreads) {
        %(T)s r[%(ilp)d];
#pragma unroll
        for (int j = 0; j < %(ilp)d; ++j) r[j] = p[i + j * nthreads];
#pragma unroll
        for (int j = 0; j < %(ilp)d; ++j) { %(T)s v = r[j]; acc += %(SUM)s; }
    }
    for (; i < n; i += nthreads) { %(T)s v = p[i]; acc += %(SUM)s; }
    if (acc == 123.456f) out[0] = acc;
}
""" % {"name": name, "T": T, "SUM": SUM, "ilp": ilp, "ilpm1": ilp - 1}
    return name, src


CHASE_SOURCE = """
extern "C" __global__ void fmsim_chase(const unsigned int* p, long long steps, unsigned int start,
                                       unsigned int* out)
{
    unsigned int j = start;
    for (long long s = 0; s < steps; ++s) j = p[j];
    out[0] = j;
}
"""


def mlp_configs():
    """(threads, width, ilp, grid) tuples, deduplicated; <= ~60."""
    cfgs = []

    def add(t, w, i, g):
        c = (t, w, i, g)
        if c not in cfgs:
            cfgs.append(c)

    for t in (128, 256, 512, 1024):
        add(t, 16, 4, "wave")
    for w in (4, 8, 16):
        for i in (1, 2, 4, 8):
            add(256, w, i, "wave")
    for (w, i) in ((16, 1), (16, 4), (4, 1), (4, 8)):
        for g in MLP_GRIDS:
            add(256, w, i, g)
    for t in (128, 1024):
        for i in (1, 8):
            add(t, 16, i, 1)
    return cfgs


def plan_mlp(ctx):
    cases = []
    for (t, w, i, g) in mlp_configs():
        gname = g if isinstance(g, str) else ("%gxSM" % g).replace(".", "p")
        cases.append(Case("read_t%d_w%d_ilp%d_grid%s" % (t, w, i, gname),
                          {"threads_per_block": t, "vector_bytes": w, "ilp": i, "grid": g,
                           "grid_definition": "number = CTAs per SM x SM count; 'wave' = SMs x max resident "
                                              "CTAs/SM; 'full' = one ILP-group per thread, no striding",
                           "buffer_bytes": MLP_BUFFER_BYTES},
                          _mlp_read_case, 0.06))
    for size in CHASE_SIZES:
        cases.append(Case("pointer_chase_%s" % fmt_bytes(size),
                          {"buffer_bytes": size, "stride_bytes": CHASE_STRIDE, "threads": 1},
                          _mlp_chase_case, 0.15))
    return cases


def _mlp_setup(ctx):
    try:
        import cupy  # noqa: F401
        import numpy  # noqa: F401
    except Exception as e:
        raise SkipSection("cupy/numpy not importable: %s" % (_short(e, 200),))
    cp = cupy
    ctx.torch.cuda.synchronize()
    ctx.torch.cuda.empty_cache()
    info = {}
    try:
        info["cupy_version"] = cp.__version__
        info["cupy_runtime_version"] = cp.cuda.runtime.runtimeGetVersion()
        info["cupy_driver_version"] = cp.cuda.runtime.driverGetVersion()
        try:
            info["nvrtc_version"] = list(cp.cuda.nvrtc.getVersion())
        except Exception:
            pass
    except Exception as e:
        info["version_error"] = _short(e, 200)
    st = {"cp": cp, "np": numpy, "kernels": {}, "occ": {}}
    ctx.state["mlp"] = st
    try:
        k = _mlp_kernel(ctx, 16, 4)
        st["buf"] = cp.zeros(MLP_BUFFER_BYTES // 4, dtype=cp.float32)
        st["out"] = cp.zeros(4, dtype=cp.float32)
        # compile + launch once as a smoke test
        k((ctx.sm_count,), (256,), (st["buf"], numpy.int64(1024), st["out"]))
        cp.cuda.Device().synchronize()
        info["smoke_kernel_regs"] = int(k.num_regs)
    except Exception as e:
        ctx.state["mlp"] = None
        raise SkipSection("CuPy RawKernel/NVRTC failed: %s" % (_short(e, 400),))
    info["buffer_bytes"] = MLP_BUFFER_BYTES
    return info


def _mlp_teardown(ctx):
    st = ctx.state.get("mlp")
    ctx.state["mlp"] = None
    if st:
        try:
            st.clear()
            import cupy
            cupy.cuda.Device().synchronize()
            cupy.get_default_memory_pool().free_all_blocks()
        except Exception:
            pass


def _mlp_kernel(ctx, width, ilp):
    st = ctx.state["mlp"]
    key = (width, ilp)
    if key not in st["kernels"]:
        name, src = mlp_kernel_source(width, ilp)
        k = st["cp"].RawKernel(src, name)
        if hasattr(k, "compile"):
            k.compile()  # NVRTC now, so compile time stays out of the timings
        st["kernels"][key] = k
    return st["kernels"][key]


def _blocks_per_sm(ctx, kern, threads):
    st = ctx.state["mlp"]
    key = (id(kern), threads)
    if key in st["occ"]:
        return st["occ"][key]
    cp = st["cp"]
    res = None
    try:
        f = getattr(cp.cuda.driver, "occupancyMaxActiveBlocksPerMultiprocessor", None)
        if f is not None:
            res = (int(f(kern.kernel.ptr, threads, 0)), "occupancy_api")
    except Exception:
        res = None
    if res is None:
        try:
            regs = int(kern.num_regs)
        except Exception:
            regs = 32
        maxthr = int(getattr(ctx.props, "max_threads_per_multi_processor", 2048) or 2048)
        regs_sm = int(getattr(ctx.props, "regs_per_multiprocessor", 65536) or 65536)
        bps = min(maxthr // threads, 32, regs_sm // max(1, regs * threads))
        res = (max(1, bps), "estimated_from_registers")
    st["occ"][key] = res
    return res


def _cupy_time_ms(cp, launch, reps):
    s, e = cp.cuda.Event(), cp.cuda.Event()
    s.record()
    for _ in range(reps):
        launch()
    e.record()
    e.synchronize()
    return cp.cuda.get_elapsed_time(s, e) / reps


def _mlp_read_case(ctx, p):
    st = ctx.state["mlp"]
    cp, np = st["cp"], st["np"]
    t, w, ilp, g = p["threads_per_block"], p["vector_bytes"], p["ilp"], p["grid"]
    kern = _mlp_kernel(ctx, w, ilp)
    bps, occ_src = _blocks_per_sm(ctx, kern, t)
    sms = ctx.sm_count
    buf, out = st["buf"], st["out"]

    def grid_for(n_vec):
        if g == "wave":
            return sms * bps
        if g == "full":
            return int(min(2 ** 31 - 1, max(1, -(-n_vec // (t * ilp)))))
        return max(1, int(round(g * sms)))

    # probe on MLP_MIN_READ_BYTES to size the read so one launch takes ~3 ms (but >= 256 MiB)
    n_probe = MLP_MIN_READ_BYTES // w
    grid = grid_for(n_probe)
    launch = lambda: kern((grid,), (t,), (buf, np.int64(n_probe), out))  # noqa: E731
    launch()
    t_probe = _cupy_time_ms(cp, launch, 1)
    read_bytes = MLP_MIN_READ_BYTES * max(1.0, 3.0 / max(t_probe, 1e-3))
    read_bytes = int(min(MLP_BUFFER_BYTES, read_bytes)) // (w * 1024) * (w * 1024)
    n_vec = read_bytes // w
    grid = grid_for(n_vec)
    launch = lambda: kern((grid,), (t,), (buf, np.int64(n_vec), out))  # noqa: E731
    launch()
    est = _cupy_time_ms(cp, launch, 1)
    reps = max(1, min(50, int(8.0 / max(est, 1e-3))))
    times = [_cupy_time_ms(cp, launch, reps) * 1e3 for _ in range(3)]
    tm = median(times)
    resident_ctas = min(grid, sms * bps)
    resident_threads = resident_ctas * t
    res = {"grid_ctas": grid, "blocks_per_sm_max": bps, "occupancy_source": occ_src,
           "resident_ctas": resident_ctas, "resident_threads": resident_threads,
           "bytes_in_flight": resident_threads * ilp * w,
           "bytes_in_flight_definition": "resident threads x ILP x vector bytes (upper bound: loads a thread "
                                         "has issued before its first use)",
           "read_bytes": read_bytes, "time_us_median": tm, "time_us_min": min(times),
           "reps_per_sample": reps, "n_samples": 3,
           "l2_mode": "not_flushed_read_region_ge_256MiB",
           "read_gb_per_s": read_bytes / (tm * 1e-6) / 1e9,
           "read_gb_per_s_best": read_bytes / (min(times) * 1e-6) / 1e9}
    try:
        res["kernel_regs"] = int(kern.num_regs)
    except Exception:
        pass
    return res


def _mlp_chase_case(ctx, p):
    st = ctx.state["mlp"]
    cp, np = st["cp"], st["np"]
    if "chase" not in st["kernels"]:
        st["kernels"]["chase"] = cp.RawKernel(CHASE_SOURCE, "fmsim_chase")
    kern = st["kernels"]["chase"]
    size, stride = p["buffer_bytes"], p["stride_bytes"]
    sw = stride // 4
    n_nodes = size // stride
    perm = cp.random.permutation(n_nodes).astype(cp.uint32)
    nxt = cp.empty(n_nodes, dtype=cp.uint32)
    nxt[perm] = cp.roll(perm, -1)
    buf = cp.zeros(size // 4, dtype=cp.uint32)
    buf[::sw] = nxt * cp.uint32(sw)
    del perm, nxt
    outb = cp.zeros(1, dtype=cp.uint32)
    if size <= 64 * KiB:
        steps = 200000
    elif size <= 32 * MiB:
        steps = 100000
    else:
        steps = 30000
    cache_resident = size <= 32 * MiB
    state = {"start": 0}

    def launch(nsteps):
        kern((1,), (1,), (buf, np.int64(nsteps), np.uint32(state["start"]), outb))

    # warm: traverse the whole cycle for cache-resident sizes; short for DRAM sizes
    launch(n_nodes + 1000 if cache_resident else 1000)
    cp.cuda.Device().synchronize()
    state["start"] = int(outb.get()[0])
    times = []
    for _ in range(3):
        s, e = cp.cuda.Event(), cp.cuda.Event()
        s.record()
        launch(steps)
        e.record()
        e.synchronize()
        times.append(cp.cuda.get_elapsed_time(s, e) * 1e6 / steps)  # ns per load
        state["start"] = int(outb.get()[0])  # continue the chain (DRAM sizes: always new lines)
    del buf
    return {"n_nodes": n_nodes, "steps": steps, "footprint_lines_bytes": n_nodes * 128,
            "footprint_sectors_bytes": n_nodes * 32, "ns_per_load": median(times), "ns_per_load_min": min(times),
            "warm_pass": "full cycle" if cache_resident else "1000 steps (chain continues; lines are cold)",
            "note": "one thread, dependent 4-byte loads, random cyclic permutation, stride %d B; includes TLB "
                    "effects; launch overhead amortised over steps" % stride}


# ----------------------------------------------------------------------------------------
# Section: training (optimizer step, autocast)
# ----------------------------------------------------------------------------------------


def gpt2_124m_shapes():
    V, P, D, L = 50257, 1024, 768, 12
    shapes = [(V, D), (P, D)]
    for _ in range(L):
        shapes += [(D,), (D,), (D, 3 * D), (3 * D,), (D, D), (D,), (D,), (D,), (D, 4 * D), (4 * D,),
                   (4 * D, D), (D,)]
    shapes += [(D,), (D,)]
    return shapes


def big_1b_shapes():
    return [(8192, 16384)] * 8


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def plan_training(ctx):
    cases = []
    n124 = sum(_numel(s) for s in gpt2_124m_shapes())
    n1b = sum(_numel(s) for s in big_1b_shapes())
    for impl in ("fused", "foreach", "per_tensor"):
        cases.append(Case("adamw_%s_gpt2_124m" % impl,
                          {"impl": impl, "param_set": "gpt2_124m", "n_tensors": len(gpt2_124m_shapes()),
                           "n_params": n124, "dtype": "fp32 params/grads/states"}, _adamw_case, 0.5))
    for impl in ("fused", "foreach"):
        cases.append(Case("adamw_%s_1b" % impl,
                          {"impl": impl, "param_set": "1b_8x8192x16384", "n_tensors": len(big_1b_shapes()),
                           "n_params": n1b, "dtype": "fp32 params/grads/states"}, _adamw_case, 1.0))
    for mode in ("autocast_new_region_each_call", "autocast_cached_same_region", "pure_bf16", "fp32_no_autocast"):
        cases.append(Case("linear4096_" + mode, {"mode": mode, "in_features": AUTOCAST_N, "out_features": AUTOCAST_N,
                                                 "batch_rows": AUTOCAST_N, "bias": True, "grad_enabled": True},
                          _autocast_case, 0.2))
    return cases


def _adamw_case(ctx, p):
    torch = ctx.torch
    shapes = gpt2_124m_shapes() if p["param_set"] == "gpt2_124m" else big_1b_shapes()
    params = []
    for s in shapes:
        t = torch.randn(*s, device="cuda", dtype=torch.float32).mul_(0.02).requires_grad_(True)
        t.grad = torch.randn_like(t).mul_(1e-3)
        params.append(t)
    kw = {"fused": {"fused": True}, "foreach": {"foreach": True}, "per_tensor": {"foreach": False}}[p["impl"]]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.1, **kw)
    n = sum(t.numel() for t in params)
    res = bench(ctx, opt.step, mode="loop", warmup=2)
    add_rates(res, nbytes=28 * n)
    res["bytes_definition"] = "28 B/param: read p, g, m, v + write p, m, v (fp32)"
    res["n_params_actual"] = n
    del opt, params
    return res


AUTOCAST_N = 4096


def _autocast_case(ctx, p):
    torch = ctx.torch
    mode = p["mode"]
    n = AUTOCAST_N
    lin = torch.nn.Linear(n, n, bias=True).cuda()
    x = torch.randn(n, n, device="cuda")
    flops = 2 * n ** 3
    res = {}
    if mode == "autocast_new_region_each_call":
        def fn():
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return lin(x)
        res = bench(ctx, fn, mode="loop")
    elif mode == "autocast_cached_same_region":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            res = bench(ctx, lambda: lin(x), mode="loop")
    elif mode == "pure_bf16":
        lb = torch.nn.Linear(n, n, bias=True).cuda().to(torch.bfloat16)
        xb = x.to(torch.bfloat16)
        res = bench(ctx, lambda: lb(xb), mode="loop")
    elif mode == "fp32_no_autocast":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res["float32_matmul_precision"] = torch.get_float32_matmul_precision()
            except Exception:
                pass
        res.update(bench(ctx, lambda: lin(x), mode="loop"))
    else:
        raise ValueError(mode)
    add_rates(res, flops=flops)
    res["note"] = ("new_region: every call enters torch.autocast, so the fp32 weight is cast to bf16 each time "
                   "(the 'first call' cost); cached: calls inside one region reuse the cached bf16 weight")
    return res


# ----------------------------------------------------------------------------------------
# Section table, setup of torch/NVML, main
# ----------------------------------------------------------------------------------------


def _warm_setup(seconds):
    def setup(ctx):
        info = {"gpu_state_start": nvml_snapshot(ctx)}
        try:
            info.update(gpu_warm(ctx, seconds) or {})
        except Exception as e:
            info["warm_error"] = _short(e, 200)
        return info
    return setup


def _snapshot_setup(ctx):
    return {"gpu_state_start": nvml_snapshot(ctx)}


def build_sections():
    return [
        Section("provenance", "provenance",
                "GPU, driver, CUDA/cuDNN/torch/triton/cupy/transformers versions, NVML power limits and clocks, "
                "SDPA and matmul precision flags", plan_provenance, fixed_est_s=0.5),
        Section("launch", "launch/dispatch overheads",
                "host enqueue cost per eager op, CUDA-graph per-kernel gap, single tiny op device time, "
                "synchronize round trip, host dispatch cost of common ops",
                plan_launch, setup=_snapshot_setup),
        Section("stream", "streaming efficiency",
                "bandwidth vs size for copy/add/GELU (bf16) and fp32 copy, 4 KiB..4 GiB, bytes read+written",
                plan_stream, setup=_warm_setup(0.5), fixed_est_s=0.5),
        Section("gemm", "GEMM rate by shape/alignment/instruction path",
                "torch.matmul bf16/fp16/fp32(TF32 on/off) and torch._scaled_mm fp8 over squares, LLM shapes "
                "and misaligned dims; kernel names for a subset via torch.profiler",
                plan_gemm, setup=_warm_setup(0.3), fixed_est_s=3.0),
        Section("power", "idle/loaded board power and clocks",
                "NVML power/clock/temperature/clock-event-reason sampling at ~50 Hz and energy counter while "
                "idle and under sustained GEMM/fp8 GEMM/copy/add; energy per FLOP and per byte",
                plan_power, setup=_power_setup, teardown=_power_teardown,
                notes="read-only NVML; no GPU setting is changed"),
        Section("sdpa", "attention backends",
                "scaled_dot_product_attention per forced backend (flash, cuDNN, efficient, math) and default "
                "(kernel names profiled): prefill, training fwd+bwd, decode, GQA decode",
                plan_sdpa, setup=_warm_setup(0.3), teardown=_sdpa_teardown, fixed_est_s=5.0),
        Section("rowwise", "row-wise kernels",
                "softmax, layer_norm, rms_norm (bf16) and fp32 cross-entropy fwd / fwd+bwd over rows x cols",
                plan_rowwise, setup=_warm_setup(0.2)),
        Section("mlp", "streaming efficiency & memory-level parallelism",
                "CuPy read kernel sweeping CTAs, threads/CTA, vector width, loads in flight; pointer-chase "
                "latency for L1/L2/DRAM-sized buffers", plan_mlp, setup=_mlp_setup, teardown=_mlp_teardown,
                fixed_est_s=5.0),
        Section("training", "optimizer & autocast costs",
                "AdamW step (fused/foreach/per-tensor) for GPT-2 124M and ~1B parameter sets; nn.Linear under "
                "autocast first-call vs cached vs pure bf16", plan_training, setup=_warm_setup(0.2)),
    ]


def init_nvml(ctx):
    try:
        import pynvml as nv
    except Exception as e:
        ctx.state["nvml_error"] = "import pynvml failed: %s" % (_short(e, 200),)
        return
    try:
        nv.nvmlInit()
    except Exception as e:
        ctx.state["nvml_error"] = "nvmlInit failed: %s" % (_short(e, 200),)
        return
    ctx.nv = nv
    h = None
    match = None
    try:
        cnt = nv.nvmlDeviceGetCount()
        tuuid = uuid_hex(getattr(ctx.props, "uuid", ""))
        if len(tuuid) >= 16:
            for i in range(cnt):
                hi = nv.nvmlDeviceGetHandleByIndex(i)
                if uuid_hex(_nv_str(nv.nvmlDeviceGetUUID(hi))) == tuuid:
                    h, match = hi, "uuid"
                    break
        if h is None:
            h = nv.nvmlDeviceGetHandleByIndex(0)
            match = "index0 (uuid match failed; %d NVML devices)" % cnt
    except Exception as e:
        ctx.state["nvml_error"] = "NVML handle: %s" % (_short(e, 200),)
        ctx.nv = None
        return
    ctx.nv_handle = h
    ctx.state["nvml_match"] = match


def init_torch(ctx):
    import torch
    import torch.nn.functional as F
    if not torch.cuda.is_available():
        raise RuntimeError("torch.cuda.is_available() is False")
    torch.cuda.set_device(0)
    ctx.torch = torch
    ctx.F = F
    ctx.props = torch.cuda.get_device_properties(0)
    ctx.sm_count = int(ctx.props.multi_processor_count)
    l2 = getattr(ctx.props, "L2_cache_size", None) or getattr(ctx.props, "l2_cache_size", None)
    ctx.l2_bytes = int(l2) if l2 else 50 * MiB
    ctx.state["l2_source"] = "torch props" if l2 else "default 50 MiB (props lack L2_cache_size)"
    ctx.flush_threshold = 4 * ctx.l2_bytes
    ctx.flush_buf = torch.empty(ctx.args.flush_mib * MiB, dtype=torch.int8, device="cuda")
    ctx.flush_buf.zero_()
    torch.cuda.synchronize()
    s, e = _ev(ctx), _ev(ctx)
    s.record()
    for _ in range(10):
        ctx.flush_buf.zero_()
    e.record()
    e.synchronize()
    ctx.flush_ms = s.elapsed_time(e) / 10.0
    if hasattr(torch.cuda, "_sleep"):
        torch.cuda._sleep(ctx.sleep_cycles)
        s.record()
        torch.cuda._sleep(ctx.sleep_cycles)
        e.record()
        e.synchronize()
        ctx.sleep_pad_ms = max(0.005, s.elapsed_time(e))


def default_out_path(ctx):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ver = ctx.torch.__version__.split("+")[0].split(".")
    mm = ".".join(ver[:2])
    return os.path.join(root, "configs", "measured", "%s-pytorch-%s.json" % (device_slug(ctx.props.name), mm))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="output JSON (default configs/measured/<slug>-pytorch-<M.m>.json)")
    ap.add_argument("--budget-s", type=float, default=270.0, help="global time budget in seconds (default 270)")
    ap.add_argument("--hard-timeout-s", type=float, default=None,
                    help="watchdog: write partial JSON and exit(3) after this many seconds (default budget+90)")
    ap.add_argument("--only", default=None, help="comma-separated sections to run (provenance always runs)")
    ap.add_argument("--skip", default=None, help="comma-separated sections to skip")
    ap.add_argument("--case-filter", default=None, help="run only cases whose name contains this substring")
    ap.add_argument("--dry-run", action="store_true", help="list sections and cases; needs no torch")
    ap.add_argument("--target-ms", type=float, default=30.0, help="timed GPU work per case (default 30 ms)")
    ap.add_argument("--flush-mib", type=int, default=256, help="L2 flush buffer size in MiB (default 256)")
    ap.add_argument("--no-flush", action="store_true", help="never flush L2 (back-to-back loops only)")
    ap.add_argument("--no-profile", action="store_true", help="skip torch.profiler kernel-name capture")
    ap.add_argument("--max-profiles", type=int, default=45, help="cap on profiler sessions (default 45)")
    ap.add_argument("--max-profile-s", type=float, default=30.0,
                    help="cap on total seconds spent in profiler sessions (default 30)")
    return ap.parse_args(argv)


def dry_run(args, sections, out=log):
    ctx = Ctx(args=args)
    total_cases = 0
    total_est = 5.0
    for sec in sections:
        cases = list(sec.plan(ctx))
        if args.case_filter and sec.name != "provenance":
            cases = [c for c in cases if args.case_filter in c.name]
        est = sec.fixed_est_s + sum(c.est_s for c in cases)
        total_cases += len(cases)
        total_est += est
        out("section %s (%d cases, ~%.0f s est): %s" % (sec.name, len(cases), est, sec.family))
        for c in cases:
            out("  %s/%s %s" % (sec.name, c.name, json.dumps(c.params, sort_keys=True)))
    out("TOTAL %d cases in %d sections, ~%.0f s estimated (budget %.0f s)"
        % (total_cases, len(sections), total_est, args.budget_s))
    return 0


class _Watchdog(threading.Thread):
    def __init__(self, rec, deadline_s, clock=time.monotonic):
        threading.Thread.__init__(self, daemon=True)
        self.rec = rec
        self.t0 = clock()
        self.deadline_s = deadline_s
        self.clock = clock
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(1.0):
            if self.clock() - self.t0 > self.deadline_s:
                log("HARD TIMEOUT after %.0f s: writing partial results and exiting" % self.deadline_s)
                try:
                    self.rec.data["status"]["hard_timeout"] = True
                    self.rec.data["status"]["elapsed_s"] = round(self.clock() - self.t0, 3)
                    self.rec.write(lock_timeout=5.0)
                except Exception:
                    pass
                os._exit(3)


def main(argv=None):
    args = parse_args(argv)
    all_secs = build_sections()
    try:
        sections = select_sections(all_secs, args.only, args.skip)
    except ValueError as e:
        log("error: %s" % e)
        return 2
    if args.dry_run:
        return dry_run(args, sections)

    budget = Budget(args.budget_s)
    warnings.filterwarnings("once")
    settings = {
        "budget_s": args.budget_s, "target_ms_per_case": args.target_ms,
        "sections": [s.name for s in sections], "case_filter": args.case_filter,
        "l2_flush": None, "timing": "CUDA events; 3 warm-up calls; medians/minimums in microseconds",
        "data": "torch.randn (normal) for GEMM/SDPA/rowwise inputs, uniform(-2,2) for streams; zeros only in "
                "cases named *_zeros", "profiling": not args.no_profile, "max_profiles": args.max_profiles,
        "max_profile_s": args.max_profile_s,
    }
    ctx = Ctx(args=args, budget=budget)
    rec = Recorder(args.out, settings)
    ctx.rec = rec
    try:
        init_torch(ctx)
    except Exception as e:
        msg = "torch/CUDA initialisation failed: %s" % (_short(e),)
        log(msg)
        if not rec.path:
            rec.path = os.path.join(os.getcwd(), "fmsim-calibration-failed.json")
        rec.data["errors"].append({"section": None, "case": None, "error": msg})
        rec.data["status"]["fatal"] = msg
        rec.write()
        return 1
    if not rec.path:
        rec.path = default_out_path(ctx)
    settings["l2_flush"] = ("before each timed rep write a %d MiB buffer (zero_, %.1f us) when the case's working "
                            "set < 4 x L2 (%d bytes): l2_mode='flush'; larger working sets run back-to-back "
                            "(l2_mode='loop'); l2_mode='hot' pads with torch.cuda._sleep instead (L2 warm)"
                            % (args.flush_mib, ctx.flush_ms * 1e3, ctx.l2_bytes))
    settings["l2_bytes"] = ctx.l2_bytes
    settings["l2_source"] = ctx.state.get("l2_source")
    settings["flush_buffer_bytes"] = args.flush_mib * MiB
    settings["flush_threshold_bytes"] = ctx.flush_threshold
    settings["flush_us"] = ctx.flush_ms * 1e3
    settings["sleep_pad_us"] = ctx.sleep_pad_ms * 1e3
    init_nvml(ctx)
    log("[%7.1fs] fmsim calibration: %s, %d SMs, L2 %d MiB, torch %s -> %s"
        % (budget.elapsed(), ctx.props.name, ctx.sm_count, ctx.l2_bytes // MiB, ctx.torch.__version__, rec.path))
    rec.write()

    wd = _Watchdog(rec, args.hard_timeout_s or (args.budget_s + 90.0))
    wd.start()

    def _on_term(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    try:
        signal.signal(signal.SIGTERM, _on_term)
    except Exception:
        pass
    rc = 0
    try:
        run_sections(ctx, sections, rec, budget, case_filter=args.case_filter)
        rec.data["status"]["complete"] = True
    except KeyboardInterrupt as e:
        rec.data["status"]["interrupted"] = str(e) or "KeyboardInterrupt"
        log("interrupted: writing partial results")
        rc = 130
    finally:
        try:
            with rec.lock:
                rec.data["provenance"]["nvml_end"] = nvml_snapshot(ctx)
        except Exception:
            pass
        rec.data["status"]["elapsed_s"] = round(budget.elapsed(), 3)
        rec.data["status"]["finished_utc"] = _utc_now()
        rec.data["status"]["budget_exhausted"] = not budget.allows()
        rec.data["status"]["n_cases"] = sum(len(s["cases"]) for s in rec.data["sections"].values())
        rec.data["status"]["n_errors"] = len(rec.data["errors"])
        rec.data["status"]["n_skipped"] = len(rec.data["skipped"])
        rec.data["status"]["profiler_sessions"] = ctx.profiles_done
        rec.data["status"]["profiler_wall_s"] = round(ctx.profile_wall_s, 3)
        rec.write()
        wd.done.set()
    st = rec.data["status"]
    log("[%7.1fs] done: %d cases, %d errors, %d skipped -> %s"
        % (budget.elapsed(), st["n_cases"], st["n_errors"], st["n_skipped"], rec.path))
    return rc


if __name__ == "__main__":
    sys.exit(main())
