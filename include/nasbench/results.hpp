#pragma once
/// @file results.hpp
/// Typed in-memory tables of benchmark results: `ResultsCount` (one training
/// run: one dataset, one seed) and `ArchResults` (all runs of one architecture
/// under one schedule), with the query methods of the Python API and the same
/// semantics (see SEMANTICS.md §3-§4). Torch-free.
///
/// `Real` is the storage type of per-epoch values (double, or float to halve
/// memory at the cost of rounding); every computation is done in double.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nasbench/detail/python_random.hpp"
#include "nasbench/error.hpp"
#include "nasbench/pickle/container.hpp"
#include "nasbench/pickle/value.hpp"

namespace nasbench {

/// The engine behind every random choice (`is_random`): CPython's Mersenne
/// Twister, so `Random(s)` makes the same choices as `random.seed(s)` in Python.
using Random = detail::PythonRandom;

/// The four datasets of the topology space, in the benchmark's order.
inline const std::vector<std::string>& benchmark_datasets() {
  static const std::vector<std::string> names{"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"};
  return names;
}

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

inline nlohmann::json opt_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
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
  /// The Python dict.
  [[nodiscard]] nlohmann::json to_json() const {
    if (name == "infer.shape.tiny")
      return {{"name", name}, {"channels", channels}, {"genotype", genotype}, {"num_classes", num_classes}};
    return {{"name", name}, {"C", C}, {"N", N}, {"arch_str", arch_str}, {"num_classes", num_classes}};
  }
};

/// What `get_train` / `get_eval` return for one run at one epoch.
struct EpochInfo {
  int iepoch = 0;
  double loss = 0, accuracy = 0;
  std::optional<double> cur_time, all_time;  ///< None when the file has no times
  /// The Python dict (`iepoch`, `loss`, `accuracy`, `cur_time`, `all_time`).
  [[nodiscard]] nlohmann::json to_json() const {
    return {{"iepoch", iepoch}, {"loss", loss}, {"accuracy", accuracy},
            {"cur_time", detail::opt_json(cur_time)}, {"all_time", detail::opt_json(all_time)}};
  }
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
    throw QueryError("no time " + detail::quoted(key) + " (available: " +
                     detail::join(items, [](const NamedTime& t) { return t.key; }) + ")");
  }
  /// The Python dict.
  [[nodiscard]] nlohmann::json to_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& t : items) out[t.key] = detail::opt_json(t.value);
    return out;
  }
};

/// The tensor storages of one torch.save file (where trained weights' bytes are).
struct StorageTable {
  std::string path;
  std::vector<pickle::StorageRecord> records;
  /// The storage with this key, or nullptr.
  [[nodiscard]] const pickle::StorageRecord* find(std::string_view key) const {
    for (const auto& r : records)
      if (r.key == key) return &r;
    return nullptr;
  }
};

/// Trained weights of a run as the file holds them: the state dict (an
/// OrderedDict name -> tensor descriptor) and the storages its tensors live
/// in. nn/weights.hpp turns it into LibTorch tensors.
struct NetState {
  pickle::Value state_dict;
  std::shared_ptr<const StorageTable> storages;
};

/// One training run: one architecture, one dataset, one seed (Python's
/// `ResultsCount`).
template <typename Real>
class ResultsCount {
 public:
  std::string name;          ///< dataset
  int seed = 0;              ///< the seed (the int of the `(dataset, seed)` key)
  int epochs = 0;            ///< training epochs of the schedule
  double params = 0;         ///< parameters, millions
  double flop = 0;           ///< FLOPs, millions
  std::optional<std::vector<double>> latency;  ///< seconds per batch, None when absent
  ArchConfig arch_config;
  Series<Real> train_acc1es, train_acc5es, train_losses;
  std::optional<Series<Real>> train_times;    ///< None when the file has None
  std::vector<std::string> eval_names;        ///< as listed in the file
  std::vector<std::pair<std::string, EvalSeries<Real>>> evals;  ///< per set name
  bool eval_times_usable = false;  ///< eval_times is a non-empty dict
  std::shared_ptr<const NetState> net_state;  ///< trained weights (Python's net_state_dict), or null

