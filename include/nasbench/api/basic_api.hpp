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
#include "nasbench/api/provider.hpp"
#include "nasbench/api/types.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/results.hpp"
#include "nasbench/space/dataset.hpp"
#include "nasbench/space/search_space.hpp"
#include "nasbench/space/size.hpp"
#include "nasbench/space/topology.hpp"

namespace nasbench {

namespace detail {
/// How BasicAPI::load and reload reach the io layer; defined in io/load.hpp.
template <typename Real>
struct Loader;

/// A mutex that a move does not carry: the moved-to object gets a fresh one,
/// so that BasicAPI's moves can be defaulted (no lock is held across a move).
struct MovableMutex : std::mutex {
  MovableMutex() = default;
  MovableMutex(MovableMutex&&) noexcept : std::mutex() {}
  MovableMutex& operator=(MovableMutex&&) noexcept { return *this; }
};

/// An atomic counter that a move copies (BasicAPI's moves stay defaulted).
struct MovableCounter {
  std::atomic<std::uint64_t> value{0};
  MovableCounter() = default;
  MovableCounter(MovableCounter&& o) noexcept : value(o.value.load()) {}
  MovableCounter& operator=(MovableCounter&& o) noexcept {
    value.store(o.value.load());
    return *this;
  }
};
}  // namespace detail

/// The benchmark: architecture strings in official order and, for each
/// evaluated architecture, its results per schedule (hp). A NAS-Bench-201
/// `.pth` answers as Python's `NASBench201API` (nas_201_api); a NATS-Bench
/// file or directory as `NATStopology` / `NATSsize` (nats_bench v1.8, whose
/// differences are listed in docs/semantics.md §7): semantics() tells which.
///
/// @code
/// auto api = nasbench::NASBench201API::load("NAS-Bench-201-v1_1-096897.pth");   // nasbench/api.hpp
/// auto info = api.get_more_info(123, "cifar100", std::nullopt, "200", nasbench::SeedChoice::mean());
/// double test_acc = *info.test->accuracy;
/// auto [best, acc] = api.find_best("cifar10", "test", std::nullopt, std::nullopt, "200");
/// int idx = api.query_index_by_arch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|");
///
/// auto sss = nasbench::create("NATS-sss-v1_0-50262-simple", "sss", /*fast_mode=*/true);  // nasbench/api.hpp
/// auto info2 = sss.get_more_info("8:8:8:16:32", "cifar10", std::nullopt, "90", nasbench::SeedChoice::mean());
/// std::string comment = *info2.comment;  // nats_bench's explanation of the keys
/// @endcode
///
/// Architecture indexes: results give them as `int` (Python's int; the
/// 15,625 and 32,768 architectures of both spaces fit), arguments take any
/// integer (`ArchRef`, or `long long` where only an index makes sense) so that
/// a value out of range is reported as it is, never truncated; positions in
/// the space's enumeration (space/) are `std::size_t`.
///
/// Queries are const and may run from many threads at once; those that draw a
/// random seed take a caller's `Random&`, or use the API's own engine under a
/// lock (seed it with `seed()`).
template <typename Real>
class BasicAPI {
 public:
  /// The results of one architecture under one schedule (api/provider.hpp).
  using HpResults = nasbench::HpResults<Real>;
  /// A find_best column (api/provider.hpp).
  using Column = BestColumn;
  /// Where results come from on first use (api/provider.hpp).
  using Source = ResultsProvider<Real>;

  /// Takes the results of every architecture from `source` when first asked
  /// (after set_meta_archs and set_evaluated_indexes); its columns serve find_best until a mutation.
  void set_source_of_results(std::shared_ptr<const Source> source);
  /// The find_best column of (hp, dataset, set), computed on first use (cache.hpp stores them).
  [[nodiscard]] std::shared_ptr<const Column> best_column(const std::string& hp, const std::string& dataset,
                                                          const std::string& set) const;
  /// Takes every architecture from the source now (the tables no longer depend on it).
  void materialize_all() const;

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
  BasicAPI(BasicAPI&&) noexcept = default;
  BasicAPI& operator=(BasicAPI&&) noexcept = default;

  // ---- building (loaders) ------------------------------------------------

