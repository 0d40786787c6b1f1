"""The comparison and the table of bench/bench_search.sh.

    /usr/bin/python3 bench/bench_search_compare.py WORKDIR [--cmd TEXT] [--load-before TEXT] [--compiler TEXT]
        [--file F] [--cli PATH] [--algos "rs rea reinforce bohb"] [--load-after TEXT]

WORKDIR (written by bench_search.sh), per algorithm A:
  nb-A.jsonl            `nasbench search FILE --algo A --dataset D --runs N --seed S --threads 1 --json`
  nb-A-t2.jsonl         the same with --threads 2 (must be byte-identical to the first)
  nb-A.unsupported      present when this nasbench has no --algo A (its stderr)
  py-A.jsonl            bench_search_python.py's runs (seeds S..S+M-1)
  py-A.summary.json     its summary line (load_s, loop_s, run_s, versions, ...)
  py-A.failed           present when the Python side failed (its stderr tail)
  timings.tsv           algo, what (load | summary | json), threads, repeat, process wall (s), process CPU
                        (user + sys, s), in-process search wall (s) or -
Writes WORKDIR/report.json and prints the Markdown table on stdout.

Per algorithm:
- CPU: Python's process_time around main(); nasbench's user + sys of the 1-thread summary run minus
  those of the `--runs 1 --json` load run (medians): the ratio that contention from other jobs
  distorts least.
- times: nasbench's search loop = the "wall time" its summary prints (run_many alone, after the
  load; median of the repeats) on 1 and 2 threads; also the process wall time of the --json run
  minus the load (the median process wall time of `--runs 1 --json`). Python's loop = the sum of
  the main() calls (bench_search_python.py times each; import + create apart). Ratios are per run
  (Python's loop / its runs over nasbench's loop / its runs), so that a Python side measured on
  fewer runs (--python-runs) still compares.
- BOHB: Python runs its 300 Hyperband iterations, nasbench stops at the budget: the table's
  ratios are against Python's wall time to the budget (start of main() to the end of the
  evaluation crossing it), the whole runs' ratios are in the notes; agreement is "within the
  spread" (the means' difference is printed in units of the larger std).
- accuracy: mean ± std (population std, as `nasbench search` prints it) of test_accuracy over the
  runs of each side; nasbench also over the Python side's seeds alone when they are fewer.
- traces: for each seed both sides ran, identical = history (every [index, valid_accuracy,
  total_time], floats compared as the doubles they parse to), current_best_index, best_index and
  test_accuracy all equal; "close" = the same at 1e-12 relative on the floats.
"""
import argparse
import json
import math
import os
import statistics
import sys

ALGOS = ("rs", "rea", "reinforce", "bohb")
MUST_MATCH = {"rs", "rea", "reinforce"}
FIELDS = ("history", "current_best_index", "best_index", "test_accuracy")


def read_jsonl(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def close(a, b, tol=1e-12):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= tol * max(abs(a), abs(b))
    return a == b


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    m = sum(xs) / len(xs)
    return {"n": len(xs), "mean": m, "std": math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))}


def fmt_acc(s):
    return "—" if s is None else "%.2f ± %.2f" % (s["mean"], s["std"])


def fmt_s(x):
    if x is None:
        return "—"
    return "%.3f" % x if x < 10 else "%.1f" % x


def fmt_ratio(r):
    if r is None:
        return "—"
    return "{:,.0f}x".format(r) if r >= 100 else ("%.1fx" % r if r >= 10 else "%.2fx" % r)


