"""`nasbench search` on the search fixtures (tests/fixtures/make_search_fixtures.py): the replayed
traces through --json, the summary table, --csv, and every bad argument.

Usage: python3 tests/test_cli_search.py PATH/TO/nasbench SEARCH_FIXTURE_DIR CACHE_DIR [unittest arguments]

Convert writes `nasbench convert` caches of both fixtures into CACHE_DIR; Replay and Errors search those
caches (they open in milliseconds), Pickles searches the .pickle.pbz2 files themselves. Without unittest
arguments every class runs, Convert first. ctest runs them as four tests (tests/CMakeLists.txt): the two
conversions (a fixture set-up) and Pickles side by side, then Replay and Errors.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

from test_cli_benchmark import close  # numbers to 1e-12 relative, the rest exactly

EXE = FX = CACHES = None  # CACHES: where Convert writes `nasbench convert` caches of the fixtures
META = ("space", "algo", "dataset", "seed", "time_budget", "hp", "population", "sample_size", "cycles")


def run(*args):
    env = dict(os.environ)
    env.pop("NASBENCH_FILE", None)
    p = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300, env=env)
    return p.returncode, p.stdout, p.stderr


def cache_of(space):
    """Where Convert writes the cache of `space`."""
    return os.path.join(CACHES, space + ".cache")


def data(space, cache=True):
    """The fixture of `space`; by default its cache (written by Convert), the same benchmark."""
    if cache:
        path = cache_of(space)
        if not os.path.exists(path):
            raise AssertionError("no %s: run the Convert tests first (ctest: cli_search:convert_%s)" % (path, space))
        return path
    with open(os.path.join(FX, "manifest.json")) as f:
        return os.path.join(FX, json.load(f)[space])


def traces():
    with open(os.path.join(FX, "traces.jsonl")) as f:
        return [json.loads(line) for line in f]


def args_of(row, cache=True):
    out = [data(row["space"], cache), "--algo", row["algo"], "--dataset", row["dataset"],
           "--time-budget", str(row["time_budget"]), "--hp", row["hp"]]
    if row["algo"] == "rea":
        out += ["--ea-population", str(row["population"]), "--ea-sample-size", str(row["sample_size"]),
                "--ea-cycles", str(row["cycles"])]
    return out


class Convert(unittest.TestCase):
    """`nasbench convert` of each search fixture: the caches the other classes search."""

    def convert(self, space):
        os.makedirs(CACHES, exist_ok=True)
        path = cache_of(space)
        if os.path.exists(path):
            os.remove(path)
        rc, out, err = run("convert", data(space, cache=False), path)
        self.assertEqual(rc, 0, err)
        rc, out, err = run("search", path, "--algo", "rs", "--dataset", "cifar10", "--time-budget", "100", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["space"], space)

    def test_tss(self):
        self.convert("tss")

    def test_sss(self):
        self.convert("sss")


class Replay(unittest.TestCase):
    def test_json_lines_are_the_reference_traces(self):
        groups = {}  # the runs of one configuration: seeds 0 and 1 in one call (--seed 0 --runs 2)
        for row in traces():
            groups.setdefault(tuple(args_of(row)), {})[row["seed"]] = row
        checked = 0
        for args, by_seed in groups.items():
            rc, out, err = run("search", *args, "--seed", "0", "--runs", "2", "--json")
            self.assertEqual(rc, 0, err)
            for got in (json.loads(line) for line in out.splitlines()):
                row = by_seed[got["seed"]]
                for k in META + ("history", "current_best_index", "best_index", "best_arch", "test_accuracy"):
                    if k in row:
                        self.assertTrue(close(row[k], got[k]), (args, row["seed"], k))
                checked += 1
        self.assertGreater(checked, 60)

    def test_runs_and_threads(self):
        rows = [r for r in traces() if r["space"] == "sss" and r["algo"] == "rs" and r["dataset"] == "cifar100"
                and r["time_budget"] == 1200]
        by_seed = {r["seed"]: r for r in rows}
        self.assertIn(0, by_seed)
        self.assertIn(1, by_seed)
        outs = []
        for threads in ("1", "3"):
            rc, out, err = run("search", *args_of(rows[0]), "--seed", "0", "--runs", "6", "--threads", threads,
                               "--json")
            self.assertEqual(rc, 0, err)
            outs.append(out)
        self.assertEqual(outs[0], outs[1])
        got = [json.loads(line) for line in outs[0].splitlines()]
        self.assertEqual([g["seed"] for g in got], list(range(6)))
        for g in got[:2]:
            self.assertTrue(close(by_seed[g["seed"]]["history"], g["history"]))

    def test_default_budgets(self):
        for space, dataset, budget in (("tss", "ImageNet16-120", 120000), ("sss", "ImageNet16-120", 60000),
                                       ("sss", "cifar10", 20000)):
            rc, out, err = run("search", data(space), "--algo", "rea", "--dataset", dataset, "--json")
            self.assertEqual(rc, 0, err)
            got = json.loads(out)
            self.assertEqual(got["time_budget"], budget)
            self.assertEqual((got["population"], got["sample_size"], got["cycles"], got["hp"]), (10, 3, 200, "12"))
            self.assertGreaterEqual(got["history"][-1][2], budget)
            self.assertLess(got["history"][-2][2], budget)

    def test_summary_table_and_csv(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "curve.csv")
            rc, out, err = run("search", data("tss"), "--algo", "rs", "--dataset", "cifar100", "--time-budget",
                               "1500", "--runs", "4", "--csv", path)
            self.assertEqual(rc, 0, err)
            lines = out.splitlines()
            self.assertIn("nasbench search: cifar100, topology space, hp 12, time budget 1500 s, seeds 0..3", lines[0])
            self.assertIn("test accuracy (hp 200)", lines[1])
            self.assertEqual(lines[2].split()[:2], ["rs", "4"], lines[2])
            self.assertIn(" +- ", lines[2])
            with open(path) as f:
                table = list(csv.DictReader(f))
            rc, out, err = run("search", data("tss"), "--algo", "rs", "--dataset", "cifar100", "--time-budget",
                               "1500", "--runs", "4", "--json")
            runs = [json.loads(line) for line in out.splitlines()]
            self.assertEqual(len(table), sum(len(r["history"]) for r in runs))
            self.assertEqual({row["algo"] for row in table}, {"rs"})
            last = [row for row in table if row["run"] == "3"][-1]
            self.assertEqual(int(last["seed"]), 3)
            self.assertEqual(int(last["best_index"]), runs[3]["best_index"])
            self.assertEqual(int(last["step"]), len(runs[3]["history"]))
            self.assertTrue(close(float(last["total_time"]), runs[3]["history"][-1][2]))
            self.assertTrue(close(float(last["test_accuracy"]), runs[3]["test_accuracy"]))

    def test_reinforce_gives_the_torch_reference_traces(self):
        path = os.path.join(FX, "reinforce_traces.jsonl")
        if not os.path.exists(path):
            self.skipTest("no reinforce_traces.jsonl (NASBENCH_PYTHON without torch)")
        with open(path) as f:
            rows = [json.loads(line) for line in f]
        checked = 0
        for row in rows:
            if row["seed"] > 1:
                continue
            rc, out, err = run("search", data(row["space"]), "--algo", "reinforce", "--dataset", row["dataset"],
                               "--time-budget", str(row["time_budget"]), "--learning-rate", str(row["learning_rate"]),
                               "--ema-momentum", str(row["ema_momentum"]), "--seed", str(row["seed"]), "--json")
            self.assertEqual(rc, 0, err)
            got = json.loads(out)
            for k in ("history", "current_best_index", "best_index", "best_arch", "test_accuracy", "learning_rate",
                      "ema_momentum"):
                self.assertTrue(close(row[k], got[k]), (row["space"], row["dataset"], row["seed"], k))
            checked += 1
        self.assertGreaterEqual(checked, 12)

    def test_bohb_runs_the_bracket_schedule_within_the_budget(self):
        rc, out, err = run("search", data("tss"), "--algo", "bohb", "--dataset", "cifar10", "--runs", "3", "--json")
        self.assertEqual(rc, 0, err)
        got = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(got), 3)
        for g in got:
            self.assertEqual((g["num_samples"], g["random_fraction"], g["bandwidth_factor"], g["n_iters"]),
                             (4, 0.0, 3.0, 300))
            times = [h[2] for h in g["history"]]
            self.assertEqual(times, sorted(times))
            self.assertLess(times[-2], 20000)
            self.assertGreaterEqual(times[-1], 20000)
            best = max(range(len(g["history"])), key=lambda i: (g["history"][i][1], -i))
            self.assertEqual(g["best_index"], g["history"][best][0])
        self.assertNotEqual(got[0]["history"], got[1]["history"])
        rc, again, err = run("search", data("tss"), "--algo", "bohb", "--dataset", "cifar10", "--runs", "3",
                             "--threads", "2", "--json")
        self.assertEqual(again, out)

    def test_compare_runs_each_algorithm_on_the_same_seeds(self):
        base = ["search", data("tss"), "--dataset", "cifar100", "--time-budget", "3000", "--runs", "3", "--seed", "5"]
        rc, out, err = run(*base, "--compare", "rea,rs", "--json")
        self.assertEqual(rc, 0, err)
        got = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(g["algo"], g["seed"]) for g in got], [("rea", 5), ("rea", 6), ("rea", 7),
                                                                 ("rs", 5), ("rs", 6), ("rs", 7)])
        for algo in ("rs", "rea"):
            rc, alone, err = run(*base, "--algo", algo, "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual([json.loads(line) for line in alone.splitlines()], [g for g in got if g["algo"] == algo])
        rc, out, err = run(*base, "--compare", "rs,rea")
        self.assertEqual(rc, 0, err)
        rows = [line.split()[:2] for line in out.splitlines()[2:]]
        self.assertEqual(rows, [["rs", "3"], ["rea", "3"]])

    def test_plot(self):
        try:
            subprocess.run([sys.executable, "-c", "import matplotlib"], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            self.skipTest("no matplotlib for %s" % sys.executable)
        with tempfile.TemporaryDirectory() as tmp:
            png, csv_path = os.path.join(tmp, "fig.png"), os.path.join(tmp, "curves.csv")
            env_python = os.environ.get("NASBENCH_PYTHON")
            os.environ["NASBENCH_PYTHON"] = sys.executable
            try:
                rc, out, err = run("search", data("sss"), "--compare", "rs,rea", "--dataset", "cifar10",
                                   "--time-budget", "2500", "--runs", "4", "--plot", png, "--csv", csv_path)
                self.assertEqual(rc, 0, err)
                self.assertIn("figure: " + png, out)
                with open(png, "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
                # the plot program alone, on the CSV, to SVG; and its errors
                plot = os.path.join(os.path.dirname(EXE), "nasbench-plot")
                svg = os.path.join(tmp, "fig.svg")
                p = subprocess.run([sys.executable, plot, csv_path, csv_path, "-o", svg, "--title", "a", "--title",
                                    "b"], capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(svg) as f:
                    self.assertIn("<svg", f.read(2000))
                bad = os.path.join(tmp, "bad.csv")
                with open(bad, "w") as f:
                    f.write("a,b\n1,2\n")
                p = subprocess.run([sys.executable, plot, bad, "-o", svg], capture_output=True, text=True)
                self.assertEqual(p.returncode, 1)
                self.assertIn("not a `nasbench search --csv` file", p.stderr)
            finally:
                if env_python is None:
                    os.environ.pop("NASBENCH_PYTHON")
                else:
                    os.environ["NASBENCH_PYTHON"] = env_python

    def test_test_accuracy_is_null_without_a_full_schedule(self):
        rows = [r for r in traces() if r["space"] == "sss" and r["test_accuracy"] is None]
        self.assertTrue(rows)  # odd sss indexes have no hp 90
        row = rows[0]
        rc, out, err = run("search", *args_of(row), "--seed", str(row["seed"]), "--json")
        self.assertEqual(rc, 0, err)
        self.assertIsNone(json.loads(out)["test_accuracy"])
        rc, out, err = run("search", *args_of(row), "--seed", str(row["seed"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("n/a (no full schedule)", out)


class SearchExits(unittest.TestCase):
    def check(self, rc_wanted, message, *args):
        """`nasbench search ARGS` exits with rc_wanted and says `message` on stderr."""
        rc, out, err = run("search", *args)
        self.assertEqual(rc, rc_wanted, (args, out, err))
        self.assertIn(message, err)


class Errors(SearchExits):

    def test_bad_arguments_exit_2(self):
        f = data("tss")
        self.check(2, 'unknown algorithm "ga" (expected one of rs, rea, reinforce, bohb)', f, "--algo", "ga",
                   "--dataset", "cifar10")
        self.check(2, "--learning-rate", f, "--algo", "reinforce", "--dataset", "cifar10", "--learning-rate", "0")
        self.check(2, "--ema-momentum", f, "--algo", "reinforce", "--dataset", "cifar10", "--ema-momentum", "1.5")
        self.check(2, "--num-samples", f, "--algo", "bohb", "--dataset", "cifar10", "--num-samples", "0")
        self.check(2, "--random-fraction", f, "--algo", "bohb", "--dataset", "cifar10", "--random-fraction", "2")
        self.check(2, "--n-iters", f, "--algo", "bohb", "--dataset", "cifar10", "--n-iters", "-3")
        self.check(2, "--dataset", f, "--algo", "rs", "--dataset", "cifar10-valid")
        self.check(2, "--algo or --compare is required", f, "--dataset", "cifar10")
        self.check(2, 'unknown algorithm "ga"', f, "--compare", "rs,ga", "--dataset", "cifar10")
        self.check(2, 'algorithm "rs" listed twice', f, "--compare", "rs,rea,rs", "--dataset", "cifar10")
        self.check(2, "empty algorithm name", f, "--compare", "rs,,rea", "--dataset", "cifar10")
        self.check(2, "excludes", f, "--algo", "rs", "--compare", "rs,rea", "--dataset", "cifar10")
        self.check(2, "a .png, .svg or .pdf file", f, "--algo", "rs", "--dataset", "cifar10", "--plot", "out.jpg")
        self.check(2, "--time-budget", f, "--algo", "rs", "--dataset", "cifar10", "--time-budget", "-5")
        self.check(2, "--time-budget", f, "--algo", "rs", "--dataset", "cifar10", "--time-budget", "nan")
        self.check(2, "--runs", f, "--algo", "rs", "--dataset", "cifar10", "--runs", "0")
        self.check(2, "--ea-population", f, "--algo", "rea", "--dataset", "cifar10", "--ea-population", "0")
        self.check(2, "--ea-sample-size", f, "--algo", "rea", "--dataset", "cifar10", "--ea-sample-size", "-1")
        self.check(2, "--seed", f, "--algo", "rs", "--dataset", "cifar10", "--seed", "-1")
        self.check(2, "FILE", "--algo", "rs", "--dataset", "cifar10")

    def test_bad_values_exit_1(self):
        self.check(1, 'unknown hp "90"', data("tss"), "--algo", "rs", "--dataset", "cifar10", "--hp", "90")
        self.check(1, "", os.path.join(FX, "missing.pickle.pbz2"), "--algo", "rs", "--dataset", "cifar10")


class Pickles(SearchExits):
    """The .pickle.pbz2 files themselves, without a cache."""

    def test_the_benchmark_file_itself(self):
        row = [r for r in traces() if r["space"] == "sss" and r["algo"] == "rea"][0]
        args = args_of(row, cache=False)
        rc, out, err = run("search", *args, "--seed", str(row["seed"]), "--json")
        self.assertEqual(rc, 0, err)
        self.assertTrue(close(row["history"], json.loads(out)["history"]))

    def test_the_wrong_space_exits_1(self):
        self.check(1, "size", data("sss", cache=False), "--space", "tss", "--algo", "rs", "--dataset", "cifar10")


if __name__ == "__main__":
    EXE, FX, CACHES = sys.argv.pop(1), sys.argv.pop(1), sys.argv.pop(1)
    unittest.main(verbosity=2)
