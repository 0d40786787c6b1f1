#pragma once
/// @file api/basic_api.hpp
/// `BasicAPI`: the benchmark (Python's `NASBench201API` and the NATS APIs):
/// typed tables of every architecture's results, answering every query with
/// the Python API's semantics (docs/semantics.md §5). Torch-free; needs
/// neither nlohmann nor the pickle reader. Loading from files is the io
/// layer's (nasbench/io/load.hpp); nasbench/api.hpp brings both.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "nasbench/api/options.hpp"
#include "nasbench/api/types.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/results.hpp"
#include "nasbench/space/dataset.hpp"
#include "nasbench/space/topology.hpp"

namespace nasbench {

namespace detail {
/// How BasicAPI::load and reload reach the io layer; defined in io/load.hpp.
template <typename Real>
struct Loader;
}  // namespace detail

/// The benchmark: architecture strings in official order and, for each
/// evaluated architecture, its results per schedule (hp).
///
/// @code
/// auto api = nasbench::NASBench201API::load("NAS-Bench-201-v1_1-096897.pth");   // nasbench/api.hpp
/// auto info = api.get_more_info(123, "cifar100", std::nullopt, "200", nasbench::SeedChoice::mean());
/// double test_acc = *info.test->accuracy;
/// auto [best, acc] = api.find_best("cifar10", "test", std::nullopt, std::nullopt, "200");
/// int idx = api.query_index_by_arch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|");
/// @endcode
///
/// Queries are const and may run from many threads at once; those that draw a
/// random seed take a caller's `Random&`, or use the API's own engine under a
/// lock (seed it with `seed()`).
template <typename Real>
class BasicAPI {
 public:
  /// The results of one architecture under one schedule.
  struct HpResults {
    std::string hp;
    ArchResults<Real> results;
  };
  /// Per (hp, dataset, set): every evaluated architecture's seed-mean flops,
  /// params and last-epoch accuracy, or the error Python would raise there.
  /// Built on first use (or read from a cache file); find_best then scans arrays.
  struct Column {
    using Errors = std::vector<std::pair<std::size_t, std::string>>;
    std::vector<int> index;
    std::vector<double> flops, params, accuracy;
    /// (row, message) of the rows whose costs / metric raise a QueryError, by
    /// row (rare: kept apart so that a column is four flat arrays).
    Errors cost_errors, metric_errors;
    /// The message of row `row` in `errors`, or nullptr.
    [[nodiscard]] static const std::string* error_at(const Errors& errors, std::size_t row) {
      const auto it = std::lower_bound(errors.begin(), errors.end(), row,
                                       [](const auto& e, std::size_t r) { return e.first < r; });
      return it != errors.end() && it->first == row ? &it->second : nullptr;
    }
  };
  /// Where the results of an architecture come from on first use, instead of
  /// being loaded up front (cache.hpp: a memory-mapped cache file). Its
  /// methods may be called from several threads at once.
  class Source {
   public:
    virtual ~Source() = default;
    /// Whether architecture `index` has results.
    [[nodiscard]] virtual bool has_results(std::size_t index) const noexcept = 0;
    /// The results of architecture `index` (has_results(index) is true); LoadError when unreadable.
    [[nodiscard]] virtual std::vector<HpResults> load(std::size_t index) const = 0;
    /// A stored find_best column, or nullptr.
    [[nodiscard]] virtual std::shared_ptr<const Column> column(const std::string& hp, const std::string& dataset,
                                                               const std::string& set) const = 0;
  };
  /// Takes the results of every architecture from `source` when first asked
  /// (after set_meta_archs and set_evaluated_indexes); its columns serve find_best until a mutation.
  void set_source_of_results(std::shared_ptr<const Source> source) {
    invalidate();
    source_ = std::move(source);
    ready_ = std::make_unique<std::atomic<std::uint8_t>[]>(meta_archs_.size());
    for (std::size_t i = 0; i < meta_archs_.size(); ++i) ready_[i].store(0, std::memory_order_relaxed);
    source_columns_valid_ = true;
  }
  /// The find_best column of (hp, dataset, set), computed on first use (cache.hpp stores them).
  [[nodiscard]] std::shared_ptr<const Column> best_column(const std::string& hp, const std::string& dataset,
                                                          const std::string& set) const {
    return column(hp, dataset, set);
  }
  /// Takes every architecture from the source now (the tables no longer depend on it).
  void materialize_all() const {
    for (std::size_t i = 0; i < meta_archs_.size(); ++i) ensure(i);
  }

