"""api.column() / api.costs(): numpy arrays over all architectures equal to the
per-architecture queries (NaN where those raise or answer None)."""
import math
import os

import pytest

import nasbench

np = pytest.importorskip("numpy")

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
SETS = ("train", "x-valid", "x-test", "ori-test", "valid", "test")


def loop_metric(api, dataset, set_, hp, metric, iepoch):
    ds, st = {("cifar10", "valid"): ("cifar10-valid", "x-valid"), ("cifar10", "test"): ("cifar10", "ori-test")}.get(
        (dataset, set_), (dataset, set_))
    if ds in ("cifar100", "ImageNet16-120"):
        st = {"valid": "x-valid", "test": "x-test"}.get(st, st)
    out = np.full(len(api), np.nan)
    for i in api.evaluated_indexes:
        try:
            v = api.query_meta_info_by_index(i, hp).get_metrics(ds, st, iepoch=iepoch)[metric]
        except nasbench.QueryError:
            continue
        if v is not None:
            out[i] = v
    return out


def same(a, b):
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("name,hps", [("bench/tiny.pth", ("12", "200")), ("nats/tss.pickle.pbz2", ("12", "200")),
                                      ("nats/sss.pickle.pbz2", ("01", "12", "90"))])
def test_column_equals_the_loop(name, hps):
    from conftest import fixture_root
    path = os.path.join(fixture_root(), name)
    if not os.path.exists(path):
        pytest.skip("no fixture " + path)
    api = nasbench.NASBench201API(path)
    checked = 0
    for hp in hps:
        for d in DATASETS:
            for s in SETS:
                for metric, iepoch in (("accuracy", None), ("loss", None), ("all_time", None), ("accuracy", 0),
                                       ("cur_time", 0)):
                    col = api.column(d, s, hp=hp, metric=metric, iepoch=iepoch)
                    assert col.dtype == np.float64 and col.shape == (len(api),)
                    want = loop_metric(api, d, s, hp, metric, iepoch)
                    assert same(col, want), (hp, d, s, metric, iepoch)
                    checked += int(np.count_nonzero(~np.isnan(col)))
    assert checked > 100
    # the last-epoch accuracy is find_best's score
    for d, s in (("cifar10", "test"), ("cifar100", "x-valid")):
        col = api.column(d, s, hp=hps[-1])
        try:
            best, acc = api.find_best(d, s, hp=hps[-1])
        except nasbench.QueryError:  # e.g. an architecture without this hp: Python raises there too
            continue
        if best >= 0:
            assert col[best] == acc and np.nanmax(col) == acc and int(np.nanargmax(col)) == best


def test_costs_equal_get_cost_info(bench_dir):
    api = nasbench.NASBench201API(os.path.join(bench_dir, "tiny.pth"))
    for hp in ("12", "200"):
        for d in DATASETS:
            c = api.costs(d, hp=hp)
            assert list(c) == ["flops", "params", "latency"]
            for i in range(len(api)):
                try:
                    info = api.get_cost_info(i, d, hp=hp)
                except nasbench.QueryError:
                    assert all(math.isnan(c[k][i]) for k in c)
                    continue
                assert c["flops"][i] == info["flops"] and c["params"][i] == info["params"]
                lat = info["latency"]
                assert (math.isnan(c["latency"][i]) if lat is None else c["latency"][i] == lat)


def test_column_errors(bench_dir):
    api = nasbench.NASBench201API(os.path.join(bench_dir, "tiny.pth"))
    with pytest.raises(nasbench.QueryError, match="cifar1O"):
        api.column("cifar1O", "train")
    with pytest.raises(nasbench.QueryError, match="metric"):
        api.column("cifar10", "train", metric="acc")
    with pytest.raises(nasbench.QueryError, match="hp"):
        api.column("cifar10", "train", hp="13")
    with pytest.raises(nasbench.QueryError, match="hp"):
        api.costs("cifar10", hp=13)
    with pytest.raises(TypeError):
        api.column("cifar10", "train", iepoch="0")
