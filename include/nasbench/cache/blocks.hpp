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
#include <utility>
#include <vector>

#include "nasbench/cache/format.hpp"
#include "nasbench/error.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/fields.hpp"

namespace nasbench::detail::cache {

/// Series flags in a head block.
inline constexpr std::uint8_t kSeriesPresence = 1, kSeriesLast = 2, kSeriesTotal = 4;
/// Time sum flags in a head block.
inline constexpr std::uint8_t kSumNumpy = 1, kSumPython = 2;

/// Where the series of the runs being read borrow their values: the data
/// block of one architecture in the mapping.
struct DataView {
  const unsigned char* base = nullptr;  ///< the block's first byte
  std::uint64_t size = 0;
  const LazyChecked* check = nullptr;   ///< verifies the block on first use
  std::shared_ptr<const void> storage;  ///< the mapping (ResultsCount::storage)
};

/// Writes each field visit_fields() names, in its order (the run's layout):
/// the series' heads to `w`, their values to `data`.
struct RunWriter {
  BlockWriter& w;
  BlockWriter& data;
  void operator()(const char*, const std::string& s) { w.str(s); }
  void operator()(const char*, int x) { w.i32(x); }
  void operator()(const char*, double x) { w.f64(x); }
  void operator()(const char*, bool b) { w.u8(b ? 1 : 0); }
  void operator()(const char*, const std::optional<std::vector<double>>& xs) {
    w.u8(xs ? 1 : 0);
    if (!xs) return;
    w.count(xs->size());
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
    for (const auto& n : names) w.str(n);
  }
  template <typename Real>
  void operator()(const char*, const std::vector<std::pair<std::string, EvalSeries<Real>>>& evals) {
    w.count(evals.size());
    for (const auto& [name, e] : evals) {
      w.str(name);
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
    const std::optional<double> total = s.stored_total();
    std::optional<double> total32;  // the same additions over the values as float tables hold them
    if (total) {
      double t = 0;
      bool all = true;
      for (std::size_t i = 0; i < n && all; ++i) {
        all = s.has(i);
        t += static_cast<double>(static_cast<float>(s.raw_value(i)));
      }
      if (all) total32 = t;
    }
    w.count(n);
    w.u8(static_cast<std::uint8_t>((dense ? 0 : kSeriesPresence) | (last ? kSeriesLast : 0) |
                                   (total && total32 ? kSeriesTotal : 0)));
    if (last) w.f64(*last);
    if (total && total32) {
      w.f64(*total);
      w.f64(*total32);
    }
    data.align(8);
    w.u64(data.bytes.size());
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
  const auto sums32 = rounded.time_sums();
  w.count(sums.size());
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const auto& t = sums[i];
    w.u8(static_cast<std::uint8_t>((t.numpy ? kSumNumpy : 0) | (t.python ? kSumPython : 0)));
    w.count(t.count);
    if (t.numpy) {
      w.f64(*t.numpy);
      w.f64(sums32[i].numpy.value_or(0.));
    }
    if (t.python) {
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
  const char* scope = "";  // "arch_config " inside the config
  std::string label(const char* key) const { return std::string(scope) + key; }
  void operator()(const char* key, std::string& s) { s = in.str(label(key).c_str()); }
  void operator()(const char* key, int& x) {
    x = in.i32(label(key).c_str());
    if (std::string_view(key) == "epochs" && (x < 0 || x > kMaxEpochs)) in.fail("epochs out of range");
  }
  void operator()(const char* key, double& x) { x = in.f64(key); }
  void operator()(const char* key, bool& b) { b = in.u8(key) != 0; }
  void operator()(const char* key, std::optional<std::vector<double>>& xs) {
    if (!in.u8("latency flag")) return;
    const std::uint32_t n = in.count(key, 8);
    std::vector<double> values(n);
    for (auto& x : values) x = in.f64(key);
    xs = std::move(values);
  }
  void operator()(const char*, ArchConfig& c) {
    RunReader sub{in, r, data, "arch_config "};
    visit_config_fields(c, sub);
  }
  void operator()(const char* key, Series<Real>& s) { series(s, key); }
  void operator()(const char* key, std::optional<Series<Real>>& s) {
    if (!in.u8("train_times flag")) return;
    s.emplace();
    series(*s, key);
  }
  void operator()(const char*, std::vector<std::string>& names) {
    const std::uint32_t n = in.count("eval names", 4);
    for (std::uint32_t i = 0; i < n; ++i) names.push_back(in.str("eval name"));
  }
  void operator()(const char*, std::vector<std::pair<std::string, EvalSeries<Real>>>& evals) {
    const std::uint32_t n = in.count("eval sets", 4 + 3 * 13);
    evals.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string name = in.str("eval set name");
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
    const std::uint32_t n = in.u32(what);
    if (n > static_cast<std::uint64_t>(kMaxEpochs)) in.fail_at(std::string(what) + ": " + std::to_string(n) + " epochs", at);
    const std::uint8_t flags = in.u8(what);
    if (flags > (kSeriesPresence | kSeriesLast | kSeriesTotal))
      in.fail_at(std::string(what) + ": bad series flags " + std::to_string(flags), at + 4);
    std::optional<double> last, total;
    if (flags & kSeriesLast) last = in.f64(what);
    if (flags & kSeriesTotal) {
      const double total64 = in.f64(what), total32 = in.f64(what);
      total = sizeof(Real) == 4 ? total32 : total64;
    }
    const std::uint64_t off_at = in.offset();
    const std::uint64_t off = in.u64(what);
    const std::uint64_t bytes = std::uint64_t{n} * ((flags & kSeriesPresence) ? 9 : 8);
    if (off > data.size || bytes > data.size - off)
      in.fail_at(std::string(what) + ": its values (" + std::to_string(bytes) + " bytes at " + std::to_string(off) +
                     ") lie outside the data block of " + std::to_string(data.size) + " bytes",
                 off_at);
    const unsigned char* values = data.base + off;
    out.borrow(values, (flags & kSeriesPresence) ? values + std::uint64_t{n} * 8 : nullptr, n, last, total, data.check);
  }
};

template <typename Real>
void read_time_sums(BlockReader& in, ResultsCount<Real>& r) {
  const std::uint64_t at = in.offset();
  const std::uint32_t n = in.count("time sums", 5);
  if (n != 1 + r.eval_names.size())
    in.fail_at(std::to_string(n) + " time sums for " + std::to_string(r.eval_names.size()) + " eval names", at);
  std::vector<typename ResultsCount<Real>::TimeSums> sums(n);
  for (auto& t : sums) {
    const std::uint8_t flags = in.u8("time sum flags");
    if (flags > (kSumNumpy | kSumPython)) in.fail("bad time sum flags " + std::to_string(flags));
    t.count = in.u32("time sum count");
    if (t.count > static_cast<std::uint64_t>(kMaxEpochs)) in.fail("time sum of " + std::to_string(t.count) + " values");
    for (std::uint8_t flag : {kSumNumpy, kSumPython}) {
      if (!(flags & flag)) continue;
      const double sum64 = in.f64("time sum"), sum32 = in.f64("time sum");
      (flag == kSumNumpy ? t.numpy : t.python) = sizeof(Real) == 4 ? sum32 : sum64;
    }
    if ((t.numpy || t.python) && t.count == 0) in.fail("a time sum of no values");
  }
  r.set_time_sums(std::move(sums));
}

template <typename Real>
void write_run(BlockWriter& w, BlockWriter& data, const ResultsCount<Real>& r) {
  if (r.net_state)
    throw Error("cannot write a cache of " + r.describe() +
                ": it holds trained weights, which a cache does not store (open the original file for weights)");
  if (r.final_epoch_only())
    throw Error("cannot write a cache of " + r.describe() +
                ": it was loaded with LoadOptions::final_epoch_only (--final-epoch-only); a cache holds every epoch");
  visit_fields(r, RunWriter{w, data});
  write_time_sums(w, r);
}

template <typename Real>
ResultsCount<Real> read_run(BlockReader& in, const DataView& data) {
  ResultsCount<Real> r;
  visit_fields(r, RunReader<Real>{in, r, data});
  read_time_sums(in, r);
  r.storage = data.storage;
  return r;
}

template <typename Real>
void write_arch(BlockWriter& w, BlockWriter& data, const ArchResults<Real>& a) {
  w.i32(a.arch_index);
  w.str(a.arch_str);
  w.u8(a.clear_net_done ? 1 : 0);
  w.count(a.results().size());
  for (const auto& r : a.results()) write_run(w, data, r);
  w.count(a.datasets().size());
  for (const auto& d : a.datasets()) {
    w.str(d.name);
    w.count(d.seeds.size());
    for (int s : d.seeds) w.i32(s);
  }
}

template <typename Real>
ArchResults<Real> read_arch(BlockReader& in, const DataView& data) {
  ArchResults<Real> a;
  a.arch_index = in.i32("arch_index");
  a.arch_str = in.str("arch_str");
  a.clear_net_done = in.u8("clear_net_done") != 0;
  const std::uint32_t runs = in.count("runs", 64);
  a.reserve_results(runs);
  for (std::uint32_t i = 0; i < runs; ++i) a.add_result(read_run<Real>(in, data));
  const std::uint32_t datasets = in.count("datasets", 8);
  for (std::uint32_t i = 0; i < datasets; ++i) {
    const std::uint64_t at = in.offset();
    std::string name = in.str("dataset name");
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
