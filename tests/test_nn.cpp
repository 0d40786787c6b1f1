// Tests of the LibTorch part (include/nasbench/nn/): module names, costs,
// weights, forward passes against Python; both spaces' networks (the size
// space's from "size space:" on). Fixtures: tests/fixtures/make_nn_fixtures.py
// (real torch.save) in NASBENCH_NN_FIXTURES; real sample data when present.
#include "torch_catch.hpp"  // LibTorch, then Catch2 (glog's CHECK)

#include "support.hpp"
#include "../fuzz/check_weights.hpp"

#include <cmath>
#include <filesystem>
#include <iterator>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
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
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.tiny.shape"}, {"channels", "8:8:8:8:8"}}),
                    "nasbench: unsupported network config name \"infer.tiny.shape\" (expected \"infer.tiny\", the "
                    "topology space, or \"infer.shape.tiny\", the size space)");
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

// ---------------------------------------------------------------------------
// Size space: DynamicShapeTinyNet (infer.shape.tiny)
// ---------------------------------------------------------------------------
namespace {
nasbench::NetConfig shape_config(std::string channels, int num_classes,
                                 std::string genotype = std::string(nasbench::kSizeSpaceGenotype)) {
  nasbench::NetConfig c;
  c.name = "infer.shape.tiny";
  c.channels = std::move(channels);
  c.genotype = std::move(genotype);
  c.num_classes = num_classes;
  return c;
}
std::map<std::string, torch::Tensor> named_tensors(const torch::nn::Module& net) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : net.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : net.named_buffers()) out[b.key()] = b.value();
  return out;
}
}  // namespace

TEST_CASE("size space: module and parameter names of DynamicShapeTinyNet", "[nn][shape]") {
  // 8:8:8:16:32: cells 0 and 2 keep 8 channels (skip_connect is Identity), cell 4 goes 16 -> 32
  // (skip_connect~0 is a FactorizedReduce: conv 1x1 + bn), blocks 1 and 3 are 8 -> 8 and 8 -> 16.
  auto net = nn::get_cell_based_tiny_net(shape_config("8:8:8:16:32", 10));
  auto t = named_tensors(*net);
  CHECK(t.size() == 135);
  CHECK(t.at("stem.0.weight").sizes().vec() == std::vector<std::int64_t>{8, 3, 3, 3});
  CHECK(t.count("cells.0.layers.3.conv.weight") == 0);
  CHECK(t.count("cells.2.layers.3.conv.weight") == 0);
  CHECK(t.at("cells.4.layers.0.op.1.weight").sizes().vec() == std::vector<std::int64_t>{32, 16, 3, 3});
  CHECK(t.at("cells.4.layers.2.op.1.weight").sizes().vec() == std::vector<std::int64_t>{32, 32, 3, 3});
  CHECK(t.at("cells.4.layers.3.conv.weight").sizes().vec() == std::vector<std::int64_t>{32, 16, 1, 1});
  CHECK(t.at("cells.4.layers.3.bn.num_batches_tracked").scalar_type() == torch::kInt64);
  CHECK(t.count("cells.4.layers.3.conv.bias") == 0);
  CHECK(t.at("cells.3.downsample.1.weight").sizes().vec() == std::vector<std::int64_t>{16, 8, 1, 1});
  CHECK(t.at("cells.3.conv_a.op.1.weight").sizes().vec() == std::vector<std::int64_t>{16, 8, 3, 3});
  CHECK(t.at("lastact.0.running_var").sizes().vec() == std::vector<std::int64_t>{32});
  CHECK(t.at("classifier.weight").sizes().vec() == std::vector<std::int64_t>{10, 32});
  torch::NoGradGuard guard;
  net->eval();
  const auto [features, logits] = net->forward(torch::randn({2, 3, 32, 32}));
  CHECK(features.sizes().vec() == std::vector<std::int64_t>{2, 32});
  CHECK(logits.sizes().vec() == std::vector<std::int64_t>{2, 10});

  // Another cell between channel counts: avg_pool_3x3 from node 0 gets a 1x1 preprocess, none gives
  // zeros with C_out channels, skip_connect a FactorizedReduce.
  const char* every_op = "|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|none~2|";
  auto b = nn::DynamicShapeTinyNet(nn::DynamicShapeTinyNetOptions({64, 16, 8, 56, 24}, nasbench::Structure::parse(every_op), 120));
  t = named_tensors(*b);
  CHECK(t.count("cells.0.layers.0.preprocess.op.1.weight") == 0);  // 64 -> 64
  CHECK(t.at("cells.2.layers.0.preprocess.op.1.weight").sizes().vec() == std::vector<std::int64_t>{8, 16, 1, 1});
  CHECK(t.at("cells.2.layers.3.conv.weight").sizes().vec() == std::vector<std::int64_t>{8, 16, 1, 1});
  CHECK(t.count("cells.2.layers.1.weight") == 0);
  b->eval();
  CHECK(std::get<1>(b->forward(torch::randn({1, 3, 16, 16}))).sizes().vec() == std::vector<std::int64_t>{1, 120});

  // 3N+2 channel counts in general (N = 2): reduction blocks at entries N and 2N+1.
  auto deep = nn::DynamicShapeTinyNet(
      nn::DynamicShapeTinyNetOptions({8, 8, 16, 16, 16, 32, 32, 32}, nasbench::Structure::parse(nasbench::kSizeSpaceGenotype), 10));
  REQUIRE(deep->cells->size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CAPTURE(i);
    CHECK((std::dynamic_pointer_cast<nn::ResNetBasicblockImpl>(deep->cells->ptr(i)) != nullptr) == (i == 2 || i == 5));
  }
  // The topology network is the same macro network (get_cell_based_tiny_net returns both as a CellNetwork).
  CHECK(nn::count_flops_m(nn::get_cell_based_tiny_net(json{{"name", "infer.tiny"}, {"C", 16}, {"N", 5},
                                                           {"arch_str", nasbench::official_arch(0).to_string()},
                                                           {"num_classes", 10}}),
                          32) == Approx(15.64737).margin(5e-7));
}

