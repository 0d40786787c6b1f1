#!/usr/bin/env bash
# What the cache costs, format 2 (this nasbench) against format 1 (an older
# nasbench's CLI and nasbench_bench_cache, built from a commit before format 2)
# and against loading the pickle, in one run, on one benchmark file:
#
#   bash bench/bench_cache.sh --old-build DIR [--file build/bench/nb201-full.pth]
#        [--build build/bench-core] [--old-cache F] [--work DIR] [--no-pickle]
#
# DIR is the build folder of the older tree, with tools/nasbench and
# bench/nasbench_bench_cache (bench_cache.cpp uses only the public API, so it
# builds there unchanged), e.g.
#   git worktree add /tmp/nb-v1 8b63158 && cp bench/bench_cache.cpp bench/CMakeLists.txt /tmp/nb-v1/bench/
#   cmake -S /tmp/nb-v1 -B /tmp/nb-v1/build -DCMAKE_BUILD_TYPE=Release -DNASBENCH_BUILD_BENCH=ON \
#     -DNASBENCH_WITH_TORCH=OFF -DNASBENCH_BUILD_TESTS=OFF && cmake --build /tmp/nb-v1/build --target nasbench_cli nasbench_bench_cache
#
# Measured (the caches' pages are read once before each timed step, so both
# formats are timed from the page cache):
# - convert: wall time and size of each cache (the format-1 cache is reused when given);
# - the scan NATS-Bench users run: get_cost_info + get_more_info(cifar10-valid,
#   hp 200, seed mean) for every architecture (31,250 requests for 15,625), through
#   `nasbench query CACHE` (wall time, peak RSS) and through the C++ API
#   (nasbench_bench_cache: scan_s, RssAnon after it);
# - `nasbench info`: wall time, peak RSS (cache and pickle);
# - open to first answer, first find_best, get_more_info calls/s on random architectures;
# - eight processes scanning one cache at once: the sum of their RssAnon after the scan
#   (format 2 only: eight format-1 scans need 8 x ~5 GB, more than this machine has).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
file="$root/build/bench/nb201-full.pth"
build="$root/build/bench-core"
old=""
old_cache=""
work="$root/build/bench/cache-bench"
pickle=1
while [ $# -gt 0 ]; do
  case "$1" in
    --file) file="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --old-build) old="$2"; shift 2 ;;
    --old-cache) old_cache="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --no-pickle) pickle=0; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$old" ] || { echo "--old-build DIR is required (see --help)" >&2; exit 2; }
cli="$build/tools/nasbench"; bench="$build/bench/nasbench_bench_cache"
old_cli="$old/tools/nasbench"; old_bench="$old/bench/nasbench_bench_cache"
for x in "$cli" "$bench" "$old_cli" "$old_bench" "$file"; do [ -e "$x" ] || { echo "missing: $x" >&2; exit 2; }; done
mkdir -p "$work"
new_cache="$work/v2.cache"
[ -n "$old_cache" ] || old_cache="$work/v1.cache"
out="$work/results.jsonl"
: > "$out"
say() { echo "== $*" >&2; }
warm() { cat "$1" > /dev/null; }
timed() {  # timed TAG CMD... (< stdin): one JSON line with wall seconds and peak RSS
  local tag="$1"; shift
  /usr/bin/time -f '%e %M' -o "$work/$tag.time" "$@" > "$work/$tag.out" 2> "$work/$tag.err"
  local w m; read -r w m < "$work/$tag.time"
  echo "{\"tag\": \"$tag\", \"wall_s\": $w, \"peak_rss_kib\": $m}" >> "$out"
}

say "convert (format 2) $file"
warm "$file"
timed convert_v2 "$cli" convert "$file" "$new_cache"
if [ ! -e "$old_cache" ]; then
  say "convert (format 1) $file"
  timed convert_v1 "$old_cli" convert "$file" "$old_cache"
fi
n="$("$cli" info "$new_cache" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["architectures"])')"
req="$work/scan-$n.jsonl"
/usr/bin/python3 - "$n" "$req" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"fn": "get_cost_info", "args": {"index": i, "dataset": "cifar10-valid", "hp": "200"}}) + "\n")
        f.write(json.dumps({"fn": "get_more_info", "args": {"index": i, "dataset": "cifar10-valid", "hp": "200",
                                                            "is_random": False}}) + "\n")
PY
for v in 1 2; do
  if [ $v = 1 ]; then c="$old_cache"; x="$old_cli"; b="$old_bench"; else c="$new_cache"; x="$cli"; b="$bench"; fi
  say "format $v: query scan, info, API"
  warm "$c"
  for k in 1 2 3; do timed "scan_v$v-$k" "$x" query "$c" < "$req"; timed "info_v$v-$k" "$x" info "$c"; done
  warm "$c"; "$b" "$c" | sed "s/^{/{\"tag\": \"api_v$v\", /" >> "$out"
