"""Every request of the C++ tests' expected-answer files (tests/fixtures/README.md),
answered by the Python module and compared with the reference's answer: values
(1e-12 relative), types (int vs float, tuple vs list, None), dict key order, and
the error types. Random requests draw from Python's `random` module after
`random.seed(0)`, as the reference drew from one random.Random(0) per file."""
import contextlib
import io
import json
import math
import os
import random

import pytest

import nasbench

# Requests whose Python answer is a tuple (JSON writes an array).
TUPLES = {"find_best", "simulate_train_eval"}


def call(api, fn, args):
    """The protocol request `fn(**args)` as a script calls the Python API."""
    a = dict(args)
    if fn == "len":
        return len(api)
    if fn == "repr":
        return repr(api)
    if fn in ("avaliable_hps", "used_time"):
        return getattr(api, fn)
    if fn == "properties":
        return {k: getattr(api, k) for k in ("class_name", "search_space_name", "fast_mode", "full_train_epochs",
                                             "full_epochs_in_paper", "is_size", "is_topology", "archive_dir")}
    if fn == "show":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert api.show(**a) is None
        return out.getvalue()
    if fn in ("get_dataset_seeds", "get_metrics", "get_total_epoch", "get_train", "get_eval", "get_times"):
        ar = api.query_meta_info_by_index(a.pop("index"), a.pop("hp"))
        if fn in ("get_train", "get_eval", "get_times"):
            run = ar.query(a.pop("dataset"), a.pop("seed"))
            return getattr(run, fn)(**a)
        return getattr(ar, fn)(**a)
    return getattr(api, fn)(**a)


def check_same(expected, actual, fn, path=""):
    """Raises AssertionError naming the first difference."""
    where = "%s%s" % (fn, path)
    if fn in TUPLES and path == "":
        assert isinstance(actual, tuple), "%s: expected a tuple, got %r" % (where, actual)
        assert len(expected) == len(actual), where
        for i, (e, x) in enumerate(zip(expected, actual)):
            check_same(e, x, fn, "%s[%d]" % (path, i))
        return
    if fn == "statistics" and path == "":
        expected = {int(k): v for k, v in expected.items()}
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        assert type(actual) is type(expected) and actual == expected, "%s: expected %r, got %r" % (where, expected, actual)
    elif isinstance(expected, (int, float)):
        assert type(actual) is type(expected), "%s: expected %r (%s), got %r (%s)" % (
            where, expected, type(expected).__name__, actual, type(actual).__name__)
        assert actual == expected or math.isclose(actual, expected, rel_tol=1e-12, abs_tol=0), \
            "%s: expected %r, got %r" % (where, expected, actual)
    elif isinstance(expected, list):
        assert type(actual) is list, "%s: expected a list, got %r" % (where, actual)
        assert len(actual) == len(expected), "%s: expected %r, got %r" % (where, expected, actual)
        for i, (e, x) in enumerate(zip(expected, actual)):
            check_same(e, x, fn, "%s[%d]" % (path, i))
    elif isinstance(expected, dict):
        assert type(actual) is dict, "%s: expected a dict, got %r" % (where, actual)
        assert list(actual) == list(expected), "%s: keys %r, expected %r (in this order)" % (
            where, list(actual), list(expected))
        for k in expected:
            check_same(expected[k], actual[k], fn, "%s[%r]" % (path, k))
    else:
        raise AssertionError("%s: unexpected expected value %r" % (where, expected))