TEST_CASE("size space: state dicts from Python load strictly and give Python's outputs", "[nn][shape][weights]") {
  const std::string dir = nn_fixtures();
  for (const char* name : {"shape_net_a.pth", "shape_net_b.pth"}) {
    if (!nasbench_test::require_fixture(dir + "/" + name)) return;
    CAPTURE(name);
    const auto file = nn::open_torch_file(dir + "/" + name);
    const auto& root = file.document.root;
    auto tensors = file.tensors();
    const nn::StateDict sd = tensors.state_dict(root.at("state_dict"));
    auto net = nn::get_cell_based_tiny_net(shape_config(std::string(root.at("channels").as_str()),
                                                        static_cast<int>(root.at("num_classes").as_int()),
                                                        std::string(root.at("genotype").as_str())));
    // The full key list, shapes and dtypes of Python's state_dict().
    auto ours = named_tensors(*net);
    CHECK(ours.size() == sd.size());
    for (const auto& item : sd) {
      CAPTURE(item.key());
      REQUIRE(ours.count(item.key()) == 1);
      CHECK(ours[item.key()].sizes() == item.value().sizes());
      CHECK(ours[item.key()].scalar_type() == item.value().scalar_type());
    }
    nn::load_state_dict(*net, sd);
    net->eval();
    torch::NoGradGuard guard;
    const auto [features, logits] = net->forward(tensors(root.at("input")));
    CHECK(max_abs_diff(features, tensors(root.at("features"))) < 1e-5);
    CHECK(max_abs_diff(logits, tensors(root.at("logits"))) < 1e-5);
  }
  // FactorizedReduce at stride 2 (no benchmark cell has it): the shifted, zero-padded half.
  if (!nasbench_test::require_fixture(dir + "/factorized_reduce_s2.pth")) return;
  const auto file = nn::open_torch_file(dir + "/factorized_reduce_s2.pth");
  const auto& root = file.document.root;
  auto tensors = file.tensors();
  auto fr = nn::FactorizedReduce(nn::FactorizedReduceOptions(root.at("C_in").as_int(), root.at("C_out").as_int(),
                                                             root.at("stride").as_int()));
  nn::load_state_dict(*fr, tensors.state_dict(root.at("state_dict")));
  fr->eval();
  torch::NoGradGuard guard;
  const auto x = tensors(root.at("input"));
  const auto y = fr->forward(x);
  CHECK(y.sizes().vec() == std::vector<std::int64_t>{2, 9, 4, 4});
  CHECK(max_abs_diff(y, tensors(root.at("output"))) < 1e-5);
  double flops = 0;
  const nn::Shape out = fr->count_flops({6, 7, 7}, flops);
  CHECK((out.c == 9 && out.h == 4 && out.w == 4));
  CHECK(flops == 6 * 9 * 4 * 4);
}

