#pragma once
/// @file search/bohb.hpp
/// BOHB (Falkner et al., ICML 2018: Hyperband's brackets of successive halving, with configurations
/// proposed by a tree-Parzen-style pair of kernel density estimators) as the NATS-Bench reference
/// runs it: AutoDL-Projects exps/NATS-algos/bohb.py on hpbandster's BOHB with one worker, eta 3,
/// budgets 1..12 epochs of the 12-epoch proxy schedule (`simulate_train_eval(arch, dataset,
/// iepoch=int(budget) - 1, hp="12")`), loss = 100 - validation accuracy. Torch-free.
///
/// What is hpbandster's, step for step:
/// - the brackets (hpbandster/optimizers/bohb.py): `S = -int(log(min/max) / log(eta)) + 1` budgets
///   `max * eta^-(S-1) .. max`; iteration i runs the bracket `s = S - 1 - i % S` with
///   `n0 = int(floor(S / (s + 1)) * eta^s)` configurations and stage sizes `max(int(n0 * eta^-k), 1)`
///   on the last s + 1 budgets;
/// - successive halving (core/base_iteration.py): one worker, so the jobs run one after another and
///   every result reaches the model before the next configuration is drawn; a stage's configurations
///   are drawn one at a time as they run; the lowest losses advance, and run in the order they were
///   drawn;
/// - the model (optimizers/config_generators/bohb.py, CG_BOHB): one observation list per budget,
///   ignored once a larger budget has a model; with N >= min_points = d + 1 observations the
///   `n_good = max(min_points, 15 N / 100)` lowest losses and the next
///   `n_bad = max(min_points, 85 N / 100)` each get a KDE (statsmodels KDEMultivariate, every
///   decision unordered categorical: the Aitchison-Aitken kernel with the number of levels counted in
///   the KDE's data, bandwidth `normal_reference` = 1.06 std(ddof 0) n^(-1/(4+d)), no upper bound,
///   clipped below at min_bandwidth), fitted only when both hold more than d points;
/// - a proposal (get_config): random (the space's own draw) while no budget has a model or with
///   probability random_fraction; otherwise num_samples candidates, each from a random datum of the
///   good KDE of the largest budget with a model, every decision kept with probability 1 - bw, else
///   uniform; the first candidate minimising max(1e-32, g(x)) / max(l(x), 1e-32) (l: good, g: bad
///   pdf); a non-finite ratio with a finite l(x) is taken at once; no candidate -> random.
///   bandwidth_factor widens continuous parameters only: the NATS spaces have none, so it has no
///   effect (kept, as the reference passes it).
///
/// How it differs from the reference:
/// - every draw comes from the run's one engine (CPython's random, as RS and REA); hpbandster draws
///   from numpy's global RandomState and ConfigSpace's own RandomState, which cannot be replayed, so a
///   run is not the reference's run with the same seed, only the same algorithm; with the same seed a
///   run is the same on any machine and thread;
/// - the stop rule: the reference runs 300 Hyperband iterations whatever the simulated time and its
///   figures cut the trace at the budget; here a run stops at the simulated-time budget (evaluating
///   while nothing was evaluated or the time is below the budget: the evaluation that crosses it is
///   kept, as in RS) or after n_iterations iterations, whichever comes first;
/// - ties: numpy's argsort (introsort) may order equal losses either way beyond 16 elements; here
///   equal losses keep the order of evaluation (first evaluated first), in promotion and in the
///   good / bad split;
/// - the pdf sums over the KDE's data in order (numpy sums pairwise): the last bits may differ.
///
/// The final choice, as the reference's `max(trajectory)`, is the trace's best: the first most
/// accurate evaluation over every budget.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/task.hpp"
#include "nasbench/search/trace.hpp"

