#!/usr/bin/env bash
# Side by side, in one run: Python (torch.load + the Python API's queries, as
# tests/fixtures/ref_api.py does them) against nasbench (pickle load and cache
# open) at 500 and 2,000 architectures, then nasbench alone at full scale
# (15,625 architectures), with Python's peak RSS and load time extrapolated
# linearly from the 500 and 2,000 runs. Prints Markdown (BENCHMARKS.md).
#
# Usage: bash bench/compare.sh [--small N] [--medium N] [--full FILE]
#   --small N    architectures of the first file (default 500)
#   --medium N   architectures of the second file (default 2000)
#   --full FILE  the full-scale file (default build/bench/nb201-full.pth,
#                written with make_bench_file.py --stream when absent: ~4 min, 5.1 GB)
# Needs ~8 GB of RAM for Python at 2,000 architectures and ~3 GB for nasbench
# at full scale; takes ~15 minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
SMALL=500 MEDIUM=2000 FULL="$ROOT/build/bench/nb201-full.pth"
CMD="bash bench/compare.sh${*:+ $*}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --small) SMALL="$2"; shift 2 ;;
    --medium) MEDIUM="$2"; shift 2 ;;
    --full) FULL="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
OUT="$ROOT/build/bench"
mkdir -p "$OUT"

bash "$ROOT/bench/run_benchmarks.sh" --archs "$SMALL" >"$OUT/compare-small.md"
bash "$ROOT/bench/run_benchmarks.sh" --archs "$MEDIUM" --no-full >"$OUT/compare-medium.md"

if [[ ! -f "$FULL" ]]; then
  echo "generating $FULL (streamed) ..." >&2
  "$PY" "$ROOT/bench/make_bench_file.py" "$FULL" --archs 15625 --stream >&2
fi
BUILD="${NASBENCH_BENCH_BUILD:-$ROOT/build/bench-core}"
CLI_BUILD="$ROOT/build/bench-cli"
cmake -S "$ROOT" -B "$CLI_BUILD" -DCMAKE_BUILD_TYPE=Release -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_BUILD_EXAMPLES=OFF \
  -DNASBENCH_WITH_TORCH=OFF >/dev/null
cmake --build "$CLI_BUILD" --target nasbench_cli -j "$(nproc)" >/dev/null
echo "running nasbench_bench on the full-scale file ..." >&2
"$BUILD/bench/nasbench_bench" "$FULL" --json --no-full >"$OUT/latest-full-cpp.json"
echo "timing the CLI (nasbench info) on the full-scale file ..." >&2
cli_time="$( { /usr/bin/time -f '%e %M' "$CLI_BUILD/tools/nasbench" info "$FULL" >/dev/null; } 2>&1 | tail -1)"
cli_final_time="$( { /usr/bin/time -f '%e %M' "$CLI_BUILD/tools/nasbench" --final-epoch-only info "$FULL" >/dev/null; } 2>&1 | tail -1)"
cli_version="$("$CLI_BUILD/tools/nasbench" --version)"

cat "$OUT/compare-small.md"
echo
cat "$OUT/compare-medium.md"
echo
"$PY" - "$OUT/latest-nb201-$SMALL.pth-python.json" "$OUT/latest-nb201-$MEDIUM.pth-python.json" \
  "$OUT/latest-full-cpp.json" "$cli_time" "$cli_version" "$CMD" "$cli_final_time" <<'PY'
import json, sys
ps = json.load(open(sys.argv[1]))
pm = json.load(open(sys.argv[2]))
c = json.load(open(sys.argv[3]))
cli_s, cli_kib = sys.argv[4].split()
cli_version, cmd = sys.argv[5], sys.argv[6]
final_s, final_kib = sys.argv[7].split()
MiB, GiB = 1024.0, 1048576.0
n = c["evaluated"]

