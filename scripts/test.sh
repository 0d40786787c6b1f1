#!/usr/bin/env bash
# Install what is missing, build everything, and run the whole test suite.
# Usage: bash scripts/test.sh [--sanitize | --tsan] [extra ctest arguments]
#   --sanitize   build in build/sanitize with AddressSanitizer + UBSan and run the suite there
#   --tsan       build the tests in build/tsan with ThreadSanitizer and run those tagged [threads]
#                (extra arguments go to the Catch2 test binary, not ctest)
# With NASBENCH_TIMINGS=FILE, each stage's seconds are appended to FILE (.ci/run prints them).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_packages "${CORE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
# Every configuration writes and reads the same fixtures (they depend only on
# tests/fixtures/ and /usr/bin/python3): the first build writes them once.
FIXTURES=(-DNASBENCH_FIXTURES_DIR="$NASBENCH_ROOT/build/fixtures")
# The sanitizer builds: -O1 (what the sanitizers' authors recommend) with line
# tables (-g1), which is all a sanitizer's stack trace reads; NDEBUG as before.
SANITIZER_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
case "${1:-}" in
  --sanitize)
    shift
    NAME=sanitize
    BUILD="$NASBENCH_ROOT/build/sanitize"
    # No examples: the default build compiles them, and nothing runs them.
    timed "$NAME: configure" configure "$BUILD" -DNASBENCH_SANITIZE=ON -DNASBENCH_WITH_TORCH=OFF \
      -DNASBENCH_CHECK_HEADERS=OFF -DNASBENCH_BUILD_EXAMPLES=OFF "${SANITIZER_FLAGS[@]}" "${FIXTURES[@]}"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  --tsan)
    shift
    NAME=tsan
    BUILD="$NASBENCH_ROOT/build/tsan"
    timed "$NAME: configure" configure "$BUILD" -DNASBENCH_TSAN=ON -DNASBENCH_WITH_TORCH=OFF \
      -DNASBENCH_CHECK_HEADERS=OFF -DNASBENCH_BUILD_EXAMPLES=OFF "${SANITIZER_FLAGS[@]}" "${FIXTURES[@]}"
    # Only the tests that start threads: the rest of the suite gains nothing
    # from ThreadSanitizer and would take minutes more under it (a TSan build
    # compiles only the test files that have such a test: tests/CMakeLists.txt).
    say "building $BUILD (nasbench_tests and its fixtures)"
    timed "$NAME: build" cmake --build "$BUILD" -j "$JOBS" --target nasbench_tests nasbench_fixtures
    say "testing $BUILD: the tests tagged [threads]"
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
    timed "$NAME: test" "$BUILD/tests/nasbench_tests" "[threads]" "$@"
    exit 0
    ;;
  *)
    NAME=release
    BUILD="$NASBENCH_ROOT/build/test"
    timed "$NAME: configure" configure "$BUILD" -DNASBENCH_WITH_TORCH=ON "${FIXTURES[@]}"
    ;;
esac
say "building $BUILD"
timed "$NAME: build" cmake --build "$BUILD" -j "$JOBS"
say "testing $BUILD"
cd "$BUILD"
timed "$NAME: test" ctest --output-on-failure -j "$JOBS" "$@"