TEST_CASE("size space: params and FLOPs equal the real sss sample's stored values on every dataset",
          "[nn][shape][costs][real]") {
  const std::string dir = shared_data() + "/nats-bench-sample/NATS-sss-v1_0-50262-simple";
  if (!exists(dir + "/meta.pickle.pbz2")) {
    WARN("SKIPPED: real NATS-Bench sss sample absent (" << dir << ")");
    return;
  }
  std::size_t checked = 0;
  std::set<std::pair<std::string, std::string>> configs;  // (channels, dataset)
  for (const char* file : {"000000", "000011", "000284"}) {
    const auto doc = nasbench::pickle::open(dir + "/" + file + ".pickle.pbz2");
    for (const auto& [hp, state] : doc.root.dict_items())
      for (const auto& [key, run] : state.at("all_results").dict_items()) {
        const std::string dataset(key[0].as_str());
        const auto& arch = run.at("arch_config");
        CAPTURE(file, hp.repr(), dataset, key[1].as_int());
        REQUIRE(arch.at("name").as_str() == "infer.shape.tiny");
        const std::string channels(arch.at("channels").as_str());
        CHECK(nasbench::Channels::parse(channels).index() == static_cast<std::size_t>(std::stoi(file)));
        auto net = nn::get_cell_based_tiny_net(shape_config(channels, static_cast<int>(arch.at("class_num").as_int()),
                                                            std::string(arch.at("genotype").as_str())));
        CHECK(arch.at("class_num").as_int() == nasbench::dataset_info(dataset).num_classes);
        CHECK(std::fabs(run.at("flop").to_double() - nn::count_flops_m(net, nn::input_size(dataset))) < 5e-7);
        CHECK(std::fabs(run.at("params").to_double() - nn::count_parameters_mb(*net)) < 5e-7);
        configs.emplace(channels, dataset);
        ++checked;
      }
  }
  CHECK(configs.size() == 3 * 4);
  CHECK(checked >= 3 * 4);
}

TEST_CASE("size space: params and FLOPs of 200 configurations x 3 datasets equal the Python reference",
          "[nn][shape][costs]") {
  const std::string path = nn_fixtures() + "/shape_costs.json";
  if (!nasbench_test::require_fixture(path)) return;
  std::ifstream in(path);
  const json rows = json::parse(in);
  REQUIRE(rows.size() >= 600);
  std::set<std::string> configs;
  for (const auto& r : rows) {
    CAPTURE(r.dump());
    const auto channels = nasbench::Channels::parse(r["channels"].get<std::string>());
    CHECK(channels == nasbench::Channels::from_index(r["index"].get<std::size_t>()));  // official order
    auto net = nn::DynamicShapeTinyNet(nn::DynamicShapeTinyNetOptions(channels, r["num_classes"].get<std::int64_t>()));
    const std::int64_t hw = r["input_hw"];
    CHECK(net->count_flops(hw, hw) == r["macs"].get<double>());  // exact integer count
    std::int64_t n = 0;
    for (const auto& p : net->parameters()) n += p.numel();
    CHECK(n == r["num_params"].get<std::int64_t>());
    CHECK(nn::count_flops_m(net, hw) == Approx(r["flops_m"].get<double>()).epsilon(1e-12));
    CHECK(nn::count_parameters_mb(*net) == Approx(r["params_mb"].get<double>()).epsilon(1e-12));
    configs.insert(channels.str());
  }
  CHECK(configs.size() >= 200);
}

