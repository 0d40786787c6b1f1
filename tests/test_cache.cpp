// Tests of the cache (cache/cache.hpp): a cache answers as its original file,
// from many threads, and bad caches are LoadErrors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>

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
      // And a cache written from single-precision tables (its summary rows apply to them).
      const auto f1 = nasbench::NASBench201APIFloat::load(dir + "/" + file);
      const std::string float_cache = temp_path("answers-float.cache");
      nasbench::write_cache(f1, float_cache);
      for (const std::string& path : {cache, float_cache}) {
      INFO(path);
      const auto f2 = nasbench::NASBench201APIFloat::load(path);
      CHECK(f1.repr() == f2.repr());
      CHECK(f1.evaluated_hps() == f2.evaluated_hps());
      for (int index : f1.evaluated_indexes())
        for (const auto& hp : f1.hps(index))
          for (const auto& d : f1.query_meta_info_by_index(index, hp).datasets()) {
            CHECK(nasbench::to_json(f1.get_more_info(index, d.name, std::nullopt, hp, nasbench::SeedChoice::mean())) ==
                  nasbench::to_json(f2.get_more_info(index, d.name, std::nullopt, hp, nasbench::SeedChoice::mean())));
            CHECK(nasbench::to_json(f1.find_best(d.name, "train", std::nullopt, std::nullopt, hp)) ==
                  nasbench::to_json(f2.find_best(d.name, "train", std::nullopt, std::nullopt, hp)));
            // The time sums of float tables: a cache stores them over the values rounded to float.
            CHECK(answer_or_error([&] { return nasbench::to_json(f1.get_cost_info(index, d.name, hp)); }) ==
                  answer_or_error([&] { return nasbench::to_json(f2.get_cost_info(index, d.name, hp)); }));
            CHECK(answer_or_error([&] { return nasbench::to_json(f1.get_more_info(index, d.name, 1, hp, nasbench::SeedChoice::mean())); }) ==
                  answer_or_error([&] { return nasbench::to_json(f2.get_more_info(index, d.name, 1, hp, nasbench::SeedChoice::mean())); }));
          }
      }
      std::remove(float_cache.c_str());
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
  // Every architecture's answers, in one order: the original's, then each thread's from a fresh cache.
  auto answers = [](const nasbench::NASBench201API& api) {
    std::vector<json> out;
    for (int index : api.evaluated_indexes())
      for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
        out.push_back(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
        out.push_back(nasbench::to_json(api.find_best(ds, std::string(ds) == "cifar10" ? "ori-test" : "x-valid", std::nullopt, 1e9, "200")));
        // Earlier epochs and the time sums: the first reads of a data block race to check it.
        out.push_back(answer_or_error([&] { return nasbench::to_json(api.get_more_info(index, ds, 3, "200", nasbench::SeedChoice::mean())); }));
        out.push_back(answer_or_error([&] { return nasbench::to_json(api.get_cost_info(index, ds, "200")); }));
      }
    return out;
  };
  const std::vector<json> expected = answers(original);
  for (int round = 0; round < 10; ++round) {
    const auto api = nasbench::NASBench201API::load(cache);
    std::vector<std::vector<json>> results(4);
    std::vector<std::thread> threads;
    for (auto& out : results)
      threads.emplace_back([&, &out = out] {
        out = answers(api);
      });
    for (auto& t : threads) t.join();
    for (const auto& out : results) CHECK(out == expected);
  }
  std::remove(cache.c_str());
}

