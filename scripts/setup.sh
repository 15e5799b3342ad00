#!/usr/bin/env bash
# Installs fmsim's Debian dependencies (skipped when already present) and builds it into build/.
# Idempotent: a second run only rebuilds what changed. `setup.sh --list-packages` prints the list.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Debian package the build uses, one per line; the ctest setup.packages (scripts/check-setup-packages.sh)
# fails when the build uses a package that is neither listed here nor a dependency of one listed.
packages=(
  g++ cmake make pkg-config
  python3              # calibrate/'s offline test
  libsystemc-dev       # SystemC: the device model and replay
  libboost-graph-dev   # Boost.Graph (header-only): graph passes
  nlohmann-json3-dev   # JSON configs and reports
  libcli11-dev         # the fmsim command line
  libsqlite3-dev       # the sweep results database
  libgtest-dev         # the test suite
  qt6-base-dev qt6-charts-dev qt6-svg-dev
  libqt6opengl6-dev    # Qt6Charts' CMake config requires Qt6OpenGL; Debian's qt6-charts-dev does not depend on it
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer and clang's sanitizer runtimes
)
if [ "${1:-}" = "--list-packages" ]; then printf '%s\n' "${packages[@]}"; exit 0; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
