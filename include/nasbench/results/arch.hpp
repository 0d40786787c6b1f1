#pragma once
/// @file results/arch.hpp
/// `ArchResults`: all runs of one architecture under one schedule, with the
/// query methods of Python's `ArchResults` and the same semantics
/// (docs/semantics.md §4).

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "nasbench/error.hpp"
#include "nasbench/results/records.hpp"
#include "nasbench/results/run.hpp"
#include "nasbench/results/series.hpp"
#include "nasbench/random.hpp"
#include "nasbench/space/dataset.hpp"

namespace nasbench {

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

  /// Makes room for `n` runs (a loader that knows how many follow).
  void reserve_results(std::size_t n) { results_.reserve(n); }
  /// Adds an empty run for a loader to fill in place (then as add_result()).
  ResultsCount<Real>& emplace_result() {
    ResultsCount<Real>& r = results_.emplace_back();
    r.semantics = semantics_;
    return r;
  }
  /// Adds one run under the `(dataset, seed)` key (loaders call this in file order).
  void add_result(ResultsCount<Real> r) {
    r.semantics = semantics_;
    results_.push_back(std::move(r));
  }

  /// Whose answers these results give (nas_201_api or nats_bench; results/semantics.hpp).
  [[nodiscard]] Semantics semantics() const noexcept { return semantics_; }
  /// Sets the semantics of these results and of every run (the API does, from the file it read).
  void set_semantics(Semantics s) noexcept {
    semantics_ = s;
    for (auto& r : results_) r.semantics = s;
  }
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

  /// The `flops` and `params` of get_compute_costs(dataset): the seed means,
  /// and under nats_bench semantics its v1.6 patch of legacy values: when the
  /// seeds' values printed with 5 decimals differ, seed 888's value (a
  /// QueryError when seed 888 has no run, where Python raises ValueError).
  [[nodiscard]] std::pair<double, double> flops_and_params(std::string_view dataset) const {
    const DatasetRuns& d = runs_of(dataset);
    if (d.runs.empty()) throw QueryError("no run of " + detail::quoted(dataset));
    std::vector<double> flops, params;
    for (std::uint32_t r : d.runs) {
      flops.push_back(results_[r].flop);
      params.push_back(results_[r].params);
    }
    if (semantics_ == Semantics::kNats) {
      patch_legacy_costs(d, flops, "flops");
      patch_legacy_costs(d, params, "params");
    }
    return {detail::mean_of(semantics_, flops), detail::mean_of(semantics_, params)};
  }

  /// Python's `get_compute_costs(dataset)`.
  [[nodiscard]] CostInfo get_compute_costs(std::string_view dataset) const {
    const DatasetRuns& d = runs_of(dataset);
    CostInfo c;
    std::vector<double> latencies;
    std::vector<TimeInfo> times;
    for (std::uint32_t r : d.runs) {
      const auto& run = results_[r];
      const double lat = run.get_latency();
      if (lat > 0) latencies.push_back(lat);
      times.push_back(run.get_times());
    }
    std::tie(c.flops, c.params) = flops_and_params(dataset);
    if (!latencies.empty()) c.latency = detail::mean_of(semantics_, latencies);
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
      out.value = detail::mean_of(semantics_, xs);
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
    std::vector<std::string> names;
    for (const auto& d : datasets_) names.push_back(d.name);
    if (std::find(skipped_datasets.begin(), skipped_datasets.end(), dataset) != skipped_datasets.end())
      throw not_loaded("dataset", dataset, "datasets", names);
    throw unavailable_value("dataset", dataset, " for architecture " + std::to_string(arch_index), names);
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
    auto one = [](const EpochInfo& e) {  // one seed's values: Python's int iepoch
      return Metrics{static_cast<double>(e.iepoch), e.loss, e.accuracy, e.cur_time, e.all_time, true};
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
      return detail::sum_of(semantics_, xs, n) / static_cast<double>(n);  // np.mean, or sum() / len()
    };
    m.iepoch = mean_of([](const EpochInfo& e) { return std::optional<double>(e.iepoch); });
    m.loss = mean_of([](const EpochInfo& e) { return std::optional<double>(e.loss); });
    m.accuracy = mean_of([](const EpochInfo& e) { return std::optional<double>(e.accuracy); });
    m.cur_time = mean_of([](const EpochInfo& e) { return e.cur_time; });
    m.all_time = mean_of([](const EpochInfo& e) { return e.all_time; });
    return m;
  }

  /// nats_bench's `fix_legacy_issue`: `values` (one per seed of `d`) becomes
  /// seed 888's value alone when their "%.5f" forms are not all equal.
  static void patch_legacy_costs(const DatasetRuns& d, std::vector<double>& values, const char* what) {
    if (values.size() < 2) return;
    char first[64], other[64];
    std::snprintf(first, sizeof first, "%.5f", values.front());
    bool differ = false;
    for (std::size_t i = 1; i < values.size() && !differ; ++i) {
      std::snprintf(other, sizeof other, "%.5f", values[i]);
      differ = std::string_view(first) != std::string_view(other);
    }
    if (!differ) return;
    const auto it = std::find(d.seeds.begin(), d.seeds.end(), 888);
    if (it == d.seeds.end())
      throw QueryError("the seeds of " + detail::quoted(d.name) + " disagree on " + what +
                       " and nats_bench's patch of legacy values takes seed 888's, which is absent (seeds: " +
                       detail::join(d.seeds, [](int x) { return std::to_string(x); }) + ")");
    values = {values[static_cast<std::size_t>(it - d.seeds.begin())]};
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
  Semantics semantics_ = Semantics::kNasBench201;
};

}  // namespace nasbench