  BasicAPI() = default;
  /// Loads a benchmark file, NATS-Bench directory or cache. The io layer does
  /// the work: include nasbench/api.hpp (or nasbench/io/load.hpp); with
  /// api/basic_api.hpp alone a call does not compile (it names the incomplete
  /// detail::Loader) instead of failing to link.
  template <typename R = Real>
  [[nodiscard]] static BasicAPI load(const std::string& path, const LoadOptions& options = {}) {
    return detail::Loader<R>::load(path, options);
  }
  /// Python's `reload(archive_root, index)`: results (and trained weights) of
  /// `index` (all when nullopt) from `archive_root/NNNNNN-FULL.pth` (io layer, as load()).
  template <typename R = Real>
  void reload(const std::string& archive_root, std::optional<int> index = std::nullopt) {
    detail::Loader<R>::reload(*this, archive_root, index);
  }
  BasicAPI(BasicAPI&& other) noexcept { *this = std::move(other); }
  BasicAPI& operator=(BasicAPI&& other) noexcept {
    meta_archs_ = std::move(other.meta_archs_);
    archstr2index_ = std::move(other.archstr2index_);
    arch2infos_ = std::move(other.arch2infos_);
    evaluated_ = std::move(other.evaluated_);
    skipped_hps_ = std::move(other.skipped_hps_);
    filename_ = std::move(other.filename_);
    name_ = std::move(other.name_);
    used_time_ = other.used_time_;
    rng_ = other.rng_;
    columns_ = std::move(other.columns_);
    source_ = std::move(other.source_);
    ready_ = std::move(other.ready_);
    source_columns_valid_ = other.source_columns_valid_;
    return *this;
  }

  // ---- building (loaders) ------------------------------------------------

  /// Sets the architecture list (`meta_archs`); indexes are positions.
  void set_meta_archs(std::vector<std::string> archs) {
    meta_archs_ = std::move(archs);
    archstr2index_.clear();
    archstr2index_.reserve(meta_archs_.size());
    for (std::size_t i = 0; i < meta_archs_.size(); ++i)
      archstr2index_.emplace(meta_archs_[i], static_cast<int>(i));
    arch2infos_.clear();
    arch2infos_.resize(meta_archs_.size());
    source_.reset();
    ready_.reset();
    invalidate();
  }
  /// Adds the results of architecture `index` under schedule `hp` (in hp order).
  void add_results(int index, std::string hp, ArchResults<Real> results) {
    check_index(index);
    ensure(static_cast<std::size_t>(index));
    invalidate();
    auto& slot = arch2infos_[static_cast<std::size_t>(index)];
    if (!slot) slot = std::make_unique<std::vector<HpResults>>();
    for (auto& h : *slot)
      if (h.hp == hp) {
        h.results = std::move(results);
        return;
      }
    slot->push_back(HpResults{std::move(hp), std::move(results)});
  }
  /// Drops the results of architecture `index`.
  void remove_results(int index) {
    check_index(index);
    ensure(static_cast<std::size_t>(index));
    invalidate();
    arch2infos_[static_cast<std::size_t>(index)].reset();
  }
  /// Sets `evaluated_indexes` (stored sorted, as Python's `find_best` scans them).
  void set_evaluated_indexes(std::vector<int> indexes) {
    std::sort(indexes.begin(), indexes.end());
    indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
    evaluated_ = std::move(indexes);
    invalidate();
  }
  /// Records the schedules a loader left out (LoadOptions::hps), so that queries name them as not loaded.
  void note_skipped_hp(const std::string& hp) {
    if (std::find(skipped_hps_.begin(), skipped_hps_.end(), hp) == skipped_hps_.end()) skipped_hps_.push_back(hp);
  }
  /// The file name shown by `repr()`.
  [[nodiscard]] const std::string& filename() const noexcept { return filename_; }
  /// The class name shown by `repr()` (`NASBench201API`, `NATStopology`, ...).
  [[nodiscard]] const std::string& class_name() const noexcept { return name_; }
  /// Sets the file name shown by `repr()` and the class name (`NASBench201API`, `NATStopology`, ...).
  void set_source(std::string filename, std::string class_name = "NASBench201API") {
    filename_ = std::move(filename);
    name_ = std::move(class_name);
  }

