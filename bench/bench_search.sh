#!/usr/bin/env bash
# NAS search (issue #13): `nasbench search` against the NATS-Bench reference scripts' own loop
# (AutoDL-Projects exps/NATS-algos/{random_wo_share,regularized_ea,reinforce,bohb}.py, their main()
# on the real nats_bench v1.8) on the same benchmark file, in the same run: tss, cifar10, the
# default time budget, runs with seeds S..S+N-1 on both sides. For each algorithm: Python's loop
# time, nasbench's on 1 and 2 threads (the load apart), the ratios per run, mean ± std of the
# final test accuracy on both sides, how many runs have identical traces. Prints a Markdown table.
# Benchmarks are not tests: nothing fails on a missed target. Builds nothing.
#
# Usage: bash bench/bench_search.sh [--runs N] [--file F] [--cli PATH] [--algos "rs rea reinforce bohb"]
#          [--seed S] [--python-runs M] [--bohb-python-runs M] [--repeat K] [--work DIR]
#   --runs N             runs on each side (default 500)
#   --file F             the benchmark (default: build/bench/search-fx/search/tss.pickle.pbz2, written by
#                        tests/fixtures/make_search_fixtures.py when absent: all 15,625 architectures)
#   --cli PATH           the nasbench binary (default: $NASBENCH_CLI or build/test/tools/nasbench; a Release build)
#   --python-runs M      Python runs only seeds S..S+M-1 (default N); ratios are per run
#   --bohb-python-runs M the same for BOHB alone (default 10: a Python BOHB run takes minutes)
#   --repeat K           repeats of each nasbench timing (default 3, medians)
#   --work DIR           outputs (default build/bench/search-work)
# Environment: AUTODL (default /tmp/ref/autodl: an AutoDL-Projects checkout), NATS_BENCH (default
# /tmp/ref/nats: the directory holding the nats_bench package), BOHB_PATH (directories holding
# hpbandster, ConfigSpace and what they need, ':'-separated; without it Python's BOHB is skipped),
# PY_TIMEOUT (seconds per Python side, default 7200), NASBENCH_ARGS_<algo> (more options for
# `nasbench search --algo <algo>`, word-split: the Python side uses the scripts' header commands (the
# paper's runs), REINFORCE --learning_rate 0.01 --EMA_momentum 0.9, BOHB --num_samples 4
# --random_fraction 0.0 --bandwidth_factor 3 --min_bandwidth 0.3: nasbench's defaults).
# None of them is copied into the project.
# Run the whole script under `nice -n 10` on a shared machine: both sides then run alike.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
CMD="bash bench/bench_search.sh"
[[ $# -eq 0 ]] || CMD+="$(printf ' %q' "$@")"
RUNS=500 FILE="" CLI="${NASBENCH_CLI:-$ROOT/build/test/tools/nasbench}" ALGOS="rs rea reinforce bohb" SEED=0
PYRUNS="" BOHBRUNS=10 REPEAT=3 WORK="$ROOT/build/bench/search-work"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --file) FILE="$2"; shift 2 ;;
    --cli) CLI="$2"; shift 2 ;;
    --algos) ALGOS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --python-runs) PYRUNS="$2"; shift 2 ;;
    --bohb-python-runs) BOHBRUNS="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "bench_search.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
PYRUNS="${PYRUNS:-$RUNS}"
AUTODL="${AUTODL:-/tmp/ref/autodl}" NATS="${NATS_BENCH:-/tmp/ref/nats}" BOHB_PATH="${BOHB_PATH:-}"
PY_TIMEOUT="${PY_TIMEOUT:-7200}"
DATASET=cifar10
[[ -x "$CLI" ]] || { echo "bench_search.sh: no nasbench binary at $CLI (build it, or --cli PATH)" >&2; exit 2; }
have_py=1
if [[ ! -f "$AUTODL/exps/NATS-algos/random_wo_share.py" || ! -d "$NATS/nats_bench" ]]; then
  echo "bench_search.sh: no AutoDL-Projects at AUTODL=$AUTODL or no nats_bench at NATS_BENCH=$NATS: Python is skipped" >&2
  have_py=0
fi
if [[ -z "$FILE" ]]; then
  FILE="$ROOT/build/bench/search-fx/search/tss.pickle.pbz2"
  [[ -f "$FILE" ]] || "$PY" "$ROOT/tests/fixtures/make_search_fixtures.py" "$ROOT/build/bench/search-fx" >&2
