// Tests of the LibTorch part (include/nasbench/nn/): module names, costs,
// weights, forward passes against Python. Fixtures: tests/fixtures/make_nn_fixtures.py
// (real torch.save) in NASBENCH_NN_FIXTURES; real sample data when present.
// LibTorch first: Debian's build pulls in glog, whose CHECK macro would
// otherwise replace Catch's.
#include "nasbench/nn.hpp"
#undef CHECK

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

using nlohmann::json;
namespace nn = nasbench::nn;

namespace {

std::string env_or(const char* name, const char* fallback) {
  if (const char* v = std::getenv(name)) return v;
  return fallback;
}
std::string nn_fixtures() {
#ifdef NASBENCH_NN_FIXTURES_DEFAULT
  return env_or("NASBENCH_NN_FIXTURES", NASBENCH_NN_FIXTURES_DEFAULT);
#else
  return env_or("NASBENCH_NN_FIXTURES", "");
#endif
}
std::string shared_data() {
#ifdef NASBENCH_SHARED_DATA_DEFAULT
  return env_or("NASBENCH_SHARED_DATA", NASBENCH_SHARED_DATA_DEFAULT);
#else
  return env_or("NASBENCH_SHARED_DATA", "../shared/data");
#endif
}
bool exists(const std::string& path) { return std::ifstream(path).good(); }

const char* kArch1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

std::string dtype_name(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return "float32";
    case torch::kInt64: return "int64";
    default: return "other";
  }
}

}  // namespace

TEST_CASE("parameter and buffer names, shapes and dtypes are the reference's", "[nn]") {
  const std::string keys = shared_data() + "/reference/tinynet_C16_N1_arch1_state_dict_keys.txt";
  if (!exists(keys)) {
    WARN("reference key list absent (" << keys << "): skipped");
    return;
  }
  auto net = nn::TinyNetwork(nn::TinyNetworkOptions(16, 1, nasbench::Structure::parse(kArch1), 10));
  std::map<std::string, torch::Tensor> ours;
  for (const auto& p : net->named_parameters()) ours[p.key()] = p.value();
  for (const auto& b : net->named_buffers()) ours[b.key()] = b.value();
  std::ifstream in(keys);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // "cells.0.layers.0.op.1.weight (16, 16, 3, 3) float32"
    const auto open = line.find(" ("), close = line.rfind(") ");
    REQUIRE(open != std::string::npos);
    const std::string name = line.substr(0, open), dtype = line.substr(close + 2);
    std::string dims = line.substr(open + 2, close - open - 2);
    std::vector<std::int64_t> shape;
    std::stringstream ss(dims);
    for (std::string d; std::getline(ss, d, ',');)
      if (d.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(d));
    CAPTURE(name);
    REQUIRE(ours.count(name) == 1);
    CHECK(ours[name].sizes().vec() == shape);
    CHECK(dtype_name(ours[name]) == dtype);
    ++n;
  }
  CHECK(n == ours.size());
  CHECK(n == 93);  // the reference file lists 93 tensors
}

