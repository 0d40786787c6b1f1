#pragma once
// `nasbench search`: NAS algorithms on the benchmark (nasbench/search.hpp). One algorithm (--algo)
// or several (--compare a,b,...) on the same seeds; a JSON line per run, the best-so-far curves as
// CSV, a summary table, and the paper's figure (--plot, drawn by nasbench-plot with matplotlib).
// A program linking LibTorch may pass a RunFactory that runs REINFORCE on reinforce_torch.

#include <CLI/CLI.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/io/progress.hpp"
#include "nasbench/platform/process.hpp"
#include "nasbench/platform/terminal.hpp"
#include "nasbench/search.hpp"

namespace nasbench_tools {

namespace search = nasbench::search;

struct SearchArgs {
  std::string algo, compare, dataset, hp = "12", csv, plot;
  std::optional<double> time_budget;  // default: the paper's, per space and dataset
  std::uint64_t seed = 0;
  std::size_t runs = 1;
  unsigned threads = 1;
  search::REAOptions rea;
  search::ReinforceOptions reinforce;
  search::BOHBOptions bohb;
  bool json = false;

  // What parsing cannot check alone: an empty string, or the usage error.
  [[nodiscard]] std::string usage_error() const {
    if (algo.empty() && compare.empty()) return "--algo or --compare is required (e.g. --algo rea, --compare rs,rea)";
    const std::string ext = std::filesystem::path(plot).extension().string();
    if (!plot.empty() && ext != ".png" && ext != ".svg" && ext != ".pdf")
      return "--plot " + plot + ": the figure is a .png, .svg or .pdf file";
    return {};
  }

  // The algorithms to run: --algo's, or --compare's list.
  [[nodiscard]] std::vector<std::string> algorithms() const {
    if (compare.empty()) return {algo};
    std::vector<std::string> out;
    std::stringstream ss(compare);
    for (std::string name; std::getline(ss, name, ',');) out.push_back(name);
    return out;
  }
};

// --algo / each name of --compare (CLI11 check).
inline std::string check_algo(const std::string& text) {
  try {
    (void)search::parse_algorithm(text);
    return {};
  } catch (const nasbench::QueryError& e) {
    return e.message();
  }
}

inline std::string check_algo_list(const std::string& text) {
  SearchArgs a;
  a.compare = text;
  std::vector<std::string> seen;
  for (const std::string& name : a.algorithms()) {
    if (name.empty()) return "empty algorithm name in \"" + text + "\" (a comma-separated list such as rs,rea)";
    if (std::string error = check_algo(name); !error.empty()) return error;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return "algorithm \"" + name + "\" listed twice";
    seen.push_back(name);
  }
  return {};
}

// "--time-budget": a finite decimal number.
inline std::string check_seconds(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v))
    return "expected a finite number of seconds, got \"" + text + "\"";
  return {};
}

