#!/usr/bin/env bash
# Build the libFuzzer harnesses (fuzz/) with clang-14, ASan and UBSan, and run
# each for SECONDS on a copy of its committed seeds, JOBS harnesses at a time
# (default: the number of cores); one summary line per harness.
# Usage: bash scripts/fuzz.sh [SECONDS] [--harness NAME] [--seed S]   (SECONDS default 60)
#        bash scripts/fuzz.sh --smoke   (what CI runs: a fixed number of inputs per harness
#                                        from seed 1, the same inputs every run)
#        bash scripts/fuzz.sh --build-only   (configure and build, run nothing)
#        bash scripts/fuzz.sh --smoke --no-build   (run what build/fuzz already has: .ci/run builds it earlier)
# Exit status: 1 when a harness found something (crash, leak, timeout, OOM:
# the input is kept in build/fuzz/findings/NAME/), 0 otherwise.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SECONDS_EACH=60
ONLY=""
SEED=""
SMOKE=0
BUILD_STEP=1   # 0: --no-build, 2: --build-only
while [ $# -gt 0 ]; do
  case "$1" in
    --harness) [ $# -ge 2 ] || die "--harness needs a name"; ONLY="$2"; shift 2 ;;
    --harness=*) ONLY="${1#--harness=}"; shift ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a number"; SEED="$2"; shift 2 ;;
    --smoke) SMOKE=1; SEED=1; shift ;;
    --build-only) BUILD_STEP=2; shift ;;
    --no-build) BUILD_STEP=0; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]*|"") die "unknown argument \"$1\" (usage: scripts/fuzz.sh [SECONDS] [--harness NAME])" ;;
    *) SECONDS_EACH="$1"; shift ;;
  esac
done

ensure_packages "${CORE_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
BUILD="$NASBENCH_ROOT/build/fuzz"
fuzz_configure() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    say "configuring $BUILD"
    CC=clang-14 CXX=clang++-14 cmake -S "$NASBENCH_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DNASBENCH_BUILD_FUZZERS=ON -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_BUILD_TOOLS=OFF \
      -DNASBENCH_BUILD_EXAMPLES=OFF -DNASBENCH_INSTALL=OFF -DNASBENCH_FIXTURES_DIR="$NASBENCH_ROOT/build/fixtures" >&2
  else
    cmake "$BUILD" >&2  # re-probes what fuzz/CMakeLists.txt checks (json/protocol.hpp with clang)
  fi
}
if [ "$BUILD_STEP" != 0 ]; then
  timed "fuzz: configure${NASBENCH_STAGE_NOTE:-}" fuzz_configure
  say "building $BUILD"
  timed "fuzz: build${NASBENCH_STAGE_NOTE:-}" cmake --build "$BUILD" -j "$JOBS" >&2
  [ "$BUILD_STEP" = 2 ] && exit 0
elif [ ! -f "$BUILD/CMakeCache.txt" ]; then
  die "--no-build: nothing built in $BUILD yet (run scripts/fuzz.sh --build-only first)"
fi

# -max_len per harness: a little above its largest seed (requests and cells are short).
declare -A MAX_LEN=([fuzz_pickle]=16384 [fuzz_api]=16384 [fuzz_cache]=20480 [fuzz_weights]=16384
                    [fuzz_protocol]=4096 [fuzz_cells]=512)
# Longest first (their --smoke seconds on the 2-core machine: 246, 154, 116, 64, 60, 2), so that
# JOBS at a time finish together instead of one harness running alone at the end.
HARNESSES=(fuzz_cache fuzz_cells fuzz_protocol fuzz_api fuzz_pickle fuzz_weights)
# --smoke: inputs per harness (deterministic with -seed), 2 s to 4 minutes each on the 2-core machine.
declare -A SMOKE_RUNS=([fuzz_pickle]=100000 [fuzz_api]=150000 [fuzz_cache]=100000 [fuzz_weights]=3000
                       [fuzz_protocol]=60000 [fuzz_cells]=2000000)
if [ -n "$ONLY" ]; then
  [ -n "${MAX_LEN[$ONLY]:-}" ] || die "unknown harness \"$ONLY\" (one of: ${HARNESSES[*]})"
  HARNESSES=("$ONLY")
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# fuzz_one NAME: run one harness on a copy of its seeds; its summary line goes to
# $BUILD/logs/NAME.summary. libFuzzer runs one process on one core, so the
# harnesses run JOBS at a time (with --smoke the inputs are fixed by -runs and
# -seed, whatever runs beside them).
fuzz_one() {
  local h="$1" bin="$BUILD/fuzz/$1" work="$BUILD/corpus-work/$1" findings="$BUILD/findings/$1"
  local log="$BUILD/logs/$1.log" out="$BUILD/logs/$1.summary" budget rc=0
  if [ ! -x "$bin" ]; then
    printf '%-14s not built (see the CMake message for fuzz/: %s)\n' "$h" \
      "$([ "$h" = fuzz_weights ] && echo 'LibTorch not found' || echo 'the header does not compile with clang-14')" >"$out"
    return 0
  fi
  rm -rf "$work" "$findings"
  mkdir -p "$work" "$findings"
  cp "$NASBENCH_ROOT/fuzz/corpus/$h/." "$work/" -r
  if [ "$SMOKE" = 1 ]; then
    budget=(-runs="${SMOKE_RUNS[$h]}")
    say "fuzzing $h for ${SMOKE_RUNS[$h]} inputs from seed $SEED (log: $log)"
  else
    budget=(-max_total_time="$SECONDS_EACH")
    say "fuzzing $h for ${SECONDS_EACH}s (log: $log)"
  fi
  [ -n "$SEED" ] && budget+=(-seed="$SEED")
  (cd "$findings" && "$bin" "${budget[@]}" -max_len="${MAX_LEN[$h]}" -timeout=25 \
     -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$findings/" "$work") >"$log" 2>&1 || rc=$?
  local execs final cov ft found what
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  final=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
  found=$(find "$findings" -type f | sort)
  if [ -n "$found" ] || [ "$rc" -ne 0 ]; then
    what="FOUND: $(grep -m1 -E '^==[0-9]+==ERROR|invariant violated|runtime error|deadly signal|ALARM|out-of-memory' "$log" | cut -c1-120 || true) ->${found:+ $(echo $found)}"
  else
    what="nothing found"
  fi
  printf '%-14s execs %-9s cov %-6s ft %-7s %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$what" >"$out"
}

# fuzz_all: every harness, JOBS at a time.
fuzz_all() {
  local running=0 h
  mkdir -p "$BUILD/logs"
  for h in "${HARNESSES[@]}"; do
    rm -f "$BUILD/logs/$h.summary"
    if [ "$running" -ge "$JOBS" ]; then
      wait -n || true
      running=$((running - 1))
    fi
    fuzz_one "$h" &
    running=$((running + 1))
  done
  wait
}
timed "fuzz: $([ "$SMOKE" = 1 ] && echo smoke || echo run)" fuzz_all

say "summary ($([ "$SMOKE" = 1 ] && echo "smoke: fixed inputs from seed $SEED" || echo "${SECONDS_EACH}s each"), $JOBS at a time; logs in $BUILD/logs)"
failed=0
for h in "${HARNESSES[@]}"; do
  if [ -s "$BUILD/logs/$h.summary" ]; then
    line=$(cat "$BUILD/logs/$h.summary")
  else
    line="$(printf '%-14s FOUND: the run ended without a summary (see %s)' "$h" "$BUILD/logs/$h.log")"
  fi
  printf '%s\n' "$line"
  case "$line" in *FOUND:*) failed=1 ;; esac
done
exit "$failed"
