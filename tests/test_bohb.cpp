// nasbench/search/bohb.hpp: Hyperband's bracket arithmetic, the categorical KDE, and BOHB runs on the
// search fixtures (tests/fixtures/make_search_fixtures.py: hp '12' with 12 epochs, evaluated at epochs
// 0, 3 and 11): the schedule, the promotions, the stop rule, determinism, and that BOHB finds better
// architectures than random search with the same simulated-time budget. Tags [bohb].
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "expected.hpp"
#include "nasbench/search/bohb.hpp"
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

bool same_trace(const search::Trace& a, const search::Trace& b) {
  if (a.history.size() != b.history.size() || a.current_best_index != b.current_best_index) return false;
  for (std::size_t i = 0; i < a.history.size(); ++i)
    if (a.history[i].index != b.history[i].index || a.history[i].valid_accuracy != b.history[i].valid_accuracy ||
        a.history[i].total_time != b.history[i].total_time)
      return false;
  return true;
}

/// The seed-mean validation accuracy of `index` after the 12 epochs of hp '12' (cifar10: cifar10-valid's
/// x-valid, as simulate_train_eval reads it).
double proxy_accuracy(const nasbench::NASBench201API& api, const std::string& dataset, int index) {
  const auto info = api.get_more_info(index, dataset == "cifar10" ? "cifar10-valid" : dataset, std::nullopt, "12",
                                      nasbench::SeedChoice::mean());
  REQUIRE(info.valid);
  return *info.valid->accuracy;
}

}  // namespace

TEST_CASE("bohb: Hyperband's budgets and brackets", "[bohb]") {
  SECTION("eta 3, budgets 1..12 (the reference): 4/3, 4, 12 epochs; brackets [9,3,1], [3,1], [3]") {
    const search::BOHBOptions o;
    CHECK(search::hyperband_stages(o) == 3);
    const auto budgets = search::hyperband_budgets(o);
    REQUIRE(budgets.size() == 3);
    CHECK(budgets[0] == Approx(4.0 / 3.0).epsilon(1e-15));
    CHECK(budgets[1] == 4.0);
    CHECK(budgets[2] == 12.0);
    CHECK(search::budget_epoch(budgets[0]) == 0);
    CHECK(search::budget_epoch(budgets[1]) == 3);
    CHECK(search::budget_epoch(budgets[2]) == 11);
    const auto b0 = search::hyperband_bracket(o, 0), b1 = search::hyperband_bracket(o, 1),
               b2 = search::hyperband_bracket(o, 2), b3 = search::hyperband_bracket(o, 3);
    CHECK(b0.sizes == std::vector<int>{9, 3, 1});
    CHECK(b0.budget_index == std::vector<int>{0, 1, 2});
    CHECK(b1.sizes == std::vector<int>{3, 1});
    CHECK(b1.budgets == std::vector<double>{4, 12});
    CHECK(b1.budget_index == std::vector<int>{1, 2});
    CHECK(b2.sizes == std::vector<int>{3});
    CHECK(b2.budgets == std::vector<double>{12});
    CHECK(b3.sizes == b0.sizes);  // the brackets cycle
    CHECK(search::hyperband_bracket(o, 299).sizes == b2.sizes);
  }
  SECTION("eta 2, budgets 1..8: 1, 2, 4, 8; brackets [8,4,2,1], [4,2,1], [4,2], [4]") {
    search::BOHBOptions o;
    o.eta = 2;
    o.max_budget = 8;
    CHECK(search::hyperband_stages(o) == 4);
    CHECK(search::hyperband_budgets(o) == std::vector<double>{1, 2, 4, 8});
    CHECK(search::hyperband_bracket(o, 0).sizes == std::vector<int>{8, 4, 2, 1});
    CHECK(search::hyperband_bracket(o, 1).sizes == std::vector<int>{4, 2, 1});
    CHECK(search::hyperband_bracket(o, 1).budgets == std::vector<double>{2, 4, 8});
    CHECK(search::hyperband_bracket(o, 2).sizes == std::vector<int>{4, 2});
    CHECK(search::hyperband_bracket(o, 3).sizes == std::vector<int>{4});
    CHECK(search::hyperband_bracket(o, 3).budgets == std::vector<double>{8});
  }
  SECTION("one budget: plain random evaluations at it") {
    search::BOHBOptions o;
    o.min_budget = o.max_budget = 12;
    CHECK(search::hyperband_stages(o) == 1);
    CHECK(search::hyperband_bracket(o, 5).sizes == std::vector<int>{1});
  }
}