  /// Python's `get_net_param()`: the trained weights, or nullptr (None).
  [[nodiscard]] const NetState* get_net_param() const noexcept { return net_state.get(); }
  /// Python's `clear_params()`: forget the trained weights.
  void clear_params() noexcept { net_state.reset(); }

  /// The eval series of `set`, or nullptr.
  [[nodiscard]] const EvalSeries<Real>* find_eval(std::string_view set) const noexcept {
    for (const auto& [n, s] : evals)
      if (n == set) return &s;
    return nullptr;
  }
  /// The eval series of `set`, created when absent (used by loaders; room
  /// for `epochs` values is reserved up front).
  EvalSeries<Real>& eval_series(std::string_view set) {
    for (auto& [n, s] : evals)
      if (n == set) return s;
    evals.emplace_back(std::string(set), EvalSeries<Real>{});
    EvalSeries<Real>& e = evals.back().second;
    const std::size_t room = epochs > 0 ? std::min<std::size_t>(static_cast<std::size_t>(epochs), 1024) : 0;  // bounded: hostile files
    for (Series<Real>* x : {&e.acc1es, &e.losses, &e.times}) x->reserve(room);
    return e;
  }

  /// Python's `get_train(iepoch)`: loss, accuracy and times of epoch `iepoch`
  /// (nullopt: the last epoch).
  [[nodiscard]] EpochInfo get_train(std::optional<int> iepoch = std::nullopt) const {
    const int e = check_epoch(iepoch);
    check_loaded(e);
    const auto ue = static_cast<std::size_t>(e);
    EpochInfo info;
    info.iepoch = e;
    if (train_times) {
      info.cur_time = need(*train_times, ue, "train_times");
      std::optional<double> total = train_times->running_total(ue);
      if (!total)
        for (std::size_t i = 0; i <= ue; ++i) (void)need(*train_times, i, "train_times");  // names the gap
      info.all_time = total;
    }
    info.loss = need(train_losses, ue, "train_losses");
    info.accuracy = need(train_acc1es, ue, "train_acc1es");
    return info;
  }

  /// Python's `get_eval(name, iepoch)`; `valid` is an alias of `x-valid`.
  [[nodiscard]] EpochInfo get_eval(std::string_view set, std::optional<int> iepoch = std::nullopt) const {
    if (std::optional<EpochInfo> info = try_get_eval(set, iepoch)) return *info;
    throw_eval_error(set, iepoch);
  }

  /// get_eval(), or nullopt where it would raise (no error is built: get_more_info
  /// drops absent sets silently, often).
  [[nodiscard]] std::optional<EpochInfo> try_get_eval(std::string_view set,
                                                      std::optional<int> iepoch = std::nullopt) const noexcept {
    const std::string_view name = set == "valid" ? std::string_view("x-valid") : set;
    const int e = iepoch ? *iepoch : epochs - 1;
    if (e < 0 || e >= epochs || (final_only_ && e != epochs - 1)) return std::nullopt;
    const auto ue = static_cast<std::size_t>(e);
    const EvalSeries<Real>* s = find_eval(name);
    if (!s) return std::nullopt;
    EpochInfo info;
    info.iepoch = e;
    if (eval_times_usable) {  // Python reads the times first: a missing time key raises too
      info.all_time = s->times.running_total(ue);
      if (!info.all_time) return std::nullopt;
      info.cur_time = s->times.get(ue);
    }
    const std::optional<double> loss = s->losses.get(ue), accuracy = s->acc1es.get(ue);
    if (!loss || !accuracy) return std::nullopt;
    info.loss = *loss;
    info.accuracy = *accuracy;
    return info;
  }

  /// Python's `get_latency()`: the mean latency, or -1.0 when absent.
  [[nodiscard]] double get_latency() const {
    if (!latency) return -1.0;
    if (latency->empty()) throw QueryError("empty latency list in " + describe());
    double total = 0;
    for (double v : *latency) total += v;
    return total / static_cast<double>(latency->size());
  }

