"""The reference packages' module layout and defaults: what a script imports from nats_bench or
nas_201_api is in nasbench under the same names, and file_path_or_dict=None opens the default
files under $TORCH_HOME as nats_bench and nas_201_api do."""
import os
import re

import pytest

import nasbench

TIME = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]"


def test_the_reference_modules_import():
    from nasbench import NATSsize, NATStopology, pickle_load, pickle_save  # noqa: F401
    from nasbench.api_size import ALL_BASE_NAMES as sss_names
    from nasbench.api_topology import ALL_BASE_NAMES as tss_names
    from nasbench.api_utils import get_torch_home, time_string  # noqa: F401
    from nasbench.genotype_utils import topology_str2structure  # noqa: F401
    import nasbench.search  # noqa: F401
    assert tss_names == ["NATS-tss-v1_0-3ffb9"] and sss_names == ["NATS-sss-v1_0-50262"]
    assert re.fullmatch(TIME, time_string())
    assert nasbench.version() == "v1.8" == nasbench.NATS_BENCH_API_VERSIONs[-1]
    assert nasbench.NATS_BENCH_TSS_NAMEs == ("tss", "topology")
    assert nasbench.NATS_BENCH_SSS_NAMEs == ("sss", "size")


def test_search_space_info():
    tss = {"op_names": ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"], "num_nodes": 4}
    assert nasbench.search_space_info("nats-bench", "tss") == tss
    assert nasbench.search_space_info("nats-bench", "topology") == tss
    assert nasbench.search_space_info("nas-bench-201", None) == tss
    assert nasbench.search_space_info("nats-bench", "size") == {"candidates": [8, 16, 24, 32, 40, 48, 56, 64],
                                                                "num_layers": 5}
    for args, message in ((("nats-bench", "x"), "Unknown auxiliary tag: x"),
                          (("nas-bench-201", "tss"), "the auxiliary tag should be None"),
                          (("nas-bench-301", None), "Unknown main tag: nas-bench-301")):
        with pytest.raises(ValueError, match=message):
            nasbench.search_space_info(*args)


def test_create_returns_the_space_classes(nats_dir):
    tss = nasbench.create(os.path.join(nats_dir, "tss_dir"), "topology", fast_mode=True)
    assert type(tss) is nasbench.NATStopology and isinstance(tss, nasbench.NASBench201API)
    sss = nasbench.NATSsize(os.path.join(nats_dir, "sss_dir"), True, False)
    assert type(sss) is nasbench.NATSsize
    assert repr(tss).startswith("NATStopology(") and repr(sss).startswith("NATSsize(")
    direct = nasbench.NATStopology(os.path.join(nats_dir, "tss.pickle.pbz2"), False, False)
    assert direct.get_more_info(284, "cifar10", hp="200") == tss.get_more_info(284, "cifar10", hp="200")
    with pytest.raises(ValueError):  # a size file opened as the topology space
        nasbench.NATStopology(os.path.join(nats_dir, "sss.pickle.pbz2"), False, False)
    with pytest.raises(ValueError, match="invalid search space"):
        nasbench.create(None, "nb301", fast_mode=True)
    anything = nasbench.create(os.path.join(nats_dir, "sss.pickle.pbz2"), None)  # nasbench: the file's space
    assert type(anything) is nasbench.NASBench201API and repr(anything).startswith("NATSsize(")


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path


def test_create_none_opens_the_default_directory_in_fast_mode(nats_dir, torch_home, capsys):
    os.symlink(os.path.join(nats_dir, "tss_dir"), torch_home / "NATS-tss-v1_0-3ffb9-simple")
    api = nasbench.create(None, "tss", fast_mode=True, verbose=False)
    out = capsys.readouterr().out
    assert re.fullmatch(TIME + r" Try to use the default NATS-Bench \(topology\) path from fast_mode=True and "
                        r"path=None\.\n", out), out
    assert api.filename is None  # nats_bench sets no file name for its default directory
    assert repr(api) == "NATStopology(0/15625 architectures, fast_mode=True, file=None)"
    expected = nasbench.create(os.path.join(nats_dir, "tss_dir"), "tss", fast_mode=True)
    assert len(api) == len(expected)
    assert api.get_more_info(11, "cifar100", hp="200") == expected.get_more_info(11, "cifar100", hp="200")


def test_create_none_opens_the_default_file(nats_dir, torch_home, capsys):
    os.symlink(os.path.join(nats_dir, "sss.pickle.pbz2"), torch_home / "NATS-sss-v1_0-50262.pickle.pbz2")
    api = nasbench.NATSsize(None, False, False)
    out = capsys.readouterr().out
    path = str(torch_home / "NATS-sss-v1_0-50262.pickle.pbz2")
    assert out.endswith(" Try to use the default NATS-Bench (size) path from fast_mode=False and path=%s.\n" % path)
    assert len(api) == 32768 and api.filename == "NATS-sss-v1_0-50262.pickle.pbz2"


def test_create_none_without_the_files_names_the_default(torch_home, capsys):
    with pytest.raises(nasbench.LoadError, match="NATS-tss-v1_0-3ffb9.pickle.pbz2"):
        nasbench.create(None, "tss")
    with pytest.raises(nasbench.LoadError, match="NATS-sss-v1_0-50262-simple"):
        nasbench.create(None, "sss", fast_mode=True)


def test_the_default_home_is_dot_torch(nats_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    os.mkdir(tmp_path / ".torch")
    os.symlink(os.path.join(nats_dir, "tss_dir"), tmp_path / ".torch" / "NATS-tss-v1_0-3ffb9-simple")
    assert len(nasbench.create(None, "tss", fast_mode=True)) == 15625
    assert nasbench.api_utils.get_torch_home() == str(tmp_path / ".torch")


def test_nasbench201api_none_opens_torch_home_pth(bench_dir, torch_home, capsys):
    os.symlink(os.path.join(bench_dir, "tiny.pth"), torch_home / "NAS-Bench-201-v1_1-096897.pth")
    api = nasbench.NASBench201API(None)
    path = str(torch_home / "NAS-Bench-201-v1_1-096897.pth")
    assert capsys.readouterr().out == "Try to use the default NAS-Bench-201 path from %s.\n" % path
    assert len(api) == len(nasbench.NASBench201API(os.path.join(bench_dir, "tiny.pth")))


def test_nasbench201api_none_needs_torch_home(monkeypatch):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    with pytest.raises(KeyError, match="TORCH_HOME"):  # nas_201_api reads os.environ['TORCH_HOME']
        nasbench.NASBench201API()


def test_query_by_arch_is_query_info_str_by_arch(bench_dir):
    api = nasbench.NASBench201API(os.path.join(bench_dir, "tiny.pth"))
    for index in range(len(api)):
        for hp in ("12", "200"):
            assert api.query_by_arch(api[index], hp) == api.query_info_str_by_arch(api[index], hp)
    with pytest.raises(TypeError):  # hp has no default, as in the reference
        api.query_by_arch(api[0])


def test_results_count_raw_series_are_the_files(bench_dir, nats_dir):
    """ResultsCount's attributes hold what the file holds (tests/fixtures/ref_api.py reads the raw
    dicts): values, key types and key order (each eval set's epochs, set after set)."""
    import ref_api
    checked = 0
    for path in (os.path.join(bench_dir, "tiny.pth"), os.path.join(bench_dir, "v10.pth"),
                 os.path.join(nats_dir, "sss.pickle.pbz2"), os.path.join(nats_dir, "tss_dir")):
        api = nasbench.NASBench201API(path)
        ref = ref_api.RefAPI.from_path(path)
        for index, by_hp in ref.arch2infos.items():
            for hp, ar in by_hp.items():
                for (dataset, seed), raw in ar["all_results"].items():
                    run = api.query_by_index(index, dataset, hp=hp)[seed]
                    for key in ("train_acc1es", "train_acc5es", "train_losses", "train_times", "eval_acc1es",
                                "eval_losses", "eval_times", "latency"):
                        got, want = getattr(run, key), raw[key]
                        if key == "eval_times" and want is None:
                            want = {}  # the one difference: None and {} both read as {} (python/README.md)
                        assert got == want and (want is None or list(got) == list(want)), (path, index, hp, key)
                    checked += 1
    assert checked > 50
    run = nasbench.NASBench201API(os.path.join(nats_dir, "tss_dir")).query_by_index(284, "cifar10", hp="200")
    first = next(iter(run.values()))
    assert first.train_acc1es[199] == first.get_train(199)["accuracy"]  # nats_bench issue #2


def test_remap_dataset_set_names_is_find_bests(bench_dir, capsys):
    from nasbench.api_utils import remap_dataset_set_names as remap
    cases = {("cifar10", "valid"): ("cifar10-valid", "x-valid"), ("cifar10", "test"): ("cifar10", "ori-test"),
             ("cifar100", "valid"): ("cifar100", "x-valid"), ("ImageNet16-120", "test"): ("ImageNet16-120", "x-test"),
             ("cifar10-valid", "x-valid"): ("cifar10-valid", "x-valid"), ("cifar100", "train"): ("cifar100", "train"),
             ("cifar10", 7): ("cifar10", 7), (None, "valid"): (None, "valid")}
    for args, want in cases.items():
        assert remap(*args) == want, args
    assert capsys.readouterr().out == ""
    remap("cifar10", "test", verbose=True)
    assert capsys.readouterr().out == ("Call internal function _remap_dataset_set_names with dataset=cifar10 and "
                                       "metric_on_set=test\n  return dataset=cifar10 and metric_on_set=ori-test\n")
    api = nasbench.NASBench201API(os.path.join(bench_dir, "tiny.pth"))
    for dataset, setname in (("cifar10", "valid"), ("cifar100", "test")):
        assert api.find_best(dataset, setname, hp="200") == api.find_best(*remap(dataset, setname), hp="200")
