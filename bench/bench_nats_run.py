"""Driver of bench/bench_nats.sh: nasbench's CLI against nats_bench in fast mode on one NATS directory.

    /usr/bin/python3 bench/bench_nats_run.py --cli build/tools/nasbench --dir DIR --work WORKDIR
        [--nats-bench PATH] [--python-archs M] [--repeat 5] [--cmd TEXT] [--load-before TEXT]

Every measured program is a fresh child process; wall times are taken here
(perf_counter before the fork, then the reply line / os.wait4), peak RSS is the
child's ru_maxrss from os.wait4 (its VmHWM). Writes WORKDIR/report.json and
prints the Markdown table on stdout.

- first answer: `nasbench --fast-mode --space tss query DIR` fed one get_more_info
  line (start -> reply, start -> exit after EOF) vs bench_nats_python.py first
  (its own time from before `import nats_bench` to the answer, and the same two
  times seen from here); --repeat runs of each, alternated, medians.
- scan: get_cost_info(i, 'cifar10-valid', hp='200') + get_more_info(i,
  'cifar10-valid', hp='200', is_random=False) for every architecture file of DIR
  (or the first M by index for Python, and then nasbench on the same M too):
  nasbench reads the request file on stdin and writes the replies to a file;
  Python runs the same loop on a fresh fast-mode API.
- agreement: every Python answer against nasbench's double answers (fast mode,
  on the subset and the same indexes of the full scan, and the eager scan): the
  same keys, strings equal, numbers within 1e-12 relative; --float's largest
  relative difference is reported.
"""
import argparse
import bz2
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
DS, HP = "cifar10-valid", "200"


def more_info_req(i):
    return json.dumps({"fn": "get_more_info", "args": {"index": i, "dataset": DS, "hp": HP, "is_random": False}})


def cost_req(i):
    return json.dumps({"fn": "get_cost_info", "args": {"index": i, "dataset": DS, "hp": HP}})


def wait(pid):
    _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_maxrss


def first_cli(cli, directory, index):
    t0 = time.perf_counter()
    p = subprocess.Popen([cli, "--fast-mode", "--space", "tss", "query", directory], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, universal_newlines=True)
    p.stdin.write(more_info_req(index) + "\n")
    p.stdin.flush()
    line = p.stdout.readline()
    t_reply = time.perf_counter()
    p.stdin.close()
    rest = p.stdout.read()
    rc, rss = wait(p.pid)
    t_exit = time.perf_counter()
    p.returncode = rc
    return {"reply_s": t_reply - t0, "exit_s": t_exit - t0, "rss_kib": rss, "rc": rc, "reply": json.loads(line),
            "extra_output": rest}


def first_python(nats, directory, index):
    t0 = time.perf_counter()
    p = subprocess.Popen([PY, os.path.join(HERE, "bench_nats_python.py"), "first", nats, directory, str(index)],
                         stdout=subprocess.PIPE, universal_newlines=True)
    line = p.stdout.readline()
    t_reply = time.perf_counter()
    p.stdout.read()
    rc, rss = wait(p.pid)
    t_exit = time.perf_counter()
    p.returncode = rc
    out = json.loads(line)
    return {"reply_s": t_reply - t0, "exit_s": t_exit - t0, "in_process_s": out["first_answer_s"], "rss_kib": rss,
            "rc": rc, "reply": out["reply"]}


def scan_cli(cli, directory, indexes, work, tag, options):
    req = os.path.join(work, "requests-%d.jsonl" % len(indexes))
    if not os.path.exists(req):
        with open(req + ".tmp", "w") as f:
            for i in indexes:
                f.write(cost_req(i) + "\n" + more_info_req(i) + "\n")
        os.replace(req + ".tmp", req)
    out = os.path.join(work, "replies-%s.jsonl" % tag)
    argv = [cli] + options + ["query", directory]
    print("  %s (%d requests) ..." % (" ".join(argv[1:-1]), 2 * len(indexes)), file=sys.stderr, flush=True)
    with open(req) as fin, open(out, "w") as fout:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=fin, stdout=fout)
        rc, rss = wait(p.pid)
        t = time.perf_counter() - t0
        p.returncode = rc
    with open(out) as f:
        replies = [json.loads(line) for line in f]
    errors = [r for r in replies if "error" in r]
    return {"argv": argv[:-1] + ["DIR"], "archs": len(indexes), "requests": 2 * len(indexes), "wall_s": t,
            "rss_kib": rss, "rc": rc, "replies": len(replies), "errors": len(errors),
            "first_errors": errors[:3]}, [r.get("result") for r in replies]


