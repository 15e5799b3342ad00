#!/usr/bin/env bash
# The sanitizer job: builds fmsim and the unit tests with AddressSanitizer and UBSan (gcc,
# -fsanitize=address,undefined, any report fatal) in build-sanitize/, and runs the unit and CLI
# tests under them (ctest -L 'unit|cli'). docs/development.md. Exit non-zero on any failure or report.
#   scripts/sanitize.sh [--build-dir DIR]   (default build-sanitize)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-sanitize"
if [ "${1:-}" = "--build-dir" ]; then build="$2"; fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFMSIM_SANITIZE=ON -DFMSIM_BUILD_GUI=OFF >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target fmsim fmsim_unit_tests
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
ctest --test-dir "$build" -L 'unit|cli' --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
