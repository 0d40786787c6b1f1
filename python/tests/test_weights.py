"""reload() of NATS-Bench -full archives and get_net_param: trained weights as an
OrderedDict of torch.Tensor (numpy arrays without torch), checked against the
manifest of tests/fixtures/make_full_fixtures.py; ArchResults / ResultsCount
objects taken before reload() read the new results (never freed memory)."""
import json
import math
import os
import subprocess
import sys
from collections import OrderedDict

import pytest

import nasbench


@pytest.fixture
def full_dir():
    from conftest import fixture_root
    d = os.path.join(fixture_root(), "full")
    if not os.path.exists(os.path.join(d, "manifest.json")):
        pytest.skip("no -full archive fixtures (build the nasbench_fixtures target)")
    return d


def manifest(full_dir):
    with open(os.path.join(full_dir, "manifest.json")) as f:
        return json.load(f)["archives"]


def check_tensor(value, want, numpy_only=False):
    import numpy as np
    arr = value if numpy_only else value.numpy()
    if numpy_only:
        assert isinstance(value, np.ndarray)
    else:
        import torch
        assert isinstance(value, torch.Tensor)
        assert str(value.dtype) == "torch." + want["dtype"]
        assert list(value.stride()) == want["stride"]
        assert value.storage_offset() == want["offset"]
    assert str(arr.dtype) == want["dtype"]
    assert list(arr.shape) == want["shape"]
    flat = arr.flatten().tolist()
    assert flat[:len(want["values"])] == want["values"]
    assert math.isclose(float(arr.astype("float64").sum()), want["sum"], rel_tol=1e-6, abs_tol=1e-6)


def test_reload_then_get_net_param(full_dir):
    pytest.importorskip("torch")
    m = manifest(full_dir)
    api = nasbench.load(os.path.join(full_dir, m["simple"]))
    for r in m["runs"]:
        assert api.get_net_param(r["index"], r["dataset"], r["seed"], r["hp"]) is None
    before = api.query_meta_info_by_index(284, "200")
    run_before = before.query("cifar10", 888)
    flop = run_before.flop
    for index in m["indexes"]:
        api.reload(os.path.join(full_dir, m["full"]), index)
    with_weights = 0
    for r in m["runs"]:
        w = api.get_net_param(r["index"], r["dataset"], r["seed"], r["hp"])
        if not r["weights"]:
            assert w is None
            continue
        with_weights += 1
        assert type(w) is OrderedDict and len(w) == r["entries"]
        for key, want in r["keys"].items():
            check_tensor(w[key], want)
        # the same through ArchResults / ResultsCount, and seed=None
        ar = api.query_meta_info_by_index(r["index"], r["hp"])
        assert list(ar.get_net_param(r["dataset"], r["seed"])) == list(w)
        assert list(ar.query(r["dataset"], r["seed"]).get_net_param()) == list(w)
        assert list(api.get_net_param(r["index"], r["dataset"], None, r["hp"])[r["seed"]]) == list(w)
    assert with_weights == 4
    # objects from before reload() read the reloaded results
    assert run_before.flop == flop and before.get_net_param("cifar10", 888) is not None
    api.clear_params(284)
    assert before.get_net_param("cifar10", 888) is None


def test_get_net_param_without_torch(full_dir):
    """numpy arrays when torch cannot be imported (a subprocess that blocks it)."""
    code = r'''
import sys, json, os
sys.modules["torch"] = None
sys.path.insert(0, %r)
import nasbench
from test_weights import check_tensor
m = json.load(open(os.path.join(%r, "manifest.json")))["archives"]
api = nasbench.load(os.path.join(%r, m["simple"]))
for i in m["indexes"]:
    api.reload(os.path.join(%r, m["full"]), i)
r = [r for r in m["runs"] if r["weights"]][0]
w = api.get_net_param(r["index"], r["dataset"], r["seed"], r["hp"])
for key, want in r["keys"].items():
    check_tensor(w[key], want, numpy_only=True)
print("ok", len(w))
''' % ((os.path.dirname(os.path.abspath(__file__)),) + (full_dir,) * 3)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok ")


def test_reload_errors(full_dir):
    m = manifest(full_dir)
    api = nasbench.load(os.path.join(full_dir, m["simple"]))
    with pytest.raises(nasbench.LoadError, match="no such archive file|tried"):
        api.reload(os.path.join(full_dir, m["full"]), 5)
    with pytest.raises(nasbench.Error, match="-1"):
        api.reload(os.path.join(full_dir, m["full"]), -1)
    with pytest.raises(TypeError):
        api.reload()
    bi = m["broken_index"]
    before = api.get_cost_info(bi, "cifar10-valid", "12")
    with pytest.raises(nasbench.Error):
        api.reload(os.path.join(full_dir, m["broken"]), bi)
    assert api.get_cost_info(bi, "cifar10-valid", "12") == before  # a bad file changes nothing
