// nasbench/search/reinforce.hpp: REINFORCE without torch. Options, determinism,
// the stop rule, runs on threads, that the policy learns on the search
// fixtures, and how often its traces equal the reference runs of
// tests/fixtures/make_reinforce_fixtures.py (torch's; replayed exactly by
// reinforce_torch in nasbench_nn_tests). Tags [search][reinforce].
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "nasbench/search/algorithms.hpp"
#include "nasbench/search/reinforce.hpp"
#include "reinforce_support.hpp"

namespace {

namespace rf = nasbench_test::reinforce;
namespace search = nasbench::search;
using Catch::Matchers::Message;
using nasbench::QueryError;
using nasbench::Random;

search::Trace run_reinforce(const nasbench::NASBench201API& api, const search::Task& task, std::uint64_t seed,
                            const search::ReinforceOptions& options = {}) {
  Random rng(seed);
  return search::reinforce(api, search::Space(api.search_space()), task, options, seed, rng);
}

double best_accuracy(const search::Trace& t) {
  double best = 0;
  for (const auto& e : t.history) best = std::max(best, e.valid_accuracy);
  return best;
}

/// The mean reward of the last quarter of a run's evaluations: what the policy samples once it has learnt.
double late_reward(const search::Trace& t) {
  const std::size_t from = t.history.size() * 3 / 4;
  double sum = 0;
  for (std::size_t i = from; i < t.history.size(); ++i) sum += t.history[i].valid_accuracy;
  return sum / static_cast<double>(t.history.size() - from);
}

}  // namespace

TEST_CASE("search: REINFORCE's options", "[search][reinforce]") {
  search::ReinforceOptions o;
  CHECK(o.learning_rate == 0.01);
  CHECK(o.ema_momentum == 0.9);
  CHECK_NOTHROW(search::check(o));
  o.learning_rate = 0;
  CHECK_THROWS_MATCHES(search::check(o), QueryError, Message("nasbench: learning rate 0 must be a finite number > 0"));
  o.learning_rate = -0.5;
  CHECK_THROWS_MATCHES(search::check(o), QueryError,
                       Message("nasbench: learning rate -0.5 must be a finite number > 0"));
  o.learning_rate = std::nan("");
  CHECK_THROWS_MATCHES(search::check(o), QueryError,
                       Message("nasbench: learning rate nan must be a finite number > 0"));
  o.learning_rate = 0.01;
  o.ema_momentum = 1;
  CHECK_THROWS_MATCHES(search::check(o), QueryError, Message("nasbench: EMA momentum 1 must be in [0, 1)"));
  o.ema_momentum = -0.1;
  CHECK_THROWS_MATCHES(search::check(o), QueryError, Message("nasbench: EMA momentum -0.1 must be in [0, 1)"));
  o.ema_momentum = 0;
  CHECK_NOTHROW(search::check(o));
}

TEST_CASE("search: REINFORCE is deterministic and stops as the reference does", "[search][reinforce][fixtures]") {
  if (!nasbench_test::require_fixture(rf::search_dir() + "/manifest.json")) return;
  for (const std::string space : {"tss", "sss"}) {
    INFO(space);
    const auto& api = rf::fixture_api(space);
    const search::Task task{"cifar10", 3000, "12"};
    const auto a = run_reinforce(api, task, 5), b = run_reinforce(api, task, 5), c = run_reinforce(api, task, 6);
    REQUIRE(a.history.size() == b.history.size());
    for (std::size_t i = 0; i < a.history.size(); ++i) {
      CHECK(a.history[i].index == b.history[i].index);
      CHECK(a.history[i].total_time == b.history[i].total_time);
    }
    CHECK(a.current_best_index == b.current_best_index);
    bool differs = a.history.size() != c.history.size();
    for (std::size_t i = 0; !differs && i < a.history.size(); ++i) differs = a.history[i].index != c.history[i].index;
    CHECK(differs);
    // the budget: every evaluation but the last starts below it, the last crosses it
    REQUIRE(a.history.size() >= 2);
    CHECK(a.total_time() >= task.time_budget);
    CHECK(a.history[a.history.size() - 2].total_time < task.time_budget);
    // the first best is kept
    for (std::size_t i = 0; i < a.history.size(); ++i) {
      double best = 0;
      int index = -1;
      for (std::size_t j = 0; j <= i; ++j)
        if (index < 0 || best < a.history[j].valid_accuracy) best = a.history[j].valid_accuracy, index = a.history[j].index;
      CHECK(a.current_best_index[i] == index);
    }
    const auto once = run_reinforce(api, {"cifar100", 0, "12"}, 1);  // budget 0: one evaluation
    CHECK(once.history.size() == 1);
    CHECK(api.used_time() == 0);
  }
  search::ReinforceOptions bad;
  bad.learning_rate = -1;
  Random rng(0);
  CHECK_THROWS_AS(search::reinforce(rf::fixture_api("tss"), search::Space::topology(), {}, bad, 0, rng), QueryError);
}

