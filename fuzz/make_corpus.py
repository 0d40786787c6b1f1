"""Writes the committed seed corpora of the fuzz harnesses (fuzz/corpus/NAME/).

Usage: /usr/bin/python3 fuzz/make_corpus.py [--cache-writer BIN]

Seeds are small (a few KB; at most ~300 KB per harness): the small files of
the tests' fixture generators (tests/fixtures/make_pickle_fixtures.py and
make_error_fixtures.py, run into a temporary directory), micro benchmarks in
every container, tiny state dicts, request lines shaped like
tests/fixtures/make_bench_fixtures.py's expected queries, and cell strings.
The cache seeds need fuzz_write_cache_seed (built with NASBENCH_BUILD_FUZZERS;
default build/fuzz/fuzz/fuzz_write_cache_seed); without it they are left as
they are. Deterministic: a rerun rewrites the same bytes except for the
torch.save zip files.
"""
import bz2
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections import OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 8 * 1024
sys.path.insert(0, FIXTURES)
import benchgen  # noqa: E402

ARCHS = ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
         "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
         "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"]


def run(dataset, seed, epochs, sets):
    return {
        "name": dataset, "seed": "%04d" % seed, "epochs": epochs, "params": 0.5 + seed % 3, "flop": 10.25,
        "latency": [0.01], "arch_config": {"channel": 16, "num_cells": 5, "arch_str": ARCHS[1],
                                           "class_num": benchgen.NUM_CLASSES[dataset]},
        "train_acc1es": {e: 50.0 + e for e in range(epochs)}, "train_acc5es": None,
        "train_losses": {e: 1.0 / (e + 1) for e in range(epochs)},
        "train_times": OrderedDict((e, 2.5) for e in range(epochs)),
        "eval_names": list(sets),
        "eval_acc1es": {"%s@%d" % (s, e): 40.0 + e + seed % 5 for s in sets for e in range(epochs)},
        "eval_losses": {"%s@%d" % (s, e): 1.5 for s in sets for e in range(epochs)},
        "eval_times": {"%s@%d" % (s, e): 0.5 for s in sets for e in range(epochs)},
        "net_state_dict": None,
    }


def arch(index, hp, epochs, datasets):
    seeds = {d: [777, 888] if d == "cifar10" else [777] for d in datasets}
    results = {}
    for d in datasets:
        for s in seeds[d]:
            results[(d, s)] = run(d, s, epochs, benchgen.EVAL_NAMES[hp][d])
    return {"arch_index": index, "arch_str": ARCHS[index], "clear_net_done": True,
            "dataset_seed": seeds, "all_results": results}


def nb201(datasets=("cifar10",), evaluated="list", archs=(1, 2)):
    infos = {i: {"full": arch(i, "200", 3 - i, datasets), "less": arch(i, "12", 3 - i, datasets)} for i in archs}
    ev = list(archs) if evaluated == "list" else set(archs)
    return {"meta_archs": list(ARCHS), "total_archs": 3, "arch2infos": infos, "evaluated_indexes": ev}


def nats(datasets=("cifar10",)):
    infos = {1: OrderedDict([("12", arch(1, "12", 2, datasets)), ("200", arch(1, "200", 2, datasets))])}
    return {"meta_archs": list(ARCHS), "total_archs": 3, "arch2infos": infos, "evaluated_indexes": {1}}


