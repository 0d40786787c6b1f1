"""Write a deterministic NATS-Bench topology directory (the `-simple` layout) for bench/.

    /usr/bin/python3 bench/make_nats_dir.py OUT [--archs N] [--workers 2]

OUT/meta.pickle.pbz2 is what the official `NATS-tss-v1_0-3ffb9-simple/` holds:
`{'meta_archs' (all 15,625 official strings), 'total_archs', 'arch2infos': None,
'evaluated_indexes': set()}`. OUT/NNNNNN.pickle.pbz2, for N architectures
(default all 15,625; fewer: the same deterministic sample as make_bench_file.py,
spread over the space), each an OrderedDict '12', '200' -> ArchResults state from
tests/fixtures/benchgen.py, pickle protocol 4 in bz2 (level 9, BZ2File's default),
as the real files.

Content per architecture (SEMANTICS.md §1; checked against the real sample):
- 200 epochs, the four datasets, the official seed mix over the 15,625 indexes
  (2,225 with seed 777, 5,439 with 777 + 888, 7,961 with 999 + 777 + 888, listed
  in that file order); the count of an index does not depend on N, so a smaller
  directory holds exactly the files of the full one at its indexes.
- 12 epochs: cifar10-valid seeds 777 + 111, the others 111.
- What the NATS `-simple` files have and the NAS-Bench-201 .pth does not: times
  are Python floats (not numpy.float64) and the 200-epoch 'set@epoch' keys are
  separate strings in the acc / loss / time dicts (the 12-epoch ones shared).
  With these a 3-seed architecture pickles to 325.6 KB (the real 000000: 325.8 KB;
  the 200-epoch state alone: 316,413 bytes in both); bz2 makes it 105 KB
  (the real ones: 84-85 KB; the real accuracies are counts over the test set,
  so their digits repeat more than benchgen's random curves).

Files are written to a temporary name and renamed, so an interrupted run leaves
only complete files; a rerun writes only the missing ones, and the directory is
complete when OUT/../<basename>.complete exists (kept outside OUT: the directory
holds only what the real one holds).
"""
import argparse
import bz2
import multiprocessing
import os
import pickle
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
sys.path.insert(0, HERE)
import benchgen  # noqa: E402
import make_bench_file  # noqa: E402

# the NATS `-simple` layout on top of make_bench_file's v1_1 content
NATS_200 = dict(make_bench_file.PLAN_200, times="float", keys="none")
NATS_12 = {"times": "float"}
_NSEEDS = None


def nseeds_of(index):
    """1, 2 or 3 200-epoch seeds: the official mix over all 15,625 indexes (independent of N)."""
    global _NSEEDS
    if _NSEEDS is None:
        _NSEEDS = make_bench_file.seed_counts(list(range(benchgen.NUM_ARCHS)))
    return _NSEEDS[index]


def plans_for(index):
    seeds = make_bench_file.SEEDS_200[nseeds_of(index)]
    return {"200": dict(NATS_200, seeds={d: list(seeds) for d in benchgen.DATASETS}), "12": dict(NATS_12)}


def arch_file(out, index):
    return os.path.join(out, "%06d.pickle.pbz2" % index)


def write_one(job):
    out, index = job
    path = arch_file(out, index)
    if os.path.exists(path):
        return index, os.path.getsize(path), False
    data = pickle.dumps(benchgen.arch_hps(index, plans_for(index)), protocol=4)
    tmp = path + ".tmp%d" % os.getpid()
    with bz2.BZ2File(tmp, "wb") as f:  # compresslevel 9, as pickle_save of nats_bench
        f.write(data)
    os.replace(tmp, path)
    return index, os.path.getsize(path), True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--archs", type=int, default=benchgen.NUM_ARCHS)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not 1 <= args.archs <= benchgen.NUM_ARCHS:
        ap.error("--archs must be in 1..15625")
    out = os.path.abspath(args.out)
    marker = out.rstrip("/") + ".complete"
    indexes = make_bench_file.evaluated(args.archs)
    if os.path.exists(marker):
        print("%s: complete (%s)" % (out, marker))
        return
    t0 = time.time()
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):  # leftovers of an interrupted run
        if ".tmp" in name:
            os.remove(os.path.join(out, name))
    meta = os.path.join(out, "meta.pickle.pbz2")
    if not os.path.exists(meta):
        meta_obj = {"meta_archs": benchgen.official_archs(), "total_archs": benchgen.NUM_ARCHS, "arch2infos": None,
                    "evaluated_indexes": set()}
        benchgen.write_pbz2(meta + ".tmp", meta_obj)
        os.replace(meta + ".tmp", meta)
    jobs = [(out, i) for i in indexes]
    written = total = 0
    with multiprocessing.Pool(args.workers) as pool:
        for k, (index, size, new) in enumerate(pool.imap_unordered(write_one, jobs, chunksize=16), 1):
            total += size
            written += new
            if k % 1000 == 0:
                print("  %d/%d files, %.0f s" % (k, len(jobs), time.time() - t0), file=sys.stderr, flush=True)
    extra = sorted(set(os.listdir(out)) - {"meta.pickle.pbz2"} - {os.path.basename(arch_file(out, i)) for i in indexes})
    if extra:
        sys.exit("%s: unexpected files (another N written here?): %s" % (out, extra[:5]))
    mix = [sum(1 for i in indexes if nseeds_of(i) == n) for n in (1, 2, 3)]
    with open(marker, "w") as f:
        f.write("%d architectures\n" % len(indexes))
    print("%s: %d architecture files (%d written now; 200-epoch seeds: %d x1, %d x2, %d x3), %.1f MB, "
          "%.1f KB per file (real -simple: 84-85 KB with 3 seeds), %.0f s"
          % (out, len(indexes), written, mix[0], mix[1], mix[2], total / 1e6, total / 1e3 / len(indexes),
             time.time() - t0))


if __name__ == "__main__":
    main()
