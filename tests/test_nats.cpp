// Tests of nasbench/io/nats.hpp and the nats_bench semantics of the API
// (docs/semantics.md §7): every request of the NATS fixtures
// (tests/fixtures/make_nats_fixtures.py) against Python's answers, fast mode,
// create()'s errors (tags [nats]).
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "expected.hpp"
#include "support.hpp"

using namespace nasbench_test::api_tests;  // json, check_expected(), temp_path(), ...

namespace fs = std::filesystem;
using Catch::Message;
using nasbench::LoadError;
using nasbench::QueryError;
using nasbench::SeedChoice;

namespace {

std::string nats_dir() { return fs::path(nasbench_test::bench_fixtures()).parent_path().string() + "/nats"; }

/// Runs in `dir` while alive (the fixtures' expected `archive_dir` is relative to it).
struct InDirectory {
  fs::path previous = fs::current_path();
  explicit InDirectory(const std::string& dir) { fs::current_path(dir); }
  ~InDirectory() { fs::current_path(previous); }
};

nasbench::NASBench201API open_entry(const json& e) {
  const std::optional<nasbench::SearchSpace> space =
      e["space"].is_null() ? std::nullopt : std::optional(nasbench::parse_search_space(e["space"].get<std::string>()));
  return nasbench::open_nats<double>(e["path"].get<std::string>(), space, e["fast_mode"].get<bool>());
}

/// A copy of fixture directory `name` that a test may change.
std::string scratch_copy(const std::string& name) {
  const std::string to = temp_path(name);
  fs::remove_all(to);
  fs::copy(nats_dir() + "/" + name, to, fs::copy_options::recursive);
  return to;
}

}  // namespace

TEST_CASE("NATS: every request of every NATS fixture and layout matches nats_bench", "[nats][fixtures]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  std::ifstream mf(dir + "/manifest.json");
  const json manifest = json::parse(mf);
  REQUIRE(manifest.size() >= 12);
  InDirectory here(dir);
  for (const auto& e : manifest) {
    SECTION(e["path"].get<std::string>() + (e["fast_mode"].get<bool>() ? " fast_mode" : "") +
            (e["space"].is_null() ? "" : " space=" + e["space"].get<std::string>())) {
      auto api = open_entry(e);
      CHECK(api.semantics() == nasbench::Semantics::kNats);
      std::size_t count = 0;
      check_expected(api, e["expected"].get<std::string>(), count);
      CHECK(count > 30);
    }
  }
}

