"""The Python module `nasbench` on one benchmark file or cache: the issue #16 measures
(bench/bench_module.sh drives it against the real nas_201_api's bench/bench_nas201_python.py,
which measures the same things the same way and prints the same JSON keys).

    PYTHONPATH=build/test/python/module /usr/bin/python3 bench/bench_module.py FILE
        [--min-time S] [--load-repeat K] [--load-only] [--no-queries]

FILE: a NAS-Bench-201 .pth or a nasbench cache (`nasbench convert FILE OUT.cache`). numpy and
nasbench are imported before anything is timed. Prints one JSON object:
- load_child: one `nasbench.NASBench201API(FILE)` in a fresh child process (this script with
  --load-only): its wall time, VmRSS before and after, VmHWM (peak RSS of the process);
- load_s: K loads in this process (default 3; the median is what the table shows);
- scan_first_s: on the last of those loads (nothing queried yet), one Python loop over every
  evaluated index i of `get_more_info(i, 'cifar10', hp='200', is_random=False)` and
  `get_cost_info(i, 'cifar10', hp='200')`; from a cache this is the first touch of every
  architecture (format v1 copies each one it touches into heap tables); scan_warm_s: the same
  loop again (median of 3);
- get_more_info_per_s: `get_more_info(index, dataset, None, '200', is_random)` calls per second
  from Python, cycling through every evaluated index x the four datasets, after the scans:
  is_random False, True (Python's random module, the default), True after api.seed(0);
- on a second fresh API: column('cifar10', 'ori-test', hp='200') first call, then later calls
  (median of 5); find_best('cifar10', 'test', hp='200') first, then later calls (median of 5);
- on a third fresh API: costs('cifar10', '200') first call, then later calls (median of 3);
- checks, to compare with the Python API's: sums of the scan's test-accuracy and flops, nansum
  of the column and of costs' flops, find_best's answer.
--no-queries: the loads only (the full-scale .pth).
"""
import argparse
import gc
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import nasbench

from module_bench_common import (answerable_cases, first_and_later, rate, repeated_loads,  # noqa: E402
                                 report_load, scan, status_kib, timed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--load-repeat", type=int, default=3)
    ap.add_argument("--load-only", action="store_true", help="(the child) one load, its time and memory")
    ap.add_argument("--no-queries", action="store_true")
    a = ap.parse_args()
    if a.load_only:
        report_load(lambda: nasbench.NASBench201API(a.file))
        return
    child = subprocess.run([sys.executable, os.path.abspath(__file__), a.file, "--load-only"],
                           stdout=subprocess.PIPE, check=True, universal_newlines=True)
    out = {"impl": "nasbench %s, Python %s, numpy %s" % (getattr(nasbench, "__version__", "?"),
                                                       sys.version.split()[0], np.__version__),
           "module": nasbench.__file__, "file": a.file, "file_bytes": os.path.getsize(a.file),
           "load_child": json.loads(child.stdout)}
    out["evaluated"] = out["load_child"]["evaluated"]
    if a.no_queries:
        print(json.dumps(out, indent=1))
        return
    loads, api = repeated_loads(lambda: nasbench.NASBench201API(a.file), a.load_repeat)
    out["load_s"] = loads
    out["load_s_median"] = statistics.median(loads)
    evaluated = list(api.evaluated_indexes)
    out["evaluated"] = len(evaluated)
    out["len"] = len(api)

    out["scan_first_s"], sums = timed(lambda: scan(api, evaluated))
    out["scan_warm_s"] = statistics.median(timed(lambda: scan(api, evaluated))[0] for _ in range(3))
    out["scan_sums"] = sums

    cases = answerable_cases(api, evaluated, nasbench.QueryError)
    out["cases"] = len(cases)
    gmi = {"is_random=False": rate(lambda i, d: api.get_more_info(i, d, None, "200", False), cases, a.min_time),
           "is_random=True": rate(lambda i, d: api.get_more_info(i, d, None, "200", True), cases, a.min_time)}
    api.seed(0)
    gmi["is_random=True, api.seed(0)"] = rate(lambda i, d: api.get_more_info(i, d, None, "200", True), cases,
                                              a.min_time)
    api.seed(None)
    out["get_more_info_per_s"] = gmi
    out["rss_after_queries_kib"] = status_kib("VmRSS")
    api = None
    gc.collect()

    fresh = nasbench.NASBench201API(a.file)
    out["column_first_s"], out["column_later_s"], col = first_and_later(
        lambda: fresh.column("cifar10", "ori-test", hp="200"), 5)
    out["column_len"] = int(len(col))
    out["column_nansum"] = float(np.nansum(col))
    out["find_best_first_s"], out["find_best_later_s"], best = first_and_later(
        lambda: fresh.find_best("cifar10", "test", hp="200"), 5)
    out["find_best"] = [int(best[0]), float(best[1])]
    fresh = None
    gc.collect()

    fresh = nasbench.NASBench201API(a.file)
    out["costs_first_s"], out["costs_later_s"], costs = first_and_later(lambda: fresh.costs("cifar10", "200"), 3)
    out["costs_flops_nansum"] = float(np.nansum(costs["flops"]))
    out["peak_rss_kib"] = status_kib("VmHWM")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
