"""Write a deterministic NAS-Bench-201 v1_1-layout benchmark file for bench/.

    /usr/bin/python3 bench/make_bench_file.py OUT --archs N [--format pth-legacy|pth-zip|pbz2]

The data comes from tests/fixtures/benchgen.py (the test generator with the real
layout; docs/semantics.md §1):

- `{'meta_archs' (all 15,625), 'total_archs', 'arch2infos' {index: {'full', 'less'}},
  'evaluated_indexes'}` ('full' first, arch2infos not in index order, evaluated a
  sorted list), `torch.save` legacy container, pickle protocol 2 (pth-legacy); or a
  zip torch.save (pth-zip); or the NATS single-file layout, protocol 4 + bz2 (pbz2).
- N evaluated architectures spread over the 15,625 indexes.
- 200 epochs ('full'): the four datasets with the real seed mix: 1 seed (777) for
  2,225/15,625 of the architectures, 2 seeds (777, 888) for 5,439, 3 seeds for
  7,961, listed in all_results as 999, 777, 888.
- 12 epochs ('less'): cifar10-valid with seeds 777, 111, the others 111.
- Times are numpy.float64 (a fresh one per train epoch, one per eval set), the
  'set@epoch' key strings are shared by the acc/loss/time dicts of a trial, str
  seeds ('0777'), one-element numpy latency lists, numpy params: this gives
  ~128 KB per 200-epoch seed on the four datasets and ~320 KB per architecture on
  average, the sizes docs/semantics.md §1 gives for the official file (~319 KB).

Deterministic: the same N gives the same content (legacy .pth bytes differ only
in storage keys, and this file has no tensors, so they are identical too).
"""
import argparse
import os
import random
import sys
import pickle
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import benchgen  # noqa: E402

# the official v1_1 file's seed counts (200 epochs) over 15,625 architectures
SEED_MIX = ((1, 2225), (2, 5439), (3, 7961))
SEEDS_200 = {1: [777], 2: [777, 888], 3: [999, 777, 888]}  # all_results (file) order
PLAN_200 = {"times": "np", "keys": "result", "latency": "one", "flop_type": "float"}
PLAN_12 = {"times": "np"}


def seed_counts(indexes):
    """index -> 1, 2 or 3 seeds, in the official proportions (exact for N = 15,625), deterministic."""
    n = len(indexes)
    one = int(round(n * SEED_MIX[0][1] / float(benchgen.NUM_ARCHS)))
    two = int(round(n * SEED_MIX[1][1] / float(benchgen.NUM_ARCHS)))
    counts = [1] * one + [2] * two + [3] * (n - one - two)
    random.Random("bench-seeds:%d" % n).shuffle(counts)
    return dict(zip(indexes, counts))


def evaluated(n):
    """n indexes out of 15,625, deterministic, sorted."""
    if n >= benchgen.NUM_ARCHS:
        return list(range(benchgen.NUM_ARCHS))
    return sorted(random.Random("bench-archs").sample(range(benchgen.NUM_ARCHS), n))


def plans_for(nseeds):
    seeds = SEEDS_200[nseeds]
    return {"200": dict(PLAN_200, seeds={d: list(seeds) for d in benchgen.DATASETS}), "12": dict(PLAN_12)}


def pickle_body(obj):
    """One object's protocol-2 pickle without its PROTO header and STOP."""
    b = pickle.dumps(obj, protocol=2)
    assert b[:2] == b"\x80\x02" and b[-1:] == b".", b[:4]
    return b[2:-1]


def write_pth_legacy_streaming(path, indexes, file_order, nseeds):
    """The same file as write_pth_legacy(build_bench(...)), written one
    architecture at a time (memory: one architecture), for full-scale files.
    The top-level dict and arch2infos are written opcode by opcode around one
    pickle per architecture; each architecture's memo starts afresh (the
    official file has one memo for the whole file: same objects, larger memo ids)."""
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, sys_info):  # torch.save's legacy framing
            pickle.dump(header, f, protocol=2)
        f.write(b"\x80\x02}(")  # PROTO 2, EMPTY_DICT, MARK
        f.write(pickle_body("meta_archs") + pickle_body(benchgen.official_archs()))
        f.write(pickle_body("total_archs") + pickle_body(benchgen.NUM_ARCHS))
        f.write(pickle_body("arch2infos") + b"}")  # EMPTY_DICT, filled in batches of 1,000 like pickle does
        for start in range(0, len(file_order), 1000):
            f.write(b"(")
            for i in file_order[start:start + 1000]:
                hps = benchgen.arch_hps(i, plans_for(nseeds[i]))
                f.write(pickle_body(i) + pickle_body({"full": hps["200"], "less": hps["12"]}))
            f.write(b"u")  # SETITEMS into arch2infos
        f.write(pickle_body("evaluated_indexes") + pickle_body(list(indexes)))
        f.write(b"u.")  # SETITEMS into the top dict, STOP
        pickle.dump([], f, protocol=2)  # storage keys: none


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--archs", type=int, default=500)
    ap.add_argument("--format", choices=("pth-legacy", "pth-zip", "pbz2"), default="pth-legacy")
    ap.add_argument("--stream", action="store_true",
                    help="pth-legacy written one architecture at a time (full scale fits in memory)")
    args = ap.parse_args()
    if not 1 <= args.archs <= benchgen.NUM_ARCHS:
        ap.error("--archs must be in 1..15625")

    t0 = time.time()
    indexes = evaluated(args.archs)
    # file order: not index order, like the official file
    file_order = list(indexes)
    random.Random("bench-file-order").shuffle(file_order)
    nseeds = seed_counts(indexes)
    if args.stream:
        if args.format != "pth-legacy":
            ap.error("--stream writes pth-legacy only")
        tmp = args.out + ".tmp"
        write_pth_legacy_streaming(tmp, indexes, file_order, nseeds)
        os.replace(tmp, args.out)
        print("%s: %d architectures (streamed), %.1f MB, %.1f s" % (
            args.out, len(indexes), os.path.getsize(args.out) / 1e6, time.time() - t0))
        return
    bench = benchgen.build_bench("bench", {i: plans_for(nseeds[i]) for i in indexes}, file_order=file_order,
                                 evaluated_order=indexes)
    t1 = time.time()
    tmp = args.out + ".tmp"
    if args.format == "pth-legacy":
        benchgen.write_pth_legacy(tmp, bench.nb201_dict(evaluated="list"))
    elif args.format == "pth-zip":
        benchgen.write_pth_zip(tmp, bench.nb201_dict(evaluated="list"))
    else:
        benchgen.write_pbz2(tmp, bench.nats_dict(evaluated="list"))
    os.replace(tmp, args.out)
    t2 = time.time()

    size = os.path.getsize(args.out)
    mix = {n: sum(1 for i in indexes if nseeds[i] == n) for n in (1, 2, 3)}
    print("%s: %d architectures (200-epoch seeds: %d x1, %d x2, %d x3), %s, %.1f MB, %.1f KB per architecture "
          "(official v1_1 .pth: ~319 KB); built in %.1f s, written in %.1f s"
          % (args.out, len(indexes), mix[1], mix[2], mix[3], args.format, size / 1e6, size / 1024.0 / len(indexes),
             t1 - t0, t2 - t1))


if __name__ == "__main__":
    main()
