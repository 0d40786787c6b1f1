#pragma once
/// @file results/run.hpp
/// `ResultsCount`: one training run (one architecture, dataset and seed),
/// with the query methods of Python's `ResultsCount` and the same semantics
/// (docs/semantics.md §3). Trained weights are held as a pointer to
/// `NetState` (results/net_state.hpp), so the tables need no pickle headers.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/error.hpp"
#include "nasbench/results/records.hpp"
#include "nasbench/results/series.hpp"

namespace nasbench {

struct NetState;  // results/net_state.hpp

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
  /// Whose sums get_times() computes (numpy's or Python's); the API sets it.
  Semantics semantics = Semantics::kNasBench201;
  std::shared_ptr<const NetState> net_state;  ///< trained weights (Python's net_state_dict), or null
  /// What borrowed series (Series::borrow) read from: a cache file's mapping,
  /// kept alive by every copy of the run; null for owned series.
  std::shared_ptr<const void> storage;

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
                                                      std::optional<int> iepoch = std::nullopt) const {
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

  /// One time series summed both ways (numpy's pairwise sum for nas_201_api,
  /// Python's sum() for nats_bench): what get_times() reports, kept by a
  /// final-epoch-only run and stored in a cache file.
  struct TimeSums {
    std::optional<double> numpy, python;  ///< None: the key's value is None
    std::size_t count = 0;
  };
  /// The time sums get_times() reads: train, then each of eval_names.
  [[nodiscard]] std::vector<TimeSums> time_sums() const {
    if (summarized_) return time_summary_;
    std::vector<TimeSums> out;
    out.push_back(train_time_sums());
    for (const auto& n : eval_names) out.push_back(eval_time_sums(n));
    return out;
  }
  /// Makes get_times() answer from `sums` (time_sums() of the same run: a
  /// cache reader's, so that the time series are not read); one per eval name plus one.
  void set_time_sums(std::vector<TimeSums> sums) {
    if (sums.size() != 1 + eval_names.size())
      throw LoadError("time sums of " + describe() + ": " + std::to_string(sums.size()) + " for " +
                      std::to_string(eval_names.size()) + " eval sets");
    time_summary_ = std::move(sums);
    summarized_ = true;
  }

  /// Python's `get_times()`.
  [[nodiscard]] TimeInfo get_times() const {
    TimeInfo info;
    info.items.reserve(2 + 2 * eval_names.size());
    const auto train = stats(summarized_ ? time_summary_[0] : train_time_sums());
    info.items.push_back({"T-train@epoch", train.first});
    info.items.push_back({"T-train@total", train.second});
    for (std::size_t i = 0; i < eval_names.size(); ++i) {
      const std::string& n = eval_names[i];
      const auto set = stats(summarized_ ? time_summary_[1 + i] : eval_time_sums(n));
      info.items.push_back({"T-" + n + "@epoch", set.first});
      info.items.push_back({"T-" + n + "@total", set.second});
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
    time_summary_ = time_sums();  // get_times() reads them back
    time_summary_.shrink_to_fit();
    summarized_ = true;
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
    if (summarized_) time_summary_[0] = train_time_sums();
    if (final_only_) train_times->keep_only(last_epoch());
  }
  /// Python's `reset_pseudo_eval_times(eval_name, estimated_per_epoch_time)`.
  void reset_pseudo_eval_times(std::string_view eval_name, double per_epoch) {
    if (std::find(eval_names.begin(), eval_names.end(), eval_name) == eval_names.end())
      throw unavailable_value("eval name", eval_name, " in " + describe(), eval_names);
    auto& times = eval_series(eval_name).times;
    for (int i = 0; i < epochs; ++i) times.set(static_cast<std::size_t>(i), per_epoch);
    times.precompute_totals();
    const bool was_usable = eval_times_usable;
    eval_times_usable = true;
    if (summarized_)
      for (std::size_t i = 0; i < eval_names.size(); ++i)
        if (eval_names[i] == eval_name || !was_usable)  // other sets' times become visible too
          time_summary_[1 + i] = eval_time_sums(eval_names[i]);
    if (final_only_) times.keep_only(last_epoch());
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

  static TimeSums sums_of(const std::vector<double>& v) {
    return {detail::numpy_sum(v), detail::python_sum(v), v.size()};
  }
  /// `T-...@epoch` (the mean) and `T-...@total` (the sum) under `semantics`.
  std::pair<std::optional<double>, std::optional<double>> stats(const TimeSums& t) const {
    const std::optional<double>& sum = semantics == Semantics::kNats ? t.python : t.numpy;
    if (!sum) return {};
    return {*sum / static_cast<double>(t.count), *sum};
  }
  /// T-train@epoch and @total: over the train times present, in epoch order.
  TimeSums train_time_sums() const {
    if (!train_times) return {};
    return sums_of(train_times->values());
  }
  /// T-<set>@epoch and @total: None unless every epoch has an eval time.
  TimeSums eval_time_sums(std::string_view set) const {
    const EvalSeries<Real>* s = find_eval(set);
    if (!eval_times_usable || !s || epochs <= 0) return {};  // Python: np.mean([]) is NaN (epochs 0); we say None
    std::vector<double> xs;
    for (std::size_t i = 0; i < static_cast<std::size_t>(epochs) && s->times.has(i); ++i) xs.push_back(*s->times.get(i));
    if (xs.size() != static_cast<std::size_t>(epochs)) return {};
    return sums_of(xs);
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

  std::vector<TimeSums> time_summary_;  ///< train, then each eval set, when summarized_
  bool summarized_ = false;             ///< get_times() reads time_summary_ (final_only_, or a cache's sums)
  bool final_only_ = false;
};

}  // namespace nasbench