TEST_CASE("NATS: create() recognises the space and refuses what nats_bench refuses", "[nats]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto sss = nasbench::create(dir + "/sss.pickle.pbz2", "size");
  CHECK(sss.class_name() == "NATSsize");
  CHECK(sss.is_size());
  CHECK_FALSE(sss.is_topology());
  CHECK(sss.search_space_name() == "size");
  CHECK(sss.full_train_epochs() == 90);
  CHECK(sss.full_epochs_in_paper() == 90);
  CHECK(sss.size() == 32768);
  CHECK_FALSE(sss.fast_mode());
  CHECK_FALSE(sss.archive_dir());
  CHECK(sss.query_index_by_arch("8:8:8:16:32") == 11);
  CHECK(sss.query_index_by_arch("8:8:8:16:33") == -1);  // malformed: -1, as Python
  CHECK(sss.query_index_by_arch("8:8:8:16") == -1);
  CHECK_THROWS_MATCHES(sss.get_unique_str(11), QueryError,
                       Message("nasbench: get_unique_str is a topology-space query (this is the size space, where "
                               "architectures are channels strings)"));
  const auto tss = nasbench::create(dir + "/tss_dir", "tss", true);
  CHECK(tss.class_name() == "NATStopology");
  CHECK(tss.full_train_epochs() == 200);
  CHECK(tss.repr() == "NATStopology(0/15625 architectures, fast_mode=True, file=tss_dir)");
  CHECK(*tss.archive_dir() == dir + "/tss_dir");
  CHECK(tss.evaluated_indexes().empty());

  CHECK_THROWS_MATCHES(nasbench::create(dir + "/sss.pickle.pbz2", "tss"), LoadError,
                       Message("nasbench: \"" + dir + "/sss.pickle.pbz2\" holds the size space (NATSsize, 32768 "
                               "architectures), not the topology space asked for"));
  CHECK_THROWS_MATCHES(nasbench::create(dir + "/tss_dir", "sss", true), LoadError,
                       Message("nasbench: \"" + dir + "/tss_dir\" holds the topology space (NATStopology, 15625 "
                               "architectures), not the size space asked for"));
  CHECK_THROWS_MATCHES(nasbench::create(dir + "/tss_dir", "shape"), LoadError,
                       Message("nasbench: unknown search space \"shape\" (expected one of tss, topology, sss, size)"));
  CHECK_THROWS_MATCHES(nasbench::create(dir + "/tss.pickle.pbz2", "tss", true), LoadError,
                       Message("nasbench: fast_mode=True reads a NATS-Bench directory (meta.pickle.pbz2 + "
                               "NNNNNN.pickle.pbz2), and \"" + dir + "/tss.pickle.pbz2\" is not a directory (open a "
                               "single file with fast_mode=False)"));
  CHECK_THROWS_AS(nasbench::create(dir + "/nothing-here", "tss", true), LoadError);
  // A NAS-Bench-201 .pth keeps nas_201_api's semantics whichever way it is opened.
  const auto nb201 = nasbench::create(nasbench_test::bench_fixtures() + "/tiny.pth", "topology");
  CHECK(nb201.semantics() == nasbench::Semantics::kNasBench201);
  CHECK(nb201.class_name() == "NASBench201API");
}

TEST_CASE("NATS: fast mode reads each architecture on first use, and a bad file only fails its queries", "[nats]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto eager = nasbench::create(dir + "/tss_dir", "tss");  // every file now
  const std::vector<int> all = eager.evaluated_indexes();
  REQUIRE(all.size() >= 3);

  const std::string copy = scratch_copy("tss_dir");
  auto fast = nasbench::create(copy, "tss", true);
  CHECK(fast.evaluated_indexes().empty());
  CHECK(fast.avaliable_hps().empty());
  const auto first = fast.get_more_info(all[0], "cifar10", std::nullopt, "12", SeedChoice::mean());
  CHECK(fast.evaluated_indexes() == std::vector<int>{all[0]});
  CHECK(nasbench::to_json(first) ==
        nasbench::to_json(eager.get_more_info(all[0], "cifar10", std::nullopt, "12", SeedChoice::mean())));
  CHECK(fast.avaliable_hps() == eager.avaliable_hps());  // this architecture has every hp
  // Read once: the file may go away afterwards.
  char name[32];
  std::snprintf(name, sizeof name, "%06d.pickle.pbz2", all[0]);
  fs::remove(fs::path(copy) / name);
  CHECK_NOTHROW(fast.get_cost_info(all[0], "cifar10", "200"));
  CHECK_THROWS_MATCHES(fast.get_cost_info(1, "cifar10"), LoadError,
                       Message("nasbench: fast mode: no file for architecture 1 (tried \"" + copy +
                               "/000001.pickle.pbz2\" and \"" + copy + "/1.pickle.pbz2\")"));
  // A broken file: a LoadError naming it, and the other architectures still answer.
  std::snprintf(name, sizeof name, "%06d.pickle.pbz2", all[1]);
  { std::ofstream(fs::path(copy) / name, std::ios::binary | std::ios::trunc) << "BZh91AY&SY"; }
  try {
    (void)fast.get_cost_info(all[1], "cifar10");
    FAIL("a truncated architecture file was read");
  } catch (const LoadError& e) {
    CHECK_THAT(e.what(), Catch::Contains(name));
  }
  CHECK_NOTHROW(fast.get_cost_info(all[2], "cifar10"));
  CHECK(fast.evaluated_indexes() == std::vector<int>{all[0], all[2]});
  CHECK(fast.repr() == "NATStopology(2/15625 architectures, fast_mode=True, file=" + fs::path(copy).filename().string() + ")");
  // enforce_all reads every file the directory has (the broken one fails the scan, as in Python).
  CHECK_THROWS_AS(fast.find_best("cifar10", "test", std::nullopt, std::nullopt, "12", true), LoadError);
  fs::remove(fs::path(copy) / name);
  const auto best = fast.find_best("cifar10", "test", std::nullopt, std::nullopt, "12", true);
  const auto eager_best = eager.find_best("cifar10", "test", std::nullopt, std::nullopt, "12");
  if (eager_best.index != all[1]) CHECK(nasbench::to_json(best) == nasbench::to_json(eager_best));
  // reset_fast_mode(false): nothing more is read; reset_archive_dir: later reads come from there.
  auto again = nasbench::create(copy, "tss", true);
  again.reset_fast_mode(false);
  CHECK_THROWS_MATCHES(again.get_cost_info(all[2], "cifar10"), QueryError,
                       Message("nasbench: architecture " + std::to_string(all[2]) + " has no results (not evaluated)"));
  again.reset_fast_mode(true);
  again.reset_archive_dir(dir + "/tss_dir");
  CHECK(*again.archive_dir() == dir + "/tss_dir");
  CHECK(nasbench::to_json(again.get_cost_info(all[0], "cifar10")) == nasbench::to_json(eager.get_cost_info(all[0], "cifar10")));
  fs::remove_all(copy);
}

