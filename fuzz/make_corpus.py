"""Writes the committed seed corpora of the fuzz harnesses (fuzz/corpus/NAME/).

Usage: /usr/bin/python3 fuzz/make_corpus.py [--cache-writer BIN]

Seeds are small (a few KB; at most ~300 KB per harness): the small files of
the tests' fixture generators (tests/fixtures/make_pickle_fixtures.py and
make_error_fixtures.py, run into a temporary directory), micro benchmarks in
every container, NATS-Bench layouts of both spaces (OrderedDict hp ->
ArchResults state; size-space channels and arch_config), tensors pickled
without torch.save (torch.storage._load_from_bytes of a legacy or zip
torch.save: the real pickle of real tensors, and
tests/fixtures/make_full_fixtures.py's small files), tiny state dicts,
request lines shaped like the fixtures' expected queries (every protocol
function; a first byte 0x01..0x03 picks a NATS-Bench benchmark, see
fuzz/check_protocol.hpp), and cell and channels strings.
The cache seeds need fuzz_write_cache_seed (`cmake --build build/fuzz --target
fuzz_write_cache_seed`; default build/fuzz/fuzz/fuzz_write_cache_seed, or
--cache-writer PATH); without it they are left as they are. Deterministic: a
rerun rewrites the same bytes except for the torch.save zip files.
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


# The size space: channels strings, hps '01' / '12' / '90', the run keys of the real sss files.
CHANNELS = ["8:8:8:8:8", "8:16:24:32:40", "64:64:64:64:64"]


def sss_run(dataset, seed, epochs, arch_str):
    r = run(dataset, seed, epochs, benchgen.SSS_EVAL_NAMES[dataset])
    r["seed"] = seed  # int seeds, as some real files
    r["arch_config"] = {"name": "infer.shape.tiny", "channels": arch_str, "arch_str": arch_str,
                        "genotype": benchgen.SSS_GENOTYPE, "class_num": benchgen.NUM_CLASSES[dataset]}
    return OrderedDict((k, r[k]) for k in benchgen.RC_KEYS_NATS)


def sss_arch(index, epochs, datasets, seeds=(777, 888)):
    results = OrderedDict(((d, s), sss_run(d, s, epochs, CHANNELS[index])) for d in datasets for s in seeds)
    return {"arch_index": index, "arch_str": CHANNELS[index], "clear_net_done": True,
            "dataset_seed": {d: list(seeds) for d in datasets}, "all_results": results}


def nats_sss(datasets=("cifar10", "cifar100")):
    infos = {0: OrderedDict([("01", sss_arch(0, 1, datasets, (777,))), ("12", sss_arch(0, 2, datasets)),
                             ("90", sss_arch(0, 3, datasets[:1], (777,)))]),
             2: OrderedDict([("12", sss_arch(2, 2, datasets[1:], (999,)))])}
    return {"meta_archs": list(CHANNELS), "total_archs": 3, "arch2infos": infos, "evaluated_indexes": {0, 2}}


def nats_tss():
    """The topology space as nats_bench writes it: every run key in NATS order, hp '12' and '200'."""
    b = nats(("cifar10-valid", "cifar10", "cifar100"))
    for hps in b["arch2infos"].values():
        for a in hps.values():
            a["all_results"] = OrderedDict((k, OrderedDict((f, v[f]) for f in benchgen.RC_KEYS_NATS))
                                           for k, v in a["all_results"].items())
    return b


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


def plain_tensor_pickles():
    """Tensors pickled without torch.save: the real pickle of real tensors (torch's own reduce:
    torch.storage._load_from_bytes of a legacy torch.save, one per tensor), and with
    make_full_fixtures.py's pickler (views share ONE storage object; a zip torch.save inside)."""
    import torch
    import make_full_fixtures as full
    g = torch.Generator().manual_seed(0)
    base = torch.randn(3, 4, generator=g)
    shared = OrderedDict([("w", base), ("view", base[1:, ::2]), ("t", base.t())])
    yield "real_tensors_p2.pickle", pickle.dumps(shared, protocol=2)
    yield "real_tensors_p4.pickle", pickle.dumps(shared, protocol=4)
    yield "real_int64_p4.pickle", pickle.dumps(OrderedDict([("n", torch.tensor(12345678901)),
                                                            ("i", torch.arange(3))]), protocol=4)
    yield "real_tensor.pickle.pbz2", bz2.compress(pickle.dumps(base[0], protocol=4))
    one = torch.tensor([1.5, -2.25, 3.125], dtype=torch.float64)
    key = one.storage().data_ptr()
    both = OrderedDict([("zip", one), ("legacy", base), ("legacy_view", base[2])])
    yield "shared_zip_legacy.pickle", full.dumps(both, {key: full.storage_bytes(one.storage(), zip_container=True)})
    yield "shared_zip_legacy.pickle.pbz2", bz2.compress(full.dumps(both))
    # a NATS -full architecture file: one run whose net_state_dict holds tensors
    a = nats()["arch2infos"][1]
    r = next(iter(a["12"]["all_results"].values()))
    r["net_state_dict"] = OrderedDict([("cells.0.weight", base), ("cells.0.bias", base[0]),
                                       ("num_batches_tracked", torch.tensor(7))])
    yield "nats_full_arch.pickle.pbz2", bz2.compress(full.dumps(OrderedDict([("12", a["12"])])))


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
    lines += [
        {"fn": "avaliable_hps"}, {"fn": "used_time", "args": {}}, {"fn": "reset_time"}, {"fn": "random"},
        {"fn": "repr"}, {"fn": "properties"}, {"fn": "show"}, {"fn": "show", "args": {"index": 11}},
        {"fn": "get_unique_str", "args": {"index": 11}}, {"fn": "get_unique_str", "args": {"index": ARCHS[1]}},
        {"fn": "query_info_str_by_arch", "args": {"arch": 0, "hp": "200"}},
        {"fn": "query_info_str_by_arch", "args": {"arch": ARCHS[1]}},
        {"fn": "simulate_train_eval", "args": {"arch": 0, "dataset": "cifar10", "hp": "200"}},
        {"fn": "simulate_train_eval", "args": {"arch": 284, "dataset": "cifar100", "iepoch": 3, "hp": "12",
                                               "account_time": False}},
        {"fn": "simulate_train_eval", "args": {"arch": ARCHS[1], "dataset": "ImageNet16-120", "iepoch": 0}},
        {"fn": "find_best", "args": {"dataset": "cifar10", "metric_on_set": "ori-test", "hp": "12",
                                     "flop_max": 50.5, "param_max": 0.5, "enforce_all": True}},
        {"fn": "find_best", "args": {"dataset": "cifar100", "metric_on_set": "x-valid", "enforce_all": False}},
        {"fn": "find_best", "args": {"dataset": "cifar10", "metric_on_set": "x-valid", "flop_max": 1,
                                     "FLOP_max": 2}},
    ]
    out = [json.dumps(r, separators=(",", ":")).encode() for r in lines]
    out += [b"", b"{}", b"[]", b"null", b'{"fn":"len","fn":"len"}', b'{"fn":"arch","args":{"index":1e999}}',
            b'{"fn":"\xff\xfe"}', b'{"fn":"len"}\r', b'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]',
            b'{"fn":"arch","args":{"index":"0"}}', b'{"fn":"len",\x00}']
    return out


