#!/usr/bin/env bash
# Speed benchmark of issue 5: Llama-3.1-405B pre-training on 16,384 H100 (TP 8, PP 16, DP 128,
# sequence 8192), the whole training-run report. Goal: under 10 s of wall time on one core.
# Usage: bench/train_llama3_405b.sh [RUNS]   (default 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e s wall, %U s user, %M KB max RSS" \
    ./build/fmsim run configs/scenarios/llama3.1-405b-pretrain-16384xh100.json --json /dev/null >/dev/null
done
