#!/usr/bin/env bash
# Issue #16's table: `import nasbench` against the real NAS-Bench-201 Python API (nas_201_api),
# same machine, same run, same files. Prints Markdown (BENCHMARKS.md, "Python module").
#
# Usage: bash bench/bench_module.sh [--nas201 DIR] [--archs "500 2000"] [--full FILE | --no-full]
#                                   [--min-time S] [--out DIR]
#   --nas201 DIR   a checkout of github D-X-Y/NAS-Bench-201 (holds nas_201_api/; never copied into
#                  this project); default $NAS201_API, else /tmp/ref/nas201; without it the Python
#                  column is skipped (with a message)
#   --archs LIST   the smaller files, build/bench/nb201-N.pth (written by make_bench_file.py when
#                  absent: ~10 s / ~65 s), both sides (default "500 2000")
#   --full FILE    the full-scale file (default build/bench/nb201-full.pth; written with
#                  make_bench_file.py --stream when absent and 8 GB of disk are free: ~4-5 min,
#                  5.1 GB); nasbench only: its .pth load (one, in a child) and its cache, all
#                  queries. The Python API is not run on it (torch.load of it needs ~28 GB);
#                  its numbers are extrapolated linearly from the two smaller files
#   --no-full      skip the full-scale rows
#   --min-time S   seconds per calls/s measurement (default 1)
#   --out DIR      the JSON reports and the table (default build/bench/module)
# Environment: NASBENCH_MODULE_DIR (default build/test/python/module: where nasbench*.so is),
# NASBENCH_CLI (default build/test/tools/nasbench: converts each file to a cache, timed).
# Every file is converted afresh (`nasbench convert FILE build/bench/nb201-N.cache`).
# Runs /usr/bin/python3 (torch + numpy). ~6 min on 2 cores with the files present; ~4 GB of RAM
# for the Python API at 2,000 architectures, ~7 GB for nasbench's full-scale load and convert.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
NAS201="${NAS201_API:-/tmp/ref/nas201}"
ARCHS="500 2000"
FULL="$ROOT/build/bench/nb201-full.pth"
NOFULL=0
MINTIME=1
OUT="$ROOT/build/bench/module"
CMD="bash bench/bench_module.sh${*:+ $*}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nas201) NAS201="$2"; shift 2 ;;
    --archs) ARCHS="$2"; shift 2 ;;
    --full) FULL="$2"; shift 2 ;;
    --no-full) NOFULL=1; shift ;;
    --min-time) MINTIME="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench_module.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
MODDIR="${NASBENCH_MODULE_DIR:-$ROOT/build/test/python/module}"
CLI="${NASBENCH_CLI:-$ROOT/build/test/tools/nasbench}"
mkdir -p "$OUT" "$ROOT/build/bench"
say() { echo "bench_module.sh: $*" >&2; }

if ! PYTHONPATH="$MODDIR" "$PY" -c "import nasbench" 2>/dev/null; then
  say "no nasbench module in $MODDIR (build it, or set NASBENCH_MODULE_DIR): nothing to measure"; exit 1
fi
HAVE_CLI=1
[[ -x "$CLI" ]] || { say "no CLI at $CLI (set NASBENCH_CLI): the cache rows are skipped"; HAVE_CLI=0; }
HAVE_PY=1
if [[ ! -f "$NAS201/nas_201_api/__init__.py" ]]; then
  say "no nas_201_api in $NAS201 (git clone github.com/D-X-Y/NAS-Bench-201; --nas201 DIR): the Python API column is skipped"
  HAVE_PY=0
elif ! PYTHONPATH="$NAS201" "$PY" -c "import torch, nas_201_api" 2>/dev/null; then
  say "$PY cannot import torch + nas_201_api from $NAS201: the Python API column is skipped"; HAVE_PY=0
fi
cpus_used() { cat /proc/loadavg | cut -d' ' -f1-3; }
LOAD_BEFORE="$(cpus_used)"
: >"$OUT/runs.txt"

convert() {  # FILE CACHE -> "seconds peak_kib" of the conversion
  rm -f "$2"
  { /usr/bin/time -f '%e %M' "$CLI" convert "$1" "$2" >/dev/null; } 2>&1 | tail -1
}