  /// Sets the architecture list (`meta_archs`); indexes are positions.
  void set_meta_archs(std::vector<std::string> archs);
  /// Adds the results of architecture `index` under schedule `hp` (in hp order).
  void add_results(int index, std::string hp, ArchResults<Real> results);
  /// Drops the results of architecture `index`.
  void remove_results(int index);
  /// Sets `evaluated_indexes` (stored sorted, as Python's `find_best` scans them).
  void set_evaluated_indexes(std::vector<int> indexes);
  /// Records the schedules a loader left out (LoadOptions::hps), so that queries name them as not loaded.
  void note_skipped_hp(const std::string& hp);
  /// The file name shown by `repr()`.
  [[nodiscard]] const std::string& filename() const noexcept { return filename_; }
  /// The class name shown by `repr()` (`NASBench201API`, `NATStopology`, ...).
  [[nodiscard]] const std::string& class_name() const noexcept { return name_; }
  /// Sets the file name shown by `repr()` and the class name, which decides
  /// the semantics and space: `NASBench201API` (nas_201_api, topology),
  /// `NATStopology` or `NATSsize` (nats_bench). Every result held takes them.
  void set_source(std::string filename, std::string class_name = "NASBench201API");
  /// The class name of an API with these semantics and space.
  [[nodiscard]] static std::string class_name_of(Semantics semantics, SearchSpace space);

  // ---- the architecture list ----------------------------------------------

  /// Python's `len(api)`: number of architectures in the list.
  [[nodiscard]] std::size_t size() const noexcept { return meta_archs_.size(); }
  /// Python's `api.arch(i)`: the architecture string of index `i` (0 <= i < size()).
  [[nodiscard]] const std::string& arch(long long index) const;
  /// Same as arch().
  [[nodiscard]] const std::string& operator[](long long index) const { return arch(index); }
  /// Every architecture string (`meta_archs`).
  [[nodiscard]] const std::vector<std::string>& meta_archs() const noexcept { return meta_archs_; }
  /// The evaluated indexes, ascending (in fast mode: those loaded so far, as
  /// nats_bench's `evaluated_indexes`).
  [[nodiscard]] std::vector<int> evaluated_indexes() const;
  /// Whether architecture `index` has results.
  [[nodiscard]] bool has_results(long long index) const noexcept;
  /// The schedules (hps) of architecture `index`, in load order.
  [[nodiscard]] std::vector<std::string> hps(long long index) const;
  /// The schedules of the evaluated architectures, each once, in first-seen
  /// order (what `nasbench info` lists; a cache stores them).
  [[nodiscard]] std::vector<std::string> evaluated_hps() const;

  /// Python's `query_index_by_arch`: an index in range is returned as is (out
  /// of range: QueryError); a string or Structure gives its index or -1 (a
  /// malformed string, too: a channels string of the size space, say).
  [[nodiscard]] int query_index_by_arch(const ArchRef& arch) const;

  /// Python's `query_meta_info_by_index(index, hp)`.
  [[nodiscard]] const ArchResults<Real>& query_meta_info_by_index(const ArchRef& arch, const Hp& hp = "12") const;
  /// The ArchResults of `index` under `hp`, for the mutators Python allows on
  /// it (`reset_latency`, `reset_pseudo_train_times`, ...). Not thread-safe
  /// against concurrent queries.
  [[nodiscard]] ArchResults<Real>& mutable_meta_info_by_index(const ArchRef& arch, const Hp& hp = "12");

  /// NATS-Bench's `get_unique_str(index)`: the isomorphism key
  /// (`to_unique_str(consider_zero=True)`) of an architecture; topology space
  /// only (QueryError in the size space, where Python has no such method).
  [[nodiscard]] std::string get_unique_str(const ArchRef& arch) const;

  /// Python's `query_by_index(index, dataname, hp)` with a dataset: seed -> run.
  [[nodiscard]] std::vector<std::pair<int, const ResultsCount<Real>*>> query_by_index(const ArchRef& arch,
                                                                                      std::string_view dataset,
                                                                                      const Hp& hp = "12") const;

  // ---- queries --------------------------------------------------------------

  /// Python's `get_more_info(index, dataset, iepoch, hp, is_random)`, drawing a
  /// random seed (when `is_random` is SeedChoice::random()) from `rng`.
  [[nodiscard]] MoreInfo get_more_info(const ArchRef& arch, std::string_view dataset, std::optional<int> iepoch,
                                       const Hp& hp, SeedChoice is_random, Random& rng) const;
  /// get_more_info() with the API's own engine (see seed()).
  [[nodiscard]] MoreInfo get_more_info(const ArchRef& arch, std::string_view dataset,
                                       std::optional<int> iepoch = std::nullopt, const Hp& hp = "12",
                                       SeedChoice is_random = SeedChoice::random()) const;