namespace nasbench::search {

/// BOHB's options: the NATS-Bench paper's command lines (`--num_samples 4 --random_fraction 0.0
/// --bandwidth_factor 3`) and the reference's argparse / BOHB(...) arguments for the rest.
struct BOHBOptions {
  int num_samples = 4;            ///< candidates drawn per model-based proposal
  double random_fraction = 0.0;   ///< probability of a random proposal once a model exists
  double bandwidth_factor = 3;    ///< widens continuous parameters' bandwidth (none in the NATS spaces)
  double min_bandwidth = 0.3;     ///< lower bound of every KDE bandwidth
  int eta = 3;                    ///< successive halving keeps 1/eta of a stage
  double min_budget = 1;          ///< the smallest budget, in epochs of the proxy schedule
  double max_budget = 12;         ///< the largest budget, in epochs
  int n_iterations = 300;         ///< Hyperband iterations at most (--n_iters)
};

/// CG_BOHB's top_n_percent (hpbandster's default; the reference does not set it).
inline constexpr int kBOHBTopNPercent = 15;

/// QueryError naming the first bad value of `options`.
inline void check(const BOHBOptions& options) {
  auto bad = [](const std::string& what, double v, const char* rule) {
    std::string s = std::to_string(v);
    if (v == std::floor(v) && std::isfinite(v) && std::fabs(v) < 1e15) s = std::to_string(static_cast<long long>(v));
    throw QueryError(what + " " + s + " must be " + rule);
  };
  if (options.num_samples < 1) bad("num_samples", options.num_samples, ">= 1");
  if (!(options.random_fraction >= 0 && options.random_fraction <= 1))
    bad("random_fraction", options.random_fraction, "in [0, 1]");
  if (!(options.bandwidth_factor > 0) || !std::isfinite(options.bandwidth_factor))
    bad("bandwidth_factor", options.bandwidth_factor, "a finite number > 0");
  if (!(options.min_bandwidth >= 0) || !std::isfinite(options.min_bandwidth))
    bad("min_bandwidth", options.min_bandwidth, "a finite number >= 0");
  if (options.eta < 2) bad("eta", options.eta, ">= 2");
  if (!(options.min_budget >= 1) || !std::isfinite(options.min_budget))
    bad("min_budget", options.min_budget, "a finite number >= 1 (epochs: iepoch = int(budget) - 1)");
  if (!(options.max_budget >= options.min_budget) || !std::isfinite(options.max_budget))
    bad("max_budget", options.max_budget, "a finite number >= min_budget");
  if (options.n_iterations < 0) bad("n_iterations", options.n_iterations, ">= 0");
}

/// Number of budgets (hpbandster's max_SH_iter): `-int(log(min_budget / max_budget) / log(eta)) + 1`.
[[nodiscard]] inline int hyperband_stages(const BOHBOptions& options) {
  const double r = std::log(options.min_budget / options.max_budget) / std::log(static_cast<double>(options.eta));
  return -static_cast<int>(r) + 1;  // int() truncates toward zero, as Python's
}

/// The budgets, smallest first: `max_budget * eta^-(S-1), ..., max_budget * eta^0`.
[[nodiscard]] inline std::vector<double> hyperband_budgets(const BOHBOptions& options) {
  const int stages = hyperband_stages(options);
  std::vector<double> budgets;
  for (int k = stages - 1; k >= 0; --k)
    budgets.push_back(options.max_budget * std::pow(static_cast<double>(options.eta), -static_cast<double>(k)));
  return budgets;
}

/// The epoch a budget evaluates: the reference's `iepoch = int(budget) - 1`.
[[nodiscard]] inline int budget_epoch(double budget) { return static_cast<int>(budget) - 1; }

/// One Hyperband iteration's successive halving: the number of configurations of each stage and the
/// budget of each stage (its index in hyperband_budgets in `budget_index`).
struct Bracket {
  std::vector<int> sizes;            ///< configurations per stage, the first stage's drawn fresh
  std::vector<double> budgets;       ///< budget per stage
  std::vector<int> budget_index;     ///< index of each stage's budget in hyperband_budgets()
};

/// The bracket of Hyperband iteration `iteration` (0-based): hpbandster's BOHB.get_next_iteration.
[[nodiscard]] inline Bracket hyperband_bracket(const BOHBOptions& options, int iteration) {
  const int stages = hyperband_stages(options);
  const std::vector<double> all = hyperband_budgets(options);
  const int s = stages - 1 - iteration % stages;
  const double eta = options.eta;
  const auto n0 = static_cast<long long>(std::floor(static_cast<double>(stages) / (s + 1)) * std::pow(eta, s));
  Bracket b;
  for (int k = 0; k <= s; ++k) {
    const auto n = static_cast<long long>(static_cast<double>(n0) * std::pow(eta, -static_cast<double>(k)));
    b.sizes.push_back(static_cast<int>(std::max(n, 1LL)));
    const int index = stages - 1 - s + k;
    b.budgets.push_back(all[static_cast<std::size_t>(index)]);
    b.budget_index.push_back(index);
  }
  return b;
}

/// statsmodels' `normal_reference` bandwidth of each column of `data` (rows of equal length):
/// 1.06 * std (ddof 0) * n^(-1/(4+d)), unclipped. QueryError for no data.
[[nodiscard]] inline std::vector<double> normal_reference_bandwidth(const std::vector<Arch>& data) {
  if (data.empty()) throw QueryError("a KDE needs at least one point");
  const std::size_t n = data.size(), d = data.front().size();
  std::vector<double> bw(d);
  for (std::size_t j = 0; j < d; ++j) {
    double mean = 0;
    for (const Arch& row : data) mean += row[j];
    mean /= static_cast<double>(n);
    double var = 0;
    for (const Arch& row : data) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(n);
    bw[j] = 1.06 * std::sqrt(var) * std::pow(static_cast<double>(n), -1.0 / (4.0 + static_cast<double>(d)));
  }
  return bw;
}

/// The Aitchison-Aitken kernel of statsmodels (unordered categoricals) of one value against a datum:
/// 1 - h when they are equal, otherwise h / (levels - 1) (infinite when levels is 1, as numpy's
/// division gives).
[[nodiscard]] inline double aitchison_aitken(double h, std::uint8_t datum, std::uint8_t x, std::size_t levels) {
  return datum == x ? 1.0 - h : h / (static_cast<double>(levels) - 1.0);
}

/// A product kernel density estimator over unordered categoricals (statsmodels' KDEMultivariate
/// with var_type 'u' per decision, bw 'normal_reference', then clipped below at a minimum).
class CategoricalKDE {
 public:
  /// The KDE of `data` (at least one row, all of one length), bandwidths clipped below at `min_bandwidth`.
  CategoricalKDE(std::vector<Arch> data, double min_bandwidth)
      : data_(std::move(data)), bw_(normal_reference_bandwidth(data_)) {
    for (double& h : bw_) h = std::max(h, min_bandwidth);  // np.clip(bw, min_bandwidth, None)
    levels_.assign(bw_.size(), 0);
    for (std::size_t j = 0; j < bw_.size(); ++j) {
      std::vector<bool> seen(256, false);
      for (const Arch& row : data_)
        if (!seen[row[j]]) seen[row[j]] = true, ++levels_[j];
    }
  }

