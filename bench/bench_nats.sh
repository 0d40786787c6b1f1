#!/usr/bin/env bash
# NATS-Bench fast mode: the nasbench CLI against the real nats_bench (v1.8) on one
# generated NATS-Bench topology directory (the `-simple` layout), in one run:
#   a. time to the first answer: `nasbench --fast-mode --space tss query DIR` with one
#      get_more_info line vs nats_bench.create(DIR, 'tss', fast_mode=True) + the same call
#      (medians of 5 fresh processes each);
#   b. a scan: get_cost_info + get_more_info (cifar10-valid, hp '200', seed mean) for every
#      architecture file, through one nasbench process vs the same loop in Python: wall
#      time and peak RSS, and whether the answers agree (1e-12 relative); nasbench also
#      with --float and eager (no --fast-mode).
# Prints a Markdown table with the machine and the command. Benchmarks are not tests:
# nothing fails on a missed target.
#
# Usage: bash bench/bench_nats.sh [--archs N] [--nats-bench PATH] [--python-archs M] [--repeat K]
#   --archs N          architecture files in the directory (default 15625; fewer: make_nats_dir.py's sample)
#   --nats-bench PATH  directory holding the nats_bench package (e.g. /tmp/ref/nats); without it,
#                      or when PATH/nats_bench is absent, the Python side is skipped
#   --python-archs M   Python scans only the first M files by index (nasbench: those and all N)
#   --repeat K         runs of each first-answer measure (default 5)
# The directory goes to build/bench/nats-dir-N/ (kept: written once per N, with 2 workers);
# the CLI build to build/bench-cli/ (or $NASBENCH_BENCH_BUILD); replies and report.json to
# build/bench/nats-N-work/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
CMD="bash bench/bench_nats.sh${*:+ $*}"
ARCHS=15625 NATS="" PYARCHS=0 REPEAT=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --archs) ARCHS="$2"; shift 2 ;;
    --nats-bench) NATS="$2"; shift 2 ;;
    --python-archs) PYARCHS="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench_nats.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -n "$NATS" && ! -d "$NATS/nats_bench" ]]; then
  echo "bench_nats.sh: no nats_bench package in $NATS: the Python side is skipped" >&2
  NATS=""
fi

LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
OUT="$ROOT/build/bench"
BUILD="${NASBENCH_BENCH_BUILD:-$ROOT/build/bench-cli}"
mkdir -p "$OUT"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_BUILD_EXAMPLES=OFF \
  -DNASBENCH_BUILD_TOOLS=ON -DNASBENCH_WITH_TORCH=OFF >/dev/null
cmake --build "$BUILD" --target nasbench_cli -j "$(nproc)" >/dev/null
CLI="$BUILD/tools/nasbench"
cxx="$(grep -m1 '^CMAKE_CXX_COMPILER:' "$BUILD/CMakeCache.txt" | cut -d= -f2-)"
CXXV="$("$cxx" --version | head -1)"

DIR="$OUT/nats-dir-$ARCHS"
"$PY" "$ROOT/bench/make_nats_dir.py" "$DIR" --archs "$ARCHS" --workers 2 >&2

"$PY" "$ROOT/bench/bench_nats_run.py" --cli "$CLI" --dir "$DIR" --work "$OUT/nats-$ARCHS-work" \
  --nats-bench "$NATS" --python-archs "$PYARCHS" --repeat "$REPEAT" --cmd "$CMD" --load-before "$LOADAVG" \
  --compiler "$CXXV"
