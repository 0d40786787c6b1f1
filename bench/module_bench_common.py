"""What bench_module.py (nasbench) and bench_nas201_python.py (the real nas_201_api) measure
the same way: the datasets, /proc/self/status fields, call rates, timings, the full scan loop.
Both scripts import it from their own directory (bench/)."""
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