  /// Python's `get_cost_info(index, dataset, hp)`.
  [[nodiscard]] CostInfo get_cost_info(const ArchRef& arch, std::string_view dataset, const Hp& hp = "12") const;
  /// Python's `get_latency(index, dataset, hp)`: the `latency` of get_cost_info.
  [[nodiscard]] std::optional<double> get_latency(const ArchRef& arch, std::string_view dataset,
                                                  const Hp& hp = "12") const;

  /// Python's `remap_dataset_set_names` (space/dataset.hpp): the (dataset, set) `find_best` really reads.
  [[nodiscard]] static std::pair<std::string, std::string> remap_dataset_set_names(std::string_view dataset,
                                                                                   std::string_view set);

  /// Python's `find_best(dataset, metric_on_set, FLOP_max, Param_max, hp)`
  /// (nats_bench: `flop_max`, `param_max`, `enforce_all`): the evaluated
  /// architecture with the highest seed-mean accuracy at the last epoch, among
  /// those with flops <= flop_max and params <= param_max; ties keep the lowest
  /// index; `{-1, nullopt}` when nothing qualifies. `enforce_all` (default:
  /// fast_mode()) first loads every architecture the fast-mode directory has a
  /// file for; without fast mode everything is loaded already, so it changes
  /// nothing (Python asserts there; NATS-Bench issue #7: it also fails on the
  /// first architecture without a file, where nasbench scans those that have one).
  [[nodiscard]] BestArch find_best(std::string_view dataset, std::string_view metric_on_set,
                                   std::optional<double> flop_max = std::nullopt,
                                   std::optional<double> param_max = std::nullopt, const Hp& hp = "12",
                                   std::optional<bool> enforce_all = std::nullopt) const;

  /// Python's `statistics(dataset, hp)`: number of seeds -> number of
  /// architectures (0: the dataset is absent), over the evaluated architectures.
  [[nodiscard]] std::map<int, int> statistics(std::string_view dataset, const Hp& hp) const;

  /// Python's `get_net_config(index, dataset)`: the config of the first hp's first seed.
  [[nodiscard]] NetConfig get_net_config(const ArchRef& arch, std::string_view dataset) const;

  /// Python's `simulate_train_eval(arch, dataset, iepoch, hp, account_time)`:
  /// one random seed's validation accuracy (cifar10 reads cifar10-valid), the
  /// latency (`get_latency(index, dataset, hp)`), and the time the trial cost
  /// (`train-all-time + valid-per-time`); accumulates used_time() when
  /// `account_time`. When the valid set is missing at `iepoch` (cifar100 and
  /// ImageNet16-120 before the last epoch of the 200-epoch data), the accuracy
  /// is `valtest-accuracy` and the time `train-all-time` at `iepoch` plus
  /// `valid-per-time` of a second get_more_info at the last epoch (drawing its
  /// own seed), as both Python APIs do.
  SimulatedTrial simulate_train_eval(const ArchRef& arch, std::string_view dataset,
                                     std::optional<int> iepoch = std::nullopt, const Hp& hp = "12",
                                     bool account_time = true);
  /// simulate_train_eval() drawing from `rng`.
  SimulatedTrial simulate_train_eval(const ArchRef& arch, std::string_view dataset, std::optional<int> iepoch,
                                     const Hp& hp, bool account_time, Random& rng);
  /// simulate_train_eval() drawing from `rng` that adds the trial's time to the
  /// caller's `account` instead of used_time() (`used_time` of the answer is the
  /// account's new total). Const and touches no shared state: concurrent search
  /// runs each keep their own account.
  SimulatedTrial simulate_train_eval(const ArchRef& arch, std::string_view dataset, std::optional<int> iepoch,
                                     const Hp& hp, TimeAccount& account, Random& rng) const;
  /// What simulate_train_eval(index, dataset, iepoch, hp, account, rng) can
  /// answer, one trial per seed of the dataset in get_dataset_seeds() order
  /// (its draw is `rng.randbelow(n)` of them; `used_time` 0): for callers that
  /// simulate one architecture many times, such as many search runs. nullopt
  /// where simulate_train_eval draws otherwise or raises (no results, no seed,
  /// the valtest fallback, a missing time or latency): call it then.
  [[nodiscard]] std::optional<std::vector<SimulatedTrial>> simulated_trials(int index, std::string_view dataset,
                                                                           std::optional<int> iepoch,
                                                                           const Hp& hp) const;
  /// The time accumulated by simulate_train_eval() (Python's `used_time`).
  [[nodiscard]] double used_time() const noexcept { return used_time_; }
  /// Python's `reset_time()`.
  void reset_time() noexcept { used_time_ = 0; }

