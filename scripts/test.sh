#!/usr/bin/env bash
# Install what is missing, build everything, and run the whole test suite.
# Usage: bash scripts/test.sh [--sanitize] [extra ctest arguments]
#   --sanitize   build in build/sanitize with AddressSanitizer + UBSan and run the suite there
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "${CORE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
if [ "${1:-}" = "--sanitize" ]; then
  shift
  BUILD="$NASBENCH_ROOT/build/sanitize"
  configure "$BUILD" -DNASBENCH_SANITIZE=ON -DNASBENCH_WITH_TORCH=OFF -DNASBENCH_CHECK_HEADERS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
  BUILD="$NASBENCH_ROOT/build/test"
  configure "$BUILD" -DNASBENCH_WITH_TORCH=ON
fi
say "building $BUILD"
cmake --build "$BUILD" -j "$JOBS"
say "testing $BUILD"
cd "$BUILD"
ctest --output-on-failure -j "$JOBS" "$@"
