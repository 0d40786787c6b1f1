// nasbench/api.hpp alone, with nasbench::io: NASBench201API::load links.
#include "nasbench/api.hpp"

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) return 0;
  const auto api = nasbench::NASBench201API::load(argv[1]);
  std::printf("%s\n", api.repr().c_str());
  return api.size() == 15625 ? 0 : 1;
}