// The options of `search` on `sub`, with the reference scripts' names.
inline void add_search_options(CLI::App* sub, SearchArgs& a) {
  auto* algo = sub->add_option("--algo", a.algo,
                               "rs (random_wo_share.py), rea (regularized_ea.py), reinforce (reinforce.py) or bohb "
                               "(bohb.py)")
                   ->check(check_algo, "ALGO");
  auto* compare = sub->add_option("--compare", a.compare,
                                  "run several algorithms on the same seeds, e.g. rs,rea (one summary line each)")
                      ->check(check_algo_list, "ALGOS");  // e.g. rs,rea,reinforce,bohb
  algo->excludes(compare);
  compare->excludes(algo);
  sub->add_option("--dataset", a.dataset, "cifar10, cifar100 or ImageNet16-120")
      ->required()
      ->check(CLI::IsMember({"cifar10", "cifar100", "ImageNet16-120"}));
  sub->add_option("--time-budget", a.time_budget,
                  "simulated seconds per run (default: the paper's, 20000/40000/120000 tss and "
                  "20000/40000/60000 sss on cifar10/cifar100/ImageNet16-120)")
      ->check(CLI::Validator(check_seconds, "SECONDS") & CLI::NonNegativeNumber);
  sub->add_option("--seed", a.seed, "seed of run 1 (Python's random.seed); run k uses seed + k - 1")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--runs", a.runs, "independent runs")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--threads", a.threads, "threads for the runs (0: one per core); results do not change")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--hp", a.hp, "schedule of the simulated trials (the reference's proxy: 12)")->capture_default_str();
  sub->add_option("--ea-population", a.rea.population, "REA: population size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--ea-sample-size", a.rea.sample_size, "REA: tournament sample size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--ea-cycles", a.rea.cycles,
                  "REA: the reference's --ea_cycles, which its loop never reads (the time budget stops a run)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--learning-rate", a.reinforce.learning_rate, "REINFORCE: Adam's learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--ema-momentum", a.reinforce.ema_momentum, "REINFORCE: momentum of the reward baseline, in [0, 1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--num-samples", a.bohb.num_samples, "BOHB: candidates per model-based proposal")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--random-fraction", a.bohb.random_fraction, "BOHB: probability of a random proposal")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--bandwidth-factor", a.bohb.bandwidth_factor,
                  "BOHB: widens continuous parameters' kernels (the NATS spaces have none: no effect)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--min-bandwidth", a.bohb.min_bandwidth, "BOHB: smallest kernel bandwidth")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--n-iters", a.bohb.n_iterations,
                  "BOHB: most Hyperband iterations (the reference's --n_iters; the time budget stops a run first)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_flag("--json", a.json, "print one JSON line per run (its whole trace)");
  sub->add_option("--csv", a.csv,
                  "write the best-so-far curve of every run to this CSV file "
                  "(algo,run,seed,step,total_time,best_index,test_accuracy)");
  sub->add_option("--plot", a.plot,
                  "draw mean best-so-far test accuracy against simulated time, a band of +-1 std across runs, "
                  "one line per algorithm, to this .png/.svg/.pdf (needs python3 with matplotlib)");
}

// The final test accuracy of each index, computed once.
template <typename Real>
class TestAccuracies {
 public:
  TestAccuracies(const nasbench::BasicAPI<Real>& api, std::string dataset) : api_(api), dataset_(std::move(dataset)) {}
  std::optional<double> operator()(int index) {
    auto it = cache_.find(index);
    if (it == cache_.end()) it = cache_.emplace(index, search::test_accuracy(api_, dataset_, index)).first;
    return it->second;
  }

 private:
  const nasbench::BasicAPI<Real>& api_;
  std::string dataset_;
  std::map<int, std::optional<double>> cache_;
};

inline nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// One algorithm's runs.
struct AlgorithmRuns {
  std::string name;
  std::vector<search::Trace> traces;
  double wall_seconds = 0;
};

// How a program runs one seed of an algorithm; nasbench-net adds the LibTorch policy.
template <typename Real>
using RunFactory = std::function<std::function<search::Trace(std::uint64_t)>(
    const nasbench::BasicAPI<Real>&, const std::string& algo, const search::Config&)>;

// Progress on stderr when it is a terminal: "rea: 120/500 runs".
inline search::Progress search_progress(const std::string& name) {
  if (!nasbench::platform::is_terminal(stderr)) return {};
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [name, last](std::size_t done, std::size_t runs) {
    const auto now = std::chrono::steady_clock::now();
    if (done < runs && now - *last < std::chrono::milliseconds(200)) return;
    *last = now;
    std::fprintf(stderr, "\rnasbench search: %s %zu/%zu runs%s", name.c_str(), done, runs, done == runs ? "\n" : "");
    std::fflush(stderr);
  };
}