def timings(work):
    out = {}
    path = os.path.join(work, "timings.tsv")
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            algo, what, threads, rep, wall, cpu, search = line.rstrip("\n").split("\t")
            out.setdefault((algo, what, threads), []).append(
                (float(wall), None if search == "-" else float(search), float(cpu)))
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def analyse(work, algo, tim):
    r = {"algo": algo}
    nb = read_jsonl(os.path.join(work, "nb-%s.jsonl" % algo))
    unsupported = os.path.join(work, "nb-%s.unsupported" % algo)
    if os.path.exists(unsupported):
        r["nasbench_unsupported"] = open(unsupported).read().strip()[:600]
        nb = None
    py = read_jsonl(os.path.join(work, "py-%s.jsonl" % algo))
    failed = os.path.join(work, "py-%s.failed" % algo)
    if os.path.exists(failed):
        r["python_failed"] = open(failed).read().strip()[-600:]
    spath = os.path.join(work, "py-%s.summary.json" % algo)
    summary = json.load(open(spath)) if os.path.exists(spath) and os.path.getsize(spath) else None
    if summary is None:
        py = None
    r["python"] = None
    if py is not None:
        r["python"] = {"runs": len(py), "load_s": summary["load_s"], "loop_s": summary["loop_s"],
                       "cpu_s": summary["cpu_s"], "per_run_s": summary["loop_s"] / len(py),
                       "run_s_min": min(summary["run_s"]), "run_s_median": statistics.median(summary["run_s"]),
                       "run_s_max": max(summary["run_s"]), "evaluations_mean": statistics.mean(summary["evaluations"]),
                       "test_accuracy": stats([p["test_accuracy"] for p in py]), "versions": summary["versions"],
                       "query_info_str_fallbacks": summary["query_info_str_fallbacks"]}
        if algo == "bohb":
            r["python"]["wall_to_budget_s"] = sum(summary["wall_to_budget_s"])
            r["python"]["full_run_evaluations_mean"] = statistics.mean(p["full_run"]["evaluations"] for p in py)
            r["python"]["full_run_test_accuracy"] = stats([p["full_run"]["test_accuracy"] for p in py])
    r["nasbench"] = None
    if nb is not None:
        load = median(w for w, _, _ in tim.get((algo, "load", "1"), []))
        load_cpu = median(c for _, _, c in tim.get((algo, "load", "1"), []))
        n = len(nb)
        d = {"runs": n, "load_s": load, "load_cpu_s": load_cpu, "test_accuracy": stats([x["test_accuracy"] for x in nb]),
             "evaluations_mean": statistics.mean(len(x["history"]) for x in nb)}
        for t in ("1", "2"):
            d["search_s_t" + t] = median(s for _, s, _ in tim.get((algo, "summary", t), []))
            d["search_s_all_t" + t] = sorted(s for _, s, _ in tim.get((algo, "summary", t), []) if s is not None)
            sc = median(c for _, _, c in tim.get((algo, "summary", t), []))
            d["search_cpu_s_t" + t] = None if sc is None or load_cpu is None else sc - load_cpu
            jw = median(w for w, _, _ in tim.get((algo, "json", t), []))
            d["json_process_s_t" + t] = jw
            d["json_minus_load_s_t" + t] = None if jw is None or load is None or jw <= load else jw - load
        t2 = os.path.join(work, "nb-%s-t2.jsonl" % algo)
        if os.path.exists(t2):
            d["threads_identical"] = open(t2, "rb").read() == open(os.path.join(work, "nb-%s.jsonl" % algo),
                                                                      "rb").read()
        r["nasbench"] = d
        if py is not None:
            by_seed = {x["seed"]: x for x in nb}
            same = close_n = 0
            first_diff = None
            seeds = [p["seed"] for p in py]
            for p in py:
                q = by_seed.get(p["seed"])
                if q is None:
                    continue
                exact = all(p[k] == q[k] for k in FIELDS)
                same += exact
                near = exact or all(close(p[k], q[k]) for k in FIELDS)
                close_n += near
                if not exact and first_diff is None:
                    k = next(k for k in FIELDS if p[k] != q[k])
                    first_diff = {"seed": p["seed"], "field": k}
                    if k == "history":
                        i = next((i for i, (a, b) in enumerate(zip(p[k], q[k])) if a != b),
                                 min(len(p[k]), len(q[k])))
                        first_diff.update({"step": i, "python": p[k][i] if i < len(p[k]) else None,
                                           "nasbench": q[k][i] if i < len(q[k]) else None,
                                           "lengths": [len(p[k]), len(q[k])]})
                    else:
                        first_diff.update({"python": p[k], "nasbench": q[k]})
            r["compared"] = len([s for s in seeds if s in by_seed])
            r["identical"] = same
            r["close"] = close_n
            r["first_difference"] = first_diff
            if len(py) < n:
                r["nasbench"]["test_accuracy_python_seeds"] = stats(
                    [by_seed[s]["test_accuracy"] for s in seeds if s in by_seed])
            pr = r["python"]["per_run_s"]
            c1 = d["search_cpu_s_t1"]
            r["ratio_cpu_t1"] = (r["python"]["cpu_s"] / len(py)) / (c1 / n) if c1 and c1 > 0 else None
            for t in ("1", "2"):
                s = d["search_s_t" + t]
                r["ratio_t" + t] = pr / (s / n) if s else None
                if algo == "bohb" and s:
                    r["ratio_to_budget_t" + t] = r["python"]["wall_to_budget_s"] / len(py) / (s / n)
                j = d["json_minus_load_s_t" + t]
                r["ratio_json_t" + t] = pr / (j / n) if j and j > 0 else None
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--cmd", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--compiler", default="")
    ap.add_argument("--load-after", default="", help="(re-rendering a finished run) the load average after it")
    ap.add_argument("--file", default="")
    ap.add_argument("--cli", default="")
    ap.add_argument("--algos", default=" ".join(ALGOS))
    a = ap.parse_args()
    tim = timings(a.work)
    rows = [analyse(a.work, algo, tim) for algo in a.algos.split()]
    load_after = a.load_after or " ".join(open("/proc/loadavg").read().split()[:3])
    rep = {"rows": rows, "cmd": a.cmd, "file": a.file, "cli": a.cli, "load_before": a.load_before,
           "load_after": load_after}
    with open(os.path.join(a.work, "report.json"), "w") as f:
        json.dump(rep, f, indent=1)

    pyv = next((r["python"]["versions"] for r in rows if r["python"]), {})
    print("### NAS search: `nasbench search` vs the reference scripts on `%s`\n" % os.path.basename(a.file))
    print("tss, cifar10, the default time budget (20,000 simulated s), hp 12; run k uses seed S+k on both sides. "
          "Python: the reference scripts' `main(args, api)` (AutoDL-Projects exps/NATS-algos) on nats_bench %s "
          "(`create(FILE, 'tss', fast_mode=False)`), Python %s, torch %s%s. Times are the search loops alone "
          "(loads apart), wall time unless CPU is said; ratio = Python's time per run / nasbench's time per run "
          "(CPU time: Python's process_time in main() / nasbench's process CPU minus its load's).\n"
          % (pyv.get("nats_bench", "?"), pyv.get("python", "?"), pyv.get("torch", "?"),
             "" if "hpbandster" not in pyv else ", hpbandster %s + ConfigSpace %s" % (
                 pyv.get("hpbandster"), pyv.get("ConfigSpace"))))
    print("| algo | runs nasbench / Python | Python loop (s) | per run (ms) | nasbench loop, 1 thread (s) | "
          "2 threads (s) | ratio 1 thread | ratio 2 threads | ratio, CPU time, 1 thread | test acc. Python | test acc. nasbench | "
          "identical traces |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    notes = []
    for r in rows:
        p, n = r["python"], r["nasbench"]
        if p is None and n is None:
            continue
        nb_acc = fmt_acc(n["test_accuracy"]) if n else "—"
        if n and "test_accuracy_python_seeds" in n:
            nb_acc += " (Python's %d seeds: %s)" % (p["runs"], fmt_acc(n["test_accuracy_python_seeds"]))
        ident = "—"
        if "identical" in r:
            ident = "%d / %d" % (r["identical"], r["compared"])
            if r["close"] != r["identical"]:
                ident += " (%d within 1e-12)" % r["close"]
            if r["algo"] in MUST_MATCH:
                ident += " ✅" if r["identical"] == r["compared"] else " ❌"
            else:
                ident += " (not expected: Python's BOHB is not seeded)"
                pa, na = p["test_accuracy"], n["test_accuracy"]
                if pa and na:
                    sd = max(pa["std"], na["std"])
                    ident += "; means differ by %.2f%s" % (abs(pa["mean"] - na["mean"]),
                                                          " (%.2f std)" % (abs(pa["mean"] - na["mean"]) / sd)
                                                          if sd > 0 else "")
        ratio1, ratio2, ratio_cpu = r.get("ratio_t1"), r.get("ratio_t2"), r.get("ratio_cpu_t1")
        per_run = "%.1f" % (1e3 * p["per_run_s"]) if p else "—"
        if r["algo"] == "bohb":  # nasbench stops at the budget: compare with Python's time to the budget
            ratio1, ratio2, ratio_cpu = r.get("ratio_to_budget_t1"), r.get("ratio_to_budget_t2"), None
            if p:
                per_run += " (%.1f to the budget)" % (1e3 * p["wall_to_budget_s"] / p["runs"])
        mark = lambda x: "" if x is None else (" ✅" if x >= 100 else " ❌")  # noqa: E731
        print("| %s | %s / %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["algo"], n["runs"] if n else "—", p["runs"] if p else "—",
            fmt_s(p["loop_s"]) if p else "—", per_run,
            fmt_s(n["search_s_t1"]) if n else "—", fmt_s(n["search_s_t2"]) if n else "—",
            fmt_ratio(ratio1) + mark(ratio1), fmt_ratio(ratio2), fmt_ratio(ratio_cpu),
            fmt_acc(p["test_accuracy"]) if p else "—", nb_acc, ident))
    for r in rows:
        p, n = r["python"], r["nasbench"]
        bits = []
        if "nasbench_unsupported" in r:
            first = next((x for x in r["nasbench_unsupported"].splitlines() if x.strip()), "failed")
            bits.append("`nasbench search --algo %s` failed: `%s`" % (r["algo"], first.strip()))
        if "python_failed" in r:
            bits.append("the Python side failed: `%s`" % r["python_failed"].splitlines()[-1])
        if p:
            bits.append("Python: load (import + create) %.2f s, loop %.2f s wall / %.2f s CPU, per run %.1f ms "
                        "(min %.1f, median %.1f, max %.1f), %.1f evaluations per run"
                        % (p["load_s"], p["loop_s"], p["cpu_s"], 1e3 * p["per_run_s"], 1e3 * p["run_s_min"],
                           1e3 * p["run_s_median"], 1e3 * p["run_s_max"], p["evaluations_mean"]))
            if r["algo"] == "bohb":
                bits.append("Python BOHB runs its 300 Hyperband iterations (%.0f evaluations per run) whatever the "
                            "budget; the row is its trace cut at the budget (%.1f evaluations); wall time to the "
                            "evaluation crossing the budget %.2f s in all (%.1f ms per run); the full runs' own "
                            "final choice: %s"
                            % (p["full_run_evaluations_mean"], p["evaluations_mean"], p["wall_to_budget_s"],
                               1e3 * p["wall_to_budget_s"] / p["runs"], fmt_acc(p["full_run_test_accuracy"])))
                if r.get("ratio_t1"):
                    bits.append("the table's BOHB ratios are against Python's wall time to the budget; against "
                                "its whole runs (300 iterations): %s on 1 thread, %s on 2, CPU time %s"
                                % (fmt_ratio(r["ratio_t1"]), fmt_ratio(r.get("ratio_t2")),
                                   fmt_ratio(r.get("ratio_cpu_t1"))))
        if n:
            bits.append("nasbench: search loop on 1 thread %s s, on 2 threads %s s (each repeat, sorted); load %s s wall, %s s CPU (process of `--runs 1 --json`, median); search CPU on "
                        "1 thread %s s (process CPU of the summary run minus the load's); %.1f evaluations per "
                        "run; process wall of the %d-run `--json` run minus the load's: %s s on 1 thread (ratio %s), "
                        "%s s on 2 (%s) (— where the load's wall time varied more than the search takes); the JSON "
                        "of 1 and 2 threads identical: %s"
                        % (", ".join(fmt_s(x) for x in n["search_s_all_t1"]),
                           ", ".join(fmt_s(x) for x in n["search_s_all_t2"]), fmt_s(n["load_s"]), fmt_s(n["load_cpu_s"]), fmt_s(n["search_cpu_s_t1"]), n["evaluations_mean"], n["runs"], fmt_s(n["json_minus_load_s_t1"]),
                           fmt_ratio(r.get("ratio_json_t1")), fmt_s(n["json_minus_load_s_t2"]),
                           fmt_ratio(r.get("ratio_json_t2")), n.get("threads_identical", "—")))
        if r.get("first_difference"):
            bits.append("first difference: %s" % json.dumps(r["first_difference"]))
        if bits:
            notes.append("%s: %s." % (r["algo"], "; ".join(bits)))
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = [int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")][0] / 1048576.0
    notes.append("Machine: %d CPUs (`nproc`), %s, %.1f GiB RAM, %s; %s; load average before %s, after %s."
                 % (os.cpu_count(), cpu, mem, " ".join(os.uname()[i] for i in (0, 2)), a.compiler or "?",
                    a.load_before, load_after))
    notes.append("Command: `%s`" % a.cmd)
    for x in notes:
        print("\n" + x)


if __name__ == "__main__":
    sys.exit(main())
