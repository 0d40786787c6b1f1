"""nasbench.search: the NAS algorithms from Python give the reference scripts'
traces (tests/fixtures/search_ref.py for RS and REA, the torch 1.13 reinforce.py
runs for REINFORCE: the files the C++ and CLI tests replay), the CLI's traces
(BOHB, through `nasbench search --json` when ctest names the CLI), the same
traces with any number of runs and threads, and clean errors."""
import json
import os
import subprocess
import threading

import pytest

import nasbench
import nasbench.search as search

from conftest import fixture_root

FUNCTIONS = {"rs": search.random_search, "rea": search.regularized_evolution,
             "reinforce": search.reinforce, "bohb": search.bohb}
# The CLI's --json option names -> the Python keyword names (the scripts' argument names).
KEYWORDS = {"population": "ea_population", "sample_size": "ea_sample_size", "cycles": "ea_cycles",
            "learning_rate": "learning_rate", "ema_momentum": "EMA_momentum", "num_samples": "num_samples",
            "random_fraction": "random_fraction", "bandwidth_factor": "bandwidth_factor",
            "min_bandwidth": "min_bandwidth", "n_iters": "n_iters"}
COMMON = ("algo", "space", "dataset", "seed", "time_budget", "hp", "history", "current_best_index", "best_index",
          "best_arch", "test_accuracy")


def search_dir():
    d = os.path.join(fixture_root(), "search")
    if not os.path.exists(os.path.join(d, "manifest.json")):
        pytest.skip("no search fixtures (build the nasbench_fixtures target; NASBENCH_FIXTURES=%s)" % d)
    return d


_APIS = {}


def api_of(space):
    if space not in _APIS:
        d = search_dir()
        with open(os.path.join(d, "manifest.json")) as f:
            _APIS[space] = nasbench.create(os.path.join(d, json.load(f)[space]), space)
    return _APIS[space]


def records(name):
    path = os.path.join(search_dir(), name)
    if not os.path.exists(path):
        pytest.skip("no %s (the fixtures' Python has no torch)" % name)
    with open(path) as f:
        return [json.loads(line) for line in f]


def replay(record, **extra):
    options = {KEYWORDS[k]: v for k, v in record.items() if k in KEYWORDS}
    return FUNCTIONS[record["algo"]](api_of(record["space"]), record["dataset"], time_budget=record["time_budget"],
                                     hp=record["hp"], seed=record["seed"], **options, **extra)


def check_same(trace, record):
    d = trace.to_dict()
    for key in set(COMMON) | set(k for k in record if k in KEYWORDS):
        assert d[key] == record[key], (record["algo"], record["space"], record["seed"], key)


def test_rs_and_rea_replay_the_reference_scripts():
    rs = records("traces.jsonl")
    assert len(rs) == 144
    for record in rs:
        trace = replay(record)
        check_same(trace, record)
        assert set(trace.to_dict()) == set(record)  # the CLI's keys: these records have all of them


def test_reinforce_replays_the_torch_script():
    for record in records("reinforce_traces.jsonl"):
        check_same(replay(record), record)


def test_trace_object():
    api = api_of("tss")
    t = search.regularized_evolution(api, "cifar100", time_budget=3000, seed=4, ea_population=5)
    d = t.to_dict()
    assert isinstance(t, search.Trace) and len(t) == len(d["history"]) >= 5
    assert t.history == [tuple(h) for h in d["history"]] and isinstance(t.history[0], tuple)
    assert t.indexes == [h[0] for h in d["history"]]
    assert t.total_time_cost == [h[2] for h in d["history"]] and t.total_time == t.total_time_cost[-1]
    assert t.total_time_cost[-2] < 3000 <= t.total_time  # the evaluation that crosses the budget is kept
    assert t.current_best_index == d["current_best_index"] and t.best_index == t.current_best_index[-1]
    assert t.best_arch == api.arch(t.best_index) == api[t.best_index]
    assert t.test_accuracy == api.get_more_info(t.best_index, "cifar100", hp="200")["test-accuracy"]
    assert (t.algo, t.space, t.dataset, t.hp, t.seed, t.time_budget) == ("rea", "tss", "cifar100", "12", 4, 3000.0)
    assert t.options == {"population": 5, "sample_size": 3, "cycles": 200}
    assert repr(t).startswith("Trace(algo='rea', seed=4, evaluations=%d" % len(t))
    # the best so far is the first most accurate evaluation so far
    best = []
    for index, acc, _ in t.history:
        if not best or acc > best[-1][1]:
            best.append((index, acc))
        else:
            best.append(best[-1])
    assert [b[0] for b in best] == t.current_best_index
    assert search.ALGORITHMS == ("rs", "rea", "reinforce", "bohb")


