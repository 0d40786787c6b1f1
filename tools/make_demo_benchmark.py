"""Write the small SYNTHETIC benchmark that `scripts/demo.sh` shows when no
real benchmark file is given.

Usage: /usr/bin/python3 tools/make_demo_benchmark.py OUT.pickle.pbz2 [--archs N]

Same layout as a NATS-Bench topology single file (bz2 pickle: meta_archs with
all 15,625 architectures, arch2infos index -> OrderedDict hp '12'/'200' ->
ArchResults state) but made-up numbers, from tests/fixtures/benchgen.py.
Deterministic. Needs python3 and numpy (no torch).
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import benchgen as bg  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--archs", type=int, default=200, help="evaluated architectures (default 200)")
    args = ap.parse_args()
    if not 1 <= args.archs <= bg.NUM_ARCHS:
        ap.error("--archs must be in 1..%d" % bg.NUM_ARCHS)
    indexes = sorted(random.Random(201).sample(range(bg.NUM_ARCHS), args.archs))
    bench = bg.build_bench("demo", {i: {} for i in indexes}, base_seed=2024)
    tmp = args.out + ".tmp"
    bg.write_pbz2(tmp, bench.nats_dict(evaluated="list"))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
