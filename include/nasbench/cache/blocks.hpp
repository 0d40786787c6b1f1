#pragma once
/// @file cache/blocks.hpp
/// Architecture blocks of a cache file: runs written and read field by field
/// in the order of results/fields.hpp, into a head block (everything but the
/// per-epoch values) and a data block (the values, read in place: the series
/// of a run read from a cache borrow them; cache/format.hpp has the layout).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nasbench/cache/format.hpp"
#include "nasbench/error.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/fields.hpp"

namespace nasbench::detail::cache {

/// Series flags in a head block (kSeriesEpochs: the extent is the run's epochs, not stored;
/// kSeriesConstant: every epoch has the same value, stored once; kSeriesLastOnly: only the
/// last epoch has a value, the head's: no bytes in the data block).
inline constexpr std::uint8_t kSeriesPresence = 1, kSeriesLast = 2, kSeriesTotal = 4, kSeriesEpochs = 8,
                              kSeriesConstant = 16, kSeriesLastOnly = 32;
/// Time sum flags in a head block (kSumEpochs: the count is the run's epochs, not
/// stored; kSumTotals: the Python sums are the stored running totals of the time series).
inline constexpr std::uint8_t kSumNumpy = 1, kSumPython = 2, kSumEpochs = 4, kSumTotals = 8;

/// A series' running total of its last epoch when stored (Series::stored_total),
/// and the same additions over its values rounded to float (what float tables hold).
template <typename Real>
std::pair<std::optional<double>, std::optional<double>> stored_totals(const Series<Real>& s) {
  const std::optional<double> total = s.stored_total();
  if (!total) return {};
  double t = 0;
  for (std::size_t i = 0; i < s.extent(); ++i) {
    if (!s.has(i)) return {};
    t += static_cast<double>(static_cast<float>(s.raw_value(i)));
  }
  return {total, t};
}

/// The time series the `i`-th time sum of `r` sums (ResultsCount::time_sums():
/// train, then one per eval name), or nullptr.
template <typename Real>
const Series<Real>* time_series_of(const ResultsCount<Real>& r, std::size_t i) {
  if (i == 0) return r.train_times ? &*r.train_times : nullptr;
  const EvalSeries<Real>* e = r.find_eval(r.eval_names[i - 1]);
  return e ? &e->times : nullptr;
}

/// The strings of a file, each stored once: ids 0..n-1 are the architecture
/// strings (meta_archs), the others follow in first-use order.
struct StringIds {
  std::unordered_map<std::string, std::uint32_t> ids;
  std::vector<std::string> extra;  ///< ids n, n+1, ...
  std::uint32_t archs = 0;
  explicit StringIds(const std::vector<std::string>& meta_archs) : archs(static_cast<std::uint32_t>(meta_archs.size())) {
    ids.reserve(meta_archs.size() + 64);
    for (std::uint32_t i = 0; i < archs; ++i) ids.emplace(meta_archs[i], i);
  }
  std::uint32_t id(const std::string& s) {
    const auto [it, added] = ids.emplace(s, archs + static_cast<std::uint32_t>(extra.size()));
    if (added) extra.push_back(s);
    return it->second;
  }
};

/// What the head block being read refers to: the data block of its
/// architecture, whose values the series borrow, and the string table.
struct DataView {
  const unsigned char* base = nullptr;  ///< the block's first byte
  std::uint64_t size = 0;
  const LazyChecked* check = nullptr;   ///< verifies the block on first use
  std::shared_ptr<const void> storage;  ///< the mapping (ResultsCount::storage)
  const std::vector<std::string_view>* strings = nullptr;  ///< the string table, in the mapping
};

/// Writes each field visit_fields() names, in its order (the run's layout):
/// the series' heads to `w`, their values to `data`.
struct RunWriter {
  BlockWriter& w;
  BlockWriter& data;
  StringIds& strings;
  int epochs = -1;  ///< the run's, once visited (series of that extent do not store it)
  void operator()(const char*, const std::string& s) { w.u32(strings.id(s)); }
  void operator()(const char* key, int x) {
    w.i32(x);
    if (std::string_view(key) == "epochs") epochs = x;
  }
  void operator()(const char*, double x) { w.f64(x); }
  void operator()(const char*, bool b) { w.u8(b ? 1 : 0); }
  void operator()(const char*, const std::optional<std::vector<double>>& xs) {
    w.u8(!xs ? 0 : xs->size() == 1 ? 2 : 1);  // 2: one value (the usual latency), its count not stored
    if (!xs) return;
    if (xs->size() != 1) w.count(xs->size());
    for (double x : *xs) w.f64(x);
  }
  void operator()(const char*, const ArchConfig& c) { visit_config_fields(c, *this); }
  template <typename Real>
  void operator()(const char*, const Series<Real>& s) {
    series(s);
  }
  template <typename Real>
  void operator()(const char*, const std::optional<Series<Real>>& s) {
    w.u8(s ? 1 : 0);
    if (s) series(*s);
  }
  void operator()(const char*, const std::vector<std::string>& names) {
    w.count(names.size());
    for (const auto& n : names) w.u32(strings.id(n));
  }
  template <typename Real>
  void operator()(const char*, const std::vector<std::pair<std::string, EvalSeries<Real>>>& evals) {
    w.count(evals.size());
    for (const auto& [name, e] : evals) {
      w.u32(strings.id(name));
      series(e.acc1es);
      series(e.losses);
      series(e.times);
    }
  }

