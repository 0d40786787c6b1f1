#!/usr/bin/env bash
# Forward pass and construction of the largest NAS-Bench-201 network: nasbench
# (C++/LibTorch) against the same network in Python PyTorch, in one run,
# interleaved (C++, Python, C++, Python) so both see the same machine state.
# Usage: bash bench/run_nn_bench.sh [--batch 256] [--iters 10] [--threads N] [--mode no_grad|inference]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build/bench"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_BUILD_BENCH=ON \
  -DNASBENCH_WITH_TORCH=ON >/dev/null
cmake --build "$BUILD" --target nasbench_bench_nn -j "$(nproc)" >/dev/null
CPP="$BUILD/bench/nasbench_bench_nn"
out=()
for round in 1 2; do
  out+=("$("$CPP" "$@")")
  out+=("$(/usr/bin/python3 "$ROOT/bench/bench_nn.py" "$@")")
done
/usr/bin/python3 - "${out[@]}" <<'PY'
import json, sys, statistics
rows = [json.loads(a) for a in sys.argv[1:]]
cpp = [r for r in rows if r["impl"].startswith("nasbench")]
py = [r for r in rows if not r["impl"].startswith("nasbench")]
def best(rs, k): return min(r[k] for r in rs)
print("| | nasbench (C++) | %s | ratio C++/Python |" % py[0]["impl"])
print("|---|---|---|---|")
for key, label in (("forward_ms_median", "forward, batch %d (ms, median)" % cpp[0]["batch"]),
                   ("build_ms_median", "construction (ms, median of 30)")):
    c, p = best(cpp, key), best(py, key)
    print("| %s | %.3f | %.3f | %.3f |" % (label, c, p, c / p))
print("\nthreads: C++ %d, Python %d; autograd: %s; best of 2 interleaved rounds" % (cpp[0]["threads"], py[0]["threads"], cpp[0]["mode"]))
PY