  /// Python's `get_times()`.
  [[nodiscard]] TimeInfo get_times() const {
    TimeInfo info;
    info.items.reserve(2 + 2 * eval_names.size());
    const auto train = final_only_ ? std::make_pair(time_summary_[0], time_summary_[1]) : train_time_stats();
    info.items.push_back({"T-train@epoch", train.first});
    info.items.push_back({"T-train@total", train.second});
    for (std::size_t i = 0; i < eval_names.size(); ++i) {
      const std::string& n = eval_names[i];
      const auto stats = final_only_ ? std::make_pair(time_summary_[2 + 2 * i], time_summary_[3 + 2 * i])
                                     : eval_time_stats(n);
      info.items.push_back({"T-" + n + "@epoch", stats.first});
      info.items.push_back({"T-" + n + "@total", stats.second});
    }
    return info;
  }

  /// Whether only the last epoch is kept (LoadOptions::final_epoch_only).
  [[nodiscard]] bool final_epoch_only() const noexcept { return final_only_; }
  /// Frees every epoch of every series but the last (epochs - 1), keeping
  /// what get_times() reports; queries for another epoch then give a
  /// QueryError. Loaders call it after finalize() for LoadOptions::final_epoch_only.
  void keep_final_epoch_only() {
    if (final_only_) return;
    time_summary_.clear();
    for (const NamedTime& t : get_times().items) time_summary_.push_back(t.value);  // get_times() reads them back
    time_summary_.shrink_to_fit();
    const std::size_t last = last_epoch();
    for (Series<Real>* x : {&train_acc1es, &train_acc5es, &train_losses}) x->keep_only(last);
    if (train_times) train_times->keep_only(last);
    for (auto& [name, e] : evals)
      for (Series<Real>* x : {&e.acc1es, &e.losses, &e.times}) x->keep_only(last);
    final_only_ = true;
  }

  /// Python's `get_total_epoch()`.
  [[nodiscard]] int get_total_epoch() const noexcept { return epochs; }

  /// Python's `get_config(None)`.
  [[nodiscard]] NetConfig get_config() const {
    NetConfig c;
    c.num_classes = arch_config.class_num;
    if (arch_config.name == "infer.shape.tiny") {
      c.name = "infer.shape.tiny";
      c.channels = arch_config.channels;
      c.genotype = arch_config.genotype;
    } else {
      c.name = "infer.tiny";
      c.C = arch_config.channel;
      c.N = arch_config.num_cells;
      c.arch_str = arch_config.arch_str;
    }
    return c;
  }

  /// Python's `reset_latency(latency)`.
  void reset_latency(std::optional<double> value) {
    if (value) latency = std::vector<double>{*value};
    else latency.reset();
  }
  /// Python's `reset_pseudo_train_times(estimated_per_epoch_time)`.
  void reset_pseudo_train_times(double per_epoch) {
    Series<Real> s;
    for (int i = 0; i < epochs; ++i) s.set(static_cast<std::size_t>(i), per_epoch);
    s.precompute_totals();
    train_times = std::move(s);
    if (final_only_) {
      std::tie(time_summary_[0], time_summary_[1]) = train_time_stats();
      train_times->keep_only(last_epoch());
    }
  }
  /// Python's `reset_pseudo_eval_times(eval_name, estimated_per_epoch_time)`.
  void reset_pseudo_eval_times(std::string_view eval_name, double per_epoch) {
    if (std::find(eval_names.begin(), eval_names.end(), eval_name) == eval_names.end())
      throw QueryError("invalid eval name " + detail::quoted(eval_name) + " (eval names: " +
                       detail::join(eval_names, [](const std::string& s) { return s; }) + ")");
    auto& times = eval_series(eval_name).times;
    for (int i = 0; i < epochs; ++i) times.set(static_cast<std::size_t>(i), per_epoch);
    times.precompute_totals();
    const bool was_usable = eval_times_usable;
    eval_times_usable = true;
    if (final_only_) {
      for (std::size_t i = 0; i < eval_names.size(); ++i)
        if (eval_names[i] == eval_name || !was_usable)  // other sets' times become visible too
          std::tie(time_summary_[2 + 2 * i], time_summary_[3 + 2 * i]) = eval_time_stats(eval_names[i]);
      times.keep_only(last_epoch());
    }
  }

