#pragma once
/// @file search/trace.hpp
/// What a NAS run records (`Trace`: every evaluation, the best so far) and the
/// one way an algorithm talks to the benchmark (`Evaluator`: simulate_train_eval
/// with the run's own time account, as the reference scripts after
/// `api.reset_time()`). Torch-free.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/task.hpp"

namespace nasbench::search {

/// One simulated trial of a run.
struct Evaluation {
  int index = -1;               ///< the architecture's index in the benchmark
  double valid_accuracy = 0;    ///< simulate_train_eval's validation accuracy
  double total_time = 0;        ///< the run's simulated time after it (the reference's `total_time_cost[-1]`)
};

/// A run's trace: the reference's `history` / `total_time_cost` and `current_best_index`.
struct Trace {
  std::vector<Evaluation> history;       ///< every evaluation, in order (an initial population included)
  std::vector<int> current_best_index;   ///< the first best architecture so far, after each evaluation

  /// The final choice: the first most accurate architecture evaluated (-1 before any evaluation).
  [[nodiscard]] int best_index() const noexcept {
    return current_best_index.empty() ? -1 : current_best_index.back();
  }
  /// The simulated time the run took.
  [[nodiscard]] double total_time() const noexcept { return history.empty() ? 0.0 : history.back().total_time; }
};

/// The trials of simulate_train_eval on one API for one (dataset, hp), by architecture and epoch
/// (BasicAPI::simulated_trials), computed once and shared by many runs: a run that evaluates an
/// architecture again draws its seed (`randbelow(n)`, as simulate_train_eval does) and reads the
/// trial. Thread-safe; what one thread computes, the others read.
class TrialTable {
 public:
  /// A table for `api` (compared by address), `dataset` and `hp`: ignored by runs of anything else.
  TrialTable(const void* api, std::string dataset, std::string hp)
      : api_(api), dataset_(std::move(dataset)), hp_(std::move(hp)) {}
  /// Whether this table was made for `api`, `dataset` and `hp`.
  [[nodiscard]] bool is_for(const void* api, std::string_view dataset, std::string_view hp) const noexcept {
    return api == api_ && dataset == dataset_ && hp == hp_;
  }
  /// A table for a run of `task` on `api`: the task's own when it is one, else a new one.
  [[nodiscard]] static std::shared_ptr<TrialTable> for_task(const void* api, const Task& task) {
    if (task.trials && task.trials->is_for(api, task.dataset, task.hp)) return task.trials;
    return std::make_shared<TrialTable>(api, task.dataset, task.hp);
  }

  /// The trials of architecture `index` at `iepoch`, computing them with `compute` the first time
  /// (an empty result: simulate_train_eval must be called). Epochs outside [0, 2^30) are not kept.
  template <typename Compute>
  [[nodiscard]] std::shared_ptr<const std::vector<SimulatedTrial>> get(int index, std::optional<int> iepoch,
                                                                       Compute&& compute) {
    if (iepoch && (*iepoch < 0 || *iepoch >= (1 << 30))) return nullptr;
    const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(index)) << 32) |
                              static_cast<std::uint32_t>(iepoch ? *iepoch + 1 : 0);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = table_.find(key); it != table_.end()) return it->second;
    }
    std::optional<std::vector<SimulatedTrial>> trials = compute();  // outside the lock: the same for any thread
    auto value = trials && !trials->empty()
                     ? std::make_shared<const std::vector<SimulatedTrial>>(std::move(*trials))
                     : std::shared_ptr<const std::vector<SimulatedTrial>>();
    const std::lock_guard<std::mutex> lock(mutex_);
    return table_.emplace(key, std::move(value)).first->second;
  }

 private:
  const void* api_;
  std::string dataset_, hp_;
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const std::vector<SimulatedTrial>>> table_;
};