  // ---- the architecture list ----------------------------------------------

  /// Python's `len(api)`: number of architectures in the list.
  [[nodiscard]] std::size_t size() const noexcept { return meta_archs_.size(); }
  /// Python's `api.arch(i)`: the architecture string of index `i` (0 <= i < size()).
  [[nodiscard]] const std::string& arch(long long index) const {
    check_index(index);
    return meta_archs_[static_cast<std::size_t>(index)];
  }
  /// Same as arch().
  [[nodiscard]] const std::string& operator[](long long index) const { return arch(index); }
  /// Every architecture string (`meta_archs`).
  [[nodiscard]] const std::vector<std::string>& meta_archs() const noexcept { return meta_archs_; }
  /// The evaluated indexes, ascending.
  [[nodiscard]] const std::vector<int>& evaluated_indexes() const noexcept { return evaluated_; }
  /// Whether architecture `index` has results.
  [[nodiscard]] bool has_results(long long index) const noexcept {
    if (index < 0 || static_cast<std::size_t>(index) >= arch2infos_.size()) return false;
    const auto i = static_cast<std::size_t>(index);
    if (source_ && !ready_[i].load(std::memory_order_acquire)) return source_->has_results(i);
    return arch2infos_[i] != nullptr;
  }
  /// The schedules (hps) of architecture `index`, in load order.
  [[nodiscard]] std::vector<std::string> hps(long long index) const {
    std::vector<std::string> out;
    for (const auto& h : entry(index)) out.push_back(h.hp);
    return out;
  }

  /// Python's `query_index_by_arch`: an index in range is returned as is (out
  /// of range: QueryError); a string or Structure gives its index or -1.
  [[nodiscard]] int query_index_by_arch(const ArchRef& arch) const {
    if (const long long* i = arch.index()) {
      check_index(*i);
      return static_cast<int>(*i);
    }
    const auto it = archstr2index_.find(*arch.str());
    return it == archstr2index_.end() ? -1 : it->second;
  }

  /// Python's `query_meta_info_by_index(index, hp)`.
  [[nodiscard]] const ArchResults<Real>& query_meta_info_by_index(const ArchRef& arch, const Hp& hp = "12") const {
    const int index = query_index_by_arch(arch);
    for (const auto& h : entry(index))
      if (h.hp == hp.str()) return h.results;
    std::vector<std::string> hps;
    for (const auto& h : entry(index)) hps.push_back(h.hp);
    if (std::find(skipped_hps_.begin(), skipped_hps_.end(), hp.str()) != skipped_hps_.end())
      throw not_loaded("hp", hp.str(), "hps", hps);
    throw unavailable_value("hp", hp.str(), " for architecture " + std::to_string(index), hps);
  }
  /// The ArchResults of `index` under `hp`, for the mutators Python allows on
  /// it (`reset_latency`, `reset_pseudo_train_times`, ...). Not thread-safe
  /// against concurrent queries.
  [[nodiscard]] ArchResults<Real>& mutable_meta_info_by_index(const ArchRef& arch, const Hp& hp = "12") {
    const auto& results = query_meta_info_by_index(arch, hp);
    invalidate();
    return const_cast<ArchResults<Real>&>(results);
  }

  /// NATS-Bench's `get_unique_str(index)`: the isomorphism key
  /// (`to_unique_str(consider_zero=True)`) of an architecture.
  [[nodiscard]] std::string get_unique_str(const ArchRef& arch) const {
    return Structure::parse(this->arch(query_index_by_arch(arch))).to_unique_str(true);
  }

  /// Python's `query_by_index(index, dataname, hp)` with a dataset: seed -> run.
  [[nodiscard]] std::vector<std::pair<int, const ResultsCount<Real>*>> query_by_index(const ArchRef& arch,
                                                                                      std::string_view dataset,
                                                                                      const Hp& hp = "12") const {
    return query_meta_info_by_index(arch, hp).query(dataset);
  }