  /// Releases spare capacity and precomputes the running time totals
  /// (loaders call it once the run is complete).
  void finalize() {
    for (Series<Real>* x : {&train_acc1es, &train_acc5es, &train_losses}) x->compact();
    if (train_times) {
      train_times->compact();
      train_times->precompute_totals();
    }
    for (auto& [name, e] : evals) {
      e.acc1es.compact();
      e.losses.compact();
      e.times.compact();
      e.times.precompute_totals();
    }
    evals.shrink_to_fit();
  }

  /// "cifar10 seed 777" for messages.
  [[nodiscard]] std::string describe() const { return name + " seed " + std::to_string(seed); }

 private:
  /// The error get_eval raises, checked in Python's order (epoch, times, loss, accuracy).
  [[noreturn]] void throw_eval_error(std::string_view set, std::optional<int> iepoch) const {
    const std::string name(set == "valid" ? std::string_view("x-valid") : set);
    const int e = check_epoch(iepoch);
    check_loaded(e);
    const auto ue = static_cast<std::size_t>(e);
    const EvalSeries<Real>* s = find_eval(name);
    auto missing = [&](const char* what) {
      return QueryError("no " + detail::quoted(name + "@" + std::to_string(e)) + " in " + what + " of " + describe() +
                        " (eval sets: " + detail::join(evals, [](const auto& p) { return p.first; }) + ")");
    };
    if (eval_times_usable) {
      if (!s || !s->times.has(ue)) throw missing("eval_times");
      for (std::size_t i = 0; i <= ue; ++i)
        if (!s->times.has(i))
          throw QueryError("no " + detail::quoted(name + "@" + std::to_string(i)) + " in eval_times of " + describe());
    }
    if (!s || !s->losses.has(ue)) throw missing("eval_losses");
    throw missing("eval_acc1es");
  }

  /// T-train@epoch and @total: numpy's mean and sum of the train times present.
  std::pair<std::optional<double>, std::optional<double>> train_time_stats() const {
    if (!train_times) return {};
    const auto v = train_times->values();
    return {detail::numpy_mean(v), detail::numpy_sum(v)};
  }
  /// T-<set>@epoch and @total: None unless every epoch has an eval time.
  std::pair<std::optional<double>, std::optional<double>> eval_time_stats(std::string_view set) const {
    const EvalSeries<Real>* s = find_eval(set);
    if (!eval_times_usable || !s || epochs <= 0) return {};  // Python: np.mean([]) is NaN (epochs 0); we say None
    std::vector<double> xs;
    for (std::size_t i = 0; i < static_cast<std::size_t>(epochs) && s->times.has(i); ++i) xs.push_back(*s->times.get(i));
    if (xs.size() != static_cast<std::size_t>(epochs)) return {};
    return {detail::numpy_mean(xs), detail::numpy_sum(xs)};
  }
  /// The epoch keep_final_epoch_only() keeps.
  std::size_t last_epoch() const noexcept { return epochs > 0 ? static_cast<std::size_t>(epochs - 1) : 0; }
  /// QueryError for an epoch that LoadOptions::final_epoch_only left out.
  void check_loaded(int e) const {
    if (final_only_ && e != epochs - 1)
      throw QueryError("iepoch " + std::to_string(e) + " of " + describe() +
                       " was not loaded (LoadOptions::final_epoch_only keeps only the last epoch, " +
                       std::to_string(epochs - 1) + ")");
  }

  int check_epoch(std::optional<int> iepoch) const {
    const int e = iepoch ? *iepoch : epochs - 1;
    if (e < 0 || e >= epochs)
      throw QueryError("iepoch " + std::to_string(e) + " out of range (0 <= iepoch < " + std::to_string(epochs) +
                       ") for " + describe());
    return e;
  }
  double need(const Series<Real>& s, std::size_t epoch, const char* what) const {
    if (auto v = s.get(epoch)) return *v;
    throw QueryError("no epoch " + std::to_string(epoch) + " in " + what + " of " + describe());
  }