TEST_CASE("size space: bad configs, channels and ops are errors that name the value", "[nn][shape][errors]") {
  const std::string g(nasbench::kSizeSpaceGenotype);
  CHECK_THROWS_AS(nn::get_cell_based_tiny_net(shape_config("8:8:8:16", 10)), nasbench::ParseError);
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(shape_config("8:8:8:16", 10)),
                    "nasbench: channels string ends after 4 of 5 values (expected values such as 8:16:24:32:40) at "
                    "position 8 in \"8:8:8:16\"");
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.shape.tiny"}, {"channels", "8:8:12:16:32"},
                                                     {"genotype", g}, {"num_classes", 10}}),
                    "nasbench: channel count 12 of layer 2 is not a size-space choice (expected one of 8, 16, 24, 32, "
                    "40, 48, 56, 64) at position 4 in \"8:8:12:16:32\"");
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.shape.tiny"}, {"genotype", g}, {"num_classes", 10}}),
                    Catch::StartsWith("nasbench: network config lacks \"channels\""));
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.shape.tiny"}, {"channels", json::array({8, 8, 8, 8, 8})},
                                                     {"genotype", g}, {"num_classes", 10}}),
                    "nasbench: network config \"channels\" must be a string, got [8,8,8,8,8]");
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(json{{"name", "infer.shape.tiny"}, {"channels", "8:8:8:8:8"}, {"num_classes", 10}}),
                    Catch::StartsWith("nasbench: network config lacks \"genotype\""));
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(shape_config("8:8:8:8:8", 10, "")),
                    "nasbench: network config \"infer.shape.tiny\" has no genotype");
  CHECK_THROWS_AS(nn::get_cell_based_tiny_net(shape_config("8:8:8:8:8", 10, "|conv~0|")), nasbench::ParseError);
  CHECK_THROWS_WITH(nn::get_cell_based_tiny_net(shape_config("8:8:8:8:8", 0)),
                    "nasbench: DynamicShapeTinyNet needs 3N+2 channel counts >= 1 (5 in the size space) and "
                    "num_classes >= 1 (got 5 channel counts \"8:8:8:8:8\", num_classes=0)");
  CHECK_THROWS_WITH(nn::DynamicShapeTinyNet(nn::DynamicShapeTinyNetOptions({8, 8, 8, 8}, nasbench::Structure::parse(g), 10)),
                    "nasbench: DynamicShapeTinyNet needs 3N+2 channel counts >= 1 (5 in the size space) and "
                    "num_classes >= 1 (got 4 channel counts \"8:8:8:8\", num_classes=10)");
  CHECK_THROWS_WITH(nn::FactorizedReduce(nn::FactorizedReduceOptions(8, 16, 3)),
                    "nasbench: FactorizedReduce stride must be 1 or 2, got 3");
  // A state dict of another configuration does not load.
  auto a = nn::get_cell_based_tiny_net(shape_config("8:8:8:16:32", 10));
  auto b = nn::get_cell_based_tiny_net(shape_config("8:8:8:8:8", 10));
  nn::StateDict sd;
  for (const auto& p : a->named_parameters()) sd.insert(p.key(), p.value().detach().clone());
  for (const auto& p : a->named_buffers()) sd.insert(p.key(), p.value().clone());
  CHECK_THROWS_WITH(nn::load_state_dict(*b, sd),
                    Catch::Contains("unexpected keys: cells.4.layers.3.conv.weight, cells.4.layers.3.bn.weight") &&
                        Catch::Contains("cells.3.conv_a.op.1.weight (file [16, 8, 3, 3], network [8, 8, 3, 3])"));
}

TEST_CASE("size space: the network runs on every available device", "[nn][shape]") {
  auto net = nn::get_cell_based_tiny_net(shape_config("64:64:64:64:64", 100));
  net->eval();
  net->to(torch::kFloat64);
  torch::NoGradGuard guard;
  const auto x = torch::randn({2, 3, 32, 32}, torch::kFloat64);
  const auto [f, l] = net->forward(x);
  CHECK(l.sizes().vec() == std::vector<std::int64_t>{2, 100});
  if (!torch::cuda::is_available()) {
    WARN("CUDA is not available: the CUDA forward pass is skipped");
    return;
  }
  net->to(torch::kCUDA);
  const auto [fc, lc] = net->forward(x.to(torch::kCUDA));
  CHECK(lc.device().is_cuda());
  CHECK(torch::allclose(lc.cpu(), l, 1e-8, 1e-10));
}