  // ---- queries --------------------------------------------------------------

  /// Python's `get_more_info(index, dataset, iepoch, hp, is_random)`, drawing a
  /// random seed (when `is_random` is SeedChoice::random()) from `rng`.
  [[nodiscard]] MoreInfo get_more_info(const ArchRef& arch, std::string_view dataset, std::optional<int> iepoch,
                                       const Hp& hp, SeedChoice is_random, Random& rng) const {
    const int index = query_index_by_arch(arch);
    if (!has_results(index))
      throw QueryError("architecture " + std::to_string(index) + " has no results (not evaluated)");
    const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
    if (is_random.kind() == SeedChoice::Kind::kRandom) {  // one seed for every field
      const auto& seeds = ar.get_dataset_seeds(dataset);
      if (seeds.empty()) throw QueryError("no seed for " + detail::quoted(dataset));
      is_random = SeedChoice::seed(seeds[static_cast<std::size_t>(rng.randbelow(seeds.size()))]);
    }
    const Metrics train = ar.get_metrics(dataset, "train", iepoch, is_random, &rng);
    const double total = *train.iepoch + 1;
    auto summary = [&](const Metrics& m) {
      return SetSummary{m.loss, m.accuracy, m.all_time ? std::optional<double>(*m.all_time / total) : std::nullopt,
                        m.all_time};
    };
    auto attempt = [&](std::string_view set) -> std::optional<SetSummary> {
      // Python's `try: ... except: ... = None`, without paying for an exception each time.
      try {
        const std::optional<Metrics> m = ar.try_get_metrics(dataset, set, iepoch, is_random, &rng);
        return m ? std::optional<SetSummary>(summary(*m)) : std::nullopt;
      } catch (const QueryError&) {
        return std::nullopt;
      }
    };
    MoreInfo info;
    info.train = summary(train);
    if (dataset == "cifar10-valid") {
      info.valid = summary(ar.get_metrics(dataset, "x-valid", iepoch, is_random, &rng));
      info.test = attempt("ori-test");
    } else {
      info.test = attempt(dataset == "cifar10" ? "ori-test" : "x-test");
      info.valid = attempt("x-valid");
      if (dataset != "cifar10") info.valtest = attempt("ori-test");
    }
    return info;
  }
  /// get_more_info() with the API's own engine (see seed()).
  [[nodiscard]] MoreInfo get_more_info(const ArchRef& arch, std::string_view dataset,
                                       std::optional<int> iepoch = std::nullopt, const Hp& hp = "12",
                                       SeedChoice is_random = SeedChoice::random()) const {
    if (is_random.kind() != SeedChoice::Kind::kRandom) return get_more_info(arch, dataset, iepoch, hp, is_random, dummy_rng());
    std::lock_guard<std::mutex> lock(rng_mutex_);
    return get_more_info(arch, dataset, iepoch, hp, is_random, rng_);
  }

  /// Python's `get_cost_info(index, dataset, hp)`.
  [[nodiscard]] CostInfo get_cost_info(const ArchRef& arch, std::string_view dataset, const Hp& hp = "12") const {
    return query_meta_info_by_index(arch, hp).get_compute_costs(dataset);
  }
  /// Python's `get_latency(index, dataset, hp)`: the `latency` of get_cost_info.
  [[nodiscard]] std::optional<double> get_latency(const ArchRef& arch, std::string_view dataset,
                                                  const Hp& hp = "12") const {
    return get_cost_info(arch, dataset, hp).latency;
  }

  /// Python's `remap_dataset_set_names` (space/dataset.hpp): the (dataset, set) `find_best` really reads.
  [[nodiscard]] static std::pair<std::string, std::string> remap_dataset_set_names(std::string_view dataset,
                                                                                   std::string_view set) {
    return nasbench::remap_dataset_set_names(dataset, set);
  }

