#pragma once
/// @file api/types.hpp
/// The argument and result types of the API's queries: `Hp` (a schedule),
/// `ArchRef` (an index or an architecture string), `MoreInfo`, `BestArch`,
/// `SimulatedTrial`. Their Python forms are in nasbench/json/records.hpp.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "nasbench/space/topology.hpp"

namespace nasbench {

/// A training schedule name: `"12"`, `"200"` (topology space), `"01"`, `"12"`,
/// `"90"` (size space). Accepts strings and ints (`12` is `"12"`; `1` is `"1"`).
class Hp {
 public:
  Hp(const char* s) : value_(s) {}                 // NOLINT: implicit on purpose
  Hp(std::string s) : value_(std::move(s)) {}      // NOLINT
  Hp(std::string_view s) : value_(s) {}            // NOLINT
  Hp(int epochs) : value_(std::to_string(epochs)) {}  // NOLINT
  /// The string form.
  [[nodiscard]] const std::string& str() const noexcept { return value_; }

 private:
  std::string value_;
};

/// An architecture given as an index, a string, or a Structure (what
/// `query_index_by_arch` accepts).
class ArchRef {
 public:
  ArchRef(int index) : v_(static_cast<long long>(index)) {}            // NOLINT
  ArchRef(long long index) : v_(index) {}                              // NOLINT
  ArchRef(std::size_t index) : v_(static_cast<long long>(index)) {}    // NOLINT
  ArchRef(const char* arch) : v_(std::string(arch)) {}                 // NOLINT
  ArchRef(std::string arch) : v_(std::move(arch)) {}                   // NOLINT
  ArchRef(std::string_view arch) : v_(std::string(arch)) {}            // NOLINT
  ArchRef(const Structure& cell) : v_(cell.to_string()) {}             // NOLINT
  /// The index, when given as one.
  [[nodiscard]] const long long* index() const noexcept { return std::get_if<long long>(&v_); }
  /// The string, when given as one.
  [[nodiscard]] const std::string* str() const noexcept { return std::get_if<std::string>(&v_); }

 private:
  std::variant<long long, std::string> v_;
};

/// Loss, accuracy and times of one evaluation set in `get_more_info`.
struct SetSummary {
  std::optional<double> loss, accuracy, per_time, all_time;
};

/// `get_more_info`: `train-*`, and `valid-*`, `test-*`, `valtest-*` when the
/// dataset has that set at that epoch (absent sets are absent keys, as in Python).
struct MoreInfo {
  SetSummary train;
  std::optional<SetSummary> valid, test, valtest;
  /// nats_bench's `comment` key (cifar10-valid and cifar10): what the keys mean.
  std::optional<std::string> comment;
};

/// `find_best`: the index (-1 when nothing qualifies) and its accuracy.
struct BestArch {
  int index = -1;
  std::optional<double> accuracy;
};

/// `simulate_train_eval`: validation accuracy, latency, the time this trial
/// cost, and the total time accounted so far.
struct SimulatedTrial {
  std::optional<double> valid_accuracy, latency;
  double time_cost = 0, used_time = 0;
};

/// A caller's own time account for simulate_train_eval (Python's `_used_time`
/// of one search run): many runs on one const API, each with its own total.
struct TimeAccount {
  double used_time = 0;  ///< the total so far (reset_time(): assign {})
};

}  // namespace nasbench
