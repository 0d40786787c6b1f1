// Tests of the cache (cache/cache.hpp): a cache answers as its original file,
// from many threads, and bad caches are LoadErrors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "nasbench/nasbench.hpp"
#include "expected.hpp"
#include "support.hpp"

using namespace nasbench_test::api_tests;  // json, fixture_dir(), check_expected(), ...

TEST_CASE("a cache file answers every query exactly as the file it was converted from", "[api][cache]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
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
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
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
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
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
  if (!nasbench_test::require_fixture(dir + "/errors.json")) return;
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