  /// Python's `find_best(dataset, metric_on_set, FLOP_max, Param_max, hp)`:
  /// the evaluated architecture with the highest seed-mean accuracy at the last
  /// epoch, among those with flops <= FLOP_max and params <= Param_max; ties
  /// keep the lowest index; `{-1, nullopt}` when nothing qualifies.
  [[nodiscard]] BestArch find_best(std::string_view dataset, std::string_view metric_on_set,
                                   std::optional<double> flop_max = std::nullopt,
                                   std::optional<double> param_max = std::nullopt, const Hp& hp = "12") const {
    const auto [ds, set] = remap_dataset_set_names(dataset, metric_on_set);
    const std::shared_ptr<const Column> col = column(hp.str(), ds, set);
    BestArch best;
    // Rows in order: a cost error raises where it is met (the constraints need
    // the costs), a metric error only in a row the constraints keep.
    const std::size_t first_cost_error =
        col->cost_errors.empty() ? col->index.size() : col->cost_errors.front().first;
    std::size_t me = 0;  // the next metric error, by row
    for (std::size_t i = 0; i < col->index.size(); ++i) {
      if (i == first_cost_error) throw QueryError(col->cost_errors.front().second);
      while (me < col->metric_errors.size() && col->metric_errors[me].first < i) ++me;
      if (flop_max && col->flops[i] > *flop_max) continue;
      if (param_max && col->params[i] > *param_max) continue;
      if (me < col->metric_errors.size() && col->metric_errors[me].first == i) throw QueryError(col->metric_errors[me].second);
      const double accuracy = col->accuracy[i];
      if (best.index == -1 || *best.accuracy < accuracy) {
        best.index = col->index[i];
        best.accuracy = accuracy;
      }
    }
    return best;
  }

  /// Python's `statistics(dataset, hp)`: number of seeds -> number of
  /// architectures (0: the dataset is absent), over the evaluated architectures.
  [[nodiscard]] std::map<int, int> statistics(std::string_view dataset, const Hp& hp) const {
    const auto& valid = benchmark_datasets();
    if (std::find(valid.begin(), valid.end(), dataset) == valid.end())
      throw unknown_value("dataset", dataset, valid);
    std::map<int, int> counts;
    for (int index : evaluated_) {
      if (!has_results(index)) throw QueryError("evaluated index " + std::to_string(index) + " has no results");
      const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
      counts[ar.has_dataset(dataset) ? static_cast<int>(ar.get_dataset_seeds(dataset).size()) : 0] += 1;
    }
    return counts;
  }

  /// Python's `get_net_config(index, dataset)`: the config of the first hp's first seed.
  [[nodiscard]] NetConfig get_net_config(const ArchRef& arch, std::string_view dataset) const {
    const int index = query_index_by_arch(arch);
    const auto& hps = entry(index);
    if (hps.empty()) throw QueryError("architecture " + std::to_string(index) + " has no results");
    const auto runs = hps.front().results.query(dataset);
    if (runs.empty())
      throw QueryError("can not find one valid trial for the " + std::to_string(index) + "-th architecture on " +
                       std::string(dataset));
    return runs.front().second->get_config();
  }

  /// Python's `simulate_train_eval(arch, dataset, iepoch, hp, account_time)`:
  /// one random seed's validation accuracy (cifar10 reads cifar10-valid), the
  /// latency, and the time the trial cost; accumulates used_time() when
  /// `account_time`. When the valid set is missing at `iepoch` (NATS v1.5
  /// behaviour) it reports `valtest-accuracy` and the last epoch's time.
  SimulatedTrial simulate_train_eval(const ArchRef& arch, std::string_view dataset,
                                     std::optional<int> iepoch = std::nullopt, const Hp& hp = "12",
                                     bool account_time = true) {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    return simulate_train_eval(arch, dataset, iepoch, hp, account_time, rng_);
  }
  /// simulate_train_eval() drawing from `rng`.
  SimulatedTrial simulate_train_eval(const ArchRef& arch, std::string_view dataset, std::optional<int> iepoch,
                                     const Hp& hp, bool account_time, Random& rng) {
    const int index = query_index_by_arch(arch);
    if (dataset != "cifar10" && dataset != "cifar100" && dataset != "ImageNet16-120")
      throw QueryError("invalid dataset name " + detail::quoted(dataset) + " for simulate_train_eval" +
                       expected_one_of(std::initializer_list<std::string_view>{"cifar10", "cifar100", "ImageNet16-120"}));
    const std::string_view ds = dataset == "cifar10" ? std::string_view("cifar10-valid") : dataset;
    MoreInfo info = get_more_info(index, ds, iepoch, hp, SeedChoice::random(), rng);
    SimulatedTrial t;
    if (info.valid && info.valid->accuracy) {
      t.valid_accuracy = info.valid->accuracy;
      t.time_cost = info.train.all_time.value_or(0) + info.valid->per_time.value_or(0);
    } else {
      if (!info.valtest) throw QueryError("no valid or valtest results for " + detail::quoted(dataset));
      t.valid_accuracy = info.valtest->accuracy;
      const MoreInfo last = get_more_info(index, ds, std::nullopt, hp, SeedChoice::random(), rng);
      const auto& per = last.valid ? last.valid->per_time : last.valtest->per_time;
      t.time_cost = last.train.all_time.value_or(0) + per.value_or(0);
    }
    t.latency = get_latency(index, dataset);
    if (account_time) used_time_ += t.time_cost;
    t.used_time = used_time_;
    return t;
  }
  /// The time accumulated by simulate_train_eval().
  [[nodiscard]] double used_time() const noexcept { return used_time_; }
  /// Python's `reset_time()`.
  void reset_time() noexcept { used_time_ = 0; }

