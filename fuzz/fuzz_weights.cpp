// libFuzzer entry point of fuzz_weights: the check lives in check_weights.hpp, shared with
// tests/test_fuzz_regressions.cpp.
#include "check_weights.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nasbench_fuzz::run_check(nasbench_fuzz::check_weights, data, size);
}
