// nasbench.search: the NAS algorithms of nasbench/search.hpp (what `nasbench
// search` runs) on a Python API object. Included by module.cpp after PyAPI;
// no algorithm is implemented here: each call fills a search::Config, runs
// search::run_many without the GIL (under the API's shared lock) and hands the
// traces back as nasbench.search.Trace objects, whose to_dict() is the CLI's
// --json line. Torch-free (REINFORCE is the torch-free policy, as in the CLI).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/search.hpp"

namespace {

// One finished run and what it was asked to do.
struct PyTrace {
  std::string space;                    ///< "tss" or "sss"
  std::uint64_t seed = 0;
  nasbench::search::Config config;      ///< the algorithm, its options and the task (dataset, budget, hp)
  nasbench::search::Trace trace;
  std::string best_arch;                ///< empty when the run evaluated nothing
  std::optional<double> test_accuracy;  ///< the final choice's seed-mean test accuracy (full schedule)

  [[nodiscard]] std::string algo() const { return std::string(nasbench::search::to_string(config.algorithm)); }
};

py::object optional_float(const std::optional<double>& v) { return v ? py::object(py::float_(*v)) : py::none(); }

// The algorithm's options, as the CLI's --json line names them.
py::dict options_dict(const PyTrace& t) {
  py::dict d;
  using nasbench::search::Algorithm;
  switch (t.config.algorithm) {
    case Algorithm::kRegularizedEvolution:
      d["population"] = t.config.rea.population;
      d["sample_size"] = t.config.rea.sample_size;
      d["cycles"] = t.config.rea.cycles;
      break;
    case Algorithm::kReinforce:
      d["learning_rate"] = t.config.reinforce.learning_rate;
      d["ema_momentum"] = t.config.reinforce.ema_momentum;
      break;
    case Algorithm::kBOHB:
      d["num_samples"] = t.config.bohb.num_samples;
      d["random_fraction"] = t.config.bohb.random_fraction;
      d["bandwidth_factor"] = t.config.bohb.bandwidth_factor;
      d["min_bandwidth"] = t.config.bohb.min_bandwidth;
      d["n_iters"] = t.config.bohb.n_iterations;
      break;
    case Algorithm::kRandomSearch: break;
  }
  return d;
}

py::list history_of(const PyTrace& t) {
  py::list out;
  for (const auto& e : t.trace.history) out.append(py::make_tuple(e.index, e.valid_accuracy, e.total_time));
  return out;
}

// The search options every algorithm takes.
struct SearchCall {
  std::string dataset;
  std::optional<double> time_budget;
  std::string hp;
  std::uint64_t seed = 0;
  std::optional<std::size_t> runs;
  unsigned threads = 1;
};

std::uint64_t seed_of(py::handle h) {
  if (!PyLong_Check(h.ptr()) || PyBool_Check(h.ptr())) type_error("seed must be an int, got " + type_name(h));
  const long long v = to_long_long(h, "seed");
  if (v < 0) throw nasbench::QueryError("seed " + std::to_string(v) + " must be >= 0 (Python's random.seed(seed))");
  return static_cast<std::uint64_t>(v);
}

SearchCall call_of(const std::string& dataset, const py::object& time_budget, const py::object& hp,
                   const py::object& seed, const py::object& runs, const py::object& threads) {
  SearchCall c;
  c.dataset = dataset;
  c.time_budget = opt_number_of(time_budget, "time_budget");
  c.hp = hp_of(hp).str();
  c.seed = seed_of(seed);
  if (!runs.is_none()) {
    if (!PyLong_Check(runs.ptr()) || PyBool_Check(runs.ptr()))
      type_error("runs must be an int or None, got " + type_name(runs));
    const long long n = to_long_long(runs, "runs");
    if (n < 1) throw nasbench::QueryError("runs " + std::to_string(n) + " must be >= 1");
    c.runs = static_cast<std::size_t>(n);
  }
  if (!PyLong_Check(threads.ptr()) || PyBool_Check(threads.ptr()))
    type_error("threads must be an int, got " + type_name(threads));
  const long long t = to_long_long(threads, "threads");
  if (t < 0 || t > 4096) throw nasbench::QueryError("threads " + std::to_string(t) + " must be in [0, 4096] (0: one per core)");
  c.threads = static_cast<unsigned>(t);
  return c;
}

// Runs `config` as the call asks: one Trace (runs=None) or a list of `runs` (seeds seed, seed+1, ...).
template <typename Real>
py::object run_search(const PyAPI<Real>& p, nasbench::search::Config config, const SearchCall& c) {
  namespace search = nasbench::search;
  config.task.dataset = c.dataset;
  config.task.hp = c.hp;
  const std::size_t runs = c.runs.value_or(1);
  std::vector<PyTrace> out;
  {
    py::gil_scoped_release release;
    std::shared_lock<std::shared_mutex> lock(p.mutex);
    const nasbench::BasicAPI<Real>& api = p.api;
    config.task.time_budget = c.time_budget.value_or(search::default_time_budget(api.search_space(), c.dataset));
    std::vector<search::Trace> traces = search::run_many(api, config, c.seed, runs, c.threads);
    const std::string space = api.search_space() == nasbench::SearchSpace::kSize ? "sss" : "tss";
    for (std::size_t k = 0; k < traces.size(); ++k) {
      PyTrace t;
      t.space = space;
      t.seed = c.seed + k;
      t.config = config;
      t.trace = std::move(traces[k]);
      const int best = t.trace.best_index();
      if (best >= 0) t.best_arch = api.arch(best);
      t.test_accuracy = search::test_accuracy(api, c.dataset, best);
      out.push_back(std::move(t));
    }
  }
  if (!c.runs) return py::cast(std::move(out.front()));
  py::list list;
  for (auto& t : out) list.append(py::cast(std::move(t)));
  return list;
}

const char* const kCommonDoc =
    "dataset: 'cifar10', 'cifar100' or 'ImageNet16-120' (the scripts' --dataset); time_budget: simulated "
    "seconds (None: the paper's, 20000 / 40000 / 120000 s topology, 20000 / 40000 / 60000 s size); hp: the "
    "proxy schedule of the simulated trials ('12'); seed: Python's random.seed of the run (the scripts' "
    "--rand_seed; Python's own random module is not touched); runs: None for one Trace, or a number of runs "
    "with seeds seed, seed+1, ... (a list of Traces); threads: threads for those runs (0: one per core; the "
    "traces do not depend on it). The GIL is released while the runs go.";

template <typename Real>
void bind_search_functions(py::module_& s) {
  using P = PyAPI<Real>;
  namespace search = nasbench::search;
  s.def(
      "random_search",
      [](const P& p, const std::string& dataset, py::object time_budget, py::object hp, py::object seed,
         py::object runs, py::object threads) {
        search::Config config;
        config.algorithm = search::Algorithm::kRandomSearch;
        return run_search(p, config, call_of(dataset, time_budget, hp, seed, runs, threads));
      },
      "api"_a, "dataset"_a = "cifar10", "time_budget"_a = py::none(), "hp"_a = "12", "seed"_a = 0,
      "runs"_a = py::none(), "threads"_a = 1,
      (std::string("Random search as AutoDL-Projects' exps/NATS-algos/random_wo_share.py runs it: draw, "
                   "evaluate with simulate_train_eval, until the simulated time reaches the budget. ") +
       kCommonDoc)
          .c_str());
  s.def(
      "regularized_evolution",
      [](const P& p, const std::string& dataset, py::object time_budget, py::object hp, py::object seed,
         py::object runs, py::object threads, int ea_population, int ea_sample_size, int ea_cycles) {
        search::Config config;
        config.algorithm = search::Algorithm::kRegularizedEvolution;
        config.rea.population = ea_population;
        config.rea.sample_size = ea_sample_size;
        config.rea.cycles = ea_cycles;
        return run_search(p, config, call_of(dataset, time_budget, hp, seed, runs, threads));
      },
      "api"_a, "dataset"_a = "cifar10", "time_budget"_a = py::none(), "hp"_a = "12", "seed"_a = 0,
      "runs"_a = py::none(), "threads"_a = 1, "ea_population"_a = 10, "ea_sample_size"_a = 3, "ea_cycles"_a = 200,
      (std::string("Regularized evolution as exps/NATS-algos/regularized_ea.py runs it (ea_cycles is accepted "
                   "and, as there, never read: the budget stops a run). ") +
       kCommonDoc)
          .c_str());
  s.def(
      "reinforce",
      [](const P& p, const std::string& dataset, py::object time_budget, py::object hp, py::object seed,
         py::object runs, py::object threads, double learning_rate, double EMA_momentum) {  // NOLINT: the script's name
        search::Config config;
        config.algorithm = search::Algorithm::kReinforce;
        config.reinforce.learning_rate = learning_rate;
        config.reinforce.ema_momentum = EMA_momentum;
        return run_search(p, config, call_of(dataset, time_budget, hp, seed, runs, threads));
      },
      "api"_a, "dataset"_a = "cifar10", "time_budget"_a = py::none(), "hp"_a = "12", "seed"_a = 0,
      "runs"_a = py::none(), "threads"_a = 1, "learning_rate"_a = 0.01, "EMA_momentum"_a = 0.9,
      (std::string("REINFORCE as exps/NATS-algos/reinforce.py runs it, with nasbench's torch-free policy (the "
                   "traces of the torch 1.13 script; docs/search.md section 6). ") +
       kCommonDoc)
          .c_str());
  s.def(
      "bohb",
      [](const P& p, const std::string& dataset, py::object time_budget, py::object hp, py::object seed,
         py::object runs, py::object threads, int num_samples, double random_fraction, double bandwidth_factor,
         double min_bandwidth, int n_iters) {
        search::Config config;
        config.algorithm = search::Algorithm::kBOHB;
        config.bohb.num_samples = num_samples;
        config.bohb.random_fraction = random_fraction;
        config.bohb.bandwidth_factor = bandwidth_factor;
        config.bohb.min_bandwidth = min_bandwidth;
        config.bohb.n_iterations = n_iters;
        return run_search(p, config, call_of(dataset, time_budget, hp, seed, runs, threads));
      },
      "api"_a, "dataset"_a = "cifar10", "time_budget"_a = py::none(), "hp"_a = "12", "seed"_a = 0,
      "runs"_a = py::none(), "threads"_a = 1, "num_samples"_a = 4, "random_fraction"_a = 0.0,
      "bandwidth_factor"_a = 3.0, "min_bandwidth"_a = 0.3, "n_iters"_a = 300,
      (std::string("BOHB as exps/NATS-algos/bohb.py runs it (hpbandster's brackets and CG_BOHB's KDEs; "
                   "statistically equal to the script, whose runs are not seeded). ") +
       kCommonDoc)
          .c_str());
}

void bind_search(py::module_& m) {
  py::module_ s = m.def_submodule(
      "search",
      "NAS on the benchmark's tables, as AutoDL-Projects' exps/NATS-algos scripts run it (random_search, "
      "regularized_evolution, reinforce, bohb): simulated training with the recorded times, the same traces as "
      "`nasbench search` (and, for RS, REA and REINFORCE, as the scripts with --rand_seed).");
  py::class_<PyTrace>(s, "Trace", "One search run: its evaluations in order and the best architecture after each.")
      .def_property_readonly("algo", [](const PyTrace& t) { return t.algo(); }, "'rs', 'rea', 'reinforce' or 'bohb'")
      .def_property_readonly("space", [](const PyTrace& t) { return t.space; }, "'tss' or 'sss'")
      .def_property_readonly("dataset", [](const PyTrace& t) { return t.config.task.dataset; })
      .def_property_readonly("hp", [](const PyTrace& t) { return t.config.task.hp; })
      .def_property_readonly("seed", [](const PyTrace& t) { return t.seed; })
      .def_property_readonly("time_budget", [](const PyTrace& t) { return t.config.task.time_budget; })
      .def_property_readonly("options", &options_dict, "the algorithm's options, as the CLI's --json names them")
      .def_property_readonly(
          "history", [](const PyTrace& t) { return history_of(t); },
          "(index, valid_accuracy, total_time) per evaluation: the scripts' history and total_time_cost")
      .def_property_readonly(
          "indexes",
          [](const PyTrace& t) {
            py::list out;
            for (const auto& e : t.trace.history) out.append(e.index);
            return out;
          },
          "the architecture evaluated at each step")
      .def_property_readonly(
          "total_time_cost",
          [](const PyTrace& t) {
            py::list out;
            for (const auto& e : t.trace.history) out.append(e.total_time);
            return out;
          },
          "the simulated time after each evaluation (the scripts' total_time_cost)")
      .def_property_readonly(
          "current_best_index", [](const PyTrace& t) { return py::cast(t.trace.current_best_index); },
          "the first best architecture so far, after each evaluation (the scripts' current_best_index)")
      .def_property_readonly(
          "best_index", [](const PyTrace& t) { return t.trace.best_index(); }, "the final choice (-1: none)")
      .def_property_readonly(
          "best_arch", [](const PyTrace& t) { return t.best_arch.empty() ? py::object(py::none()) : py::str(t.best_arch); })
      .def_property_readonly(
          "total_time", [](const PyTrace& t) { return t.trace.total_time(); }, "the simulated time the run took")
      .def_property_readonly(
          "test_accuracy", [](const PyTrace& t) { return optional_float(t.test_accuracy); },
          "the final choice's seed-mean test accuracy under the full schedule (get_more_info's "
          "'test-accuracy'; None when the benchmark has none)")
      .def("__len__", [](const PyTrace& t) { return t.trace.history.size(); })
      .def(
          "to_dict",
          [](const PyTrace& t) {
            py::dict d;
            d["algo"] = t.algo();
            d["space"] = t.space;
            d["dataset"] = t.config.task.dataset;
            d["seed"] = t.seed;
            d["time_budget"] = t.config.task.time_budget;
            d["hp"] = t.config.task.hp;
            for (auto kv : options_dict(t)) d[kv.first] = kv.second;
            py::list history;
            for (const auto& e : t.trace.history) {
              py::list row;
              row.append(e.index);
              row.append(e.valid_accuracy);
              row.append(e.total_time);
              history.append(row);
            }
            d["history"] = history;
            d["current_best_index"] = py::cast(t.trace.current_best_index);
            d["best_index"] = t.trace.best_index();
            d["best_arch"] = t.best_arch.empty() ? py::object(py::none()) : py::str(t.best_arch);
            d["test_accuracy"] = optional_float(t.test_accuracy);
            return d;
          },
          "the run as `nasbench search --json` prints it (the same keys and values)")
      .def("__repr__", [](const PyTrace& t) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "Trace(algo='%s', seed=%llu, evaluations=%zu, total_time=%.6g, best_index=%d)",
                      t.algo().c_str(), static_cast<unsigned long long>(t.seed), t.trace.history.size(),
                      t.trace.total_time(), t.trace.best_index());
        return std::string(buf);
      });
  bind_search_functions<double>(s);
  bind_search_functions<float>(s);
  s.attr("ALGORITHMS") = py::make_tuple("rs", "rea", "reinforce", "bohb");
  // `import nasbench.search` and `from nasbench.search import ...` find it (the package's
  // __init__.py imports this module first).
  s.attr("__name__") = "nasbench.search";
  py::module_::import("sys").attr("modules")["nasbench.search"] = s;
}

}  // namespace
