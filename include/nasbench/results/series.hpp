#pragma once
/// @file results/series.hpp
/// `Series`: a per-epoch series of one run stored densely, and numpy's and
/// Python's summations, so that means and totals agree with Python to the last bit.
/// Torch-free, no other dependency.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/error.hpp"
#include "nasbench/results/semantics.hpp"

namespace nasbench {

/// The most epochs a series may have (the real files have at most 200).
inline constexpr std::int64_t kMaxEpochs = std::int64_t{1} << 20;

namespace detail {

/// numpy's pairwise summation of float64 (`np.sum` / `np.add.reduce`), so
/// means and totals agree with numpy to the last bit.
inline double numpy_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_sum(a, n2) + numpy_sum(a + n2, n - n2);
}
inline double numpy_sum(const std::vector<double>& v) { return numpy_sum(v.data(), v.size()); }
/// `np.mean` of float64 values: the pairwise sum divided by the count.
inline double numpy_mean(const std::vector<double>& v) {
  return numpy_sum(v) / static_cast<double>(v.size());
}

/// Python's builtin `sum()` of floats as CPython <= 3.11 computes it: left to
/// right from the int 0 (3.12 compensates the rounding; nats_bench v1.8 was
/// measured with 3.11). `0 + -0.0` is `0.0`, as in Python.
inline double python_sum(const double* a, std::size_t n) {
  if (n == 0) return 0.;
  double res = a[0] == 0. ? 0. : a[0];
  for (std::size_t i = 1; i < n; ++i) res += a[i];
  return res;
}
inline double python_sum(const std::vector<double>& v) { return python_sum(v.data(), v.size()); }

/// The sum the API of `s` computes: numpy's (nas_201_api) or Python's (nats_bench).
inline double sum_of(Semantics s, const double* a, std::size_t n) {
  return s == Semantics::kNats ? python_sum(a, n) : numpy_sum(a, n);
}
inline double sum_of(Semantics s, const std::vector<double>& v) { return sum_of(s, v.data(), v.size()); }
/// The mean the API of `s` computes: `np.mean` or `sum(x) / len(x)`.
inline double mean_of(Semantics s, const std::vector<double>& v) {
  return sum_of(s, v) / static_cast<double>(v.size());
}

}  // namespace detail

