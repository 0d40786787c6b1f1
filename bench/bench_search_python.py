"""The Python side of bench/bench_search.sh: the NATS-Bench reference search scripts' own `main(args, api)`.

    /usr/bin/python3 bench/bench_search_python.py --autodl AUTODL --nats-bench NATS --file FILE
        --algo rs|rea|reinforce|bohb [--dataset cifar10] [--runs N] [--seed S] [--time-budget B]
        [--bohb-path DIR[:DIR...]] [--bohb-n-iters 300] --out RUNS.jsonl

AUTODL: an AutoDL-Projects checkout (exps/NATS-algos/ and xautodl/); NATS: the directory holding
the `nats_bench` package (v1.8); BOHB only: --bohb-path, the directories holding `hpbandster` and
`ConfigSpace` (and whatever they need that this Python lacks), put first on sys.path. Nothing of
them is copied into the project.

What runs: the script file of the algorithm (random_wo_share.py, regularized_ea.py, reinforce.py,
bohb.py), imported with importlib as a module (its `if __name__ == "__main__"` block does not run),
and its own `main(args, api)`, once per run with `args.rand_seed = S + k` (run k = 0..N-1, as
`nasbench search --seed S --runs N`), on ONE API for all runs: the real
`nats_bench.create(FILE, 'tss', fast_mode=False, verbose=False)` (the scripts' __main__ blocks
also make one API and loop main() on it, from file None, the default benchmark, with
fast_mode=True, bohb.py with fast_mode=False: here it is the bench file, read at once).
`args` is the scripts' argparse defaults (below), with the script header's example values where
the parser has no default (REINFORCE's --learning_rate 0.01).

What is replaced, and nothing else (none of it is read by the search algorithms):
- `xautodl.datasets`: a stub module (its get_datasets / SearchDataset / get_nas_search_loaders
  raise if called), because the real one imports torchvision, which this Python lacks; the
  scripts import it but never call it.
- the script module's `prepare_logger`: a silent logger (log() does nothing, close() nothing,
  log_dir None); the real one writes a log directory under ./output. The strings passed to log()
  are still built by the scripts (their `format` calls run).
- the script module's global `args`: set to the namespace passed to main(), because the scripts'
  main() calls `prepare_logger(args)` with the global of their __main__ block.
- `api.query_info_str_by_arch`: the real call, but a ValueError (the test fixture's hp-200 results
  have only the test sets, not the x-valid sets the printout reads) gives an empty string; the
  string only goes to the log. How many calls fell back is in the summary.
- BOHB only, a shim for the ConfigSpace version: hpbandster 0.7.4 was written for ConfigSpace
  0.4.x (Cython), ConfigSpace >= 1.0 is pure Python but gives categorical values as numpy.str_,
  which Pyro4's serpent serializer cannot send to the worker: serpent is told to send them as str
  (what ConfigSpace 0.4.x gave). Nothing of hpbandster, ConfigSpace or bohb.py is changed.
- logging: disabled (`logging.disable(logging.CRITICAL)`). hpbandster's Worker calls
  `logging.basicConfig(level=DEBUG)`, so bohb.py would write every job's debug lines and the
  KDE's warnings (with the KDE data) to stderr; that is the scripts' log, silenced like
  prepare_logger's. (Messages built with % before the call are still built.)
- `api.simulate_train_eval`: the real call, wrapped to record each evaluation (the architecture,
  the returned accuracy and total time, perf_counter) so that the trace can be written: main()
  returns only current_best_index and the times. An exception there ends the process (exit 3)
  with its traceback: in BOHB's worker thread hpbandster would otherwise turn it into a failed
  job, or the run would hang.

Timing: perf_counter around each main() call (and process_time: BOHB runs threads); the import of
the script and nats_bench's create are timed separately (`load_s`). After each timed call, outside
the timing: the recorded architectures are turned into indexes (`api.query_index_by_arch`) and
the final choice's test accuracy is read:
`api.get_more_info(best_index, dataset, hp='200', is_random=False)['test-accuracy']`, the seed
mean on the full schedule, as `nasbench search --json` reports it.

Each run: one JSON line in RUNS.jsonl with the fields of `nasbench search --json` (algo, space,
dataset, seed, time_budget, hp, [population, sample_size, cycles for REA,] history [[index,
valid_accuracy, total_time], ...], current_best_index, best_index, best_arch, test_accuracy) and
`wall_s`, `cpu_s`. best_index is current_best_index[-1] (each script's final choice: the first
most accurate architecture of its trace).

BOHB: the reference runs `n_iters` (300) Hyperband iterations whatever the time budget and
reports the best of all of them; `nasbench search` stops at the time budget like the other
algorithms. So the line written is the run AT THE BUDGET, computed from the reference's trace:
history cut after the first evaluation whose total_time >= time_budget (all of it if none
reaches it), current_best_index cut alike, best_index its last entry (the best among those
evaluations), test_accuracy of that. `full_run` keeps what the reference itself reports (all
evaluations, its total time, its best index and test accuracy), `wall_to_budget_s` the wall time
from the start of main() to the end of the evaluation that crossed the budget. BOHB's runs are
not reproducible in Python: ConfigSpace's ConfigurationSpace() in bohb.py is made without a
seed (np.random.RandomState(None): seeded from the OS), and its random configurations come from
it whatever --rand_seed says (hpbandster's own draws use numpy's global generator, which
prepare_seed does seed).

stdout: one JSON summary line (versions, load_s, loop_s = the sum of the runs' wall_s, per-run
times, ...).
"""
import time