done
cmp -s "$work/scan_v1-1.out" "$work/scan_v2-1.out" && echo '{"tag": "same_replies", "value": true}' >> "$out" \
  || echo '{"tag": "same_replies", "value": false}' >> "$out"
say "eight processes scanning the format-2 cache at once"
warm "$new_cache"
for k in 1 2 3 4 5 6 7 8; do "$bench" "$new_cache" --scan-only > "$work/eight-$k.json" & done
wait
/usr/bin/python3 - "$work" >> "$out" <<'PY'
import json, sys, glob
rows = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/eight-*.json"))]
print(json.dumps({"tag": "eight_v2", "rss_anon_kib": [r["rss_anon_kib"] for r in rows],
                  "rss_kib": [r["rss_kib"] for r in rows], "scan_s": [r["scan_s"] for r in rows]}))
PY
if [ $pickle = 1 ]; then
  say "pickle: info (today's load)"
  warm "$file"; timed info_pickle "$cli" info "$file"
fi
/usr/bin/python3 - "$out" "$old_cache" "$new_cache" "$file" <<'PY'
import json, os, sys
r, runs = {}, {}
for line in open(sys.argv[1]):
    d = json.loads(line); tag = d.pop("tag")
    if "-" in tag:  # repeated: the median (by wall time) of the runs
        runs.setdefault(tag.split("-")[0], []).append(d)
    else:
        r[tag] = d
for tag, ds in runs.items():
    r[tag] = sorted(ds, key=lambda d: d["wall_s"])[len(ds) // 2]
mib = lambda k: k / 1024.0
def row(what, v1, v2, target="", higher_is_better=False):
    ratio = ""  # how many times better format 2 is
    if isinstance(v1, (int, float)) and isinstance(v2, (int, float)) and v1 > 0 and v2 > 0:
        ratio = "%.1fx" % (v2 / v1 if higher_is_better else v1 / v2)
    f = lambda v: v if isinstance(v, str) else ("%.4g" % v)
    print("| %s | %s | %s | %s | %s |" % (what, f(v1), f(v2), ratio, target))
print("| measure | format 1 | format 2 | ratio | target |")
print("|---|---:|---:|---:|---|")
row("cache size (MB)", os.path.getsize(sys.argv[2]) / 1e6, os.path.getsize(sys.argv[3]) / 1e6, "<= 2,550")
if "convert_v1" in r: row("convert (s)", r["convert_v1"]["wall_s"], r["convert_v2"]["wall_s"])
else: row("convert (s)", "-", r["convert_v2"]["wall_s"])
row("`nasbench query` scan, 31,250 requests (s, median of 3)", r["scan_v1"]["wall_s"], r["scan_v2"]["wall_s"], ">= 10x, <= 1 s")
row("`nasbench query` scan: peak RSS (MiB)", mib(r["scan_v1"]["peak_rss_kib"]), mib(r["scan_v2"]["peak_rss_kib"]), "<= 300")
row("C++ API scan (s)", r["api_v1"]["scan_s"], r["api_v2"]["scan_s"], ">= 30x")
row("C++ API scan: RssAnon after (MiB)", mib(r["api_v1"]["rss_anon_kib"]), mib(r["api_v2"]["rss_anon_kib"]))
row("`nasbench info` (s, median of 3)", r["info_v1"]["wall_s"], r["info_v2"]["wall_s"], "<= 0.2 s")
row("`nasbench info`: peak RSS (MiB)", mib(r["info_v1"]["peak_rss_kib"]), mib(r["info_v2"]["peak_rss_kib"]), "<= 300")
row("open (ms)", r["api_v1"]["open_ms"], r["api_v2"]["open_ms"])
row("open to first answer (ms)", r["api_v1"]["first_answer_ms"], r["api_v2"]["first_answer_ms"], "<= 5 ms")
row("first find_best (ms)", r["api_v1"]["first_find_best_ms"], r["api_v2"]["first_find_best_ms"], "<= 1 ms")
row("get_more_info calls/s, random archs, after the scan", r["api_v1"]["more_info_per_s"], r["api_v2"]["more_info_per_s"], ">= 2M",
    higher_is_better=True)
e = r["eight_v2"]
row("8 processes scanning at once: summed RssAnon (MiB)", "~%.0f (8 x one)" % (8 * mib(r["api_v1"]["rss_anon_kib"])),
    mib(sum(e["rss_anon_kib"])), "< 1,024")
if "info_pickle" in r:
    print("\npickle load (`nasbench info %s`): %.2f s, %.0f MiB peak RSS"
          % (os.path.basename(sys.argv[4]), r["info_pickle"]["wall_s"], mib(r["info_pickle"]["peak_rss_kib"])))
print("same 31,250 replies from both formats: %s" % r["same_replies"]["value"])
print("API checksums: %r / %r" % (r["api_v1"]["check"], r["api_v2"]["check"]))
PY
