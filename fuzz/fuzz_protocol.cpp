// libFuzzer entry point of fuzz_protocol: the benchmarks are loaded once, from
// the fixture directory $NASBENCH_FUZZ_FIXTURES or the one CMake wrote
// (NASBENCH_FUZZ_FIXTURES_DEFAULT: bench/ and nats/); the first byte of an
// input picks one (check_protocol.hpp: protocol_target). Each API is mutable,
// so simulate_train_eval and reset_time are answered. The check lives in
// check_protocol.hpp, shared with tests/test_fuzz_regressions.cpp.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "check_protocol.hpp"
#include "nasbench/io/load.hpp"
#include "nasbench/io/nats.hpp"

#ifndef NASBENCH_FUZZ_FIXTURES_DEFAULT
#define NASBENCH_FUZZ_FIXTURES_DEFAULT ""
#endif

namespace {
std::unique_ptr<nasbench::BasicAPI<double>> g_apis[nasbench_fuzz::kProtocolTargets];
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* env = std::getenv("NASBENCH_FUZZ_FIXTURES");
  const std::string dir = env && *env ? env : NASBENCH_FUZZ_FIXTURES_DEFAULT;
  for (int i = 0; i < nasbench_fuzz::kProtocolTargets; ++i) {
    const nasbench_fuzz::ProtocolTarget& t = nasbench_fuzz::kProtocolTargetFiles[i];
    const std::string path = dir + "/" + t.path;
    try {
      g_apis[i] = std::make_unique<nasbench::BasicAPI<double>>(
          t.space ? nasbench::create<double>(path, t.space, t.fast) : nasbench::load_api<double>(path));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_protocol: cannot load the benchmark \"%s\" (set NASBENCH_FUZZ_FIXTURES): %s\n",
                   path.c_str(), e.what());
      std::exit(1);
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int target = nasbench_fuzz::protocol_target(data, size);
  const std::size_t skip = target == 0 ? 0 : 1;
  return nasbench_fuzz::run_check(
      [&](const std::uint8_t* d, std::size_t n) { nasbench_fuzz::check_protocol(*g_apis[target], d, n); },
      data + skip, size - skip);
}
