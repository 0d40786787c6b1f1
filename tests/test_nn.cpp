// Tests of the LibTorch part (include/nasbench/nn/): module names, costs,
// weights, forward passes against Python. Fixtures: tests/fixtures/make_nn_fixtures.py
// (real torch.save) in NASBENCH_NN_FIXTURES; real sample data when present.
// LibTorch first: Debian's build pulls in glog, whose CHECK macro would
// otherwise replace Catch's.
#include "nasbench/nn.hpp"
#undef CHECK

#include <catch2/catch.hpp>

#include "support.hpp"
#include "../fuzz/check_weights.hpp"

#include <cmath>
#include <filesystem>
#include <iterator>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

using nlohmann::json;
namespace nn = nasbench::nn;

namespace {

using nasbench_test::nn_fixtures;
using nasbench_test::shared_data;
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
    WARN("SKIPPED: reference key list absent (" << keys << ")");
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

TEST_CASE("params and FLOPs reproduce docs/network.md §6's reference table", "[nn][costs]") {
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
    WARN("SKIPPED: real NATS-Bench sample absent (" << dir << ")");
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

namespace {
torch::Tensor json_tensor(const json& values, std::vector<std::int64_t> shape) {
  std::vector<double> flat;
  std::function<void(const json&)> walk = [&](const json& v) {
    if (v.is_array())
      for (const auto& x : v) walk(x);
    else
      flat.push_back(v.get<double>());
  };
  walk(values);
  return torch::tensor(flat, torch::kFloat64).reshape(shape).to(torch::kFloat32);
}
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}
}  // namespace

TEST_CASE("trained weights from torch.save (legacy and zip) give Python's outputs", "[nn][weights]") {
  const std::string dir = nn_fixtures();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  for (const char* config : {"a", "b", "c"})
    for (const char* container : {"legacy", "zip"}) {
      const std::string path = dir + "/net_" + config + "_" + container + ".pth";
      CAPTURE(path);
      const auto file = nn::open_torch_file(path);
      CHECK(file.document.format ==
            (std::string(container) == "zip" ? nasbench::pickle::Format::kTorchZip : nasbench::pickle::Format::kTorchLegacy));
      const auto& root = file.document.root;
      auto tensors = file.tensors();
      auto net = nn::TinyNetwork(nn::TinyNetworkOptions(root.at("C").as_int(), root.at("N").as_int(),
                                                        nasbench::Structure::parse(root.at("arch").as_str()),
                                                        root.at("num_classes").as_int()));
      nn::load_state_dict(*net, tensors.state_dict(root.at("state_dict")));
      net->eval();
      torch::NoGradGuard guard;
      const auto [features, logits] = net->forward(tensors(root.at("input")));
      const auto want_f = tensors(root.at("features")), want_l = tensors(root.at("logits"));
      CHECK(max_abs_diff(features, want_f) < 1e-5);
      CHECK(max_abs_diff(logits, want_l) < 1e-5);
      CHECK(torch::allclose(logits, want_l, 1e-5, 1e-5));
      // Views keep sharing their storage, with offsets and strides.
      const auto& views = root.at("views");
      const auto a = tensors(views.at("a")), b = tensors(views.at("b")), c = tensors(views.at("c"));
      CHECK(a.scalar_type() == torch::kFloat64);
      CHECK(b.data_ptr() == static_cast<void*>(a.data_ptr<double>() + b.storage_offset()));
      CHECK(torch::equal(b, a.slice(0, 1, 3)));
      CHECK(torch::equal(c, a.t()));
      CHECK(c.strides() == a.t().strides());
      a.add_(1);  // one storage: the change shows through every view
      CHECK(torch::equal(c, a.t()));
    }
}

TEST_CASE("params and FLOPs of 80 architectures x 3 datasets equal the Python reference", "[nn][costs]") {
  const std::string dir = nn_fixtures();
  if (!nasbench_test::require_fixture(dir + "/costs.json")) return;
  std::ifstream in(dir + "/costs.json");
  const json rows = json::parse(in);
  REQUIRE(rows.size() >= 200);
  for (const auto& r : rows) {
    CAPTURE(r.dump());
    auto net = nn::TinyNetwork(nn::TinyNetworkOptions(r["C"], r["N"], nasbench::Structure::parse(r["arch"].get<std::string>()),
                                                      r["num_classes"]));
    CHECK(net->count_flops(r["input_hw"], r["input_hw"]) == r["macs"].get<double>());  // exact integer count
    CHECK(nn::count_flops_m(net, r["input_hw"]) == Approx(r["flops_m"].get<double>()).epsilon(1e-12));
    CHECK(nn::count_parameters_mb(*net) == Approx(r["params_mb"].get<double>()).epsilon(1e-12));
  }
}

TEST_CASE("reload an archive, get_net_param, and run the trained network", "[nn][weights]") {
  const std::string dir = nn_fixtures();
  const std::string bench = nasbench_test::bench_fixtures();
  if (!nasbench_test::require_fixture(dir + "/000284-FULL.expected.json") ||
      !nasbench_test::require_fixture(bench + "/tiny.pth"))
    return;
  std::ifstream in(dir + "/000284-FULL.expected.json");
  const json expected = json::parse(in);
  auto api = nasbench::NASBench201API::load(bench + "/tiny.pth");
  CHECK(api.get_net_param(284, "cifar100", 111, "12") == nullptr);  // the benchmark file holds no weights
  api.reload(dir, 284);
  const auto shape = expected["input"]["shape"].get<std::vector<std::int64_t>>();
  const auto input = json_tensor(expected["input"]["values"], shape);
  for (const auto& w : expected["with_weights"]) {
    CAPTURE(w["hp"], w["dataset"], w["seed"]);
    const nasbench::NetState* weights =
        api.get_net_param(284, w["dataset"].get<std::string>(), w["seed"].get<int>(), w["hp"].get<std::string>());
    REQUIRE(weights != nullptr);
    const auto sd = nn::to_state_dict(weights);
    CHECK(static_cast<std::int64_t>(sd.size()) == w["state_dict_entries"].get<std::int64_t>());
    auto net = nn::TinyNetwork(nn::TinyNetworkOptions(expected["C"], expected["N"],
                                                      nasbench::Structure::parse(expected["arch"].get<std::string>()),
                                                      w["num_classes"]));
    nn::load_state_dict(*net, sd);
    net->eval();
    torch::NoGradGuard guard;
    const auto [features, logits] = net->forward(input);
    CHECK(max_abs_diff(logits, json_tensor(w["logits"], logits.sizes().vec())) < 1e-5);
    CHECK(max_abs_diff(features, json_tensor(w["features"], features.sizes().vec())) < 1e-5);
  }
  for (const auto& w : expected["without_weights"])
    CHECK(api.get_net_param(284, w[1].get<std::string>(), w[2].get<int>(), w[0].get<std::string>()) == nullptr);
  api.clear_params(284);
  CHECK(api.get_net_param(284, "cifar100", 111, "12") == nullptr);
  CHECK_THROWS_WITH(api.reload(dir, 11), Catch::Contains("000011-FULL.pth\" (no such archive file)"));
  CHECK_THROWS_AS(api.reload(dir, 99999), nasbench::QueryError);
  CHECK_THROWS_WITH(api.reload("/nonexistent-archive", 284),
                    "nasbench: invalid archive directory \"/nonexistent-archive\"");
}

TEST_CASE("tensor descriptors that do not fit their storage are LoadErrors, not reads out of bounds", "[nn][errors]") {
  const std::string dir = nn_fixtures();
  if (!nasbench_test::require_fixture(dir + "/net_a_legacy.pth")) return;
  const auto file = nn::open_torch_file(dir + "/net_a_legacy.pth");
  const auto& sd = file.document.root.at("state_dict");
  const nasbench::pickle::Value& first = sd.dict_items().front().second;  // stem.0.weight, 16x3x3x3 float32
  REQUIRE(first.is_tensor());
  auto reader = file.tensors();
  CHECK(reader(first).sizes() == std::vector<std::int64_t>{16, 3, 3, 3});

  nasbench::pickle::TensorInfo bad = first.as_tensor();
  bad.sizes[0] = 17;  // one filter more than the storage holds
  CHECK_THROWS_AS(reader(nasbench::pickle::Value::make_tensor(bad)), nasbench::LoadError);
  CHECK_THROWS_WITH(reader(nasbench::pickle::Value::make_tensor(bad)),
                    Catch::Contains("reaches element 458 of a storage of 432"));
  bad = first.as_tensor();
  bad.strides.pop_back();
  CHECK_THROWS_WITH(reader(nasbench::pickle::Value::make_tensor(bad)), Catch::Contains("has 4 sizes but 3 strides"));
  bad = first.as_tensor();
  bad.storage_offset = -1;
  CHECK_THROWS_AS(reader(nasbench::pickle::Value::make_tensor(bad)), nasbench::LoadError);
  // A descriptor whose storage the file does not hold.
  nn::TensorReader empty(std::make_shared<nasbench::StorageTable>());
  CHECK_THROWS_WITH(empty(first), Catch::StartsWith("nasbench: no data for tensor storage \""));
  CHECK_THROWS_WITH(reader(sd.dict_items().front().first), "nasbench: expected a tensor, got str");
  CHECK_THROWS_WITH(nn::load_state_dict_file(dir + "/manifest.json"), Catch::Contains("manifest.json"));
}

TEST_CASE("fuzz findings of the weights reader replay through its check", "[nn][fuzz]") {
  const std::string dir = NASBENCH_FUZZ_REGRESSIONS_DEFAULT;
  if (!nasbench_test::require_fixture(dir)) return;
  int replayed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("weights-", 0) != 0) continue;
    CAPTURE(name);
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_NOTHROW(nasbench_fuzz::check_weights(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    ++replayed;
  }
  CHECK(replayed >= 1);
}
