#pragma once
// Helpers the API, io and cache tests share: expected answers (written by
// tests/fixtures/make_bench_fixtures.py) against actual ones, temporary files,
// reading every block of a cache.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "nasbench/nasbench.hpp"
#include "support.hpp"

namespace nasbench_test {

using nlohmann::json;

// Expected vs actual JSON: numbers to 1e-12 relative, everything else exactly.
inline bool same(const json& expected, const json& actual, std::string& where, const std::string& path = "") {
  // nats_bench gives one seed's `iepoch` as an int, a seed mean as a float: the type is part of the answer.
  if (path.size() >= 7 && path.compare(path.size() - 7, 7, ".iepoch") == 0 && expected.is_number() &&
      actual.is_number() && expected.is_number_integer() != actual.is_number_integer()) {
    where = path + ": expected " + expected.dump() + ", got " + actual.dump() + " (int vs float)";
    return false;
  }
  if (expected.is_number() && actual.is_number()) {
    const double e = expected.get<double>(), a = actual.get<double>();
    if (e == a || std::fabs(e - a) <= 1e-12 * std::fabs(e)) return true;
    where = path + ": expected " + expected.dump() + ", got " + actual.dump();
    return false;
  }
  if (expected.type() != actual.type()) {
    where = path + ": expected " + expected.dump() + ", got " + actual.dump();
    return false;
  }
  if (expected.is_array()) {
    if (expected.size() != actual.size()) {
      where = path + ": expected " + std::to_string(expected.size()) + " items, got " + actual.dump();
      return false;
    }
    for (std::size_t i = 0; i < expected.size(); ++i)
      if (!same(expected[i], actual[i], where, path + "[" + std::to_string(i) + "]")) return false;
    return true;
  }
  if (expected.is_object()) {
    for (const auto& [k, v] : expected.items()) {
      if (!actual.contains(k)) {
        where = path + ": missing key " + k + " in " + actual.dump();
        return false;
      }
      if (!same(v, actual[k], where, path + "." + k)) return false;
    }
    for (const auto& [k, v] : actual.items()) {
      (void)v;
      if (!expected.contains(k)) {
        where = path + ": unexpected key " + k;
        return false;
      }
    }
    return true;
  }
  if (expected != actual) {
    where = path + ": expected " + expected.dump() + ", got " + actual.dump();
    return false;
  }
  return true;
}

/// Every request of `expected_file` (tests/fixtures/README.md), answered in
/// order with one engine Random(0), against its expected reply. The API is
/// mutable: simulate_train_eval and reset_time change its time accounting.
template <typename API>
void check_expected(API& api, const std::string& expected_file, std::size_t& count) {
  std::ifstream in(expected_file);
  REQUIRE(in.good());
  nasbench::Random rng(0);
  std::string line;
  std::size_t mismatches = 0;
  while (std::getline(in, line)) {
    const json rec = json::parse(line);
    const json reply = nasbench::answer_request(api, rec["request"], rng);
    const json& want = rec["response"];
    std::string where;
    bool ok;
    if (want.contains("error")) {
      ok = reply.contains("error") && reply["error"]["type"] == want["error"]["type"];
      if (!ok) where = "expected an error, got " + reply.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      ok = reply.contains("result") && same(want["result"], reply["result"], where);
      if (!reply.contains("result")) where = reply.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (!ok && ++mismatches <= 40) {
      INFO(rec["request"].dump() << " -> " << where);
      CHECK(ok);
    }
    ++count;
  }
  CHECK(mismatches == 0);
}


inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}


inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nasbench_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

/// Every architecture and every stored find_best column of a cache-backed API
/// (so that every block of the file is read and checked).
template <typename Real>
void touch_everything(const nasbench::BasicAPI<Real>& api) {
  api.materialize_all();
  (void)api.evaluated_hps();
  auto every_epoch = [](const nasbench::Series<Real>& s) {
    for (std::size_t i = 0; i < s.extent(); ++i) (void)s.get(i);  // a cache reads these in place, checked first
  };
  for (int index : api.evaluated_indexes())
    if (api.has_results(index))
      for (const auto& hp : api.hps(index)) {
        const auto& ar = api.query_meta_info_by_index(index, hp);
        for (const auto& d : ar.datasets()) {
          for (const char* set : {"train", "valid", "x-valid", "x-test", "ori-test"})
            (void)api.best_column(hp, d.name, set);
          // The answers a cache stores in summary rows.
          try {
            (void)api.get_more_info(index, d.name, std::nullopt, hp, nasbench::SeedChoice::mean());
          } catch (const nasbench::QueryError&) {
          }
          try {
            (void)api.get_cost_info(index, d.name, hp);
          } catch (const nasbench::QueryError&) {
          }
        }
        for (const auto& r : ar.results()) {
          for (const auto* s : {&r.train_acc1es, &r.train_acc5es, &r.train_losses}) every_epoch(*s);
          if (r.train_times) every_epoch(*r.train_times);
          for (const auto& [set, e] : r.evals)
            for (const auto* s : {&e.acc1es, &e.losses, &e.times}) every_epoch(*s);
        }
      }
}

/// The JSON of `fn()`, or "QueryError: message" where it raises one.
template <typename Fn>
json answer_or_error(Fn&& fn) {
  try {
    return fn();
  } catch (const nasbench::QueryError& e) {
    return std::string("QueryError: ") + e.what();
  }
}

/// What the API, io and cache tests use, for `using namespace`.
namespace api_tests {
using nlohmann::json;
using nasbench_test::answer_or_error;
using nasbench_test::check_expected;
using nasbench_test::read_file;
using nasbench_test::temp_path;
using nasbench_test::touch_everything;
inline std::string fixture_dir() { return nasbench_test::bench_fixtures(); }
inline std::string error_fixture_dir() { return nasbench_test::error_fixtures(); }
}  // namespace api_tests

}  // namespace nasbench_test
