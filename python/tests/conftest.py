"""Shared set-up of the Python module's tests.

The module comes from PYTHONPATH (ctest points it at build/.../python/module);
the fixtures are the C++ tests' (NASBENCH_FIXTURES, written by the
`nasbench_fixtures` target). Without the module the tests are skipped, unless
NASBENCH_REQUIRE_MODULE=1 (ctest sets it: there a missing module is a failure).
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))  # ref_api.py, the Python reference

try:
    import nasbench  # noqa: F401
except ImportError:
    if os.environ.get("NASBENCH_REQUIRE_MODULE") == "1":
        raise  # fail loudly: ctest registered these tests because the module is built
    nasbench = None
    collect_ignore_glob = ["test_*.py"]  # nothing to test: pytest exits 5 (no tests collected)


def pytest_report_header(config):
    if nasbench is None:
        return "nasbench: the Python module was not built (or is not on PYTHONPATH): every test skipped"
    return "nasbench: %s" % nasbench.__file__


def fixture_root():
    root = os.environ.get("NASBENCH_FIXTURES") or os.path.join(REPO, "build", "tests", "fixtures")
    return root


@pytest.fixture
def bench_dir():
    d = os.path.join(fixture_root(), "bench")
    if not os.path.exists(os.path.join(d, "manifest.json")):
        pytest.skip("no benchmark fixtures (build the nasbench_fixtures target; NASBENCH_FIXTURES=%s)" % d)
    return d


@pytest.fixture
def nats_dir():
    d = os.path.join(fixture_root(), "nats")
    if not os.path.exists(os.path.join(d, "manifest.json")):
        pytest.skip("no NATS fixtures (build the nasbench_fixtures target; NASBENCH_FIXTURES=%s)" % d)
    return d


@pytest.fixture(params=["direct", "getstate"])
def random_transfer(request):
    """Runs a test with each way the module moves Python's random state (both must be exact)."""
    nasbench._random_transfer(request.param)
    yield request.param
    nasbench._random_transfer("direct")
