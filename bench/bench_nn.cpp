// Forward pass of the largest NAS-Bench-201 network (every edge nor_conv_3x3,
// C=16, N=5, 10 classes) on CIFAR-shaped input, and network construction time.
// Prints one JSON object; bench/run_nn_bench.sh compares it with Python.
//   nasbench_bench_nn [--batch 256] [--iters 10] [--threads N] [--mode no_grad|inference]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "nasbench/nn.hpp"

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  long batch = 256, iters = 10, threads = 0;
  std::string mode = "no_grad";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::stol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--iters")) iters = std::stol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--mode")) mode = argv[i + 1];
  }
  if (threads > 0) torch::set_num_threads(static_cast<int>(threads));
  const auto cell = nasbench::Structure::parse(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  using clock = std::chrono::steady_clock;
  std::vector<double> build;
  for (int i = 0; i < 30; ++i) {
    const auto t0 = clock::now();
    auto net = nasbench::nn::TinyNetwork(nasbench::nn::TinyNetworkOptions(16, 5, cell, 10));
    build.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  torch::manual_seed(0);
  auto net = nasbench::nn::TinyNetwork(nasbench::nn::TinyNetworkOptions(16, 5, cell, 10));
  net->eval();
  torch::NoGradGuard no_grad;
  std::optional<c10::InferenceMode> inference;
  if (mode == "inference") inference.emplace();
  const auto x = torch::randn({batch, 3, 32, 32});
  for (int i = 0; i < 2; ++i) (void)net->forward(x);  // warm-up
  std::vector<double> fwd;
  for (long i = 0; i < iters; ++i) {
    const auto t0 = clock::now();
    (void)net->forward(x);
    fwd.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  std::printf("{\"impl\": \"nasbench C++\", \"mode\": \"%s\", \"threads\": %d, \"batch\": %ld, \"build_ms_median\": %.4f, "
              "\"build_ms_first\": %.4f, \"forward_ms_median\": %.3f, \"forward_ms_min\": %.3f}\n",
              mode.c_str(), torch::get_num_threads(), batch, median(build), build.front(), median(fwd),
              *std::min_element(fwd.begin(), fwd.end()));
}