TEST_CASE("a cache's series are read in place: no per-epoch copy, the data blocks checked on first read", "[api][cache]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto original = nasbench::NASBench201API::load(dir + "/tiny.pth");
  const std::string cache = temp_path("inplace.cache");
  nasbench::write_cache(original, cache);
  const auto api = nasbench::NASBench201API::load(cache);
  const int index = api.evaluated_indexes().front();
  const auto& run = api.query_meta_info_by_index(index, "200").results().front();
  const auto& orig = original.query_meta_info_by_index(index, "200").results().front();
  CHECK(run.train_losses.borrowed());
  CHECK(run.storage != nullptr);  // the mapping, kept alive by the run
  CHECK(run.train_losses.values() == orig.train_losses.values());
  CHECK(nasbench::to_json(run.get_times()) == nasbench::to_json(orig.get_times()));
  // Every series of every run, epoch by epoch, in whichever layout the cache chose for it (constant
  // time series stored once, sets measured at the last epoch alone without data bytes).
  std::size_t constants = 0, last_only = 0, series = 0;
  auto same_series = [&](const nasbench::Series<double>& a, const nasbench::Series<double>& b) {
    ++series;
    CHECK(a.extent() == b.extent());
    CHECK(a.values() == b.values());
    CHECK(a.presence() == b.presence());
    CHECK(a.count() == b.count());
    CHECK(a.raw_values() == b.raw_values());
    for (std::size_t e = 0; e <= b.extent(); ++e) {
      CHECK(a.get(e) == b.get(e));
      CHECK(a.running_total(e) == b.running_total(e));
    }
    constants += b.extent() >= 2 && b.constant() ? 1 : 0;
    last_only += !b.dense() && b.count() == 1 && b.has(b.extent() - 1) ? 1 : 0;
  };
  for (int i : original.evaluated_indexes())
    for (const auto& hp : original.hps(i)) {
      const auto& runs = api.query_meta_info_by_index(i, hp).results();
      const auto& origs = original.query_meta_info_by_index(i, hp).results();
      REQUIRE(runs.size() == origs.size());
      for (std::size_t r = 0; r < runs.size(); ++r) {
        same_series(runs[r].train_acc1es, origs[r].train_acc1es);
        same_series(runs[r].train_losses, origs[r].train_losses);
        REQUIRE(runs[r].train_times.has_value() == origs[r].train_times.has_value());
        if (origs[r].train_times) same_series(*runs[r].train_times, *origs[r].train_times);
        for (const auto& [set, e] : origs[r].evals) {
          const auto* mine = runs[r].find_eval(set);
          REQUIRE(mine);
          same_series(mine->acc1es, e.acc1es);
          same_series(mine->losses, e.losses);
          same_series(mine->times, e.times);
        }
      }
    }
  CHECK(constants > 0);
  CHECK(last_only > 0);
  INFO(series << " series, " << constants << " constant, " << last_only << " at the last epoch alone");
  // A copy of a run outlives the API: it holds the mapping.
  nasbench::ResultsCount<double> copy = run;
  CHECK(copy.train_losses.values() == orig.train_losses.values());
  // Changing a borrowed series makes it an owned copy; the file is untouched.
  auto mutable_api = nasbench::NASBench201API::load(cache);
  auto& ar = mutable_api.mutable_meta_info_by_index(index, "200");
  const std::string ds = ar.datasets().front().name;
  ar.reset_pseudo_train_times(ds, std::nullopt, 2.5);
  const auto changed = ar.query(ds).front().second->get_train();
  CHECK(changed.cur_time == 2.5);
  CHECK(nasbench::verify_cache(cache).with_results == api.evaluated_indexes().size());

  // A corrupted value of an early epoch: opening and the last-epoch queries
  // do not read the data block; the first read of an earlier epoch (or
  // verify_cache) is a LoadError naming the block, every time.
  std::string bytes = read_file(cache);
  const std::size_t at = nasbench::detail::cache::kHeaderSize;  // the first data block follows the header
  bytes[at] = static_cast<char>(bytes[at] ^ 0x40);  // the first value of the first architecture's first series
  const std::string bad = temp_path("inplace-bad.cache");
  { std::ofstream(bad, std::ios::binary) << bytes; }
  const auto broken = nasbench::NASBench201API::load(bad);
  const int first = broken.evaluated_indexes().front();
  CHECK_NOTHROW(broken.get_more_info(first, ds, std::nullopt, "200", nasbench::SeedChoice::mean()));
  CHECK_THROWS_WITH(broken.get_more_info(first, ds, 0, "200", nasbench::SeedChoice::mean()),
                    Catch::Contains("checksum mismatch in the data block of architecture " + std::to_string(first)));
  CHECK_THROWS_AS(broken.get_more_info(first, ds, 0, "200", nasbench::SeedChoice::mean()), nasbench::LoadError);
  CHECK_THROWS_WITH(nasbench::verify_cache(bad), Catch::Contains("data block"));
  std::remove(bad.c_str());
  std::remove(cache.c_str());
}

namespace {
std::uint64_t u64_at(const std::string& b, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}
}  // namespace