  template <typename Real>
  void series(const Series<Real>& s) {
    const std::size_t n = s.extent();
    if (n > static_cast<std::size_t>(kMaxEpochs)) throw Error("cannot write a cache: a series of " + std::to_string(n) + " epochs");
    const bool dense = s.dense();
    const std::optional<double> last = n > 0 ? s.get(n - 1) : std::nullopt;
    const auto [total, total32] = stored_totals(s);
    const bool implied = epochs >= 0 && n == static_cast<std::size_t>(epochs);
    // The real files' time series repeat one value; sets measured at the last epoch alone have one value.
    const bool constant = n >= 2 && s.constant();
    const bool last_only = !dense && last && s.count() == 1;
    w.u8(static_cast<std::uint8_t>((dense || last_only ? 0 : kSeriesPresence) | (last ? kSeriesLast : 0) |
                                   (total ? kSeriesTotal : 0) | (implied ? kSeriesEpochs : 0) |
                                   (constant ? kSeriesConstant : 0) | (last_only ? kSeriesLastOnly : 0)));
    if (!implied) w.count(n);
    if (last) w.f64(*last);
    if (total) {
      w.f64(*total);
      w.f64(*total32);
    }
    if (last_only) return;  // its value is the head's
    data.align(8);  // the reader finds the values at the next aligned byte of the data block
    if (constant) {
      data.f64(s.raw_value(0));
      return;
    }
    for (std::size_t i = 0; i < n; ++i) data.f64(s.raw_value(i));
    if (!dense)
      for (std::size_t i = 0; i < n; ++i) data.u8(s.has(i) ? 1 : 0);
  }
};

/// The sums of `values`, and of them rounded to float, as the head block stores them.
template <typename Real>
void write_time_sums(BlockWriter& w, const ResultsCount<Real>& r) {
  const auto sums = r.time_sums();
  // The float sums: the same time series rounded to float, summed the same ways.
  ResultsCount<float> rounded;
  rounded.epochs = r.epochs;
  rounded.eval_names = r.eval_names;
  rounded.eval_times_usable = r.eval_times_usable;
  auto round = [](const Series<Real>& s) {
    std::vector<float> values(s.extent());
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(s.raw_value(i));
    Series<float> out;
    out.assign(std::move(values), s.presence());
    return out;
  };
  if (r.train_times) rounded.train_times = round(*r.train_times);
  for (const auto& [name, e] : r.evals) rounded.eval_series(name).times = round(e.times);
  const auto sums32 = rounded.time_sums();  // 1 + eval names of them: their count is not stored
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const auto& t = sums[i];
    // The Python sum of a dense time series is its running total (stored with the series): not stored twice.
    const Series<Real>* series = time_series_of(r, i);
    bool totals = false;
    if (series && t.python) {
      const auto [total, total32] = stored_totals(*series);
      totals = total && *total == *t.python && *total32 == sums32[i].python.value_or(-1.);
    }
    const bool epochs = t.count == static_cast<std::size_t>(r.epochs) && r.epochs >= 0;
    w.u8(static_cast<std::uint8_t>((t.numpy ? kSumNumpy : 0) | (t.python ? kSumPython : 0) |
                                   (epochs ? kSumEpochs : 0) | (totals ? kSumTotals : 0)));
    if (!epochs) w.count(t.count);
    if (t.numpy) {
      w.f64(*t.numpy);
      w.f64(sums32[i].numpy.value_or(0.));
    }
    if (t.python && !totals) {
      w.f64(*t.python);
      w.f64(sums32[i].python.value_or(0.));
    }
  }
}

