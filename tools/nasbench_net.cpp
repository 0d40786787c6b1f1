// `nasbench-net` (also reached as `nasbench net`): build a benchmark network in
// LibTorch (a topology-space cell's TinyNetwork, or a size-space channels
// configuration's DynamicShapeTinyNet), print its structure, parameters and
// FLOPs, optionally load trained weights, and time a forward pass. The only
// program that links LibTorch.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "guarded_main.hpp"
#include "nasbench/nn.hpp"

namespace {

int run_main(int argc, char** argv) {
  CLI::App app{"nasbench net: build a benchmark network in LibTorch (NAS-Bench-201 / NATS tss cell, or NATS sss "
               "channels) and time a forward pass"};
  app.name("nasbench net");
  std::string arch, channels_text, space = "tss", dataset = "cifar10", weights, device = "cpu";
  std::optional<long long> index;
  long long batch = 256, iters = 5, C = 16, N = 5;
  bool as_json = false, quiet_structure = false;
  app.add_option("--space", space, "tss (topology space: a cell) or sss (size space: channels)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tss", "sss"}));
  auto* a = app.add_option("--arch", arch,
                           "architecture: a cell |op~i|+|...| (tss), or a channels string such as 8:16:24:32:40 "
                           "(taken as --channels)");
  auto* ch = app.add_option("--channels", channels_text,
                            "size-space channels, 5 of 8,16,...,64 such as 8:16:24:32:40 (implies --space sss)");
  auto* i = app.add_option("--index", index, "official index: 0..15624 in tss, 0..32767 in sss");
  a->excludes(i)->excludes(ch);
  i->excludes(a)->excludes(ch);
  ch->excludes(a)->excludes(i);
  app.add_option("--dataset", dataset, "cifar10, cifar10-valid, cifar100 or ImageNet16-120 (classes, input size)")
      ->capture_default_str();
  app.add_option("--weights", weights, "torch.save file holding a state dict (or a dict with 'state_dict')");
  app.add_option("--device", device, "cpu or cuda (cuda:N)")->capture_default_str();
  app.add_option("--batch", batch, "batch size of the timed forward pass")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--iters", iters, "timed forward passes (the median is reported)")->capture_default_str()->check(CLI::Range(1, 1000));
  auto* c_opt = app.add_option("-C", C, "channels of the first stage (tss only)")->capture_default_str()->check(CLI::Range(1, 4096));
  auto* n_opt = app.add_option("-N", N, "cells per stage (tss only)")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_flag("--json", as_json, "print one JSON object");
  app.add_flag("--no-structure", quiet_structure, "do not print the module tree");
  std::optional<nasbench::Channels> channels;  // set: the size space
  try {
    app.parse(argc, argv);
    if (arch.empty() && !index && channels_text.empty()) throw CLI::RequiredError("--arch, --channels or --index");
    if (nasbench::looks_like_channels(arch)) channels_text = std::move(arch);
    if (!channels_text.empty()) {
      if (app.count("--space") && space != "sss")
        throw CLI::ValidationError("--space " + space, "a channels string is a size-space (sss) configuration");
      space = "sss";
      channels = nasbench::Channels::parse(channels_text);
    }
    if (space == "sss" && (c_opt->count() || n_opt->count()))
      throw CLI::ValidationError("-C/-N", "apply to the topology space (tss) only");
    if (space == "sss" && !arch.empty())
      throw CLI::ValidationError("--arch", "--space sss takes a channels string, not the cell " + arch);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const nasbench::ParseError& e) {  // a malformed channels string is a usage error
    std::cerr << e.what() << '\n';
    return 2;
  }
  const bool size_space = space == "sss";

  try {
    const int num_classes = nasbench::dataset_info(dataset).num_classes;
    const std::size_t space_size = size_space ? nasbench::kSizeSpaceSize : nasbench::kTopologySpaceSize;
    if (index && (*index < 0 || *index >= static_cast<long long>(space_size)))
      throw nasbench::out_of_range(size_space ? "size-space index" : "architecture index", *index, 0,
                                   static_cast<long long>(space_size) - 1);
    std::optional<nasbench::Structure> cell;
    if (size_space) {
      if (index) channels = nasbench::Channels::from_index(static_cast<std::size_t>(*index));
    } else {
      cell = index ? nasbench::official_arch(static_cast<std::size_t>(*index)) : nasbench::Structure::parse(arch);
    }
    const torch::Device dev(device);  // throws c10::Error on a bad string
    if (dev.is_cuda() && !torch::cuda::is_available())
      throw nasbench::Error("--device " + device + " asked for, but CUDA is not available in this LibTorch build/machine");

    namespace nn = nasbench::nn;
    const auto t0 = std::chrono::steady_clock::now();
    nn::CellNetwork net =
        size_space ? nn::CellNetwork(std::shared_ptr<nn::CellNetworkImpl>(
                         nn::DynamicShapeTinyNet(nn::DynamicShapeTinyNetOptions(*channels, num_classes)).ptr()))
                   : nn::CellNetwork(std::shared_ptr<nn::CellNetworkImpl>(
                         nn::TinyNetwork(nn::TinyNetworkOptions(C, N, *cell, num_classes)).ptr()));
    const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!weights.empty()) nn::load_state_dict(*net, nn::load_state_dict_file(weights));
    net->to(dev);
    net->eval();
    const std::int64_t hw = nn::input_size(dataset);
    const double params = nn::count_parameters_mb(*net);
    const double flops = nn::count_flops_m(net, hw);

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

    const std::optional<std::size_t> official =
        size_space ? std::optional<std::size_t>(channels->index()) : nasbench::official_index(*cell);
    const std::string arch_str = size_space ? channels->str() : cell->to_string();
    if (as_json) {
      nlohmann::json out = {{"space", space},
                            {"arch", arch_str},
                            {"index", official ? nlohmann::json(*official) : nlohmann::json(nullptr)},
                            {"dataset", dataset},
                            {"num_classes", num_classes},
                            {"input_hw", hw},
                            {"params_mb", params},
                            {"flops_m", flops},
                            {"device", device},
                            {"batch", batch},
                            {"build_ms", build_ms},
                            {"forward_ms", forward_ms},
                            {"weights", weights.empty() ? nlohmann::json(nullptr) : nlohmann::json(weights)}};
      if (size_space) {
        out["channels"] = arch_str;
        out["genotype"] = std::string(nasbench::kSizeSpaceGenotype);
      } else {
        out["C"] = C;
        out["N"] = N;
      }
      std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      if (!quiet_structure) std::cout << *net << '\n';
      std::printf("%s%s%s\n", size_space ? "channels:   " : "arch:       ", arch_str.c_str(),
                  official ? (" (index " + std::to_string(*official) + ")").c_str() : "");
      if (size_space) std::printf("cell:       %s\n", std::string(nasbench::kSizeSpaceGenotype).c_str());
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