TEST_CASE("NATS: fast mode from many threads reads each architecture once and answers as the eager load", "[nats][threads]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto eager = nasbench::create(dir + "/sss_dir", "sss");
  const std::vector<int> all = eager.evaluated_indexes();
  const auto fast = nasbench::create(dir + "/sss_dir", "sss", true);
  std::vector<json> want;
  for (int i : all)
    for (const char* ds : {"cifar10", "cifar100"})
      want.push_back(nasbench::to_json(eager.get_more_info(i, ds, std::nullopt, eager.hps(i).front(), SeedChoice::mean())));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        std::size_t k = 0;
        const auto order = t % 2 ? all : std::vector<int>(all.rbegin(), all.rend());  // meet from both ends
        for (int i : order)
          for (const char* ds : {"cifar10", "cifar100"}) {
            k = static_cast<std::size_t>(std::find(all.begin(), all.end(), i) - all.begin()) * 2 + (std::string_view(ds) == "cifar100");
            if (nasbench::to_json(fast.get_more_info(i, ds, std::nullopt, eager.hps(i).front(), SeedChoice::mean())) !=
                want[k])
              ++wrong;
          }
        try {
          (void)fast.find_best("cifar10", "test", std::nullopt, std::nullopt, "12");
        } catch (const QueryError&) {  // an architecture read so far may lack hp 12
        }
        (void)fast.repr();
      }
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(fast.evaluated_indexes() == all);
}

TEST_CASE("NATS: a cache keeps the semantics and space it was written from", "[nats][cache]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  const auto api = nasbench::create(dir + "/sss.pickle.pbz2", "sss");
  const std::string cache = temp_path("sss.cache");
  nasbench::write_cache(api, cache);
  auto back = nasbench::create(cache, "sss");
  CHECK(back.semantics() == nasbench::Semantics::kNats);
  CHECK(back.class_name() == "NATSsize");
  CHECK_THROWS_AS(nasbench::create(cache, "tss"), LoadError);
  InDirectory here(dir);
  std::size_t count = 0;
  for (const char* expected : {"sss.pickle.pbz2.expected.jsonl"}) {
    auto fresh = nasbench::create(cache, "sss");
    // repr names the file: compare everything else.
    std::ifstream in(expected);
    std::string line;
    const std::string filtered = temp_path("sss.filtered.jsonl");
    {
      std::ofstream out(filtered);
      while (std::getline(in, line)) {
        const json rec = json::parse(line);
        const std::string fn = rec["request"]["fn"].get<std::string>();
        if (fn != "repr" && fn != "show") out << line << '\n';
      }
    }
    check_expected(fresh, filtered, count);
    fs::remove(filtered);
  }
  CHECK(count > 200);
  fs::remove(cache);
}

