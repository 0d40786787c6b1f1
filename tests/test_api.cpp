// Tests of the api layer (api/basic_api.hpp) against the benchmark fixtures
// written by tests/fixtures/make_bench_fixtures.py (real torch.save / pickle,
// expected answers computed in Python independently of this code).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "nasbench/nasbench.hpp"
#include "expected.hpp"
#include "support.hpp"

using namespace nasbench_test::api_tests;  // json, fixture_dir(), check_expected(), ...

TEST_CASE("every query on every fixture container matches Python", "[api][fixtures]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  std::ifstream mf(dir + "/manifest.json");
  REQUIRE(mf.good());
  const json manifest = json::parse(mf);
  REQUIRE(manifest.size() >= 6);
  for (const auto& [file, expected] : manifest.items()) {
    SECTION(file) {
      std::size_t count = 0;
      const auto api = nasbench::NASBench201API::load(dir + "/" + file);
      check_expected(api, dir + "/" + expected.get<std::string>(), count);
      CHECK(count > 1000);
    }
  }
}
TEST_CASE("QueryErrors name the bad value and the valid choices", "[api][errors]") {
  const std::string dir = error_fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/errors.json")) return;
  auto api = nasbench::NASBench201API::load(dir + "/micro.pickle");
  using nasbench::QueryError;
  using nasbench::SeedChoice;
  using Catch::Message;
  CHECK(api.size() == 3);
  CHECK(api.repr() == "NATStopology(1/3 architectures, fast_mode=False, file=micro.pickle)");  // a plain pickle: NATS
  CHECK_THROWS_MATCHES(api.arch(3), QueryError, Message("nasbench: invalid architecture index 3 (expected 0..2)"));
  CHECK_THROWS_MATCHES(api.query_index_by_arch(-1), QueryError,
                       Message("nasbench: invalid architecture index -1 (expected 0..2)"));
  CHECK(api.query_index_by_arch("|none~0|") == -1);
  CHECK_THROWS_MATCHES(api.get_more_info(0, "cifar10"), QueryError,
                       Message("nasbench: architecture 0 has no results (not evaluated)"));
  CHECK_THROWS_MATCHES(api.get_more_info(1, "cifar1O", std::nullopt, "12", SeedChoice::mean()), QueryError,
                       Message("nasbench: unknown dataset \"cifar1O\" for architecture 1 (available: cifar10)"));
  CHECK_THROWS_MATCHES(api.get_more_info(1, "cifar10", std::nullopt, "90"), QueryError,
                       Message("nasbench: unknown hp \"90\" for architecture 1 (available: 12, 200)"));
  CHECK_THROWS_MATCHES(api.get_more_info(1, "cifar10", 2, 12, SeedChoice::mean()), QueryError,
                       Message("nasbench: iepoch 2 out of range (0 <= iepoch < 2) for cifar10 seed 777"));
  const auto& ar = api.query_meta_info_by_index(1, 200);
  CHECK_THROWS_MATCHES(ar.get_metrics("cifar10", "train", std::nullopt, SeedChoice::seed(5)), QueryError,
                       Message("nasbench: no seed 5 for \"cifar10\" in architecture 1 (seeds: 777)"));
  CHECK_THROWS_MATCHES(ar.query("cifar10", 5), QueryError,
                       Message("nasbench: no seed 5 for \"cifar10\" in architecture 1 (seeds: 777)"));
  CHECK_THROWS_MATCHES(ar.query("cifar10", 777).get_eval("x-valid"), QueryError,
                       Message("nasbench: no \"x-valid@1\" in eval_times of cifar10 seed 777 (eval sets: ori-test)"));
  CHECK_THROWS_MATCHES(api.statistics("cifar1O", "12"), QueryError,
                       Message("nasbench: unknown dataset \"cifar1O\" (expected one of cifar10-valid, cifar10, "
                               "cifar100, ImageNet16-120)"));
  CHECK_THROWS_MATCHES(api.simulate_train_eval(1, "cifar10-valid"), QueryError,
                       Message("nasbench: invalid dataset name \"cifar10-valid\" for simulate_train_eval (expected "
                               "one of cifar10, cifar100, ImageNet16-120)"));
  // And values, to the last digit.
  const auto info = api.get_more_info(1, "cifar10", 1, "200", SeedChoice::mean());
  CHECK(*info.train.accuracy == 51.0);
  CHECK(*info.train.all_time == 5.0);
  CHECK(*info.test->per_time == 0.5);
  CHECK_FALSE(info.valid.has_value());
  CHECK_FALSE(info.valtest.has_value());
  CHECK(api.find_best("cifar10", "test", 10.0).index == -1);
  CHECK(nasbench::to_json(api.find_best("cifar10", "test", 10.25)) == json::array({1, 41.0}));
}

