#!/usr/bin/env bash
# nasbench against Python on one generated NAS-Bench-201 v1_1-layout file, in one
# run: load time and peak RSS (vs torch.load), get_more_info calls per second,
# find_best time (vs tests/fixtures/ref_api.py). Prints a Markdown table with the
# machine and the command. Benchmarks are not tests: nothing here fails on a
# missed target, the table says how far each one is.
#
# Usage: bash bench/run_benchmarks.sh [--archs N] [--format pth-legacy|pth-zip|pbz2]
#                                     [--file FILE] [--min-time SECONDS] [--no-full]
#   --archs N      architectures in the generated file (default 500)
#   --format F     container of the generated file (default pth-legacy, as the official v1_1 file)
#   --file FILE    use this benchmark file instead of generating one
#   --min-time S   seconds per throughput measurement (default 1)
#   --no-full      skip the 15,625-architecture find_best and the float API
# The file goes to build/bench/ (kept: generated once per N and format); the
# build to build/bench-core/ (or $NASBENCH_BENCH_BUILD); raw JSON reports to
# build/bench/report-*.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3  # Debian's python3-torch + numpy
CMD="bash bench/run_benchmarks.sh${*:+ $*}"
ARCHS=500 FORMAT=pth-legacy FILE="" MIN_TIME=1 FULL=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --archs) ARCHS="$2"; shift 2 ;;
    --format) FORMAT="$2"; shift 2 ;;
    --file) FILE="$2"; shift 2 ;;
    --min-time) MIN_TIME="$2"; shift 2 ;;
    --no-full) FULL=(--no-full); shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run_benchmarks.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
OUT="$ROOT/build/bench"
BUILD="${NASBENCH_BENCH_BUILD:-$ROOT/build/bench-core}"
mkdir -p "$OUT"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_BUILD_EXAMPLES=OFF \
  -DNASBENCH_BUILD_TOOLS=OFF -DNASBENCH_WITH_TORCH=OFF -DNASBENCH_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target nasbench_bench -j "$(nproc)" >/dev/null

if [[ -z "$FILE" ]]; then
  case "$FORMAT" in pbz2) ext=pickle.pbz2 ;; pth-zip) ext=zip.pth ;; *) ext=pth ;; esac
  FILE="$OUT/nb201-$ARCHS.$ext"
  if [[ ! -f "$FILE" ]]; then
    echo "generating $FILE ..." >&2
    "$PY" "$ROOT/bench/make_bench_file.py" "$FILE" --archs "$ARCHS" --format "$FORMAT" >&2
  fi
fi

stamp="$(date +%Y%m%d-%H%M%S)"
echo "running nasbench_bench ..." >&2
"$BUILD/bench/nasbench_bench" "$FILE" --json --min-time "$MIN_TIME" "${FULL[@]}" >"$OUT/report-$stamp-cpp.json"
echo "running bench_python.py ..." >&2
"$PY" "$ROOT/bench/bench_python.py" "$FILE" --min-time "$MIN_TIME" "${FULL[@]}" >"$OUT/report-$stamp-python.json"
# the latest reports per file, for bench/compare.sh
cp "$OUT/report-$stamp-cpp.json" "$OUT/latest-$(basename "$FILE")-cpp.json"
cp "$OUT/report-$stamp-python.json" "$OUT/latest-$(basename "$FILE")-python.json"

cpu="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
mem="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
cxx="$(grep -m1 '^CMAKE_CXX_COMPILER:' "$BUILD/CMakeCache.txt" | cut -d= -f2-)"
cxxv="$("$cxx" --version | head -1)"
"$PY" - "$OUT/report-$stamp-cpp.json" "$OUT/report-$stamp-python.json" "$CMD" "$(nproc)" "$cpu" "$mem" "$cxxv" \
  "$(uname -sr)" "$LOADAVG" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
cmd, nproc, cpu, mem, cxx, kernel, load = sys.argv[3:10]
MiB = 1024.0

def fmt(x, unit=""):
    if x is None:
        return "—"
    if abs(x) >= 1000:
        s = "{:,.0f}".format(x)
    elif abs(x) >= 10:
        s = "%.1f" % x
    elif abs(x) >= 0.1:
        s = "%.3f" % x
    else:
        s = "%.4f" % x
    return s + unit

rows = []  # (what, ours, python, ratio text, target, met?)

def ratio_text(r):
    return "{:,.0f}x".format(r) if r >= 100 else ("%.1fx" % r if r >= 10 else "%.2fx" % r)

def row(what, ours, py, higher_better, target=None, met=None, unit=""):
    if ours is None or py is None:
        ratio = "—"
    elif higher_better:
        ratio = ratio_text(ours / py) if ours >= py else "1/%.2f" % (py / ours)
    else:
        ratio = ratio_text(py / ours) if py >= ours else "1/%.2f" % (ours / py)
    verdict = "" if met is None else (" ✅" if met else " ❌")
    rows.append((what, fmt(ours, unit), fmt(py, unit), ratio, (target or "") + verdict))

cd, cf, pl = c["load_child_double"], c["load_child_float"], p["load_child"]
load_ratio = p["load_s_median"] / c["load_s_median"]
row("load, wall time (s, median of %d)" % len(c["load_s"]), c["load_s_median"], p["load_s_median"], False,
    ">= 5x faster than %s" % p["load_how"], load_ratio >= 5)
rss_ratio = pl["peak_rss_kib"] / float(cd["peak_rss_kib"])
row("load, peak RSS of the process (MiB)", cd["peak_rss_kib"] / MiB, pl["peak_rss_kib"] / MiB, False,
    "<= 1/4 of Python's", rss_ratio >= 4)