TEST_CASE("bohb: the KDE is statsmodels' normal_reference Aitchison-Aitken", "[bohb]") {
  // numbers from Python: 1.06 * std(ddof=0) * n ** (-1 / (4 + d)), and the mean product kernel
  const std::vector<search::Arch> data{{0, 1}, {0, 2}, {1, 3}, {0, 1}};
  const auto bw = search::normal_reference_bandwidth(data);
  REQUIRE(bw.size() == 2);
  CHECK(bw[0] == Approx(0.3643033538046297).epsilon(1e-14));
  CHECK(bw[1] == Approx(0.6975878127582011).epsilon(1e-14));
  const search::CategoricalKDE kde(data, 0.3);
  CHECK(kde.levels() == std::vector<std::size_t>{2, 3});
  CHECK(kde.bandwidth() == bw);  // both above the minimum
  CHECK(kde.pdf({0, 1}) == Approx(0.1833196831938841).epsilon(1e-14));
  CHECK(kde.pdf({1, 2}) == Approx(0.14650761757580147).epsilon(1e-14));
  CHECK(kde.pdf({1, 0}) == Approx(0.15073187153503734).epsilon(1e-14));  // a value the data lacks
  CHECK(search::aitchison_aitken(0.4, 2, 2, 5) == Approx(0.6));
  CHECK(search::aitchison_aitken(0.4, 2, 3, 5) == Approx(0.1));
  SECTION("a constant column: bandwidth clipped at the minimum, one level (numpy's h / 0 = inf)") {
    const search::CategoricalKDE one({{2, 0}, {2, 1}, {2, 0}}, 0.3);
    CHECK(one.bandwidth()[0] == 0.3);
    CHECK(one.levels()[0] == 1);
    CHECK(one.pdf({2, 0}) == Approx((0.7 * (1 - one.bandwidth()[1]) * 2 + 0.7 * one.bandwidth()[1]) / 3));
    CHECK(std::isinf(one.pdf({1, 0})));
  }
  CHECK_THROWS_MATCHES(search::normal_reference_bandwidth({}), QueryError,
                       Message("nasbench: a KDE needs at least one point"));
}

TEST_CASE("bohb: bad options", "[bohb]") {
  auto bad = [](auto change, const std::string& message) {
    search::BOHBOptions o;
    change(o);
    CHECK_THROWS_MATCHES(search::check(o), QueryError, Message("nasbench: " + message));
  };
  bad([](auto& o) { o.num_samples = 0; }, "num_samples 0 must be >= 1");
  bad([](auto& o) { o.random_fraction = 1.5; }, "random_fraction 1.500000 must be in [0, 1]");
  bad([](auto& o) { o.bandwidth_factor = 0; }, "bandwidth_factor 0 must be a finite number > 0");
  bad([](auto& o) { o.min_bandwidth = -1; }, "min_bandwidth -1 must be a finite number >= 0");
  bad([](auto& o) { o.eta = 1; }, "eta 1 must be >= 2");
  bad([](auto& o) { o.min_budget = 0.5; },
      "min_budget 0.500000 must be a finite number >= 1 (epochs: iepoch = int(budget) - 1)");
  bad([](auto& o) { o.max_budget = 0.9; }, "max_budget 0.900000 must be a finite number >= min_budget");
  bad([](auto& o) { o.n_iterations = -2; }, "n_iterations -2 must be >= 0");
  CHECK_NOTHROW(search::check(search::BOHBOptions{}));
}