  /// Python's `get_net_param(index, dataset, seed, hp)`: the trained weights of
  /// one run, nullptr when the file holds none (the `-simple` releases).
  /// nasbench::nn::to_state_dict() turns them into tensors.
  [[nodiscard]] const NetState* get_net_param(const ArchRef& arch, std::string_view dataset, int seed,
                                              const Hp& hp = "12") const {
    return query_meta_info_by_index(arch, hp).get_net_param(dataset, seed);
  }
  /// Python's `get_net_param(index, dataset, None, hp)`: seed -> weights.
  [[nodiscard]] std::vector<std::pair<int, const NetState*>> get_net_param(const ArchRef& arch,
                                                                           std::string_view dataset,
                                                                           const Hp& hp = "12") const {
    return query_meta_info_by_index(arch, hp).get_net_param(dataset);
  }

  /// Python's `clear_params(index, hp)`: forget trained weights.
  void clear_params(const ArchRef& arch, std::optional<Hp> hp = std::nullopt) {
    const int index = query_index_by_arch(arch);
    for (auto& h : mutable_entry(index))
      if (!hp || h.hp == hp->str()) h.results.clear_params();
  }

  /// Seeds the API's own engine (Python's `random.seed(s)`).
  void seed(std::uint64_t s) {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    rng_ = Random(s);
  }

  // ---- text reports ------------------------------------------------------------

  /// Python's `repr(api)`.
  [[nodiscard]] std::string repr() const {
    return name_ + "(" + std::to_string(evaluated_.size()) + "/" + std::to_string(meta_archs_.size()) +
           " architectures, file=" + filename_ + ")";
  }

  /// Python's `query_info_str_by_arch(arch, hp)`; nullopt for an architecture without results.
  [[nodiscard]] std::optional<std::string> query_info_str_by_arch(const ArchRef& arch, const Hp& hp = "12") const {
    const int index = query_index_by_arch(arch);
    if (!has_results(index)) return std::nullopt;
    const auto lines = print_information(query_meta_info_by_index(index, hp), "arch-index=" + std::to_string(index));
    return detail::join(lines, [](const std::string& s) { return s; }, "\n");
  }

