#!/usr/bin/env bash
# Install what is missing, build the nasbench CLI, and show what it does.
# Usage: bash scripts/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "${CORE_PACKAGES[@]}"
BUILD="$NASBENCH_ROOT/build/demo"
configure "$BUILD" -DNASBENCH_BUILD_TESTS=OFF -DNASBENCH_WITH_TORCH=OFF
say "building the nasbench CLI"
cmake --build "$BUILD" --target nasbench_cli example_cells -j "$JOBS" >&2
NB="$BUILD/tools/nasbench"

run() { printf '\n$ nasbench %s\n' "$*"; "$NB" "$@"; }
run arch 0
run arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'
run arch --json 9 123
printf '\n$ nasbench list | sed -n 1,3p\n'; "$NB" list | sed -n 1,3p
printf '\n$ examples/cells\n'; "$BUILD/examples/example_cells"
