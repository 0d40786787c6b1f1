// Tests of the io layer (io/load.hpp): bad files, truncations, corruptions,
// LoadOptions.
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

TEST_CASE("off-schema, broken and unknown files give LoadErrors naming the key path", "[api][errors]") {
  const std::string dir = error_fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/errors.json")) return;
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
  if (!nasbench_test::require_fixture(dir + "/errors.json")) return;
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
  if (!nasbench_test::require_fixture(dir + "/errors.json")) return;
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

TEST_CASE("LoadOptions: only some schedules and datasets, the rest named as not loaded", "[api][options]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
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

TEST_CASE("LoadOptions::final_epoch_only: the same headline answers, other epochs named as not loaded",
          "[api][options]") {
  const std::string dir = fixture_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
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