def replay(api, expected_file, archive_base=None):
    """Every request of `expected_file` in order; returns (count, mismatches)."""
    random.seed(0)
    count, bad = 0, []
    with open(expected_file) as f:
        for line in f:
            rec = json.loads(line)
            req, want = rec["request"], rec["response"]
            fn, args = req["fn"], req.get("args", {})
            count += 1
            try:
                got = call(api, fn, args)
            except nasbench.Error as e:
                if "error" not in want:
                    bad.append("%s -> raised %s: %s" % (json.dumps(req), type(e).__name__, e))
                    continue
                wanted = want["error"]["type"]
                cls = {"QueryError": nasbench.QueryError, "Error": nasbench.Error}[wanted]
                if not isinstance(e, cls):
                    bad.append("%s -> %s, expected %s" % (json.dumps(req), type(e).__name__, wanted))
                continue
            if "error" in want:
                bad.append("%s -> %r, expected %s" % (json.dumps(req), got, want["error"]["type"]))
                continue
            result = want["result"]
            if fn == "properties" and result.get("archive_dir") is not None and archive_base is not None:
                result = dict(result, archive_dir=result["archive_dir"])
            try:
                check_same(result, got, fn)
            except AssertionError as e:
                bad.append("%s -> %s" % (json.dumps(req), e))
    return count, bad


def bench_cases():
    root = os.environ.get("NASBENCH_FIXTURES") or ""
    try:
        with open(os.path.join(root, "bench", "manifest.json")) as f:
            return sorted(json.load(f).items())
    except OSError:
        return [("missing", None)]


def nats_cases():
    root = os.environ.get("NASBENCH_FIXTURES") or ""
    try:
        with open(os.path.join(root, "nats", "manifest.json")) as f:
            return json.load(f)
    except OSError:
        return [{"path": "missing", "space": None, "fast_mode": False, "expected": None}]


@pytest.mark.parametrize("data,expected", bench_cases())
def test_bench_expected(bench_dir, data, expected, random_transfer):
    if expected is None:
        pytest.skip("no manifest")
    api = nasbench.NASBench201API(os.path.join(bench_dir, data))
    count, bad = replay(api, os.path.join(bench_dir, expected))
    assert count > 1000
    assert not bad, "%d of %d requests differ:\n%s" % (len(bad), count, "\n".join(bad[:20]))


@pytest.mark.parametrize("case", nats_cases(), ids=lambda c: "%s-%s-%s" % (c["path"], c["space"], c["fast_mode"]))
def test_nats_expected(nats_dir, case, monkeypatch, random_transfer):
    if case["expected"] is None:
        pytest.skip("no manifest")
    monkeypatch.chdir(nats_dir)  # the expected archive_dir is the path as opened, relative to nats/
    api = nasbench.create(case["path"], case["space"], fast_mode=case["fast_mode"])
    count, bad = replay(api, case["expected"])
    assert count > 20
    assert not bad, "%d of %d requests differ:\n%s" % (len(bad), count, "\n".join(bad[:20]))


@pytest.mark.parametrize("data,expected", bench_cases())
def test_bench_expected_from_a_cache(bench_dir, data, expected, tmp_path):
    """write_cache() then NASBench201API(cache): the same answers as the file it was written from."""
    if expected is None:
        pytest.skip("no manifest")
    cache = str(tmp_path / "tiny.nbcache")
    nasbench.write_cache(nasbench.NASBench201API(os.path.join(bench_dir, data)), cache)
    api = nasbench.NASBench201API(cache)
    count, bad = replay(api, os.path.join(bench_dir, expected))
    assert count > 1000
    assert not bad, "%d of %d requests differ:\n%s" % (len(bad), count, "\n".join(bad[:20]))


@pytest.mark.parametrize("case", [c for c in nats_cases() if not c["fast_mode"]],
                         ids=lambda c: "%s-%s" % (c["path"], c["space"]))
def test_nats_expected_from_a_cache(nats_dir, case, monkeypatch, tmp_path):
    if case["expected"] is None:
        pytest.skip("no manifest")
    monkeypatch.chdir(nats_dir)
    cache = str(tmp_path / "nats.nbcache")
    nasbench.write_cache(nasbench.create(case["path"], case["space"]), cache)
    api = nasbench.create(cache, case["space"])
    count, bad = replay(api, case["expected"])
    assert not bad, "%d of %d requests differ:\n%s" % (len(bad), count, "\n".join(bad[:20]))
