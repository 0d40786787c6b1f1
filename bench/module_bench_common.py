"""What bench_module.py (nasbench) and bench_nas201_python.py (the real nas_201_api) measure
the same way: the datasets, /proc/self/status fields, loads, call rates, timings, the full scan
loop (bench_python.py takes the datasets and status_kib too). The scripts import it from their
own directory (bench/)."""
import gc
import json
import statistics
import time

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")


def status_kib(field):
    """A /proc/self/status field in KiB (VmRSS, VmHWM), or -1."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def rate(fn, cases, min_time):
    """Calls of fn(*case) per second, cycling through `cases` for at least min_time seconds."""
    n, start = 0, time.perf_counter()
    while True:
        for c in cases:
            fn(*c)
        n += len(cases)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return n / elapsed


def timed(fn):
    """(seconds, fn())."""
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def report_load(load):
    """A child's report (--load-only): one load(), its time, VmRSS before and after, VmHWM, as JSON."""
    before = status_kib("VmRSS")
    t, api = timed(load)
    print(json.dumps({"load_s": t, "rss_before_kib": before, "rss_after_kib": status_kib("VmRSS"),
                      "peak_rss_kib": status_kib("VmHWM"), "len": len(api),
                      "evaluated": len(api.evaluated_indexes)}))


def repeated_loads(load, repeat, stop_after=None):
    """`repeat` (at least one) timed load() calls, each once the previous API is freed: (seconds, the
    last API). stop_after: no further load once one took longer than that many seconds."""
    loads, api = [], None
    for _ in range(max(1, repeat)):
        api = None
        gc.collect()
        t, api = timed(load)
        loads.append(t)
        if stop_after is not None and t > stop_after:
            break
    return loads, api


def answerable_cases(api, evaluated, errors):
    """The (index, dataset) pairs, over `evaluated` x DATASETS, whose get_more_info(i, d, None, '200',
    False) answers rather than raising one of `errors`."""
    cases = []
    for i in evaluated:
        for d in DATASETS:
            try:
                api.get_more_info(i, d, None, "200", False)
                cases.append((i, d))
            except errors:
                pass
    return cases


def first_and_later(fn, later):
    """(first call's seconds, median of `later` more calls, the first call's answer)."""
    first, r = timed(fn)
    times = [timed(fn)[0] for _ in range(later)]
    return first, statistics.median(times), r


def scan(api, evaluated):
    """The full scan: get_more_info + get_cost_info (cifar10, hp 200) of every evaluated index; checksums."""
    acc = flops = 0.0
    for i in evaluated:
        acc += api.get_more_info(i, "cifar10", hp="200", is_random=False)["test-accuracy"]
        flops += api.get_cost_info(i, "cifar10", hp="200")["flops"]
    return acc, flops
