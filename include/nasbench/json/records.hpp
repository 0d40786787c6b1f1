#pragma once
/// @file json/records.hpp
/// The Python form of every query result, as nlohmann::json: dicts with the
/// Python API's keys (absent keys where Python drops them), tuples as arrays,
/// None as null. `nlohmann::json j = api.get_more_info(...)` works through
/// these `to_json` overloads; `nasbench::to_json(x)` returns the value.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nasbench/api/types.hpp"
#include "nasbench/results/records.hpp"

namespace nasbench {

namespace detail {
/// A Python float or None.
inline nlohmann::json opt_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
inline nlohmann::json opt_json(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
}  // namespace detail

/// `get_net_config` / `get_config(None)`: the network builder's arguments.
inline void to_json(nlohmann::json& out, const NetConfig& c) {
  if (c.name == "infer.shape.tiny")
    out = {{"name", c.name}, {"channels", c.channels}, {"genotype", c.genotype}, {"num_classes", c.num_classes}};
  else
    out = {{"name", c.name}, {"C", c.C}, {"N", c.N}, {"arch_str", c.arch_str}, {"num_classes", c.num_classes}};
}

/// `get_train` / `get_eval`: `iepoch`, `loss`, `accuracy`, `cur_time`, `all_time`.
inline void to_json(nlohmann::json& out, const EpochInfo& e) {
  out = {{"iepoch", e.iepoch},
         {"loss", e.loss},
         {"accuracy", e.accuracy},
         {"cur_time", detail::opt_json(e.cur_time)},
         {"all_time", detail::opt_json(e.all_time)}};
}

/// `get_times`: `T-train@epoch`, `T-train@total`, ... in Python's key order.
inline void to_json(nlohmann::json& out, const TimeInfo& t) {
  out = nlohmann::json::object();
  for (const auto& item : t.items) out[item.key] = detail::opt_json(item.value);
}

/// `get_metrics`: `iepoch`, `loss`, `accuracy`, `cur_time`, `all_time`.
inline void to_json(nlohmann::json& out, const Metrics& m) {
  out = {{"iepoch", m.iepoch_is_int && m.iepoch ? nlohmann::json(static_cast<long long>(*m.iepoch))
                                                : detail::opt_json(m.iepoch)},
         {"loss", detail::opt_json(m.loss)},
         {"accuracy", detail::opt_json(m.accuracy)},
         {"cur_time", detail::opt_json(m.cur_time)},
         {"all_time", detail::opt_json(m.all_time)}};
}

/// `get_compute_costs` / `get_cost_info`: `flops`, `params`, `latency`, then the time keys.
inline void to_json(nlohmann::json& out, const CostInfo& c) {
  out = {{"flops", c.flops}, {"params", c.params}, {"latency", detail::opt_json(c.latency)}};
  for (const auto& t : c.times.items) out[t.key] = detail::opt_json(t.value);
}

/// `get_more_info`: `train-loss`, `train-accuracy`, `train-per-time`,
/// `train-all-time`, nats_bench's `comment`, then the same for `valid`,
/// `test`, `valtest` when present.
inline void to_json(nlohmann::json& out, const MoreInfo& info) {
  out = nlohmann::json::object();
  auto put = [&](const char* prefix, const SetSummary& s) {
    const std::string p(prefix);
    out[p + "-loss"] = detail::opt_json(s.loss);
    out[p + "-accuracy"] = detail::opt_json(s.accuracy);
    out[p + "-per-time"] = detail::opt_json(s.per_time);
    out[p + "-all-time"] = detail::opt_json(s.all_time);
  };
  put("train", info.train);
  if (info.comment) out["comment"] = *info.comment;
  if (info.valid) put("valid", *info.valid);
  if (info.test) put("test", *info.test);
  if (info.valtest) put("valtest", *info.valtest);
}

/// `find_best`: the tuple `(index, accuracy)`.
inline void to_json(nlohmann::json& out, const BestArch& b) {
  out = nlohmann::json::array({b.index, detail::opt_json(b.accuracy)});
}

/// `simulate_train_eval`: the tuple `(valid_accuracy, latency, time_cost, used_time)`.
inline void to_json(nlohmann::json& out, const SimulatedTrial& t) {
  out = nlohmann::json::array({detail::opt_json(t.valid_accuracy), detail::opt_json(t.latency), t.time_cost, t.used_time});
}

/// The Python form of a query result, e.g. `to_json(api.get_more_info(...))`.
template <typename T>
[[nodiscard]] nlohmann::json to_json(const T& value) {
  nlohmann::json out;
  to_json(out, value);
  return out;
}

}  // namespace nasbench
