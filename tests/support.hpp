#pragma once
// Where the tests find their data: an environment variable, else the
// directory CMake compiled in (fixtures written at build time, ../shared/data).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#ifndef NASBENCH_BENCH_FIXTURES_DEFAULT
#define NASBENCH_BENCH_FIXTURES_DEFAULT ""
#endif
#ifndef NASBENCH_ERROR_FIXTURES_DEFAULT
#define NASBENCH_ERROR_FIXTURES_DEFAULT ""
#endif
#ifndef NASBENCH_NN_FIXTURES_DEFAULT
#define NASBENCH_NN_FIXTURES_DEFAULT ""
#endif
#ifndef NASBENCH_PICKLE_FIXTURES_DEFAULT
#define NASBENCH_PICKLE_FIXTURES_DEFAULT ""
#endif
#ifndef NASBENCH_SHARED_DATA_DEFAULT
#define NASBENCH_SHARED_DATA_DEFAULT "../shared/data"
#endif

namespace nasbench_test {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}
/// Benchmark fixtures (tests/fixtures/make_bench_fixtures.py).
inline std::string bench_fixtures() { return env_or("NASBENCH_BENCH_FIXTURES", NASBENCH_BENCH_FIXTURES_DEFAULT); }
/// Error-path fixtures (tests/fixtures/make_error_fixtures.py).
inline std::string error_fixtures() { return env_or("NASBENCH_ERROR_FIXTURES", NASBENCH_ERROR_FIXTURES_DEFAULT); }
/// Network fixtures (tests/fixtures/make_nn_fixtures.py).
inline std::string nn_fixtures() { return env_or("NASBENCH_NN_FIXTURES", NASBENCH_NN_FIXTURES_DEFAULT); }
/// Pickle fixtures (tests/fixtures/make_pickle_fixtures.py).
inline std::string pickle_fixtures() { return env_or("NASBENCH_PICKLE_FIXTURES", NASBENCH_PICKLE_FIXTURES_DEFAULT); }
/// The real data shared with the project (../shared/data), which may be absent.
inline std::string shared_data() { return env_or("NASBENCH_SHARED_DATA", NASBENCH_SHARED_DATA_DEFAULT); }

/// Whether the fixture file `path` exists. When it does not, a test cannot
/// run: under CI (the environment variable CI set) that FAILs the test;
/// elsewhere it WARNs, and the caller returns.
inline bool require_fixture(const std::string& path) {
  std::error_code ec;
  if (!path.empty() && std::filesystem::exists(path, ec)) return true;
  if (const char* ci = std::getenv("CI"); ci && *ci) FAIL("fixture missing under CI: \"" << path << "\"");
  WARN("SKIPPED: fixture missing: \"" << path << "\" (build the nasbench_fixtures target or set the variable)");
  return false;
}

}  // namespace nasbench_test