TEST_CASE("random choices are reproducible and follow Python's random module", "[api]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  auto api = nasbench::NASBench201API::load(dir + "/tiny.pth");
  nasbench::Random a(7), b(7);
  for (int i = 0; i < 20; ++i) {
    const auto x = api.get_more_info(0, "cifar10-valid", std::nullopt, "200", nasbench::SeedChoice::random(), a);
    const auto y = api.get_more_info(0, "cifar10-valid", std::nullopt, "200", nasbench::SeedChoice::random(), b);
    CHECK(nasbench::to_json(x) == nasbench::to_json(y));
  }
  api.seed(3);
  const auto t1 = api.simulate_train_eval(0, "cifar10", 5, "200");
  const auto t2 = api.simulate_train_eval(0, "cifar10", 5, "200");
  CHECK(t2.used_time == t1.time_cost + t2.time_cost);
  api.reset_time();
  CHECK(api.used_time() == 0);
}

TEST_CASE("queries from many threads at once give the single-thread answers", "[api][threads]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto api = nasbench::NASBench201API::load(dir + "/tiny.pth");
  std::vector<json> expected;
  auto work = [&](std::vector<json>& out, nasbench::Random& rng) {
    for (int round = 0; round < 20; ++round)
      for (int index : api.evaluated_indexes())
        for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
          out.push_back(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
          out.push_back(nasbench::to_json(api.get_more_info(index, ds, 5, "12", nasbench::SeedChoice::random(), rng)));
          out.push_back(nasbench::to_json(api.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, round % 2 ? 0.5 : 1e9, "200")));
        }
  };
  nasbench::Random r0(11);
  work(expected, r0);
  std::vector<std::vector<json>> results(4);
  std::vector<std::thread> threads;
  const auto fresh = nasbench::NASBench201API::load(dir + "/tiny.pth");  // cold find_best cache, built concurrently
  for (auto& out : results)
    threads.emplace_back([&, &out = out] {
      nasbench::Random rng(11);
      for (int round = 0; round < 20; ++round)
        for (int index : fresh.evaluated_indexes())
          for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
            out.push_back(nasbench::to_json(fresh.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
            out.push_back(nasbench::to_json(fresh.get_more_info(index, ds, 5, "12", nasbench::SeedChoice::random(), rng)));
            out.push_back(
                nasbench::to_json(fresh.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, round % 2 ? 0.5 : 1e9, "200")));
          }
    });
  for (auto& t : threads) t.join();
  for (const auto& out : results) CHECK(out == expected);
}

TEST_CASE("an API from an already-parsed object equals the loaded one", "[api]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto doc = nasbench::pickle::open(dir + "/tiny.pickle");
  const auto from_value = nasbench::api_from_value<double>(doc.root, "tiny.pickle");
  const auto loaded = nasbench::NASBench201API::load(dir + "/tiny.pickle");
  CHECK(from_value.repr() == loaded.repr());
  CHECK(from_value.evaluated_indexes() == loaded.evaluated_indexes());
  for (int index : loaded.evaluated_indexes())
    CHECK(nasbench::to_json(from_value.get_cost_info(index, "cifar100", "200")) ==
          nasbench::to_json(loaded.get_cost_info(index, "cifar100", "200")));
  CHECK(nasbench::to_json(from_value.find_best("cifar100", "test")) == nasbench::to_json(loaded.find_best("cifar100", "test")));
}

TEST_CASE("mutators through the API and the unique string", "[api]") {
  const std::string dir = error_fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/errors.json")) return;
  auto api = nasbench::NASBench201API::load(dir + "/micro.pickle");
  CHECK(api.get_latency(1, "cifar10", "200") == 0.01);
  api.mutable_meta_info_by_index(1, "200").reset_latency("cifar10", std::nullopt, 0.25);
  CHECK(api.get_latency(1, "cifar10", "200") == 0.25);
  api.mutable_meta_info_by_index(1, "200").reset_pseudo_train_times("cifar10", 777, 4.0);
  CHECK(*api.get_more_info(1, "cifar10", 1, "200", nasbench::SeedChoice::mean()).train.all_time == 8.0);
  CHECK_THROWS_AS(api.mutable_meta_info_by_index(1, "200").reset_latency("cifar10", 5, 1.0), nasbench::QueryError);
  CHECK(api.get_unique_str(1) ==
        nasbench::Structure::parse(api.arch(1)).to_unique_str(true));
  CHECK(api.get_unique_str(api.arch(2)) == "#+#+#");  // |skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|
}
