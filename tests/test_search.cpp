// nasbench/search.hpp: the search spaces' draws against Python's random, and
// random search / regularized evolution replaying the reference scripts
// exactly on benchmarks where every architecture is evaluated
// (tests/fixtures/make_search_fixtures.py, traces from tests/fixtures/search_ref.py).
// Tags [search].
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <string>
#include <vector>

#include "expected.hpp"
#include "search_support.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
namespace search = nasbench::search;
using Catch::Matchers::Message;
using nasbench::QueryError;
using nasbench::Random;
using nlohmann::json;

using nasbench_test::search_dir;
using nasbench_test::search_fixture_api;

json trace_json(const nasbench::NASBench201API& api, const search::Trace& t, const std::string& dataset) {
  json history = json::array();
  for (const auto& e : t.history) history.push_back({e.index, e.valid_accuracy, e.total_time});
  const auto test = search::test_accuracy(api, dataset, t.best_index());
  return {{"history", history},
          {"current_best_index", t.current_best_index},
          {"best_index", t.best_index()},
          {"best_arch", api.arch(t.best_index())},
          {"test_accuracy", test ? json(*test) : json(nullptr)}};
}

search::Config config_of(const json& row) {
  search::Config c;
  c.algorithm = search::parse_algorithm(row["algo"].get<std::string>());
  c.task = {row["dataset"].get<std::string>(), row["time_budget"].get<double>(), row["hp"].get<std::string>()};
  if (row.contains("population"))
    c.rea = {row["population"].get<int>(), row["sample_size"].get<int>(), row["cycles"].get<int>()};
  return c;
}

/// An architecture drawn with seed `seed`, then mutated 4 times: the 5 strings, and the engine's next random().
std::pair<std::vector<std::string>, double> draws(const search::Space& space, std::uint64_t seed) {
  Random r(seed);
  auto arch = space.random_arch(r);
  std::vector<std::string> got{space.str(arch)};
  for (int i = 0; i < 4; ++i) got.push_back(space.str(arch = space.mutate(arch, r)));
  return {got, r.random()};
}

}  // namespace

TEST_CASE("search: Random's randint and choice are Python's", "[search][random]") {
  Random r(2024);  // random.Random(2024)
  std::vector<std::int64_t> a, b;
  for (int i = 0; i < 8; ++i) a.push_back(r.randint(0, 2));
  for (int i = 0; i < 6; ++i) b.push_back(r.randint(-3, 7));
  CHECK(a == std::vector<std::int64_t>{1, 0, 2, 2, 1, 0, 2, 1});
  CHECK(b == std::vector<std::int64_t>{1, 5, 0, 7, 4, 2});
  const std::string letters = "abcde";
  std::string c;
  for (int i = 0; i < 8; ++i) c += r.choice(letters);
  CHECK(c == "deebcece");
  CHECK(r.randint(5, 5) == 5);  // randbelow(1) still draws 32 bits
  CHECK(r.random() == 0.7313600836275068);
}

TEST_CASE("search: random_arch and mutate draw as the reference functions", "[search]") {
  SECTION("topology: random_topology_func, mutate_topology_func (resampling until the op changes)") {
    const auto space = search::Space::topology();
    CHECK(space.num_decisions() == 6);
    CHECK(space.num_choices() == 5);
    CHECK(space.choice_name(2) == "nor_conv_1x1");
    const auto [got, next] = draws(space, 3);  // random.seed(3) in search_ref.py
    CHECK(got == std::vector<std::string>{
                     "|skip_connect~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|",
                     "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|",
                     "|skip_connect~0|+|none~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|",
                     "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|",
                     "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"});
    CHECK(next == 0.6390681405441619);  // the same number of draws
    CHECK(space.str(space.parse(got.back())) == got.back());
  }
  SECTION("size: random_size_func, mutate_size_func (may redraw the same value)") {
    const auto space = search::Space::size();
    CHECK(space.num_decisions() == 5);
    CHECK(space.num_choices() == 8);
    CHECK(space.choice_name(7) == "64");
    const auto [got, next] = draws(space, 4);
    CHECK(got == std::vector<std::string>{"32:40:16:56:64", "32:16:16:56:64", "8:16:16:56:64", "8:16:16:40:64",
                                          "32:16:16:40:64"});
    CHECK(next == 0.520339269464314);
    CHECK(space.parse("8:16:16:40:64") == search::Arch{0, 1, 1, 4, 7});
  }
  SECTION("errors") {
    Random r(0);
    CHECK_THROWS_MATCHES(search::Space::size().mutate({1, 2}, r), QueryError,
                         Message("nasbench: not an architecture of the size space (5 choices, each below 8)"));
    CHECK_THROWS_MATCHES(search::Space::topology().str({0, 0, 0, 0, 0, 5}), QueryError,
                         Message("nasbench: not an architecture of the topology space (6 choices, each below 5)"));
    CHECK_THROWS_AS(search::Space::topology().parse("|none~0|+|none~0|none~1|"), nasbench::ParseError);
    CHECK_THROWS_AS(search::Space::size().parse("8:8:8"), nasbench::ParseError);
  }
}

