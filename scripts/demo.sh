#!/usr/bin/env bash
# Install what is missing, build the nasbench CLI, and show what it does.
# Usage: bash scripts/demo.sh [BENCHMARK]
#   BENCHMARK: a benchmark file or NATS-Bench directory (default: $NASBENCH_FILE,
#   else a small SYNTHETIC benchmark written by tools/make_demo_benchmark.py)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "${CORE_PACKAGES[@]}"
BUILD="$NASBENCH_ROOT/build/demo"
configure "$BUILD" -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_WITH_TORCH=OFF
say "building the nasbench CLI"
cmake --build "$BUILD" --target nasbench_cli example_cells example_query -j "$JOBS" >&2
NB="$BUILD/tools/nasbench"

FILE="${1:-${NASBENCH_FILE:-}}"
if [ -z "$FILE" ]; then
  FILE="$BUILD/demo-synthetic.pickle.pbz2"
  if [ ! -f "$FILE" ]; then
    say "writing a small synthetic benchmark (made-up numbers, real layout): $FILE"
    /usr/bin/python3 "$NASBENCH_ROOT/tools/make_demo_benchmark.py" "$FILE" --archs 100
  fi
  printf '\n*** SYNTHETIC benchmark: made-up numbers in the real NATS-Bench layout. ***\n'
  printf '*** Pass a real file (bash scripts/demo.sh NAS-Bench-201-v1_1-096897.pth) or set NASBENCH_FILE. ***\n'
fi

run() { printf '\n$ nasbench %s\n' "$*"; "$NB" "$@"; }
run arch 1
run arch --json 9
run info "$FILE"
INDEX=$("$NB" best "$FILE" --dataset cifar10 --metric-on-set test --hp 200 --json | sed -n 's/.*"index":\([0-9-]*\).*/\1/p')
run best "$FILE" --dataset cifar10 --metric-on-set test --hp 200
run best "$FILE" --dataset cifar100 --metric-on-set valid --hp 200 --flop-max 30 --param-max 0.3
run show "$FILE" "$INDEX"
printf '\n$ nasbench query FILE   # JSON lines in, JSON lines out\n'
REQUESTS=$(cat <<JSON
{"fn": "get_more_info", "args": {"index": $INDEX, "dataset": "cifar100", "hp": "200", "is_random": false}}
{"fn": "get_cost_info", "args": {"index": $INDEX, "dataset": "ImageNet16-120"}}
{"fn": "query_index_by_arch", "args": {"arch": "$("$NB" list | sed -n "$((INDEX + 1))p")"}}
{"fn": "get_more_info", "args": {"index": $INDEX, "dataset": "cifar1O"}}
JSON
)
printf '%s\n' "$REQUESTS" | sed 's/^/> /'
printf '%s\n' "$REQUESTS" | "$NB" query "$FILE"
printf '\n$ examples/query %s\n' "$(basename "$FILE")"; "$BUILD/examples/example_query" "$FILE"
