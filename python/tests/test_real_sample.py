"""The real NATS-Bench sample (../shared/data/nats-bench-sample, both spaces, loaded and
fast mode) through the module, against tests/fixtures/ref_api.py on the same files: the
requests of tests/check_real_sample.py (the CLI's check), answered in order, random ones
from Python's `random` after random.seed(0). Skipped when the sample is absent."""
import ast
import json
import os
import random

import pytest

import nasbench
import ref_api
from test_expected import call, check_same

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SAMPLE = os.environ.get("NASBENCH_REAL_SAMPLE") or os.path.join(REPO, "..", "shared", "data", "nats-bench-sample")
DIRS = ("NATS-tss-v1_0-3ffb9-simple", "NATS-sss-v1_0-50262-simple")


def build_requests():
    """check_real_sample.build_requests, taken from that script (it runs its check at import)."""
    path = os.path.join(REPO, "tests", "check_real_sample.py")
    with open(path) as f:
        tree = ast.parse(f.read())
    fn = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_requests"]
    ns = {"ref_api": ref_api}
    exec(compile(ast.Module(body=fn, type_ignores=[]), path, "exec"), ns)
    return ns["build_requests"]


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("name", DIRS)
def test_real_sample(name, fast):
    d = os.path.join(SAMPLE, name)
    if not os.path.isdir(d):
        pytest.skip("the real NATS-Bench sample is absent: " + d)
    requests = build_requests()(ref_api.RefAPI.from_path(d), d)
    ref = ref_api.RefAPI.from_path(d, fast_mode=fast, archive_label=d, rng=random.Random(0))
    api = nasbench.create(d, None, fast_mode=fast)
    random.seed(0)
    bad, results = [], 0
    for req in requests:
        fn, args = req["fn"], dict(req["args"])
        want = ref.call(fn, args)
        try:
            got = call(api, fn, args)
        except nasbench.Error as e:
            if "error" not in want:
                bad.append("%s -> raised %s: %s" % (json.dumps(req), type(e).__name__, e))
            continue
        if "error" in want:
            bad.append("%s -> %r, expected %s" % (json.dumps(req), got, want["error"]["type"]))
            continue
        results += 1
        try:
            check_same(want["result"], got, fn)
        except AssertionError as e:
            bad.append("%s -> %s" % (json.dumps(req), e))
    assert results >= 500
    assert not bad, "%d of %d differ:\n%s" % (len(bad), len(requests), "\n".join(bad[:20]))