  /// The density at `x`: the mean over the data of the product of the per-decision kernels.
  [[nodiscard]] double pdf(const Arch& x) const {
    double sum = 0;
    for (const Arch& row : data_) {
      double k = 1;
      for (std::size_t j = 0; j < bw_.size(); ++j) k *= aitchison_aitken(bw_[j], row[j], x[j], levels_[j]);
      sum += k;
    }
    return sum / static_cast<double>(data_.size());
  }

  /// The data (the KDE's `data`).
  [[nodiscard]] const std::vector<Arch>& data() const noexcept { return data_; }
  /// The bandwidth of each decision, after the clip.
  [[nodiscard]] const std::vector<double>& bandwidth() const noexcept { return bw_; }
  /// The number of distinct values of each decision in the data (the kernel's levels).
  [[nodiscard]] const std::vector<std::size_t>& levels() const noexcept { return levels_; }

 private:
  std::vector<Arch> data_;
  std::vector<double> bw_;
  std::vector<std::size_t> levels_;
};

/// What one BOHB evaluation was, beside what the trace records.
struct BOHBStep {
  int iteration = 0;            ///< the Hyperband iteration
  int stage = 0;                ///< the successive-halving stage within it
  double budget = 0;            ///< the budget (epochs)
  int iepoch = 0;               ///< the epoch evaluated: int(budget) - 1
  Arch arch;                    ///< the configuration
  double loss = 0;              ///< 100 - validation accuracy
  bool model_based = false;     ///< proposed by the model (false: random, or promoted when stage > 0)
};

// Not `detail`: a nasbench::search::detail would hide nasbench::detail from later search code.
namespace bohb_detail {

/// CG_BOHB: the observations per budget and the good / bad KDEs of the budgets that have a model.
class BOHBModel {
 public:
  BOHBModel(const Space& space, const BOHBOptions& options)
      : space_(space), options_(options), min_points_(static_cast<int>(space.num_decisions()) + 1) {}

