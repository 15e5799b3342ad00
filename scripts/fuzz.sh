#!/usr/bin/env bash
# Builds the libFuzzer targets of the config loaders with clang (AddressSanitizer and UBSan on) in
# build-fuzz/, and fuzzes each from a seed corpus of the shipped configs. docs/development.md.
#
#   scripts/fuzz.sh                      build, then the 30-second smoke run (ctest -L fuzz)
#   scripts/fuzz.sh --seconds 3600       build, then an hour, split over the targets
#   scripts/fuzz.sh --target model --seconds 3600
#   --run-only                           skip configure and build (what the ctest itself calls)
#   --build-dir DIR                      default build-fuzz
#   FUZZ_SEED=N scripts/fuzz.sh ...      another input sequence (default seed 1)
#
# A finding (crash, sanitizer report, internal error, timeout) stops the run: the input is kept as
# DIR/fuzz/crash-* (or leak-*, timeout-*), and the script exits 1. Corpora grow in
# DIR/fuzz-corpus/TARGET and are reused by the next run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
seconds=30
only=""
run_only=0
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --target) only="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --run-only) run_only=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

targets=(scenario hardware model runtime)
[ -n "$only" ] && targets=("$only")

if ((!run_only)); then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFMSIM_FUZZ=ON \
    -DFMSIM_BUILD_TESTS=OFF -DFMSIM_BUILD_GUI=OFF -DFMSIM_FUZZ_SECONDS="$seconds" >/dev/null
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]/#/fmsim_fuzz_}"
  if [ -z "$only" ]; then
    ctest --test-dir "$build" -L fuzz --output-on-failure --no-tests=error
    exit $?
  fi
fi

seeds_of() {  # the shipped configs each target starts from
  case "$1" in
    scenario) echo "$root/configs/scenarios $root/tests/scenarios_bad" ;;
    hardware) echo "$root/configs/hardware" ;;
    model) echo "$root/configs/models $root/tests/data/hf $root/tests/data/bad_models" ;;
    runtime) echo "$root/configs/runtime" ;;
  esac
}

per_target=$(( seconds / ${#targets[@]} ))
((per_target >= 1)) || per_target=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  for d in $(seeds_of "$t"); do
    find "$d" -name '*.json' -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  done
  echo "fuzz.sh: $t for ${per_target} s from $(ls "$corpus" | wc -l) inputs"
  # A fixed seed (FUZZ_SEED, default 1) makes the smoke run a deterministic prefix of one input
  # sequence: a CI run explores what an earlier run explored, as far as its time allows.
  (cd "$build/fuzz" && ./"fmsim_fuzz_$t" "$corpus" -seed="${FUZZ_SEED:-1}" -max_total_time="$per_target" -timeout=20 \
     -rss_limit_mb=4096 \
     -print_final_stats=1 2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|fmsim fuzz|.*(crash|leak|timeout)-)' || true)
  if ls "$build/fuzz"/crash-* "$build/fuzz"/leak-* "$build/fuzz"/timeout-* >/dev/null 2>&1; then
    echo "fuzz.sh: FINDING for $t, input kept in $build/fuzz/" >&2
    exit 1
  fi
done
echo "fuzz.sh: ${#targets[@]} targets, ${per_target} s each: no finding"
