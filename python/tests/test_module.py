"""The Python module beyond the expected-answer files: randomness from Python's
`random` module (any seed, state handed back), the API's own engine, error
types and messages, misuse (wrong types, bad indexes) without a crash, objects
that outlive the API, threads, load options, float32 tables."""
import contextlib
import gc
import io
import os
import random
import threading

import pytest

import nasbench
import ref_api  # tests/fixtures/ref_api.py: the Python reference of the query semantics

from test_expected import check_same

INDEXES = (0, 11, 284, 9999)
DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture
def tss(nats_dir):
    return os.path.join(nats_dir, "tss.pickle.pbz2")


@pytest.fixture
def tiny(bench_dir):
    return os.path.join(bench_dir, "tiny.pth")


def random_requests():
    out = []
    for i in INDEXES:
        for d in DATASETS:
            for hp in ("12", "200"):
                out.append(("get_more_info", {"index": i, "dataset": d, "hp": hp}))
                out.append(("get_more_info", {"index": i, "dataset": d, "hp": hp, "iepoch": 3}))
    out.append(("random", {}))
    for i in INDEXES:
        for d in ("cifar10", "cifar100", "ImageNet16-120"):
            out.append(("simulate_train_eval", {"arch": i, "dataset": d, "hp": "200"}))
            out.append(("simulate_train_eval", {"arch": i, "dataset": d, "hp": "12", "iepoch": 5}))
    return out


def reference_answers(path, seed):
    ref = ref_api.RefAPI.from_path(path, rng=random.Random(seed))
    answers = [ref.call(fn, args) for fn, args in random_requests()]
    return answers, ref.rng.random()


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_random_seed_then_is_random_matches_reference(tss, seed, random_transfer):
    """random.seed(k), then is_random=True queries: the draws the original API makes."""
    from test_expected import call
    want, next_draw = reference_answers(tss, seed)
    api = nasbench.create(tss, "tss")
    random.seed(seed)
    for (fn, args), w in zip(random_requests(), want):
        if "error" in w:
            with pytest.raises(nasbench.QueryError):
                call(api, fn, args)
        else:
            check_same(w["result"], call(api, fn, args), fn)
    # the module handed the state back: the script's next draw is the reference's next draw
    assert random.random() == next_draw


def test_get_metrics_is_random_draws_from_python_random(tss, random_transfer):
    ref = ref_api.RefAPI.from_path(tss, rng=random.Random(5))
    api = nasbench.create(tss, "tss")
    random.seed(5)
    for i in INDEXES:
        ar = api.query_meta_info_by_index(i, "200")
        for d in ar.get_dataset_names():
            want = ref_api.to_json(ref.get_metrics(i, "200", d, "train", is_random=True))
            check_same(want, ar.get_metrics(d, "train", is_random=True), "get_metrics")


def test_own_engine(tss):
    """api.seed(s): draws from the API's engine (as random.seed(s)), Python's state untouched."""
    api = nasbench.create(tss, "tss")
    want, _ = reference_answers(tss, 3)
    random.seed(99)
    before = random.getstate()
    api.seed(3)
    from test_expected import call
    for (fn, args), w in zip(random_requests(), want):
        if "error" not in w:
            check_same(w["result"], call(api, fn, args), fn)
        else:
            with pytest.raises(nasbench.QueryError):
                call(api, fn, args)
    assert random.getstate() == before
    api.seed(None)  # back to Python's random module
    random.seed(3)
    a = api.random()
    random.seed(3)
    assert api.random() == a == random.Random(3).randint(0, len(api) - 1)
    with pytest.raises(ValueError):
        api.seed(-1)


def test_random_state_handed_back_on_error(tss, random_transfer):
    api = nasbench.create(tss, "tss")
    random.seed(0)
    with pytest.raises(nasbench.QueryError):
        api.get_more_info(0, "cifar1O")
    after_error = random.getstate()
    random.seed(0)
    assert random.getstate() == after_error  # nothing drawn before the dataset check, as in Python


def test_random_transfer_is_direct_on_cpython():
    assert nasbench._random_transfer() == "direct"  # Debian's CPython: the verified layout


def test_random_interleaves_with_python_draws(tss, random_transfer):
    """Draws of the script and of the module interleave as with the original API."""
    ref = ref_api.RefAPI.from_path(tss, rng=random.Random(11))
    api = nasbench.create(tss, "tss")
    random.seed(11)
    for k in range(30):
        assert random.random() == ref.rng.random()
        assert api.random() == ref.random()
        assert random.randint(0, 9) == ref.rng.randint(0, 9)
        check_same(ref_api.to_json(ref.get_more_info(284, "cifar100", hp="200")),
                   api.get_more_info(284, "cifar100", hp="200"), "get_more_info")
    assert random.getstate() == ref.rng.getstate()


