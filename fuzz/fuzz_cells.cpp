// libFuzzer entry point of fuzz_cells: the check lives in check_cells.hpp, shared with
// tests/test_fuzz_regressions.cpp.
#include "check_cells.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nasbench_fuzz::run_check(nasbench_fuzz::check_cells, data, size);
}
