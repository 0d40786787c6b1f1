// Tests of results.hpp, api.hpp, load.hpp and protocol.hpp against the
// benchmark fixtures written by tests/fixtures/make_bench_fixtures.py (real
// torch.save / pickle, expected answers computed in Python independently of
// this code). The fixture directory comes from NASBENCH_BENCH_FIXTURES (set by
// CMake, which runs the generator at build time).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

#include "nasbench/nasbench.hpp"
#include "support.hpp"

using nlohmann::json;

namespace {

std::string fixture_dir() { return nasbench_test::bench_fixtures(); }

// Expected vs actual JSON: numbers to 1e-12 relative, everything else exactly.
bool same(const json& expected, const json& actual, std::string& where, const std::string& path = "") {
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

template <typename Real>
void check_expected(const nasbench::BasicAPI<Real>& api, const std::string& expected_file, std::size_t& count) {
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

}  // namespace

TEST_CASE("every query on every fixture container matches Python", "[api][fixtures]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) {
    WARN("NASBENCH_BENCH_FIXTURES is not set: fixture tests skipped");
    return;
  }
  std::ifstream mf(dir + "/manifest.json");
  REQUIRE(mf.good());
  const json manifest = json::parse(mf);
  REQUIRE(manifest.size() >= 6);
  for (const auto& [file, expected] : manifest.items()) {
    SECTION(file) {
      std::size_t count = 0;
      const auto api = nasbench::NASBench201API::load(dir + "/" + file);
      check_expected(api, dir + "/" + expected.get<std::string>(), count);
      CHECK(count > 1000);
    }
  }
}

namespace {

std::string error_fixture_dir() { return nasbench_test::error_fixtures(); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("off-schema, broken and unknown files give LoadErrors naming the key path", "[api][errors]") {
  const std::string dir = error_fixture_dir();
  if (dir.empty()) {
    WARN("NASBENCH_ERROR_FIXTURES is not set: skipped");
    return;
  }
  const json errors = json::parse(read_file(dir + "/errors.json"));
  REQUIRE(errors.size() >= 15);
  for (const auto& [file, message] : errors.items()) {
    CAPTURE(file);
    CHECK_THROWS_AS(nasbench::NASBench201API::load(dir + "/" + file), nasbench::LoadError);
    CHECK_THROWS_WITH(nasbench::NASBench201API::load(dir + "/" + file), Catch::Contains(message.get<std::string>()));
  }
  // The key path is also available on its own.
  try {
    (void)nasbench::NASBench201API::load(dir + "/bad_train_losses.pickle");
    FAIL("loaded");
  } catch (const nasbench::LoadError& e) {
    CHECK(e.key_path() == "arch2infos[1]['full']['all_results'][('cifar10', 777)]['train_losses']");
    CHECK(std::string(e.what()) ==
          "nasbench: arch2infos[1]['full']['all_results'][('cifar10', 777)]['train_losses']: expected dict, got "
          "list in \"" + dir + "/bad_train_losses.pickle\"");
  }
  CHECK_THROWS_AS(nasbench::NASBench201API::load(dir + "/absent.pth"), nasbench::LoadError);
  CHECK_THROWS_WITH(nasbench::NASBench201API::load(dir + "/absent.pth"), Catch::Contains("absent.pth"));
}

TEST_CASE("every truncation of a small benchmark file is a LoadError", "[api][errors]") {
  const std::string dir = error_fixture_dir();
  if (dir.empty()) return;
  for (const char* name : {"micro.pth", "micro.pickle", "micro.pickle.pbz2", "micro_zip.pth"}) {
    const std::string data = read_file(dir + "/" + name);
    REQUIRE(data.size() > 500);
    REQUIRE(nasbench::NASBench201API::load(dir + "/" + name).evaluated_indexes() == std::vector<int>{1});
    const std::string cut = dir + "/cut_" + name;
    std::size_t failures = 0;
    for (std::size_t n = 0; n < data.size(); ++n) {
      { std::ofstream(cut, std::ios::binary).write(data.data(), static_cast<std::streamsize>(n)); }
      try {
        (void)nasbench::NASBench201API::load(cut);
      } catch (const nasbench::LoadError&) {
        ++failures;
      }
    }
    std::remove(cut.c_str());
    CAPTURE(name);
    CHECK(failures == data.size());
  }
}

TEST_CASE("corrupted bytes never crash: a LoadError or a valid load", "[api][errors]") {
  const std::string dir = error_fixture_dir();
  if (dir.empty()) return;
  for (const char* name : {"micro.pth", "micro.pickle"}) {
    const std::string data = read_file(dir + "/" + name);
    const std::string bad = dir + "/bad_" + name;
    std::size_t errors = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      for (unsigned char x : {0x00u, 0xffu, 0x80u}) {
        std::string copy = data;
        copy[i] = static_cast<char>(static_cast<unsigned char>(copy[i]) ^ x);
        if (copy == data) continue;
        { std::ofstream(bad, std::ios::binary) << copy; }
        try {
          (void)nasbench::NASBench201API::load(bad);
        } catch (const nasbench::LoadError&) {
          ++errors;
        }
      }
    }
    std::remove(bad.c_str());
    CAPTURE(name);
    // Any other exception escaping, or a crash, fails this test; corrupted data bytes (a float, a
    // character) can load as other values, so only part of the corruptions are errors.
    CHECK(errors > data.size() / 4);
  }
}

TEST_CASE("QueryErrors name the bad value and the valid choices", "[api][errors]") {
  const std::string dir = error_fixture_dir();
  if (dir.empty()) return;
  auto api = nasbench::NASBench201API::load(dir + "/micro.pickle");
  using nasbench::QueryError;
  using nasbench::SeedChoice;
  using Catch::Message;
  CHECK(api.size() == 3);
  CHECK(api.repr() == "NASBench201API(1/3 architectures, file=micro.pickle)");
  CHECK_THROWS_MATCHES(api.arch(3), QueryError, Message("nasbench: invalid architecture index 3 (expected 0..2)"));
  CHECK_THROWS_MATCHES(api.query_index_by_arch(-1), QueryError,
                       Message("nasbench: invalid architecture index -1 (expected 0..2)"));
  CHECK(api.query_index_by_arch("|none~0|") == -1);
  CHECK_THROWS_MATCHES(api.get_more_info(0, "cifar10"), QueryError,
                       Message("nasbench: architecture 0 has no results (not evaluated)"));
  CHECK_THROWS_MATCHES(api.get_more_info(1, "cifar1O", std::nullopt, "12", SeedChoice::mean()), QueryError,
                       Message("nasbench: unknown dataset \"cifar1O\" for architecture 1 (available: cifar10)"));
  CHECK_THROWS_MATCHES(api.get_more_info(1, "cifar10", std::nullopt, "90"), QueryError,
                       Message("nasbench: unknown hp \"90\" for architecture 1 (available: 12, 200)"));
  CHECK_THROWS_MATCHES(api.get_more_info(1, "cifar10", 2, 12, SeedChoice::mean()), QueryError,
                       Message("nasbench: iepoch 2 out of range (0 <= iepoch < 2) for cifar10 seed 777"));
  const auto& ar = api.query_meta_info_by_index(1, 200);
  CHECK_THROWS_MATCHES(ar.get_metrics("cifar10", "train", std::nullopt, SeedChoice::seed(5)), QueryError,
                       Message("nasbench: no seed 5 for \"cifar10\" in architecture 1 (seeds: 777)"));
  CHECK_THROWS_MATCHES(ar.query("cifar10", 5), QueryError,
                       Message("nasbench: no seed 5 for \"cifar10\" in architecture 1 (seeds: 777)"));
  CHECK_THROWS_MATCHES(ar.query("cifar10", 777).get_eval("x-valid"), QueryError,
                       Message("nasbench: no \"x-valid@1\" in eval_times of cifar10 seed 777 (eval sets: ori-test)"));
  CHECK_THROWS_MATCHES(api.statistics("cifar1O", "12"), QueryError,
                       Message("nasbench: unknown dataset \"cifar1O\" (expected one of cifar10-valid, cifar10, "
                               "cifar100, ImageNet16-120)"));
  CHECK_THROWS_MATCHES(api.simulate_train_eval(1, "cifar10-valid"), QueryError,
                       Message("nasbench: invalid dataset name \"cifar10-valid\" for simulate_train_eval (expected "
                               "one of cifar10, cifar100, ImageNet16-120)"));
  // And values, to the last digit.
  const auto info = api.get_more_info(1, "cifar10", 1, "200", SeedChoice::mean());
  CHECK(*info.train.accuracy == 51.0);
  CHECK(*info.train.all_time == 5.0);
  CHECK(*info.test->per_time == 0.5);
  CHECK_FALSE(info.valid.has_value());
  CHECK_FALSE(info.valtest.has_value());
  CHECK(api.find_best("cifar10", "test", 10.0).index == -1);
  CHECK(nasbench::to_json(api.find_best("cifar10", "test", 10.25)) == json::array({1, 41.0}));
}

TEST_CASE("random choices are reproducible and follow Python's random module", "[api]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  auto api = nasbench::NASBench201API::load(dir + "/tiny.pth");
  nasbench::Random a(7), b(7);
  for (int i = 0; i < 20; ++i) {
    const auto x = api.get_more_info(0, "cifar10-valid", std::nullopt, "200", nasbench::SeedChoice::random(), a);
    const auto y = api.get_more_info(0, "cifar10-valid", std::nullopt, "200", nasbench::SeedChoice::random(), b);
    CHECK(nasbench::to_json(x) == nasbench::to_json(y));
  }
  api.seed(3);
  const auto t1 = api.simulate_train_eval(0, "cifar10", 5, "200");
  const auto t2 = api.simulate_train_eval(0, "cifar10", 5, "200");
  CHECK(t2.used_time == t1.time_cost + t2.time_cost);
  api.reset_time();
  CHECK(api.used_time() == 0);
}

TEST_CASE("queries from many threads at once give the single-thread answers", "[api][threads]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  const auto api = nasbench::NASBench201API::load(dir + "/tiny.pth");
  std::vector<json> expected;
  auto work = [&](std::vector<json>& out, nasbench::Random& rng) {
    for (int round = 0; round < 20; ++round)
      for (int index : api.evaluated_indexes())
        for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
          out.push_back(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
          out.push_back(nasbench::to_json(api.get_more_info(index, ds, 5, "12", nasbench::SeedChoice::random(), rng)));
          out.push_back(nasbench::to_json(api.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, round % 2 ? 0.5 : 1e9, "200")));
        }
  };
  nasbench::Random r0(11);
  work(expected, r0);
  std::vector<std::vector<json>> results(4);
  std::vector<std::thread> threads;
  const auto fresh = nasbench::NASBench201API::load(dir + "/tiny.pth");  // cold find_best cache, built concurrently
  for (auto& out : results)
    threads.emplace_back([&, &out = out] {
      nasbench::Random rng(11);
      for (int round = 0; round < 20; ++round)
        for (int index : fresh.evaluated_indexes())
          for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
            out.push_back(nasbench::to_json(fresh.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
            out.push_back(nasbench::to_json(fresh.get_more_info(index, ds, 5, "12", nasbench::SeedChoice::random(), rng)));
            out.push_back(
                nasbench::to_json(fresh.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, round % 2 ? 0.5 : 1e9, "200")));
          }
    });
  for (auto& t : threads) t.join();
  for (const auto& out : results) CHECK(out == expected);
}

TEST_CASE("an API from an already-parsed object equals the loaded one", "[api]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  const auto doc = nasbench::pickle::open(dir + "/tiny.pickle");
  const auto from_value = nasbench::api_from_value<double>(doc.root, "tiny.pickle");
  const auto loaded = nasbench::NASBench201API::load(dir + "/tiny.pickle");
  CHECK(from_value.repr() == loaded.repr());
  CHECK(from_value.evaluated_indexes() == loaded.evaluated_indexes());
  for (int index : loaded.evaluated_indexes())
    CHECK(nasbench::to_json(from_value.get_cost_info(index, "cifar100", "200")) ==
          nasbench::to_json(loaded.get_cost_info(index, "cifar100", "200")));
  CHECK(nasbench::to_json(from_value.find_best("cifar100", "test")) == nasbench::to_json(loaded.find_best("cifar100", "test")));
}

TEST_CASE("mutators through the API and the unique string", "[api]") {
  const std::string dir = error_fixture_dir();
  if (dir.empty()) return;
  auto api = nasbench::NASBench201API::load(dir + "/micro.pickle");
  CHECK(api.get_latency(1, "cifar10", "200") == 0.01);
  api.mutable_meta_info_by_index(1, "200").reset_latency("cifar10", std::nullopt, 0.25);
  CHECK(api.get_latency(1, "cifar10", "200") == 0.25);
  api.mutable_meta_info_by_index(1, "200").reset_pseudo_train_times("cifar10", 777, 4.0);
  CHECK(*api.get_more_info(1, "cifar10", 1, "200", nasbench::SeedChoice::mean()).train.all_time == 8.0);
  CHECK_THROWS_AS(api.mutable_meta_info_by_index(1, "200").reset_latency("cifar10", 5, 1.0), nasbench::QueryError);
  CHECK(api.get_unique_str(1) ==
        nasbench::Structure::parse(api.arch(1)).to_unique_str(true));
  CHECK(api.get_unique_str(api.arch(2)) == "#+#+#");  // |skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|
}

// ---- the cache file (cache.hpp) -------------------------------------------------

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nasbench_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

/// Every architecture and every stored find_best column of a cache-backed API
/// (so that every block of the file is read and checked).
template <typename Real>
void touch_everything(const nasbench::BasicAPI<Real>& api) {
  api.materialize_all();
  for (int index : api.evaluated_indexes())
    if (api.has_results(index))
      for (const auto& hp : api.hps(index))
        for (const auto& d : api.query_meta_info_by_index(index, hp).datasets())
          for (const char* set : {"train", "valid", "x-valid", "x-test", "ori-test"})
            (void)api.best_column(hp, d.name, set);
}

}  // namespace