for n in $ARCHS; do
  f="$ROOT/build/bench/nb201-$n.pth"
  if [[ ! -f "$f" ]]; then
    say "writing $f ..."
    "$PY" "$ROOT/bench/make_bench_file.py" "$f" --archs "$n" >&2
  fi
  if [[ $HAVE_PY == 1 ]]; then
    say "nas_201_api on nb201-$n.pth ..."
    "$PY" "$ROOT/bench/bench_nas201_python.py" "$NAS201" "$f" --min-time "$MINTIME" >"$OUT/py-$n.json"
  fi
  say "nasbench on nb201-$n.pth ..."
  PYTHONPATH="$MODDIR" "$PY" "$ROOT/bench/bench_module.py" "$f" --min-time "$MINTIME" >"$OUT/nb-$n.json"
  if [[ $HAVE_CLI == 1 ]]; then
    c="$ROOT/build/bench/nb201-$n.cache"
    say "nasbench convert nb201-$n.pth ..."
    echo "convert-$n $(convert "$f" "$c") $(stat -c %s "$c")" >>"$OUT/runs.txt"
    say "nasbench on nb201-$n.cache ..."
    PYTHONPATH="$MODDIR" "$PY" "$ROOT/bench/bench_module.py" "$c" --min-time "$MINTIME" >"$OUT/nbc-$n.json"
  fi
done

if [[ $NOFULL == 0 ]]; then
  if [[ ! -f "$FULL" ]]; then
    free_kb="$(df -Pk "$(dirname "$FULL")" | awk 'NR==2 {print $4}')"
    if (( free_kb < 8 * 1024 * 1024 )); then
      say "$FULL is absent and less than 8 GB of disk is free: the full-scale rows are skipped"; NOFULL=1
    else
      say "writing $FULL (streamed, ~4-5 min, 5.1 GB) ..."
      "$PY" "$ROOT/bench/make_bench_file.py" "$FULL" --archs 15625 --stream >&2
    fi
  fi
fi
if [[ $NOFULL == 0 ]]; then
  say "nasbench on $(basename "$FULL") (one load in a child, ~25 s) ..."
  PYTHONPATH="$MODDIR" "$PY" "$ROOT/bench/bench_module.py" "$FULL" --no-queries >"$OUT/nb-full.json"
  if [[ $HAVE_CLI == 1 ]]; then
    c="${FULL%.pth}.cache"
    say "nasbench convert $(basename "$FULL") (~30 s) ..."
    echo "convert-full $(convert "$FULL" "$c") $(stat -c %s "$c")" >>"$OUT/runs.txt"
    say "nasbench on $(basename "$c") (the full scan materialises every architecture: ~5 GB) ..."
    PYTHONPATH="$MODDIR" "$PY" "$ROOT/bench/bench_module.py" "$c" --min-time "$MINTIME" >"$OUT/nbc-full.json"
  fi
fi
LOAD_AFTER="$(cpus_used)"
MACHINE="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"

"$PY" - "$OUT" "$ARCHS" "$CMD" "$MACHINE" "$LOAD_BEFORE" "$LOAD_AFTER" "$COMMIT" "$MODDIR" "$CLI" <<'PY' | tee "$OUT/table.md"
import json, os, sys
out, archs, cmd, machine, load_before, load_after, commit, moddir, cli = sys.argv[1:10]
archs = [int(a) for a in archs.split()]
MiB = 1024.0