def test_exception_types_and_messages(tiny, tss, bench_dir):
    api = nasbench.NASBench201API(tiny)
    with pytest.raises(KeyError) as e:
        api.get_more_info(1, "cifar10")
    assert isinstance(e.value, nasbench.QueryError) and isinstance(e.value, nasbench.Error)
    assert str(e.value) == "nasbench: architecture 1 has no results (not evaluated)"  # not quoted as KeyError's
    for exc in (ValueError, AssertionError, IndexError, LookupError):
        with pytest.raises(exc):
            api.get_cost_info(0, "cifar1O")
    with pytest.raises(nasbench.QueryError, match='unknown dataset "cifar1O"'):
        api.get_cost_info(0, "cifar1O")
    with pytest.raises(nasbench.QueryError, match="13"):
        api.query_meta_info_by_index(0, hp="13")
    with pytest.raises(nasbench.QueryError):
        api.query_by_index(0, "cifar10", hp="13")

    with pytest.raises(nasbench.LoadError) as e:
        nasbench.NASBench201API(os.path.join(bench_dir, "nothing-here.pth"))
    assert isinstance(e.value, OSError) and str(e.value).startswith("nasbench: ")
    with pytest.raises(ValueError, match="shape"):
        nasbench.create(tss, "shape")  # nats_bench: ValueError for an unknown space
    with pytest.raises(nasbench.LoadError, match="size space"):
        nasbench.create(os.path.join(os.path.dirname(tss), "sss.pickle.pbz2"), "tss")
    with pytest.raises(nasbench.LoadError, match="fast_mode=True"):
        nasbench.create(tss, "tss", fast_mode=True)
    with pytest.raises(nasbench.ParseError):
        nasbench.NASBench201API.str2lists("|nor_conv_3x3~0|+|bad")
    assert issubclass(nasbench.ParseError, ValueError)


def test_misuse_raises_cleanly(tiny):
    api = nasbench.NASBench201API(tiny)
    n = len(api)
    assert api[-1] == api[n - 1] and api[0] == api.arch(0)
    for bad in (n, -n - 1, 10**30):
        with pytest.raises(IndexError):
            api[bad]
    with pytest.raises(TypeError):
        api["0"]
    with pytest.raises(nasbench.QueryError):
        api.arch(n)
    assert api.query_index_by_arch("not an architecture") == -1
    assert api.query_index_by_arch(api[284]) == 284
    with pytest.raises(nasbench.QueryError):
        api.query_index_by_arch(n)
    with pytest.raises(nasbench.QueryError):
        api.query_index_by_arch(2**80)  # never truncated
    with pytest.raises(nasbench.QueryError):
        api.get_more_info(2**63, "cifar10")
    with pytest.raises(nasbench.QueryError):
        api.get_more_info(0, "cifar10", iepoch=2**40, is_random=False)
    with pytest.raises(nasbench.QueryError):
        api.get_more_info(0, "cifar10", iepoch=-1, is_random=False)
    with pytest.raises(nasbench.QueryError):
        api.get_more_info(0, "cifar10", is_random=2**40)
    for kwargs in ({"iepoch": "3"}, {"iepoch": 1.5}, {"hp": None}, {"hp": 1.5}, {"is_random": "yes"}, {"is_random": None}):
        with pytest.raises(TypeError):
            api.get_more_info(0, "cifar10", **kwargs)
    for index in (1.5, None, [0], object()):
        with pytest.raises(TypeError):
            api.get_more_info(index, "cifar10")
    with pytest.raises(TypeError):
        api.get_more_info(0, None)
    with pytest.raises(TypeError):
        api.find_best("cifar10", "test", FLOP_max=10, flop_max=10)
    with pytest.raises(TypeError):
        api.find_best("cifar10", "test", FLOP_max="10")
    with pytest.raises(TypeError):
        api.find_best("cifar10", "test", enforce_all=1)
    with pytest.raises(TypeError):
        api.statistics("cifar10")  # hp is required, as in Python
    with pytest.raises(TypeError):
        nasbench.NASBench201API(1)  # None opens nas_201_api's default (test_reference_layout.py)
    with pytest.raises(TypeError):
        nasbench.load(tiny, hps="200")  # a str is not a list of names
    # hp as an int, an index as an architecture string (nasbench accepts both)
    assert api.get_cost_info(api[0], "cifar10", hp=200) == api.get_cost_info(0, "cifar10", hp="200")
    # nats_bench's keywords on the same method
    assert api.find_best("cifar10", "test", flop_max=20, hp="200") == api.find_best("cifar10", "test", 20, None, "200")