TEST_CASE("a cache file answers every query exactly as the file it was converted from", "[api][cache]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  std::ifstream mf(dir + "/manifest.json");
  REQUIRE(mf.good());
  const json manifest = json::parse(mf);
  for (const auto& [file, expected] : manifest.items()) {
    SECTION(file) {
      const std::string cache = temp_path("answers.cache");
      nasbench::write_cache(nasbench::NASBench201API::load(dir + "/" + file), cache);
      REQUIRE(nasbench::is_cache_file(cache));
      std::size_t count = 0;
      {
        const auto api = nasbench::NASBench201API::load(cache);  // recognised by content
        check_expected(api, dir + "/" + expected.get<std::string>(), count);
      }
      CHECK(count > 1000);
      // Single precision from the cache = single precision from the original file.
      const auto f1 = nasbench::NASBench201APIFloat::load(dir + "/" + file);
      const auto f2 = nasbench::NASBench201APIFloat::load(cache);
      CHECK(f1.repr() == f2.repr());
      for (int index : f1.evaluated_indexes())
        for (const auto& hp : f1.hps(index))
          for (const auto& d : f1.query_meta_info_by_index(index, hp).datasets()) {
            CHECK(nasbench::to_json(f1.get_more_info(index, d.name, std::nullopt, hp, nasbench::SeedChoice::mean())) ==
                  nasbench::to_json(f2.get_more_info(index, d.name, std::nullopt, hp, nasbench::SeedChoice::mean())));
            CHECK(nasbench::to_json(f1.find_best(d.name, "train", std::nullopt, std::nullopt, hp)) ==
                  nasbench::to_json(f2.find_best(d.name, "train", std::nullopt, std::nullopt, hp)));
          }
      std::remove(cache.c_str());
    }
  }
}