T0 = time.perf_counter()  # before anything else is imported

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402

SCRIPTS = {"rs": "random_wo_share.py", "rea": "regularized_ea.py", "reinforce": "reinforce.py", "bohb": "bohb.py"}
DEFAULT_BUDGET = {"cifar10": 20000, "cifar100": 40000, "ImageNet16-120": 120000}  # tss, as nasbench's default


def script_args(algo, dataset, time_budget, n_iters):
    """The scripts' arguments (exps/NATS-algos/*.py) as their header commands give them, --search_space tss."""
    a = argparse.Namespace(dataset=dataset, search_space="tss", time_budget=time_budget, loops_if_rand=500,
                           save_dir="./output/search", rand_seed=-1)
    if algo == "rea":  # the header's command: --ea_cycles 200 --ea_population 10 --ea_sample_size 3
        a.ea_cycles, a.ea_population, a.ea_sample_size, a.use_proxy = 200, 10, 3, 1
    elif algo == "reinforce":  # --learning_rate has no default; the header's commands use 0.01
        a.learning_rate, a.EMA_momentum, a.arch_nas_dataset, a.print_freq = 0.01, 0.9, None, None
    elif algo == "bohb":  # the header's commands (the paper's runs): --num_samples 4 --random_fraction 0.0
        # --bandwidth_factor 3 (argparse's defaults would be 64 and 0.33); nasbench's defaults are these
        a.strategy, a.min_bandwidth, a.num_samples, a.random_fraction = "sampling", 0.3, 4, 0.0
        a.bandwidth_factor, a.n_iters = 3, n_iters
    return a


class SilentLogger:
    log_dir = None

    def log(self, string, *args, **kwargs):
        pass

    def close(self):
        pass


def silent_prepare_logger(xargs):
    return SilentLogger()


def stub_datasets():
    m = types.ModuleType("xautodl.datasets")
    m.__doc__ = "bench_search_python.py's stub: the real module imports torchvision; the search scripts never call it"

    def unavailable(*args, **kwargs):
        raise RuntimeError("xautodl.datasets is stubbed by bench_search_python.py")

    m.get_datasets = m.get_nas_search_loaders = m.SearchDataset = unavailable
    sys.modules["xautodl.datasets"] = m


def numpy_str_on_the_wire():
    """SHIM for ConfigSpace >= 1.0 under hpbandster 0.7.4: ConfigSpace 1.x gives categorical values as
    numpy.str_ (0.4.x gave str), which Pyro4's serpent serializer cannot send from the BOHB master to
    the worker (the worker thread dies, the run hangs); send them as the str they are."""
    import numpy
    import serpent

    def as_str(obj, serializer, out, level):
        out.append(repr(str(obj)))

    serpent.register_class(numpy.str_, as_str)


def setup_version(init_file):
    """hpbandster has no __version__: the version= of the setup.py beside the package, if any."""
    import re
    setup = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(init_file))), "setup.py")
    try:
        m = re.search(r"version\s*=\s*['\"]([^'\"]+)", open(setup).read())
    except OSError:
        return "?"
    return m.group(1) if m else "?"