def test_default_budget_is_the_papers():
    api = api_of("sss")
    t = search.random_search(api, "ImageNet16-120", seed=1)
    assert t.time_budget == 60000.0 and t.total_time >= 60000
    assert search.random_search(api_of("tss"), "ImageNet16-120", seed=1).time_budget == 120000.0


@pytest.mark.parametrize("algo", sorted(FUNCTIONS))
def test_runs_and_threads_do_not_change_traces(algo):
    api = api_of("tss")
    f = FUNCTIONS[algo]
    budget = 4000
    one_by_one = [f(api, "cifar10", time_budget=budget, seed=10 + k).to_dict() for k in range(4)]
    many = f(api, "cifar10", time_budget=budget, seed=10, runs=4)
    assert isinstance(many, list) and [t.seed for t in many] == [10, 11, 12, 13]
    assert [t.to_dict() for t in many] == one_by_one
    assert [t.to_dict() for t in f(api, "cifar10", time_budget=budget, seed=10, runs=4, threads=3)] == one_by_one
    assert [t.to_dict() for t in f(api, "cifar10", time_budget=budget, seed=10, runs=4, threads=0)] == one_by_one


def test_float32_tables():
    d = search_dir()
    with open(os.path.join(d, "manifest.json")) as f:
        small = nasbench.load(os.path.join(d, json.load(f)["tss"]), float32=True)
    t = search.random_search(small, "cifar10", time_budget=3000, seed=3)
    assert t.total_time >= 3000 and t.best_index >= 0


def test_concurrent_searches_from_python_threads():  # each call releases the GIL
    api = api_of("tss")
    expected = search.regularized_evolution(api, "cifar10", time_budget=20000, seed=0, runs=8)
    out = {}

    def work(k):
        out[k] = [t.to_dict() for t in search.regularized_evolution(api, "cifar10", time_budget=20000, seed=0, runs=8)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(out[k] == [t.to_dict() for t in expected] for k in range(3))


def test_bohb_is_the_clis():
    cli = os.environ.get("NASBENCH_CLI")
    if not cli:
        pytest.skip("NASBENCH_CLI is not set (ctest sets it when the CLI is built)")
    d = search_dir()
    with open(os.path.join(d, "manifest.json")) as f:
        files = json.load(f)
    for space in ("tss", "sss"):
        out = subprocess.run([cli, "search", os.path.join(d, files[space]), "--algo", "bohb", "--runs", "3",
                              "--seed", "5", "--dataset", "cifar100", "--time-budget", "8000", "--json"],
                             check=True, capture_output=True, text=True).stdout
        lines = [json.loads(line) for line in out.splitlines()]
        got = search.bohb(api_of(space), "cifar100", time_budget=8000, seed=5, runs=3)
        assert [t.to_dict() for t in got] == lines


def test_errors():
    api = api_of("tss")
    with pytest.raises(nasbench.QueryError, match="dataset"):
        search.random_search(api, "cifar10-valid")
    with pytest.raises(ValueError):  # a QueryError is also a ValueError
        search.random_search(api, "cifar10", time_budget=-1)
    with pytest.raises(nasbench.QueryError, match="time budget"):
        search.random_search(api, "cifar10", time_budget=float("inf"))
    with pytest.raises(nasbench.QueryError, match="population 0"):
        search.regularized_evolution(api, ea_population=0)
    with pytest.raises(nasbench.QueryError, match="sample size"):
        search.regularized_evolution(api, ea_sample_size=0)
    with pytest.raises(nasbench.QueryError):
        search.reinforce(api, learning_rate=float("nan"))
    with pytest.raises(nasbench.QueryError):
        search.reinforce(api, EMA_momentum=1.0)
    with pytest.raises(nasbench.QueryError, match="num_samples"):
        search.bohb(api, num_samples=0)
    with pytest.raises(nasbench.QueryError, match="random_fraction"):
        search.bohb(api, random_fraction=2)
    with pytest.raises(nasbench.QueryError, match="seed -1"):
        search.random_search(api, seed=-1)
    with pytest.raises(nasbench.QueryError, match="out of range"):
        search.random_search(api, seed=2 ** 64)
    with pytest.raises(nasbench.QueryError, match="runs 0"):
        search.random_search(api, runs=0)
    with pytest.raises(nasbench.QueryError, match="threads"):
        search.random_search(api, threads=-1)
    with pytest.raises(nasbench.QueryError):
        search.random_search(api, hp="5000")  # no such schedule
    for bad in ({"seed": "1"}, {"seed": True}, {"runs": 2.0}, {"threads": None}, {"hp": 1.5},
                {"time_budget": "long"}):
        with pytest.raises(TypeError):
            search.random_search(api, **bad)
    with pytest.raises(TypeError):
        search.random_search("not an api")
    # the API object is intact after the errors
    assert search.random_search(api, "cifar10", time_budget=2000, seed=2).to_dict() == \
        search.random_search(api, "cifar10", time_budget=2000, seed=2).to_dict()