  std::vector<std::optional<double>> time_summary_;  ///< get_times() values once final_only_
  bool final_only_ = false;
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
  /// The Python dict.
  [[nodiscard]] nlohmann::json to_json() const {
    return {{"iepoch", detail::opt_json(iepoch)}, {"loss", detail::opt_json(loss)},
            {"accuracy", detail::opt_json(accuracy)}, {"cur_time", detail::opt_json(cur_time)},
            {"all_time", detail::opt_json(all_time)}};
  }
};

/// `get_compute_costs` / `get_cost_info`: seed means of flops, params, latency
/// and of every `get_times()` key.
struct CostInfo {
  double flops = 0, params = 0;
  std::optional<double> latency;
  TimeInfo times;
  /// The Python dict (`flops`, `params`, `latency`, `T-...`).
  [[nodiscard]] nlohmann::json to_json() const {
    nlohmann::json out = {{"flops", flops}, {"params", params}, {"latency", detail::opt_json(latency)}};
    for (const auto& t : times.items) out[t.key] = detail::opt_json(t.value);
    return out;
  }
};

/// All runs of one architecture under one schedule (Python's `ArchResults`).
template <typename Real>
class ArchResults {
 public:
  /// The runs of one dataset, seeds sorted as in `dataset_seed`.
  struct DatasetRuns {
    std::string name;
    std::vector<int> seeds;
    std::vector<std::uint32_t> runs;  ///< index into results(), per seed
  };

  int arch_index = -1;
  std::string arch_str;
  bool clear_net_done = false;
  std::vector<std::string> skipped_datasets;  ///< left out by LoadOptions::datasets

  /// Adds one run under the `(dataset, seed)` key (loaders call this in file order).
  void add_result(ResultsCount<Real> r) { results_.push_back(std::move(r)); }
  /// Declares `dataset_seed[dataset] = seeds`; every seed must have a run.
  void set_dataset_seeds(std::string dataset, std::vector<int> seeds) {
    DatasetRuns d{std::move(dataset), std::move(seeds), {}};
    for (int s : d.seeds) {
      const auto it = std::find_if(results_.begin(), results_.end(),
                                   [&](const ResultsCount<Real>& r) { return r.name == d.name && r.seed == s; });
      if (it == results_.end())
        throw LoadError("dataset_seed lists seed " + std::to_string(s) + " of " + detail::quoted(d.name) +
                        " but all_results has no (" + detail::quoted(d.name) + ", " + std::to_string(s) + ")");
      d.runs.push_back(static_cast<std::uint32_t>(it - results_.begin()));
    }
    datasets_.push_back(std::move(d));
  }

  /// Every run, in the file's `all_results` order.
  [[nodiscard]] const std::vector<ResultsCount<Real>>& results() const noexcept { return results_; }
  /// Every dataset with its seeds, in the file's `dataset_seed` order.
  [[nodiscard]] const std::vector<DatasetRuns>& datasets() const noexcept { return datasets_; }

  /// Python's `get_dataset_names()`.
  [[nodiscard]] std::vector<std::string> get_dataset_names() const {
    std::vector<std::string> out;
    for (const auto& d : datasets_) out.push_back(d.name);
    return out;
  }
  /// Whether `dataset` has runs here.
  [[nodiscard]] bool has_dataset(std::string_view dataset) const noexcept { return find(dataset) != nullptr; }
  /// Python's `get_dataset_seeds(dataset)`.
  [[nodiscard]] const std::vector<int>& get_dataset_seeds(std::string_view dataset) const {
    return runs_of(dataset).seeds;
  }