  /// new_result: record (arch, loss) at budget `budget_index` and refit that budget's KDEs.
  void observe(const Arch& arch, double loss, int budget_index) {
    if (!models_.empty() && models_.rbegin()->first > budget_index) return;  // a bigger budget has a model
    auto& obs = observations_[budget_index];
    obs.emplace_back(arch, std::isfinite(loss) ? loss : std::numeric_limits<double>::infinity());
    const int n = static_cast<int>(obs.size());
    if (n <= min_points_ - 1) return;
    const int n_good = std::max(min_points_, kBOHBTopNPercent * n / 100);
    const int n_bad = std::max(min_points_, (100 - kBOHBTopNPercent) * n / 100);
    std::vector<std::size_t> order(obs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return obs[a].second < obs[b].second; });
    std::vector<Arch> good, bad;
    for (int i = 0; i < n; ++i) {
      if (i < n_good) good.push_back(obs[order[static_cast<std::size_t>(i)]].first);
      else if (i < n_good + n_bad) bad.push_back(obs[order[static_cast<std::size_t>(i)]].first);
    }
    const std::size_t d = space_.num_decisions();
    if (good.size() <= d || bad.size() <= d) return;
    models_.insert_or_assign(budget_index, std::make_pair(CategoricalKDE(std::move(good), options_.min_bandwidth),
                                                          CategoricalKDE(std::move(bad), options_.min_bandwidth)));
  }

  /// get_config: a proposal, and whether the model made it.
  std::pair<Arch, bool> propose(Random& rng) const {
    if (models_.empty() || rng.random() < options_.random_fraction) return {space_.random_arch(rng), false};
    const auto& [good, bad] = models_.rbegin()->second;  // the largest budget with a model
    auto py_max = [](double a, double b) { return b > a ? b : a; };  // Python's max(a, b), NaN included
    double best = std::numeric_limits<double>::infinity();
    std::optional<Arch> best_arch;
    for (int i = 0; i < options_.num_samples; ++i) {
      const Arch& datum = good.data()[static_cast<std::size_t>(rng.randbelow(good.data().size()))];
      Arch x(datum.size());
      for (std::size_t j = 0; j < x.size(); ++j) {
        const double bw = std::max(good.bandwidth()[j], options_.min_bandwidth);
        x[j] = rng.random() < 1 - bw ? datum[j] : static_cast<std::uint8_t>(rng.randbelow(space_.num_choices()));
      }
      const double l = good.pdf(x);
      const double value = py_max(1e-32, bad.pdf(x)) / py_max(l, 1e-32);
      if (!std::isfinite(value) && std::isfinite(l)) {
        best_arch = std::move(x);
        break;
      }
      if (value < best) {
        best = value;
        best_arch = std::move(x);
      }
    }
    if (!best_arch) return {space_.random_arch(rng), false};
    return {std::move(*best_arch), true};
  }