# Python's peak RSS and load time, linear in the number of architectures
a1, a2 = ps["evaluated"], pm["evaluated"]
r1, r2 = ps["load_child"]["peak_rss_kib"], pm["load_child"]["peak_rss_kib"]
t1, t2 = ps["load_s_median"], pm["load_s_median"]
def extrapolate(y1, y2):
    slope = (y2 - y1) / float(a2 - a1)
    return y1 + slope * (n - a1)
py_rss = extrapolate(r1, r2)
py_load = extrapolate(t1, t2)
cd, cf, cc = c["load_child_double"], c["load_child_float"], c["cache_child"]
print("## Full scale: %d architectures, nasbench alone\n" % n)
print("`%s`: %.0f MB (the official v1_1 file: 4.7 GB). Python's numbers are extrapolated linearly from the %d- and "
      "%d-architecture runs above (%.0f and %.0f MiB peak RSS, %.2f and %.2f s torch.load).\n"
      % (c["file"].split("/")[-1], c["file_bytes"] / 1e6, a1, a2, r1 / MiB, r2 / MiB, t1, t2))
print("| measure | nasbench | Python (extrapolated) | target |")
print("|---|---:|---:|---|")
def ok(b):
    return " ✅" if b else " ❌"
print("| load, double, in a program using glibc malloc (s) | %.1f | ~%.0f | <= 20 s%s |"
      % (cd["load_s"], py_load, ok(cd["load_s"] <= 20)))
print("| load, double, `nasbench info` (CLI, %s) (s) | %s | | <= 20 s%s |"
      % (cli_version.split("(")[-1].rstrip(")") if "(" in cli_version else "glibc malloc", cli_s, ok(float(cli_s) <= 20)))
print("| load, double: peak RSS (GiB) | %.2f | ~%.1f | <= 4 GB%s |"
      % (cd["peak_rss_kib"] / GiB, py_rss / GiB, ok(cd["peak_rss_kib"] * 1024 <= 4e9)))
print("| load, double, CLI: peak RSS (GiB) | %.2f | | |" % (int(cli_kib) / GiB))
print("| load, `--final-epoch-only` (CLI): time (s) / peak RSS (GiB) | %s / %.2f | | |" % (final_s, int(final_kib) / GiB))
print("| load, float: time (s) / peak RSS (GiB) | %.1f / %.2f | | |" % (cf["load_s"], cf["peak_rss_kib"] / GiB))
print("| RSS of the double tables after loading (GiB) | %.2f | | |" % ((cd["rss_after_kib"] - cd["rss_before_kib"]) / GiB))
print("| cache: write (s) / size (GB) | %.1f / %.2f | | |" % (c["cache_write_s"], c["cache_bytes"] / 1e9))
print("| cache: open to first answer (ms) | %.1f | | < 100 ms%s |"
      % (cc["open_to_first_answer_s"] * 1e3, ok(cc["open_to_first_answer_s"] < 0.1)))
print("| cache: first find_best over 15,625 (stored column) (ms) | %.2f | | < 1 ms%s |"
      % (cc["first_find_best_s"] * 1e3, ok(cc["first_find_best_s"] < 1e-3)))
print("| cache: peak RSS after open + get_more_info + find_best (MiB) | %.1f | | |" % (cc["peak_rss_kib"] / MiB))
q = c["query_double"]
print("| get_more_info hp 200, mean (calls/s, cycling over all %d x 4 datasets) | {:,.0f} | | > 1,000,000/s%s |"
      .format(q["get_more_info_mean_per_s"]) % (n, ok(q["get_more_info_mean_per_s"] > 1e6)))
fb = c["find_best_file_double"]
print("| find_best over %d, first call (builds its column) (ms) | %.1f | | |" % (n, fb["first_ms"]))
print("| find_best over %d, later calls (ms, median) | %.4f | | < 1 ms%s |"
      % (n, fb["later_ms_median"], ok(fb["later_ms_median"] < 1)))
print("\nCommand: `%s`" % cmd)
PY
