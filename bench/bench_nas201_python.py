"""The real NAS-Bench-201 Python API (nas_201_api, github D-X-Y/NAS-Bench-201) on one benchmark
file: the Python side of bench/bench_module.sh, the same measures as bench/bench_module.py, the
same JSON keys. nas_201_api is not part of this project: its checkout is an argument.

    /usr/bin/python3 bench/bench_nas201_python.py NAS201_DIR FILE [--min-time S] [--load-repeat K]

NAS201_DIR: a checkout of D-X-Y/NAS-Bench-201 (the directory holding nas_201_api/). torch, numpy
and nas_201_api are imported before anything is timed. Prints one JSON object:
- load_child: one `NASBench201API(FILE, verbose=False)` (torch.load + an ArchResults per
  architecture) in a fresh child process: wall time, VmRSS before and after, VmHWM;
- load_s: K loads in this process (default 3; 1 when a load takes over 20 s), each after the
  previous API is released;
- scan_first_s / scan_warm_s: one loop over every evaluated index i of
  `get_more_info(i, 'cifar10', hp='200', is_random=False)` + `get_cost_info(i, 'cifar10', hp='200')`
  (nothing is cached by the API: first and later loops do the same work);
- get_more_info_per_s: `get_more_info(index, dataset, None, '200', is_random)` calls per second,
  cycling through every evaluated index x the four datasets, is_random False and True;
- column: nas_201_api has no column(); what a user writes instead: a numpy array over all
  architectures (NaN where not evaluated) filled with
  `get_more_info(i, 'cifar10', hp='200', is_random=False)['test-accuracy']` (the seed mean of
  ori-test accuracy at the last epoch, which is what nasbench's column('cifar10', 'ori-test') is);
- costs: no costs() either: arrays of flops / params / latency over all architectures filled
  with `get_cost_info(i, 'cifar10', hp='200')` (which deep-copies the ArchResults: the API's
  query_meta_info_by_index does);
- find_best('cifar10', 'test', hp='200'): first call and later calls (median);
- the same checks as bench_module.py (sums, nansums, find_best's answer).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys

from module_bench_common import (answerable_cases, first_and_later, rate, repeated_loads,  # noqa: E402
                                 report_load, scan, status_kib, timed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nas201")
    ap.add_argument("file")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--load-repeat", type=int, default=3)
    ap.add_argument("--load-only", action="store_true", help="(the child) one load, its time and memory")
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.nas201))
    import numpy as np
    import torch
    import nas_201_api
    from nas_201_api import NASBench201API

    if a.load_only:
        report_load(lambda: NASBench201API(a.file, verbose=False))
        return
    child = subprocess.run([sys.executable, os.path.abspath(__file__), a.nas201, a.file, "--load-only"],
                           stdout=subprocess.PIPE, check=True, universal_newlines=True)
    out = {"impl": "nas_201_api %s (%s), Python %s, torch %s, numpy %s" % (
               nas_201_api.NAS_BENCH_201_API_VERSION, os.path.abspath(a.nas201), sys.version.split()[0],
               torch.__version__, np.__version__),
           "file": a.file, "file_bytes": os.path.getsize(a.file), "load_child": json.loads(child.stdout)}
    loads, api = repeated_loads(lambda: NASBench201API(a.file, verbose=False), a.load_repeat, stop_after=20.0)
    out["load_s"] = loads
    out["load_s_median"] = statistics.median(loads)
    evaluated = list(api.evaluated_indexes)
    out["evaluated"] = len(evaluated)
    out["len"] = len(api)

    out["scan_first_s"], sums = timed(lambda: scan(api, evaluated))
    out["scan_warm_s"] = out["scan_first_s"]  # nothing is cached: one loop is enough (see the docstring)
    out["scan_sums"] = sums

    # the API raises ValueError / KeyError / AssertionError there
    cases = answerable_cases(api, evaluated, Exception)  # noqa: BLE001
    out["cases"] = len(cases)
    random.seed(0)
    out["get_more_info_per_s"] = {
        "is_random=False": rate(lambda i, d: api.get_more_info(i, d, None, "200", False), cases, a.min_time),
        "is_random=True": rate(lambda i, d: api.get_more_info(i, d, None, "200", True), cases, a.min_time)}

    def column():
        col = np.full(len(api), np.nan)
        for i in api.evaluated_indexes:
            col[i] = api.get_more_info(i, "cifar10", hp="200", is_random=False)["test-accuracy"]
        return col

    def costs():
        res = {k: np.full(len(api), np.nan) for k in ("flops", "params", "latency")}
        for i in api.evaluated_indexes:
            info = api.get_cost_info(i, "cifar10", hp="200")
            for k in res:
                if info[k] is not None:
                    res[k][i] = info[k]
        return res

    later = 3 if len(evaluated) <= 2000 else 1
    out["column_first_s"], out["column_later_s"], col = first_and_later(column, later)
    out["column_len"] = int(len(col))
    out["column_nansum"] = float(np.nansum(col))
    out["find_best_first_s"], out["find_best_later_s"], best = first_and_later(
        lambda: api.find_best("cifar10", "test", hp="200"), later)
    out["find_best"] = [int(best[0]), float(best[1])]
    out["costs_first_s"], c = timed(costs)  # once: nothing is cached, a later call does the same work
    out["costs_later_s"] = out["costs_first_s"]
    out["costs_flops_nansum"] = float(np.nansum(c["flops"]))
    out["peak_rss_kib"] = status_kib("VmHWM")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