def fresh(name):
    d = os.path.join(CORPUS, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def put(d, name, data):
    assert len(data) <= MAX_SEED, (name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def copy_small(src_dir, d, prefix, skip=(".json",)):
    for n in sorted(os.listdir(src_dir)):
        p = os.path.join(src_dir, n)
        if os.path.isfile(p) and not n.endswith(skip) and os.path.getsize(p) <= MAX_SEED:
            shutil.copy(p, os.path.join(d, prefix + n))


def torch_bytes(obj, zip_format):
    import io
    import torch
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    return buf.getvalue()


def state_dicts():
    import torch
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 3, generator=g)
    yield "mixed", OrderedDict([
        ("w", base), ("view", base[1:, ::2]), ("t", base.t()), ("half", torch.ones(3, dtype=torch.float16)),
        ("bf16", torch.zeros(2, dtype=torch.bfloat16)), ("i64", torch.arange(5)), ("i8", torch.tensor([-1, 2], dtype=torch.int8)),
        ("u8", torch.tensor([1, 255], dtype=torch.uint8)), ("b", torch.tensor([True, False])),
        ("scalar", torch.tensor(3.5, dtype=torch.float64)), ("empty", torch.zeros(0, 3))])
    yield "param", {"state_dict": OrderedDict([("p", torch.nn.Parameter(torch.ones(2, 2))), ("buf", torch.zeros(2))])}
    yield "shared", OrderedDict([("a", base), ("b", base), ("c", base[2])])
    lin = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    yield "module", lin.state_dict()


def requests():
    """One line per request shape of the tiny fixture's expected queries, plus protocol edge cases."""
    lines = [
        {"fn": "len", "args": {}}, {"fn": "len"},
        {"fn": "arch", "args": {"index": 11}}, {"fn": "arch", "args": {"index": 15625}},
        {"fn": "query_index_by_arch", "args": {"arch": ARCHS[1]}},
        {"fn": "query_index_by_arch", "args": {"arch": "|none~0|"}},
        {"fn": "get_more_info", "args": {"index": 0, "dataset": "cifar10", "hp": "200", "is_random": False}},
        {"fn": "get_more_info", "args": {"index": 11, "dataset": "cifar10-valid", "iepoch": 3, "is_random": 777}},
        {"fn": "get_more_info", "args": {"index": 284, "dataset": "cifar100", "iepoch": 11, "hp": 12, "is_random": True}},
        {"fn": "get_cost_info", "args": {"index": 9999, "dataset": "ImageNet16-120", "hp": "12"}},
        {"fn": "get_latency", "args": {"index": 5374, "dataset": "cifar10"}},
        {"fn": "find_best", "args": {"dataset": "cifar10", "metric_on_set": "ori-test", "hp": "200",
                                     "FLOP_max": 50.5, "Param_max": 0.5}},
        {"fn": "find_best", "args": {"dataset": "cifar10-valid", "metric_on_set": "x-valid"}},
        {"fn": "statistics", "args": {"dataset": "cifar100", "hp": "200"}},
        {"fn": "get_net_config", "args": {"index": 15624, "dataset": "ImageNet16-120"}},
        {"fn": "get_dataset_seeds", "args": {"index": 0, "dataset": "cifar10", "hp": "200"}},
        {"fn": "get_total_epoch", "args": {"index": 0, "hp": "12"}},
        {"fn": "get_total_epoch", "args": {"index": 0, "dataset": "cifar10-valid", "hp": "12"}},
        {"fn": "get_metrics", "args": {"index": 11, "dataset": "cifar10", "setname": "ori-test", "hp": "200",
                                       "iepoch": 199, "is_random": False}},
        {"fn": "get_metrics", "args": {"index": 11, "dataset": "cifar10-valid", "setname": "train", "hp": "12"}},
        {"fn": "get_times", "args": {"index": 0, "dataset": "cifar10", "hp": "200", "seed": 777}},
        {"fn": "get_train", "args": {"index": 0, "dataset": "cifar10", "hp": "200", "seed": 999, "iepoch": 5}},
        {"fn": "get_eval", "args": {"index": 0, "dataset": "cifar100", "hp": "200", "seed": 888, "name": "x-test",
                                    "iepoch": 199}},
        {"fn": "get_eval", "args": {"index": 284, "dataset": "cifar10-valid", "hp": "12", "seed": 777,
                                    "name": "x-valid"}},
        {"fn": "nope", "args": {}}, {"fn": "arch", "args": {"index": 4294967296}},
        {"fn": "arch", "args": {"index": -1}}, {"fn": "arch", "args": {"index": 1.5}},
        {"fn": "get_more_info", "args": {"index": 0, "dataset": "cifar10", "iepoch": 1e300}},
    ]
    out = [json.dumps(r, separators=(",", ":")).encode() for r in lines]
    out += [b"", b"{}", b"[]", b"null", b'{"fn":"len","fn":"len"}', b'{"fn":"arch","args":{"index":1e999}}',
            b'{"fn":"\xff\xfe"}', b'{"fn":"len"}\r', b'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]',
            b'{"fn":"arch","args":{"index":"0"}}', b'{"fn":"len",\x00}']
    return out


CELLS = ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", ARCHS[1],
         "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
         "|nor_conv_1x1~0|", "|skip_connect~0|+|nor_conv_3x3~1|", "|none~0|nor_conv_3x3~0|+|avg_pool_3x3~1|",
         "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|+|none~3|",
         "|none~01|", "|none~1|", "|conv~0|", "|none~0|+", "|none~0", "none~0|", "|none~999999|", ""]


