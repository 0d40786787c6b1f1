#pragma once
/// @file json/protocol.hpp
/// The JSON request protocol of `nasbench query`: one request
/// `{"fn": NAME, "args": {...}}` in, one reply `{"result": VALUE}` or
/// `{"error": {"type": T, "message": M}}` out. Argument names and defaults are
/// the Python API's keyword names and defaults. Torch-free.
///
/// Whatever bytes a request line holds, it gets exactly one reply, and the
/// caller goes on with the next line (`serve_requests`):
/// - a line longer than `kMaxRequestBytes` (1 MiB; real requests are under
///   1 KB) is read to its end and discarded, and answered with a RequestError;
/// - invalid JSON, invalid UTF-8, a NUL byte, numbers outside the double range
///   (`1e999`), nesting deeper than `kMaxRequestDepth`, duplicate keys and an
///   empty line are RequestErrors; bytes that are not valid UTF-8 are quoted
///   as `\xNN` in the message, so every reply is valid UTF-8 JSON;
/// - an integer argument outside its type's range is an error, never
///   truncated: an `index`, `hp`, `seed`, `iepoch` or `is_random` beyond 32
///   bits is answered as the value it is (a QueryError: no such
///   architecture, schedule, seed or epoch), as Python would answer it;
/// - a trailing `\r` (CRLF line ends) is dropped; a last line without a
///   newline is answered like any other.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <istream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/json/records.hpp"

