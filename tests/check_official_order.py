"""`nasbench list` must equal `meta_archs` of the real NATS-Bench topology meta file.

Usage: python3 tests/check_official_order.py PATH/TO/nasbench META.pickle.pbz2
Exits 77 (skipped) when the real data file is absent.
"""
import bz2
import os
import pickle
import subprocess
import sys

exe, meta_path = sys.argv[1], sys.argv[2]
if not os.path.exists(meta_path):
    print(f"SKIP: {meta_path} is absent (real NATS-Bench sample data)")
    sys.exit(77)
with bz2.open(meta_path, "rb") as f:
    meta = pickle.load(f)
expected = meta["meta_archs"]
ours = subprocess.run([exe, "list"], capture_output=True, text=True, check=True).stdout.splitlines()
assert len(expected) == 15625, len(expected)
mismatch = [i for i, (a, b) in enumerate(zip(ours, expected)) if a != b]
assert len(ours) == len(expected) and not mismatch, f"{len(ours)} lines, first mismatch at {mismatch[:1]}"
print(f"official order matches the real meta file: {len(ours)} architectures")