TEST_CASE("search: names, defaults and bad configurations", "[search]") {
  CHECK(search::parse_algorithm("rs") == search::Algorithm::kRandomSearch);
  CHECK(search::parse_algorithm("rea") == search::Algorithm::kRegularizedEvolution);
  CHECK(search::to_string(search::Algorithm::kRegularizedEvolution) == "rea");
  for (auto a : {search::Algorithm::kRandomSearch, search::Algorithm::kRegularizedEvolution,
                 search::Algorithm::kReinforce, search::Algorithm::kBOHB})
    CHECK(search::parse_algorithm(search::to_string(a)) == a);
  CHECK(search::to_string(search::Algorithm::kBOHB) == "bohb");
  CHECK_THROWS_MATCHES(search::parse_algorithm("ga"), QueryError,
                       Message("nasbench: unknown algorithm \"ga\" (expected one of rs, rea, reinforce, bohb)"));
  using nasbench::SearchSpace;
  CHECK(search::default_time_budget(SearchSpace::kTopology, "ImageNet16-120") == 120000);
  CHECK(search::default_time_budget(SearchSpace::kSize, "ImageNet16-120") == 60000);
  CHECK(search::default_time_budget(SearchSpace::kSize, "cifar100") == 40000);
  search::Config c;
  c.task.dataset = "cifar10-valid";
  CHECK_THROWS_MATCHES(search::check(c), QueryError,
                       Message("nasbench: unknown dataset \"cifar10-valid\" for a search (expected one of cifar10, "
                               "cifar100, ImageNet16-120)"));
  c.task = {"cifar10", -1.0, "12"};
  CHECK_THROWS_MATCHES(search::check(c), QueryError,
                       Message("nasbench: time budget -1.000000 must be a finite number >= 0 (seconds)"));
  c.task.time_budget = 10;
  c.algorithm = search::Algorithm::kRegularizedEvolution;
  c.rea.sample_size = 0;
  CHECK_THROWS_MATCHES(search::check(c), QueryError, Message("nasbench: sample size 0 must be >= 1"));
}

TEST_CASE("search: RS and REA replay the reference runs exactly (both spaces)", "[search][fixtures]") {
  const std::string dir = search_dir();
  if (!nasbench_test::require_fixture(dir + "/traces.jsonl")) return;
  std::ifstream in(dir + "/traces.jsonl");
  std::map<std::string, int> counts;
  for (std::string line; std::getline(in, line);) {
    const json row = json::parse(line);
    const std::string space = row["space"].get<std::string>();
    const auto& api = search_fixture_api(space);
    const search::Config config = config_of(row);
    const std::string dataset = config.task.dataset;
    INFO(space << " " << row["algo"].get<std::string>() << " " << dataset << " seed " << row["seed"] << " budget "
               << row["time_budget"]);
    const json actual = trace_json(api, search::run(api, config, row["seed"].get<std::uint64_t>()), dataset);
    json expected = row;
    for (const char* k : {"space", "algo", "dataset", "seed", "time_budget", "hp", "population", "sample_size",
                          "cycles"})
      expected.erase(k);
    std::string where;
    const bool same = nasbench_test::same(expected, actual, where);
    INFO(where);
    CHECK(same);
    ++counts[space + " " + row["algo"].get<std::string>()];
  }
  CHECK(counts.size() == 4);  // both algorithms on both spaces
  for (const auto& [what, n] : counts) CHECK(n >= 10);
}