// Runs a program with arguments and waits; its exit status, or -1 when it could not start.
inline int run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "nasbench search: cannot run %s (%s)\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The Python that draws the figure: $NASBENCH_PYTHON, else Debian's /usr/bin/python3 (where
// python3-matplotlib installs), else python3 on the PATH.
inline std::string plot_python() {
  if (const char* p = std::getenv("NASBENCH_PYTHON"); p && *p) return p;
  std::error_code ec;
  if (std::filesystem::exists("/usr/bin/python3", ec)) return "/usr/bin/python3";
  return "python3";
}

template <typename Real>
void write_curves(std::ostream& out, const std::vector<AlgorithmRuns>& all, std::uint64_t first_seed,
                  TestAccuracies<Real>& test) {
  out.precision(17);
  out << "algo,run,seed,step,total_time,best_index,test_accuracy\n";
  for (const AlgorithmRuns& r : all)
    for (std::size_t k = 0; k < r.traces.size(); ++k)
      for (std::size_t i = 0; i < r.traces[k].history.size(); ++i) {
        const int best = r.traces[k].current_best_index[i];
        const auto acc = test(best);
        out << r.name << ',' << k << ',' << first_seed + k << ',' << i + 1 << ','
            << r.traces[k].history[i].total_time << ',' << best << ',';
        if (acc) out << *acc;
        out << '\n';
      }
}

