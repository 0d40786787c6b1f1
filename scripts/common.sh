# Shared by scripts/demo.sh, scripts/test.sh and scripts/fuzz.sh: install missing Debian
# packages, configure and build. Source it; do not run it.
set -euo pipefail

NASBENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
# ccache (the build's compiler launcher when it is installed): paths under the
# checkout are hashed relative to it, so that another clone of the same commit
# finds the same objects; the working directory, which only the debug info of
# the sanitizer builds names, is left out of the hash.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$NASBENCH_ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_packages PKG...: apt-get install only what dpkg does not already have.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo="sudo"
  fi
  $sudo apt-get update -q >&2 || die "apt-get update failed; cannot install: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install failed for: ${missing[*]} (see the messages above)"
}

# Packages the library, the CLI, the examples and the demo need. zipcmp,
# zipmerge and ziptool only because Debian's libzip CMake config insists on
# finding them; python3-numpy writes the demo's synthetic benchmark.
CORE_PACKAGES=(cmake make g++ nlohmann-json3-dev libcli11-dev libbz2-dev libzip-dev zlib1g-dev libmimalloc-dev zipcmp zipmerge ziptool
  python3 python3-numpy ccache)
# Packages the test suite needs on top: Catch2, LibTorch, and Python with torch
# and numpy to write fixtures with the real torch.save and pickle; matplotlib
# for `nasbench search --plot` (tools/nasbench_plot.py); pybind11, the Python
# headers and pytest for the Python module (python/) and its tests.
TEST_PACKAGES=(catch2 libtorch-dev python3 python3-torch python3-numpy python3-matplotlib
  python3-dev pybind11-dev python3-pybind11 python3-pytest)
# Packages the fuzz harnesses need on top (scripts/fuzz.sh): clang-14 with
# libFuzzer and the sanitizer runtimes; LibTorch for fuzz_weights, Python with
# torch for fuzz_protocol's benchmark fixture.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev libtorch-dev python3-torch)

# timed STAGE CMD...: run CMD; with NASBENCH_TIMINGS set, append "STAGE<TAB>seconds<TAB>exit status"
# to that file (.ci/run prints the table at its end, also when a stage fails).
timed() {
  local stage="$1" start rc=0
  shift
  start=$EPOCHREALTIME
  "$@" || rc=$?
  if [ -n "${NASBENCH_TIMINGS:-}" ]; then
    awk -v s="$stage" -v a="$start" -v b="$EPOCHREALTIME" -v rc="$rc" \
      'BEGIN { printf "%s\t%.0f\t%s\n", s, b - a, rc }' >>"$NASBENCH_TIMINGS"
  fi
  return "$rc"
}

# configure BUILD_DIR CMAKE_ARGS...: configure once; later runs only rebuild.
configure() {
  local dir="$1"; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    say "configuring $dir"
    cmake -S "$NASBENCH_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >&2
  fi
}