  /// nats_bench's `random()`: a uniformly random index (`random.randint(0, len-1)`).
  [[nodiscard]] int random(Random& rng) const;
  /// random() with the API's own engine (see seed()).
  [[nodiscard]] int random() const;

  // ---- NATS-Bench (nats_bench's NATStopology / NATSsize) ------------------------

  /// Whose answers this API gives: nas_201_api or nats_bench (results/semantics.hpp).
  [[nodiscard]] Semantics semantics() const noexcept { return semantics_; }
  /// The search space (the topology space for NAS-Bench-201).
  [[nodiscard]] SearchSpace search_space() const noexcept { return space_; }
  /// nats_bench's `search_space_name`: "topology" or "size".
  [[nodiscard]] std::string_view search_space_name() const noexcept { return to_string(space_); }
  /// nats_bench's `is_size`.
  [[nodiscard]] bool is_size() const noexcept { return space_ == SearchSpace::kSize; }
  /// nats_bench's `is_topology`.
  [[nodiscard]] bool is_topology() const noexcept { return space_ == SearchSpace::kTopology; }
  /// nats_bench's `full_train_epochs`: 200 (topology) or 90 (size).
  [[nodiscard]] int full_train_epochs() const noexcept { return nasbench::full_train_epochs(space_); }
  /// nats_bench's `full_epochs_in_paper`: 200 (topology) or 90 (size).
  [[nodiscard]] int full_epochs_in_paper() const noexcept { return nasbench::full_train_epochs(space_); }
  /// nats_bench's `avaliable_hps` (spelled as in Python): the hps of the
  /// results loaded so far, sorted (Python gives a set's order).
  [[nodiscard]] std::vector<std::string> avaliable_hps() const;
  /// nats_bench's `fast_mode`: architectures are read from archive_dir() on first use.
  [[nodiscard]] bool fast_mode() const noexcept { return fast_mode_; }
  /// nats_bench's `archive_dir`: the directory fast mode reads (nullopt: None).
  [[nodiscard]] const std::optional<std::string>& archive_dir() const noexcept { return archive_dir_; }
  /// nats_bench's `reset_archive_dir(dir)`: later first uses read `directory`.
  void reset_archive_dir(std::string directory);
  /// nats_bench's `reset_fast_mode(flag)`: without fast mode, architectures
  /// not loaded yet stay unloaded (queries name them as not evaluated).
  void reset_fast_mode(bool fast_mode) noexcept { fast_mode_ = fast_mode; }
  /// Marks this API as fast mode over `directory` (the io layer's create() does).
  void set_fast_mode(std::string directory);

  /// Python's `get_net_param(index, dataset, seed, hp)`: the trained weights of
  /// one run, nullptr when the file holds none (the `-simple` releases).
  /// nasbench::nn::to_state_dict() turns them into tensors.
  [[nodiscard]] const NetState* get_net_param(const ArchRef& arch, std::string_view dataset, int seed,
                                              const Hp& hp = "12") const;
  /// Python's `get_net_param(index, dataset, None, hp)`: seed -> weights.
  [[nodiscard]] std::vector<std::pair<int, const NetState*>> get_net_param(const ArchRef& arch,
                                                                           std::string_view dataset,
                                                                           const Hp& hp = "12") const;

  /// Python's `clear_params(index, hp)`: forget trained weights.
  void clear_params(const ArchRef& arch, std::optional<Hp> hp = std::nullopt);

  /// Seeds the API's own engine (Python's `random.seed(s)`).
  void seed(std::uint64_t s);

  // ---- text reports ------------------------------------------------------------

  /// Python's `repr(api)`.
  [[nodiscard]] std::string repr() const;

  /// Python's `query_info_str_by_arch(arch, hp)`; nullopt for an architecture without results.
  [[nodiscard]] std::optional<std::string> query_info_str_by_arch(const ArchRef& arch, const Hp& hp = "12") const;

  /// Python's `show(index)` as text (what Python prints); index -1 shows every evaluated architecture.
  [[nodiscard]] std::string show(long long index = -1) const;

  /// Python's `print_information(archresult, extra_info)`: the text report lines.
  [[nodiscard]] static std::vector<std::string> print_information(const ArchResults<Real>& info,
                                                                  std::optional<std::string> extra_info);