  /// Python's `query(dataset, seed)` for one seed.
  [[nodiscard]] const ResultsCount<Real>& query(std::string_view dataset, int seed) const {
    const DatasetRuns& d = runs_of(dataset);
    for (std::size_t i = 0; i < d.seeds.size(); ++i)
      if (d.seeds[i] == seed) return results_[d.runs[i]];
    throw QueryError("no seed " + std::to_string(seed) + " for " + detail::quoted(dataset) + " in architecture " +
                     std::to_string(arch_index) + " (seeds: " +
                     detail::join(d.seeds, [](int s) { return std::to_string(s); }) + ")");
  }
  /// Python's `query(dataset)`: seed -> run, in `dataset_seed` order.
  [[nodiscard]] std::vector<std::pair<int, const ResultsCount<Real>*>> query(std::string_view dataset) const {
    const DatasetRuns& d = runs_of(dataset);
    std::vector<std::pair<int, const ResultsCount<Real>*>> out;
    for (std::size_t i = 0; i < d.seeds.size(); ++i) out.emplace_back(d.seeds[i], &results_[d.runs[i]]);
    return out;
  }

  /// Python's `get_metrics(dataset, setname, iepoch, is_random)`. `rng` serves
  /// SeedChoice::random() (Python's `random.randint`).
  [[nodiscard]] Metrics get_metrics(std::string_view dataset, std::string_view setname,
                                    std::optional<int> iepoch, SeedChoice choice, Random* rng = nullptr) const {
    return *metrics(dataset, setname, iepoch, choice, rng, /*raise=*/true);
  }

  /// get_metrics() for an eval set, or nullopt where it would raise (no
  /// error is built). Train metrics and argument errors still raise.
  [[nodiscard]] std::optional<Metrics> try_get_metrics(std::string_view dataset, std::string_view setname,
                                                       std::optional<int> iepoch, SeedChoice choice,
                                                       Random* rng = nullptr) const {
    return metrics(dataset, setname, iepoch, choice, rng, /*raise=*/false);
  }

  /// Python's `get_compute_costs(dataset)`.
  [[nodiscard]] CostInfo get_compute_costs(std::string_view dataset) const {
    const DatasetRuns& d = runs_of(dataset);
    CostInfo c;
    std::vector<double> flops, params, latencies;
    std::vector<TimeInfo> times;
    for (std::uint32_t r : d.runs) {
      const auto& run = results_[r];
      flops.push_back(run.flop);
      params.push_back(run.params);
      const double lat = run.get_latency();
      if (lat > 0) latencies.push_back(lat);
      times.push_back(run.get_times());
    }
    if (d.runs.empty()) throw QueryError("no run of " + detail::quoted(dataset));
    c.flops = detail::numpy_mean(flops);
    c.params = detail::numpy_mean(params);
    if (!latencies.empty()) c.latency = detail::numpy_mean(latencies);
    // Python: defaultdict over the keys of every run's get_times(), in first-seen order.
    for (const auto& t : times)
      for (const auto& item : t.items)
        if (std::none_of(c.times.items.begin(), c.times.items.end(),
                         [&](const NamedTime& x) { return x.key == item.key; }))
          c.times.items.push_back({item.key, std::nullopt});
    for (auto& out : c.times.items) {
      std::vector<std::optional<double>> values;
      for (const auto& t : times)
        for (const auto& item : t.items)
          if (item.key == out.key) values.push_back(item.value);
      if (values.empty() || !values.front()) continue;
      std::vector<double> xs;
      for (const auto& v : values) {
        if (!v) throw QueryError("seeds of " + detail::quoted(dataset) + " disagree on whether " + out.key + " exists");
        xs.push_back(*v);
      }
      out.value = detail::numpy_mean(xs);
    }
    return c;
  }

  /// Python's `ArchResults.get_latency(dataset)`: error when a seed has no valid latency.
  [[nodiscard]] double get_latency(std::string_view dataset) const {
    const DatasetRuns& d = runs_of(dataset);
    double total = 0;
    for (std::size_t i = 0; i < d.runs.size(); ++i) {
      const double lat = results_[d.runs[i]].get_latency();
      if (lat <= 0)
        throw QueryError("invalid latency of " + detail::quoted(dataset) + " with seed=" + std::to_string(d.seeds[i]) +
                         " : " + std::to_string(lat));
      total += lat;
    }
    if (d.runs.empty()) throw QueryError("no run of " + detail::quoted(dataset));
    return total / static_cast<double>(d.runs.size());
  }

