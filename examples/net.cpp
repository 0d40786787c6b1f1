// From benchmark to network: find the best architecture on CIFAR-10 under a
// FLOP budget, build it in LibTorch, load trained weights when given, and
// classify a batch on CUDA when available (else the CPU).
//   example_net BENCHMARK [WEIGHTS.pth]
// WEIGHTS: a torch.save file with a state dict for that architecture, such as
// a run's net_state_dict from a NAS-Bench-201 archive (api.reload + get_net_param).
#include <cstdio>
#include <iostream>

#include "nasbench/nn.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s BENCHMARK [WEIGHTS.pth]\n", argv[0]);
    return 2;
  }
  try {
    const auto api = nasbench::NASBench201API::load(argv[1]);
    const auto best = api.find_best("cifar10", "test", /*FLOP_max=*/100.0, std::nullopt, "200");
    if (best.index < 0) {
      std::puts("no architecture under 100 MFLOPs");
      return 0;
    }
    std::printf("best under 100 MFLOPs: %d (test %.2f%%)\n  %s\n", best.index, *best.accuracy, api.arch(best.index).c_str());

    // The config the benchmark trained it with (C, N, genotype, classes).
    auto net = nasbench::nn::get_cell_based_tiny_net(api.get_net_config(best.index, "cifar10"));
    if (argc == 3) nasbench::nn::load_state_dict(*net, nasbench::nn::load_state_dict_file(argv[2]));
    std::printf("  %.6f M params, %.5f MFLOPs, weights: %s\n", nasbench::nn::count_parameters_mb(*net),
                nasbench::nn::count_flops_m(net, 32), argc == 3 ? argv[2] : "random");

    const torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
    net->to(device);
    net->eval();
    torch::NoGradGuard no_grad;
    const auto images = torch::randn({4, 3, 32, 32}, torch::TensorOptions().device(device));
    const auto [features, logits] = net->forward(images);
    const auto predicted = logits.argmax(1).cpu();
    std::cout << "  on " << device << ": features " << features.sizes() << ", predicted classes";
    for (std::int64_t i = 0; i < predicted.size(0); ++i) std::cout << ' ' << predicted[i].item<std::int64_t>();
    std::cout << '\n';
  } catch (const nasbench::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