TEST_CASE("NATS: a cache of every file and directory layout, either space, answers as its original", "[nats][cache]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  std::ifstream mf(dir + "/manifest.json");
  const json manifest = json::parse(mf);
  InDirectory here(dir);
  for (const auto& e : manifest) {
    if (e["fast_mode"].get<bool>()) continue;  // a cache holds every architecture: fast mode does not apply
    const std::string path = e["path"].get<std::string>();
    SECTION(path) {
      const std::string cache = temp_path("layout.cache");
      nasbench::write_cache(open_entry(e), cache);
      auto back = open_entry(json{{"path", cache}, {"space", e["space"]}, {"fast_mode", false}});
      CHECK(back.semantics() == nasbench::Semantics::kNats);
      // Every expected answer but repr and show, which name the file.
      const std::string filtered = temp_path("layout.filtered.jsonl");
      {
        std::ifstream in(e["expected"].get<std::string>());
        std::ofstream out(filtered);
        std::string line;
        while (std::getline(in, line)) {
          const std::string fn = json::parse(line)["request"]["fn"].get<std::string>();
          if (fn != "repr" && fn != "show") out << line << '\n';
        }
      }
      std::size_t count = 0;
      check_expected(back, filtered, count);
      CHECK(count > 30);
      // Float tables from the cache = float tables from the original.
      const auto space = nasbench::parse_search_space(back.search_space_name() == "size" ? "sss" : "tss");
      const auto f1 = nasbench::open_nats<float>(path, space, false);
      const auto f2 = nasbench::open_nats<float>(cache, space, false);
      for (int index : f1.evaluated_indexes())
        for (const auto& hp : f1.hps(index))
          for (const auto& d : f1.query_meta_info_by_index(index, hp).datasets()) {
            auto answers = [&](const nasbench::BasicAPI<float>& api) {
              return json::array({answer_or_error([&] { return nasbench::to_json(api.get_more_info(index, d.name, std::nullopt, hp, nasbench::SeedChoice::mean())); }),
                                  answer_or_error([&] { return nasbench::to_json(api.get_more_info(index, d.name, 0, hp, nasbench::SeedChoice::mean())); }),
                                  answer_or_error([&] { return nasbench::to_json(api.get_cost_info(index, d.name, hp)); })});
            };
            CHECK(answers(f1) == answers(f2));
          }
      fs::remove(filtered);
      fs::remove(cache);
    }
  }
}

TEST_CASE("NATS: simulate_train_eval names the datasets it takes", "[nats]") {
  const std::string dir = nats_dir();
  if (!nasbench_test::require_fixture(dir + "/manifest.json")) return;
  auto api = nasbench::create(dir + "/tss.pickle.pbz2", "tss");
  const int index = api.evaluated_indexes().front();
  CHECK_THROWS_MATCHES(api.simulate_train_eval(index, "cifar10-valid"), QueryError,
                       Message("nasbench: invalid dataset name \"cifar10-valid\" for simulate_train_eval (expected "
                               "one of cifar10, cifar100, ImageNet16-120)"));
  nasbench::Random a(5), b(5);
  const auto t1 = api.simulate_train_eval(index, "cifar100", 3, "12", true, a);
  CHECK(api.used_time() == t1.time_cost);
  const auto t2 = api.simulate_train_eval(index, "cifar100", 3, "12", false, b);
  CHECK(nasbench::to_json(t2)[0] == nasbench::to_json(t1)[0]);
  CHECK(api.used_time() == t1.time_cost);  // account_time=false
  api.reset_time();
  CHECK(api.used_time() == 0);
  CHECK(api.random(a) >= 0);
}
