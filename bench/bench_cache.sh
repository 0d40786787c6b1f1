#!/usr/bin/env bash
# What the cache costs: this nasbench's format against the formats of older
# nasbench builds, and against loading the pickle, in one run, on one
# benchmark file:
#
#   bash bench/bench_cache.sh --old-build DIR[=LABEL] [--old-build DIR[=LABEL] ...]
#        [--file build/bench/nb201-full.pth] [--build build/bench-core] [--old-cache F]
#        [--work DIR] [--no-pickle]
#
# Each DIR is the build folder of an older tree, with tools/nasbench and
# bench/nasbench_bench_cache (bench_cache.cpp uses only the public API, so it
# builds there unchanged); LABEL names its column (default: old1, old2, ...).
# The first is the baseline of the ratios; --old-cache F is its cache when
# already converted. E.g. format 1 (8b63158) and format 2 (7d4c868):
#   git worktree add /tmp/nb-v1 8b63158 && cp bench/bench_cache.cpp bench/CMakeLists.txt /tmp/nb-v1/bench/
#   cmake -S /tmp/nb-v1 -B /tmp/nb-v1/build -DCMAKE_BUILD_TYPE=Release -DNASBENCH_BUILD_BENCH=ON \
#     -DNASBENCH_WITH_TORCH=OFF -DNASBENCH_BUILD_TESTS=OFF && cmake --build /tmp/nb-v1/build --target nasbench_cli nasbench_bench_cache
#   bash bench/bench_cache.sh --old-build /tmp/nb-v1/build="format 1" --old-build /tmp/nb-v2/build="format 2"
#
# Measured (the caches' pages are read once before each timed step, so every
# format is timed from the page cache):
# - convert: wall time and size of each cache (the first old cache is reused when given);
# - the scan NATS-Bench users run: get_cost_info + get_more_info(cifar10-valid,
#   hp 200, seed mean) for every architecture (31,250 requests for 15,625), through
#   `nasbench query CACHE` (wall time, peak RSS; and with is_random=True, the Python APIs'
#   default: the protocol's engine draws the seeds, the same in every build) and through the C++ API
#   (nasbench_bench_cache: scan_s, RssAnon after it);
# - `nasbench info`: wall time, peak RSS (cache and pickle);
# - open to first answer, first find_best, get_more_info calls/s on random architectures;
# - eight processes scanning one cache at once: the sum of their RssAnon after the scan
#   (this nasbench's cache only: eight format-1 scans need 8 x ~5 GB, more than this machine has).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
file="$root/build/bench/nb201-full.pth"
build="$root/build/bench-core"
olds=()
old_cache=""
work="$root/build/bench/cache-bench"
pickle=1
while [ $# -gt 0 ]; do
  case "$1" in
    --file) file="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --old-build) olds+=("$2"); shift 2 ;;
    --old-cache) old_cache="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --no-pickle) pickle=0; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#olds[@]} -gt 0 ] || { echo "--old-build DIR is required (see --help)" >&2; exit 2; }
# Versions: 0..n-1 the old builds, n this one; each with its CLI, bench program, cache and label.
clis=(); benches=(); caches=(); labels=()
k=0
for o in "${olds[@]}"; do
  dir="${o%%=*}"; label="old$((k + 1))"; [ "$dir" != "$o" ] && label="${o#*=}"
  clis+=("$dir/tools/nasbench"); benches+=("$dir/bench/nasbench_bench_cache"); labels+=("$label")
  c="$work/old$k.cache"; [ $k = 0 ] && [ -n "$old_cache" ] && c="$old_cache"
  caches+=("$c"); k=$((k + 1))
done
clis+=("$build/tools/nasbench"); benches+=("$build/bench/nasbench_bench_cache"); labels+=("this nasbench")
caches+=("$work/new.cache")
new=$k
for x in "${clis[@]}" "${benches[@]}" "$file"; do [ -e "$x" ] || { echo "missing: $x" >&2; exit 2; }; done
mkdir -p "$work"
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

for v in $(seq 0 $new); do
  if [ $v = $new ] || [ ! -e "${caches[$v]}" ]; then
    say "convert (${labels[$v]}) $file"
    warm "$file"
    rm -f "${caches[$v]}"
    timed "convert_v$v" "${clis[$v]}" convert "$file" "${caches[$v]}"
  fi
done
n="$("${clis[$new]}" info "${caches[$new]}" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["architectures"])')"
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
sed 's/"is_random": false/"is_random": true/' "$req" > "$work/scan-random-$n.jsonl"  # the Python APIs' default
for v in $(seq 0 $new); do
  c="${caches[$v]}"; x="${clis[$v]}"; b="${benches[$v]}"
  say "${labels[$v]}: query scan, info, API"
  warm "$c"
  for k in 1 2 3; do
    timed "scan_v$v-$k" "$x" query "$c" < "$req"; timed "info_v$v-$k" "$x" info "$c"
    timed "scanrandom_v$v-$k" "$x" query "$c" < "$work/scan-random-$n.jsonl"
  done
  warm "$c"; "$b" "$c" | sed "s/^{/{\"tag\": \"api_v$v\", /" >> "$out"
