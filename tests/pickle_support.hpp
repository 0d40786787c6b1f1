#pragma once
// What the pickle tests share: the fixtures (tests/support.hpp's
// pickle_fixtures(), written by tests/fixtures/make_pickle_fixtures.py with
// the real pickle / torch.save / bz2 modules, each with a JSON file of the
// value Python wrote, listed in manifest.json), a temporary directory, and
// the comparison of a decoded Value with its JSON.

#include "support.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nasbench/pickle.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace fs = std::filesystem;
namespace pk = nasbench::pickle;
using Catch::Matchers::Contains;
using nasbench::LoadError;
using nlohmann::json;
using pk::Kind;
using pk::Value;

namespace pickle_test {

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}


// A temporary directory removed at exit.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("nasbench_test_pickle_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
inline TempDir& temp_dir() {
  static TempDir dir;
  return dir;
}

// The pickle fixture directory (tests/support.hpp's pickle_fixtures()), or
// nullopt after require_fixture's FAIL (CI) or WARN.
inline std::optional<fs::path> need_fixtures() {
  const std::string dir = nasbench_test::pickle_fixtures();
  if (!nasbench_test::require_fixture(dir.empty() ? std::string() : dir + "/manifest.json")) return std::nullopt;
  return fs::path(dir);
}

inline const json& manifest() {
  static const json m = json::parse(read_file(fs::path(nasbench_test::pickle_fixtures()) / "manifest.json"));
  return m;
}

// The real data shared with the project (may be absent).
inline std::optional<fs::path> shared_data() {
  const fs::path p = nasbench_test::shared_data();
  if (!p.empty() && fs::exists(p)) return p;
  return std::nullopt;
}

