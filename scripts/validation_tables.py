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