  /// Python's `show(index)` as text (what Python prints); index -1 shows every evaluated architecture.
  [[nodiscard]] std::string show(long long index = -1) const {
    std::string out;
    auto arch_block = [&](int idx) {
      for (const auto& h : entry(idx)) {
        char head[64];
        std::snprintf(head, sizeof head, " %03d epochs ", h.results.get_total_epoch());
        out += std::string(40, '>') + head + std::string(40, '>') + "\n";
        out += detail::join(print_information(h.results, std::nullopt), [](const std::string& s) { return s; }, "\n") + "\n";
        out += std::string(40, '<') + "------------" + std::string(40, '<') + "\n";
      }
    };
    if (index < 0) {
      out += repr() + "\n";
      for (std::size_t i = 0; i < evaluated_.size(); ++i) {
        char head[128];
        std::snprintf(head, sizeof head, " The (%5zu/%5zu) %06d-th architecture! ", i, evaluated_.size(), evaluated_[i]);
        out += "\n" + std::string(10, '-') + head + std::string(10, '-') + "\n";
        out += "arch : " + meta_archs_.at(static_cast<std::size_t>(evaluated_[i])) + "\n";
        arch_block(evaluated_[i]);
      }
    } else if (static_cast<std::size_t>(index) < meta_archs_.size()) {
      if (!has_results(index))
        out += "The " + std::to_string(index) + "-th architecture has not been evaluated or not saved.\n";
      else
        arch_block(static_cast<int>(index));
    } else {
      out += "This index (" + std::to_string(index) + ") is out of range (0~" + std::to_string(meta_archs_.size()) + ").\n";
    }
    return out;
  }

