#pragma once
/// @file protocol.hpp
/// The JSON request protocol of `nasbench query`: one request
/// `{"fn": NAME, "args": {...}}` in, one reply `{"result": VALUE}` or
/// `{"error": {"type": T, "message": M}}` out. Argument names and defaults are
/// the Python API's keyword names and defaults. Torch-free.

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "nasbench/api.hpp"
#include "nasbench/error.hpp"

namespace nasbench {

/// A request that does not follow the protocol (bad JSON, unknown function,
/// missing, unknown or mistyped argument).
class RequestError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// Typed access to a request's `args`, rejecting unknown names.
class Args {
 public:
  Args(const nlohmann::json& args, std::string_view fn, std::initializer_list<const char*> allowed)
      : args_(args), fn_(fn) {
    if (!args_.is_object()) throw RequestError(fn_ + ": \"args\" must be an object");
    for (const auto& [key, value] : args_.items()) {
      (void)value;
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
        throw RequestError(fn_ + ": unknown argument " + detail::quoted(key) + " (expected " +
                           join(allowed, [](const char* a) { return std::string(a); }) + ")");
    }
  }
  const nlohmann::json* get(const char* name) const {
    const auto it = args_.find(name);
    return it == args_.end() || it->is_null() ? nullptr : &*it;
  }
  const nlohmann::json& need(const char* name) const {
    if (const auto* v = get(name)) return *v;
    throw RequestError(fn_ + ": missing argument " + detail::quoted(name));
  }
  long long integer(const nlohmann::json& v, const char* name) const {
    if (!v.is_number_integer()) throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be an integer, got " + v.dump());
    return v.get<long long>();
  }
  long long need_int(const char* name) const { return integer(need(name), name); }
  std::optional<int> opt_int(const char* name) const {
    if (const auto* v = get(name)) return static_cast<int>(integer(*v, name));
    return std::nullopt;
  }
  std::string need_str(const char* name) const {
    const auto& v = need(name);
    if (!v.is_string()) throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be a string, got " + v.dump());
    return v.get<std::string>();
  }
  std::optional<double> opt_number(const char* name) const {
    const auto* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be a number, got " + v->dump());
    return v->get<double>();
  }
  /// `hp`: a string or an int, default "12" (or required when `required`).
  Hp hp(bool required = false) const {
    const auto* v = get("hp");
    if (!v) {
      if (required) throw RequestError(fn_ + ": missing argument \"hp\"");
      return Hp("12");
    }
    if (v->is_string()) return Hp(v->get<std::string>());
    if (v->is_number_integer()) return Hp(v->get<int>());
    throw RequestError(fn_ + ": argument \"hp\" must be a string or an integer, got " + v->dump());
  }
  /// `index` (or another name): an int, or an architecture string.
  ArchRef arch(const char* name) const {
    const auto& v = need(name);
    if (v.is_string()) return ArchRef(v.get<std::string>());
    return ArchRef(integer(v, name));
  }
  /// `is_random`: a bool or an int seed.
  SeedChoice choice(bool fallback) const {
    const auto* v = get("is_random");
    if (!v) return SeedChoice::from_bool(fallback);
    if (v->is_boolean()) return SeedChoice::from_bool(v->get<bool>());
    return SeedChoice::seed(static_cast<int>(integer(*v, "is_random")));
  }

 private:
  const nlohmann::json& args_;
  std::string fn_;
};

/// The run named by `index`, `hp`, `dataset`, `seed`.
template <typename Real>
const ResultsCount<Real>& run_of(const BasicAPI<Real>& api, const Args& a) {
  return api.query_meta_info_by_index(a.arch("index"), a.hp(true))
      .query(a.need_str("dataset"), static_cast<int>(a.need_int("seed")));
}

}  // namespace detail