TEST_CASE("bohb: a run follows the brackets, promotes the best, stops at the budget", "[bohb][fixtures]") {
  if (!nasbench_test::require_fixture(search_dir() + "/manifest.json")) return;
  for (const std::string space_name : {"tss", "sss"}) {
    INFO(space_name);
    const auto& api = search_fixture_api(space_name);
    const search::Space space(api.search_space());
    const search::BOHBOptions o;
    const search::Task task{"cifar10", 20000, "12"};
    Random rng(3);
    std::vector<search::BOHBStep> steps;
    const search::Trace t = search::bohb(api, space, task, o, rng, &steps);
    REQUIRE(steps.size() == t.history.size());
    REQUIRE(t.history.size() > 100);
    // the time budget: every evaluation but the last starts below it
    for (std::size_t i = 0; i + 1 < t.history.size(); ++i) CHECK(t.history[i].total_time < task.time_budget);
    CHECK(t.total_time() >= task.time_budget);
    // the schedule: iteration by iteration, stage by stage, the bracket's sizes at its budgets' epochs
    std::size_t k = 0;
    for (int it = 0; k < steps.size(); ++it) {
      const auto b = search::hyperband_bracket(o, it);
      for (std::size_t stage = 0; stage < b.sizes.size() && k < steps.size(); ++stage) {
        for (int n = 0; n < b.sizes[stage] && k < steps.size(); ++n, ++k) {
          const auto& s = steps[k];
          REQUIRE(s.iteration == it);
          REQUIRE(s.stage == static_cast<int>(stage));
          CHECK(s.iepoch == search::budget_epoch(b.budgets[stage]));
          CHECK(t.history[k].index == api.query_index_by_arch(space.str(s.arch)));
          CHECK(s.loss == 100 - t.history[k].valid_accuracy);
          if (stage > 0) CHECK_FALSE(s.model_based);
        }
      }
    }
    // promotion: a stage's configurations are the lowest losses of the previous stage (ties: the first)
    std::size_t promoted = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].stage == 0) continue;
      std::vector<const search::BOHBStep*> prev, here;
      for (const auto& s : steps)
        if (s.iteration == steps[i].iteration) {
          if (s.stage == steps[i].stage - 1) prev.push_back(&s);
          if (s.stage == steps[i].stage) here.push_back(&s);
        }
      if (here.front() != &steps[i]) continue;  // each stage once
      const auto b = search::hyperband_bracket(o, steps[i].iteration);
      std::vector<const search::BOHBStep*> sorted = prev;
      std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* c) { return a->loss < c->loss; });
      sorted.resize(static_cast<std::size_t>(b.sizes[static_cast<std::size_t>(steps[i].stage)]));
      std::vector<search::Arch> expected;
      for (const auto* p : prev)  // in the order they were drawn
        if (std::find(sorted.begin(), sorted.end(), p) != sorted.end()) expected.push_back(p->arch);
      std::vector<search::Arch> got;
      for (const auto* h : here) got.push_back(h->arch);
      if (got.size() < expected.size()) expected.resize(got.size());  // the budget cut the stage
      CHECK(got == expected);
      ++promoted;
    }
    CHECK(promoted > 20);
    // the model proposes once a budget has enough observations
    std::size_t by_model = 0;
    for (const auto& s : steps) by_model += s.model_based;
    CHECK(by_model > steps.size() / 4);
    // the final choice: the first most accurate evaluation, at any budget
    std::size_t best = 0;
    for (std::size_t i = 0; i < t.history.size(); ++i)
      if (t.history[best].valid_accuracy < t.history[i].valid_accuracy) best = i;
    CHECK(t.best_index() == t.history[best].index);
  }
}

TEST_CASE("bohb: simulate_train_eval at BOHB's epochs is ref_api's", "[bohb][fixtures]") {
  // the values of tests/fixtures/ref_api.py's simulate_train_eval on the tss fixture, random.Random(5):
  // index 7 on cifar10 then index 8 on cifar100, at iepoch 0, 3, 11 (accuracy, this trial's time)
  if (!nasbench_test::require_fixture(search_dir() + "/manifest.json")) return;
  const auto& api = search_fixture_api("tss");
  const std::vector<std::array<double, 5>> expected{{0, 49.41, 8.8046875, 28.44, 6.97265625},
                                                    {3, 56.57, 27.4609375, 38.34, 24.45703125},
                                                    {11, 72.22, 77.2109375, 55.11, 71.08203125}};
  for (const auto& [iepoch, acc7, time7, acc8, time8] : expected) {
    INFO("iepoch " << iepoch);
    Random rng(5);
    nasbench::TimeAccount account;
    const auto a = api.simulate_train_eval(7, "cifar10", static_cast<int>(iepoch), "12", account, rng);
    const auto b = api.simulate_train_eval(8, "cifar100", static_cast<int>(iepoch), "12", account, rng);
    CHECK(*a.valid_accuracy == acc7);
    CHECK(a.time_cost == time7);
    CHECK(*b.valid_accuracy == acc8);
    CHECK(b.time_cost == time8);
  }
  Random rng(5);
  nasbench::TimeAccount account;
  // the fixture evaluates epochs 0, 3, 11 only (ref_api: QueryError "train_losses: no key 5")
  CHECK_THROWS_AS(api.simulate_train_eval(7, "cifar10", 5, "12", account, rng), nasbench::Error);
}