TEST_CASE("the common queries are answered from a cache's summary rows, without reading results", "[api][cache]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto original = nasbench::NASBench201API::load(dir + "/tiny.pth");
  const std::string cache = temp_path("summaries.cache");
  nasbench::write_cache(original, cache);
  // Every head block corrupted (their CRCs left as they were): whatever reads
  // an architecture's results is a LoadError; the summary rows still answer.
  std::string bytes = read_file(cache);
  const std::uint64_t index_at = u64_at(bytes, 40);
  for (std::size_t i = 0; i < original.size(); ++i)
    if (const std::uint64_t head = u64_at(bytes, index_at + 32 * i); head != 0)
      bytes[head] = static_cast<char>(bytes[head] ^ 0x40);
  const std::string bad = temp_path("summaries-heads.cache");
  { std::ofstream(bad, std::ios::binary) << bytes; }
  const auto api = nasbench::NASBench201API::load(bad);
  CHECK(api.evaluated_hps() == original.evaluated_hps());
  std::size_t answered = 0;
  for (const auto& hp : original.evaluated_hps())
    for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"}) {
      const json stats = answer_or_error([&] { return json(original.statistics(ds, hp)); });
      if (!stats.is_string()) CHECK(json(api.statistics(ds, hp)) == stats);
      for (int index : original.evaluated_indexes()) {
        INFO("architecture " << index << ", " << ds << ", hp " << hp);
        const json more = answer_or_error([&] {
          return nasbench::to_json(original.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::mean()));
        });
        const json cost = answer_or_error([&] { return nasbench::to_json(original.get_cost_info(index, ds, hp)); });
        if (!more.is_string()) {
          CHECK(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::mean())) == more);
          // One seed's answer: each seed given, and drawn at random (the same draws from the same engine).
          for (int seed : original.query_meta_info_by_index(index, hp).get_dataset_seeds(ds))
            CHECK(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::seed(seed))) ==
                  nasbench::to_json(original.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::seed(seed))));
          nasbench::Random r1(index), r2(index);
          for (int k = 0; k < 3; ++k)
            CHECK(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::random(), r1)) ==
                  nasbench::to_json(original.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::random(), r2)));
          CHECK(r1.randbelow(1000) == r2.randbelow(1000));  // as many draws
          // The last epoch given as an iepoch is the same query; an earlier one reads the results.
          const int last = original.query_meta_info_by_index(index, hp).get_total_epoch(ds) - 1;
          for (auto choice : {nasbench::SeedChoice::mean(), nasbench::SeedChoice::random()}) {
            nasbench::Random a(7), b(7);
            CHECK(nasbench::to_json(api.get_more_info(index, ds, last, hp, choice, a)) ==
                  nasbench::to_json(original.get_more_info(index, ds, last, hp, choice, b)));
          }
          if (last > 0)
            CHECK_THROWS_AS(api.get_more_info(index, ds, last - 1, hp, nasbench::SeedChoice::mean()), nasbench::LoadError);
          // A seed the dataset does not have: the tables raise, here unreadable.
          CHECK_THROWS_AS(api.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::seed(12345)), nasbench::LoadError);
          CHECK_THROWS_WITH(api.get_more_info(index, ds, 0, hp, nasbench::SeedChoice::mean()),
                            Catch::Contains("checksum mismatch in the head block of architecture " + std::to_string(index)));
          ++answered;
        } else {  // not stored: the tables raise, and here they cannot be read
          CHECK_THROWS_AS(api.get_more_info(index, ds, std::nullopt, hp, nasbench::SeedChoice::mean()), nasbench::LoadError);
        }
        if (!cost.is_string()) CHECK(nasbench::to_json(api.get_cost_info(index, ds, hp)) == cost);
        if (!cost.is_string()) CHECK(api.get_latency(index, ds, hp) == original.get_latency(index, ds, hp));
      }
    }
  CHECK(answered > 20);
  // NATS-Bench semantics: the comment is made by the reader.
  auto nats = nasbench::NASBench201API::load(dir + "/tiny.pth");
  nats.set_source("tiny.pth", "NATStopology");
  const std::string nats_cache = temp_path("summaries-nats.cache");
  nasbench::write_cache(nats, nats_cache);
  const auto reopened = nasbench::NASBench201API::load(nats_cache);
  const int first = original.evaluated_indexes().front();
  const auto info = reopened.get_more_info(first, "cifar10", std::nullopt, "200", nasbench::SeedChoice::mean());
  REQUIRE(info.comment);
  CHECK(nasbench::to_json(info) ==
        nasbench::to_json(nats.get_more_info(first, "cifar10", std::nullopt, "200", nasbench::SeedChoice::mean())));

  // A corrupted summary row: the query that reads it is a LoadError naming the rows, and so is verify_cache.
  std::string rows = read_file(cache);
  // The last table's rows end the file: a value of the row of `first` there. The tables are the
  // (hp, dataset) pairs in first-seen order; a row has a seed slot per seed of the most seeds.
  std::string last_hp, last_ds;
  for (int index : original.evaluated_indexes())
    for (const auto& hp : original.hps(index))
      for (const auto& d : original.query_meta_info_by_index(index, hp).datasets())
        std::tie(last_hp, last_ds) = std::make_pair(hp, d.name);
  std::size_t slots = 0;
  for (int index : original.evaluated_indexes()) {
    const auto& ar = original.query_meta_info_by_index(index, last_hp);
    if (ar.has_dataset(last_ds)) slots = std::max(slots, ar.get_dataset_seeds(last_ds).size());
  }
  const std::size_t row_size = nasbench::detail::cache::row_size(slots);
  const std::size_t at = rows.size() - original.size() * row_size + static_cast<std::size_t>(first) * row_size + 32;
  rows[at] = static_cast<char>(rows[at] ^ 0x01);
  { std::ofstream(bad, std::ios::binary) << rows; }
  const auto broken = nasbench::NASBench201API::load(bad);
  std::size_t caught = 0;
  for (const auto& hp : original.evaluated_hps())
    for (const char* ds : {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"})
      try {
        (void)broken.get_cost_info(first, ds, hp);
      } catch (const nasbench::LoadError& e) {
        CHECK_THAT(e.what(), Catch::Contains("checksum mismatch in the summary rows of hp"));
        ++caught;
      } catch (const nasbench::QueryError&) {
      }
  CHECK(caught == 1);
  CHECK_THROWS_WITH(nasbench::verify_cache(bad), Catch::Contains("summary rows"));
  CHECK(nasbench::verify_cache(cache).summaries > 0);
  std::remove(nats_cache.c_str());
  std::remove(bad.c_str());
  std::remove(cache.c_str());
}

TEST_CASE("changes to a cache-backed API are seen by the queries a cache stores", "[api][cache]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  auto original = nasbench::NASBench201API::load(dir + "/tiny.pth");
  const std::string cache = temp_path("mutate-summaries.cache");
  nasbench::write_cache(original, cache);
  auto api = nasbench::NASBench201API::load(cache);
  const int index = original.evaluated_indexes().front();
  const std::string ds = original.query_meta_info_by_index(index, "200").datasets().front().name;
  auto same = [&] {
    CHECK(nasbench::to_json(api.get_cost_info(index, ds, "200")) == nasbench::to_json(original.get_cost_info(index, ds, "200")));
    CHECK(nasbench::to_json(api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())) ==
          nasbench::to_json(original.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean())));
    CHECK(api.statistics(ds, "200") == original.statistics(ds, "200"));
    CHECK(api.evaluated_hps() == original.evaluated_hps());
  };
  same();
  for (auto* a : {&api, &original}) a->mutable_meta_info_by_index(index, "200").reset_latency(ds, std::nullopt, 0.25);
  CHECK(api.get_latency(index, ds, "200") == 0.25);
  same();
  for (auto* a : {&api, &original}) a->mutable_meta_info_by_index(index, "200").reset_pseudo_train_times(ds, std::nullopt, 2.5);
  CHECK(api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean()).train.per_time == 2.5);
  same();
  for (auto* a : {&api, &original}) a->remove_results(original.evaluated_indexes().back());
  CHECK_THROWS_AS(api.statistics(ds, "200"), nasbench::QueryError);  // an evaluated index without results
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
        INFO("byte " << i << " ^ " << int(x));
        CHECK_THROWS_AS(nasbench::verify_cache(bad), nasbench::LoadError);  // the full check, at once
      }
    CHECK(failures == tries);
  }
  SECTION("another format version") {
    std::string copy = data;
    for (char version : {1, 2}) {  // earlier formats: blocks decoded into the heap; no summary rows
      copy[8] = version;
      { std::ofstream(bad, std::ios::binary) << copy; }
      CHECK_THROWS_WITH(nasbench::NASBench201API::load(bad),
                        Catch::Contains("format version " + std::to_string(version)) &&
                            Catch::Contains("reads version 3") && Catch::Contains("nasbench convert"));
    }
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