inline std::string hex(const std::vector<std::uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

inline std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

// ---- comparing a decoded Value with the JSON written by the generator ----

struct Ctx {
  const pk::Document* doc = nullptr;
  std::map<std::int64_t, std::string> group_key;
  std::map<std::string, std::int64_t> key_group;
};

std::string mismatch(const json& j, const Value& v, const std::string& path, Ctx& ctx);

inline std::string want(const std::string& path, const std::string& what, const Value& v) {
  std::string r = v.repr();
  if (r.size() > 120) r = r.substr(0, 117) + "...";
  return path + ": expected " + what + ", got " + std::string(v.type_name()) + " " + r;
}

inline std::string mismatch_seq(const json& arr, const Value& v, const std::string& path, Ctx& ctx) {
  if (v.items().size() != arr.size())
    return path + ": size " + std::to_string(v.items().size()) + " != " + std::to_string(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i)
    if (auto m = mismatch(arr[i], v.items()[i], path + "[" + std::to_string(i) + "]", ctx); !m.empty())
      return m;
  return {};
}

inline std::string mismatch_tensor(const json& t, const Value& v, const std::string& path, Ctx& ctx) {
  if (!v.is_tensor()) return want(path, "tensor", v);
  const auto& ti = v.as_tensor();
  if (std::string(pk::to_string(ti.dtype)) != t["dtype"].get<std::string>())
    return path + ": dtype " + std::string(pk::to_string(ti.dtype));
  if (ti.sizes != t["sizes"].get<std::vector<std::int64_t>>()) return path + ": sizes";
  if (ti.strides != t["strides"].get<std::vector<std::int64_t>>()) return path + ": strides";
  if (ti.storage_offset != t["storage_offset"].get<std::int64_t>()) return path + ": storage_offset";
  if (ti.requires_grad != t["requires_grad"].get<bool>()) return path + ": requires_grad";
  if (ti.is_parameter != t["is_parameter"].get<bool>()) return path + ": is_parameter";
  const auto& si = ti.storage_info();
  if (si.numel != t["storage_numel"].get<std::uint64_t>()) return path + ": storage numel";
  if (si.dtype != ti.dtype) return path + ": storage dtype";
  const auto group = t["storage_group"].get<std::int64_t>();
  if (auto it = ctx.group_key.find(group); it != ctx.group_key.end()) {
    if (it->second != si.key)
      return path + ": storage key " + si.key + " but group " + std::to_string(group) + " is " + it->second;
  } else {
    if (ctx.key_group.count(si.key)) return path + ": storage key " + si.key + " reused by another group";
    ctx.group_key[group] = si.key;
    ctx.key_group[si.key] = group;
  }
  if (ctx.doc == nullptr) return path + ": tensor outside a torch document";
  if (hex(ctx.doc->storage_bytes(si.key)) != t["storage_hex"].get<std::string>())
    return path + ": storage bytes";
  return {};
}

inline std::string mismatch(const json& j, const Value& v, const std::string& path, Ctx& ctx) {
  if (j.is_null()) return v.is_none() ? "" : want(path, "None", v);
  if (j.is_boolean()) return v.is_bool() && v.as_bool() == j.get<bool>() ? "" : want(path, j.dump(), v);
  if (j.is_number_integer())
    return v.is_int() && v.as_int() == j.get<std::int64_t>() ? "" : want(path, j.dump(), v);
  if (j.is_number_float()) {
    const double d = j.get<double>();
    return v.is_float() && v.as_float() == d && std::signbit(v.as_float()) == std::signbit(d)
               ? ""
               : want(path, j.dump(), v);
  }
  if (j.is_string()) return v.is_str() && v.as_str() == j.get<std::string>() ? "" : want(path, j.dump(), v);
  if (j.is_array()) {
    if (!v.is_list()) return want(path, "list", v);
    return mismatch_seq(j, v, path, ctx);
  }
  const auto first = j.items().begin();
  const std::string tag = first.key();
  const json& body = first.value();
  if (tag == "$float") {
    const std::string s = body.get<std::string>();
    if (!v.is_float()) return want(path, s, v);
    const double d = v.as_float();
    const bool ok = s == "nan" ? std::isnan(d) : (s == "inf" ? d == INFINITY : d == -INFINITY);
    return ok ? "" : want(path, s, v);
  }
  if (tag == "$bytes")
    return v.is_bytes() && v.as_bytes() == unhex(body.get<std::string>()) ? "" : want(path, "bytes", v);
  if (tag == "$tuple") return v.is_tuple() ? mismatch_seq(body, v, path, ctx) : want(path, "tuple", v);
  if (tag == "$dict" || tag == "$odict") {
    if (!v.is_dict()) return want(path, "dict", v);
    if (v.is_ordered_dict() != (tag == "$odict"))
      return want(path, tag == "$odict" ? "OrderedDict" : "plain dict", v);
    const auto& items = v.dict_items();
    if (items.size() != body.size())
      return path + ": dict size " + std::to_string(items.size()) + " != " + std::to_string(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
      const std::string p = path + "[" + items[i].first.repr() + "]";
      if (auto m = mismatch(body[i][0], items[i].first, p + "(key)", ctx); !m.empty()) return m;
      if (auto m = mismatch(body[i][1], items[i].second, p, ctx); !m.empty()) return m;
      if (v.find(items[i].first) != &items[i].second) return p + ": lookup by key finds another item";
    }
    return {};
  }
  if (tag == "$set" || tag == "$frozenset") {
    if (v.kind() != (tag == "$set" ? Kind::kSet : Kind::kFrozenSet)) return want(path, tag.substr(1), v);
    if (v.items().size() != body.size()) return path + ": set size";
    for (const auto& e : body) {
      bool found = false;
      for (const auto& x : v.items()) {
        Ctx scratch = ctx;
        if (mismatch(e, x, path, scratch).empty()) found = true;
      }
      if (!found) return path + ": set lacks " + e.dump();
    }
    return {};
  }
  if (tag == "$np") {
    const std::string dt = body.get<std::string>();
    const json& val = j.at("value");
    const std::string p = path + "(numpy." + dt + ")";
    if (dt == "bool") return mismatch(val, v, p, ctx);
    if (dt.rfind("float", 0) == 0) {
      if (val.is_number_integer())
        return v.is_float() && v.as_float() == val.get<double>() ? "" : want(p, val.dump(), v);
      return mismatch(val, v, p, ctx);
    }
    return mismatch(val, v, p, ctx);
  }
  if (tag == "$tensor") return mismatch_tensor(body, v, path, ctx);
  return path + ": unknown tag " + tag;
}

inline std::string compare_with_fixture(const pk::Document& doc, const fs::path& json_path) {
  Ctx ctx;
  ctx.doc = &doc;
  return mismatch(json::parse(read_file(json_path)), doc.root, "root", ctx);
}

// Expects f() to throw LoadError whose message contains every piece.
template <class F>
std::string expect_load_error(F&& f, std::initializer_list<std::string> pieces) {
  try {
    f();
  } catch (const LoadError& e) {
    const std::string msg = e.what();
    for (const auto& p : pieces)
      if (msg.find(p) == std::string::npos) return "message \"" + msg + "\" lacks \"" + p + "\"";
    return {};
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

inline std::uint64_t error_offset(const std::string& data) {
  try {
    (void)pk::loads(data);
  } catch (const LoadError& e) {
    return e.offset();
  }
  return 0xdead;
}

inline std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

// Walks every container reachable from v (each node once).
template <class F>
void walk(const Value& v, F&& f, std::unordered_set<const void*>& seen) {
  if (v.identity() != nullptr && !seen.insert(v.identity()).second) return;
  if (v.is_container()) f(v);
  if (v.is_dict()) {
    for (const auto& kv : v.dict_items()) {
      walk(kv.first, f, seen);
      walk(kv.second, f, seen);
    }
  } else if (v.is_container()) {
    for (const auto& x : v.items()) walk(x, f, seen);
  }
}

}  // namespace pickle_test

using namespace pickle_test;
