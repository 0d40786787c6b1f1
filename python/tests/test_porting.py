"""A script written for nas_201_api runs unchanged on nasbench: the same text
runs once with `API_MODULE = nasbench` and once with a thin stand-in for the
original API built on tests/fixtures/ref_api.py (the reference the expected
files come from), and prints the same output."""
import contextlib
import io
import os
import random

import nasbench
import ref_api

SCRIPT = r'''
import random
random.seed(0)
api = API_MODULE.NASBench201API(PATH)
print(len(api), repr(api))
for index, arch in enumerate(api):
    if index not in api.evaluated_indexes:
        continue
    print(index, arch, api.query_index_by_arch(arch))
    for dataset in ('cifar10-valid', 'cifar10', 'cifar100', 'ImageNet16-120'):
        info = api.get_more_info(index, dataset, hp='200', is_random=False)
        cost = api.get_cost_info(index, dataset, hp='200')
        print('  %-14s' % dataset, sorted(info.items()), cost['flops'], cost['params'], cost['latency'])
        print('  random seed:', api.get_more_info(index, dataset, hp='12'))
        results = api.query_by_index(index, dataset, hp='200')
        for seed, result in results.items():
            train = result.get_train()
            print('    seed', seed, train['iepoch'], train['loss'], train['accuracy'], result.get_latency())
for dataset, metric in (('cifar10', 'test'), ('cifar10', 'valid'), ('cifar100', 'x-valid'), ('ImageNet16-120', 'x-test')):
    print(dataset, metric, api.find_best(dataset, metric, hp='200'), api.find_best(dataset, metric, FLOP_max=30, hp='200'))
api.show(284)
print(random.random())
'''


class _RefRun:
    def __init__(self, ref, index, hp, dataset, seed):
        self._args = (index, hp, dataset, seed)
        self._ref = ref

    def get_train(self, iepoch=None):
        return self._ref.get_train(*self._args, iepoch=iepoch)

    def get_latency(self):
        lat = self._ref._trial(*self._args)["latency"]
        return -1.0 if lat is None else sum(lat) / len(lat)


class RefNASBench201API:
    """nas_201_api's surface on ref_api.RefAPI, drawing from Python's random module."""

    def __init__(self, path):
        self._ref = ref_api.RefAPI.from_path(path, rng=random._inst)

    def __len__(self):
        return self._ref.len()

    def __iter__(self):
        return iter(list(self._ref.meta_archs))

    def __repr__(self):
        return self._ref.repr()

    @property
    def evaluated_indexes(self):
        return self._ref.evaluated_indexes

    def query_index_by_arch(self, arch):
        return self._ref.query_index_by_arch(arch)

    def get_more_info(self, index, dataset, iepoch=None, hp="12", is_random=True):
        return self._ref.get_more_info(index, dataset, iepoch, hp, is_random)

    def get_cost_info(self, index, dataset, hp="12"):
        return self._ref.get_cost_info(index, dataset, hp)

    def query_by_index(self, index, dataname, hp="12"):
        return {s: _RefRun(self._ref, index, hp, dataname, s) for s in self._ref.get_dataset_seeds(index, hp, dataname)}

    def find_best(self, dataset, metric_on_set, FLOP_max=None, Param_max=None, hp="12"):
        return self._ref.find_best(dataset, metric_on_set, FLOP_max=FLOP_max, Param_max=Param_max, hp=hp)

    def show(self, index=-1):
        print(self._ref.show(index), end="")


class RefModule:
    NASBench201API = RefNASBench201API


def run(module, path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(SCRIPT, {"API_MODULE": module, "PATH": path})
    return out.getvalue()


def test_script_ports_by_changing_the_import(bench_dir):
    path = os.path.join(bench_dir, "tiny.pth")
    want = run(RefModule, path)
    got = run(nasbench, path)
    assert want.count("\n") > 100
    assert got == want


NATS_SCRIPT = r'''
import random
random.seed(3)
api = API_MODULE.create(PATH, 'tss', fast_mode=True, verbose=False)
print(repr(api))
for trial in range(12):
    index = api.random()
    try:
        info = api.get_more_info(index, 'cifar10', hp='12')
    except Exception as e:                       # architectures without a file in the fixture
        print(trial, index, 'missing')
        continue
    print(trial, index, info['train-accuracy'], info.get('test-accuracy'), info['comment'][:20])
for index in (0, 11, 284, 9999):
    for dataset, hp in (('cifar100', '200'), ('cifar10', '12'), ('ImageNet16-120', '12')):
        try:
            acc, latency, cost, used = api.simulate_train_eval(index, dataset, hp=hp)
        except Exception as e:                   # a trial without times: Python raises TypeError
            print(index, dataset, 'no times')
            continue
        print(index, dataset, acc, latency, cost, used)
    try:
        print(api.get_cost_info(index, 'ImageNet16-120', hp='12'))
    except Exception:
        print(index, 'no costs')
print(api.used_time, repr(api), sorted(api.avaliable_hps))
api.reset_time()
print(api.used_time)
print(api.find_best('cifar10', 'test', flop_max=30, hp='200'))
api.show(284)
print(random.random())
'''


class RefNATS(RefNASBench201API):
    def __init__(self, path, fast_mode):
        self._ref = ref_api.RefAPI.from_path(path, fast_mode=fast_mode, rng=random._inst)

    def random(self):
        return self._ref.random()

    def simulate_train_eval(self, arch, dataset, iepoch=None, hp="12", account_time=True):
        return self._ref.simulate_train_eval(arch, dataset, iepoch, hp, account_time)

    @property
    def used_time(self):
        return self._ref.used_time()

    def reset_time(self):
        self._ref.reset_time()

    @property
    def avaliable_hps(self):
        return self._ref.avaliable_hps()

    def find_best(self, dataset, metric_on_set, flop_max=None, param_max=None, hp="12", enforce_all=None):
        return self._ref.find_best(dataset, metric_on_set, flop_max, param_max, hp, enforce_all)


class RefNATSModule:
    @staticmethod
    def create(path, space, fast_mode=False, verbose=True):
        assert space == "tss"
        return RefNATS(path, fast_mode)


def test_nats_script_ports_by_changing_the_import(nats_dir, monkeypatch):
    monkeypatch.chdir(nats_dir)

    def run_nats(module):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(NATS_SCRIPT, {"API_MODULE": module, "PATH": "tss_dir"})
        return out.getvalue()

    want = run_nats(RefNATSModule)
    got = run_nats(nasbench)
    assert want.count("\n") > 20 and "missing" in want
    assert got == want
