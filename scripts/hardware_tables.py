#!/usr/bin/env python3
"""Prints the preset tables of docs/hardware.md from `fmsim hardware show NAME --json`.

Usage: scripts/hardware_tables.py [path/to/fmsim]   (default build/fmsim)
"""
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
fmsim = sys.argv[1] if len(sys.argv) > 1 else str(root / "build" / "fmsim")
DTYPES = ["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"]


def num(v):
    return f"{v:g}" if abs(v - round(v)) > 1e-9 else str(int(round(v)))


names = sorted(p.stem for p in (root / "configs" / "hardware").glob("*.json"))
rows, peaks = [], []
for n in names:
    j = json.loads(subprocess.run([fmsim, "hardware", "show", n, "--json"], check=True, capture_output=True,
                                  text=True).stdout)
    spec = json.loads((root / "configs" / "hardware" / f"{n}.json").read_text())
    eng = spec["cores"]["matrix_engine"]
    engine = f"{eng['units_per_core']} x {eng['kind'].replace('_', ' ')} {'x'.join(str(s) for s in eng['shape'])}"
    p = j["peak_matrix_flops_per_s"]
    dtype = next(d for d in ("bf16", "int8", "fp16", "fp32") if d in p)
    unit = "TOP/s" if dtype.startswith("int") else "TFLOP/s"
    rows.append(f"| `{n}` | {j['kind']} | {j['cores']} | {engine} | {num(j['sustained_clock_mhz'])} | "
                f"{p[dtype] / 1e12:.1f} {unit} {dtype} | {num(j['memory_bandwidth_bytes_per_s'] / 1e9)} | "
                f"{num(j['memory_capacity_bytes'] / 1e9)} | {num(j['tdp_w'])} | "
                f"{j['ridge_point_flops_per_byte'][dtype]:.0f} |")
    peaks.append(f"| `{n}` | " + " | ".join(f"{p[d] / 1e12:.1f}" if d in p else "–" for d in DTYPES) + " |")

print("| preset | kind | cores | matrix engine per core | sustained clock (MHz) | dense peak at sustained clock "
      "| memory bandwidth (GB/s) | capacity (GB) | TDP (W) | ridge point (FLOP/B, same dtype) |")
print("|---|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
print("\nDense matrix peaks at the sustained clock, all dtypes (TFLOP/s; TOP/s for int8/int4):\n")
print("| preset | " + " | ".join(DTYPES) + " |")
print("|---|" + "---|" * len(DTYPES))
print("\n".join(peaks))