TEST_CASE("a cache opened by many threads at once materializes each architecture once, correctly", "[api][cache][threads]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  const auto original = nasbench::NASBench201API::load(dir + "/tiny.pth");
  const std::string cache = temp_path("threads.cache");
  nasbench::write_cache(original, cache);
  std::vector<json> expected;
  for (int index : original.evaluated_indexes())
    for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
      expected.push_back(nasbench::to_json(original.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
      expected.push_back(nasbench::to_json(original.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, 1e9, "200")));
    }
  for (int round = 0; round < 10; ++round) {
    const auto api = nasbench::NASBench201API::load(cache);
    std::vector<std::vector<json>> results(4);
    std::vector<std::thread> threads;
    for (auto& out : results)
      threads.emplace_back([&, &out = out] {
        for (int index : api.evaluated_indexes())
          for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
            out.push_back(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
            out.push_back(nasbench::to_json(api.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, 1e9, "200")));
          }
      });
    for (auto& t : threads) t.join();
    for (const auto& out : results) CHECK(out == expected);
  }
  std::remove(cache.c_str());
}

TEST_CASE("changes to a cache-backed API are seen by find_best (stored columns are dropped)", "[api][cache]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  auto original = nasbench::NASBench201API::load(dir + "/tiny.pth");
  const std::string cache = temp_path("mutate.cache");
  nasbench::write_cache(original, cache);
  auto api = nasbench::NASBench201API::load(cache);
  const auto best = api.find_best("cifar100", "x-test", std::nullopt, std::nullopt, "200");
  REQUIRE(best.index >= 0);
  CHECK(nasbench::to_json(best) == nasbench::to_json(original.find_best("cifar100", "x-test", std::nullopt, std::nullopt, "200")));
  const int other = original.evaluated_indexes().front() == best.index ? original.evaluated_indexes().back()
                                                                         : original.evaluated_indexes().front();
  // The best architecture gets another one's results (a copy), in both APIs.
  api.add_results(best.index, "200", nasbench::ArchResults<double>(api.query_meta_info_by_index(other, "200")));
  original.add_results(best.index, "200", nasbench::ArchResults<double>(original.query_meta_info_by_index(other, "200")));
  const auto next = api.find_best("cifar100", "x-test", std::nullopt, std::nullopt, "200");
  CHECK(next.accuracy != best.accuracy);
  CHECK(nasbench::to_json(next) == nasbench::to_json(original.find_best("cifar100", "x-test", std::nullopt, std::nullopt, "200")));
  std::remove(cache.c_str());
}