  /// The budgets (indexes) that have a model.
  [[nodiscard]] std::vector<int> budgets_with_model() const {
    std::vector<int> out;
    for (const auto& kv : models_) out.push_back(kv.first);
    return out;
  }

 private:
  Space space_;
  BOHBOptions options_;
  int min_points_;
  std::map<int, std::vector<std::pair<Arch, double>>> observations_;
  std::map<int, std::pair<CategoricalKDE, CategoricalKDE>> models_;
};

}  // namespace bohb_detail

/// BOHB on `space` for `task` (its dataset and time budget; the budgets are epochs of `task.hp`,
/// the reference's "12"): Hyperband iterations of successive halving until the simulated time
/// reaches the budget or n_iterations iterations ran, every draw from `rng`. `steps`, when given,
/// receives one BOHBStep per evaluation (parallel to the trace's history). QueryError for bad options.
template <typename Real>
[[nodiscard]] Trace bohb(const BasicAPI<Real>& api, const Space& space, const Task& task, const BOHBOptions& options,
                         Random& rng, std::vector<BOHBStep>* steps) {
  check(options);
  Evaluator<Real> run(api, space, task, rng);
  bohb_detail::BOHBModel model(space, options);
  auto go_on = [&] { return run.empty() || run.within_budget(); };
  for (int iteration = 0; iteration < options.n_iterations && go_on(); ++iteration) {
    const Bracket bracket = hyperband_bracket(options, iteration);
    std::vector<Arch> configs;   // this stage's configurations, in the order they were drawn
    std::vector<double> losses;  // their losses at this stage's budget
    for (std::size_t stage = 0; stage < bracket.sizes.size() && go_on(); ++stage) {
      const double budget = bracket.budgets[stage];
      const int iepoch = budget_epoch(budget);
      if (stage > 0) {  // successive halving: the sizes[stage] lowest losses, in their drawn order
        std::vector<std::size_t> order(configs.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return losses[a] < losses[b]; });
        std::vector<bool> keep(configs.size(), false);
        for (std::size_t r = 0; r < order.size() && r < static_cast<std::size_t>(bracket.sizes[stage]); ++r)
          keep[order[r]] = true;
        std::vector<Arch> next;
        for (std::size_t i = 0; i < configs.size(); ++i)
          if (keep[i]) next.push_back(std::move(configs[i]));
        configs = std::move(next);
        losses.clear();
      }
      const std::size_t count = stage == 0 ? static_cast<std::size_t>(bracket.sizes[0]) : configs.size();
      for (std::size_t i = 0; i < count && go_on(); ++i) {
        bool model_based = false;
        if (stage == 0) {
          auto [arch, by_model] = model.propose(rng);
          configs.push_back(std::move(arch));
          model_based = by_model;
        }
        const double loss = 100.0 - run.evaluate(configs[i], iepoch);
        losses.push_back(loss);
        model.observe(configs[i], loss, bracket.budget_index[stage]);
        if (steps) steps->push_back(BOHBStep{iteration, static_cast<int>(stage), budget, iepoch, configs[i], loss,
                                             model_based});
      }
    }
  }
  return std::move(run).take();
}

/// BOHB without the per-evaluation log: the signature of `nasbench search --algo bohb`.
template <typename Real>
[[nodiscard]] Trace bohb(const BasicAPI<Real>& api, const Space& space, const Task& task, const BOHBOptions& options,
                         Random& rng) {
  return bohb(api, space, task, options, rng, nullptr);
}

}  // namespace nasbench::search
