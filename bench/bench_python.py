"""Python's baseline for bench/bench_api.cpp, on the same file, in the same run.

    /usr/bin/python3 bench/bench_python.py FILE [--min-time SECONDS] [--no-full]

Prints one JSON object:
- load: `torch.load(FILE, map_location='cpu')` wall time (median of 3, or 1 when
  a load takes over 10 s) for a .pth; bz2 + pickle.load for a .pbz2, plain
  pickle.load otherwise (what nas_201_api / nats_bench call). Peak RSS of one
  load in a fresh child process (this script run as `--load-only`): VmHWM of
  that process, i.e. the interpreter with torch imported plus the load, and
  its VmRSS before and after loading.
- get_more_info(index, dataset, None, '200', is_random) calls per second with
  the reference API of tests/fixtures/ref_api.py (the Python API's semantics
  on the loaded dicts, no ArchResults objects), cycling through every
  evaluated index x the four datasets: is_random False, and True with a
  random.Random; and is_random False with hp '12'.
- find_best('cifar10', 'test', hp='200') over the file's architectures and
  over 15,625 (every slot filled round-robin with the loaded dicts).
"""
import argparse
import bz2
import gc
import json
import os
import pickle
import random
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))

from module_bench_common import DATASETS, status_kib  # noqa: E402 (bench/, this script's directory)


def load_file(path):
    """What the Python APIs do to read the file; returns (object, how)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:3] == b"BZh":
        with bz2.BZ2File(path, "rb") as f:
            return pickle.load(f), "bz2 + pickle.load"
    if path.endswith(".pth") or magic[:2] == b"PK":
        import torch
        return torch.load(path, map_location="cpu"), "torch.load"
    with open(path, "rb") as f:
        return pickle.load(f), "pickle.load"


def load_only(path):
    import torch  # noqa: F401  (imported before measuring, as a user of nas_201_api has it)
    import numpy  # noqa: F401
    before = status_kib("VmRSS")
    t0 = time.perf_counter()
    obj, how = load_file(path)
    t = time.perf_counter() - t0
    print(json.dumps({"load_s": t, "how": how, "evaluated": len(obj["evaluated_indexes"]),
                      "rss_before_kib": before, "rss_after_kib": status_kib("VmRSS"),
                      "peak_rss_kib": status_kib("VmHWM"),
                      "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def calls_per_second(fn, min_seconds):
    batch = 256
    i = 0
    for _ in range(batch):
        fn(i)
        i += 1
    t0 = time.perf_counter()
    calls = 0
    while True:
        for _ in range(batch):
            fn(i)
            i += 1
        calls += batch
        t = time.perf_counter() - t0
        if t >= min_seconds:
            return calls / t


def time_find_best(api, min_seconds):
    times = []
    start = time.perf_counter()
    best = None
    while len(times) < 2 or (time.perf_counter() - start < min_seconds and len(times) < 1000):
        t0 = time.perf_counter()
        best = api.find_best("cifar10", "test", None, None, "200")
        times.append(time.perf_counter() - t0)
    return {"archs": len(api.evaluated_indexes), "first_ms": times[0] * 1e3,
            "later_ms_median": statistics.median(times[1:]) * 1e3, "calls": len(times),
            "best_index": best[0], "best_accuracy": best[1]}


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--load-only":
        load_only(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--no-full", action="store_true")
    args = ap.parse_args()

    import torch
    import benchgen
    from ref_api import RefAPI

    report = {"impl": "Python %s, torch %s" % (sys.version.split()[0], torch.__version__), "file": args.file,
              "file_bytes": os.path.getsize(args.file), "threads_torch": torch.get_num_threads()}
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--load-only", args.file],
                           stdout=subprocess.PIPE, check=True, universal_newlines=True)
    report["load_child"] = json.loads(child.stdout)

    loads = []
    raw = None
    for _ in range(3):
        raw = None
        gc.collect()
        t0 = time.perf_counter()
        raw, how = load_file(args.file)
        loads.append(time.perf_counter() - t0)
        if loads[-1] > 10.0:
            break
    report["load_how"] = how
    report["load_s"] = loads
    report["load_s_median"] = statistics.median(loads)

    meta, archs, evaluated = benchgen.normalize(raw)
    api = RefAPI(meta, archs, evaluated)
    report["evaluated"] = len(evaluated)
    pairs = [(i, d) for i in api.evaluated_indexes for d in DATASETS]
    sink = [0.0]

    def mean(i):
        index, d = pairs[i % len(pairs)]
        sink[0] += api.get_more_info(index, d, None, "200", False)["train-accuracy"]

    def mean12(i):
        index, d = pairs[i % len(pairs)]
        sink[0] += api.get_more_info(index, d, None, "12", False)["train-accuracy"]

    rng = random.Random(0)

    def rand(i):
        index, d = pairs[i % len(pairs)]
        sink[0] += api.get_more_info(index, d, None, "200", True, rng)["train-accuracy"]

    report["query"] = {"get_more_info_mean_per_s": calls_per_second(mean, args.min_time),
                       "get_more_info_random_per_s": calls_per_second(rand, args.min_time),
                       "get_more_info_mean_hp12_per_s": calls_per_second(mean12, args.min_time),
                       "pairs": len(pairs), "checksum": sink[0]}
    report["find_best_file"] = time_find_best(api, args.min_time)
    if not args.no_full:
        ev = api.evaluated_indexes
        all_archs = {i: archs[ev[i % len(ev)]] for i in range(len(meta))}
        report["find_best_15625"] = time_find_best(RefAPI(meta, all_archs, range(len(meta))), args.min_time)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