def test_objects_outlive_the_api(tiny):
    api = nasbench.NASBench201API(tiny)
    want_info = api.get_more_info(284, "cifar100", hp="200", is_random=False)
    ar = api.query_meta_info_by_index(284, "200")
    runs = api.query_by_index(284, "cifar100", "200")
    run = ar.query("cifar100", ar.get_dataset_seeds("cifar100")[0])
    it = iter(api)
    first = api[0]
    metrics = ar.get_metrics("cifar100", "x-valid")
    train = run.get_train()
    del api
    gc.collect()
    assert next(it) == first
    assert ar.get_metrics("cifar100", "x-valid") == metrics
    assert run.get_train() == train
    assert all(r.get_train()["iepoch"] == 199 for r in runs.values())
    assert "ArchResults(arch-index=284" in repr(ar) and "ResultsCount(cifar100" in repr(run)
    assert want_info["valid-accuracy"] == metrics["accuracy"]


def test_len_iter_repr_properties(tiny, tss):
    api = nasbench.NASBench201API(tiny)
    assert len(api) == 15625
    archs = list(api)
    assert archs == api.meta_archs and len(archs) == 15625
    assert repr(api) == "NASBench201API(6/15625 architectures, file=tiny.pth)"
    assert api.evaluated_indexes == [0, 11, 284, 5374, 9999, 15624]
    assert api.class_name == "NASBench201API" and api.is_topology and not api.is_size
    n = nasbench.create(tss, "topology")
    assert repr(n).startswith("NATStopology(") and n.search_space_name == "topology"
    assert n.full_train_epochs == 200 and n.avaliable_hps == ["12", "200"] and n.fast_mode is False
    assert n.archive_dir is None


def test_used_time_is_python_int_until_time_is_added(tss):
    api = nasbench.create(tss, "tss")
    random.seed(0)
    assert api.used_time == 0 and type(api.used_time) is int
    acc, lat, cost, used = api.simulate_train_eval(0, "cifar10", hp="12", account_time=False)
    assert type(used) is int and used == 0
    acc, lat, cost, used = api.simulate_train_eval(0, "cifar10", hp="12")
    assert type(used) is float and used == cost == api.used_time
    api.reset_time()
    assert api.used_time == 0 and type(api.used_time) is int


def test_show_prints_and_verbose(tiny, capsys):
    api = nasbench.NASBench201API(tiny, verbose=True)
    assert "tiny.pth" in capsys.readouterr().out
    api.show(284)
    out = capsys.readouterr().out
    assert out.startswith(">>>>") and "cifar100" in out and out.endswith("\n")
    api.show(1)
    assert capsys.readouterr().out == "The 1-th architecture has not been evaluated or not saved.\n"
    assert api.query_info_str_by_arch(1) is None


def test_threads_share_one_api(tiny):
    """find_best and statistics release the GIL; concurrent calls give the serial answers."""
    api = nasbench.NASBench201API(tiny)
    cases = [(d, s, hp) for d in DATASETS for s in ("train", "valid", "test") for hp in ("12", "200")]

    def best(c):
        try:
            return api.find_best(c[0], c[1], hp=c[2])
        except nasbench.QueryError as e:
            return str(e)

    serial = [best(c) for c in cases]
    results = [None] * 4

    def work(k):
        results[k] = [best(c) for c in cases]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == serial for r in results)


def test_load_options(tiny):
    full = nasbench.NASBench201API(tiny)
    only200 = nasbench.load(tiny, hps=["200"])
    assert only200.get_cost_info(0, "cifar10", "200") == full.get_cost_info(0, "cifar10", "200")
    with pytest.raises(nasbench.QueryError, match="not loaded"):
        only200.get_cost_info(0, "cifar10", "12")
    c10 = nasbench.load(tiny, datasets=["cifar10"], hps=[200])
    with pytest.raises(nasbench.QueryError, match="not loaded"):
        c10.get_cost_info(0, "cifar100", "200")
    final = nasbench.load(tiny, final_epoch_only=True)
    for i in full.evaluated_indexes:
        for d in DATASETS:
            try:
                want = full.get_more_info(i, d, hp="200", is_random=False)
            except nasbench.QueryError:
                continue
            assert final.get_more_info(i, d, hp="200", is_random=False) == want
    with pytest.raises(nasbench.QueryError, match="not loaded"):
        final.get_more_info(0, "cifar10", iepoch=0, hp="200", is_random=False)


