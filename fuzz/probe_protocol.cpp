// Configure-time probe (fuzz/CMakeLists.txt): does nasbench/json/protocol.hpp
// compile with this compiler? fuzz_protocol is built only when it does.
#include "nasbench/json/protocol.hpp"

int main() {
  nasbench::BasicAPI<double> api;
  nasbench::Random rng(0);
  return static_cast<int>(nasbench::answer_line(api, "{}", rng).size() == 0);
}
