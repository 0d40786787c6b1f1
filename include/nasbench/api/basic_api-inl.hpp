#pragma once
/// @file api/basic_api-inl.hpp
/// The definitions of BasicAPI's members, in the order the class declares
/// them (api/basic_api.hpp, which includes this file at its end).

#include "nasbench/api/basic_api.hpp"

namespace nasbench {

template <typename Real>
void BasicAPI<Real>::set_source_of_results(std::shared_ptr<const Source> source) {
  invalidate();
  source_ = std::move(source);
  ready_ = std::make_unique<std::atomic<std::uint8_t>[]>(meta_archs_.size());
  schedules_read_ = std::make_unique<std::atomic<std::uint8_t>[]>(meta_archs_.size());
  for (std::size_t i = 0; i < meta_archs_.size(); ++i) {
    ready_[i].store(0, std::memory_order_relaxed);
    schedules_read_[i].store(0xff, std::memory_order_relaxed);
  }
  source_answers_valid_ = true;
}

template <typename Real>
auto BasicAPI<Real>::best_column(const std::string& hp, const std::string& dataset,
                                 const std::string& set) const -> std::shared_ptr<const Column> {
  return column(hp, dataset, set);
}

template <typename Real>
void BasicAPI<Real>::materialize_all() const {
  for (std::size_t i = 0; i < meta_archs_.size(); ++i) ensure_all(i);
}

template <typename Real>
void BasicAPI<Real>::set_meta_archs(std::vector<std::string> archs) {
  meta_archs_ = std::move(archs);
  archstr2index_.clear();  // built on the first lookup by string (opening a cache stays in milliseconds)
  archstr2index_built_.value.store(0, std::memory_order_release);
  arch2infos_.clear();
  arch2infos_.resize(meta_archs_.size());
  source_.reset();
  ready_.reset();
  schedules_read_.reset();
  invalidate();
}

template <typename Real>
void BasicAPI<Real>::add_results(int index, std::string hp, ArchResults<Real> results) {
  check_index(index);
  ensure_all(static_cast<std::size_t>(index));
  invalidate();
  results.set_semantics(semantics_);
  auto& slot = arch2infos_[static_cast<std::size_t>(index)];
  if (!slot) slot = std::make_unique<std::vector<HpResults>>();
  for (auto& h : *slot)
    if (h.hp == hp) {
      h.results = std::move(results);
      return;
    }
  slot->push_back(HpResults{std::move(hp), std::move(results)});
}

template <typename Real>
void BasicAPI<Real>::remove_results(int index) {
  check_index(index);
  ensure(static_cast<std::size_t>(index));
  invalidate();
  arch2infos_[static_cast<std::size_t>(index)].reset();
}

template <typename Real>
void BasicAPI<Real>::set_evaluated_indexes(std::vector<int> indexes) {
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  evaluated_ = std::move(indexes);
  invalidate();
}

template <typename Real>
void BasicAPI<Real>::note_skipped_hp(const std::string& hp) {
  if (std::find(skipped_hps_.begin(), skipped_hps_.end(), hp) == skipped_hps_.end())
    skipped_hps_.push_back(hp);
}

template <typename Real>
void BasicAPI<Real>::set_source(std::string filename, std::string class_name) {
  filename_ = std::move(filename);
  name_ = std::move(class_name);
  const Semantics semantics = name_.rfind("NATS", 0) == 0 ? Semantics::kNats : Semantics::kNasBench201;
  space_ = name_ == "NATSsize" ? SearchSpace::kSize : SearchSpace::kTopology;
  if (semantics == semantics_) return;
  semantics_ = semantics;
  for (std::size_t i = 0; i < arch2infos_.size(); ++i)
    if (arch2infos_[i] && (!ready_ || ready_[i].load(std::memory_order_acquire)))
      for (auto& h : *arch2infos_[i]) h.results.set_semantics(semantics);
  invalidate();
}

template <typename Real>
std::string BasicAPI<Real>::class_name_of(Semantics semantics, SearchSpace space) {  // set_source's inverse
  if (space == SearchSpace::kSize) return "NATSsize";
  return semantics == Semantics::kNats ? "NATStopology" : "NASBench201API";
}

template <typename Real>
std::vector<int> BasicAPI<Real>::evaluated_indexes() const {
  if (!grows()) return evaluated_;
  std::vector<int> out;
  for_each_evaluated([&](int i) { out.push_back(i); });
  return out;
}

template <typename Real>
template <typename Fn>
void BasicAPI<Real>::for_each_evaluated(Fn&& fn) const {
  if (!grows()) {
    for (int i : evaluated_) fn(i);
    return;
  }
  // Fast mode: what was given up front and what queries have loaded since.
  std::size_t next = 0;
  for (std::size_t i = 0; i < meta_archs_.size(); ++i) {
    while (next < evaluated_.size() && evaluated_[next] < static_cast<int>(i)) fn(evaluated_[next++]);
    const bool given = next < evaluated_.size() && evaluated_[next] == static_cast<int>(i);
    if (given) ++next;
    if (given || (ready_[i].load(std::memory_order_acquire) && arch2infos_[i])) fn(static_cast<int>(i));
  }
  while (next < evaluated_.size()) fn(evaluated_[next++]);
}

template <typename Real>
const std::string& BasicAPI<Real>::arch(long long index) const {
  check_index(index);
  return meta_archs_[static_cast<std::size_t>(index)];
}

template <typename Real>
bool BasicAPI<Real>::has_results(long long index) const noexcept {
  if (index < 0 || static_cast<std::size_t>(index) >= arch2infos_.size()) return false;
  const auto i = static_cast<std::size_t>(index);
  if (source_ && !ready_[i].load(std::memory_order_acquire)) return source_->has_results(i);
  return arch2infos_[i] != nullptr;
}

template <typename Real>
std::vector<std::string> BasicAPI<Real>::hps(long long index) const {
  std::vector<std::string> out;
  for (const auto& h : names_entry(index)) out.push_back(h.hp);
  return out;
}

template <typename Real>
std::vector<std::string> BasicAPI<Real>::evaluated_hps() const {
  if (source_ && source_answers_valid_)
    if (std::optional<std::vector<std::string>> stored = source_->stored_hps()) return std::move(*stored);
  std::vector<std::string> out;
  for_each_evaluated([&](int index) {
    if (!has_results(index)) return;
    for (const auto& h : names_entry(index))
      if (std::find(out.begin(), out.end(), h.hp) == out.end()) out.push_back(h.hp);
  });
  return out;
}

template <typename Real>
int BasicAPI<Real>::query_index_by_arch(const ArchRef& arch) const {
  if (const long long* i = arch.index()) {
    check_index(*i);
    return static_cast<int>(*i);
  }
  if (!archstr2index_built_.value.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(archstr2index_mutex_);
    if (!archstr2index_built_.value.load(std::memory_order_relaxed)) {
      archstr2index_.reserve(meta_archs_.size());
      for (std::size_t i = 0; i < meta_archs_.size(); ++i)
        archstr2index_.emplace(meta_archs_[i], static_cast<int>(i));  // the first of equal strings, as before
      archstr2index_built_.value.store(1, std::memory_order_release);
    }
  }
  const auto it = archstr2index_.find(*arch.str());
  return it == archstr2index_.end() ? -1 : it->second;
}

template <typename Real>
const ArchResults<Real>& BasicAPI<Real>::query_meta_info_by_index(const ArchRef& arch, const Hp& hp) const {
  const int index = query_index_by_arch(arch);
  const auto& entries = names_entry(index);
  for (std::size_t k = 0; k < entries.size(); ++k)
    if (entries[k].hp == hp.str()) {
      ensure_schedule(static_cast<std::size_t>(index), k);
      return entries[k].results;
    }
  std::vector<std::string> hps;
  for (const auto& h : entries) hps.push_back(h.hp);
  if (std::find(skipped_hps_.begin(), skipped_hps_.end(), hp.str()) != skipped_hps_.end())
    throw not_loaded("hp", hp.str(), "hps", hps);
  throw unavailable_value("hp", hp.str(), " for architecture " + std::to_string(index), hps);
}

template <typename Real>
ArchResults<Real>& BasicAPI<Real>::mutable_meta_info_by_index(const ArchRef& arch, const Hp& hp) {
  const auto& results = query_meta_info_by_index(arch, hp);
  invalidate();
  return const_cast<ArchResults<Real>&>(results);
}

template <typename Real>
std::string BasicAPI<Real>::get_unique_str(const ArchRef& arch) const {
  if (space_ == SearchSpace::kSize)
    throw QueryError("get_unique_str is a topology-space query (this is the size space, where architectures are "
                     "channels strings)");
  return Structure::parse(this->arch(query_index_by_arch(arch))).to_unique_str(true);
}

template <typename Real>
std::vector<std::pair<int, const ResultsCount<Real>*>> BasicAPI<Real>::query_by_index(
    const ArchRef& arch, std::string_view dataset, const Hp& hp) const {
  return query_meta_info_by_index(arch, hp).query(dataset);
}

template <typename Real>
MoreInfo BasicAPI<Real>::get_more_info(const ArchRef& arch, std::string_view dataset,
                                       std::optional<int> iepoch, const Hp& hp, SeedChoice is_random,
                                       Random& rng) const {
  const int index = query_index_by_arch(arch);
  if (!has_results(index))
    throw QueryError("architecture " + std::to_string(index) + " has no results (not evaluated)");
  // The common queries, at the last epoch: stored by a cache. An iepoch given is the last
  // epoch when it is the last of every run of the dataset (the stored seeds say).
  StoredSummary stored;
  const auto i = static_cast<std::size_t>(index);
  const bool mean = is_random.kind() == SeedChoice::Kind::kMean;
  const bool seeds_stored = (iepoch || !mean) && stored_summary(i, hp, dataset, SummaryPart::kSeedList, stored) &&
                            !stored.seed_list.empty();
  const bool last_epoch =
      !iepoch || (seeds_stored && std::all_of(stored.seed_epochs.begin(), stored.seed_epochs.end(), [&](double epochs) {
        return epochs == static_cast<double>(*iepoch) + 1;
      }));
  if (last_epoch && mean && stored_summary(i, hp, dataset, SummaryPart::kMoreInfo, stored) && stored.more_info) {
    stored.more_info->comment = more_info_comment(dataset, hp);
    return std::move(*stored.more_info);
  }
  if (last_epoch && !mean && seeds_stored) {
    // One seed's answer: drawn as below (Python's random.choice of dataset_seed), or the one given.
    const std::vector<int>& seeds = stored.seed_list;
    const std::size_t k =
        is_random.kind() == SeedChoice::Kind::kRandom
            ? static_cast<std::size_t>(rng.randbelow(seeds.size()))
            : static_cast<std::size_t>(std::find(seeds.begin(), seeds.end(), is_random.seed_value()) - seeds.begin());
    if (k < seeds.size()) {  // else a seed the dataset does not have: the tables raise the error
      stored.seed_position = k;
      if (!stored_summary(i, hp, dataset, SummaryPart::kSeedMoreInfo, stored) || !stored.more_info)
        throw LoadError("architecture " + std::to_string(index) + ": a stored seed list without the answer of seed " +
                        std::to_string(seeds[k]));
      stored.more_info->comment = more_info_comment(dataset, hp);
      return std::move(*stored.more_info);
    }
  }
  const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
  if (is_random.kind() == SeedChoice::Kind::kRandom) {  // one seed for every field
    const auto& seeds = ar.get_dataset_seeds(dataset);
    if (seeds.empty()) throw QueryError("no seed for " + detail::quoted(dataset));
    is_random = SeedChoice::seed(seeds[static_cast<std::size_t>(rng.randbelow(seeds.size()))]);
  }
  const Metrics train = ar.get_metrics(dataset, "train", iepoch, is_random, &rng);
  if (!train.iepoch)  // no seed: Python's get_metrics gives {}, and `train_info['iepoch']` raises KeyError
    throw QueryError("no run of " + detail::quoted(dataset) + " in architecture " + std::to_string(index) +
                     " (its dataset_seed lists no seed)");
  const double total = *train.iepoch + 1;
  auto summary = [&](const Metrics& m) {
    return SetSummary{m.loss, m.accuracy,
                      m.all_time ? std::optional<double>(*m.all_time / total) : std::nullopt, m.all_time};
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
  info.comment = more_info_comment(dataset, hp);
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

template <typename Real>
MoreInfo BasicAPI<Real>::get_more_info(const ArchRef& arch, std::string_view dataset,
                                       std::optional<int> iepoch, const Hp& hp, SeedChoice is_random) const {
  if (is_random.kind() != SeedChoice::Kind::kRandom)
    return get_more_info(arch, dataset, iepoch, hp, is_random, dummy_rng());
  std::lock_guard<std::mutex> lock(rng_mutex_);
  return get_more_info(arch, dataset, iepoch, hp, is_random, rng_);
}

template <typename Real>
CostInfo BasicAPI<Real>::get_cost_info(const ArchRef& arch, std::string_view dataset, const Hp& hp) const {
  const int index = query_index_by_arch(arch);
  StoredSummary stored;
  if (index >= 0 && stored_summary(static_cast<std::size_t>(index), hp, dataset, SummaryPart::kCostInfo, stored) &&
      stored.cost_info)
    return std::move(*stored.cost_info);
  return query_meta_info_by_index(index, hp).get_compute_costs(dataset);
}

template <typename Real>
std::optional<std::string> BasicAPI<Real>::more_info_comment(std::string_view dataset, const Hp& hp) const {
  if (semantics_ != Semantics::kNats) return std::nullopt;
  if (dataset == "cifar10-valid")
    return "In this dict, train-loss/accuracy/time is the metric on the train set of CIFAR-10. The "
           "test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on the train set by " +
           hp.str() + " epochs. The per-time and total-time indicate the per epoch and total time costs, respectively.";
  if (dataset == "cifar10")
    return "In this dict, train-loss/accuracy/time is the metric on the train+valid sets of CIFAR-10. The "
           "test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on the train+valid "
           "sets by " +
           hp.str() + " epochs. The per-time and total-time indicate the per epoch and total time costs, respectively.";
  return std::nullopt;
}

template <typename Real>
bool BasicAPI<Real>::stored_summary(std::size_t index, const Hp& hp, std::string_view dataset, SummaryPart part,
                                    StoredSummary& out) const {
  // Only while the results are those the source was opened with (invalidate() clears the flag).
  if (!source_ || !source_answers_valid_ || index >= meta_archs_.size()) return false;
  return source_->summary(index, hp.str(), dataset, part, out) && out.schedule;
}

template <typename Real>
std::optional<double> BasicAPI<Real>::get_latency(const ArchRef& arch, std::string_view dataset,
                                                  const Hp& hp) const {
  return get_cost_info(arch, dataset, hp).latency;
}

template <typename Real>
std::pair<std::string, std::string> BasicAPI<Real>::remap_dataset_set_names(std::string_view dataset,
                                                                            std::string_view set) {
  return nasbench::remap_dataset_set_names(dataset, set);
}

template <typename Real>
BestArch BasicAPI<Real>::find_best(std::string_view dataset, std::string_view metric_on_set,
                                   std::optional<double> flop_max, std::optional<double> param_max,
                                   const Hp& hp, std::optional<bool> enforce_all) const {
  const auto [ds, set] = remap_dataset_set_names(dataset, metric_on_set);
  BestArch best;
  // One row, in order: a cost error raises where it is met (the constraints
  // need the costs), a metric error only in a row the constraints keep.
  auto consider = [&](const Column& col, std::size_t row) {
    if (const std::string* e = Column::error_at(col.cost_errors, row)) throw QueryError(*e);
    if (flop_max && col.flops[row] > *flop_max) return;
    if (param_max && col.params[row] > *param_max) return;
    if (const std::string* e = Column::error_at(col.metric_errors, row)) throw QueryError(*e);
    if (best.index == -1 || *best.accuracy < col.accuracy[row]) {
      best.index = col.index[row];
      best.accuracy = col.accuracy[row];
    }
  };
  if (enforce_all.value_or(fast_mode_) && fast_mode_ && grows()) {
    // nats_bench's order: read an architecture, score it, then the next; an error stops the scan where it
    // is met, with what was read so far kept.
    Column col;
    for (std::size_t i : source_->available(meta_archs_.size())) {
      ensure(i);
      append_row(col, static_cast<int>(i), hp.str(), ds, set);
      consider(col, col.index.size() - 1);
    }
    return best;
  }
  const std::shared_ptr<const Column> col = column(hp.str(), ds, set);
  for (std::size_t row = 0; row < col->index.size(); ++row) consider(*col, row);
  return best;
}

template <typename Real>
std::map<int, int> BasicAPI<Real>::statistics(std::string_view dataset, const Hp& hp) const {
  const auto& valid = benchmark_datasets();
  if (std::find(valid.begin(), valid.end(), dataset) == valid.end())
    throw unknown_value("dataset", dataset, valid);
  std::map<int, int> counts;
  for_each_evaluated([&](int index) {
    if (!has_results(index)) throw QueryError("evaluated index " + std::to_string(index) + " has no results");
    StoredSummary stored;
    if (stored_summary(static_cast<std::size_t>(index), hp, dataset, SummaryPart::kSeeds, stored)) {
      counts[stored.seeds] += 1;
      return;
    }
    const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
    counts[ar.has_dataset(dataset) ? static_cast<int>(ar.get_dataset_seeds(dataset).size()) : 0] += 1;
  });
  return counts;
}

template <typename Real>
NetConfig BasicAPI<Real>::get_net_config(const ArchRef& arch, std::string_view dataset) const {
  const int index = query_index_by_arch(arch);
  const auto& hps = entry(index);
  if (hps.empty()) throw QueryError("architecture " + std::to_string(index) + " has no results");
  const auto runs = hps.front().results.query(dataset);
  if (runs.empty())
    throw QueryError("can not find one valid trial for the " + std::to_string(index) +
                     "-th architecture on " + std::string(dataset));
  return runs.front().second->get_config();
}

template <typename Real>
SimulatedTrial BasicAPI<Real>::simulate_train_eval(const ArchRef& arch, std::string_view dataset,
                                                   std::optional<int> iepoch, const Hp& hp,
                                                   bool account_time) {
  std::lock_guard<std::mutex> lock(rng_mutex_);
  return simulate_train_eval(arch, dataset, iepoch, hp, account_time, rng_);
}

template <typename Real>
SimulatedTrial BasicAPI<Real>::simulate_train_eval(const ArchRef& arch, std::string_view dataset,
                                                   std::optional<int> iepoch, const Hp& hp, bool account_time,
                                                   Random& rng) {
  TimeAccount account{used_time_};
  SimulatedTrial t = simulate_train_eval(arch, dataset, iepoch, hp, account, rng);
  if (account_time) used_time_ = account.used_time;
  t.used_time = used_time_;
  return t;
}

template <typename Real>
std::string_view BasicAPI<Real>::simulated_dataset(std::string_view dataset) {
  if (dataset != "cifar10" && dataset != "cifar100" && dataset != "ImageNet16-120")
    throw QueryError(
        "invalid dataset name " + detail::quoted(dataset) + " for simulate_train_eval" +
        expected_one_of(std::initializer_list<std::string_view>{"cifar10", "cifar100", "ImageNet16-120"}));
  return dataset == "cifar10" ? std::string_view("cifar10-valid") : dataset;
}

template <typename Real>
SimulatedTrial BasicAPI<Real>::simulated_trial(const MoreInfo& info, int index, std::string_view ds) {
  // Python adds None to a float there (TypeError): files without times cannot simulate a trial.
  if (!info.train.all_time || !info.valid->per_time)
    throw QueryError("simulate_train_eval needs times, and " +
                     std::string(info.train.all_time ? "valid-per-time" : "train-all-time") + " of architecture " +
                     std::to_string(index) + " on " + detail::quoted(ds) + " is None (a file without times)");
  SimulatedTrial t;
  t.valid_accuracy = info.valid->accuracy;
  t.time_cost = *info.train.all_time + *info.valid->per_time;
  return t;
}

template <typename Real>
SimulatedTrial BasicAPI<Real>::simulate_train_eval(const ArchRef& arch, std::string_view dataset,
                                                   std::optional<int> iepoch, const Hp& hp, TimeAccount& account,
                                                   Random& rng) const {
  const int index = query_index_by_arch(arch);
  const std::string_view ds = simulated_dataset(dataset);
  const MoreInfo info = get_more_info(index, ds, iepoch, hp, SeedChoice::random(), rng);
  SimulatedTrial t;
  if (info.valid) {
    t = simulated_trial(info, index, ds);
  } else {
    // The valid set is missing at iepoch: Python takes valtest's accuracy, and the valid time per epoch of
    // a second call at the last epoch (with `dataset` as given, and another random seed).
    if (!info.valtest)
      throw QueryError("architecture " + std::to_string(index) + " has neither valid nor valtest results on " +
                       detail::quoted(ds) + (iepoch ? " at epoch " + std::to_string(*iepoch) : std::string()));
    const MoreInfo last = get_more_info(index, dataset, std::nullopt, hp, SeedChoice::random(), rng);
    if (!last.valid)
      throw QueryError("architecture " + std::to_string(index) + " has no valid results on " +
                       detail::quoted(dataset) + " at the last epoch either");
    if (!info.train.all_time || !last.valid->per_time)
      throw QueryError("simulate_train_eval needs times, and " +
                       std::string(info.train.all_time ? "valid-per-time" : "train-all-time") + " of architecture " +
                       std::to_string(index) + " on " + detail::quoted(ds) + " is None (a file without times)");
    t.valid_accuracy = info.valtest->accuracy;
    t.time_cost = *info.train.all_time + *last.valid->per_time;
  }
  t.latency = get_latency(index, dataset, hp);
  account.used_time += t.time_cost;
  t.used_time = account.used_time;
  return t;
}

template <typename Real>
std::optional<std::vector<SimulatedTrial>> BasicAPI<Real>::simulated_trials(int index, std::string_view dataset,
                                                                            std::optional<int> iepoch,
                                                                            const Hp& hp) const {
  try {
    const std::string_view ds = simulated_dataset(dataset);
    if (index < 0 || static_cast<std::size_t>(index) >= size() || !has_results(index)) return std::nullopt;
    const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
    const auto& seeds = ar.get_dataset_seeds(ds);
    if (seeds.empty()) return std::nullopt;
    const std::optional<double> latency = get_latency(index, dataset, hp);
    std::vector<SimulatedTrial> out;
    out.reserve(seeds.size());
    for (int seed : seeds) {
      const MoreInfo info = get_more_info(index, ds, iepoch, hp, SeedChoice::seed(seed));
      if (!info.valid) return std::nullopt;  // the valtest fallback draws a second seed
      out.push_back(simulated_trial(info, index, ds));
      out.back().latency = latency;
    }
    return out;
  } catch (const Error&) {
    return std::nullopt;  // simulate_train_eval raises it, for the seeds it draws
  }
}

template <typename Real>
const NetState* BasicAPI<Real>::get_net_param(const ArchRef& arch, std::string_view dataset, int seed,
                                              const Hp& hp) const {
  return query_meta_info_by_index(arch, hp).get_net_param(dataset, seed);
}

template <typename Real>
std::vector<std::pair<int, const NetState*>> BasicAPI<Real>::get_net_param(const ArchRef& arch,
                                                                           std::string_view dataset,
                                                                           const Hp& hp) const {
  return query_meta_info_by_index(arch, hp).get_net_param(dataset);
}

template <typename Real>
void BasicAPI<Real>::clear_params(const ArchRef& arch, std::optional<Hp> hp) {
  const int index = query_index_by_arch(arch);
  for (auto& h : mutable_entry(index))
    if (!hp || h.hp == hp->str()) h.results.clear_params();
}

template <typename Real>
int BasicAPI<Real>::random(Random& rng) const {
  if (meta_archs_.empty()) throw QueryError("random() of an empty benchmark");
  return static_cast<int>(rng.randbelow(meta_archs_.size()));
}

template <typename Real>
int BasicAPI<Real>::random() const {
  std::lock_guard<std::mutex> lock(rng_mutex_);
  return random(rng_);
}

template <typename Real>
std::vector<std::string> BasicAPI<Real>::avaliable_hps() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arch2infos_.size(); ++i) {
    if (grows() ? !ready_[i].load(std::memory_order_acquire) : !has_results(static_cast<long long>(i))) continue;
    if (!grows()) ensure(i);
    if (!arch2infos_[i]) continue;
    for (const auto& h : *arch2infos_[i])
      if (std::find(out.begin(), out.end(), h.hp) == out.end()) out.push_back(h.hp);
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <typename Real>
void BasicAPI<Real>::reset_archive_dir(std::string directory) {
  if (source_)
    if (auto moved = source_->with_directory(directory)) source_ = std::move(moved);
  archive_dir_ = std::move(directory);
}

template <typename Real>
void BasicAPI<Real>::set_fast_mode(std::string directory) {
  fast_mode_ = true;
  archive_dir_ = std::move(directory);
}

template <typename Real>
void BasicAPI<Real>::seed(std::uint64_t s) {
  std::lock_guard<std::mutex> lock(rng_mutex_);
  rng_ = Random(s);
}

template <typename Real>
std::string BasicAPI<Real>::repr() const {
  std::size_t evaluated = 0;
  for_each_evaluated([&](int) { ++evaluated; });
  return name_ + "(" + std::to_string(evaluated) + "/" + std::to_string(meta_archs_.size()) + " architectures, " +
         (semantics_ == Semantics::kNats ? std::string("fast_mode=") + (fast_mode_ ? "True" : "False") + ", "
                                         : std::string()) +
         "file=" + filename_ + ")";
}

template <typename Real>
std::optional<std::string> BasicAPI<Real>::query_info_str_by_arch(const ArchRef& arch, const Hp& hp) const {
  const int index = query_index_by_arch(arch);
  if (index < 0 && fast_mode_ && grows())  // nats_bench's fast mode tries to read the file of index -1
    throw QueryError("query_info_str_by_arch: the architecture is not in the benchmark (index -1)");
  if (!has_results(index)) return std::nullopt;
  const auto lines =
      print_information(query_meta_info_by_index(index, hp), "arch-index=" + std::to_string(index));
  return detail::join(
      lines, [](const std::string& s) { return s; }, "\n");
}

template <typename Real>
std::string BasicAPI<Real>::show(long long index) const {
  std::string out;
  const std::string footer = std::string(40, '<') + "------------" + std::string(40, '<') + "\n";
  auto arch_block = [&](int idx) {
    for (const auto& h : entry(idx)) {
      char head[64];
      std::snprintf(head, sizeof head, " %03d epochs ", h.results.get_total_epoch());
      out += std::string(40, '>') + head + std::string(40, '>') + "\n";
      out += detail::join(
                 print_information(h.results, std::nullopt), [](const std::string& s) { return s; }, "\n") +
             "\n";
    }
    out += footer;  // one per architecture, after its hps (nas_201_api 2.x and nats_bench alike)
  };
  if (index < 0) {
    // nats_bench v1.8 fails here (it reads the results of index -1); this is what it means to print.
    out += repr() + "\n";
    const std::vector<int> evaluated = evaluated_indexes();
    for (std::size_t i = 0; i < evaluated.size(); ++i) {
      char head[128];
      std::snprintf(head, sizeof head, " The (%5zu/%5zu) %06d-th architecture! ", i, evaluated.size(),
                    evaluated[i]);
      out += "\n" + std::string(10, '-') + head + std::string(10, '-') + "\n";
      out += "arch : " + meta_archs_.at(static_cast<std::size_t>(evaluated[i])) + "\n";
      arch_block(evaluated[i]);
    }
  } else if (static_cast<std::size_t>(index) < meta_archs_.size()) {
    if (!has_results(index))
      out += "The " + std::to_string(index) + "-th architecture has not been evaluated or not saved.\n";
    else
      arch_block(static_cast<int>(index));
  } else {
    out += "This index (" + std::to_string(index) + ") is out of range (0~" +
           std::to_string(meta_archs_.size()) + ").\n";
  }
  return out;
}

template <typename Real>
std::vector<std::string> BasicAPI<Real>::print_information(const ArchResults<Real>& info,
                                                           std::optional<std::string> extra_info) {
  const auto names = info.get_dataset_names();
  std::string list = "[";
  for (std::size_t i = 0; i < names.size(); ++i) list += (i ? ", '" : "'") + names[i] + "'";
  list += "]";
  std::vector<std::string> lines{info.arch_str,
                                 "datasets : " + list + ", extra-info : " + extra_info.value_or("None")};
  const bool nats = info.semantics() == Semantics::kNats;
  auto metric2str = [nats](const Metrics& m) {
    char buf[96];
    std::snprintf(buf, sizeof buf, nats ? "loss = %.3f & top1 = %.2f%%" : "loss = %.3f, top1 = %.2f%%",
                  m.loss.value_or(NAN), m.accuracy.value_or(NAN));
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
    std::snprintf(line1, sizeof line1, "%-14s FLOP=%6.2f M, Params=%.3f MB, latency=%s ms.", ds.c_str(),
                  cost.flops, cost.params, lat.c_str());
    const Metrics train = info.get_metrics(ds, "train", std::nullopt, SeedChoice::mean());
    std::string line2;
    char pad[32];
    std::snprintf(pad, sizeof pad, "%-14s", ds.c_str());
    if (ds == "cifar10-valid") {
      line2 = std::string(pad) + " train : [" + metric2str(train) + "], valid : [" +
              metric2str(info.get_metrics(ds, "x-valid", std::nullopt, SeedChoice::mean())) + "]";
      if (nats && looks_like_channels(info.arch_str))  // nats_bench's size space also prints the test set
        line2.insert(line2.size() - 1,
                     "], test : [" + metric2str(info.get_metrics(ds, "ori-test", std::nullopt, SeedChoice::mean())));
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

template <typename Real>
std::vector<std::vector<int>> BasicAPI<Real>::str2matrix(std::string_view arch) {
  return nasbench::str2matrix(arch);
}

template <typename Real>
void BasicAPI<Real>::check_index(long long index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= meta_archs_.size())
    throw QueryError("invalid architecture index " + std::to_string(index) + " (expected 0.." +
                     std::to_string(static_cast<long long>(meta_archs_.size()) - 1) + ")");
}

template <typename Real>
auto BasicAPI<Real>::names_entry(long long index) const -> const std::vector<HpResults>& {
  check_index(index);
  ensure(static_cast<std::size_t>(index));
  const auto& slot = arch2infos_[static_cast<std::size_t>(index)];
  if (!slot) throw QueryError("architecture " + std::to_string(index) + " has no results (not evaluated)");
  return *slot;
}

template <typename Real>
auto BasicAPI<Real>::entry(long long index) const -> const std::vector<HpResults>& {
  const auto& slot = names_entry(index);
  ensure_all(static_cast<std::size_t>(index));
  return slot;
}

template <typename Real>
auto BasicAPI<Real>::mutable_entry(long long index) -> std::vector<HpResults>& {
  (void)entry(index);
  return *arch2infos_[static_cast<std::size_t>(index)];
}

template <typename Real>
Random& BasicAPI<Real>::dummy_rng() {
  thread_local Random r(0);  // never drawn from: only SeedChoice::random() draws
  return r;
}

template <typename Real>
auto BasicAPI<Real>::column(const std::string& hp, const std::string& ds, const std::string& set) const
    -> std::shared_ptr<const Column> {
  const std::string key = hp + '\n' + ds + '\n' + set;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (const std::uint64_t generation = generation_.value.load(std::memory_order_acquire);
      generation != columns_generation_) {  // fast mode loaded more architectures since
    columns_.clear();
    columns_generation_ = generation;
  }
  if (auto it = columns_.find(key); it != columns_.end()) return it->second;
  if (source_ && source_answers_valid_)
    if (std::shared_ptr<const Column> stored = source_->column(hp, ds, set)) {
      columns_.emplace(key, stored);
      return stored;
    }
  auto col = std::make_shared<Column>();
  for_each_evaluated([&](int index) { append_row(*col, index, hp, ds, set); });
  columns_.emplace(key, col);
  return col;
}

template <typename Real>
void BasicAPI<Real>::append_row(Column& col, int index, const std::string& hp, const std::string& ds,
                                const std::string& set) const {
  col.index.push_back(index);
  double flops = 0, params = 0, accuracy = 0;
  std::string cost_error, metric_error;
  try {
    if (!has_results(index))
      throw QueryError("evaluated index " + std::to_string(index) + " has no results");
    const ArchResults<Real>& ar = query_meta_info_by_index(index, hp);
    const auto& d = ar.runs_of(ds);
    if (d.runs.empty())
      throw QueryError("no run of " + detail::quoted(ds) + " in architecture " + std::to_string(index));
    std::tie(flops, params) = ar.flops_and_params(ds);
    try {
      accuracy = ar.get_metrics(ds, set, std::nullopt, SeedChoice::mean()).accuracy.value_or(NAN);
    } catch (const QueryError& e) {
      metric_error = e.message();
    }
  } catch (const QueryError& e) {
    cost_error = e.message();
  }
  col.flops.push_back(flops);
  col.params.push_back(params);
  col.accuracy.push_back(accuracy);
  const std::size_t row = col.index.size() - 1;
  if (!cost_error.empty()) col.cost_errors.emplace_back(row, std::move(cost_error));
  if (!metric_error.empty()) col.metric_errors.emplace_back(row, std::move(metric_error));
}

template <typename Real>
void BasicAPI<Real>::invalidate() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  columns_.clear();
  source_answers_valid_ = false;  // the source's columns and summaries describe the results as opened
}

template <typename Real>
void BasicAPI<Real>::ensure(std::size_t index) const {
  if (!source_ || ready_[index].load(std::memory_order_acquire)) return;
  if (source_->grows() && !fast_mode_) return;  // reset_fast_mode(false): nothing more is read
  std::lock_guard<std::mutex> lock(source_mutex_);
  if (ready_[index].load(std::memory_order_relaxed)) return;
  if (source_->has_results(index)) {
    std::optional<std::vector<std::string>> names = source_->schedules(index);  // LoadError: stays unread
    if (names && names->size() <= 8) {  // each schedule's results when first asked for (ensure_schedule)
      auto results = std::make_unique<std::vector<HpResults>>();
      results->reserve(names->size());
      for (auto& n : *names) results->push_back(HpResults{std::move(n), ArchResults<Real>{}});
      arch2infos_[index] = std::move(results);
      schedules_read_[index].store(0, std::memory_order_relaxed);
    } else {
      auto results = std::make_unique<std::vector<HpResults>>(source_->load(index));
      for (auto& h : *results) h.results.set_semantics(semantics_);
      arch2infos_[index] = std::move(results);
    }
  }
  ready_[index].store(1, std::memory_order_release);
  if (source_->grows()) generation_.value.fetch_add(1, std::memory_order_acq_rel);
}

template <typename Real>
void BasicAPI<Real>::ensure_schedule(std::size_t index, std::size_t position) const {
  ensure(index);
  if (!schedules_read_) return;
  const auto bit = static_cast<std::uint8_t>(1u << position);
  if (schedules_read_[index].load(std::memory_order_acquire) & bit) return;
  std::lock_guard<std::mutex> lock(source_mutex_);
  if (schedules_read_[index].load(std::memory_order_relaxed) & bit) return;
  ArchResults<Real> results = source_->load_schedule(index, position);  // LoadError: stays unread
  results.set_semantics(semantics_);
  (*arch2infos_[index])[position].results = std::move(results);
  schedules_read_[index].fetch_or(bit, std::memory_order_release);
}

template <typename Real>
void BasicAPI<Real>::ensure_all(std::size_t index) const {
  ensure(index);
  if (!schedules_read_ || schedules_read_[index].load(std::memory_order_acquire) == 0xff || !arch2infos_[index]) return;
  for (std::size_t k = 0; k < arch2infos_[index]->size(); ++k) ensure_schedule(index, k);
  schedules_read_[index].fetch_or(0xff, std::memory_order_release);
}

}  // namespace nasbench