done
same=true
for v in $(seq 0 $((new - 1))); do
  cmp -s "$work/scan_v$v-1.out" "$work/scan_v$new-1.out" || same=false
  cmp -s "$work/scanrandom_v$v-1.out" "$work/scanrandom_v$new-1.out" || same=false
done
echo "{\"tag\": \"same_replies\", \"value\": $same}" >> "$out"
say "eight processes scanning this nasbench's cache at once"
warm "${caches[$new]}"
for k in 1 2 3 4 5 6 7 8; do "${benches[$new]}" "${caches[$new]}" --scan-only > "$work/eight-$k.json" & done
wait
/usr/bin/python3 - "$work" >> "$out" <<'PY'
import json, sys, glob
rows = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/eight-*.json"))]
print(json.dumps({"tag": "eight", "rss_anon_kib": [r["rss_anon_kib"] for r in rows],
                  "rss_kib": [r["rss_kib"] for r in rows], "scan_s": [r["scan_s"] for r in rows]}))
PY
if [ $pickle = 1 ]; then
  say "pickle: info (today's load)"
  warm "$file"; timed info_pickle "${clis[$new]}" info "$file"
fi
labels_json="$(printf '%s\n' "${labels[@]}" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))')"
caches_json="$(printf '%s\n' "${caches[@]}" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))')"
/usr/bin/python3 - "$out" "$labels_json" "$caches_json" "$file" <<'PY'
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
labels, caches = json.loads(sys.argv[2]), json.loads(sys.argv[3])
vs = range(len(labels)); new = len(labels) - 1
mib = lambda k: k / 1024.0
def row(what, values, target="", higher_is_better=False):
    ratio = ""  # how many times better this nasbench is than the first old build
    a, b = values[0], values[-1]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > 0 and b > 0:
        ratio = "%.1fx" % (b / a if higher_is_better else a / b)
    f = lambda v: v if isinstance(v, str) else ("%.4g" % v)
    print("| %s | %s | %s | %s |" % (what, " | ".join(f(v) for v in values), ratio, target))
print("| measure | %s | ratio | target |" % " | ".join(labels))
print("|---|%s---:|---|" % ("---:|" * len(labels)))
row("cache size (MB)", [os.path.getsize(c) / 1e6 for c in caches], "<= 2,550")
row("convert (s)", [r["convert_v%d" % v]["wall_s"] if "convert_v%d" % v in r else "-" for v in vs])
row("`nasbench query` scan, 31,250 requests (s, median of 3)", [r["scan_v%d" % v]["wall_s"] for v in vs], ">= 10x, <= 1 s")
row("`nasbench query` scan: peak RSS (MiB)", [mib(r["scan_v%d" % v]["peak_rss_kib"]) for v in vs], "<= 300")
row("the same with is_random=True, the default (s, median of 3)", [r["scanrandom_v%d" % v]["wall_s"] for v in vs])
row("the same: peak RSS (MiB)", [mib(r["scanrandom_v%d" % v]["peak_rss_kib"]) for v in vs])
row("C++ API scan (s)", [r["api_v%d" % v]["scan_s"] for v in vs], ">= 30x")
row("C++ API scan: RssAnon after (MiB)", [mib(r["api_v%d" % v]["rss_anon_kib"]) for v in vs])
row("`nasbench info` (s, median of 3)", [r["info_v%d" % v]["wall_s"] for v in vs], "<= 0.2 s")
row("`nasbench info`: peak RSS (MiB)", [mib(r["info_v%d" % v]["peak_rss_kib"]) for v in vs], "<= 300")
row("open (ms)", [r["api_v%d" % v]["open_ms"] for v in vs])
row("open to first answer (ms)", [r["api_v%d" % v]["first_answer_ms"] for v in vs], "<= 5 ms")
row("first find_best (ms)", [r["api_v%d" % v]["first_find_best_ms"] for v in vs], "<= 1 ms")
row("get_more_info calls/s, random archs, after the scan", [r["api_v%d" % v]["more_info_per_s"] for v in vs], ">= 2M",
    higher_is_better=True)
e = r["eight"]
row("8 processes scanning at once: summed RssAnon (MiB)",
    ["~%.0f (8 x one)" % (8 * mib(r["api_v%d" % v]["rss_anon_kib"])) for v in range(new)] + [mib(sum(e["rss_anon_kib"]))],
    "< 1,024")
if "info_pickle" in r:
    print("\npickle load (`nasbench info %s`): %.2f s, %.0f MiB peak RSS"
          % (os.path.basename(sys.argv[4]), r["info_pickle"]["wall_s"], mib(r["info_pickle"]["peak_rss_kib"])))
print("same 31,250 replies from every format (both scans): %s" % r["same_replies"]["value"])
print("API checksums: %r" % [r["api_v%d" % v]["check"] for v in vs])
PY
