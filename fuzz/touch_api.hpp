#pragma once
/// @file fuzz/touch_api.hpp
/// Queries every part of a loaded BasicAPI (each architecture, each result it
/// has, find_best and statistics per schedule and dataset, the NATS-Bench
/// functions: avaliable_hps, show, random, find_best's budgets and
/// enforce_all, simulate_train_eval and the time accounting, which change the
/// API: it is taken mutable), so that a fuzzed file is read to its end; only
/// nasbench::Error may come out of any query.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <set>
#include <string>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/random.hpp"
#include "support.hpp"

namespace nasbench_fuzz {

/// Architectures whose results are queried (a fuzzed file can declare many).
inline constexpr std::size_t kMaxTouchedArchs = 64;

/// Violation if any query of `api` throws something other than nasbench::Error.
template <typename Real>
void touch_api(nasbench::BasicAPI<Real>& api) {
  nasbench::Random rng(0);
  only_nasbench_errors("BasicAPI::repr", [&] { (void)api.repr(); });
  only_nasbench_errors("BasicAPI::avaliable_hps", [&] { (void)api.avaliable_hps(); });
  only_nasbench_errors("BasicAPI::random", [&] {
    if (api.size() > 0) {
      const int r = api.random(rng);
      if (r < 0 || static_cast<std::size_t>(r) >= api.size())
        throw Violation("random() gave " + std::to_string(r) + " for " + std::to_string(api.size()) + " architectures");
    }
  });
  only_nasbench_errors("BasicAPI::properties", [&] {
    (void)api.class_name();
    (void)api.search_space_name();
    (void)api.full_train_epochs();
  });
  std::size_t evaluated = 0;
  only_nasbench_errors("BasicAPI::evaluated_indexes", [&] { evaluated = api.evaluated_indexes().size(); });
  if (evaluated <= kMaxTouchedArchs) only_nasbench_errors("BasicAPI::show(-1)", [&] { (void)api.show(-1); });
  std::set<std::string> hps, datasets;
  std::size_t touched = 0;
  for (std::size_t i = 0; i < api.size(); ++i) {
    only_nasbench_errors("BasicAPI::arch", [&] { (void)api.arch(static_cast<long long>(i)); });
    if (!api.has_results(static_cast<long long>(i)) || touched == kMaxTouchedArchs) continue;
    ++touched;
    const long long index = static_cast<long long>(i);
    only_nasbench_errors("BasicAPI::show", [&] { (void)api.show(index); });
    only_nasbench_errors("BasicAPI::get_unique_str", [&] { (void)api.get_unique_str(index); });
    std::vector<std::string> arch_hps;
    only_nasbench_errors("BasicAPI::hps", [&] { arch_hps = api.hps(index); });
    for (const std::string& hp : arch_hps) {
      hps.insert(hp);
      only_nasbench_errors("BasicAPI::query_info_str_by_arch", [&] { (void)api.query_info_str_by_arch(index, hp); });
      only_nasbench_errors("BasicAPI::query_info_str_by_arch(str)",
                           [&] { (void)api.query_info_str_by_arch(api.arch(index), hp); });
      std::vector<std::string> names;
      only_nasbench_errors("ArchResults::get_dataset_names",
                           [&] { names = api.query_meta_info_by_index(index, hp).get_dataset_names(); });
      for (const std::string& d : names) {
        datasets.insert(d);
        only_nasbench_errors("BasicAPI::query_by_index", [&] { (void)api.query_by_index(index, d, hp); });
        only_nasbench_errors("BasicAPI::get_more_info",
                             [&] { (void)api.get_more_info(index, d, std::nullopt, hp, nasbench::SeedChoice::mean()); });
        only_nasbench_errors("BasicAPI::get_more_info(iepoch 0)",
                             [&] { (void)api.get_more_info(index, d, 0, hp, nasbench::SeedChoice::mean()); });
        only_nasbench_errors("BasicAPI::get_cost_info", [&] { (void)api.get_cost_info(index, d, hp); });
        only_nasbench_errors("BasicAPI::get_latency", [&] { (void)api.get_latency(index, d, hp); });
        only_nasbench_errors("BasicAPI::get_net_config", [&] { (void)api.get_net_config(index, d); });
        only_nasbench_errors("BasicAPI::get_more_info(is_random)",
                             [&] { (void)api.get_more_info(index, d, std::nullopt, hp, nasbench::SeedChoice::from_bool(true), rng); });
        // simulate_train_eval changes used_time (the API is the fuzzer's own, mutable).
        only_nasbench_errors("BasicAPI::simulate_train_eval",
                             [&] { (void)api.simulate_train_eval(index, d, std::nullopt, hp, true, rng); });
        only_nasbench_errors("BasicAPI::simulate_train_eval(iepoch 0, by string)",
                             [&] { (void)api.simulate_train_eval(api.arch(index), d, 0, hp, false, rng); });
      }
    }
  }
  for (const std::string& hp : hps) {
    for (const std::string& d : datasets) {
      only_nasbench_errors("BasicAPI::statistics", [&] { (void)api.statistics(d, hp); });
      for (const char* set : {"train", "x-valid", "x-test", "ori-test", "valid"})
        only_nasbench_errors("BasicAPI::find_best", [&] { (void)api.find_best(d, set, std::nullopt, std::nullopt, hp); });
      only_nasbench_errors("BasicAPI::find_best(budgets, enforce_all)",
                           [&] { (void)api.find_best(d, "x-valid", 10.5, 0.5, hp, true); });
      only_nasbench_errors("BasicAPI::find_best(enforce_all false)",
                           [&] { (void)api.find_best(d, "ori-test", 0.0, std::nullopt, hp, false); });
    }
  }
  (void)api.used_time();  // any double: a fuzzed file's times may be NaN or negative
  api.reset_time();
  if (api.used_time() != 0) throw Violation("used_time() is not 0 after reset_time()");
}

}  // namespace nasbench_fuzz