TEST_CASE("search: run_many is independent of the thread count and of the API's time", "[search][fixtures][threads]") {
  const std::string dir = search_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  for (const std::string space : {"tss", "sss"}) {
    const auto& api = search_fixture_api(space);
    // run_many shares one TrialTable between its runs; run() alone simulates every trial: same traces
    for (auto algorithm : {search::Algorithm::kRegularizedEvolution, search::Algorithm::kRandomSearch,
                           search::Algorithm::kReinforce, search::Algorithm::kBOHB}) {
      INFO(space << " " << search::to_string(algorithm));
      search::Config c;
      c.algorithm = algorithm;
      c.task = {"cifar100", 3000, "12"};
      const auto one = search::run_many(api, c, 40, 9, 1);
      const auto four = search::run_many(api, c, 40, 9, 4);
      REQUIRE(one.size() == 9);
      for (std::size_t k = 0; k < one.size(); ++k) {
        const auto alone = search::run(api, c, 40 + k);
        CHECK(trace_json(api, four[k], "cifar100") == trace_json(api, one[k], "cifar100"));
        CHECK(trace_json(api, alone, "cifar100") == trace_json(api, one[k], "cifar100"));
      }
      // a table made for another dataset is not used (the trials would be another dataset's)
      c.task.trials = std::make_shared<search::TrialTable>(&api, "ImageNet16-120", "12");
      CHECK(trace_json(api, search::run(api, c, 40), "cifar100") == trace_json(api, one[0], "cifar100"));
    }
    CHECK(api.used_time() == 0);  // each run kept its own account
  }
}

TEST_CASE("search: simulated_trials are simulate_train_eval's, one per seed", "[search][fixtures]") {
  const std::string dir = search_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto& api = search_fixture_api("tss");
  for (const std::string dataset : {"cifar10", "cifar100", "ImageNet16-120"})
    for (std::optional<int> iepoch : {std::optional<int>(), std::optional<int>(0), std::optional<int>(3)})
      for (int index : {0, 17, 15624}) {
        INFO(dataset << " epoch " << (iepoch ? *iepoch : -1) << " index " << index);
        const auto trials = api.simulated_trials(index, dataset, iepoch, "12");
        REQUIRE(trials);
        const auto& seeds =
            api.query_meta_info_by_index(index, "12").get_dataset_seeds(dataset == "cifar10" ? "cifar10-valid" : dataset);
        REQUIRE(trials->size() == seeds.size());
        for (std::uint64_t s = 0; s < 12; ++s) {
          Random rng(s), draw(s);
          nasbench::TimeAccount account;
          const auto t = api.simulate_train_eval(index, dataset, iepoch, "12", account, rng);
          const auto& k = (*trials)[static_cast<std::size_t>(draw.randbelow(trials->size()))];
          CHECK(t.valid_accuracy == k.valid_accuracy);
          CHECK(t.time_cost == k.time_cost);
          CHECK(t.latency == k.latency);
          CHECK(rng.random() == draw.random());  // simulate_train_eval drew exactly once
        }
      }
  CHECK_FALSE(api.simulated_trials(0, "cifar10-valid", std::nullopt, "12"));  // simulate_train_eval raises
  CHECK_FALSE(api.simulated_trials(0, "cifar10", std::nullopt, "90"));
  CHECK_FALSE(api.simulated_trials(0, "cifar10", 5, "12"));   // the fixture has no epoch 5
  CHECK_FALSE(api.simulated_trials(-1, "cifar10", std::nullopt, "12"));
}

TEST_CASE("search: simulate_train_eval with a caller's TimeAccount", "[search][fixtures]") {
  const std::string dir = search_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  (void)search_fixture_api("tss");  // writes the cache when it is missing
  auto api = nasbench::create(dir + "/tss.cache", "tss");  // its own API (it spends time), from that cache
  Random a(5), b(5), c(5);
  nasbench::TimeAccount account;
  const auto t1 = std::as_const(api).simulate_train_eval(7, "cifar10", std::nullopt, "12", account, a);
  const auto t2 = std::as_const(api).simulate_train_eval(8, "cifar10", std::nullopt, "12", account, a);
  CHECK(account.used_time == t1.time_cost + t2.time_cost);
  CHECK(t2.used_time == account.used_time);
  CHECK(api.used_time() == 0);
  const auto u1 = api.simulate_train_eval(7, "cifar10", std::nullopt, "12", true, b);
  const auto u2 = api.simulate_train_eval(8, "cifar10", std::nullopt, "12", false, c);
  CHECK(u1.used_time == t1.time_cost);
  CHECK(u2.used_time == t1.time_cost);  // not accounted: the API's total as it was
  CHECK(api.used_time() == t1.time_cost);
}