namespace nasbench {

/// A request that does not follow the protocol (bad JSON, unknown function,
/// missing, unknown or mistyped argument).
class RequestError : public Error {
 public:
  using Error::Error;
};

/// The longest request line `serve_requests` reads (bytes, without the newline).
inline constexpr std::size_t kMaxRequestBytes = std::size_t{1} << 20;
/// The deepest nesting of arrays and objects a request may have.
inline constexpr int kMaxRequestDepth = 64;

namespace detail {

/// `s` with every byte that is not part of a well-formed UTF-8 sequence
/// written as `\xNN`, so that it can go into a JSON reply.
inline std::string escape_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = byte(i);
    std::size_t n = 0;  // length of a well-formed sequence starting at i, or 0
    if (c < 0x80) {
      n = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = cont(i + 1) ? 2 : 0;
    } else if (c >= 0xE0 && c <= 0xEF) {
      const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      n = i + 1 < s.size() && byte(i + 1) >= lo && byte(i + 1) <= hi && cont(i + 2) ? 3 : 0;
    } else if (c >= 0xF0 && c <= 0xF4) {
      const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      n = i + 1 < s.size() && byte(i + 1) >= lo && byte(i + 1) <= hi && cont(i + 2) && cont(i + 3) ? 4 : 0;
    }
    if (n == 0) {
      static const char* const kHex = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

/// At most `limit` bytes of the UTF-8 text `text` (whole characters), then
/// "..." when it was longer.
inline std::string clip(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

/// A JSON value as it appears in an error message: at most `limit` bytes of
/// its text, then "...".
inline std::string preview(const nlohmann::json& v, std::size_t limit = 200) {
  return clip(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), limit);
}

/// The depth of `v`'s nesting (a scalar is 0), counted without recursion and
/// stopping once it exceeds `limit`.
inline int nesting_depth(const nlohmann::json& v, int limit) {
  std::vector<std::pair<const nlohmann::json*, int>> pending{{&v, 0}};
  int deepest = 0;
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const auto& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

/// An error reply.
inline nlohmann::json error_reply(std::string_view type, std::string_view message) {
  return nlohmann::json{{"error", {{"type", type}, {"message", escape_invalid_utf8(message)}}}};
}

/// Typed access to a request's `args`, rejecting unknown names.
class Args {
 public:
  Args(const nlohmann::json& args, std::string_view fn, std::initializer_list<const char*> allowed)
      : args_(args), fn_(fn) {
    if (!args_.is_object()) throw RequestError(fn_ + ": \"args\" must be an object");
    for (const auto& item : args_.items()) {
      const std::string& key = item.key();  // not a structured binding: lambdas capture those only from C++20
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
  /// An integer argument; beyond the range of `long long` is an error.
  long long integer(const nlohmann::json& v, const char* name) const {
    if (!v.is_number_integer())
      throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be an integer, got " + preview(v));
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))
      throw QueryError(fn_ + ": argument " + detail::quoted(name) + " = " + v.dump() + " is out of range");
    return v.get<long long>();
  }
  /// An integer argument that the API takes as an `int` (epoch, seed):
  /// a value beyond 32 bits names no epoch or seed, so it is a QueryError.
  int int32(const nlohmann::json& v, const char* name) const {
    const long long x = integer(v, name);
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
      throw QueryError(fn_ + ": " + name + " " + std::to_string(x) +
                       " is out of range (the benchmark's seeds and epochs fit in 32 bits)");
    return static_cast<int>(x);
  }
  long long need_int(const char* name) const { return integer(need(name), name); }
  int need_int32(const char* name) const { return int32(need(name), name); }
  std::optional<int> opt_int(const char* name) const {
    if (const auto* v = get(name)) return int32(*v, name);
    return std::nullopt;
  }
  std::string need_str(const char* name) const {
    const auto& v = need(name);
    if (!v.is_string()) throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be a string, got " + preview(v));
    return v.get<std::string>();
  }
  std::optional<double> opt_number(const char* name) const {
    const auto* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be a number, got " + preview(*v));
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
    // As Python's str(hp): any integer names a schedule, unknown ones raise the API's QueryError.
    if (v->is_number_integer()) return Hp(std::to_string(integer(*v, "hp")));
    throw RequestError(fn_ + ": argument \"hp\" must be a string or an integer, got " + preview(*v));
  }
  /// `index` (or another name): an int, or an architecture string.
  ArchRef arch(const char* name) const {
    const auto& v = need(name);
    if (v.is_string()) return ArchRef(v.get<std::string>());
    return ArchRef(integer(v, name));
  }
  /// A boolean argument, nullopt when absent.
  std::optional<bool> opt_bool(const char* name) const {
    const auto* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) throw RequestError(fn_ + ": argument " + detail::quoted(name) + " must be true or false, got " + preview(*v));
    return v->get<bool>();
  }
  /// A number under either of two names (nats_bench's `flop_max`, nas_201_api's `FLOP_max`).
  std::optional<double> opt_number_either(const char* name, const char* old_name) const {
    if (get(name) && get(old_name))
      throw RequestError(fn_ + ": give " + detail::quoted(name) + " or " + detail::quoted(old_name) + ", not both");
    return get(name) ? opt_number(name) : opt_number(old_name);
  }
  /// `is_random`: a bool or an int seed.
  SeedChoice choice(bool fallback) const {
    const auto* v = get("is_random");
    if (!v) return SeedChoice::from_bool(fallback);
    if (v->is_boolean()) return SeedChoice::from_bool(v->get<bool>());
    return SeedChoice::seed(int32(*v, "is_random"));
  }

 private:
  const nlohmann::json& args_;
  std::string fn_;
};

/// The run named by `index`, `hp`, `dataset`, `seed`.
template <typename Real>
const ResultsCount<Real>& run_of(const BasicAPI<Real>& api, const Args& a) {
  return api.query_meta_info_by_index(a.arch("index"), a.hp(true))
      .query(a.need_str("dataset"), a.need_int32("seed"));
}

}  // namespace detail

namespace detail {

/// The functions answer_request knows, for the unknown-function error.
inline const std::initializer_list<std::string_view>& protocol_functions() {
  static const std::initializer_list<std::string_view> names = {
      "len", "arch", "query_index_by_arch", "get_more_info", "get_cost_info", "get_latency", "find_best",
      "statistics", "get_net_config", "get_dataset_seeds", "get_metrics", "get_train", "get_eval", "get_times",
      "get_total_epoch", "avaliable_hps", "simulate_train_eval", "used_time", "reset_time", "random",
      "get_unique_str", "show", "query_info_str_by_arch", "repr", "properties"};
  return names;
}

/// answer_request() for a const API (`simulate_train_eval` and `reset_time`
/// change it: RequestError) or a mutable one.
template <typename API>
nlohmann::json answer(API& api, const nlohmann::json& request, Random& rng) {
  using nlohmann::json;
  constexpr bool kWritable = !std::is_const_v<API>;
  try {
    if (nesting_depth(request, kMaxRequestDepth) > kMaxRequestDepth)
      throw RequestError("request nested deeper than " + std::to_string(kMaxRequestDepth) + " levels");
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
      result = nasbench::to_json(api.get_more_info(a.arch("index"), a.need_str("dataset"), a.opt_int("iepoch"), a.hp(), a.choice(true), rng));
    } else if (fn == "get_cost_info") {
      Args a(args, fn, {"index", "dataset", "hp"});
      result = nasbench::to_json(api.get_cost_info(a.arch("index"), a.need_str("dataset"), a.hp()));
    } else if (fn == "get_latency") {
      Args a(args, fn, {"index", "dataset", "hp"});
      result = opt_json(api.get_latency(a.arch("index"), a.need_str("dataset"), a.hp()));
    } else if (fn == "find_best") {
      Args a(args, fn, {"dataset", "metric_on_set", "flop_max", "param_max", "FLOP_max", "Param_max", "hp", "enforce_all"});
      result = nasbench::to_json(api.find_best(a.need_str("dataset"), a.need_str("metric_on_set"),
                                               a.opt_number_either("flop_max", "FLOP_max"),
                                               a.opt_number_either("param_max", "Param_max"), a.hp(), a.opt_bool("enforce_all")));
    } else if (fn == "statistics") {
      Args a(args, fn, {"dataset", "hp"});
      result = json::object();
      for (const auto& [seeds, count] : api.statistics(a.need_str("dataset"), a.hp(true)))
        result[std::to_string(seeds)] = count;
    } else if (fn == "get_net_config") {
      Args a(args, fn, {"index", "dataset"});
      result = nasbench::to_json(api.get_net_config(a.arch("index"), a.need_str("dataset")));
    } else if (fn == "get_dataset_seeds") {
      Args a(args, fn, {"index", "hp", "dataset"});
      result = api.query_meta_info_by_index(a.arch("index"), a.hp(true)).get_dataset_seeds(a.need_str("dataset"));
    } else if (fn == "get_metrics") {
      Args a(args, fn, {"index", "hp", "dataset", "setname", "iepoch", "is_random"});
      result = nasbench::to_json(api.query_meta_info_by_index(a.arch("index"), a.hp(true))
                   .get_metrics(a.need_str("dataset"), a.need_str("setname"), a.opt_int("iepoch"), a.choice(false), &rng));
    } else if (fn == "get_train") {
      Args a(args, fn, {"index", "hp", "dataset", "seed", "iepoch"});
      result = nasbench::to_json(run_of(api, a).get_train(a.opt_int("iepoch")));
    } else if (fn == "get_eval") {
      Args a(args, fn, {"index", "hp", "dataset", "seed", "name", "iepoch"});
      result = nasbench::to_json(run_of(api, a).get_eval(a.need_str("name"), a.opt_int("iepoch")));
    } else if (fn == "get_times") {
      Args a(args, fn, {"index", "hp", "dataset", "seed"});
      result = nasbench::to_json(run_of(api, a).get_times());
    } else if (fn == "get_total_epoch") {
      Args a(args, fn, {"index", "hp", "dataset"});
      const auto* ds = a.get("dataset");
      if (ds && !ds->is_string()) throw RequestError(fn + ": argument \"dataset\" must be a string, got " + preview(*ds));
      const auto& ar = api.query_meta_info_by_index(a.arch("index"), a.hp(true));
      result = ds ? ar.get_total_epoch(ds->get_ref<const std::string&>()) : ar.get_total_epoch();
    } else if (fn == "avaliable_hps") {
      Args a(args, fn, {});
      result = api.avaliable_hps();
    } else if (fn == "simulate_train_eval" || fn == "reset_time") {
      if constexpr (kWritable) {
        if (fn == "reset_time") {
          Args a(args, fn, {});
          api.reset_time();
          result = nullptr;
        } else {
          Args a(args, fn, {"arch", "dataset", "iepoch", "hp", "account_time"});
          result = nasbench::to_json(api.simulate_train_eval(a.arch("arch"), a.need_str("dataset"), a.opt_int("iepoch"),
                                                             a.hp(), a.opt_bool("account_time").value_or(true), rng));
        }
      } else {
        throw RequestError(fn + " changes the API's time accounting, and this API is read-only");
      }
    } else if (fn == "used_time") {
      Args a(args, fn, {});
      result = api.used_time();
    } else if (fn == "random") {
      Args a(args, fn, {});
      result = api.random(rng);
    } else if (fn == "get_unique_str") {
      Args a(args, fn, {"index"});
      result = api.get_unique_str(a.arch("index"));
    } else if (fn == "show") {
      Args a(args, fn, {"index"});
      result = api.show(a.get("index") ? a.need_int("index") : -1);
    } else if (fn == "query_info_str_by_arch") {
      Args a(args, fn, {"arch", "hp"});
      result = opt_json(api.query_info_str_by_arch(a.arch("arch"), a.hp()));
    } else if (fn == "repr") {
      Args a(args, fn, {});
      result = api.repr();
    } else if (fn == "properties") {
      Args a(args, fn, {});
      result = {{"class_name", api.class_name()},
                {"search_space_name", std::string(api.search_space_name())},
                {"fast_mode", api.fast_mode()},
                {"full_train_epochs", api.full_train_epochs()},
                {"full_epochs_in_paper", api.full_epochs_in_paper()},
                {"is_size", api.is_size()},
                {"is_topology", api.is_topology()},
                {"archive_dir", opt_json(api.archive_dir())}};
    } else {
      throw unknown_value<RequestError>("function", fn, protocol_functions());
    }
    return json{{"result", std::move(result)}};
  } catch (const RequestError& e) {
    return error_reply("RequestError", e.what());
  } catch (const QueryError& e) {
    return error_reply("QueryError", e.what());
  } catch (const Error& e) {
    return error_reply("Error", e.what());
  } catch (const std::exception& e) {
    return error_reply("RequestError", std::string("nasbench: ") + e.what());
  } catch (...) {
    return error_reply("Error", "nasbench: unexpected exception while answering the request");
  }
}

}  // namespace detail

/// Answers one protocol request against `api`; never throws. `rng` serves
/// random choices. A read-only API answers `simulate_train_eval` and
/// `reset_time` (which change its time accounting) with a RequestError.
template <typename Real>
[[nodiscard]] nlohmann::json answer_request(const BasicAPI<Real>& api, const nlohmann::json& request, Random& rng) {
  return detail::answer(api, request, rng);
}
/// answer_request() for an API that `simulate_train_eval` / `reset_time` may change.
template <typename Real>
[[nodiscard]] nlohmann::json answer_request(BasicAPI<Real>& api, const nlohmann::json& request, Random& rng) {
  return detail::answer(api, request, rng);
}

namespace detail {

/// Parses one request line, rejecting what nlohmann would accept silently or
/// fail on late: NUL bytes, nesting deeper than kMaxRequestDepth (checked
/// while parsing, before a deep tree exists) and duplicate keys.
inline nlohmann::json parse_request(std::string_view line) {
  if (const auto nul = line.find('\0'); nul != std::string_view::npos)
    throw RequestError("request contains a NUL byte at column " + std::to_string(nul + 1));
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) throw RequestError("empty request line");
  std::vector<std::vector<std::string>> keys;  // the keys of each open object
  const nlohmann::json::parser_callback_t check = [&](int depth, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if ((event == E::object_start || event == E::array_start) && depth >= kMaxRequestDepth)
      throw RequestError("request nested deeper than " + std::to_string(kMaxRequestDepth) + " levels");
    if (event == E::object_start) keys.emplace_back();
    if (event == E::object_end && !keys.empty()) keys.pop_back();
    if (event == E::key && !keys.empty()) {
      auto& open = keys.back();
      const auto& key = parsed.get_ref<const std::string&>();
      if (std::find(open.begin(), open.end(), key) != open.end())
        throw RequestError("duplicate key " + detail::quoted(key) + " in the request");
      open.push_back(key);
    }
    return true;
  };
  try {
    return nlohmann::json::parse(line.begin(), line.end(), check);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range 406 for 1e999
    // Its "last read: '...'" can quote most of the line: keep 300 bytes.
    throw RequestError("invalid JSON: " + clip(escape_invalid_utf8(e.what()), 300));
  }
}

/// answer_line() for a const or a mutable API.
template <typename API>
std::string answer_line(API& api, std::string_view line, Random& rng) {
  nlohmann::json reply;
  try {
    reply = answer_request(api, detail::parse_request(line), rng);
  } catch (const RequestError& e) {
    reply = detail::error_reply("RequestError", e.what());
  } catch (const std::exception& e) {
    reply = detail::error_reply("RequestError", std::string("nasbench: ") + e.what());
  }
  return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace detail

/// Answers one line of text (a JSON request) with one line of JSON (no
/// newline); never throws, and the reply is always valid UTF-8.
template <typename Real>
[[nodiscard]] std::string answer_line(const BasicAPI<Real>& api, std::string_view line, Random& rng) {
  return detail::answer_line(api, line, rng);
}
/// answer_line() for an API that `simulate_train_eval` / `reset_time` may change.
template <typename Real>
[[nodiscard]] std::string answer_line(BasicAPI<Real>& api, std::string_view line, Random& rng) {
  return detail::answer_line(api, line, rng);
}

/// Reads one line of `in` into `line` (without its `\n` or a trailing `\r`),
/// keeping at most `limit` bytes; returns false at the end of input.
/// `truncated` tells whether the line was longer (the rest was read and
/// discarded).
inline bool read_request_line(std::istream& in, std::string& line, bool& truncated,
                              std::size_t limit = kMaxRequestBytes) {
  line.clear();
  truncated = false;
  std::streambuf* buf = in.rdbuf();
  using Traits = std::char_traits<char>;
  bool any = false;
  for (;;) {
    const int c = buf->sbumpc();
    if (Traits::eq_int_type(c, Traits::eof())) {
      in.setstate(std::ios::eofbit);
      break;
    }
    any = true;
    if (c == '\n') break;
    if (line.size() < limit) {
      line.push_back(Traits::to_char_type(c));
    } else {
      truncated = true;
    }
  }
  if (!truncated && !line.empty() && line.back() == '\r') line.pop_back();
  return any;
}

namespace detail {
/// serve_requests() for a const or a mutable API.
template <typename API>
std::size_t serve_requests(API& api, std::istream& in, std::FILE* out, Random& rng, std::size_t limit) {
  std::string line;
  bool truncated = false;
  std::size_t answered = 0;
  while (read_request_line(in, line, truncated, limit)) {
    const std::string reply =
        truncated ? detail::error_reply("RequestError", "nasbench: request line longer than " + std::to_string(limit) +
                                                            " bytes (the limit of one request); ignored")
                        .dump()
                  : answer_line(api, line, rng);
    std::fwrite(reply.data(), 1, reply.size(), out);
    std::fputc('\n', out);
    std::fflush(out);
    ++answered;
  }
  return answered;
}
}  // namespace detail

/// The loop of `nasbench query`: one reply line on `out` for each line of
/// `in`, flushed after each, until the end of input. Never throws for any
/// input; returns the number of requests answered.
template <typename Real>
std::size_t serve_requests(const BasicAPI<Real>& api, std::istream& in, std::FILE* out, Random& rng,
                           std::size_t limit = kMaxRequestBytes) {
  return detail::serve_requests(api, in, out, rng, limit);
}
/// serve_requests() for an API that `simulate_train_eval` / `reset_time` may change.
template <typename Real>
std::size_t serve_requests(BasicAPI<Real>& api, std::istream& in, std::FILE* out, Random& rng,
                           std::size_t limit = kMaxRequestBytes) {
  return detail::serve_requests(api, in, out, rng, limit);
}

}  // namespace nasbench