def main():
    cache_writer = os.path.join(ROOT, "build", "fuzz", "fuzz", "fuzz_write_cache_seed")
    if len(sys.argv) == 3 and sys.argv[1] == "--cache-writer":
        cache_writer = sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="nasbench-corpus-")
    try:
        for gen in ("make_pickle_fixtures.py", "make_error_fixtures.py"):
            subprocess.run([sys.executable, os.path.join(FIXTURES, gen), os.path.join(tmp, gen[5:-12])],
                           check=True, stdout=subprocess.DEVNULL)
        benches = {"nb201": nb201(), "nb201_4ds": nb201(tuple(benchgen.DATASETS), "set", archs=(2,)), "nats": nats()}

        d = fresh("fuzz_pickle")
        copy_small(os.path.join(tmp, "pickle"), d, "pickle_")
        copy_small(os.path.join(tmp, "error"), d, "error_")
        for name, b in benches.items():
            put(d, name + ".pth", torch_bytes(b, False))
            put(d, name + "_zip.pth", torch_bytes(b, True))
            put(d, name + ".pbz2", bz2.compress(pickle.dumps(b, protocol=4)))
        for p in (0, 1, 5):
            put(d, "nb201_p%d.pickle" % p, pickle.dumps(benches["nb201"], protocol=p))

        d = fresh("fuzz_api")
        copy_small(os.path.join(tmp, "error"), d, "error_")
        for n in os.listdir(d):  # the containers are fuzz_pickle's; this harness reads plain pickles
            with open(os.path.join(d, n), "rb") as f:
                if f.read(3) in (b"BZh", b"PK\x03") or n.endswith(".pth"):
                    os.remove(os.path.join(d, n))
        for name, b in benches.items():
            put(d, name + ".pickle", pickle.dumps(b, protocol=4))
            put(d, name + "_p2.pickle", pickle.dumps(b, protocol=2))
        put(d, "meta_only.pickle", pickle.dumps({"meta_archs": ARCHS, "arch2infos": None, "evaluated_indexes": set()}))

        if os.path.exists(cache_writer):
            d = fresh("fuzz_cache")
            for name, b in benches.items():
                src = os.path.join(tmp, name + ".pickle")
                with open(src, "wb") as f:
                    pickle.dump(b, f, protocol=4)
                for precision in ("double", "float"):
                    subprocess.run([cache_writer, src, os.path.join(d, "%s_%s.cache" % (name, precision)), precision],
                                   check=True)
            put(d, "header_only.cache", open(os.path.join(d, "nb201_double.cache"), "rb").read()[:80])
        else:
            print("make_corpus: %s not built; fuzz_cache seeds left unchanged" % cache_writer)

        d = fresh("fuzz_weights")
        for name, sd in state_dicts():
            put(d, name + ".pth", torch_bytes(sd, False))
            put(d, name + "_zip.pth", torch_bytes(sd, True))
        for n in ("tensors_legacy.pth", "tensors_zip.pth", "tensors_zip_buffer.pth"):
            shutil.copy(os.path.join(tmp, "pickle", n), os.path.join(d, n))

        d = fresh("fuzz_protocol")
        lines = requests()
        for i, line in enumerate(lines):
            put(d, "request_%02d.jsonl" % i, line + b"\n")
        put(d, "session.jsonl", b"\n".join(lines[:8]) + b"\n")
        put(d, "no_final_newline.jsonl", lines[0] + b"\n" + lines[2])

        d = fresh("fuzz_cells")
        for i, c in enumerate(CELLS):
            put(d, "cell_%02d.txt" % i, c.encode())
    finally:
        shutil.rmtree(tmp)
    for name in sorted(os.listdir(CORPUS)):
        p = os.path.join(CORPUS, name)
        files = os.listdir(p)
        total = sum(os.path.getsize(os.path.join(p, f)) for f in files)
        print("%-14s %3d seeds, %6d bytes" % (name, len(files), total))
        assert total <= 300 * 1024, name


if __name__ == "__main__":
    main()