/// Answers one protocol request against `api`; never throws. `rng` serves
/// random choices.
template <typename Real>
[[nodiscard]] nlohmann::json answer_request(const BasicAPI<Real>& api, const nlohmann::json& request, Random& rng) {
  using nlohmann::json;
  using detail::Args;
  using detail::run_of;
  try {
    if (!request.is_object() || !request.contains("fn") || !request["fn"].is_string())
      throw RequestError("a request is an object {\"fn\": NAME, \"args\": {...}}");
    for (const auto& [key, value] : request.items()) {
      (void)value;
      if (key != "fn" && key != "args") throw RequestError("unknown request field " + detail::quoted(key));
    }
    const std::string fn = request["fn"].get<std::string>();
    static const json kEmpty = json::object();
    const json& args = request.contains("args") ? request["args"] : kEmpty;
    json result;
    if (fn == "len") {
      Args a(args, fn, {});
      result = api.size();
    } else if (fn == "arch") {
      Args a(args, fn, {"index"});
      result = api.arch(a.need_int("index"));
    } else if (fn == "query_index_by_arch") {
      Args a(args, fn, {"arch"});
      result = api.query_index_by_arch(a.arch("arch"));
    } else if (fn == "get_more_info") {
      Args a(args, fn, {"index", "dataset", "iepoch", "hp", "is_random"});
      result = api.get_more_info(a.arch("index"), a.need_str("dataset"), a.opt_int("iepoch"), a.hp(), a.choice(true), rng)
                   .to_json();
    } else if (fn == "get_cost_info") {
      Args a(args, fn, {"index", "dataset", "hp"});
      result = api.get_cost_info(a.arch("index"), a.need_str("dataset"), a.hp()).to_json();
    } else if (fn == "get_latency") {
      Args a(args, fn, {"index", "dataset", "hp"});
      result = detail::opt_json(api.get_latency(a.arch("index"), a.need_str("dataset"), a.hp()));
    } else if (fn == "find_best") {
      Args a(args, fn, {"dataset", "metric_on_set", "FLOP_max", "Param_max", "hp"});
      result = api.find_best(a.need_str("dataset"), a.need_str("metric_on_set"), a.opt_number("FLOP_max"),
                             a.opt_number("Param_max"), a.hp())
                   .to_json();
    } else if (fn == "statistics") {
      Args a(args, fn, {"dataset", "hp"});
      result = json::object();
      for (const auto& [seeds, count] : api.statistics(a.need_str("dataset"), a.hp(true)))
        result[std::to_string(seeds)] = count;
    } else if (fn == "get_net_config") {
      Args a(args, fn, {"index", "dataset"});
      result = api.get_net_config(a.arch("index"), a.need_str("dataset")).to_json();
    } else if (fn == "get_dataset_seeds") {
      Args a(args, fn, {"index", "hp", "dataset"});
      result = api.query_meta_info_by_index(a.arch("index"), a.hp(true)).get_dataset_seeds(a.need_str("dataset"));
    } else if (fn == "get_metrics") {
      Args a(args, fn, {"index", "hp", "dataset", "setname", "iepoch", "is_random"});
      result = api.query_meta_info_by_index(a.arch("index"), a.hp(true))
                   .get_metrics(a.need_str("dataset"), a.need_str("setname"), a.opt_int("iepoch"), a.choice(false), &rng)
                   .to_json();
    } else if (fn == "get_train") {
      Args a(args, fn, {"index", "hp", "dataset", "seed", "iepoch"});
      result = run_of(api, a).get_train(a.opt_int("iepoch")).to_json();
    } else if (fn == "get_eval") {
      Args a(args, fn, {"index", "hp", "dataset", "seed", "name", "iepoch"});
      result = run_of(api, a).get_eval(a.need_str("name"), a.opt_int("iepoch")).to_json();
    } else if (fn == "get_times") {
      Args a(args, fn, {"index", "hp", "dataset", "seed"});
      result = run_of(api, a).get_times().to_json();
    } else if (fn == "get_total_epoch") {
      Args a(args, fn, {"index", "hp", "dataset"});
      const auto* ds = a.get("dataset");
      if (ds && !ds->is_string()) throw RequestError(fn + ": argument \"dataset\" must be a string, got " + ds->dump());
      const auto& ar = api.query_meta_info_by_index(a.arch("index"), a.hp(true));
      result = ds ? ar.get_total_epoch(ds->get_ref<const std::string&>()) : ar.get_total_epoch();
    } else {
      throw RequestError("unknown function " + detail::quoted(fn) +
                         " (expected one of len, arch, query_index_by_arch, get_more_info, get_cost_info, get_latency, "
                         "find_best, statistics, get_net_config, get_dataset_seeds, get_metrics, get_train, get_eval, "
                         "get_times, get_total_epoch)");
    }
    return json{{"result", std::move(result)}};
  } catch (const RequestError& e) {
    return json{{"error", {{"type", "RequestError"}, {"message", e.what()}}}};
  } catch (const QueryError& e) {
    return json{{"error", {{"type", "QueryError"}, {"message", e.what()}}}};
  } catch (const Error& e) {
    return json{{"error", {{"type", "Error"}, {"message", e.what()}}}};
  } catch (const std::exception& e) {
    return json{{"error", {{"type", "RequestError"}, {"message", std::string("nasbench: ") + e.what()}}}};
  }
}

/// Answers one line of text (a JSON request) with one line of JSON (no newline).
template <typename Real>
[[nodiscard]] std::string answer_line(const BasicAPI<Real>& api, std::string_view line, Random& rng) {
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    return nlohmann::json{{"error", {{"type", "RequestError"}, {"message", std::string("nasbench: invalid JSON: ") + e.what()}}}}
        .dump();
  }
  return answer_request(api, request, rng).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace nasbench