TEST_CASE("search: REINFORCE runs on threads are independent", "[search][reinforce][threads][fixtures]") {
  if (!nasbench_test::require_fixture(rf::search_dir() + "/manifest.json")) return;
  for (const std::string space : {"tss", "sss"}) {
    const auto& api = rf::fixture_api(space);
    const search::Task task{"ImageNet16-120", 8000, "12"};
    std::vector<search::Trace> alone, threaded(8);
    for (std::uint64_t s = 0; s < 8; ++s) alone.push_back(run_reinforce(api, task, 30 + s));
    std::vector<std::thread> pool;
    for (std::uint64_t s = 0; s < 8; ++s) pool.emplace_back([&, s] { threaded[s] = run_reinforce(api, task, 30 + s); });
    for (auto& t : pool) t.join();
    for (std::size_t s = 0; s < 8; ++s) {
      REQUIRE(threaded[s].history.size() == alone[s].history.size());
      for (std::size_t i = 0; i < alone[s].history.size(); ++i) {
        CHECK(threaded[s].history[i].index == alone[s].history[i].index);
        CHECK(threaded[s].history[i].valid_accuracy == alone[s].history[i].valid_accuracy);
      }
      CHECK(threaded[s].current_best_index == alone[s].current_best_index);
    }
    CHECK(api.used_time() == 0);
  }
}

TEST_CASE("search: REINFORCE learns (50 runs against random search, default budget)", "[search][reinforce][fixtures]") {
  if (!nasbench_test::require_fixture(rf::search_dir() + "/manifest.json")) return;
  for (const std::string space : {"tss", "sss"}) {
    const auto& api = rf::fixture_api(space);
    search::Config rs;
    rs.task = {"cifar10", search::default_time_budget(api.search_space(), "cifar10"), "12"};
    const int runs = 50;
    double rf_best = 0, rs_best = 0, rf_late = 0, rs_late = 0, rf_evals = 0, rs_evals = 0;
    for (int k = 0; k < runs; ++k) {
      const auto r = run_reinforce(api, rs.task, 1000 + k);
      const auto s = search::run(api, rs, 1000 + k);
      rf_best += best_accuracy(r) / runs, rs_best += best_accuracy(s) / runs;
      rf_late += late_reward(r) / runs, rs_late += late_reward(s) / runs;
      rf_evals += static_cast<double>(r.history.size()) / runs, rs_evals += static_cast<double>(s.history.size()) / runs;
    }
    WARN(space << " cifar10, budget " << rs.task.time_budget << ", " << runs << " runs: REINFORCE mean best valid "
               << rf_best << " (last-quarter reward " << rf_late << ", " << rf_evals << " evaluations), RS "
               << rs_best << " (" << rs_late << ", " << rs_evals << ")");
    CHECK(rf_late > rs_late);  // the policy samples better architectures once it has learnt
    CHECK(rf_best > rs_best);
  }
}

TEST_CASE("search: REINFORCE without torch against the reference runs", "[search][reinforce][fixtures]") {
  if (!rf::require_traces()) return;
  int identical = 0, total = 0;
  for (const auto& row : rf::rows()) {
    const std::string space = row["space"].get<std::string>();
    const auto seed = row["seed"].get<std::uint64_t>();
    Random rng(seed);
    const auto& api = rf::fixture_api(space);
    const auto t = search::reinforce(api, search::Space(api.search_space()), rf::task_of(row), rf::options_of(row),
                                     seed, rng);
    std::string where;
    identical += rf::same_trace(row, t, where);
    ++total;
  }
  WARN("reinforce (torch-free): " << identical << " of " << total << " reference runs identical");
  CHECK(total > 0);
  CHECK(identical * 2 >= total);  // measured: see docs/search.md
}