  /// Python's `get_total_epoch(dataset)`: error when runs disagree.
  [[nodiscard]] int get_total_epoch(std::optional<std::string_view> dataset = std::nullopt) const {
    std::vector<int> epochs;
    for (const auto& d : datasets_)
      if (!dataset || d.name == *dataset)
        for (std::uint32_t r : d.runs) epochs.push_back(results_[r].epochs);
    if (dataset) (void)runs_of(*dataset);  // throws the unknown-dataset error
    if (epochs.empty()) throw QueryError("no run in architecture " + std::to_string(arch_index));
    for (int e : epochs)
      if (e != epochs.front())
        throw QueryError("each trial must have the same number of training epochs: " +
                         detail::join(epochs, [](int x) { return std::to_string(x); }));
    return epochs.back();
  }

  /// Python's `arch_idx_str()`: the index as `%06d`.
  [[nodiscard]] std::string arch_idx_str() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%06d", arch_index);
    return buf;
  }

  /// Python's `reset_latency(dataset, seed, latency)`.
  void reset_latency(std::string_view dataset, std::optional<int> seed, std::optional<double> latency) {
    for_runs(dataset, seed, [&](ResultsCount<Real>& r) { r.reset_latency(latency); });
  }
  /// Python's `reset_pseudo_train_times(dataset, seed, estimated_per_epoch_time)`.
  void reset_pseudo_train_times(std::string_view dataset, std::optional<int> seed, double per_epoch) {
    for_runs(dataset, seed, [&](ResultsCount<Real>& r) { r.reset_pseudo_train_times(per_epoch); });
  }
  /// Python's `reset_pseudo_eval_times(dataset, seed, eval_name, estimated_per_epoch_time)`.
  void reset_pseudo_eval_times(std::string_view dataset, std::optional<int> seed, std::string_view eval_name,
                               double per_epoch) {
    for_runs(dataset, seed, [&](ResultsCount<Real>& r) { r.reset_pseudo_eval_times(eval_name, per_epoch); });
  }
  /// Python's `clear_params()`: forget the trained weights of every run.
  void clear_params() noexcept {
    for (auto& r : results_) r.clear_params();
    clear_net_done = true;
  }

  /// Python's `get_net_param(dataset, seed)`: the weights of one run (nullptr: None).
  [[nodiscard]] const NetState* get_net_param(std::string_view dataset, int seed) const {
    for (const auto& r : results_)
      if (r.name == dataset && r.seed == seed) return r.get_net_param();
    throw QueryError("key=(" + detail::quoted(dataset) + ", " + std::to_string(seed) + ") not in all_results of architecture " +
                     std::to_string(arch_index));
  }
  /// Python's `get_net_param(dataset)`: seed -> weights (nullptr: None), in dataset_seed order.
  [[nodiscard]] std::vector<std::pair<int, const NetState*>> get_net_param(std::string_view dataset) const {
    std::vector<std::pair<int, const NetState*>> out;
    for (const auto& [seed, run] : query(dataset)) out.emplace_back(seed, run->get_net_param());
    return out;
  }

  /// The runs of `dataset`; QueryError naming the available datasets otherwise.
  [[nodiscard]] const DatasetRuns& runs_of(std::string_view dataset) const {
    if (const DatasetRuns* d = find(dataset)) return *d;
    if (std::find(skipped_datasets.begin(), skipped_datasets.end(), dataset) != skipped_datasets.end())
      throw QueryError("dataset " + detail::quoted(dataset) + " was not loaded (LoadOptions::datasets: " +
                       detail::join(datasets_, [](const DatasetRuns& x) { return x.name; }) + ")");
    throw QueryError("unknown dataset " + detail::quoted(dataset) + " for architecture " +
                     std::to_string(arch_index) + " (available: " +
                     detail::join(datasets_, [](const DatasetRuns& x) { return x.name; }) + ")");
  }

 private:
  std::optional<Metrics> metrics(std::string_view dataset, std::string_view setname, std::optional<int> iepoch,
                                 SeedChoice choice, Random* rng, bool raise) const {
    const DatasetRuns& d = runs_of(dataset);
    // Seed counts are small: no allocation below 9 seeds (this is the hot path of get_more_info).
    const std::size_t n = d.runs.size();
    EpochInfo small[8];
    std::vector<EpochInfo> large(n > 8 ? n : 0);
    EpochInfo* infos = n > 8 ? large.data() : small;
    const bool train = setname == "train";
    for (std::size_t i = 0; i < n; ++i) {
      const ResultsCount<Real>& run = results_[d.runs[i]];
      if (train || raise) {
        infos[i] = train ? run.get_train(iepoch) : run.get_eval(setname, iepoch);
      } else if (std::optional<EpochInfo> info = run.try_get_eval(setname, iepoch)) {
        infos[i] = *info;
      } else {
        return std::nullopt;
      }
    }
    auto one = [](const EpochInfo& e) {
      return Metrics{static_cast<double>(e.iepoch), e.loss, e.accuracy, e.cur_time, e.all_time};
    };
    switch (choice.kind()) {
      case SeedChoice::Kind::kRandom: {
        if (!rng) throw QueryError("get_metrics with is_random=True needs a random engine");
        if (n == 0) throw QueryError("no seed to choose from for " + detail::quoted(dataset));
        return one(infos[static_cast<std::size_t>(rng->randbelow(n))]);
      }
      case SeedChoice::Kind::kSeed: {
        for (std::size_t i = 0; i < d.seeds.size(); ++i)
          if (d.seeds[i] == choice.seed_value()) return one(infos[i]);
        throw QueryError("no seed " + std::to_string(choice.seed_value()) + " for " + detail::quoted(dataset) +
                         " in architecture " + std::to_string(arch_index) + " (seeds: " +
                         detail::join(d.seeds, [](int s) { return std::to_string(s); }) + ")");
      }
      case SeedChoice::Kind::kMean: break;
    }
    Metrics m;
    if (n == 0) return m;  // Python: every key absent; we give all None
    double small_xs[8];
    std::vector<double> large_xs(n > 8 ? n : 0);
    double* xs = n > 8 ? large_xs.data() : small_xs;
    auto mean_of = [&](auto field) -> std::optional<double> {
      if (!field(infos[0])) return std::nullopt;
      for (std::size_t i = 0; i < n; ++i) {
        const std::optional<double> v = field(infos[i]);
        if (!v) throw QueryError("seeds of " + detail::quoted(dataset) + " disagree on whether times exist");
        xs[i] = *v;
      }
      return detail::numpy_sum(xs, n) / static_cast<double>(n);  // np.mean
    };
    m.iepoch = mean_of([](const EpochInfo& e) { return std::optional<double>(e.iepoch); });
    m.loss = mean_of([](const EpochInfo& e) { return std::optional<double>(e.loss); });
    m.accuracy = mean_of([](const EpochInfo& e) { return std::optional<double>(e.accuracy); });
    m.cur_time = mean_of([](const EpochInfo& e) { return e.cur_time; });
    m.all_time = mean_of([](const EpochInfo& e) { return e.all_time; });
    return m;
  }

  const DatasetRuns* find(std::string_view dataset) const noexcept {
    for (const auto& d : datasets_)
      if (d.name == dataset) return &d;
    return nullptr;
  }
  template <typename Fn>
  void for_runs(std::string_view dataset, std::optional<int> seed, Fn&& fn) {
    const DatasetRuns& d = runs_of(dataset);
    bool any = false;
    for (std::size_t i = 0; i < d.seeds.size(); ++i)
      if (!seed || d.seeds[i] == *seed) {
        fn(results_[d.runs[i]]);
        any = true;
      }
    if (!any) (void)query(dataset, *seed);  // throws the unknown-seed error
  }

  std::vector<ResultsCount<Real>> results_;
  std::vector<DatasetRuns> datasets_;
};

}  // namespace nasbench
