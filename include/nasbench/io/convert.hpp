#pragma once
/// @file io/convert.hpp
/// Pickled state dicts into typed tables: a ResultsCount state (a run) and
/// an ArchResults state (an architecture) are checked against the schema and
/// converted field by field (results/fields.hpp), with errors that name the
/// key path. The streaming loader (io/load.hpp) converts each state the moment
/// the unpickler completes it and leaves a handle in its place.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/pickle.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/fields.hpp"
#include "nasbench/results/net_state.hpp"

namespace nasbench {
namespace detail {

/// A converted ResultsCount or ArchResults (or the reason it could not be
/// converted), held by the handle that replaces its dict.
template <typename T>
struct Converted {
  T value;
  std::string error_path, error;  ///< "['train_losses']", "expected dict, got list"; error empty when fine
  std::string skipped;            ///< a run left out by LoadOptions::datasets: its 'name'
  bool taken = false;             ///< value moved out by take()
};
inline constexpr std::int64_t kRunHandle = 0x52554e;   // "RUN"
inline constexpr std::int64_t kArchHandle = 0x415243;  // "ARC"

/// A schema error at a relative key path; the top level prefixes its own path.
class SchemaError : public std::exception {
 public:
  SchemaError(std::string path, std::string what) : path_(std::move(path)), what_(std::move(what)) {}
  [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  SchemaError prefixed(const std::string& prefix) const { return SchemaError(prefix + path_, what_); }

 private:
  std::string path_, what_;
};

inline std::string key_repr(std::string_view key) { return "['" + std::string(key) + "']"; }

[[noreturn]] inline void schema_fail(std::string path, const std::string& expected, const pickle::Value& got) {
  throw SchemaError(std::move(path), "expected " + expected + ", got " + std::string(got.type_name()));
}

inline const pickle::Value& field(const pickle::Value& dict, std::string_view key) {
  if (const pickle::Value* v = dict.find(key)) return *v;
  throw SchemaError("", "missing key '" + std::string(key) + "'");
}
inline const pickle::Value* optional_field(const pickle::Value& dict, std::string_view key) {
  const pickle::Value* v = dict.find(key);
  return v && !v->is_none() ? v : nullptr;
}
inline std::int64_t int_field(const pickle::Value& dict, std::string_view key) {
  const pickle::Value& v = field(dict, key);
  if (!v.is_int()) schema_fail(key_repr(key), "int", v);
  return v.as_int();
}
inline double number(const pickle::Value& v, const std::string& path) {
  if (!v.is_int() && !v.is_float()) schema_fail(path, "a number", v);
  return v.to_double();
}
inline std::string str_field(const pickle::Value& dict, std::string_view key) {
  const pickle::Value& v = field(dict, key);
  if (!v.is_str()) schema_fail(key_repr(key), "str", v);
  return std::string(v.as_str());
}
/// A seed: an int, or a str of digits such as '0777'.
inline int seed_of(const pickle::Value& v, const std::string& path) {
  if (v.is_int()) return static_cast<int>(v.as_int());
  if (v.is_str()) {
    const std::string_view s = v.as_str();
    int out = 0;
    if (s.empty() || s.size() > 9) schema_fail(path, "a seed (int or digit string)", v);
    for (char c : s) {
      if (c < '0' || c > '9') throw SchemaError(path, "expected a seed, got '" + std::string(s) + "'");
      out = out * 10 + (c - '0');
    }
    return out;
  }
  schema_fail(path, "a seed (int or digit string)", v);
}

inline std::size_t epoch_of(std::int64_t e, const std::string& path) {
  if (e < 0 || e >= kMaxEpochs) throw SchemaError(path, "epoch " + std::to_string(e) + " out of range");
  return static_cast<std::size_t>(e);
}

/// `{epoch: value}` into a Series; None values are left absent. Key paths
/// are only built for an error (this runs for every value of the file).
template <typename Real>
void read_epoch_series(const pickle::Value& dict, std::string_view key, Series<Real>& out) {
  const pickle::Value& d = field(dict, key);
  if (!d.is_dict()) schema_fail(key_repr(key), "dict", d);
  out.reserve(std::min<std::size_t>(d.size(), 1024));
  for (const auto& [k, v] : d.dict_items()) {
    if (!k.is_int()) schema_fail(key_repr(key) + "[" + k.repr(pickle::kMessageRepr) + "]", "an int epoch key", k);
    const std::int64_t e = k.as_int();
    auto path = [&] { return key_repr(key) + "[" + std::to_string(e) + "]"; };
    if (e < 0 || e >= kMaxEpochs) (void)epoch_of(e, path());  // throws
    if (v.is_none()) continue;
    if (!v.is_int() && !v.is_float()) schema_fail(path(), "a number", v);
    out.set(static_cast<std::size_t>(e), v.to_double());
  }
}

/// `{'set@epoch': value}` into the eval series of each set.
template <typename Real>
void read_eval_series(const pickle::Value& d, std::string_view key, ResultsCount<Real>& run,
                      Series<Real> EvalSeries<Real>::*member) {
  if (!d.is_dict()) schema_fail(key_repr(key), "dict", d);
  std::string_view last_set;  // keys come grouped by set: look a set up once per group
  Series<Real>* series = nullptr;
  for (const auto& [k, v] : d.dict_items()) {
    if (!k.is_str()) schema_fail(key_repr(key) + "[" + k.repr(pickle::kMessageRepr) + "]", "a 'set@epoch' str key", k);
    const std::string_view name = k.as_str();
    auto path = [&] { return key_repr(key) + "['" + std::string(name) + "']"; };
    const std::size_t at = name.rfind('@');
    if (at == std::string_view::npos || at + 1 >= name.size() || name.size() - at - 1 > 7)
      throw SchemaError(path(), "expected a 'set@epoch' key");
    std::int64_t e = 0;
    for (char c : name.substr(at + 1)) {
      if (c < '0' || c > '9') throw SchemaError(path(), "expected a 'set@epoch' key");
      e = e * 10 + (c - '0');
    }
    if (e >= kMaxEpochs) (void)epoch_of(e, path());  // throws
    if (v.is_none()) continue;
    if (!v.is_int() && !v.is_float()) schema_fail(path(), "a number", v);
    const std::string_view set = name.substr(0, at);
    if (series == nullptr || set != last_set) {
      series = &(run.eval_series(set).*member);
      last_set = set;
    }
    series->set(static_cast<std::size_t>(e), v.to_double());
  }
}

/// Whether a small dict has every str key of `keys`, by a linear scan (the
/// hook sees every completed dict: per-epoch dicts of hundreds of items must
/// not pay for a hash index they never need).
inline bool has_keys(const pickle::Value& v, std::initializer_list<std::string_view> keys) {
  if (!v.is_dict() || v.size() > 64) return false;  // states have a few dozen keys at most
  for (std::string_view key : keys) {
    bool found = false;
    for (const auto& [k, unused] : v.dict_items())
      if (k.is_str() && k.as_str() == key) {
        found = true;
        break;
      }
    if (!found) return false;
  }
  return true;
}
/// Whether a dict is a ResultsCount state.
inline bool looks_like_run(const pickle::Value& v) { return has_keys(v, {"train_acc1es", "eval_acc1es", "epochs"}); }
/// Whether a dict is an ArchResults state.
inline bool looks_like_arch(const pickle::Value& v) { return has_keys(v, {"all_results", "dataset_seed"}); }

/// Fills each field visit_fields() names from a ResultsCount state dict, by
/// the same key (the optional ones absent or None stay at their defaults).
template <typename Real>
struct RunConverter {
  const pickle::Value& s;
  ResultsCount<Real>& r;
  static std::string path(const char* key) { return key_repr(key); }
  void operator()(const char* key, std::string& out) { out = str_field(s, key); }
  void operator()(const char* key, int& out) {
    if (std::string_view(key) == "seed") {
      out = seed_of(field(s, key), path(key));
      return;
    }
    const std::int64_t e = int_field(s, key);  // "epochs"
    if (e < 0 || e >= kMaxEpochs) throw SchemaError(path(key), "epochs " + std::to_string(e) + " out of range");
    out = static_cast<int>(e);
  }
  void operator()(const char* key, double& out) { out = number(field(s, key), path(key)); }
  void operator()(const char* key, std::optional<std::vector<double>>& out) {
    const pickle::Value* lat = optional_field(s, key);
    if (!lat) return;
    std::vector<double> xs;
    if (lat->is_list() || lat->is_tuple()) {
      for (std::size_t i = 0; i < lat->size(); ++i)
        xs.push_back(number((*lat)[i], path(key) + "[" + std::to_string(i) + "]"));
    } else {
      xs.push_back(number(*lat, path(key)));
    }
    out = std::move(xs);
  }
  /// `arch_config`: optional, and so is each of its fields (None or absent: empty or 0).
  void operator()(const char* key, ArchConfig& c) {
    const pickle::Value* cfg = optional_field(s, key);
    if (!cfg) return;
    if (!cfg->is_dict()) schema_fail(path(key), "dict", *cfg);
    struct {
      const pickle::Value& cfg;
      std::string base;
      void operator()(const char* k, std::string& out) const {
        const pickle::Value* v = cfg.find(k);
        if (!v || v->is_none()) return;
        if (!v->is_str()) schema_fail(base + key_repr(k), "str", *v);
        out = std::string(v->as_str());
      }
      void operator()(const char* k, int& out) const {
        const pickle::Value* v = cfg.find(k);
        if (!v || v->is_none()) return;
        if (!v->is_int()) schema_fail(base + key_repr(k), "int", *v);
        out = static_cast<int>(v->as_int());
      }
    } sub{*cfg, path(key)};
    visit_config_fields(c, sub);
  }
  void operator()(const char* key, Series<Real>& out) {
    if (std::string_view(key) == "train_acc5es" && !optional_field(s, key)) return;  // optional
    read_epoch_series(s, key, out);
  }
  void operator()(const char* key, std::optional<Series<Real>>& out) {  // train_times, optional
    if (!optional_field(s, key)) return;
    out.emplace();
    read_epoch_series(s, key, *out);
  }
  void operator()(const char* key, std::vector<std::string>& out) {  // eval_names
    const pickle::Value& names = field(s, key);
    if (!names.is_list() && !names.is_tuple()) schema_fail(path(key), "list", names);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_str()) schema_fail(path(key) + "[" + std::to_string(i) + "]", "str", names[i]);
      out.emplace_back(names[i].as_str());
    }
  }
  /// The eval sets come from three dicts keyed 'set@epoch'; eval_times may be
  /// absent, None, or empty (then eval_times_usable stays false).
  void operator()(const char*, std::vector<std::pair<std::string, EvalSeries<Real>>>&) {
    read_eval_series(field(s, "eval_acc1es"), "eval_acc1es", r, &EvalSeries<Real>::acc1es);
    read_eval_series(field(s, "eval_losses"), "eval_losses", r, &EvalSeries<Real>::losses);
    if (const pickle::Value* times = optional_field(s, "eval_times")) {
      if (times->is_dict()) {
        r.eval_times_usable = times->size() > 0;
        read_eval_series(*times, "eval_times", r, &EvalSeries<Real>::times);
      }
    }
  }
  void operator()(const char*, bool&) {}  // eval_times_usable: set with the eval sets
};

/// A ResultsCount state -> ResultsCount (only its last epoch when
/// `final_only`). SchemaError with a relative path.
template <typename Real>
ResultsCount<Real> convert_run(const pickle::Value& s, const std::shared_ptr<const StorageTable>& storages,
                               bool final_only) {
  ResultsCount<Real> r;
  visit_fields(r, RunConverter<Real>{s, r});
  if (const pickle::Value* w = optional_field(s, "net_state_dict")) {
    if (!w->is_dict()) schema_fail("['net_state_dict']", "a state dict (OrderedDict of tensors)", *w);
    r.net_state = std::make_shared<NetState>(NetState{*w, storages});
  }
  r.finalize();
  if (final_only) r.keep_final_epoch_only();
  return r;
}

/// A converted handle's value (or its conversion error), or a state dict
/// converted now (objects built without the streaming hook). A handle that
/// nothing else references gives its value away (moved, not copied: the
/// tables are never held twice).
template <typename T, typename Convert>
T take(const pickle::Value& v, std::int64_t handle_id, const char* expected, Convert&& convert) {
  if (v.is_handle() && v.handle_id() == handle_id) {
    auto* c = static_cast<Converted<T>*>(v.handle_payload().get());
    if (c->taken) throw SchemaError("", "the same results object is used twice after its first use moved it");
    if (!c->error.empty()) throw SchemaError(c->error_path, c->error);
    if (!c->skipped.empty())
      throw SchemaError("['name']", "the run of dataset '" + c->skipped +
                                        "' (left out by LoadOptions::datasets) is filed under another dataset");
    if (v.use_count() == 1 && v.handle_payload().use_count() == 1) {  // sole owner: the loader's own tree
      c->taken = true;
      return std::move(c->value);
    }
    return c->value;
  }
  if (!v.is_dict()) schema_fail("", expected, v);
  return convert(v);
}

/// Converts the completed dict `v` and turns it into a handle holding the
/// result, or the error to report once its key path is known.
template <typename T, typename Convert>
void convert_to_handle(pickle::Value& v, std::int64_t handle_id, Convert&& convert) {
  auto c = std::make_shared<Converted<T>>();
  try {
    c->value = convert(v);
  } catch (const SchemaError& e) {
    c->error_path = e.path();
    c->error = e.what();
  } catch (const LoadError& e) {
    c->error = e.message();
  }
  v.become_handle(handle_id, std::move(c));
}

template <typename Real>
ResultsCount<Real> take_run(const pickle::Value& v, const std::shared_ptr<const StorageTable>& storages,
                            bool final_only) {
  return take<ResultsCount<Real>>(v, kRunHandle, "a ResultsCount dict", [&](const pickle::Value& s) {
    return convert_run<Real>(s, storages, final_only);
  });
}

/// Default LoadOptions (everything loaded), for internal callers without any.
inline const LoadOptions& no_options() {
  static const LoadOptions none;
  return none;
}

/// An ArchResults state -> ArchResults.
template <typename Real>
ArchResults<Real> convert_arch(const pickle::Value& s, const std::shared_ptr<const StorageTable>& storages,
                               const LoadOptions& options) {
  ArchResults<Real> a;
  a.arch_index = static_cast<int>(int_field(s, "arch_index"));
  a.arch_str = str_field(s, "arch_str");
  if (const pickle::Value* c = s.find("clear_net_done")) a.clear_net_done = c->is_bool() && c->as_bool();
  const pickle::Value& all = field(s, "all_results");
  if (!all.is_dict()) schema_fail("['all_results']", "dict", all);
  for (const auto& [k, v] : all.dict_items()) {
    const std::string path = "['all_results'][" + k.repr(pickle::kMessageRepr) + "]";
    if (!k.is_tuple() || k.size() != 2 || !k[0].is_str())
      schema_fail("['all_results'][" + k.repr(pickle::kMessageRepr) + "]", "a (dataset, seed) tuple key", k);
    if (!options.wants_dataset(k[0].as_str())) continue;
    try {
      ResultsCount<Real> run = take_run<Real>(v, storages, options.final_epoch_only);
      run.name = std::string(k[0].as_str());
      run.seed = seed_of(k[1], path);
      a.add_result(std::move(run));
    } catch (const SchemaError& e) {
      throw e.prefixed(path);
    }
  }
  const pickle::Value& ds = field(s, "dataset_seed");
  if (!ds.is_dict()) schema_fail("['dataset_seed']", "dict", ds);
  for (const auto& [k, v] : ds.dict_items()) {
    if (!k.is_str()) schema_fail("['dataset_seed'][" + k.repr(pickle::kMessageRepr) + "]", "a dataset name key", k);
    const std::string path = "['dataset_seed'][" + k.repr(pickle::kMessageRepr) + "]";
    if (!v.is_list() && !v.is_tuple() && !v.is_set()) schema_fail(path, "list", v);
    if (!options.wants_dataset(k.as_str())) {
      a.skipped_datasets.emplace_back(k.as_str());
      continue;
    }
    std::vector<int> seeds;
    for (std::size_t i = 0; i < v.size(); ++i) seeds.push_back(seed_of(v[i], path + "[" + std::to_string(i) + "]"));
    try {
      a.set_dataset_seeds(std::string(k.as_str()), std::move(seeds));
    } catch (const LoadError& e) {
      throw SchemaError(path, e.message());
    }
  }
  return a;
}

template <typename Real>
ArchResults<Real> take_arch(const pickle::Value& v, const std::shared_ptr<const StorageTable>& storages,
                            const LoadOptions& options) {
  return take<ArchResults<Real>>(v, kArchHandle, "an ArchResults dict",
                                 [&](const pickle::Value& s) { return convert_arch<Real>(s, storages, options); });
}

}  // namespace detail
}  // namespace nasbench
