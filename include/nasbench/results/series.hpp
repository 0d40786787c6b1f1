#pragma once
/// @file results/series.hpp
/// `Series`: a per-epoch series of one run stored densely, and numpy's and
/// Python's summations, so that means and totals agree with Python to the last bit.
/// Torch-free, no other dependency.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

namespace detail {

/// A region of a file whose checksum is verified on first use, once, by
/// whichever thread gets there first (cache/open.hpp: the data block of an
/// architecture). ensure() throws a LoadError when the region is corrupted.
class LazyChecked {
 public:
  virtual ~LazyChecked() = default;
  void ensure() const {
    if (verified_.load(std::memory_order_acquire)) return;
    verify();  // throws on a mismatch, and then stays unverified: every later use throws too
    verified_.store(true, std::memory_order_release);
  }

 protected:
  /// Checks the region; throws LoadError when it does not match.
  virtual void verify() const = 0;

 private:
  mutable std::atomic<bool> verified_{false};
};

/// The IEEE binary64 stored little-endian at `p` (any alignment).
inline double load_le_f64(const unsigned char* p) noexcept {
  std::uint64_t b;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(&b, p, 8);
#else
  b = 0;
  for (int k = 7; k >= 0; --k) b = (b << 8) | p[k];
#endif
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

}  // namespace detail

/// A per-epoch series (`{epoch: value}` in the files) stored densely, with
/// absent epochs marked explicitly (never as NaN). A series without gaps (the
/// common case) keeps no presence bytes, and a time series keeps the running
/// total of its last epoch (what `get_more_info` asks for), computed once.
/// keep_only() reduces a series to one epoch (LoadOptions::final_epoch_only).
///
/// A series read from a cache file borrows its values from the file's
/// mapping (borrow()): nothing is copied, the value and running total of the
/// last epoch are kept inline, and the other epochs are read in place, after
/// the checksum of the region that holds them has been verified (once, on
/// first use: a corrupted region is a LoadError from the accessor). A
/// borrowed series is valid while its mapping lives (ResultsCount::storage
/// holds it); set() makes it an owned copy first.
template <typename Real>
class Series {
 public:
  /// How a borrowed series lies in its mapping (borrow()).
  enum class Layout : std::uint8_t {
    kValues,    ///< extent little-endian binary64 values (then presence bytes, if any)
    kConstant,  ///< one binary64 value, that of every epoch (every epoch present)
    kLastOnly,  ///< nothing: only the last epoch is present, its value kept inline
  };

