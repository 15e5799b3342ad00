#!/usr/bin/env bash
# Speed benchmark of issue 3: Llama-2-70B prefill (batch 8, 2048 tokens) and 256 decode steps
# after it (output_len 257: the prefill yields the first token), replayed on one device preset.
# Usage: bench/replay_llama2_70b.sh [HARDWARE] [RUNS]   (default a100-sxm-80gb, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
hw=${1:-a100-sxm-80gb}
runs=${2:-3}
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e s wall, %U s user, %M KB max RSS" \
    ./build/fmsim graph llama2-70b --phase generate --batch 8 --input-len 2048 --output-len 257 --hardware "$hw" \
    >/dev/null
done
