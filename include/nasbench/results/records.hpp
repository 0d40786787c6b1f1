#pragma once
/// @file results/records.hpp
/// The plain records the queries return (`EpochInfo`, `TimeInfo`, `Metrics`,
/// `CostInfo`, `NetConfig`, ...) and `SeedChoice`, Python's `is_random`. Their
/// Python dicts are in nasbench/json/records.hpp. Torch-free, no dependency.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nasbench/error.hpp"

namespace nasbench {

/// `arch_config` of a run: topology space (`channel`, `num_cells`, `arch_str`)
/// or size space (`name` = "infer.shape.tiny", `channels`, `genotype`).
struct ArchConfig {
  std::string name;  ///< empty in the topology space
  int channel = 0, num_cells = 0;
  std::string arch_str;
  std::string channels, genotype;
  int class_num = 0;
};

/// What `get_config(None)` / `get_net_config` return: the arguments of the
/// benchmark's network builder.
struct NetConfig {
  std::string name;  ///< "infer.tiny" (topology) or "infer.shape.tiny" (size)
  int C = 0, N = 0;  ///< topology space only
  std::string arch_str;  ///< topology space only
  std::string channels, genotype;  ///< size space only
  int num_classes = 0;
};

/// What `get_train` / `get_eval` return for one run at one epoch.
struct EpochInfo {
  int iepoch = 0;
  double loss = 0, accuracy = 0;
  std::optional<double> cur_time, all_time;  ///< None when the file has no times
};

/// One named time of `get_times()`, e.g. `T-train@epoch`.
struct NamedTime {
  std::string key;
  std::optional<double> value;
};

/// `get_times()`: `T-train@epoch`, `T-train@total`, then `T-<set>@epoch`,
/// `T-<set>@total` per eval name, in Python's key order.
struct TimeInfo {
  std::vector<NamedTime> items;
  /// The value of `key` (nullopt for None); QueryError when there is no such key.
  [[nodiscard]] std::optional<double> at(std::string_view key) const {
    for (const auto& t : items)
      if (t.key == key) return t.value;
    std::vector<std::string> keys;
    for (const auto& t : items) keys.push_back(t.key);
    throw unavailable_value("time", key, "", keys);
  }
};

/// How `get_metrics` combines the seeds (Python's `is_random`): the mean over
/// seeds (False), one seed drawn at random (True), or one given seed (an int).
class SeedChoice {
 public:
  enum class Kind : std::uint8_t { kMean, kRandom, kSeed };
  /// The mean over seeds (Python `is_random=False`).
  static SeedChoice mean() noexcept { return SeedChoice(Kind::kMean, 0); }
  /// One seed at random (Python `is_random=True`).
  static SeedChoice random() noexcept { return SeedChoice(Kind::kRandom, 0); }
  /// The run of seed `s` (Python `is_random=s`).
  static SeedChoice seed(int s) noexcept { return SeedChoice(Kind::kSeed, s); }
  /// Python's bool argument.
  static SeedChoice from_bool(bool is_random) noexcept { return is_random ? random() : mean(); }
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] int seed_value() const noexcept { return seed_; }

 private:
  SeedChoice(Kind k, int s) : kind_(k), seed_(s) {}
  Kind kind_;
  int seed_;
};

/// `get_metrics`: the seed mean, or one seed's values. Every field is None
/// where the first seed's value is None, as in Python.
struct Metrics {
  std::optional<double> iepoch, loss, accuracy, cur_time, all_time;
  /// Whether Python gives `iepoch` as an int (one seed's values) rather than
  /// a float (a seed mean).
  bool iepoch_is_int = false;
};

/// `get_compute_costs` / `get_cost_info`: seed means of flops, params, latency
/// and of every `get_times()` key.
struct CostInfo {
  double flops = 0, params = 0;
  std::optional<double> latency;
  TimeInfo times;
};

}  // namespace nasbench