TEST_CASE("bohb: the stop rules", "[bohb][fixtures]") {
  if (!nasbench_test::require_fixture(search_dir() + "/manifest.json")) return;
  const auto& api = search_fixture_api("tss");
  const auto space = search::Space::topology();
  search::BOHBOptions o;
  Random r1(1);
  const auto zero = search::bohb(api, space, search::Task{"cifar100", 0, "12"}, o, r1);
  CHECK(zero.history.size() == 1);  // at least one evaluation
  o.n_iterations = 2;
  Random r2(1);
  std::vector<search::BOHBStep> steps;
  const auto two = search::bohb(api, space, search::Task{"cifar100", 1e9, "12"}, o, r2, &steps);
  CHECK(two.history.size() == 13 + 4);  // [9, 3, 1] then [3, 1]
  CHECK(steps.back().iteration == 1);
  CHECK(steps.back().iepoch == 11);
  o.n_iterations = 0;
  Random r3(1);
  CHECK(search::bohb(api, space, search::Task{}, o, r3).history.empty());
  CHECK(api.used_time() == 0);  // runs keep their own time account
  o.eta = 0;
  Random r4(1);
  CHECK_THROWS_MATCHES(search::bohb(api, space, search::Task{}, o, r4), QueryError,
                       Message("nasbench: eta 0 must be >= 2"));
}

TEST_CASE("bohb: a seed determines a run, whatever the threads", "[bohb][fixtures][threads]") {
  if (!nasbench_test::require_fixture(search_dir() + "/manifest.json")) return;
  const auto& api = search_fixture_api("sss");
  const auto space = search::Space::size();
  const search::Task task{"cifar100", 8000, "12"};
  const search::BOHBOptions o;
  constexpr int kRuns = 8;
  auto one = [&](int seed) {
    Random rng(static_cast<std::uint64_t>(seed));
    return search::bohb(api, space, task, o, rng);
  };
  std::vector<search::Trace> alone, threaded(kRuns);
  for (int s = 0; s < kRuns; ++s) alone.push_back(one(s));
  std::vector<std::thread> pool;
  for (int w = 0; w < 4; ++w)
    pool.emplace_back([&, w] {
      for (int s = w; s < kRuns; s += 4) threaded[static_cast<std::size_t>(s)] = one(s);
    });
  for (auto& th : pool) th.join();
  for (int s = 0; s < kRuns; ++s) {
    INFO("seed " << s);
    CHECK(same_trace(alone[static_cast<std::size_t>(s)], threaded[static_cast<std::size_t>(s)]));
    CHECK(same_trace(alone[static_cast<std::size_t>(s)], one(s)));
  }
  CHECK_FALSE(same_trace(alone[0], alone[1]));
}

TEST_CASE("bohb: beats random search on the fixtures (100 runs, default budget)", "[bohb][fixtures][stats]") {
  if (!nasbench_test::require_fixture(search_dir() + "/manifest.json")) return;
  constexpr int kRuns = 100;
  for (const std::string space_name : {"tss", "sss"}) {
    const auto& api = search_fixture_api(space_name);
    const search::Space space(api.search_space());
    search::Config rs;
    rs.task = {"cifar10", search::default_time_budget(api.search_space(), "cifar10"), "12"};
    const auto rs_traces = search::run_many(api, rs, 0, kRuns, 2);
    std::vector<search::Trace> bohb_traces(kRuns);
    std::vector<std::thread> pool;
    for (int w = 0; w < 2; ++w)
      pool.emplace_back([&, w] {
        for (int seed = w; seed < kRuns; seed += 2) {
          Random rng(static_cast<std::uint64_t>(seed));
          bohb_traces[static_cast<std::size_t>(seed)] = search::bohb(api, space, rs.task, search::BOHBOptions{}, rng);
        }
      });
    for (auto& th : pool) th.join();
    double rs_mean = 0, bohb_mean = 0, rs_evals = 0, bohb_evals = 0;
    for (int seed = 0; seed < kRuns; ++seed) {
      const auto& t = bohb_traces[static_cast<std::size_t>(seed)];
      bohb_mean += proxy_accuracy(api, "cifar10", t.best_index()) / kRuns;
      bohb_evals += static_cast<double>(t.history.size()) / kRuns;
      const auto& r = rs_traces[static_cast<std::size_t>(seed)];
      rs_mean += proxy_accuracy(api, "cifar10", r.best_index()) / kRuns;
      rs_evals += static_cast<double>(r.history.size()) / kRuns;
    }
    // what the runs choose, as the seed-mean 12-epoch validation accuracy of the final choice
    INFO(space_name << ": BOHB " << bohb_mean << " (" << bohb_evals << " evaluations), RS " << rs_mean << " ("
                    << rs_evals << " evaluations)");
    CHECK(bohb_mean > rs_mean);
  }
}