  /// Python's static `str2lists`.
  [[nodiscard]] static std::vector<NodeEdges> str2lists(std::string_view arch) { return nasbench::str2lists(arch); }
  /// Python's static `str2matrix`.
  [[nodiscard]] static std::vector<std::vector<int>> str2matrix(std::string_view arch);

 private:
  void check_index(long long index) const;
  /// evaluated_indexes() without a copy when nothing grows.
  template <typename Fn>
  void for_each_evaluated(Fn&& fn) const;
  bool grows() const noexcept { return source_ && source_->grows(); }
  const std::vector<HpResults>& entry(long long index) const;
  std::vector<HpResults>& mutable_entry(long long index);
  static Random& dummy_rng();
  /// simulate_train_eval's dataset check; cifar10 reads cifar10-valid.
  static std::string_view simulated_dataset(std::string_view dataset);
  /// A trial of get_more_info's answer with a valid set (`ds`: the dataset read).
  static SimulatedTrial simulated_trial(const MoreInfo& info, int index, std::string_view ds);

  std::shared_ptr<const Column> column(const std::string& hp, const std::string& ds, const std::string& set) const;
  /// The source's stored answers for (index, hp, dataset) (ResultsProvider::summary), while
  /// the results are those it was opened with; false: the tables answer.
  bool stored_summary(std::size_t index, const Hp& hp, std::string_view dataset, SummaryPart part,
                      StoredSummary& out) const;
  /// nats_bench's `comment` of get_more_info (cifar10-valid and cifar10), or nullopt.
  std::optional<std::string> more_info_comment(std::string_view dataset, const Hp& hp) const;
  /// Appends architecture `index`'s row (costs, accuracy or the errors Python raises there) to `col`.
  void append_row(Column& col, int index, const std::string& hp, const std::string& ds, const std::string& set) const;
  void invalidate();
  /// Materializes architecture `index` from the source, once (thread-safe):
  /// every schedule, or (a source that reads one schedule alone) their names.
  void ensure(std::size_t index) const;
  /// ensure(index), then the results of its `position`-th schedule (thread-safe).
  void ensure_schedule(std::size_t index, std::size_t position) const;
  /// ensure(index) and every schedule's results.
  void ensure_all(std::size_t index) const;
  /// The schedules of `index` (QueryError when it has no results); their results
  /// may not be read yet (ensure_schedule).
  const std::vector<HpResults>& names_entry(long long index) const;

  std::vector<std::string> meta_archs_;
  mutable std::unordered_map<std::string, int> archstr2index_;  ///< built on first use (thread-safe)
  mutable detail::MovableCounter archstr2index_built_;
  mutable detail::MovableMutex archstr2index_mutex_;
  mutable std::vector<std::unique_ptr<std::vector<HpResults>>> arch2infos_;  ///< filled lazily from source_
  std::vector<int> evaluated_;
  std::vector<std::string> skipped_hps_;  ///< left out by LoadOptions::hps
  std::string filename_, name_ = "NASBench201API";
  Semantics semantics_ = Semantics::kNasBench201;
  SearchSpace space_ = SearchSpace::kTopology;
  bool fast_mode_ = false;
  std::optional<std::string> archive_dir_;
  /// Incremented whenever fast mode loads an architecture: find_best columns
  /// built before describe fewer architectures.
  mutable detail::MovableCounter generation_;
  double used_time_ = 0;
  mutable detail::MovableMutex rng_mutex_;
  mutable Random rng_{0};
  mutable detail::MovableMutex cache_mutex_;
  mutable std::map<std::string, std::shared_ptr<const Column>> columns_;
  mutable std::uint64_t columns_generation_ = 0;  ///< generation_ when columns_ were built
  std::shared_ptr<const Source> source_;  ///< where architectures come from on first use (a cache file), or null
  std::unique_ptr<std::atomic<std::uint8_t>[]> ready_;  ///< per architecture: taken from source_
  /// Per architecture, when source_ reads one schedule alone: bit k, the k-th
  /// schedule's results are read (0xff: all, or a source that reads them together).
  std::unique_ptr<std::atomic<std::uint8_t>[]> schedules_read_;
  bool source_answers_valid_ = false;
  mutable detail::MovableMutex source_mutex_;
};

/// The API with double-precision tables (exact values).
using NASBench201API = BasicAPI<double>;
/// The API with single-precision tables (half the memory, values rounded to float).
using NASBench201APIFloat = BasicAPI<float>;

}  // namespace nasbench

#include "nasbench/api/basic_api-inl.hpp"  // the definitions of BasicAPI's members