  /// Python's `print_information(archresult, extra_info)`: the text report lines.
  [[nodiscard]] static std::vector<std::string> print_information(const ArchResults<Real>& info,
                                                                  std::optional<std::string> extra_info) {
    const auto names = info.get_dataset_names();
    std::string list = "[";
    for (std::size_t i = 0; i < names.size(); ++i) list += (i ? ", '" : "'") + names[i] + "'";
    list += "]";
    std::vector<std::string> lines{info.arch_str, "datasets : " + list + ", extra-info : " + extra_info.value_or("None")};
    auto metric2str = [](const Metrics& m) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "loss = %.3f, top1 = %.2f%%", m.loss.value_or(NAN), m.accuracy.value_or(NAN));
      return std::string(buf);
    };
    for (const auto& ds : names) {
      const CostInfo cost = info.get_compute_costs(ds);
      std::string lat = "None";
      if (cost.latency && *cost.latency > 0) {
        char b[64];
        std::snprintf(b, sizeof b, "%.2f", *cost.latency * 1000);
        lat = b;
      }
      char line1[256];
      std::snprintf(line1, sizeof line1, "%-14s FLOP=%6.2f M, Params=%.3f MB, latency=%s ms.", ds.c_str(), cost.flops,
                    cost.params, lat.c_str());
      const Metrics train = info.get_metrics(ds, "train", std::nullopt, SeedChoice::mean());
      std::string line2;
      char pad[32];
      std::snprintf(pad, sizeof pad, "%-14s", ds.c_str());
      if (ds == "cifar10-valid") {
        line2 = std::string(pad) + " train : [" + metric2str(train) + "], valid : [" +
                metric2str(info.get_metrics(ds, "x-valid", std::nullopt, SeedChoice::mean())) + "]";
      } else if (ds == "cifar10") {
        line2 = std::string(pad) + " train : [" + metric2str(train) + "], test  : [" +
                metric2str(info.get_metrics(ds, "ori-test", std::nullopt, SeedChoice::mean())) + "]";
      } else {
        line2 = std::string(pad) + " train : [" + metric2str(train) + "], valid : [" +
                metric2str(info.get_metrics(ds, "x-valid", std::nullopt, SeedChoice::mean())) + "], test : [" +
                metric2str(info.get_metrics(ds, "x-test", std::nullopt, SeedChoice::mean())) + "]";
      }
      lines.push_back(line1);
      lines.push_back(line2);
    }
    return lines;
  }

  /// Python's static `str2lists`.
  [[nodiscard]] static std::vector<NodeEdges> str2lists(std::string_view arch) { return nasbench::str2lists(arch); }
  /// Python's static `str2matrix`.
  [[nodiscard]] static std::vector<std::vector<int>> str2matrix(std::string_view arch) {
    return nasbench::str2matrix(arch);
  }

 private:
  void check_index(long long index) const {
    if (index < 0 || static_cast<std::size_t>(index) >= meta_archs_.size())
      throw QueryError("invalid architecture index " + std::to_string(index) + " (expected 0.." +
                       std::to_string(static_cast<long long>(meta_archs_.size()) - 1) + ")");
  }
  const std::vector<HpResults>& entry(long long index) const {
    check_index(index);
    ensure(static_cast<std::size_t>(index));
    const auto& slot = arch2infos_[static_cast<std::size_t>(index)];
    if (!slot) throw QueryError("architecture " + std::to_string(index) + " has no results (not evaluated)");
    return *slot;
  }
  std::vector<HpResults>& mutable_entry(long long index) {
    (void)entry(index);
    return *arch2infos_[static_cast<std::size_t>(index)];
  }
  static Random& dummy_rng() {
    thread_local Random r(0);  // never drawn from: only SeedChoice::random() draws
    return r;
  }

  std::shared_ptr<const Column> column(const std::string& hp, const std::string& ds, const std::string& set) const {
    const std::string key = hp + '\n' + ds + '\n' + set;
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = columns_.find(key); it != columns_.end()) return it->second;
    if (source_ && source_columns_valid_)
      if (std::shared_ptr<const Column> stored = source_->column(hp, ds, set)) {
        columns_.emplace(key, stored);
        return stored;
      }
    auto col = std::make_shared<Column>();
    for (int index : evaluated_) {
      col->index.push_back(index);
      double flops = 0, params = 0, accuracy = 0;
      std::string cost_error, metric_error;
      try {
        if (!has_results(index)) throw QueryError("evaluated index " + std::to_string(index) + " has no results");
        const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
        const auto& d = ar.runs_of(ds);
        if (d.runs.empty()) throw QueryError("no run of " + detail::quoted(ds) + " in architecture " + std::to_string(index));
        std::vector<double> fv, pv;
        for (std::uint32_t r : d.runs) {
          fv.push_back(ar.results()[r].flop);
          pv.push_back(ar.results()[r].params);
        }
        flops = detail::numpy_mean(fv);
        params = detail::numpy_mean(pv);
        try {
          accuracy = ar.get_metrics(ds, set, std::nullopt, SeedChoice::mean()).accuracy.value_or(NAN);
        } catch (const QueryError& e) {
          metric_error = e.message();
        }
      } catch (const QueryError& e) {
        cost_error = e.message();
      }
      col->flops.push_back(flops);
      col->params.push_back(params);
      col->accuracy.push_back(accuracy);
      const std::size_t row = col->index.size() - 1;
      if (!cost_error.empty()) col->cost_errors.emplace_back(row, std::move(cost_error));
      if (!metric_error.empty()) col->metric_errors.emplace_back(row, std::move(metric_error));
    }
    columns_.emplace(key, col);
    return col;
  }
  void invalidate() {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    columns_.clear();
    source_columns_valid_ = false;  // the source's columns describe the results as opened
  }
  /// Materializes architecture `index` from the source, once (thread-safe).
  void ensure(std::size_t index) const {
    if (!source_ || ready_[index].load(std::memory_order_acquire)) return;
    std::lock_guard<std::mutex> lock(source_mutex_);
    if (ready_[index].load(std::memory_order_relaxed)) return;
    if (source_->has_results(index))
      arch2infos_[index] = std::make_unique<std::vector<HpResults>>(source_->load(index));
    ready_[index].store(1, std::memory_order_release);
  }

  std::vector<std::string> meta_archs_;
  std::unordered_map<std::string, int> archstr2index_;
  mutable std::vector<std::unique_ptr<std::vector<HpResults>>> arch2infos_;  ///< filled lazily from source_
  std::vector<int> evaluated_;
  std::vector<std::string> skipped_hps_;  ///< left out by LoadOptions::hps
  std::string filename_, name_ = "NASBench201API";
  double used_time_ = 0;
  mutable std::mutex rng_mutex_;
  mutable Random rng_{0};
  mutable std::mutex cache_mutex_;
  mutable std::map<std::string, std::shared_ptr<const Column>> columns_;
  std::shared_ptr<const Source> source_;  ///< where architectures come from on first use (a cache file), or null
  std::unique_ptr<std::atomic<std::uint8_t>[]> ready_;  ///< per architecture: taken from source_
  bool source_columns_valid_ = false;
  mutable std::mutex source_mutex_;
};

/// The API with double-precision tables (exact values).
using NASBench201API = BasicAPI<double>;
/// The API with single-precision tables (half the memory, values rounded to float).
using NASBench201APIFloat = BasicAPI<float>;

}  // namespace nasbench