/// Reads each field visit_fields() names, in its order; errors name the key.
template <typename Real>
struct RunReader {
  BlockReader& in;
  ResultsCount<Real>& r;
  const DataView& data;
  std::uint64_t& data_pos;  ///< where the next series' values lie in the data block
  std::string_view text(const char* what) { return in.sid(what, *data.strings); }
  void operator()(const char* key, std::string& s) { s = text(key); }
  void operator()(const char* key, int& x) {
    x = in.i32(key);
    if (std::string_view(key) == "epochs" && (x < 0 || x > kMaxEpochs)) in.fail("epochs out of range");
  }
  void operator()(const char* key, double& x) { x = in.f64(key); }
  void operator()(const char* key, bool& b) { b = in.u8(key) != 0; }
  void operator()(const char* key, std::optional<std::vector<double>>& xs) {
    const std::uint8_t flag = in.u8("latency flag");
    if (flag == 0) return;
    if (flag > 2) in.fail_at("bad latency flag " + std::to_string(flag), in.offset() - 1);
    const std::uint32_t n = flag == 2 ? 1 : in.count(key, 8);
    std::vector<double> values(n);
    for (auto& x : values) x = in.f64(key);
    xs = std::move(values);
  }
  void operator()(const char*, ArchConfig& c) {
    in.set_scope("arch_config ");  // the messages of its fields
    visit_config_fields(c, *this);
    in.set_scope("");
  }
  void operator()(const char* key, Series<Real>& s) { series(s, key); }
  void operator()(const char* key, std::optional<Series<Real>>& s) {
    if (!in.u8("train_times flag")) return;
    s.emplace();
    series(*s, key);
  }
  void operator()(const char*, std::vector<std::string>& names) {
    const std::uint32_t n = in.count("eval names", 4);
    names.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) names.emplace_back(text("eval name"));
  }
  void operator()(const char*, std::vector<std::pair<std::string, EvalSeries<Real>>>& evals) {
    const std::uint32_t n = in.count("eval sets", 4 + 3 * 5);
    evals.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string name(text("eval set name"));
      for (const auto& [existing, e] : evals)
        if (existing == name) in.fail("eval set \"" + name + "\" listed twice");
      evals.emplace_back(std::move(name), EvalSeries<Real>{});
      EvalSeries<Real>& e = evals.back().second;
      series(e.acc1es, "eval_acc1es");
      series(e.losses, "eval_losses");
      series(e.times, "eval_times");
    }
  }

  /// A series' head; its values stay in the data block (bounds-checked here).
  void series(Series<Real>& out, const char* what) {
    const std::uint64_t at = in.offset();
    const std::uint8_t flags = in.u8(what);
    const bool constant = (flags & kSeriesConstant) != 0, last_only = (flags & kSeriesLastOnly) != 0;
    if (flags > (kSeriesPresence | kSeriesLast | kSeriesTotal | kSeriesEpochs | kSeriesConstant | kSeriesLastOnly) ||
        ((constant || last_only) && (flags & kSeriesPresence)) || (constant && last_only) ||
        (last_only && !(flags & kSeriesLast)))
      in.fail_at(std::string(what) + ": bad series flags " + std::to_string(flags), at);
    const std::uint32_t n = (flags & kSeriesEpochs) ? static_cast<std::uint32_t>(r.epochs) : in.u32(what);
    if (n > static_cast<std::uint64_t>(kMaxEpochs)) in.fail_at(std::string(what) + ": " + std::to_string(n) + " epochs", at);
    if ((constant && n < 2) || (last_only && n < 2))
      in.fail_at(std::string(what) + ": a " + (constant ? "constant" : "last-epoch-only") + " series of " +
                     std::to_string(n) + " epochs",
                 at);
    std::optional<double> last, total;
    if (flags & kSeriesLast) last = in.f64(what);
    if (flags & kSeriesTotal) {
      const double total64 = in.f64(what), total32 = in.f64(what);
      total = sizeof(Real) == 4 ? total32 : total64;
    }
    using Layout = typename Series<Real>::Layout;
    if (last_only) {  // no bytes in the data block
      out.borrow(nullptr, false, n, last, total, data.check, Layout::kLastOnly);
      return;
    }
    const std::uint64_t off = (data_pos + 7) / 8 * 8;
    const std::uint64_t bytes = constant ? 8 : std::uint64_t{n} * ((flags & kSeriesPresence) ? 9 : 8);
    if (off > data.size || bytes > data.size - off)
      in.fail_at(std::string(what) + ": its values (" + std::to_string(bytes) + " bytes at " + std::to_string(off) +
                     ") lie outside the data block of " + std::to_string(data.size) + " bytes",
                 at);
    data_pos = off + bytes;
    const unsigned char* values = data.base + off;
    out.borrow(values, (flags & kSeriesPresence) != 0, n, last, total, data.check,
               constant ? Layout::kConstant : Layout::kValues);
  }
};

