#pragma once
/// @file api/options.hpp
/// `LoadOptions`: what and how to load (a subset of schedules, datasets or
/// epochs; progress). Read by the io layer, reported by the queries.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nasbench {

/// What and how to load.
struct LoadOptions {
  /// Called now and then while loading with the number of runs (ResultsCount)
  /// converted so far; empty for none. See stderr_progress().
  std::function<void(std::uint64_t runs)> progress;
  /// Load only these schedules (`"200"`, `"12"`, ...); empty: every one. Queries
  /// for another hp then give a QueryError saying it was not loaded.
  std::vector<std::string> hps;
  /// Load only these datasets (`"cifar10"`, ...); empty: every one. Queries for
  /// another dataset then give a QueryError saying it was not loaded.
  std::vector<std::string> datasets;
  /// Keep only the last epoch of every per-epoch series, plus the time totals
  /// and means that get_more_info, get_times and get_cost_info report: the
  /// headline numbers (find_best, statistics, get_more_info with iepoch None)
  /// in a fraction of the memory. Queries for another epoch give a QueryError
  /// saying it was not loaded. Caches cannot be written from such a load.
  bool final_epoch_only = false;

  /// Whether schedule `hp` is loaded.
  [[nodiscard]] bool wants_hp(std::string_view hp) const {
    return hps.empty() || std::find(hps.begin(), hps.end(), hp) != hps.end();
  }
  /// Whether dataset `name` is loaded.
  [[nodiscard]] bool wants_dataset(std::string_view name) const {
    return datasets.empty() || std::find(datasets.begin(), datasets.end(), name) != datasets.end();
  }
};

}  // namespace nasbench