/// The benchmark as a NAS algorithm sees it: evaluate() simulates training an
/// architecture (simulate_train_eval on `dataset` with schedule `hp`, the seed
/// drawn from the run's engine) and records it in the trace; the time is
/// accounted in the run only, so runs on one API never share state.
template <typename Real>
class Evaluator {
 public:
  /// A run on `api` (which must outlive the evaluator); `rng` is the run's engine, shared with the algorithm
  /// as the reference shares Python's global `random` between its draws and the API's.
  Evaluator(const BasicAPI<Real>& api, Space space, std::string dataset, std::string hp, double time_budget,
            Random& rng)
      : api_(&api), space_(space), dataset_(std::move(dataset)), hp_(std::move(hp)), budget_(time_budget),
        rng_(&rng) {}
  /// A run of `task` on `api` (its trial table, when it has one for this API, saves recomputing trials).
  Evaluator(const BasicAPI<Real>& api, Space space, const Task& task, Random& rng)
      : Evaluator(api, space, task.dataset, task.hp, task.time_budget, rng) {
    if (task.trials && task.trials->is_for(&api, task.dataset, task.hp)) trials_ = task.trials;
  }

  /// Simulates one trial of `arch` (at epoch `iepoch`, default the schedule's last) and returns its
  /// validation accuracy. QueryError when the benchmark lacks the architecture or its result.
  double evaluate(const Arch& arch, std::optional<int> iepoch = std::nullopt) {
    const std::string name = space_.str(arch);
    const int index = api_->query_index_by_arch(name);
    if (index < 0) throw QueryError("architecture " + detail::quoted(name) + " is not in the benchmark");
    SimulatedTrial t;
    std::shared_ptr<const std::vector<SimulatedTrial>> known;
    if (trials_)
      known = trials_->get(index, iepoch, [&] { return api_->simulated_trials(index, dataset_, iepoch, hp_); });
    if (known) {  // simulate_train_eval's one draw, and the trial of the seed it picks
      t = (*known)[static_cast<std::size_t>(rng_->randbelow(known->size()))];
      account_.used_time += t.time_cost;
      t.used_time = account_.used_time;
    } else {
      t = api_->simulate_train_eval(index, dataset_, iepoch, hp_, account_, *rng_);
    }
    if (!t.valid_accuracy)
      throw QueryError("architecture " + std::to_string(index) + " has no validation accuracy on " +
                       detail::quoted(dataset_) + " (hp " + hp_ + ")");
    const double acc = *t.valid_accuracy;
    if (trace_.history.empty() || best_accuracy_ < acc) {  // strictly better: the first best stays
      best_accuracy_ = acc;
      best_index_ = index;
    }
    trace_.history.push_back(Evaluation{index, acc, account_.used_time});
    trace_.current_best_index.push_back(best_index_);
    return acc;
  }

  /// The reference's loop condition `total_time_cost[-1] < time_budget` (false before any evaluation
  /// only when the budget is not positive; algorithms that always evaluate once test empty() first).
  [[nodiscard]] bool within_budget() const noexcept { return account_.used_time < budget_; }
  /// Whether nothing was evaluated yet.
  [[nodiscard]] bool empty() const noexcept { return trace_.history.empty(); }
  /// The simulated time so far.
  [[nodiscard]] double total_time() const noexcept { return account_.used_time; }
  /// The space the run searches.
  [[nodiscard]] const Space& space() const noexcept { return space_; }
  /// The run's engine.
  [[nodiscard]] Random& rng() noexcept { return *rng_; }
  /// The trace so far.
  [[nodiscard]] const Trace& trace() const noexcept { return trace_; }
  /// Ends the run: its trace.
  [[nodiscard]] Trace take() && { return std::move(trace_); }

 private:
  const BasicAPI<Real>* api_;
  Space space_;
  std::string dataset_, hp_;
  double budget_;
  Random* rng_;
  std::shared_ptr<TrialTable> trials_;
  TimeAccount account_;  // the reference's api.reset_time() at the start of a run
  Trace trace_;
  double best_accuracy_ = 0;
  int best_index_ = -1;
};

}  // namespace nasbench::search
