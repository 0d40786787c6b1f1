// libFuzzer entry point of fuzz_cache: the check lives in check_cache.hpp, shared with
// tests/test_fuzz_regressions.cpp.
#include "check_cache.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nasbench_fuzz::run_check(nasbench_fuzz::check_cache, data, size);
}
