// nasbench/nn.hpp with nasbench::nasbench: the network of a cell.
#include "nasbench/nn.hpp"

#include <cstdio>

int main() {
  auto net = nasbench::nn::TinyNetwork(nasbench::nn::TinyNetworkOptions(16, 5, nasbench::official_arch(1), 10));
  const double params = nasbench::nn::count_parameters_mb(*net);
  std::printf("TinyNetwork of official_arch(1): %.6f M parameters\n", params);
  return params > 0 ? 0 : 1;
}