def nats_requests():
    """Request lines for the NATS-Bench targets: (first byte, line). 0x01: sss single file,
    0x02: tss fast-mode directory (284's file is truncated), 0x03: sss fast mode (1000's file is missing)."""
    sss = [
        {"fn": "len"}, {"fn": "properties"}, {"fn": "avaliable_hps"}, {"fn": "random"}, {"fn": "repr"},
        {"fn": "arch", "args": {"index": 32767}}, {"fn": "query_index_by_arch", "args": {"arch": "8:8:8:16:32"}},
        {"fn": "query_index_by_arch", "args": {"arch": "8:8:8:8:9"}},
        {"fn": "get_more_info", "args": {"index": "8:8:8:8:8", "dataset": "cifar10", "hp": "90", "is_random": False}},
        {"fn": "get_more_info", "args": {"index": 284, "dataset": "cifar100", "iepoch": 10, "hp": 90}},
        {"fn": "get_cost_info", "args": {"index": 11, "dataset": "cifar10", "hp": "12"}},
        {"fn": "get_latency", "args": {"index": 32767, "dataset": "cifar10", "hp": "01"}},
        {"fn": "simulate_train_eval", "args": {"arch": 284, "dataset": "cifar100", "iepoch": 10, "hp": "90"}},
        {"fn": "simulate_train_eval", "args": {"arch": "64:64:64:64:64", "dataset": "cifar10", "hp": "01"}},
        {"fn": "used_time"}, {"fn": "reset_time"},
        {"fn": "find_best", "args": {"dataset": "cifar10", "metric_on_set": "ori-test", "hp": "12",
                                     "flop_max": 1.5, "enforce_all": True}},
        {"fn": "show", "args": {"index": 1000}}, {"fn": "query_info_str_by_arch", "args": {"arch": 0, "hp": "01"}},
        {"fn": "get_unique_str", "args": {"index": 11}}, {"fn": "get_net_config", "args": {"index": 0, "dataset": "cifar10"}},
        {"fn": "statistics", "args": {"dataset": "ImageNet16-120", "hp": "90"}},
        {"fn": "get_metrics", "args": {"index": 284, "dataset": "ImageNet16-120", "setname": "x-valid", "hp": "90",
                                       "iepoch": 5}},
    ]
    tss = [
        {"fn": "properties"}, {"fn": "get_more_info", "args": {"index": 284, "dataset": "cifar10", "hp": "12"}},
        {"fn": "get_more_info", "args": {"index": 0, "dataset": "cifar10-valid", "hp": "200", "is_random": 999}},
        {"fn": "simulate_train_eval", "args": {"arch": 9999, "dataset": "cifar10", "hp": "200"}},
        {"fn": "find_best", "args": {"dataset": "cifar10", "metric_on_set": "ori-test", "enforce_all": True}},
        {"fn": "show", "args": {"index": 11}}, {"fn": "query_info_str_by_arch", "args": {"arch": 284}},
        {"fn": "get_cost_info", "args": {"index": 11, "dataset": "cifar10-valid", "hp": "12"}},
    ]
    enc = lambda r: json.dumps(r, separators=(",", ":")).encode()
    out = [(b"\x01", enc(r)) for r in sss] + [(b"\x02", enc(r)) for r in tss]
    out += [(b"\x03", enc(r)) for r in sss[5:18]]
    return out