TEST_CASE("params and FLOPs reproduce NETWORK.md's reference table", "[nn][costs]") {
  struct Row {
    int index;
    int classes, hw;
    double flops, params;
  };
  for (const Row& r : {Row{0, 10, 32, 15.64737, 0.129306}, Row{0, 100, 32, 15.65322, 0.135156},
                       Row{0, 120, 16, 3.91948, 0.136456}, Row{11, 10, 32, 113.95137, 0.802426},
                       Row{284, 120, 16, 2.93644, 0.108456}}) {
    CAPTURE(r.index, r.classes);
    auto net = nn::TinyNetwork(nn::TinyNetworkOptions(16, 5, nasbench::official_arch(r.index), r.classes));
    CHECK(std::fabs(nn::count_flops_m(net, r.hw) - r.flops) < 5e-7);
    CHECK(std::fabs(nn::count_parameters_mb(*net) - r.params) < 5e-8);
  }
  // The largest cell: every edge nor_conv_3x3.
  auto big = nn::TinyNetwork(nn::TinyNetworkOptions(
      16, 5, nasbench::Structure::parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"), 10));
  CHECK(std::fabs(nn::count_flops_m(big, 32) - 220.11969) < 5e-7);
  CHECK(std::fabs(nn::count_parameters_mb(*big) - 1.531546) < 5e-8);
}

TEST_CASE("params and FLOPs equal the real sample's stored values on every dataset", "[nn][costs][real]") {
  const std::string dir = shared_data() + "/nats-bench-sample/NATS-tss-v1_0-3ffb9-simple";
  if (!exists(dir + "/meta.pickle.pbz2")) {
    WARN("real NATS-Bench sample absent: skipped");
    return;
  }
  const auto api = nasbench::NASBench201API::load(dir);
  std::size_t checked = 0;
  for (int index : api.evaluated_indexes())
    for (const auto& hp : api.hps(index))
      for (const auto& ds : api.query_meta_info_by_index(index, hp).datasets()) {
        const auto config = api.query_meta_info_by_index(index, hp).query(ds.name).front().second->get_config();
        auto net = nn::get_cell_based_tiny_net(config);
        const double flops = nn::count_flops_m(net, nn::input_size(ds.name)), params = nn::count_parameters_mb(*net);
        for (const auto& [seed, run] : api.query_meta_info_by_index(index, hp).query(ds.name)) {
          CAPTURE(index, hp, ds.name, seed);
          CHECK(std::fabs(run->flop - flops) < 5e-6);
          CHECK(std::fabs(run->params - params) < 5e-7);
          ++checked;
        }
      }
  CHECK(checked >= 3 * 2 * 4);
}

TEST_CASE("get_cell_based_tiny_net checks its config", "[nn][errors]") {
  CHECK(nn::count_parameters_mb(*nn::get_cell_based_tiny_net(
            json{{"name", "infer.tiny"}, {"C", 16}, {"N", 5}, {"arch_str", kArch1}, {"num_classes", 10}})) ==
        nn::count_parameters_mb(*nn::TinyNetwork(nn::TinyNetworkOptions(16, 5, nasbench::Structure::parse(kArch1), 10))));
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.shape.tiny"}, {"channels", "8:8:8:8:8"}}),
                    Catch::StartsWith("nasbench: unsupported network config name \"infer.shape.tiny\""));
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.tiny"}, {"C", 16}, {"N", 5}, {"num_classes", 10}}),
                    Catch::StartsWith("nasbench: network config lacks \"genotype\""));
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.tiny"}, {"C", "16"}, {"N", 5}, {"arch_str", kArch1}, {"num_classes", 10}}),
                    "nasbench: network config \"C\" must be an integer, got \"16\"");
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.tiny"}, {"C", 0}, {"N", 5}, {"arch_str", kArch1}, {"num_classes", 10}}),
                    "nasbench: TinyNetwork needs C >= 1, N >= 1 and num_classes >= 1 (got C=0, N=5, num_classes=10)");
  CHECK_THROWS_AS(nn::get_cell_based_tiny_net(json{{"name", "infer.tiny"}, {"C", 16}, {"N", 5}, {"arch_str", "|conv~0|"}, {"num_classes", 10}}),
                  nasbench::ParseError);
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json::array()), "nasbench: network config must be a JSON object, got []");
}

TEST_CASE("load_state_dict is strict and names what does not fit", "[nn][errors]") {
  auto a = nn::TinyNetwork(nn::TinyNetworkOptions(8, 1, nasbench::Structure::parse(kArch1), 10));
  auto b = nn::TinyNetwork(nn::TinyNetworkOptions(8, 1, nasbench::Structure::parse(kArch1), 10));
  nn::StateDict sd;
  for (const auto& p : a->named_parameters()) sd.insert(p.key(), p.value().detach().clone());
  for (const auto& p : a->named_buffers()) sd.insert(p.key(), p.value().clone());
  nn::load_state_dict(*b, sd);
  for (const auto& p : b->named_parameters()) CHECK(torch::equal(p.value(), *sd.find(p.key())));

  nn::StateDict missing = sd;
  missing.erase("classifier.bias");
  CHECK_THROWS_WITH(nn::load_state_dict(*b, missing),
                    "nasbench: state dict does not fit the network: missing keys: classifier.bias; unexpected keys: "
                    "none; shape mismatches: none");
  nn::load_state_dict(*b, missing, /*strict=*/false);  // non-strict: missing keys keep their values
  nn::StateDict extra = sd;
  extra.insert("auxiliary.weight", torch::zeros({1}));
  CHECK_THROWS_WITH(nn::load_state_dict(*b, extra), Catch::Contains("unexpected keys: auxiliary.weight"));
  auto c = nn::TinyNetwork(nn::TinyNetworkOptions(8, 1, nasbench::Structure::parse(kArch1), 100));
  CHECK_THROWS_WITH(nn::load_state_dict(*c, sd),
                    Catch::Contains("shape mismatches: classifier.weight (file [10, 32], network [100, 32]), "
                                    "classifier.bias (file [10], network [100])"));
}

TEST_CASE("the network runs in float64 and on every available device", "[nn]") {
  auto net = nn::TinyNetwork(nn::TinyNetworkOptions(8, 1, nasbench::Structure::parse(kArch1), 10));
  net->eval();
  torch::NoGradGuard guard;
  const auto x = torch::randn({2, 3, 16, 16});
  const auto [f32, l32] = net->forward(x);
  net->to(torch::kFloat64);
  const auto [f64, l64] = net->forward(x.to(torch::kFloat64));
  CHECK(l64.scalar_type() == torch::kFloat64);
  CHECK(torch::allclose(l32.to(torch::kFloat64), l64, 1e-4, 1e-5));
  if (!torch::cuda::is_available()) {
    WARN("CUDA is not available: the CUDA forward pass is skipped");
    return;
  }
  net->to(torch::kCUDA);
  const auto [fc, lc] = net->forward(x.to(torch::kFloat64).to(torch::kCUDA));
  CHECK(lc.device().is_cuda());
  CHECK(torch::allclose(lc.cpu(), l64, 1e-8, 1e-10));
}
