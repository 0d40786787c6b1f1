// libFuzzer entry point of fuzz_protocol: the benchmark is loaded once, from
// $NASBENCH_FUZZ_BENCH or the fixture CMake wrote (NASBENCH_FUZZ_BENCH_DEFAULT);
// the check lives in check_protocol.hpp, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "check_protocol.hpp"
#include "nasbench/io/load.hpp"

#ifndef NASBENCH_FUZZ_BENCH_DEFAULT
#define NASBENCH_FUZZ_BENCH_DEFAULT ""
#endif

namespace {
std::unique_ptr<nasbench::BasicAPI<double>> g_api;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* env = std::getenv("NASBENCH_FUZZ_BENCH");
  const std::string path = env && *env ? env : NASBENCH_FUZZ_BENCH_DEFAULT;
  try {
    g_api = std::make_unique<nasbench::BasicAPI<double>>(nasbench::load_api<double>(path));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_protocol: cannot load the benchmark \"%s\" (set NASBENCH_FUZZ_BENCH): %s\n",
                 path.c_str(), e.what());
    std::exit(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nasbench_fuzz::run_check(
      [](const std::uint8_t* d, std::size_t n) { nasbench_fuzz::check_protocol(*g_api, d, n); }, data, size);
}