TEST_CASE("a truncated, corrupted or other-version cache is a LoadError, never a crash or a wrong answer", "[api][cache][errors]") {
  const std::string dir = error_fixture_dir();
  if (dir.empty()) return;
  const auto original = nasbench::NASBench201API::load(dir + "/micro.pickle");
  const std::string cache = temp_path("micro.cache");
  nasbench::write_cache(original, cache);
  const std::string data = read_file(cache);
  REQUIRE(data.size() > 200);
  const std::string bad = temp_path("bad.cache");
  auto open_and_touch = [&]() {
    const auto api = nasbench::NASBench201API::load(bad);
    touch_everything(api);
  };
  SECTION("every truncation") {
    std::size_t failures = 0;
    for (std::size_t n = 0; n < data.size(); ++n) {
      { std::ofstream(bad, std::ios::binary).write(data.data(), static_cast<std::streamsize>(n)); }
      try {
        open_and_touch();
      } catch (const nasbench::LoadError&) {
        ++failures;
      }
    }
    CHECK(failures == data.size());
  }
  SECTION("every byte corrupted: caught by a checksum or a bound") {
    std::size_t failures = 0, tries = 0;
    for (std::size_t i = 0; i < data.size(); ++i)
      for (unsigned char x : {0x01u, 0x80u, 0xffu}) {
        std::string copy = data;
        copy[i] = static_cast<char>(static_cast<unsigned char>(copy[i]) ^ x);
        { std::ofstream(bad, std::ios::binary) << copy; }
        ++tries;
        try {
          open_and_touch();
          INFO("byte " << i << " ^ " << int(x) << " went unnoticed");
          CHECK(false);
        } catch (const nasbench::LoadError&) {
          ++failures;
        }
      }
    CHECK(failures == tries);
  }
  SECTION("another format version") {
    std::string copy = data;
    copy[8] = 2;
    { std::ofstream(bad, std::ios::binary) << copy; }
    CHECK_THROWS_WITH(nasbench::NASBench201API::load(bad), Catch::Contains("format version 2") && Catch::Contains("reads version 1"));
  }
  SECTION("appended bytes") {
    { std::ofstream(bad, std::ios::binary) << data << "x"; }
    CHECK_THROWS_WITH(nasbench::NASBench201API::load(bad), Catch::Contains("truncated or appended"));
  }
  SECTION("the intact file") {
    { std::ofstream(bad, std::ios::binary) << data; }
    const auto api = nasbench::NASBench201API::load(bad);
    touch_everything(api);
    CHECK(nasbench::to_json(api.get_more_info(1, "cifar10", std::nullopt, "200", nasbench::SeedChoice::mean())) ==
          nasbench::to_json(original.get_more_info(1, "cifar10", std::nullopt, "200", nasbench::SeedChoice::mean())));
  }
  std::remove(bad.c_str());
  std::remove(cache.c_str());
}