/// A per-epoch series (`{epoch: value}` in the files) stored densely, with
/// absent epochs marked explicitly (never as NaN). A series without gaps (the
/// common case) keeps no presence bytes, and a time series keeps the running
/// total of its last epoch (what `get_more_info` asks for), computed once.
/// keep_only() reduces a series to one epoch (LoadOptions::final_epoch_only).
template <typename Real>
class Series {
 public:
  /// Sets the value of `epoch` (a series reduced by keep_only() starts afresh).
  void set(std::size_t epoch, double value) {
    if (epoch == values_.size() && dense_ && !reduced_) {  // the common case: the next epoch
      have_total_ = have_last_ = false;
      values_.push_back(static_cast<Real>(value));
      return;
    }
    if (reduced_) clear();
    have_total_ = have_last_ = false;
    if (dense_ && epoch > values_.size()) {  // a gap: presence bytes from now on
      present_.assign(values_.size(), 1);
      dense_ = false;
    }
    if (epoch >= values_.size()) {
      values_.resize(epoch + 1, Real(0));
      if (!dense_) present_.resize(epoch + 1, 0);
    }
    values_[epoch] = static_cast<Real>(value);
    if (!dense_) present_[epoch] = 1;
  }
  /// Makes room for epochs 0..n-1 without reallocating (loaders pass the run's epochs).
  void reserve(std::size_t n) { values_.reserve(n); }
  /// Whether `epoch` has a value.
  [[nodiscard]] bool has(std::size_t epoch) const noexcept {
    if (reduced_) return have_last_ && epoch + 1 == extent_;
    return epoch < values_.size() && (dense_ || present_[epoch] != 0);
  }
  /// The value of `epoch`, or nullopt.
  [[nodiscard]] std::optional<double> get(std::size_t epoch) const noexcept {
    if (have_last_ && epoch + 1 == extent()) return last_;  // no visit to the array: the common query
    if (!has(epoch)) return std::nullopt;
    return static_cast<double>(values_[epoch]);
  }
  /// The present values in epoch order.
  [[nodiscard]] std::vector<double> values() const {
    if (reduced_) return have_last_ ? std::vector<double>{last_} : std::vector<double>{};
    std::vector<double> out;
    out.reserve(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i)
      if (has(i)) out.push_back(static_cast<double>(values_[i]));
    return out;
  }
  /// Number of epochs with a value.
  [[nodiscard]] std::size_t count() const noexcept {
    if (reduced_) return have_last_ ? 1 : 0;
    if (dense_) return values_.size();
    return static_cast<std::size_t>(std::count(present_.begin(), present_.end(), std::uint8_t{1}));
  }
  /// One past the last epoch that may have a value.
  [[nodiscard]] std::size_t extent() const noexcept { return reduced_ ? extent_ : values_.size(); }
  /// Removes every value.
  void clear() noexcept {
    values_.clear();
    present_.clear();
    dense_ = true;
    have_total_ = have_last_ = reduced_ = false;
    extent_ = 0;
  }
  /// Whether keep_only() reduced this series to one epoch.
  [[nodiscard]] bool reduced() const noexcept { return reduced_; }
  /// Keeps the value of `epoch` (or its absence) and running_total(epoch),
  /// and frees every other epoch: get(), has() and running_total() then answer
  /// for `epoch` alone (earlier epochs read as absent; callers check first).
  void keep_only(std::size_t epoch) {
    const std::optional<double> value = get(epoch);
    const std::optional<double> total = running_total(epoch);
    std::vector<Real>().swap(values_);
    std::vector<std::uint8_t>().swap(present_);
    dense_ = true;
    reduced_ = true;
    extent_ = static_cast<std::uint32_t>(epoch + 1);
    have_last_ = value.has_value();
    last_ = value.value_or(0.);
    have_total_ = total.has_value();
    total_ = total.value_or(0.);
  }
  /// Sum of the values of epochs 0..epoch added left to right from 0 (what
  /// Python's `sum` gives), or nullopt when one of them is absent.
  [[nodiscard]] std::optional<double> running_total(std::size_t epoch) const noexcept {
    if (have_total_ && epoch + 1 == extent()) return total_;
    if (reduced_) return std::nullopt;
    double total = 0;
    for (std::size_t i = 0; i <= epoch; ++i) {
      if (!has(i)) return std::nullopt;
      total += static_cast<double>(values_[i]);
    }
    return total;
  }
  /// Precomputes running_total() of the last epoch (the same additions,
  /// once), making it constant-time; set() drops it again.
  void precompute_totals() {
    if (reduced_) return;  // keep_only() kept the total
    have_total_ = false;
    if (values_.empty()) return;
    if (std::optional<double> t = running_total(values_.size() - 1)) {
      total_ = *t;
      have_total_ = true;
    }
  }
  /// Whether every epoch 0..extent()-1 has a value (then presence() is empty).
  [[nodiscard]] bool dense() const noexcept { return dense_; }
  /// The stored values, epoch 0..extent()-1 (absent epochs hold 0: see has()).
  [[nodiscard]] const std::vector<Real>& raw_values() const noexcept { return values_; }
  /// Per epoch 0..extent()-1: 1 when it has a value; empty when dense().
  [[nodiscard]] const std::vector<std::uint8_t>& presence() const noexcept { return present_; }
  /// Replaces the series by `values` with `presence` (empty: every epoch
  /// present; else one byte per value; cache.hpp reads series this way).
  void assign(std::vector<Real> values, std::vector<std::uint8_t> presence) {
    clear();
    values_ = std::move(values);
    present_ = std::move(presence);
    dense_ = present_.empty();
    compact();
  }
  /// Releases spare capacity and presence bytes that are all 1 (loaders call
  /// it once a series is complete).
  void compact() {
    if (reduced_) return;
    if (!dense_ && std::all_of(present_.begin(), present_.end(), [](std::uint8_t p) { return p != 0; })) {
      present_.clear();
      dense_ = true;
    }
    values_.shrink_to_fit();
    present_.shrink_to_fit();
    have_last_ = !values_.empty() && has(values_.size() - 1);
    if (have_last_) last_ = static_cast<double>(values_.back());
  }

 private:
  std::vector<Real> values_;
  std::vector<std::uint8_t> present_;  ///< empty while dense_
  double total_ = 0;                   ///< running_total of the last epoch, when have_total_
  double last_ = 0;                    ///< the value of the last epoch, when have_last_ (kept beside the
                                       ///< object that holds the series: one cache miss less per query)
  std::uint32_t extent_ = 0;            ///< extent() once reduced_
  bool dense_ = true;
  bool have_total_ = false;
  bool have_last_ = false;
  bool reduced_ = false;  ///< keep_only(): values_ is empty, last_/total_ hold epoch extent_-1
};

/// The results of one evaluation set (`x-valid`, `ori-test`, ...) over epochs.
template <typename Real>
struct EvalSeries {
  Series<Real> acc1es, losses, times;
};

}  // namespace nasbench
