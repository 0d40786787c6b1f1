// nasbench/space.hpp with nasbench::space alone.
#include "nasbench/space.hpp"

#include <cstdio>

int main() {
  const auto cell = nasbench::official_arch(1);
  const auto back = nasbench::official_index(nasbench::Structure::parse(cell.to_string()));
  std::printf("official_arch(1) = %s, classes of cifar100: %d\n", cell.to_string().c_str(),
              nasbench::dataset_info("cifar100").num_classes);
  return back && *back == 1 ? 0 : 1;
}
