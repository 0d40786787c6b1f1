"""The real NATS-Bench sample (topology and size spaces) through `nasbench query`,
against tests/fixtures/ref_api.py reading the same files with Python's pickle.
The sample directories are NATS containers: nats_bench semantics (docs/semantics.md §7).
Two passes per directory: `nasbench query DIR --seed 0` (everything loaded) and
`nasbench query DIR --fast-mode --seed 0` (architecture files read on first use);
random requests are answered by one random.Random(0) in request order on both sides.

Usage: python3 tests/check_real_sample.py PATH/TO/nasbench SAMPLE_DIR
Exits 77 (skipped) when the real sample data is absent.
"""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
import ref_api  # noqa: E402

exe, sample = sys.argv[1], sys.argv[2]
dirs = [os.path.join(sample, d) for d in ("NATS-tss-v1_0-3ffb9-simple", "NATS-sss-v1_0-50262-simple")]
if not all(os.path.isdir(d) for d in dirs):
    print(f"SKIP: {sample} is absent (real NATS-Bench sample data)")
    sys.exit(77)


def close(a, b):
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-12 * abs(a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(close(a[k], b[k]) for k in a)
    return a == b


def build_requests(ref, d):
    requests = [{"fn": "len", "args": {}}, {"fn": "arch", "args": {"index": 284}},
                {"fn": "repr", "args": {}}, {"fn": "properties", "args": {}}, {"fn": "avaliable_hps", "args": {}},
                {"fn": "show", "args": {}}, {"fn": "used_time", "args": {}}, {"fn": "random", "args": {}}]
    for bad in ("8:8:8:8", "8:8:8:8:9", "08:8:8:8:8", "garbage", ""):
        requests.append({"fn": "query_index_by_arch", "args": {"arch": bad}})
    for index in (0, 11, 284, 1, 15624):
        requests.append({"fn": "get_unique_str", "args": {"index": index}})
        requests.append({"fn": "show", "args": {"index": index}})
    for index in (0, 11, 284):
        arch = ref.meta_archs[index]
        requests.append({"fn": "query_index_by_arch", "args": {"arch": arch}})
        for hp in ("01", "12", "90", "200"):
            requests.append({"fn": "query_info_str_by_arch", "args": {"arch": arch, "hp": hp}})
            for ds in ("cifar10", "cifar100", "ImageNet16-120", "cifar10-valid"):
                for iepoch in (None, 0, 5, 11, 89, 199):
                    requests.append({"fn": "simulate_train_eval", "args": {"arch": index, "dataset": ds,
                                                                             "iepoch": iepoch, "hp": hp}})
                requests.append({"fn": "get_more_info", "args": {"index": index, "dataset": ds, "hp": hp}})
                requests.append({"fn": "get_metrics", "args": {"index": index, "dataset": ds, "hp": hp,
                                                               "setname": "train", "is_random": True}})
    requests.append({"fn": "used_time", "args": {}})
    requests.append({"fn": "reset_time", "args": {}})
    requests.append({"fn": "simulate_train_eval", "args": {"arch": ref.meta_archs[11], "dataset": "cifar100",
                                                           "account_time": False}})
    requests.append({"fn": "used_time", "args": {}})
    for index in (0, 11, 284):
        requests.append({"fn": "query_index_by_arch", "args": {"arch": ref.call("arch", {"index": index})["result"]}})
        for hp in ("01", "12", "90", "200"):
            for ds in ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120", "cifar1O"):
                base = {"index": index, "hp": hp, "dataset": ds}
                requests += [
                    {"fn": "get_cost_info", "args": dict(base)},
                    {"fn": "get_latency", "args": dict(base)},
                    {"fn": "get_dataset_seeds", "args": dict(base)},
                    {"fn": "get_total_epoch", "args": dict(base)},
                    {"fn": "get_net_config", "args": {"index": index, "dataset": ds}},
                ]
                for iepoch in (None, 0, 5, 11, 89, 199, 200):
                    args = dict(base, iepoch=iepoch, is_random=False)
                    requests.append({"fn": "get_more_info", "args": args})
                    for setname in ("train", "x-valid", "x-test", "ori-test", "valid"):
                        requests.append({"fn": "get_metrics", "args": dict(base, setname=setname, iepoch=iepoch)})
                for seed in (111, 777, 888, 999):
                    requests.append({"fn": "get_times", "args": dict(base, seed=seed)})
                    requests.append({"fn": "get_train", "args": dict(base, seed=seed)})
                    for name in ("x-valid", "ori-test", "x-test"):
                        requests.append({"fn": "get_eval", "args": dict(base, seed=seed, name=name)})
    for hp in ("01", "12", "90", "200"):
        for ds in ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"):
            requests.append({"fn": "statistics", "args": {"dataset": ds, "hp": hp}})
            for s in ("train", "valid", "test", "x-valid", "ori-test"):
                requests.append({"fn": "find_best", "args": {"dataset": ds, "metric_on_set": s, "hp": hp}})
                requests.append({"fn": "find_best", "args": {"dataset": ds, "metric_on_set": s, "hp": hp,
                                                             "FLOP_max": 20.0, "Param_max": 0.2}})
                requests.append({"fn": "find_best", "args": {"dataset": ds, "metric_on_set": s, "hp": hp,
                                                             "flop_max": 20.0, "param_max": 0.2}})
                for enforce in (False, True):
                    requests.append({"fn": "find_best", "args": {"dataset": ds, "metric_on_set": s, "hp": hp,
                                                                 "enforce_all": enforce}})
    requests += [{"fn": "repr", "args": {}}, {"fn": "avaliable_hps", "args": {}}, {"fn": "show", "args": {}},
                 {"fn": "show", "args": {"index": -1}}]
    return requests


total = 0
for d in dirs:
    requests = build_requests(ref_api.RefAPI.from_path(d), d)
    stdin = "".join(json.dumps(r) + "\n" for r in requests)
    for fast in (False, True):
        ref = ref_api.RefAPI.from_path(d, fast_mode=fast, archive_label=d, rng=random.Random(0))
        assert ref.semantics == "nats"
        cmd = [exe, "query", d, "--seed", "0"] + (["--fast-mode"] if fast else [])
        out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout
        replies = [json.loads(l) for l in out.splitlines()]
        assert len(replies) == len(requests), (len(replies), len(requests))
        bad = 0
        for req, got in zip(requests, replies):
            want = ref.call(req["fn"], req["args"])  # in request order: the random draws line up
            ok = ("error" in want and "error" in got and got["error"]["type"] == want["error"]["type"]) or \
                 ("result" in want and "result" in got and close(want["result"], got["result"]))
            if not ok:
                bad += 1
                if bad <= 10:
                    print("MISMATCH", json.dumps(req), "\n  want", json.dumps(want)[:400], "\n  got ",
                          json.dumps(got)[:400])
        total += len(requests)
        answered = sum(1 for r in replies if "result" in r)
        assert answered >= 500, f"only {answered} results"
        assert bad == 0, f"{bad} of {len(requests)} answers differ on {d} (fast_mode={fast})"
        print(f"{os.path.basename(d)} (fast_mode={fast}): {len(requests)} answers ({answered} results, "
              f"the rest errors) match Python")
print(f"{total} answers on the real sample match Python")
