#pragma once
/// @file api/provider.hpp
/// How an API gets results it does not hold yet: `ResultsProvider`, the
/// interface a lazily read source implements (the cache layer's memory-mapped
/// file; NATS-Bench fast mode), `HpResults` (one architecture under one
/// schedule) and `BestColumn` (what find_best scans).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/api/types.hpp"
#include "nasbench/results/arch.hpp"

namespace nasbench {

/// The results of one architecture under one schedule.
template <typename Real>
struct HpResults {
  std::string hp;
  ArchResults<Real> results;
};

/// Per (hp, dataset, set): every evaluated architecture's seed-mean flops,
/// params and last-epoch accuracy, or the error Python would raise there.
/// Built on first use (or read from a cache file); find_best then scans arrays.
struct BestColumn {
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

/// What a source stores of the queries most scripts run on one architecture,
/// schedule and dataset, as the tables answer them (a cache's summary rows),
/// so that they are answered without reading the architecture's results.
struct StoredSummary {
  /// Whether the architecture has results of the schedule (else nothing below is stored).
  bool schedule = false;
  /// statistics(): the dataset's seed count, 0 when the architecture has no run of it.
  int seeds = 0;
  /// get_more_info(index, dataset, None, hp, seed mean) without nats_bench's
  /// comment (nullopt: not stored, the tables answer, or raise).
  std::optional<MoreInfo> more_info;
  /// get_cost_info(index, dataset, hp) (nullopt: not stored).
  std::optional<CostInfo> cost_info;
  /// SummaryPart::kSeedList: the dataset's seeds in `dataset_seed` order, when the
  /// answer of get_more_info(index, dataset, None, hp, seed) is stored for each (else empty).
  std::vector<int> seed_list;
  /// SummaryPart::kSeedList: per seed of seed_list, the epochs its run trained (its
  /// answer is that of its last epoch, epochs - 1).
  std::vector<double> seed_epochs;
  /// SummaryPart::kSeedMoreInfo, asked for: the position in seed_list of the seed whose
  /// get_more_info `more_info` then holds.
  std::size_t seed_position = 0;
};

/// Which parts of a StoredSummary a caller asks for (decoding the others is skipped).
enum class SummaryPart : std::uint8_t { kSeeds = 1, kMoreInfo = 2, kCostInfo = 4, kSeedList = 8, kSeedMoreInfo = 16 };

/// Where the results of an architecture come from on first use, instead of
/// being loaded up front (cache/cache.hpp: a memory-mapped cache file). Its
/// methods may be called from several threads at once.
template <typename Real>
class ResultsProvider {
 public:
  virtual ~ResultsProvider() = default;
  /// Whether architecture `index` has results.
  [[nodiscard]] virtual bool has_results(std::size_t index) const noexcept = 0;
  /// The results of architecture `index` (has_results(index) is true); LoadError when unreadable.
  [[nodiscard]] virtual std::vector<HpResults<Real>> load(std::size_t index) const = 0;
  /// The schedules (hps) of architecture `index` in load order, without
  /// reading their results, when the source reads one schedule alone
  /// (load_schedule()); nullopt: load() reads them together (the default).
  [[nodiscard]] virtual std::optional<std::vector<std::string>> schedules(std::size_t index) const {
    (void)index;
    return std::nullopt;
  }
  /// The results of the `position`-th schedule of schedules(index).
  [[nodiscard]] virtual ArchResults<Real> load_schedule(std::size_t index, std::size_t position) const {
    return std::move(load(index).at(position).results);
  }
  /// A stored find_best column, or nullptr.
  [[nodiscard]] virtual std::shared_ptr<const BestColumn> column(const std::string& hp, const std::string& dataset,
                                                                 const std::string& set) const = 0;
  /// Fills `out` with the stored answers of (index, hp, dataset) named by
  /// `part`; false when the source stores none for them (the tables answer).
  /// The API asks only while its results are those the source was opened with.
  /// LoadError when the stored bytes are corrupted.
  [[nodiscard]] virtual bool summary(std::size_t index, std::string_view hp, std::string_view dataset,
                                     SummaryPart part, StoredSummary& out) const {
    (void)index, (void)hp, (void)dataset, (void)part, (void)out;
    return false;
  }
  /// The schedules of the evaluated architectures in first-seen order, when
  /// the source stores them (BasicAPI::evaluated_hps); nullopt otherwise.
  [[nodiscard]] virtual std::optional<std::vector<std::string>> stored_hps() const { return std::nullopt; }
  /// Whether the evaluated architectures are those loaded so far (NATS-Bench
  /// fast mode: `evaluated_indexes` grows as queries read files), rather than
  /// every architecture with results (a cache).
  [[nodiscard]] virtual bool grows() const noexcept { return false; }
  /// The architectures that can be loaded, ascending (what
  /// `find_best(..., enforce_all=True)` scans); by default those with results.
  [[nodiscard]] virtual std::vector<std::size_t> available(std::size_t count) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < count; ++i)
      if (has_results(i)) out.push_back(i);
    return out;
  }
  /// The same source reading from `directory` (NATS-Bench's
  /// `reset_archive_dir`), or nullptr when the source has no directory.
  [[nodiscard]] virtual std::shared_ptr<const ResultsProvider> with_directory(const std::string& directory) const {
    (void)directory;
    return nullptr;
  }
};

}  // namespace nasbench