CELLS = ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", ARCHS[1],
         "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
         "|nor_conv_1x1~0|", "|skip_connect~0|+|nor_conv_3x3~1|", "|none~0|nor_conv_3x3~0|+|avg_pool_3x3~1|",
         "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|+|none~3|",
         "|none~01|", "|none~1|", "|conv~0|", "|none~0|+", "|none~0", "none~0|", "|none~999999|", "",
         # size-space channels strings (Channels::parse), good and bad
         "8:8:8:8:8", "8:16:24:32:40", "64:64:64:64:64", "8:8:8:8", "8:8:8:8:9", "08:8:8:8:8", "8:8:8:8:8:",
         "8:8:8:8:8:8", "9999999999999999999:8:8:8:8", "8;8;8;8;8", " 8:8:8:8:8", "72:8:8:8:8"]


def main():
    cache_writer = os.path.join(ROOT, "build", "fuzz", "fuzz", "fuzz_write_cache_seed")
    if len(sys.argv) == 3 and sys.argv[1] == "--cache-writer":
        cache_writer = sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="nasbench-corpus-")
    try:
        for gen in ("make_pickle_fixtures.py", "make_error_fixtures.py"):
            subprocess.run([sys.executable, os.path.join(FIXTURES, gen), os.path.join(tmp, gen[5:-12])],
                           check=True, stdout=subprocess.DEVNULL)
        benches = {"nb201": nb201(), "nb201_4ds": nb201(tuple(benchgen.DATASETS), "set", archs=(2,)), "nats": nats(),
                   "nats_tss": nats_tss(), "nats_sss": nats_sss()}

        d = fresh("fuzz_pickle")
        copy_small(os.path.join(tmp, "pickle"), d, "pickle_")
        copy_small(os.path.join(tmp, "error"), d, "error_")
        for name, b in benches.items():
            put(d, name + ".pth", torch_bytes(b, False))
            put(d, name + "_zip.pth", torch_bytes(b, True))
            put(d, name + ".pbz2", bz2.compress(pickle.dumps(b, protocol=4)))
        for p in (0, 1, 5):
            put(d, "nb201_p%d.pickle" % p, pickle.dumps(benches["nb201"], protocol=p))
        for name, data in plain_tensor_pickles():
            put(d, name, data)
        subprocess.run([sys.executable, os.path.join(FIXTURES, "make_full_fixtures.py"), os.path.join(tmp, "full")],
                       check=True, stdout=subprocess.DEVNULL)
        for n in sorted(os.listdir(os.path.join(tmp, "full"))):  # tensors.pickle, bad_*.pickle
            if n.endswith(".pickle"):
                shutil.copy(os.path.join(tmp, "full", n), os.path.join(d, "full_" + n))

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
        put(d, "meta_only_sss.pickle", pickle.dumps({"meta_archs": CHANNELS, "total_archs": 3, "arch2infos": None,
                                                     "evaluated_indexes": set()}, protocol=4))

        if os.path.exists(cache_writer):
            d = fresh("fuzz_cache")
            for name, b in benches.items():
                src = os.path.join(tmp, name + ".pickle")
                with open(src, "wb") as f:
                    pickle.dump(b, f, protocol=4)
                for precision in ("double", "float"):
                    subprocess.run([cache_writer, src, os.path.join(d, "%s_%s.cache" % (name, precision)), precision],
                                   check=True)
            put(d, "header_only.cache", open(os.path.join(d, "nb201_double.cache"), "rb").read()[:96])
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
        put(d, "session_nats.jsonl", b"\n".join(lines[-16:]) + b"\n")
        for i, (target, line) in enumerate(nats_requests()):
            put(d, "nats_%02d_%d.jsonl" % (i, target[0]), target + line + b"\n")
        by_target = {}
        for target, line in nats_requests():
            by_target.setdefault(target, []).append(line)
        for target, ls in sorted(by_target.items()):
            put(d, "nats_session_%d.jsonl" % target[0], target + b"\n".join(ls) + b"\n")

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
