// nasbench/search/reinforce_torch.hpp: every reference run of REINFORCE
// (tests/fixtures/reinforce_ref.py, torch in Python) replayed exactly by the
// LibTorch variant. Tags [search][reinforce]; skipped without the fixture
// (NASBENCH_PYTHON without torch).
#include "torch_catch.hpp"  // LibTorch, then Catch2 (glog's CHECK)

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "reinforce_support.hpp"

namespace rf = nasbench_test::reinforce;
namespace search = nasbench::search;

TEST_CASE("search: reinforce_torch replays the reference runs exactly (both spaces)", "[search][reinforce]") {
  if (!rf::require_traces()) return;
  std::map<std::string, int> counts;
  int identical = 0, total = 0;
  for (const auto& row : rf::rows()) {
    const std::string space = row["space"].get<std::string>();
    const auto seed = row["seed"].get<std::uint64_t>();
    INFO(space << " " << row["dataset"].get<std::string>() << " seed " << seed << " budget " << row["time_budget"]
               << " lr " << row["learning_rate"] << " (fixture from torch " << row["torch_version"] << ", LibTorch "
               << TORCH_VERSION << ")");
    nasbench::Random rng(seed);
    const auto trace = search::reinforce_torch(rf::fixture_api(space), search::Space(rf::fixture_api(space).search_space()),
                                               rf::task_of(row), rf::options_of(row), seed, rng);
    std::string where;
    const bool same = rf::same_trace(row, trace, where);
    INFO(where);
    CHECK(same);
    identical += same;
    ++total;
    ++counts[space];
  }
  WARN("reinforce_torch: " << identical << " of " << total << " reference runs replayed exactly");
  CHECK(counts.size() == 2);
  for (const auto& [space, n] : counts) CHECK(n >= 10);
}

TEST_CASE("search: reinforce_torch runs on threads do not share generator state", "[search][reinforce][threads]") {
  if (!nasbench_test::require_fixture(rf::search_dir() + "/manifest.json")) return;
  const auto& api = rf::fixture_api("tss");
  const search::Space space(api.search_space());
  const search::Task task{"cifar100", 3000, "12"};
  auto one = [&](std::uint64_t seed) {
    nasbench::Random rng(seed);
    return search::reinforce_torch(api, space, task, search::ReinforceOptions{}, seed, rng);
  };
  std::vector<search::Trace> alone, threaded(6);
  for (std::uint64_t s = 0; s < 6; ++s) alone.push_back(one(100 + s));
  std::vector<std::thread> pool;
  for (std::uint64_t s = 0; s < 6; ++s) pool.emplace_back([&, s] { threaded[s] = one(100 + s); });
  for (auto& t : pool) t.join();
  for (std::size_t s = 0; s < 6; ++s) {
    REQUIRE(threaded[s].history.size() == alone[s].history.size());
    for (std::size_t i = 0; i < alone[s].history.size(); ++i) CHECK(threaded[s].history[i].index == alone[s].history[i].index);
    CHECK(threaded[s].current_best_index == alone[s].current_best_index);
  }
  CHECK(api.used_time() == 0);
}

TEST_CASE("search: how often reinforce (torch-free) gives reinforce_torch's trace", "[search][reinforce]") {
  if (!nasbench_test::require_fixture(rf::search_dir() + "/manifest.json")) return;
  for (const std::string space : {"tss", "sss"}) {
    const auto& api = rf::fixture_api(space);
    const search::Space sp(api.search_space());
    int identical = 0, first_steps = 0;
    const int seeds = 40;
    for (std::uint64_t seed = 0; seed < static_cast<std::uint64_t>(seeds); ++seed) {
      const search::Task task{"cifar10", 20000, "12"};
      nasbench::Random r1(seed), r2(seed);
      const auto a = search::reinforce_torch(api, sp, task, search::ReinforceOptions{}, seed, r1);
      const auto b = search::reinforce(api, sp, task, search::ReinforceOptions{}, seed, r2);
      bool same = a.history.size() == b.history.size() && a.current_best_index == b.current_best_index;
      std::size_t agree = 0;
      while (agree < std::min(a.history.size(), b.history.size()) &&
             a.history[agree].index == b.history[agree].index)
        ++agree;
      same = same && agree == a.history.size();
      identical += same;
      first_steps += agree >= 10;
    }
    WARN(space << " cifar10 budget 20000: reinforce == reinforce_torch in " << identical << " of " << seeds
               << " seeds (the first 10 evaluations equal in " << first_steps << ")");
    CHECK(first_steps * 2 >= seeds);
  }
}
