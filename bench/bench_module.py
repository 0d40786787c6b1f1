"""The Python module `nasbench` on one benchmark file: what bench_python.py measures for
the Python API, through `import nasbench` (for the issue #16 table).

    PYTHONPATH=build/.../python/module /usr/bin/python3 bench/bench_module.py FILE [--min-time S]

Prints one JSON object:
- load: nasbench.NASBench201API(FILE) wall time (median of 3) and the peak RSS of one
  load in a fresh child process (VmHWM; VmRSS before and after the load);
- get_more_info(index, dataset, None, '200', is_random) calls per second from Python,
  cycling through every evaluated index x the four datasets: is_random False; True
  (Python's random module, the default); True after api.seed(0) (the API's engine);
- scan: one Python loop of get_more_info(i, 'cifar10', hp='200', is_random=False) over
  every evaluated index (seconds);
- column('cifar10', 'ori-test', '200') (first call, then warm) and find_best('cifar10',
  'test', hp='200') seconds.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import nasbench

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")


def vm(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None


def rate(fn, cases, min_time):
    n, start = 0, time.perf_counter()
    while True:
        for c in cases:
            fn(*c)
        n += len(cases)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return n / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--load-only", action="store_true")
    a = ap.parse_args()
    if a.load_only:
        before = vm("VmRSS")
        api = nasbench.NASBench201API(a.file)
        print(json.dumps({"rss_before": before, "rss_after": vm("VmRSS"), "hwm": vm("VmHWM"), "len": len(api)}))
        return
    times = []
    for _ in range(3):
        t = time.perf_counter()
        api = nasbench.NASBench201API(a.file)
        times.append(time.perf_counter() - t)
    child = subprocess.run([sys.executable, os.path.abspath(__file__), a.file, "--load-only"], capture_output=True,
                           text=True, check=True, env=dict(os.environ))
    out = {"file": a.file, "bytes": os.path.getsize(a.file) if os.path.isfile(a.file) else None,
           "load_s": statistics.median(times), "load_rss": json.loads(child.stdout)}
    evaluated = api.evaluated_indexes
    cases = []
    for i in evaluated:
        for d in DATASETS:
            try:
                api.get_more_info(i, d, None, "200", False)
                cases.append((i, d))
            except nasbench.QueryError:
                pass
    out["evaluated"] = len(evaluated)
    out["get_more_info_per_s"] = {
        "is_random=False": rate(lambda i, d: api.get_more_info(i, d, None, "200", False), cases, a.min_time),
        "is_random=True (random module)": rate(lambda i, d: api.get_more_info(i, d, None, "200", True), cases,
                                               a.min_time)}
    api.seed(0)
    out["get_more_info_per_s"]["is_random=True (api.seed)"] = rate(
        lambda i, d: api.get_more_info(i, d, None, "200", True), cases, a.min_time)
    api.seed(None)
    t = time.perf_counter()
    for i in evaluated:
        try:
            api.get_more_info(i, "cifar10", hp="200", is_random=False)
        except nasbench.QueryError:
            pass
    out["scan_s"] = time.perf_counter() - t
    fresh = nasbench.NASBench201API(a.file)
    t = time.perf_counter()
    fresh.column("cifar10", "ori-test", "200")
    out["column_first_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fresh.column("cifar10", "ori-test", "200")
    out["column_warm_s"] = time.perf_counter() - t
    t = time.perf_counter()
    api.find_best("cifar10", "test", hp="200")
    out["find_best_s"] = time.perf_counter() - t
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
