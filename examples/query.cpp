// The three commonest queries with nasbench::core: load a benchmark, look up
// an architecture's results, find the best architecture under a budget.
//   example_query BENCHMARK   (a .pth, .pickle.pbz2 or NATS-Bench directory)
#include <cstdio>
#include <iostream>

#include "nasbench/nasbench.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BENCHMARK\n", argv[0]);
    return 2;
  }
  try {
    const auto api = nasbench::NASBench201API::load(argv[1]);
    std::cout << api.repr() << '\n';

    // 1. Results of one architecture: seed means at the last of 200 epochs.
    const int index = api.evaluated_indexes().front();
    const auto info = api.get_more_info(index, "cifar100", std::nullopt, "200", nasbench::SeedChoice::mean());
    std::printf("arch %d on cifar100: train %.2f%%, valid %.2f%%, test %.2f%%\n", index, *info.train.accuracy,
                *info.valid->accuracy, *info.test->accuracy);

    // 2. Its costs.
    const auto cost = api.get_cost_info(index, "cifar100", "200");
    std::printf("  %.2f MFLOPs, %.3f M params", cost.flops, cost.params);
    if (cost.latency) std::printf(", latency %.2f ms", *cost.latency * 1000);
    std::printf("\n");

    // 3. The best architecture by CIFAR-10 test accuracy under 50 MFLOPs.
    const auto best = api.find_best("cifar10", "test", 50.0, std::nullopt, "200");
    if (best.index >= 0)
      std::printf("best under 50 MFLOPs: %d (%.2f%%) %s\n", best.index, *best.accuracy, api.arch(best.index).c_str());
    else
      std::printf("no architecture under 50 MFLOPs\n");
  } catch (const nasbench::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
