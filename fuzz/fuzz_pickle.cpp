// libFuzzer entry point of fuzz_pickle: the check lives in check_pickle.hpp, shared with
// tests/test_fuzz_regressions.cpp.
#include "check_pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nasbench_fuzz::run_check(nasbench_fuzz::check_pickle, data, size);
}