def scan_python(nats, directory, indexes, work):
    idx = os.path.join(work, "python-indexes-%d.txt" % len(indexes))
    with open(idx, "w") as f:
        f.write("".join("%d\n" % i for i in indexes))
    out = os.path.join(work, "replies-python-%d.json" % len(indexes))
    print("  nats_bench fast mode (%d requests) ..." % (2 * len(indexes)), file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    p = subprocess.Popen([PY, os.path.join(HERE, "bench_nats_python.py"), "scan", nats, directory, idx, out],
                         stdout=subprocess.PIPE, universal_newlines=True)
    line = p.stdout.readline()
    t_done = time.perf_counter()
    rc, rss = wait(p.pid)
    t_exit = time.perf_counter()
    p.returncode = rc
    summary = json.loads(line)
    summary.update({"wall_s": t_exit - t0, "wall_to_summary_s": t_done - t0, "rss_kib": rss, "rc": rc})
    with open(out) as f:
        return summary, json.load(f)


def rel(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare(py, ours, tol):
    """(values compared, mismatching replies, largest relative difference, first mismatches)."""
    values = bad = 0
    worst = 0.0
    examples = []
    for k, (p, o) in enumerate(zip(py, ours)):
        ok = isinstance(o, dict) and set(p) == set(o)
        if ok:
            for key, pv in p.items():
                ov = o[key]
                values += 1
                if isinstance(pv, (int, float)) and not isinstance(pv, bool) and isinstance(ov, (int, float)):
                    r = rel(float(pv), float(ov))
                    worst = max(worst, r)
                    ok = ok and r <= tol
                else:
                    ok = ok and pv == ov
        if not ok:
            bad += 1
            if len(examples) < 3:
                examples.append({"reply": k, "python": p, "nasbench": o})
    if len(py) != len(ours):
        bad += abs(len(py) - len(ours))
    return values, bad, worst, examples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--nats-bench", default="")
    ap.add_argument("--python-archs", type=int, default=0, help="Python scans the first M files only (0: all)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cmd", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--compiler", default="")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    directory = os.path.abspath(args.dir)
    indexes = sorted(int(n[:6]) for n in os.listdir(directory) if re.fullmatch(r"\d{6}\.pickle\.pbz2", n))
    n = len(indexes)
    m = min(args.python_archs or n, n)
    subset = indexes[:m]
    have_py = bool(args.nats_bench) and os.path.isdir(os.path.join(args.nats_bench, "nats_bench"))
    rep = {"dir": directory, "archs": n, "python_archs": m if have_py else 0, "cli": args.cli, "cmd": args.cmd}

    # ----- a. time to the first answer
    print("first answer, %d runs each ..." % args.repeat, file=sys.stderr, flush=True)
    index = indexes[0]
    cli_runs, py_runs = [], []
    for _ in range(args.repeat):
        cli_runs.append(first_cli(args.cli, directory, index))
        if have_py:
            py_runs.append(first_python(args.nats_bench, directory, index))
    rep["first_index"] = index
    rep["first_cli"] = cli_runs
    rep["first_python"] = py_runs
    if have_py:
        _, bad, _, ex = compare([py_runs[0]["reply"]], [cli_runs[0]["reply"].get("result")], 1e-12)
        rep["first_agree"] = bad == 0
        rep["first_mismatch"] = ex

    # ----- b. scans
    print("scans ...", file=sys.stderr, flush=True)
    fast = ["--fast-mode", "--space", "tss"]
    if have_py:
        if m < n:
            rep["scan_cli_subset"], cli_sub = scan_cli(args.cli, directory, subset, args.work, "fast-%d" % m, fast)
        rep["scan_python"], py_replies = scan_python(args.nats_bench, directory, subset, args.work)
    rep["scan_cli_fast"], cli_fast = scan_cli(args.cli, directory, indexes, args.work, "fast-%d" % n, fast)
    if have_py and m == n:
        cli_sub = cli_fast
    rep["scan_cli_float"], cli_float = scan_cli(args.cli, directory, indexes, args.work, "float-%d" % n,
                                                fast + ["--float"])
    rep["scan_cli_eager"], cli_eager = scan_cli(args.cli, directory, indexes, args.work, "eager-%d" % n,
                                                ["--space", "tss"])
    if have_py:
        agree = {}
        for tag, ours, tol in (("fast_subset", cli_sub, 1e-12), ("fast_full", cli_fast[:2 * m], 1e-12),
                               ("eager", cli_eager[:2 * m], 1e-12), ("float", cli_float[:2 * m], 1.0)):
            values, bad, worst, ex = compare(py_replies, ours, tol)
            agree[tag] = {"replies": len(py_replies), "values": values, "mismatches": bad, "max_rel": worst,
                          "examples": ex}
        rep["agree"] = agree
    # what both sides must do whatever else they do: decompress the bz2 streams (libbz2 here too)
    meta = open(os.path.join(directory, "meta.pickle.pbz2"), "rb").read()
    meta_t = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        meta_u = len(bz2.decompress(meta))
        meta_t.append(time.perf_counter() - t0)
    t_files = 0.0
    nbytes = ubytes = 0
    for i in subset if have_py else indexes[:1000]:
        with open(os.path.join(directory, "%06d.pickle.pbz2" % i), "rb") as f:
            data = f.read()
        t0 = time.perf_counter()
        ubytes += len(bz2.decompress(data))
        t_files += time.perf_counter() - t0
        nbytes += len(data)
    rep["bz2"] = {"meta_s": statistics.median(meta_t), "meta_bytes": len(meta), "meta_uncompressed_bytes": meta_u,
                  "files": len(subset) if have_py else min(n, 1000),
                  "files_s": t_files, "files_bytes": nbytes, "files_uncompressed_bytes": ubytes}
    rep["load_after"] = " ".join(open("/proc/loadavg").read().split()[:3])
    with open(os.path.join(args.work, "report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    print_table(rep, args)


def fmt(x, unit=""):
    if x is None:
        return "—"
    if abs(x) >= 1000:
        s = "{:,.0f}".format(x)
    elif abs(x) >= 10:
        s = "%.1f" % x
    elif abs(x) >= 0.1:
        s = "%.3f" % x
    else:
        s = "%.4f" % x
    return s + unit


def ratio(ours, py):
    if ours is None or py is None or ours <= 0:
        return "—"
    r = py / ours
    if r < 1:
        return "1/%.2f" % (1 / r)
    return "{:,.0f}x".format(r) if r >= 100 else ("%.1fx" % r if r >= 10 else "%.2fx" % r)


def print_table(rep, args):
    MiB = 1024.0
    med = statistics.median
    rows = []

    def row(what, ours, py, target="", met=None):
        verdict = "" if met is None else (" ✅" if met else " ❌")
        rows.append("| %s | %s | %s | %s | %s |" % (what, ours if isinstance(ours, str) else fmt(ours),
                                                     py if isinstance(py, str) else fmt(py),
                                                     ratio(ours, py) if not isinstance(ours, str) and
                                                     not isinstance(py, str) else "—", target + verdict))

    c, p = rep["first_cli"], rep["first_python"]
    k = len(c)
    have_py = bool(p)
    cr, cx, crss = med(r["reply_s"] for r in c), med(r["exit_s"] for r in c), med(r["rss_kib"] for r in c) / MiB
    pin = med(r["in_process_s"] for r in p) if have_py else None
    pr = med(r["reply_s"] for r in p) if have_py else None
    px = med(r["exit_s"] for r in p) if have_py else None
    prss = med(r["rss_kib"] for r in p) / MiB if have_py else None
    row("first answer (s, median of %d): nasbench process start → reply; Python from before `import nats_bench` "
        "→ reply, in process" % k, cr, pin, ">= 20x", pin / cr >= 20 if have_py else None)
    row("first answer (s): process start → reply, both seen from outside", cr, pr)
    row("first answer (s): whole process, start → exit", cx, px)
    row("first answer: peak RSS (MiB)", crss, prss)
    n, m = rep["archs"], rep["python_archs"]
    if have_py:
        s = rep["scan_python"]
        sub = rep.get("scan_cli_subset") or rep["scan_cli_fast"]
        what = "all %s" % "{:,}".format(n) if m == n else "first %s (by index)" % "{:,}".format(m)
        row("scan, %s archs (%s requests), fast mode: wall time of the process (s)"
            % (what, "{:,}".format(2 * m)), sub["wall_s"], s["wall_s"], ">= 50x", s["wall_s"] / sub["wall_s"] >= 50)
        row("scan, %s archs: Python's loop alone (s; import + create: %.3f s)" % (what, s["create_s"]),
            sub["wall_s"], s["loop_s"])
        row("scan, %s archs: peak RSS (MiB)" % what, sub["rss_kib"] / MiB, s["rss_kib"] / MiB, "<= 1/4",
            s["rss_kib"] >= 4 * sub["rss_kib"])
    full = "{:,}".format(n)
    pyfull = rep["scan_python"] if have_py and m == n else None
    extrap = None
    if have_py and m < n:
        s = rep["scan_python"]
        extrap = s["create_s"] + s["loop_s"] * n / m
        base = statistics.median(r["rss_kib"] for r in rep["first_python"])
        extrap_rss = (base + (s["rss_kib"] - base) * n / float(m)) / MiB
    for key, label in (("scan_cli_fast", "fast mode"), ("scan_cli_float", "fast mode, `--float`"),
                       ("scan_cli_eager", "eager (no `--fast-mode`: every file read at open)")):
        sc = rep[key]
        if pyfull is not None:
            py_t, py_r = pyfull["wall_s"], pyfull["rss_kib"] / MiB
        elif extrap is not None:
            py_t, py_r = "~%s (extrapolated)" % fmt(extrap), "~%s (extrapolated)" % fmt(extrap_rss)
        else:
            py_t = py_r = "—"
        if isinstance(py_t, str):
            rows.append("| scan, all %s archs, nasbench %s: wall time (s) | %s | %s | %s |  |"
                        % (full, label, fmt(sc["wall_s"]), py_t,
                           ratio(sc["wall_s"], extrap) + " (vs extrapolated)" if extrap else "—"))
            rows.append("| scan, all %s archs, nasbench %s: peak RSS (MiB) | %s | %s | — |  |"
                        % (full, label, fmt(sc["rss_kib"] / MiB), py_r))
        else:
            row("scan, all %s archs, nasbench %s: wall time (s)" % (full, label), sc["wall_s"], py_t)
            row("scan, all %s archs, nasbench %s: peak RSS (MiB)" % (full, label), sc["rss_kib"] / MiB, py_r)

    print("### NATS-Bench fast mode: nasbench vs nats_bench on `%s`\n" % os.path.basename(rep["dir"]))
    print("%s architecture files; Python: %s; ratio = Python / nasbench (how many times better nasbench is; "
          "1/x: worse).%s\n" % (full, "nats_bench v1.8 (`--nats-bench %s`), Python %s" % (args.nats_bench,
                                sys.version.split()[0]) if have_py else "skipped (no --nats-bench)",
                                "" if not have_py or m == n else
                                " **Python scanned only the first %s architectures**; nasbench scanned those "
                                "(the rows with Python numbers) and all %s; the Python full-directory time is a "
                                "linear extrapolation, not a measurement." % ("{:,}".format(m), full)))
    print("| measure | nasbench (CLI) | Python | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        print(r)
    notes = []
    errs = {key: rep[key]["errors"] for key in ("scan_cli_subset", "scan_cli_fast", "scan_cli_float",
                                                 "scan_cli_eager") if key in rep}
    rcs = {key: rep[key]["rc"] for key in errs}
    notes.append("nasbench error replies: %s; exit status: %s." % (
        ", ".join("%s %d" % (key[9:], v) for key, v in errs.items()),
        ", ".join("%s %d" % (key[9:], v) for key, v in rcs.items())))
    if have_py:
        a = rep["agree"]
        notes.append("Answers: first answer identical to Python's: %s. Scan: %s replies (%s values, `comment` "
                     "included) compared with Python's at 1e-12 relative: fast mode %d mismatches (on the subset "
                     "run) and %d (the same indexes of the full run), eager %d; largest relative difference "
                     "(double) %.2g; `--float`: largest relative difference %.2g."
                     % (rep["first_agree"], "{:,}".format(a["fast_subset"]["replies"]),
                        "{:,}".format(a["fast_subset"]["values"]), a["fast_subset"]["mismatches"],
                        a["fast_full"]["mismatches"], a["eager"]["mismatches"],
                        max(a["fast_subset"]["max_rel"], a["fast_full"]["max_rel"], a["eager"]["max_rel"]),
                        a["float"]["max_rel"]))
    b = rep["bz2"]
    notes.append("The floor both sides share: bz2-decompressing `meta.pickle.pbz2` (%s KB → %.2f MB) takes %.1f ms "
                 "(libbz2 through Python's bz2 module, median of %d), the first %s architecture files of the "
                 "scan (%.1f MB → %.1f MB) %.2f s (%.1f ms per file); nasbench reads its bz2 streams with "
                 "libbz2 too." % (fmt(b["meta_bytes"] / 1e3), b["meta_uncompressed_bytes"] / 1e6, b["meta_s"] * 1e3, len(rep["first_cli"]),
                                  "{:,}".format(b["files"]), b["files_bytes"] / 1e6, b["files_uncompressed_bytes"] / 1e6,
                                  b["files_s"], b["files_s"] * 1e3 / b["files"]))
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = [int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")][0] / 1048576.0
    notes.append("Peak RSS: ru_maxrss of each process (os.wait4). Times: perf_counter around the child process "
                 "(first answer: to the reply line, and to the exit after EOF); the files are in the page cache "
                 "(all were read before). first answer: get_more_info(%d, 'cifar10-valid', hp='200', "
                 "is_random=False)." % rep["first_index"])
    notes.append("Machine: %d CPUs (`nproc`), %s, %.1f GiB RAM, %s; %s (Release); load average before %s, "
                 "after %s." % (os.cpu_count(), cpu, mem, " ".join(os.uname()[i] for i in (0, 2)), args.compiler,
                                args.load_before, rep["load_after"]))
    notes.append("Command: `%s`" % rep["cmd"])
    for x in notes:
        print("\n" + x)


if __name__ == "__main__":
    main()
