#!/usr/bin/env bash
# Install what is missing, build everything, and run the whole test suite.
# Usage: bash scripts/test.sh [extra ctest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "${CORE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
BUILD="$NASBENCH_ROOT/build/test"
configure "$BUILD" -DNASBENCH_WITH_TORCH=ON
say "building"
cmake --build "$BUILD" -j "$JOBS"
say "testing"
cd "$BUILD"
ctest --output-on-failure -j "$JOBS" "$@"
