#pragma once
/// @file results/fields.hpp
/// The stored fields of a run, listed once: `visit_fields(run, visitor)`
/// calls `visitor(key, field)` for every field of a ResultsCount (and of its
/// ArchConfig) with its Python key, in one fixed order. The cache writes and
/// reads a run in this order (cache/cache.hpp), and the loader fills a run from
/// a pickled state dict by the same keys (io/load.hpp), so a field added to
/// ResultsCount is added here and nowhere else. Trained weights
/// (`net_state`) are not a stored field: caches do not hold them.
///
/// The visitor is called with these field types (const for a const run):
/// std::string, int, double, bool, std::optional<std::vector<double>>,
/// ArchConfig, Series<Real>, std::optional<Series<Real>>,
/// std::vector<std::string>, and the eval sets
/// std::vector<std::pair<std::string, EvalSeries<Real>>>.

#include <type_traits>

#include "nasbench/results/records.hpp"
#include "nasbench/results/run.hpp"

namespace nasbench {

/// Every stored field of the run `r` (`ResultsCount<Real>`, const or not).
template <typename Run, typename Visitor>
void visit_fields(Run& r, Visitor&& v) {
  v("name", r.name);
  v("seed", r.seed);
  v("epochs", r.epochs);
  v("params", r.params);
  v("flop", r.flop);
  v("latency", r.latency);
  v("arch_config", r.arch_config);
  v("train_acc1es", r.train_acc1es);
  v("train_acc5es", r.train_acc5es);
  v("train_losses", r.train_losses);
  v("train_times", r.train_times);
  v("eval_names", r.eval_names);
  v("evals", r.evals);  // eval_acc1es, eval_losses, eval_times by set name
  v("eval_times_usable", r.eval_times_usable);
}

/// Every field of an `arch_config` (ArchConfig, const or not).
template <typename Config, typename Visitor>
std::enable_if_t<std::is_same_v<std::remove_const_t<Config>, ArchConfig>> visit_config_fields(Config& c,
                                                                                               Visitor&& v) {
  v("name", c.name);
  v("channel", c.channel);
  v("num_cells", c.num_cells);
  v("arch_str", c.arch_str);
  v("channels", c.channels);
  v("genotype", c.genotype);
  v("class_num", c.class_num);
}

}  // namespace nasbench
