// libFuzzer entry point of fuzz_api: the check lives in check_api.hpp, shared with
// tests/test_fuzz_regressions.cpp.
#include "check_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nasbench_fuzz::run_check(nasbench_fuzz::check_api, data, size);
}