def test_float32_tables(tiny):
    full = nasbench.NASBench201API(tiny)
    f32 = nasbench.load(tiny, float32=True)
    assert type(f32).__name__ == "NASBench201APIFloat" and len(f32) == len(full)
    for i in full.evaluated_indexes:
        want = full.get_more_info(i, "cifar10", hp="200", is_random=False)
        got = f32.get_more_info(i, "cifar10", hp="200", is_random=False)
        assert list(got) == list(want)
        for k, v in want.items():
            assert v is None and got[k] is None or abs(got[k] - v) <= 1e-6 * abs(v) + 1e-9, k
    assert f32.find_best("cifar10", "test", hp="200")[0] == full.find_best("cifar10", "test", hp="200")[0]
    ar = f32.query_meta_info_by_index(0, "200")
    assert type(ar).__name__ == "ArchResultsFloat"


def test_str2lists():
    lists = nasbench.NASBench201API.str2lists("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|")
    assert lists == [(("nor_conv_3x3", 0),), (("nor_conv_3x3", 0), ("skip_connect", 1))]


def test_results_objects_are_handles(tss, nats_dir, monkeypatch):
    """ArchResults / ResultsCount name their results: equal answers from fresh and old objects,
    clean errors for what does not exist, and in fast mode they load on use."""
    api = nasbench.create(tss, "tss")
    ar = api.query_meta_info_by_index(api[284], "200")  # by architecture string
    assert ar.arch_index == 284 and ar.arch_str == api[284]
    runs = ar.query("cifar100")
    assert list(runs) == ar.get_dataset_seeds("cifar100")
    with pytest.raises(nasbench.QueryError):
        ar.query("cifar100", 12345)
    with pytest.raises(nasbench.QueryError):
        ar.query("cifar1O")
    monkeypatch.chdir(nats_dir)
    fast = nasbench.create("tss_dir", "tss", fast_mode=True)
    far = fast.query_meta_info_by_index(284, "200")
    assert far.get_metrics("cifar100", "x-valid") == ar.get_metrics("cifar100", "x-valid")
    del fast
    gc.collect()
    assert far.get_compute_costs("cifar100") == ar.get_compute_costs("cifar100")


def test_arch_results_mutators(tiny):
    """ArchResults' reset_* change what every later query answers (find_best's columns too)."""
    api = nasbench.NASBench201API(tiny)
    ar = api.query_meta_info_by_index(284, "200")
    seeds = ar.get_dataset_seeds("cifar10")
    ar.reset_latency("cifar10", None, 0.5)
    assert api.get_latency(284, "cifar10", "200") == 0.5
    assert ar.query("cifar10", seeds[0]).get_latency() == 0.5
    ar.reset_pseudo_train_times("cifar10", seeds[0], 2.0)
    t = ar.query("cifar10", seeds[0]).get_train()
    assert t["cur_time"] == 2.0 and t["all_time"] == 2.0 * 200
    ar.reset_pseudo_eval_times("cifar10", None, "ori-test", 3.0)
    assert ar.query("cifar10", seeds[0]).get_eval("ori-test")["cur_time"] == 3.0
    before = api.find_best("cifar10", "test", hp="200")
    assert api.column("cifar10", "test", "200")[before[0]] == before[1]
    with pytest.raises(nasbench.QueryError):
        ar.reset_latency("cifar1O", None, 0.5)
    with pytest.raises(TypeError):
        ar.reset_latency("cifar10", "777", 0.5)
    ar.clear_params()
    assert ar.get_net_param("cifar10") == {s: None for s in seeds}


def test_str2matrix():
    np = pytest.importorskip("numpy")
    m = nasbench.NASBench201API.str2matrix("|nor_conv_1x1~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|")
    assert isinstance(m, np.ndarray) and m.dtype == np.float64
    assert m.tolist() == [[0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]  # nas_201_api's docstring example
    m = nasbench.NASBench201API.str2matrix("|nor_conv_1x1~0|+|avg_pool_3x3~0|skip_connect~1|",
                                           ["skip_connect", "nor_conv_1x1", "avg_pool_3x3"])
    assert m.tolist() == [[0, 0, 0], [1, 0, 0], [2, 0, 0]]
    with pytest.raises(ValueError):
        nasbench.NASBench201API.str2matrix("|nor_conv_3x3~0|", ["none"])
    with pytest.raises(nasbench.ParseError):
        nasbench.NASBench201API.str2matrix("|nor_conv_3x3~|")