row("load, RSS added by the load (MiB)", (cd["rss_after_kib"] - cd["rss_before_kib"]) / MiB,
    (pl["peak_rss_kib"] - pl["rss_before_kib"]) / MiB, False)
row("load float API: wall time (s, 1 load)", cf["load_s"], p["load_s_median"], False)
row("load float API: peak RSS (MiB)", cf["peak_rss_kib"] / MiB, pl["peak_rss_kib"] / MiB, False)
q, pq = c["query_double"], p["query"]
row("get_more_info hp 200, mean of seeds (calls/s)", q["get_more_info_mean_per_s"], pq["get_more_info_mean_per_s"],
    True, "> 1,000,000/s", q["get_more_info_mean_per_s"] > 1e6)
row("get_more_info hp 200, random seed, caller's Random& (calls/s)", q["get_more_info_random_caller_rng_per_s"],
    pq["get_more_info_random_per_s"], True)
row("get_more_info hp 200, random seed, API's engine (calls/s)", q["get_more_info_random_own_engine_per_s"], None, True)
row("get_more_info hp 12, mean of seeds (calls/s)", q["get_more_info_mean_hp12_per_s"],
    pq["get_more_info_mean_hp12_per_s"], True)
if "query_float" in c:
    row("get_more_info hp 200, mean, float API (calls/s)", c["query_float"]["get_more_info_mean_per_s"],
        pq["get_more_info_mean_per_s"], True)
if "cache_child" in c:
    cc = c["cache_child"]
    row("cache (`nasbench convert`): open to first answer (s)", cc["open_to_first_answer_s"], p["load_s_median"], False)
    row("cache: peak RSS after the first answer (MiB)", cc["peak_rss_kib"] / MiB, pl["peak_rss_kib"] / MiB, False)
    row("cache: first find_best, stored column (ms)", cc["first_find_best_s"] * 1e3, p["find_best_file"]["first_ms"], False)
    row("cache: get_more_info hp 200, mean (calls/s)", c["query_cache"]["get_more_info_mean_per_s"],
        pq["get_more_info_mean_per_s"], True)
    row("cache: write (s) / size (MB, the file: %.1f)" % (c["file_bytes"] / 1e6), c["cache_write_s"], None, False)
    rows[-1] = (rows[-1][0], "%s / %s" % (fmt(c["cache_write_s"]), fmt(c["cache_bytes"] / 1e6)), "—", "—", "")
n = c["evaluated"]
fb, pfb = c["find_best_file_double"], p["find_best_file"]
row("find_best %d archs, first call (ms)" % n, fb["first_ms"], pfb["first_ms"], False)
row("find_best %d archs, later calls (ms, median)" % n, fb["later_ms_median"], pfb["later_ms_median"], False)
if "find_best_15625_double" in c:
    f, pf = c["find_best_15625_double"], p.get("find_best_15625")
    row("find_best 15,625 archs, first call (ms)", f["first_ms"], pf and pf["first_ms"], False, "< 1 ms",
        f["first_ms"] < 1)
    row("find_best 15,625 archs, later calls (ms, median)", f["later_ms_median"], pf and pf["later_ms_median"],
        False, "< 1 ms", f["later_ms_median"] < 1)
    ff = c["find_best_15625_float"]
    row("find_best 15,625 archs, float API, first call (ms)", ff["first_ms"], pf and pf["first_ms"], False)
    row("find_best 15,625 archs, float API, later (ms, median)", ff["later_ms_median"], pf and pf["later_ms_median"],
        False)
    agree = (f["best_index"] == pf["best_index"] and fb["best_index"] == pfb["best_index"]) if pf else None
else:
    agree = fb["best_index"] == pfb["best_index"]

print("## nasbench vs Python on `%s`\n" % os.path.basename(c["file"]))
print("%.1f MB, %d evaluated architectures (%.1f KB per architecture); Python: %s, the reference API of "
      "`tests/fixtures/ref_api.py`; ratio = how many times better nasbench is (1/x: worse).\n"
      % (c["file_bytes"] / 1e6, n, c["file_bytes"] / 1024.0 / n, p["impl"]))
print("| measure | nasbench (C++) | Python | ratio | target |")
print("|---|---:|---:|---:|---|")
for r in rows:
    print("| %s | %s | %s | %s | %s |" % r)
print("\nfind_best answers agree (C++ = Python): %s. Peak RSS: VmHWM of a fresh process that only loads "
      "(Python's includes the interpreter with torch imported: %.0f MiB before the load)."
      % (agree, pl["rss_before_kib"] / MiB))
if "rss_with_15625_double_kib" in c:
    per_loaded = (cd["rss_after_kib"] - cd["rss_before_kib"]) / float(n)
    per_copy = (c["rss_with_15625_double_kib"] - c["rss_before_15625_double_kib"]) / 15625.0
    print("\nMemory of the double tables: %.0f KiB per architecture right after loading (RSS added by the load / %d), "
          "%.0f KiB per architecture for the 15,625 in-memory copies (%.2f GiB in all; building them took %.1f s)."
          % (per_loaded, n, per_copy, per_copy * 15625 / 1048576.0, c["fill_15625_double_s"]))
print("\nMachine: %s CPUs (`nproc`), %s, %s RAM, %s; %s; load average before the run %s." % (nproc, cpu, mem, kernel, cxx, load))
print("\nCommand: `%s`" % cmd)
PY
