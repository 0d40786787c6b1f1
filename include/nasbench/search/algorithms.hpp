#pragma once
/// @file search/algorithms.hpp
/// NAS on the benchmark: random search (RS) and regularized evolution (REA)
/// as the NATS-Bench reference scripts run them (AutoDL-Projects
/// exps/NATS-algos/random_wo_share.py and regularized_ea.py). With seed S a run
/// replays the script run with `--rand_seed S` exactly: the same draws of
/// Python's `random` in the same order (the architectures' and
/// simulate_train_eval's seeds from one engine), the same stop rule, the same
/// trace. `Algorithm` / `Config` / `run` also dispatch to REINFORCE
/// (search/reinforce.hpp) and BOHB (search/bohb.hpp). `run_many` spreads
/// independent runs (seed S + k) over threads; the results do not depend on
/// the thread count. Torch-free.

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/search/bohb.hpp"
#include "nasbench/search/reinforce.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/task.hpp"
#include "nasbench/search/trace.hpp"

namespace nasbench::search {

/// Regularized evolution's options, with the reference's names and the paper's values.
struct REAOptions {
  int population = 10;   ///< --ea_population
  int sample_size = 3;   ///< --ea_sample_size
  /// --ea_cycles: the reference passes it to regularized_evolution, whose loop never reads it (the time
  /// budget alone stops a run); kept, and ignored, so that runs replay.
  int cycles = 200;
};

/// Random search (random_wo_share.py): draw an architecture, evaluate it, until the simulated time
/// reaches the budget. At least one evaluation; the one that crosses the budget is kept.
template <typename Real>
[[nodiscard]] Trace random_search(const BasicAPI<Real>& api, const Space& space, const Task& task, Random& rng) {
  Evaluator<Real> run(api, space, task, rng);
  while (run.empty() || run.within_budget()) run.evaluate(space.random_arch(rng));
  return std::move(run).take();
}

/// Regularized (aging) evolution (regularized_ea.py, Real et al. 2019): a population of
/// `population` random architectures (all evaluated, whatever the budget), then cycles while the
/// simulated time is below the budget: `sample_size` draws with replacement from the population
/// (`random.choice`), the parent is the first best of the sample, its mutation is evaluated and
/// appended, and the oldest member leaves.
template <typename Real>
[[nodiscard]] Trace regularized_evolution(const BasicAPI<Real>& api, const Space& space, const Task& task,
                                          const REAOptions& options, Random& rng) {
  struct Member {
    Arch arch;
    double accuracy;
  };
  Evaluator<Real> run(api, space, task, rng);
  std::deque<Member> population;
  while (population.size() < static_cast<std::size_t>(options.population)) {
    Arch arch = space.random_arch(rng);
    const double acc = run.evaluate(arch);
    population.push_back(Member{std::move(arch), acc});
  }
  std::vector<const Member*> sample;
  while (run.within_budget()) {
    sample.clear();
    while (sample.size() < static_cast<std::size_t>(options.sample_size))
      sample.push_back(&population[static_cast<std::size_t>(rng.randbelow(population.size()))]);
    const Member* parent = sample.front();
    for (const Member* m : sample)
      if (parent->accuracy < m->accuracy) parent = m;  // Python's max(): the first best
    Arch child = space.mutate(parent->arch, rng);
    const double acc = run.evaluate(child);
    population.push_back(Member{std::move(child), acc});
    population.pop_front();
  }
  return std::move(run).take();
}

/// What the NATS-Bench paper reports of a run's final choice: the seed-mean test accuracy of
/// architecture `index` on `dataset` under the full schedule (hp 200 topology / 90 size;
/// get_more_info's `test-accuracy`: cifar10's ori-test, the others' x-test), or nullopt when the
/// benchmark holds no such result for it.
template <typename Real>
[[nodiscard]] std::optional<double> test_accuracy(const BasicAPI<Real>& api, std::string_view dataset, int index) {
  if (index < 0 || !api.has_results(index)) return std::nullopt;
  const std::string hp = std::to_string(full_train_epochs(api.search_space()));
  const auto hps = api.hps(index);
  if (std::find(hps.begin(), hps.end(), hp) == hps.end()) return std::nullopt;
  const MoreInfo info = api.get_more_info(index, dataset, std::nullopt, hp, SeedChoice::mean());
  return info.test ? info.test->accuracy : std::nullopt;
}

/// The algorithms of `nasbench search`.
enum class Algorithm : std::uint8_t {
  kRandomSearch,          ///< "rs": random_wo_share.py
  kRegularizedEvolution,  ///< "rea": regularized_ea.py
  kReinforce,             ///< "reinforce": reinforce.py (the torch-free policy, search/reinforce.hpp)
  kBOHB,                  ///< "bohb": bohb.py (hpbandster's BOHB, search/bohb.hpp)
};

/// The names of the algorithms, in Algorithm's order.
inline constexpr std::array<std::string_view, 4> kAlgorithmNames = {"rs", "rea", "reinforce", "bohb"};

/// "rs", "rea", "reinforce" or "bohb".
[[nodiscard]] constexpr std::string_view to_string(Algorithm a) noexcept {
  return kAlgorithmNames[static_cast<std::size_t>(a)];
}

/// The algorithm named `name`; QueryError otherwise, listing the names.
[[nodiscard]] inline Algorithm parse_algorithm(std::string_view name) {
  for (std::size_t i = 0; i < kAlgorithmNames.size(); ++i)
    if (name == kAlgorithmNames[i]) return static_cast<Algorithm>(i);
  throw unknown_value("algorithm", name, kAlgorithmNames);
}

/// One configuration of runs.
struct Config {
  Algorithm algorithm = Algorithm::kRandomSearch;
  Task task;
  REAOptions rea;              ///< used by Algorithm::kRegularizedEvolution
  ReinforceOptions reinforce;  ///< used by Algorithm::kReinforce
  BOHBOptions bohb;            ///< used by Algorithm::kBOHB
};

/// QueryError naming the first bad value of `config` (dataset, budget, the algorithm's options).
inline void check(const Config& config) {
  const Task& t = config.task;
  if (std::find(kSearchDatasets.begin(), kSearchDatasets.end(), t.dataset) == kSearchDatasets.end())
    throw unknown_value("dataset", t.dataset, kSearchDatasets, " for a search");
  if (!(t.time_budget >= 0) || !std::isfinite(t.time_budget))
    throw QueryError("time budget " + std::to_string(t.time_budget) + " must be a finite number >= 0 (seconds)");
  switch (config.algorithm) {
    case Algorithm::kRegularizedEvolution:
      if (config.rea.population < 1)
        throw QueryError("population " + std::to_string(config.rea.population) + " must be >= 1");
      if (config.rea.sample_size < 1)
        throw QueryError("sample size " + std::to_string(config.rea.sample_size) + " must be >= 1");
      break;
    case Algorithm::kReinforce:
      check(config.reinforce);
      break;
    case Algorithm::kBOHB:
      check(config.bohb);
      break;
    case Algorithm::kRandomSearch:
      break;
  }
}

/// One run with seed `seed` (Python's `random.seed(seed)`): its own engine, its own time account.
template <typename Real>
[[nodiscard]] Trace run(const BasicAPI<Real>& api, const Config& config, std::uint64_t seed) {
  check(config);
  const Space space(api.search_space());
  Random rng(seed);
  switch (config.algorithm) {
    case Algorithm::kRandomSearch:
      return random_search(api, space, config.task, rng);
    case Algorithm::kRegularizedEvolution:
      return regularized_evolution(api, space, config.task, config.rea, rng);
    case Algorithm::kReinforce:
      return reinforce(api, space, config.task, config.reinforce, seed, rng);
    case Algorithm::kBOHB:
      return bohb(api, space, config.task, config.bohb, rng);
  }
  throw QueryError("unknown algorithm");
}

/// Called after each finished run with the number of runs done so far (from the worker thread that
/// finished it; calls never overlap).
using Progress = std::function<void(std::size_t done, std::size_t runs)>;

/// `runs` independent runs, run k being `one_run(first_seed + k)`, on `threads` threads (0: one per
/// hardware thread). `one_run` must give each run its own state (engine, time account); the
/// traces come back in run order and do not depend on `threads`; the first failing run's error
/// (in run order) is rethrown once every thread has stopped.
template <typename OneRun>
[[nodiscard]] std::vector<Trace> run_many_with(OneRun&& one_run, std::uint64_t first_seed, std::size_t runs,
                                               unsigned threads = 1, const Progress& progress = {}) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(runs, 1)));
  std::vector<Trace> traces(runs);
  std::vector<std::exception_ptr> errors(runs);
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex done_mutex;
  auto work = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < runs;) {
      try {
        traces[k] = one_run(first_seed + k);
      } catch (...) {
        errors[k] = std::current_exception();
      }
      if (progress) {
        const std::lock_guard<std::mutex> lock(done_mutex);
        try {
          progress(++done, runs);
        } catch (...) {  // a progress display never stops the runs
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  return traces;
}

/// `runs` independent runs of `config`, run k with seed `first_seed + k` (see run_many_with).
template <typename Real>
[[nodiscard]] std::vector<Trace> run_many(const BasicAPI<Real>& api, const Config& config, std::uint64_t first_seed,
                                          std::size_t runs, unsigned threads = 1, const Progress& progress = {}) {
  check(config);
  Config shared = config;  // the runs share one table of trials (the traces do not change)
  shared.task.trials = TrialTable::for_task(&api, config.task);
  return run_many_with([&](std::uint64_t seed) { return run(api, shared, seed); }, first_seed, runs, threads,
                       progress);
}

}  // namespace nasbench::search