def get(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None

conv = {}
for line in open(os.path.join(out, "runs.txt")):
    k, s, kib, size = line.split()
    conv[k] = (float(s), float(kib), int(size))

def fnum(x, unit):
    if x is None:
        return "—"
    if unit == "s":
        return "%.3f" % x if x >= 0.1 else ("%.4f" % x if x >= 0.001 else "%.6f" % x)
    if unit == "ms":
        x *= 1e3
        return "%.3g" % x if x < 100 else "{:,.0f}".format(x)
    if unit == "MiB":
        return "{:,.1f}".format(x / MiB)
    if unit == "/s":
        return "{:,.0f}".format(x)
    return str(x)

def ratio(py, nb, higher_better=False, approx=False):
    if py is None or nb is None or py <= 0 or nb <= 0:
        return "—"
    r = nb / py if higher_better else py / nb
    s = ("%.2fx" % r) if r < 10 else ("{:,.0f}x".format(r) if r >= 1000 else "%.0fx" % r)
    return ("~" + s) if approx else s

def mark(ok):
    return " ✅" if ok else " ❌"

rows = []
def row(measure, n, src, py, nb, unit, higher_better=False, target="", approx=False, py_text=None):
    rows.append("| %s | %s | %s | %s | %s | %s | %s |" % (
        measure, n, src, py_text if py_text is not None else ((("~" if approx and py is not None else "") + fnum(py, unit))),
        fnum(nb, unit), ratio(py, nb, higher_better, approx), target))

py = {n: get("py-%d.json" % n) for n in archs}
nb = {n: get("nb-%d.json" % n) for n in archs}
nbc = {n: get("nbc-%d.json" % n) for n in archs}
nbf, nbcf = get("nb-full.json"), get("nbc-full.json")

# Python's full-scale numbers: linear in the number of architectures, from the two largest runs
have = [n for n in archs if py[n]]
def extra(key_fn, n_full=15625):
    if len(have) < 2:
        return None
    a1, a2 = have[-2], have[-1]
    y1, y2 = key_fn(py[a1]), key_fn(py[a2])
    e1, e2 = py[a1]["evaluated"], py[a2]["evaluated"]
    return y1 + (y2 - y1) / float(e2 - e1) * (n_full - e1)

def pyv(n, fn):
    return fn(py[n]) if py.get(n) else None

def label(n):
    return "{:,}".format(n)

load_t = lambda r: r["load_s_median"]
hwm = lambda r: r["load_child"]["peak_rss_kib"]
for n in archs:
    if nb[n]:
        row("load `.pth`: wall time (s, median of 3)", label(n), "`.pth`", pyv(n, load_t), nb[n]["load_s_median"], "s")
        row("load `.pth`: peak RSS of a fresh process (MiB)", label(n), "`.pth`", pyv(n, hwm), hwm(nb[n]), "MiB")
    if nbc[n]:
        row("open the cache vs the Python API's load (ms, median of 3)", label(n), "cache", pyv(n, load_t),
            nbc[n]["load_s_median"], "ms")
        row("open the cache: peak RSS (MiB)", label(n), "cache", pyv(n, hwm), hwm(nbc[n]), "MiB")
if nbf:
    row("load `.pth`: wall time (s, one load in a child)", "15,625", "`.pth`", extra(load_t), nbf["load_child"]["load_s"],
        "s", approx=True)
    row("load `.pth`: peak RSS (MiB)", "15,625", "`.pth`", extra(hwm), hwm(nbf), "MiB", approx=True)
if nbcf:
    row("open the cache (ms, median of 3)", "15,625", "cache", extra(load_t), nbcf["load_s_median"], "ms", approx=True)
    row("open the cache: peak RSS (MiB)", "15,625", "cache", extra(hwm), hwm(nbcf), "MiB", approx=True)

qn = have[-1] if have else archs[-1]
def qrows(label_, key, unit, target_fn=None, higher_better=False, fresh_note=""):
    for n, src, r in ((qn, "`.pth`", nb.get(qn)), (qn, "cache", nbc.get(qn)), (15625, "cache", nbcf)):
        if not r:
            continue
        p = pyv(qn, key) if n == qn else extra(key)
        if p is not None and n != qn and higher_better:
            p = pyv(qn, key)  # calls/s do not depend on the number of architectures much: the measured one
        v = key(r)
        t = target_fn(p, v, n, src) if target_fn else ""
        row(label_, label(n), src, p, v, unit, higher_better, t, approx=(n != qn and not higher_better))

gmi = lambda k: (lambda r: r["get_more_info_per_s"][k])
t50 = lambda p, v, n, src: ("≥ 50x" + mark(p is not None and v >= 50 * p)) if p is not None else "≥ 50x"
qrows("`get_more_info` calls/s, is_random=False", gmi("is_random=False"), "/s", t50, True)
qrows("`get_more_info` calls/s, is_random=True", gmi("is_random=True"), "/s", t50, True)
scan_t = lambda p, v, n, src: ("< 2 s" + mark(v < 2.0)) if src == "cache" and n == 15625 else ""
qrows("full scan, first loop (s)", lambda r: r["scan_first_s"], "s", scan_t)
qrows("full scan, later loops (s, median of 3)", lambda r: r["scan_warm_s"], "s")
col_t = lambda p, v, n, src: ("< 10 ms" + mark(v < 0.010)) if src == "cache" else ""
qrows("`column('cifar10', 'ori-test', hp='200')`, first call (ms)", lambda r: r["column_first_s"], "ms", col_t)
qrows("`column(...)`, later calls (ms, median of 5)", lambda r: r["column_later_s"], "ms")
qrows("`costs('cifar10', '200')`, first call (ms)", lambda r: r["costs_first_s"], "ms")
qrows("`costs(...)`, later calls (ms, median of 3)", lambda r: r["costs_later_s"], "ms")
qrows("`find_best('cifar10', 'test', hp='200')`, first call (ms)", lambda r: r["find_best_first_s"], "ms")
qrows("`find_best(...)`, later calls (ms, median of 5)", lambda r: r["find_best_later_s"], "ms")
if nbcf:
    row("peak RSS after the full scan and the calls/s loops (MiB)", "15,625", "cache", None, nbcf["peak_rss_kib"], "MiB")

pyimpl = next((py[n]["impl"] for n in archs if py[n]), None)
nbimpl = next((r["impl"] for r in list(nb.values()) + [nbf] if r), "?")
print("| measure | archs | nasbench from | Python API | nasbench | ratio | target |")
print("|---|---:|---|---:|---:|---:|---|")
print("\n".join(rows))
print()
print("Python API: %s; its column at 15,625 is extrapolated linearly (~) from the %s-architecture runs (torch.load "
      "of the full file needs ~28 GB here); calls/s rows at 15,625 compare with its measured rate at %s. nasbench: %s "
      "(`%s`), CLI `%s`, commit %s. Ratio: how many times better nasbench is (time or memory: Python / nasbench; "
      "calls/s: nasbench / Python)." % (pyimpl or "not run", " and ".join(label(n) for n in have[-2:]), label(qn),
                                        nbimpl, moddir, cli, commit))
checks = []
for n in archs:
    if py[n] and nb[n]:
        for name, r in (("`.pth`", nb[n]), ("cache", nbc[n])):
            if not r:
                continue
            same = (abs(r["scan_sums"][0] - py[n]["scan_sums"][0]) <= 1e-9 * abs(py[n]["scan_sums"][0])
                    and abs(r["scan_sums"][1] - py[n]["scan_sums"][1]) <= 1e-9 * abs(py[n]["scan_sums"][1])
                    and abs(r["column_nansum"] - py[n]["column_nansum"]) <= 1e-9 * abs(py[n]["column_nansum"])
                    and abs(r["costs_flops_nansum"] - py[n]["costs_flops_nansum"]) <= 1e-9 * abs(py[n]["costs_flops_nansum"])
                    and r["find_best"][0] == py[n]["find_best"][0] and r["find_best"][1] == py[n]["find_best"][1])
            checks.append("%s %s: %s" % (label(n), name, same))
if checks:
    print("\nSame answers as nas_201_api (scan sums of test-accuracy and flops, column and costs nansums at 1e-9 "
          "relative, find_best's index and accuracy exact): " + ", ".join(checks) + ".")
cv = ["%s: %.1f s, peak RSS %.0f MiB, %.1f MB" % (k.split("-", 1)[1], s, kib / MiB, size / 1e6)
      for k, (s, kib, size) in conv.items()]
if cv:
    print("\n`nasbench convert` (the CLI, `/usr/bin/time`): " + "; ".join(cv) + ".")
base = ["nasbench %.0f MiB (numpy imported)" % (r["load_child"]["rss_before_kib"] / MiB) for r in nb.values() if r][:1]
base += ["Python API %.0f MiB (torch, numpy, nas_201_api imported)" % (r["load_child"]["rss_before_kib"] / MiB)
         for r in py.values() if r][:1]
if base:
    print("\nPeak RSS: VmHWM of a fresh process that only loads (or opens), the interpreter included; before the load: "
          + ", ".join(base) + ".")
print("\nMachine: %s; load average before %s, after %s." % (machine, load_before, load_after))
print("\nCommand: `%s`" % cmd)
PY
