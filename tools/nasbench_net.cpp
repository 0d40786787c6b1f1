// `nasbench-net` (also reached as `nasbench net`): build a benchmark network in
// LibTorch, print its structure, parameters and FLOPs, optionally load trained
// weights, and time a forward pass. The only program that links LibTorch.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "guarded_main.hpp"
#include "nasbench/nn.hpp"

namespace {

int run_main(int argc, char** argv) {
  CLI::App app{"nasbench net: build a NAS-Bench-201 network in LibTorch and time a forward pass"};
  app.name("nasbench net");
  std::string arch, dataset = "cifar10", weights, device = "cpu";
  std::optional<long long> index;
  long long batch = 256, iters = 5, C = 16, N = 5;
  bool as_json = false, quiet_structure = false;
  auto* a = app.add_option("--arch", arch, "architecture string |op~i|+|...|");
  auto* i = app.add_option("--index", index, "official architecture index 0..15624");
  a->excludes(i);
  i->excludes(a);
  app.add_option("--dataset", dataset, "cifar10, cifar10-valid, cifar100 or ImageNet16-120 (classes, input size)")
      ->capture_default_str();
  app.add_option("--weights", weights, "torch.save file holding a state dict (or a dict with 'state_dict')");
  app.add_option("--device", device, "cpu or cuda (cuda:N)")->capture_default_str();
  app.add_option("--batch", batch, "batch size of the timed forward pass")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--iters", iters, "timed forward passes (the median is reported)")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("-C", C, "channels of the first stage")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("-N", N, "cells per stage")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_flag("--json", as_json, "print one JSON object");
  app.add_flag("--no-structure", quiet_structure, "do not print the module tree");
  try {
    app.parse(argc, argv);
    if (arch.empty() && !index) throw CLI::RequiredError("--arch or --index");
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  try {
    const int num_classes = nasbench::dataset_info(dataset).num_classes;
    if (index && (*index < 0 || *index >= static_cast<long long>(nasbench::kTopologySpaceSize)))
      throw nasbench::out_of_range("architecture index", *index, 0, nasbench::kTopologySpaceSize - 1);
    const nasbench::Structure cell = index ? nasbench::official_arch(static_cast<std::size_t>(*index))
                                           : nasbench::Structure::parse(arch);
    const torch::Device dev(device);  // throws c10::Error on a bad string
    if (dev.is_cuda() && !torch::cuda::is_available())
      throw nasbench::Error("--device " + device + " asked for, but CUDA is not available in this LibTorch build/machine");

    const auto t0 = std::chrono::steady_clock::now();
    auto net = nasbench::nn::TinyNetwork(nasbench::nn::TinyNetworkOptions(C, N, cell, num_classes));
    const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!weights.empty()) nasbench::nn::load_state_dict(*net, nasbench::nn::load_state_dict_file(weights));
    net->to(dev);
    net->eval();
    const std::int64_t hw = nasbench::nn::input_size(dataset);
    const double params = nasbench::nn::count_parameters_mb(*net);
    const double flops = nasbench::nn::count_flops_m(net, hw);

    torch::NoGradGuard no_grad;
    const auto x = torch::randn({batch, 3, hw, hw}, torch::TensorOptions().device(dev));
    std::vector<double> times;
    for (long long it = 0; it <= iters; ++it) {  // the first pass warms up
      if (dev.is_cuda()) torch::cuda::synchronize();
      const auto s = std::chrono::steady_clock::now();
      auto out = net->forward(x);
      if (dev.is_cuda()) torch::cuda::synchronize();
      if (it > 0) times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
      (void)out;
    }
    std::sort(times.begin(), times.end());
    const double forward_ms = times[times.size() / 2];

    const std::optional<std::size_t> official = nasbench::official_index(cell);
    if (as_json) {
      nlohmann::json out = {{"arch", cell.to_string()},
                            {"index", official ? nlohmann::json(*official) : nlohmann::json(nullptr)},
                            {"dataset", dataset},
                            {"num_classes", num_classes},
                            {"input_hw", hw},
                            {"C", C},
                            {"N", N},
                            {"params_mb", params},
                            {"flops_m", flops},
                            {"device", device},
                            {"batch", batch},
                            {"build_ms", build_ms},
                            {"forward_ms", forward_ms},
                            {"weights", weights.empty() ? nlohmann::json(nullptr) : nlohmann::json(weights)}};
      std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      if (!quiet_structure) std::cout << *net << '\n';
      std::printf("arch:       %s%s\n", cell.to_string().c_str(),
                  official ? (" (index " + std::to_string(*official) + ")").c_str() : "");
      std::printf("dataset:    %s (%d classes, %lldx%lld input)\n", dataset.c_str(), num_classes,
                  static_cast<long long>(hw), static_cast<long long>(hw));
      std::printf("params:     %.6f M\nFLOPs:      %.5f M per image\n", params, flops);
      std::printf("weights:    %s\n", weights.empty() ? "random initialisation" : weights.c_str());
      std::printf("forward:    %.3f ms for a batch of %lld on %s (median of %lld; built in %.2f ms)\n", forward_ms, batch,
                  device.c_str(), iters, build_ms);
    }
  } catch (const nasbench::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "nasbench: " << e.what_without_backtrace() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return guarded_main("nasbench net", run_main, argc, argv); }
