#pragma once
/// @file search/trace.hpp
/// What a NAS run records (`Trace`: every evaluation, the best so far) and the
/// one way an algorithm talks to the benchmark (`Evaluator`: simulate_train_eval
/// with the run's own time account, as the reference scripts after
/// `api.reset_time()`). Torch-free.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/search/space.hpp"

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

  /// Simulates one trial of `arch` (at epoch `iepoch`, default the schedule's last) and returns its
  /// validation accuracy. QueryError when the benchmark lacks the architecture or its result.
  double evaluate(const Arch& arch, std::optional<int> iepoch = std::nullopt) {
    const std::string name = space_.str(arch);
    const int index = api_->query_index_by_arch(name);
    if (index < 0) throw QueryError("architecture " + detail::quoted(name) + " is not in the benchmark");
    const SimulatedTrial t = api_->simulate_train_eval(index, dataset_, iepoch, hp_, account_, *rng_);
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
  TimeAccount account_;  // the reference's api.reset_time() at the start of a run
  Trace trace_;
  double best_accuracy_ = 0;
  int best_index_ = -1;
};

}  // namespace nasbench::search
