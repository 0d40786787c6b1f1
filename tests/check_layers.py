"""Includes point one way: each header of include/nasbench may include only
headers of its own layer or of the layers below it.

Usage: python3 tests/check_layers.py INCLUDE_DIR
Prints every header's layer and what it includes; exits 1 on a violation.
"""
import os
import re
import sys

# layer -> the layers it may include (besides itself)
BASE = {"base"}
ALLOWED = {
    "base": set(),
    "space": BASE,
    "pickle": BASE,
    "results": BASE | {"space"},
    "api": BASE | {"space", "results"},
    "cache": BASE | {"space", "results", "api"},
    "io": BASE | {"space", "results", "api", "cache", "pickle"},
    "json": BASE | {"space", "results", "api"},
    "search": BASE | {"space", "results", "api"},
    "nn": BASE | {"space", "results", "pickle"},
    "umbrella": {"base", "space", "pickle", "results", "api", "cache", "io", "json", "search", "nn"},
}
# headers that bridge two layers on purpose, with the extra layers they may include
BRIDGES = {
    "nasbench/results/net_state.hpp": {"pickle"},  # trained weights are pickle values
}
# the only headers that may include torch (<torch/...>, <ATen/...>, <c10/...>): the nn layer, and
# REINFORCE's LibTorch variant (a search header, not included by search.hpp)
TORCH = {"nasbench/search/reinforce_torch.hpp"}
TOP = {  # top-level headers: their layer
    "error.hpp": "base", "version.hpp": "base", "random.hpp": "base",
    "space.hpp": "space", "genotype.hpp": "space",
    "results.hpp": "results", "pickle.hpp": "pickle",
    "api.hpp": "io",  # BasicAPI with load(): the api layer plus io
    "load.hpp": "io", "io.hpp": "io", "cache.hpp": "io",
    "json.hpp": "json", "protocol.hpp": "json",
    "search.hpp": "search",
    "nn.hpp": "umbrella", "nasbench.hpp": "umbrella",
}


def layer_of(rel):
    parts = rel.split("/")  # nasbench/<folder>/... or nasbench/<file>
    if len(parts) == 2:
        return TOP.get(parts[1])
    folder = parts[1]
    if folder in ("detail", "platform"):
        return "base"
    return folder if folder in ALLOWED else None


def main():
    root = sys.argv[1]
    bad = []
    for dirpath, _, files in os.walk(os.path.join(root, "nasbench")):
        for f in sorted(files):
            if not f.endswith(".hpp"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/")
            layer = layer_of(rel)
            if layer is None:
                bad.append(f"{rel}: in no layer (add it to tests/check_layers.py)")
                continue
            with open(os.path.join(root, rel)) as fh:
                incs = re.findall(r'^\s*#\s*include\s*[<"](nasbench/[^>"]+)[>"]', fh.read(), re.M)
            torch_incs = re.findall(r'^\s*#\s*include\s*[<"]((?:torch|ATen|c10)/[^>"]+)[>"]', open(os.path.join(root, rel)).read(), re.M)
            if torch_incs and layer not in ("nn", "umbrella") and rel not in TORCH:
                bad.append(f"{rel} ({layer}) includes {torch_incs[0]} (only nn/ and {', '.join(sorted(TORCH))} may)")
            ok = ALLOWED[layer] | {layer} | BRIDGES.get(rel, set())
            for inc in incs:
                target = layer_of(inc)
                if target not in ok:
                    bad.append(f"{rel} ({layer}) includes {inc} ({target})")
            print(f"{rel:45s} {layer:8s} -> {', '.join(sorted({layer_of(i) or '?' for i in incs} - {layer})) or '-'}")
    if bad:
        print("\nlayering violations:\n  " + "\n  ".join(bad))
        return 1
    print("\nno layering violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