  Series() noexcept
      : dense_(true),
        have_total_(false),
        have_last_(false),
        reduced_(false),
        borrowed_(false),
        ext_presence_(false),
        ext_constant_(false),
        ext_last_only_(false) {}
  /// Sets the value of `epoch` (a series reduced by keep_only() starts afresh).
  void set(std::size_t epoch, double value) {
    if (borrowed_) own();
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
  /// Whether `epoch` has a value (LoadError: a borrowed series' region is corrupted).
  [[nodiscard]] bool has(std::size_t epoch) const {
    if (reduced_) return have_last_ && epoch + 1 == extent_;
    return epoch < size() && present_at(epoch);
  }
  /// The value of `epoch`, or nullopt.
  [[nodiscard]] std::optional<double> get(std::size_t epoch) const {
    if (have_last_ && epoch + 1 == extent()) return last_;  // no visit to the array: the common query
    if (!has(epoch)) return std::nullopt;
    return value_at(epoch);
  }
  /// The present values in epoch order.
  [[nodiscard]] std::vector<double> values() const {
    if (reduced_) return have_last_ ? std::vector<double>{last_} : std::vector<double>{};
    std::vector<double> out;
    const std::size_t n = size();
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      if (present_at(i)) out.push_back(value_at(i));
    return out;
  }
  /// Number of epochs with a value.
  [[nodiscard]] std::size_t count() const {
    if (reduced_) return have_last_ ? 1 : 0;
    if (dense()) return size();
    std::size_t n = 0;
    for (std::size_t i = 0; i < size(); ++i) n += present_at(i) ? 1 : 0;
    return n;
  }
  /// One past the last epoch that may have a value.
  [[nodiscard]] std::size_t extent() const noexcept { return reduced_ || borrowed_ ? extent_ : values_.size(); }
  /// Removes every value.
  void clear() noexcept {
    values_.clear();
    present_.clear();
    dense_ = true;
    have_total_ = have_last_ = reduced_ = borrowed_ = ext_presence_ = ext_constant_ = ext_last_only_ = false;
    ext_values_ = nullptr;
    check_ = nullptr;
    extent_ = 0;
  }
  /// Whether keep_only() reduced this series to one epoch.
  [[nodiscard]] bool reduced() const noexcept { return reduced_; }
  /// Whether the values are read in place from a mapped file (borrow()).
  [[nodiscard]] bool borrowed() const noexcept { return borrowed_; }
  /// Keeps the value of `epoch` (or its absence) and running_total(epoch),
  /// and frees every other epoch: get(), has() and running_total() then answer
  /// for `epoch` alone (earlier epochs read as absent; callers check first).
  void keep_only(std::size_t epoch) {
    const std::optional<double> value = get(epoch);
    const std::optional<double> total = running_total(epoch);
    std::vector<Real>().swap(values_);
    std::vector<std::uint8_t>().swap(present_);
    borrowed_ = ext_presence_ = ext_constant_ = ext_last_only_ = false;
    ext_values_ = nullptr;
    check_ = nullptr;
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
  [[nodiscard]] std::optional<double> running_total(std::size_t epoch) const {
    if (have_total_ && epoch + 1 == extent()) return total_;
    if (reduced_) return std::nullopt;
    double total = 0;
    for (std::size_t i = 0; i <= epoch; ++i) {
      if (!has(i)) return std::nullopt;
      total += value_at(i);
    }
    return total;
  }
  /// The running total of the last epoch when it is kept inline (borrowed
  /// series, precompute_totals(), keep_only()), else nullopt.
  [[nodiscard]] std::optional<double> stored_total() const noexcept {
    return have_total_ ? std::optional<double>(total_) : std::nullopt;
  }
  /// Precomputes running_total() of the last epoch (the same additions,
  /// once), making it constant-time; set() drops it again.
  void precompute_totals() {
    if (reduced_) return;  // keep_only() kept the total
    have_total_ = false;
    if (size() == 0) return;
    if (std::optional<double> t = running_total(size() - 1)) {
      total_ = *t;
      have_total_ = true;
    }
  }
  /// Whether every epoch 0..extent()-1 has a value (then presence() is empty).
  [[nodiscard]] bool dense() const noexcept {
    return borrowed_ ? !ext_presence_ && (!ext_last_only_ || extent_ <= 1) : dense_;
  }
  /// Whether every epoch 0..extent()-1 has a value, all of them the same bits
  /// (a cache stores such a series as one value: the real files' time series).
  [[nodiscard]] bool constant() const {
    const std::size_t n = size();
    if (n == 0 || !dense()) return false;
    if (borrowed_ && ext_constant_) return true;
    const double first = value_at(0);
    for (std::size_t i = 1; i < n; ++i) {
      const double v = value_at(i);
      if (std::memcmp(&v, &first, sizeof v) != 0) return false;
    }
    return true;
  }
  /// The stored value of epoch `i` < extent() (0 where absent: see has()), as a double.
  [[nodiscard]] double raw_value(std::size_t i) const { return value_at(i); }
  /// The stored values, epoch 0..extent()-1 (absent epochs hold 0: see has()).
  [[nodiscard]] std::vector<Real> raw_values() const {
    std::vector<Real> out(size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<Real>(value_at(i));
    return out;
  }
  /// Per epoch 0..extent()-1: 1 when it has a value; empty when dense().
  [[nodiscard]] std::vector<std::uint8_t> presence() const {
    if (dense()) return {};
    std::vector<std::uint8_t> out(size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = present_at(i) ? 1 : 0;
    return out;
  }
  /// Replaces the series by `values` with `presence` (empty: every epoch
  /// present; else one byte per value).
  void assign(std::vector<Real> values, std::vector<std::uint8_t> presence) {
    clear();
    values_ = std::move(values);
    present_ = std::move(presence);
    dense_ = present_.empty();
    compact();
  }
  /// Makes the series read, as `layout` says, `extent` little-endian
  /// binary64 values at `values` (and, when `presence`, one presence byte per
  /// epoch right after them: nonzero is present), one value that every epoch
  /// has, or none (only the last epoch is present: `last`), checked by
  /// `check` on first use. `last` and `total` are the value and the running
  /// total of the last epoch (nullopt: absent), kept inline; the caller has
  /// bounded the region (and, for kLastOnly, given `last`).
  void borrow(const unsigned char* values, bool presence, std::uint32_t extent, std::optional<double> last,
              std::optional<double> total, const detail::LazyChecked* check,
              Layout layout = Layout::kValues) noexcept {
    clear();
    borrowed_ = true;
    ext_values_ = values;
    ext_constant_ = layout == Layout::kConstant;
    ext_last_only_ = layout == Layout::kLastOnly;
    ext_presence_ = presence && layout == Layout::kValues;
    extent_ = extent;
    check_ = check;
    dense_ = !ext_presence_;
    have_last_ = last.has_value() && extent > 0;
    last_ = have_last_ ? static_cast<double>(static_cast<Real>(*last)) : 0.;
    have_total_ = total.has_value() && extent > 0;
    total_ = total.value_or(0.);
  }
  /// Releases spare capacity and presence bytes that are all 1 (loaders call
  /// it once a series is complete).
  void compact() {
    if (reduced_ || borrowed_) return;
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
  std::size_t size() const noexcept { return borrowed_ ? extent_ : values_.size(); }
  bool present_at(std::size_t i) const {
    if (!borrowed_) return dense_ || present_[i] != 0;
    if (ext_last_only_) return i + 1 == extent_;
    if (!ext_presence_) return true;
    if (check_) check_->ensure();
    return ext_values_[std::size_t{8} * extent_ + i] != 0;
  }
  double value_at(std::size_t i) const {
    if (!borrowed_) return static_cast<double>(values_[i]);
    if (ext_last_only_) return i + 1 == extent_ ? last_ : 0.;  // absent epochs hold 0, as in raw_value()
    if (check_) check_->ensure();
    return static_cast<double>(static_cast<Real>(detail::load_le_f64(ext_values_ + (ext_constant_ ? 0 : 8 * i))));
  }
  /// A borrowed series as an owned one (before a change).
  void own() {
    std::vector<Real> values = raw_values();
    std::vector<std::uint8_t> present = presence();
    const std::optional<double> total = stored_total();
    assign(std::move(values), std::move(present));
    if (total) precompute_totals();
  }

  std::vector<Real> values_;
  std::vector<std::uint8_t> present_;  ///< empty while dense_
  const unsigned char* ext_values_ = nullptr;   ///< borrowed_: extent_ little-endian binary64 values
                                                ///< (then extent_ presence bytes when ext_presence_)
  const detail::LazyChecked* check_ = nullptr;  ///< borrowed_: verifies the region on first use
  double total_ = 0;                   ///< running_total of the last epoch, when have_total_
  double last_ = 0;                    ///< the value of the last epoch, when have_last_ (kept beside the
                                       ///< object that holds the series: one cache miss less per query)
  std::uint32_t extent_ = 0;            ///< extent() once reduced_ or borrowed_
  bool dense_ : 1;
  bool have_total_ : 1;
  bool have_last_ : 1;
  bool reduced_ : 1;        ///< keep_only(): values_ is empty, last_/total_ hold epoch extent_-1
  bool borrowed_ : 1;       ///< borrow(): the values are read from ext_values_
  bool ext_presence_ : 1;   ///< borrowed_: presence bytes follow the values
  bool ext_constant_ : 1;   ///< borrowed_: ext_values_ holds one value, every epoch's
  bool ext_last_only_ : 1;  ///< borrowed_: only the last epoch is present (last_); no bytes
};

/// The results of one evaluation set (`x-valid`, `ori-test`, ...) over epochs.
template <typename Real>
struct EvalSeries {
  Series<Real> acc1es, losses, times;
};

}  // namespace nasbench
