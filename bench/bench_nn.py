"""Python baseline for bench/bench_nn.cpp: the same largest network (every edge
nor_conv_3x3, C=16, N=5, 10 classes) in PyTorch (tests/fixtures/tinynet_ref.py,
written from docs/network.md), forward pass of a CIFAR-shaped batch on the CPU, and
construction time. Prints one JSON object.

Usage: /usr/bin/python3 bench/bench_nn.py [--batch 256] [--iters 10] [--threads N] [--mode no_grad|inference]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import tinynet_ref  # noqa: E402

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--iters", type=int, default=10)
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--mode", choices=("no_grad", "inference"), default="no_grad")
args = ap.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)

build = []
for _ in range(30):
    t0 = time.perf_counter()
    tinynet_ref.TinyNetwork(16, 5, ARCH, 10)
    build.append((time.perf_counter() - t0) * 1e3)
torch.manual_seed(0)
net = tinynet_ref.TinyNetwork(16, 5, ARCH, 10).eval()
x = torch.randn(args.batch, 3, 32, 32)
fwd = []
with (torch.inference_mode() if args.mode == "inference" else torch.no_grad()):
    for _ in range(2):
        net(x)
    for _ in range(args.iters):
        t0 = time.perf_counter()
        net(x)
        fwd.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"impl": "PyTorch %s (Python)" % torch.__version__, "mode": args.mode, "threads": torch.get_num_threads(),
                  "batch": args.batch, "build_ms_median": statistics.median(build), "build_ms_first": build[0],
                  "forward_ms_median": statistics.median(fwd), "forward_ms_min": min(fwd)}))