template <typename Real>
void read_time_sums(BlockReader& in, ResultsCount<Real>& r) {
  std::vector<typename ResultsCount<Real>::TimeSums> sums(1 + r.eval_names.size());
  for (std::size_t i = 0; i < sums.size(); ++i) {
    auto& t = sums[i];
    const std::uint64_t flags_at = in.offset();
    const std::uint8_t flags = in.u8("time sum flags");
    if (flags > (kSumNumpy | kSumPython | kSumEpochs | kSumTotals) || ((flags & kSumTotals) && !(flags & kSumPython)))
      in.fail_at("bad time sum flags " + std::to_string(flags), flags_at);
    t.count = (flags & kSumEpochs) ? static_cast<std::size_t>(r.epochs) : in.u32("time sum count");
    if (t.count > static_cast<std::uint64_t>(kMaxEpochs)) in.fail("time sum of " + std::to_string(t.count) + " values");
    for (std::uint8_t flag : {kSumNumpy, kSumPython}) {
      if (!(flags & flag)) continue;
      if (flag == kSumPython && (flags & kSumTotals)) {  // the stored running total of the time series
        const Series<Real>* series = time_series_of(r, i);
        if (!series || !series->stored_total())
          in.fail_at("a time sum refers to the running total of a time series that has none", flags_at);
        t.python = *series->stored_total();
        continue;
      }
      const double sum64 = in.f64("time sum"), sum32 = in.f64("time sum");
      (flag == kSumNumpy ? t.numpy : t.python) = sizeof(Real) == 4 ? sum32 : sum64;
    }
    if ((t.numpy || t.python) && t.count == 0) in.fail_at("a time sum of no values", flags_at);
  }
  r.set_time_sums(std::move(sums));
}

template <typename Real>
void write_run(BlockWriter& w, BlockWriter& data, StringIds& strings, const ResultsCount<Real>& r) {
  if (r.net_state)
    throw Error("cannot write a cache of " + r.describe() +
                ": it holds trained weights, which a cache does not store (open the original file for weights)");
  if (r.final_epoch_only())
    throw Error("cannot write a cache of " + r.describe() +
                ": it was loaded with LoadOptions::final_epoch_only (--final-epoch-only); a cache holds every epoch");
  visit_fields(r, RunWriter{w, data, strings});
  write_time_sums(w, r);
}

/// Reads a run into `r` (a fresh one, in place: no copy of the run).
template <typename Real>
void read_run(BlockReader& in, const DataView& data, std::uint64_t& data_pos, ResultsCount<Real>& r) {
  visit_fields(r, RunReader<Real>{in, r, data, data_pos});
  read_time_sums(in, r);
  r.storage = data.storage;
}

template <typename Real>
void write_arch(BlockWriter& w, BlockWriter& data, StringIds& strings, const ArchResults<Real>& a) {
  w.i32(a.arch_index);
  w.u32(strings.id(a.arch_str));
  w.u8(a.clear_net_done ? 1 : 0);
  w.count(a.results().size());
  for (const auto& r : a.results()) write_run(w, data, strings, r);
  w.count(a.datasets().size());
  for (const auto& d : a.datasets()) {
    w.u32(strings.id(d.name));
    w.count(d.seeds.size());
    for (int s : d.seeds) w.i32(s);
  }
}

template <typename Real>
ArchResults<Real> read_arch(BlockReader& in, const DataView& data, std::uint64_t& data_pos) {
  ArchResults<Real> a;
  a.arch_index = in.i32("arch_index");
  a.arch_str = in.sid("arch_str", *data.strings);
  a.clear_net_done = in.u8("clear_net_done") != 0;
  const std::uint32_t runs = in.count("runs", 48);
  a.reserve_results(runs);
  for (std::uint32_t i = 0; i < runs; ++i) read_run(in, data, data_pos, a.emplace_result());
  const std::uint32_t datasets = in.count("datasets", 8);
  for (std::uint32_t i = 0; i < datasets; ++i) {
    const std::uint64_t at = in.offset();
    std::string name(in.sid("dataset name", *data.strings));
    const std::uint32_t n = in.count("seeds", 4);
    std::vector<int> seeds(n);
    for (auto& s : seeds) s = in.i32("seed");
    try {
      a.set_dataset_seeds(std::move(name), std::move(seeds));
    } catch (const LoadError& e) {
      in.fail_at(e.message(), at);
    }
  }
  return a;
}

}  // namespace nasbench::detail::cache
