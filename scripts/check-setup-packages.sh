#!/usr/bin/env bash
# The package guard: fails when the build uses a Debian package that scripts/setup.sh neither
# installs nor pulls in as a dependency of a package it installs.
#
#   scripts/check-setup-packages.sh [--build-dir DIR] [--setup FILE]
#
# CI runs on a machine where every package is already installed, so a package missing from
# setup.sh's list builds there and fails on a fresh Debian 12 machine (issue 14: Qt6Charts' CMake
# config needs Qt6OpenGL, which Debian's qt6-charts-dev does not depend on). This check looks at
# what a configured and built tree really used:
#   1. the CMake cache: every *_DIR entry (the package's <Name>Config.cmake), the toolchain
#      (CMAKE_* tools, pkg-config) and the pkg-config modules' libraries (pkgcfg_lib_*);
#   2. the pkg-config modules that pkg_check_modules asked for (their .pc files);
#   3. the shared libraries each built executable links (ldd);
# maps each file to the Debian package that owns it (dpkg -S), and checks that every such package
# is in the dependency closure of setup.sh's list (apt-cache depends --recurse, without
# recommends or suggests, as setup.sh installs). Exit 0 when all are covered; exit 1 naming each
# missing package and the file that needs it; exit 2 when the tree is not configured.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="$root/build"
setup="$root/scripts/setup.sh"
while (($#)); do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --setup) setup="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "check-setup-packages: unknown argument '$1' (expected --build-dir DIR or --setup FILE)" >&2; exit 2 ;;
  esac
done
cache="$build_dir/CMakeCache.txt"
[ -f "$cache" ] || { echo "check-setup-packages: $cache not found: configure the build first (scripts/setup.sh)" >&2; exit 2; }
[ -f "$setup" ] || { echo "check-setup-packages: $setup not found" >&2; exit 2; }

# setup.sh's own list, as it prints it.
mapfile -t listed < <(bash "$setup" --list-packages)
((${#listed[@]})) || { echo "check-setup-packages: $setup --list-packages printed no package" >&2; exit 2; }

# The files the build used, one per line as "FILE<TAB>WHY".
used_files() {
  local key type value name f
  while IFS= read -r line; do
    key="${line%%:*}"; type="${line#*:}"; type="${type%%=*}"; value="${line#*=}"
    case "$value" in /*) ;; *) continue ;; esac
    if [ "$type" = PATH ] && [[ "$key" == *_DIR ]] && [ -d "$value" ]; then
      # The package's own config file: a folder such as cmake/Qt6Gui also holds plugin configs
      # that other packages install, which the build does not need.
      name="${key%_DIR}"
      for f in "$value/${name}Config.cmake" "$value/${name}-config.cmake" "$value/${name,,}-config.cmake"; do
        [ -f "$f" ] && { printf '%s\tCMake cache %s\n' "$f" "$key"; break; }
      done
    elif [ "$type" = FILEPATH ] && [ -e "$value" ] && [[ "$key" =~ ^(CMAKE_|PKG_CONFIG_|pkgcfg_lib_) ]]; then
      # The toolchain and the pkg-config libraries. Other FILEPATH entries are optional finds
      # (FindOpenGL's GLU, say) that the build may not use; what it links shows up under ldd.
      printf '%s\tCMake cache %s\n' "$(readlink -f "$value")" "$key"
    fi
  done < <(grep -E '^[A-Za-z0-9_.+-]+:(PATH|FILEPATH)=' "$cache")

  local module pcdir
  while IFS= read -r module; do
    pcdir="$(pkg-config --variable=pcfiledir "$module" 2>/dev/null || true)"
    [ -n "$pcdir" ] && [ -f "$pcdir/$module.pc" ] && printf '%s\tpkg-config module %s\n' "$pcdir/$module.pc" "$module"
  done < <(sed -n 's/^__pkg_config_arguments_[A-Za-z0-9_]*:INTERNAL=//p' "$cache" | tr ';' '\n' |
           grep -vE '^(REQUIRED|QUIET|IMPORTED_TARGET|GLOBAL|NO_CMAKE_PATH|NO_CMAKE_ENVIRONMENT_PATH)$' | sort -u)

  local exe lib
  while IFS= read -r exe; do
    while IFS= read -r lib; do
      printf '%s\tlinked by %s\n' "$(readlink -f "$lib")" "${exe#"$build_dir"/}"
    done < <(ldd "$exe" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) (0x.*/\1/p')
  done < <(find "$build_dir" -path '*/CMakeFiles' -prune -o -type f -perm -u+x -name 'fmsim*' -print)
}

# The package owning each file ("pkg[:arch], pkg2: /path"); files no package owns are reported.
declare -A why_of
mapfile -t files < <(used_files | sort -u -t$'\t' -k1,1)
for entry in "${files[@]}"; do why_of["${entry%%$'\t'*}"]="${entry#*$'\t'}"; done
((${#why_of[@]})) || { echo "check-setup-packages: found no file the build used in $build_dir" >&2; exit 2; }

# Debian 12 merges /lib into /usr/lib, but dpkg still records many files under /lib, /bin and /sbin:
# a path no package owns is asked again under that name.
declare -A owner_of
record_owners() {  # reads dpkg -S lines; $1: prefix to put back on each path ("" or "/usr")
  local line path owners
  while IFS= read -r line; do
    path="$1${line#*: }"; owners="${line%%: /*}"
    owner_of["$path"]="$(echo "$owners" | tr -d ' ' | tr ',' '\n' | sed 's/:.*//' | sort -u | tr '\n' ' ')"
  done
}
record_owners "" < <(dpkg -S "${!why_of[@]}" 2>/dev/null | grep -v '^diversion by' || true)
unmerged=()
for path in "${!why_of[@]}"; do
  [ -z "${owner_of[$path]:-}" ] && [[ "$path" =~ ^/usr/(lib|lib64|bin|sbin)/ ]] && unmerged+=("${path#/usr}")
done
if ((${#unmerged[@]})); then
  record_owners "/usr" < <(dpkg -S "${unmerged[@]}" 2>/dev/null | grep -v '^diversion by' || true)
fi

# The dependency closure of setup.sh's list (names only; alternatives and virtual packages kept).
declare -A closure
while IFS= read -r name; do closure["$name"]=1; done < <(
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "${listed[@]}" 2>/dev/null |
    sed -E 's/^ *\|?(Pre)?Depends: //; s/^ +//; s/[<>]//g; s/:[a-z0-9]+$//' | sort -u)
for p in "${listed[@]}"; do closure["$p"]=1; done

status=0
declare -A reported
while IFS= read -r path; do
  owners="${owner_of[$path]:-}"
  if [ -z "$owners" ]; then
    echo "check-setup-packages: note: $path (${why_of[$path]}) belongs to no Debian package; a fresh machine will not have it"
    status=1; continue
  fi
  covered=0
  for p in $owners; do [ -n "${closure[$p]:-}" ] && covered=1; done
  if ((!covered)) && [ -z "${reported[$owners]:-}" ]; then
    reported["$owners"]=1
    echo "check-setup-packages: MISSING package ${owners% } — the build uses $path (${why_of[$path]}); add it (or a package that depends on it) to the packages list in ${setup#"$root"/}"
    status=1
  fi
done < <(printf '%s\n' "${!why_of[@]}" | sort)
if ((status == 0)); then
  echo "check-setup-packages: ${#why_of[@]} files the build uses come from packages setup.sh installs (${#listed[@]} listed, ${#closure[@]} with their dependencies)"
fi
exit $status
