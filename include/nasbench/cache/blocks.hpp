#pragma once
/// @file cache/blocks.hpp
/// Architecture blocks of a cache file: runs written and read field by field
/// in the order of results/fields.hpp (cache/format.hpp has the layout).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/cache/format.hpp"
#include "nasbench/error.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/fields.hpp"

namespace nasbench::detail::cache {

/// Writes each field visit_fields() names, in its order (the run's layout).
struct RunWriter {
  BlockWriter& w;
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
    w.series(s);
  }
  template <typename Real>
  void operator()(const char*, const std::optional<Series<Real>>& s) {
    w.u8(s ? 1 : 0);
    if (s) w.series(*s);
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
      w.series(e.acc1es);
      w.series(e.losses);
      w.series(e.times);
    }
  }
};

/// Reads each field visit_fields() names, in its order; errors name the key.
template <typename Real>
struct RunReader {
  BlockReader& in;
  ResultsCount<Real>& r;
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
    RunReader sub{in, r, "arch_config "};
    visit_config_fields(c, sub);
  }
  void operator()(const char* key, Series<Real>& s) { in.series(s, key); }
  void operator()(const char* key, std::optional<Series<Real>>& s) {
    if (!in.u8("train_times flag")) return;
    s.emplace();
    in.series(*s, key);
  }
  void operator()(const char*, std::vector<std::string>& names) {
    const std::uint32_t n = in.count("eval names", 4);
    for (std::uint32_t i = 0; i < n; ++i) names.push_back(in.str("eval name"));
  }
  void operator()(const char*, std::vector<std::pair<std::string, EvalSeries<Real>>>&) {
    const std::uint32_t n = in.count("eval sets", 4 + 3 * 5);
    for (std::uint32_t i = 0; i < n; ++i) {
      EvalSeries<Real>& e = r.eval_series(in.str("eval set name"));
      in.series(e.acc1es, "eval_acc1es");
      in.series(e.losses, "eval_losses");
      in.series(e.times, "eval_times");
    }
  }
};

template <typename Real>
void write_run(BlockWriter& w, const ResultsCount<Real>& r) {
  if (r.net_state)
    throw Error("cannot write a cache of " + r.describe() +
                ": it holds trained weights, which a cache does not store (open the original file for weights)");
  if (r.final_epoch_only())
    throw Error("cannot write a cache of " + r.describe() +
                ": it was loaded with LoadOptions::final_epoch_only (--final-epoch-only); a cache holds every epoch");
  visit_fields(r, RunWriter{w});
}

template <typename Real>
ResultsCount<Real> read_run(BlockReader& in) {
  ResultsCount<Real> r;
  visit_fields(r, RunReader<Real>{in, r});
  r.finalize();
  return r;
}

template <typename Real>
void write_arch(BlockWriter& w, const ArchResults<Real>& a) {
  w.i32(a.arch_index);
  w.str(a.arch_str);
  w.u8(a.clear_net_done ? 1 : 0);
  w.count(a.results().size());
  for (const auto& r : a.results()) write_run(w, r);
  w.count(a.datasets().size());
  for (const auto& d : a.datasets()) {
    w.str(d.name);
    w.count(d.seeds.size());
    for (int s : d.seeds) w.i32(s);
  }
}

template <typename Real>
ArchResults<Real> read_arch(BlockReader& in) {
  ArchResults<Real> a;
  a.arch_index = in.i32("arch_index");
  a.arch_str = in.str("arch_str");
  a.clear_net_done = in.u8("clear_net_done") != 0;
  const std::uint32_t runs = in.count("runs", 64);
  for (std::uint32_t i = 0; i < runs; ++i) a.add_result(read_run<Real>(in));
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