fi
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
CXXV=""
cache="$(dirname "$(dirname "$CLI")")/CMakeCache.txt"
if [[ -f "$cache" ]]; then
  cxx="$(grep -m1 '^CMAKE_CXX_COMPILER:' "$cache" | cut -d= -f2-)"
  bt="$(grep -m1 '^CMAKE_BUILD_TYPE:' "$cache" | cut -d= -f2-)"
  CXXV="$("$cxx" --version | head -1) (${bt:-?})"
fi
rm -rf "$WORK"
mkdir -p "$WORK"
TIM="$WORK/timings.tsv"
: > "$TIM"

# timed ARGS...: runs ARGS with stdout to $OUTF, leaves "wall cpu" (seconds; cpu = user + sys) in $T
timed() {
  /usr/bin/time -f '%e %U %S' -o "$WORK/time.tmp" "$@" > "$OUTF"
  T="$(awk '{ printf "%s\t%.2f", $1, $2 + $3 }' "$WORK/time.tmp")"
}

for algo in $ALGOS; do
  nbvar="NASBENCH_ARGS_$algo"
  read -r -a nbextra <<< "${!nbvar:-}"
  base=(search "$FILE" --algo "$algo" --dataset "$DATASET" --seed "$SEED" "${nbextra[@]}")
  # ----- nasbench
  if ! "$CLI" "${base[@]}" --runs 1 --json > /dev/null 2> "$WORK/nb-$algo.stderr"; then
    cp "$WORK/nb-$algo.stderr" "$WORK/nb-$algo.unsupported"
    echo "nasbench: --algo $algo failed or is not there: $(head -1 "$WORK/nb-$algo.stderr")" >&2
  else
    echo "nasbench $algo: load, then $RUNS runs on 1 and 2 threads x $REPEAT ..." >&2
    for ((k = 0; k < REPEAT; k++)); do
      OUTF=/dev/null timed "$CLI" "${base[@]}" --runs 1 --json
      printf '%s\tload\t1\t%d\t%s\t-\n' "$algo" "$k" "$T" >> "$TIM"
      for t in 1 2; do
        # the summary's "wall time" is run_many alone: after the load, before the table
        OUTF="$WORK/nb-$algo-t$t.summary.txt" timed "$CLI" "${base[@]}" --runs "$RUNS" --threads "$t"
        s="$(awk 'NR == 3 { print $(NF - 1) }' "$WORK/nb-$algo-t$t.summary.txt")"
        printf '%s\tsummary\t%s\t%d\t%s\t%s\n' "$algo" "$t" "$k" "$T" "$s" >> "$TIM"
        sfx=$([[ $t == 1 ]] && echo "" || echo "-t2")
        OUTF="$WORK/nb-$algo$sfx.jsonl" timed "$CLI" "${base[@]}" --runs "$RUNS" --threads "$t" --json
        printf '%s\tjson\t%s\t%d\t%s\t-\n' "$algo" "$t" "$k" "$T" >> "$TIM"
      done
    done
  fi
  # ----- Python
  [[ $have_py == 1 ]] || continue
  m="$PYRUNS"
  extra=()
  if [[ $algo == bohb ]]; then
    m="$BOHBRUNS"
    if [[ -z "$BOHB_PATH" ]]; then
      echo "no BOHB_PATH (hpbandster + ConfigSpace): Python's BOHB is skipped" > "$WORK/py-$algo.failed"
      continue
    fi
    extra=(--bohb-path "$BOHB_PATH")
  fi
  [[ $m -gt 0 ]] || continue
  echo "python $algo: $m runs ..." >&2
  if ! timeout "$PY_TIMEOUT" "$PY" "$ROOT/bench/bench_search_python.py" --autodl "$AUTODL" --nats-bench "$NATS" \
      --file "$FILE" --algo "$algo" --dataset "$DATASET" --runs "$m" --seed "$SEED" "${extra[@]}" \
      --out "$WORK/py-$algo.jsonl" > "$WORK/py-$algo.summary.json" 2> "$WORK/py-$algo.stderr"; then
    tail -5 "$WORK/py-$algo.stderr" > "$WORK/py-$algo.failed"
    echo "python $algo failed: $(tail -1 "$WORK/py-$algo.stderr")" >&2
  fi
done

"$PY" "$ROOT/bench/bench_search_compare.py" "$WORK" --cmd "$CMD" --load-before "$LOADAVG" --compiler "$CXXV" \
  --file "$FILE" --cli "$CLI" --algos "$ALGOS" | tee "$WORK/table.md"
