#!/usr/bin/env bash
# Size ladder of issue 15: simulation time must stay bounded as the problem grows. Each rung is one
# `fmsim run` of a shipped scenario with its size pushed up; the script prints wall time and max
# RSS per rung and checks the targets: a single-device run under 5 s, a multi-device run under 10 s.
# Usage: bench/size_ladder.sh [FMSIM]   (default ./build/fmsim). Exit 1 if a rung misses its target
# or fails; rungs that a size guard refuses on purpose say so.
set -uo pipefail
cd "$(dirname "$0")/.."
fmsim=${1:-./build/fmsim}
status=0

rung() {  # rung TARGET_S LABEL SCENARIO [--set k=v ...]
  local target=$1 label=$2 scenario=$3; shift 3
  local t0 t1 out rc
  t0=$(date +%s.%N)
  out=$(/usr/bin/time -f "%M" "$fmsim" run "configs/scenarios/$scenario.json" "$@" 2>&1 >/dev/null)
  rc=$?
  t1=$(date +%s.%N)
  local wall rss
  wall=$(echo "$t1 - $t0" | bc)
  rss=$(echo "$out" | tail -1)
  if ((rc != 0)); then
    printf '%-58s exit %d: %s\n' "$label" "$rc" "$(echo "$out" | head -1)"; status=1; return
  fi
  local verdict=ok
  if (($(echo "$wall > $target" | bc))); then verdict="OVER ${target} s"; status=1; fi
  printf '%-58s %6.2f s  %7d KB  %s\n' "$label" "$wall" "$rss" "$verdict"
}

echo "# single device (target 5 s)"
rung 5 "llama2-7b generate b8 512+128 (default)" default
rung 5 "llama2-7b generate b1024 512+128" default --set batch=1024
rung 5 "llama2-7b generate b2^20 512+128" default --set batch=1048576
rung 5 "llama2-7b generate b8 1+4095 (whole context)" default --set input_len=1 --set output_len=4095
rung 5 "llama2-7b prefill b8 4096 (whole context)" default --set phase=prefill --set input_len=4096
rung 5 "llama2-13b generate b8 512+3584" default --set model=llama2-13b --set output_len=3584
rung 5 "llama3.1-8b generate b1 1024+130048 (128k tokens)" default --set model=llama3.1-8b --set batch=1 \
  --set input_len=1024 --set output_len=130048
rung 5 "llama3.1-8b prefill b1 131072" default --set model=llama3.1-8b --set batch=1 --set phase=prefill \
  --set input_len=131072
rung 5 "mixtral-8x7b prefill b1 32768 on mi300x" mixtral-8x7b-mi300x --set phase=prefill --set batch=1 \
  --set input_len=32768
rung 5 "mixtral-8x7b generate b2^20 on mi300x" mixtral-8x7b-mi300x --set batch=1048576
rung 5 "whisper-large generate b1000 on m2 max" whisper-large-m2max --set batch=1000
rung 5 "whisper-large generate b2^20 on m2 max" whisper-large-m2max --set batch=1048576
rung 5 "stable-diffusion-2.1 1000 steps on rtx4090" stable-diffusion-2.1-rtx4090 --set steps=1000
rung 5 "stable-diffusion-2.1 b4096 on rtx4090" stable-diffusion-2.1-rtx4090 --set batch=4096
rung 5 "vit-b16 encode b2^20 on tpu-v5e" vit-b16-tpu-v5e --set batch=1048576
echo "# multi-device (target 10 s)"
rung 10 "llama2-70b TP8 generate b32 2048+256 (shipped)" llama2-70b-8xh100
rung 10 "llama2-70b TP8 generate b2^20 2048+256" llama2-70b-8xh100 --set batch=1048576
rung 10 "llama2-70b TP8 generate b32 1+4095" llama2-70b-8xh100 --set input_len=1 --set output_len=4095
rung 10 "gpt3-175b training on 1024 h100 (shipped)" gpt3-175b-train-1024xh100
rung 10 "llama3.1-405b pretraining on 16384 h100 (shipped)" llama3.1-405b-pretrain-16384xh100
echo "# refused before anything is built (exit 2 expected)"
for args in "--set batch=9007199254740992" "--set input_len=2147483648" "--set model=mixtral-8x7b --set input_len=1024000"; do
  # shellcheck disable=SC2086
  "$fmsim" run configs/scenarios/default.json $args >/dev/null 2>/tmp/size_ladder_err.txt
  rc=$?
  printf '%-58s exit %d: %s\n' "$args" "$rc" "$(head -c 150 /tmp/size_ladder_err.txt)"
  ((rc == 2)) || status=1
done
exit $status
