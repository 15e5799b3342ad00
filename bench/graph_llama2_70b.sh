#!/usr/bin/env bash
# The graph-building part of issue 3's benchmark: the same Llama-2-70B generation (prefill of batch
# 8 x 2048 tokens, 256 decode steps, 257 stage graphs) built and summarised without a replay.
# Usage: bench/graph_llama2_70b.sh [RUNS] [FMSIM]   (default 3 runs of ./build/fmsim)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
fmsim=${2:-./build/fmsim}
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e s wall, %U s user, %M KB max RSS" \
    "$fmsim" graph llama2-70b --phase generate --batch 8 --input-len 2048 --output-len 257 --json >/dev/null
done
