#!/usr/bin/env bash
# Install what is missing, build everything, and run the whole test suite.
# Usage: bash scripts/test.sh [--sanitize | --tsan] [extra ctest arguments]
#   --sanitize   build in build/sanitize with AddressSanitizer + UBSan and run the suite there
#   --tsan       build the tests in build/tsan with ThreadSanitizer and run those tagged [threads]
#                (extra arguments go to the Catch2 test binary, not ctest)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "${CORE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
case "${1:-}" in
  --sanitize)
    shift
    BUILD="$NASBENCH_ROOT/build/sanitize"
    configure "$BUILD" -DNASBENCH_SANITIZE=ON -DNASBENCH_WITH_TORCH=OFF -DNASBENCH_CHECK_HEADERS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  --tsan)
    shift
    BUILD="$NASBENCH_ROOT/build/tsan"
    configure "$BUILD" -DNASBENCH_TSAN=ON -DNASBENCH_WITH_TORCH=OFF -DNASBENCH_CHECK_HEADERS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
    # Only the tests that start threads: the rest of the suite gains nothing
    # from ThreadSanitizer and would take minutes more under it.
    say "building $BUILD (nasbench_tests)"
    cmake --build "$BUILD" -j "$JOBS" --target nasbench_tests
    say "testing $BUILD: the tests tagged [threads]"
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
    exec "$BUILD/tests/nasbench_tests" "[threads]" "$@"
    ;;
  *)
    BUILD="$NASBENCH_ROOT/build/test"
    configure "$BUILD" -DNASBENCH_WITH_TORCH=ON
    ;;
esac
say "building $BUILD"
cmake --build "$BUILD" -j "$JOBS"
say "testing $BUILD"
cd "$BUILD"
ctest --output-on-failure -j "$JOBS" "$@"