// `nasbench search` on a loaded benchmark. `program` is argv[0] (to find nasbench-plot).
template <typename Real>
int run_search(const nasbench::BasicAPI<Real>& api, const SearchArgs& a, const std::string& program,
               const RunFactory<Real>& factory) {
  using nlohmann::json;
  if (const std::string error = a.usage_error(); !error.empty()) {
    std::fprintf(stderr, "nasbench search: %s\n", error.c_str());
    return 2;
  }
  const std::string space = api.search_space() == nasbench::SearchSpace::kSize ? "sss" : "tss";
  std::vector<AlgorithmRuns> all;
  std::shared_ptr<search::TrialTable> trials;  // shared by every run of every algorithm
  for (const std::string& name : a.algorithms()) {
    search::Config config;
    config.algorithm = search::parse_algorithm(name);
    config.task = {a.dataset, a.time_budget.value_or(search::default_time_budget(api.search_space(), a.dataset)),
                   a.hp, trials};
    config.task.trials = trials = search::TrialTable::for_task(&api, config.task);
    config.rea = a.rea;
    config.reinforce = a.reinforce;
    config.bohb = a.bohb;
    search::check(config);
    const auto one_run = factory(api, name, config);
    const auto start = std::chrono::steady_clock::now();
    AlgorithmRuns r{name, search::run_many_with(one_run, a.seed, a.runs, a.threads, search_progress(name)), 0};
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    all.push_back(std::move(r));
  }
  const double time_budget =
      a.time_budget.value_or(search::default_time_budget(api.search_space(), a.dataset));
  TestAccuracies<Real> test(api, a.dataset);
  if (!a.csv.empty()) {
    std::ofstream out(a.csv);
    write_curves(out, all, a.seed, test);
    if (!out.flush()) throw nasbench::Error("cannot write " + nasbench::detail::quoted(a.csv));
  }
  if (!a.plot.empty()) {
    namespace fs = std::filesystem;
    const fs::path curves = fs::temp_directory_path() / ("nasbench-search-" + std::to_string(::getpid()) + ".csv");
    {
      std::ofstream out(curves);
      write_curves(out, all, a.seed, test);
      if (!out.flush()) throw nasbench::Error("cannot write " + nasbench::detail::quoted(curves.string()));
    }
    std::ostringstream title;
    title << space << ' ' << a.dataset << ", " << a.runs << (a.runs == 1 ? " run" : " runs");
    const std::string script = nasbench::platform::executable_dir(program) + "nasbench-plot";
    const int rc = run_program({plot_python(), script, curves.string(), "--title", title.str(), "--time-budget",
                                std::to_string(time_budget), "-o", a.plot});
    std::error_code ec;
    fs::remove(curves, ec);
    if (rc != 0) {
      std::fprintf(stderr, "nasbench search: drawing %s failed (%s %s exited with %d)\n", a.plot.c_str(),
                   plot_python().c_str(), script.c_str(), rc);
      return 1;
    }
  }
  if (a.json) {
    for (const AlgorithmRuns& r : all)
      for (std::size_t k = 0; k < r.traces.size(); ++k) {
        const auto& t = r.traces[k];
        json history = json::array();
        for (const auto& e : t.history) history.push_back({e.index, e.valid_accuracy, e.total_time});
        json out = {{"algo", r.name}, {"space", space}, {"dataset", a.dataset}, {"seed", a.seed + k},
                    {"time_budget", time_budget}, {"hp", a.hp}};
        if (r.name == "rea")
          out.update({{"population", a.rea.population}, {"sample_size", a.rea.sample_size},
                      {"cycles", a.rea.cycles}});
        if (r.name == "reinforce")
          out.update({{"learning_rate", a.reinforce.learning_rate}, {"ema_momentum", a.reinforce.ema_momentum}});
        if (r.name == "bohb")
          out.update({{"num_samples", a.bohb.num_samples}, {"random_fraction", a.bohb.random_fraction},
                      {"bandwidth_factor", a.bohb.bandwidth_factor}, {"min_bandwidth", a.bohb.min_bandwidth},
                      {"n_iters", a.bohb.n_iterations}});
        out.update({{"history", history}, {"current_best_index", t.current_best_index},
                    {"best_index", t.best_index()}, {"best_arch", api.arch(t.best_index())},
                    {"test_accuracy", optional_json(test(t.best_index()))}});
        std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
      }
    return 0;
  }
  std::printf("nasbench search: %s, %s space, hp %s, time budget %g s, seeds %llu..%llu\n", a.dataset.c_str(),
              std::string(nasbench::to_string(api.search_space())).c_str(), a.hp.c_str(), time_budget,
              static_cast<unsigned long long>(a.seed), static_cast<unsigned long long>(a.seed + a.runs - 1));
  std::printf("%-10s %6s  %-26s %12s %15s %10s\n", "algo", "runs",
              ("test accuracy (hp " + std::to_string(nasbench::full_train_epochs(api.search_space())) + ")").c_str(),
              "evaluations", "simulated time", "wall time");
  for (const AlgorithmRuns& r : all) {
    std::vector<double> accs;
    double evaluations = 0, simulated = 0;
    for (const auto& t : r.traces) {
      if (const auto acc = test(t.best_index())) accs.push_back(*acc);
      evaluations += static_cast<double>(t.history.size());
      simulated += t.total_time();
    }
    double mean = 0, var = 0;
    for (double x : accs) mean += x / static_cast<double>(accs.size());
    for (double x : accs) var += (x - mean) * (x - mean) / static_cast<double>(accs.size());
    const auto n = static_cast<double>(r.traces.size());
    char acc_text[64];
    if (accs.empty())
      std::snprintf(acc_text, sizeof acc_text, "n/a (no full schedule)");
    else if (accs.size() == r.traces.size())
      std::snprintf(acc_text, sizeof acc_text, "%.2f +- %.2f", mean, std::sqrt(var));
    else
      std::snprintf(acc_text, sizeof acc_text, "%.2f +- %.2f (%zu runs)", mean, std::sqrt(var), accs.size());
    std::printf("%-10s %6zu  %-26s %12.1f %13.0f s %8.3f s\n", r.name.c_str(), r.traces.size(), acc_text,
                evaluations / n, simulated / n, r.wall_seconds);
  }
  if (!a.plot.empty()) std::printf("figure: %s\n", a.plot.c_str());
  return 0;
}

// The torch-free way to run one seed of `config`.
template <typename Real>
std::function<search::Trace(std::uint64_t)> torch_free_run(const nasbench::BasicAPI<Real>& api, const std::string&,
                                                            const search::Config& config) {
  return [&api, config](std::uint64_t seed) { return search::run(api, config, seed); };
}

}  // namespace nasbench_tools
