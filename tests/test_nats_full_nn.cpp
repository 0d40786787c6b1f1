// NATS-Bench `-full` archives with LibTorch: weights reloaded from a plain
// pickle become the state dict of the topology network, whose outputs equal
// Python's. Fixtures: tests/fixtures/make_full_fixtures.py in <fixtures>/full.
#include "torch_catch.hpp"  // LibTorch, then Catch2 (glog's CHECK)

#include <fstream>
#include <string>
#include <vector>

#include "support.hpp"

using nlohmann::json;
namespace nn = nasbench::nn;

namespace {
std::string full_fixtures() { return nasbench_test::nn_fixtures() + "/../full"; }
torch::Tensor from_json(const json& values, const std::vector<std::int64_t>& shape) {
  return torch::tensor(values.get<std::vector<float>>()).reshape(shape);
}
}  // namespace

TEST_CASE("nats_full: reloaded weights load strictly into get_net_config's network and give Python's logits", "[nn][nats_full]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/manifest.json")) return;
  std::ifstream in(full_fixtures() + "/manifest.json");
  const json all = json::parse(in), m = all["archives"];
  auto api = nasbench::NASBench201API::load(full_fixtures() + "/" + m["simple"].get<std::string>());
  api.reload(full_fixtures() + "/" + m["full"].get<std::string>(), 11);
  api.reload(full_fixtures() + "/" + m["full"].get<std::string>(), 284);  // the unpadded name
  api.reload(full_fixtures() + "/" + m["full"].get<std::string>(), 0);
  int checked = 0;
  for (const auto& r : m["runs"]) {
    if (!r["weights"].get<bool>()) continue;
    CAPTURE(r["index"], r["hp"], r["dataset"], r["seed"]);
    const int index = r["index"].get<int>();
    const std::string dataset = r["dataset"].get<std::string>();
    const nasbench::NetState* w = api.get_net_param(index, dataset, r["seed"].get<int>(), r["hp"].get<std::string>());
    REQUIRE(w != nullptr);
    const nn::StateDict sd = nn::to_state_dict(w);
    CHECK(static_cast<std::int64_t>(sd.size()) == r["entries"].get<std::int64_t>());
    for (const auto& [key, want] : r["keys"].items()) {
      const torch::Tensor* t = sd.find(key);
      REQUIRE(t != nullptr);
      CHECK(t->sizes().vec() == want["shape"].get<std::vector<std::int64_t>>());
      CHECK(t->to(torch::kFloat64).sum().item<double>() == Approx(want["sum"].get<double>()));
    }
    // get_net_config reads the first hp ('12'); a dataset only trained at '200' takes its run's own config.
    const std::string hp = r["hp"].get<std::string>();
    auto net = nn::get_cell_based_tiny_net(
        hp == "12" ? api.get_net_config(index, dataset)
                   : api.query_by_index(index, dataset, hp).front().second->get_config());
    nn::load_state_dict(*net, sd);  // strict
    net->eval();
    torch::NoGradGuard guard;
    const auto input = from_json(r["input"]["values"], r["input"]["shape"].get<std::vector<std::int64_t>>());
    const auto logits = std::get<1>(net->forward(input)).flatten();
    const auto want = torch::tensor(r["logits"].get<std::vector<float>>());
    CHECK((logits - want).abs().max().item<double>() < 1e-5);
    ++checked;
  }
  CHECK(checked == 4);
}

TEST_CASE("nats_full: shared, non-contiguous, int64 and zip-stored tensors of a plain pickle as LibTorch tensors", "[nn][nats_full]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/tensors.pickle")) return;
  std::ifstream in(full_fixtures() + "/manifest.json");
  const json m = json::parse(in)["tensors.pickle"]["keys"];
  const nn::StateDict sd = nn::load_state_dict_file(full_fixtures() + "/tensors.pickle");
  REQUIRE(sd.size() == m.size());
  for (const auto& [key, want] : m.items()) {
    CAPTURE(key);
    const torch::Tensor& t = sd[key];
    CHECK(std::string(c10::toString(t.scalar_type())) ==
          (want["dtype"] == "float32" ? "Float" : want["dtype"] == "float64" ? "Double" : "Long"));
    CHECK(t.sizes().vec() == want["shape"].get<std::vector<std::int64_t>>());
    CHECK(t.strides().vec() == want["stride"].get<std::vector<std::int64_t>>());
    CHECK(t.storage_offset() == want["offset"].get<std::int64_t>());
    CHECK(t.to(torch::kFloat64).sum().item<double>() == Approx(want["sum"].get<double>()));
  }
  CHECK(sd["shared"].data_ptr<float>() + 4 == sd["shared_t"].data_ptr<float>());  // one storage, as in Python
  CHECK_FALSE(sd["shared_t"].is_contiguous());
  CHECK(sd["num_batches_tracked"].item<std::int64_t>() == 123456789012);
}
