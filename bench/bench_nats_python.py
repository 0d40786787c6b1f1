"""The Python side of bench/bench_nats.sh: the real `nats_bench` in fast mode on a NATS directory.

    /usr/bin/python3 bench/bench_nats_python.py first NATS_BENCH DIR INDEX
    /usr/bin/python3 bench/bench_nats_python.py scan NATS_BENCH DIR INDEX_FILE OUT_JSON

NATS_BENCH: the directory holding the `nats_bench` package (e.g. /tmp/ref/nats);
it is put on sys.path, nothing is copied. Each mode is one fresh process, timed
from before `import nats_bench` (and from outside, whole-process wall time and
ru_maxrss, by bench/bench_nats_run.py):

- first: `nats_bench.create(DIR, 'tss', fast_mode=True, verbose=False)` and one
  `get_more_info(INDEX, 'cifar10-valid', hp='200', is_random=False)`; prints one
  JSON line (seconds from before the import to the answer, the answer) and exits.
- scan: the same create, then for every index of INDEX_FILE (one per line)
  `get_cost_info(i, 'cifar10-valid', hp='200')` and
  `get_more_info(i, 'cifar10-valid', hp='200', is_random=False)`; prints one JSON
  line (seconds for import + create, for the loop, VmHWM right after the loop)
  and writes the answers, in request order, to OUT_JSON (after the timing).
"""
import time

T0 = time.perf_counter()  # before anything else is imported

import json  # noqa: E402
import sys  # noqa: E402


def vm_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def main():
    mode, nats_path, directory = sys.argv[1:4]
    sys.path.insert(0, nats_path)
    import nats_bench
    api = nats_bench.create(directory, "tss", fast_mode=True, verbose=False)
    t_create = time.perf_counter()
    if mode == "first":
        reply = api.get_more_info(int(sys.argv[4]), "cifar10-valid", hp="200", is_random=False)
        t = time.perf_counter()
        print(json.dumps({"first_answer_s": t - T0, "create_s": t_create - T0, "reply": reply}), flush=True)
        return
    if mode != "scan":
        sys.exit("bench_nats_python.py: unknown mode %r" % mode)
    with open(sys.argv[4]) as f:
        indexes = [int(line) for line in f if line.strip()]
    replies = []
    t1 = time.perf_counter()
    for i in indexes:
        replies.append(api.get_cost_info(i, "cifar10-valid", hp="200"))
        replies.append(api.get_more_info(i, "cifar10-valid", hp="200", is_random=False))
    t2 = time.perf_counter()
    hwm = vm_kib("VmHWM")
    summary = {"archs": len(indexes), "requests": len(replies), "create_s": t_create - T0, "loop_s": t2 - t1,
               "in_process_s": t2 - T0, "vmhwm_after_loop_kib": hwm, "repr": repr(api)}
    with open(sys.argv[5], "w") as f:
        json.dump(replies, f)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