def load_script(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--autodl", required=True)
    ap.add_argument("--nats-bench", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--algo", required=True, choices=sorted(SCRIPTS))
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-budget", type=int, default=None)
    ap.add_argument("--bohb-path", default="")
    ap.add_argument("--bohb-n-iters", type=int, default=300)
    ap.add_argument("--out", required=True)
    o = ap.parse_args()
    budget = o.time_budget if o.time_budget is not None else DEFAULT_BUDGET[o.dataset]

    sys.path.insert(0, o.nats_bench)
    sys.path.insert(0, o.autodl)
    if o.algo == "bohb":
        for p in reversed([p for p in o.bohb_path.split(os.pathsep) if p]):
            sys.path.insert(0, p)
        numpy_str_on_the_wire()
    stub_datasets()
    mod = load_script(os.path.join(o.autodl, "exps", "NATS-algos", SCRIPTS[o.algo]), "nats_algo_" + o.algo)
    mod.prepare_logger = silent_prepare_logger
    t_import = time.perf_counter()
    import nats_bench
    import torch
    api = nats_bench.create(o.file, "tss", fast_mode=False, verbose=False)
    t_create = time.perf_counter()

    fallbacks = [0]
    real_info_str = api.query_info_str_by_arch

    def info_str(arch, hp="12", *args, **kwargs):
        try:
            return real_info_str(arch, hp, *args, **kwargs)
        except ValueError:
            fallbacks[0] += 1
            return ""

    api.query_info_str_by_arch = info_str
    record = []
    real_simulate = api.simulate_train_eval

    def simulate(arch, dataset, *args, **kwargs):
        try:
            out = real_simulate(arch, dataset, *args, **kwargs)
        except BaseException:  # in BOHB's worker thread hpbandster would swallow it, or the run would hang
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(3)
        record.append((arch, out[0], out[3], time.perf_counter()))
        return out

    api.simulate_train_eval = simulate

    versions = {"python": sys.version.split()[0], "torch": torch.__version__,
                "nats_bench": getattr(nats_bench, "__version__", None) or nats_bench.version()}
    if o.algo == "bohb":
        import ConfigSpace
        import hpbandster
        versions["ConfigSpace"] = ConfigSpace.__version__
        versions["hpbandster"] = getattr(hpbandster, "__version__", None) or setup_version(hpbandster.__file__)
        versions["ConfigSpace_path"] = os.path.dirname(ConfigSpace.__file__)
        versions["hpbandster_path"] = os.path.dirname(hpbandster.__file__)

    logging.disable(logging.CRITICAL)
    xargs = script_args(o.algo, o.dataset, budget, o.bohb_n_iters)
    mod.args = xargs
    run_s, cpu_s, to_budget_s, evals = [], [], [], []
    with open(o.out, "w") as out:
        for k in range(o.runs):
            seed = o.seed + k
            xargs.rand_seed = seed
            del record[:]
            c0 = time.process_time()
            t0 = time.perf_counter()
            _, current_best, totals = mod.main(xargs, api)
            t1 = time.perf_counter()
            c1 = time.process_time()
            run_s.append(t1 - t0)
            cpu_s.append(c1 - c0)
            # ---- outside the timing
            assert len(record) == len(current_best) == len(totals), (len(record), len(current_best), len(totals))
            history = [[api.query_index_by_arch(arch), acc, total] for arch, acc, total, _ in record]
            assert [h[2] for h in history] == list(totals)
            line = {"algo": o.algo, "space": "tss", "dataset": o.dataset, "seed": seed, "time_budget": budget,
                    "hp": "12"}
            if o.algo == "rea":
                line.update({"population": xargs.ea_population, "sample_size": xargs.ea_sample_size,
                             "cycles": xargs.ea_cycles})
            full_best = current_best[-1]
            if o.algo == "bohb":
                cut = next((i + 1 for i, h in enumerate(history) if h[2] >= budget), len(history))
                line["full_run"] = {"evaluations": len(history), "total_time": history[-1][2],
                                    "best_index": full_best,
                                    "test_accuracy": api.get_more_info(full_best, o.dataset, hp="200",
                                                                       is_random=False)["test-accuracy"],
                                    "wall_s": t1 - t0}
                line["wall_to_budget_s"] = record[cut - 1][3] - t0
                to_budget_s.append(line["wall_to_budget_s"])
                history, current_best = history[:cut], current_best[:cut]
            best = current_best[-1]
            evals.append(len(history))
            line.update({"history": history, "current_best_index": list(current_best), "best_index": best,
                         "best_arch": api.arch(best),
                         "test_accuracy": api.get_more_info(best, o.dataset, hp="200", is_random=False)[
                             "test-accuracy"],
                         "wall_s": t1 - t0, "cpu_s": c1 - c0})
            out.write(json.dumps(line) + "\n")
            out.flush()
            if o.runs >= 10 and (k + 1) % max(1, o.runs // 10) == 0:
                print("  python %s: %d/%d runs, %.1f s" % (o.algo, k + 1, o.runs, sum(run_s)), file=sys.stderr,
                      flush=True)
    summary = {"algo": o.algo, "dataset": o.dataset, "runs": o.runs, "seed": o.seed, "time_budget": budget,
               "file": os.path.abspath(o.file), "versions": versions, "import_script_s": t_import - T0,
               "create_s": t_create - t_import, "load_s": t_create - T0, "loop_s": sum(run_s),
               "cpu_s": sum(cpu_s), "run_s": run_s, "evaluations": evals,
               "query_info_str_fallbacks": fallbacks[0], "args": vars(xargs)}
    if o.algo == "bohb":
        summary["wall_to_budget_s"] = to_budget_s
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