TEST_CASE("LoadOptions: only some schedules and datasets, the rest named as not loaded", "[api][options]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  std::ifstream mf(dir + "/manifest.json");
  REQUIRE(mf.good());
  const json manifest = json::parse(mf);
  for (const auto& item : manifest.items()) {
    const std::string file = item.key();
    SECTION(file) {
      const auto all = nasbench::NASBench201API::load(dir + "/" + file);
      nasbench::LoadOptions options;
      options.hps = {"200"};
      options.datasets = {"cifar10", "cifar100"};
      const auto some = nasbench::NASBench201API::load(dir + "/" + file, options);
      CHECK(some.evaluated_indexes() == all.evaluated_indexes());
      std::size_t compared = 0;
      for (int index : all.evaluated_indexes()) {
        if (!all.has_results(index)) continue;
        CHECK(some.hps(index) == std::vector<std::string>{"200"});
        for (const char* ds : {"cifar10", "cifar100"}) {
          if (!all.query_meta_info_by_index(index, "200").has_dataset(ds)) continue;
          CHECK(nasbench::to_json(some.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())) ==
                nasbench::to_json(all.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
          CHECK(nasbench::to_json(some.get_cost_info(index, ds, "200")) == nasbench::to_json(all.get_cost_info(index, ds, "200")));
          ++compared;
        }
        CHECK_THROWS_WITH(some.get_more_info(index, "cifar10", std::nullopt, "12", nasbench::SeedChoice::mean()),
                          Catch::Contains("hp \"12\" was not loaded"));
        if (all.query_meta_info_by_index(index, "200").has_dataset("ImageNet16-120"))
          CHECK_THROWS_WITH(some.get_more_info(index, "ImageNet16-120", std::nullopt, "200", nasbench::SeedChoice::mean()),
                            Catch::Contains("dataset \"ImageNet16-120\" was not loaded"));
      }
      CHECK(compared > 0);
      CHECK(nasbench::to_json(some.find_best("cifar100", "x-test", std::nullopt, std::nullopt, "200")) ==
            nasbench::to_json(all.find_best("cifar100", "x-test", std::nullopt, std::nullopt, "200")));
    }
  }
  SECTION("not for a cache file") {
    const std::string cache = temp_path("options.cache");
    nasbench::write_cache(nasbench::NASBench201API::load(dir + "/tiny.pth"), cache);
    nasbench::LoadOptions options;
    options.hps = {"200"};
    CHECK_THROWS_AS(nasbench::NASBench201API::load(cache, options), nasbench::LoadError);
    nasbench::LoadOptions last;
    last.final_epoch_only = true;
    CHECK_THROWS_AS(nasbench::NASBench201API::load(cache, last), nasbench::LoadError);
    CHECK_THROWS_WITH(nasbench::NASBench201API::load(cache, last),
                      Catch::Contains("is a cache file") && Catch::Contains("::final_epoch_only apply to benchmark files"));
    std::remove(cache.c_str());
  }
}

namespace {

/// The JSON of `fn()`, or "QueryError: message" where it raises one.
template <typename Fn>
json answer_or_error(Fn&& fn) {
  try {
    return fn();
  } catch (const nasbench::QueryError& e) {
    return std::string("QueryError: ") + e.what();
  }
}

}  // namespace

TEST_CASE("LoadOptions::final_epoch_only: the same headline answers, other epochs named as not loaded",
          "[api][options]") {
  const std::string dir = fixture_dir();
  if (dir.empty()) return;
  std::ifstream mf(dir + "/manifest.json");
  REQUIRE(mf.good());
  const json manifest = json::parse(mf);
  using nasbench::SeedChoice;
  for (const auto& item : manifest.items()) {
    const std::string file = item.key();
    SECTION(file) {
      auto all = nasbench::NASBench201API::load(dir + "/" + file);
      nasbench::LoadOptions options;
      options.final_epoch_only = true;
      auto last = nasbench::NASBench201API::load(dir + "/" + file, options);
      REQUIRE(last.evaluated_indexes() == all.evaluated_indexes());
      std::size_t runs = 0, refused = 0;
      for (int index : all.evaluated_indexes()) {
        if (!all.has_results(index)) continue;
        REQUIRE(last.hps(index) == all.hps(index));
        for (const std::string& hp : all.hps(index)) {
          const auto& a = all.query_meta_info_by_index(index, hp);
          const auto& l = last.query_meta_info_by_index(index, hp);
          for (const auto& ds : a.get_dataset_names()) {
            INFO("index " << index << " hp " << hp << " " << ds);
            std::vector<SeedChoice> choices{SeedChoice::mean()};
            for (int seed : a.get_dataset_seeds(ds)) choices.push_back(SeedChoice::seed(seed));
            for (const SeedChoice& c : choices) {
              CHECK(answer_or_error([&] { return nasbench::to_json(last.get_more_info(index, ds, std::nullopt, hp, c)); }) ==
                    answer_or_error([&] { return nasbench::to_json(all.get_more_info(index, ds, std::nullopt, hp, c)); }));
              for (const std::string set : {"train", "x-valid", "x-test", "ori-test"})
                CHECK(answer_or_error([&] { return nasbench::to_json(l.get_metrics(ds, set, std::nullopt, c)); }) ==
                      answer_or_error([&] { return nasbench::to_json(a.get_metrics(ds, set, std::nullopt, c)); }));
            }
            CHECK(answer_or_error([&] { return nasbench::to_json(last.get_cost_info(index, ds, hp)); }) ==
                  answer_or_error([&] { return nasbench::to_json(all.get_cost_info(index, ds, hp)); }));
            for (const auto& [seed, run] : a.query(ds)) {
              const auto& lrun = l.query(ds, seed);
              ++runs;
              CHECK(lrun.final_epoch_only());
              CHECK(lrun.train_losses.raw_values().empty());  // the per-epoch arrays are gone
              CHECK(nasbench::to_json(lrun.get_times()) == nasbench::to_json(run->get_times()));
              const int e = run->epochs - 1;
              CHECK(answer_or_error([&] { return nasbench::to_json(lrun.get_train()); }) ==
                    answer_or_error([&] { return nasbench::to_json(run->get_train()); }));
              CHECK(answer_or_error([&] { return nasbench::to_json(lrun.get_train(e)); }) ==
                    answer_or_error([&] { return nasbench::to_json(run->get_train(e)); }));
              for (const auto& name : run->eval_names)
                CHECK(answer_or_error([&] { return nasbench::to_json(lrun.get_eval(name)); }) ==
                      answer_or_error([&] { return nasbench::to_json(run->get_eval(name)); }));
              if (run->epochs > 1) {
                ++refused;
                CHECK_THROWS_WITH(lrun.get_train(0), Catch::Contains("iepoch 0 of " + run->describe() +
                                                                     " was not loaded (LoadOptions::final_epoch_only"));
                CHECK_THROWS_WITH(last.get_more_info(index, ds, 0, hp, SeedChoice::mean()),
                                  Catch::Contains("was not loaded"));
                if (!run->eval_names.empty())
                  CHECK_THROWS_WITH(lrun.get_eval(run->eval_names.front(), 0), Catch::Contains("was not loaded"));
              }
              // Out of range stays out of range.
              CHECK_THROWS_WITH(lrun.get_train(run->epochs), Catch::Contains("out of range"));
            }
          }
        }
      }
      CHECK(runs > 0);
      CHECK(refused > 0);
      for (const char* hp : {"12", "200"})
        for (const std::string ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
          INFO(hp << " " << ds);
          CHECK(answer_or_error([&] { return nasbench::to_json(last.find_best(ds, "x-test", std::nullopt, std::nullopt, hp)); }) ==
                answer_or_error([&] { return nasbench::to_json(all.find_best(ds, "x-test", std::nullopt, std::nullopt, hp)); }));
          CHECK(answer_or_error([&] { return json(last.statistics(ds, hp)); }) ==
                answer_or_error([&] { return json(all.statistics(ds, hp)); }));
        }
      CHECK(last.show() == all.show());
      // Pseudo times replace what get_times reports, as on a full load.
      const int index = all.evaluated_indexes().front();
      if (all.has_results(index)) {
        const std::string hp = all.hps(index).front();
        auto& a = all.mutable_meta_info_by_index(index, hp);
        auto& l = last.mutable_meta_info_by_index(index, hp);
        const std::string ds = a.get_dataset_names().front();
        a.reset_pseudo_train_times(ds, std::nullopt, 1.25);
        l.reset_pseudo_train_times(ds, std::nullopt, 1.25);
        for (const auto& name : a.query(ds).front().second->eval_names) {
          a.reset_pseudo_eval_times(ds, std::nullopt, name, 0.5);
          l.reset_pseudo_eval_times(ds, std::nullopt, name, 0.5);
          break;
        }
        CHECK(answer_or_error([&] { return nasbench::to_json(l.get_compute_costs(ds)); }) ==
              answer_or_error([&] { return nasbench::to_json(a.get_compute_costs(ds)); }));
        CHECK(answer_or_error([&] { return nasbench::to_json(last.get_more_info(index, ds, std::nullopt, hp, SeedChoice::mean())); }) ==
              answer_or_error([&] { return nasbench::to_json(all.get_more_info(index, ds, std::nullopt, hp, SeedChoice::mean())); }));
      }
      // A cache holds every epoch: not written from such a load.
      const std::string cache = temp_path("final.cache");
      CHECK_THROWS_WITH(nasbench::write_cache(last, cache), Catch::Contains("final_epoch_only"));
      CHECK_FALSE(std::ifstream(cache).good());
    }
  }
}
