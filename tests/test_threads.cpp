// A stress test of what api/basic_api.hpp promises: queries are const and may
// run from many threads at once. Eight threads ask a mix of every kind of
// query of one parsed API, then of a cache of it opened just before (so that
// the first touches of each architecture and column race), and every answer
// must be the one a single thread got (scripts/test.sh --tsan runs it under
// ThreadSanitizer).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nasbench/nasbench.hpp"
#include "expected.hpp"
#include "support.hpp"

namespace {

using nlohmann::json;
using API = nasbench::NASBench201API;

constexpr int kThreads = 8;
constexpr int kRounds = 6;        // over the parsed API
constexpr int kCacheOpens = 3;    // fresh caches, each asked kCacheRounds times
constexpr int kCacheRounds = 2;
const char* const kDatasets[] = {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"};
const char* const kHps[] = {"12", "200"};

/// One query, named for the failure messages. `ask` may draw from the
/// thread's engine; it never throws (errors are answers too).
struct Query {
  std::string name;
  std::function<json(const API&, nasbench::Random&)> ask;
};

/// `fn()`, or the error it raises as text: a thread must not die of one.
template <typename Fn>
json answer(Fn&& fn) {
  try {
    return fn();
  } catch (const nasbench::QueryError& e) {
    return std::string("QueryError: ") + e.what();
  } catch (const nasbench::Error& e) {
    return std::string("Error: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

/// What a draw from the API's own engine must be: one seed's answer (the
/// engine is shared, so which seed a thread gets depends on the others).
constexpr const char* kOneSeed = "one seed's answer";

/// Protocol requests, as `nasbench query` reads them; some are errors.
std::vector<std::string> request_lines(const API& api) {
  std::vector<json> requests = {
      {{"fn", "len"}},
      {{"fn", "arch"}, {"args", {{"index", 15624}}}},
      {{"fn", "arch"}, {"args", {{"index", 15625}}}},
      {{"fn", "query_index_by_arch"}, {"args", {{"arch", api.arch(284)}}}},
      {{"fn", "statistics"}, {"args", {{"dataset", "cifar100"}, {"hp", 200}}}},
      {{"fn", "find_best"}, {"args", {{"dataset", "cifar10"}, {"metric_on_set", "test"}, {"FLOP_max", 50}}}},
      {{"fn", "get_more_info"}, {"args", {{"index", 11}, {"dataset", "cifar1O"}}}},
      {{"fn", "nope"}},
  };
  for (int index : api.evaluated_indexes())
    for (const char* ds : kDatasets) {
      requests.push_back({{"fn", "get_more_info"}, {"args", {{"index", index}, {"dataset", ds}, {"hp", "200"}}}});
      requests.push_back({{"fn", "get_more_info"}, {"args", {{"index", index}, {"dataset", ds}, {"is_random", 777}}}});
      requests.push_back({{"fn", "get_metrics"},
                          {"args", {{"index", index}, {"dataset", ds}, {"hp", 200}, {"setname", "train"}, {"is_random", true}}}});
      requests.push_back({{"fn", "get_cost_info"}, {"args", {{"index", index}, {"dataset", ds}, {"hp", 200}}}});
      requests.push_back({{"fn", "get_dataset_seeds"}, {"args", {{"index", index}, {"dataset", ds}, {"hp", "12"}}}});
      requests.push_back({{"fn", "get_net_config"}, {"args", {{"index", index}, {"dataset", ds}}}});
      if (api.has_results(index) && api.query_meta_info_by_index(index, "200").has_dataset(ds)) {
        const int seed = api.query_meta_info_by_index(index, "200").get_dataset_seeds(ds).front();
        requests.push_back({{"fn", "get_train"}, {"args", {{"index", index}, {"dataset", ds}, {"hp", 200}, {"seed", seed}}}});
        requests.push_back({{"fn", "get_times"}, {"args", {{"index", index}, {"dataset", ds}, {"hp", 200}, {"seed", seed}}}});
      }
    }
  std::vector<std::string> lines;
  for (const json& r : requests) lines.push_back(r.dump());
  lines.emplace_back("{\"fn\": \"len\"");  // not JSON
  return lines;
}

/// Every kind of query, over every evaluated architecture (and one that is
/// not), both schedules and the four datasets.
std::vector<Query> mixed_queries(const API& api) {
  using nasbench::SeedChoice;
  std::vector<Query> q;
  const auto add = [&q](std::string name, std::function<json(const API&, nasbench::Random&)> ask) {
    q.push_back({std::move(name), std::move(ask)});
  };
  std::vector<int> indexes = api.evaluated_indexes();
  indexes.push_back(1);  // no results: QueryErrors
  std::set<double> flops, params;  // find_best limits that fall on the architectures' own costs
  for (int index : api.evaluated_indexes()) {
    const auto c = answer([&] { return nasbench::to_json(api.get_cost_info(index, "cifar10", "200")); });
    if (c.is_object()) {
      flops.insert(c["flops"].get<double>());
      params.insert(c["params"].get<double>());
    }
  }
  for (int index : indexes)
    for (const char* hp : kHps)
      for (const char* ds : kDatasets) {
        const std::string at = std::to_string(index) + " " + ds + " hp " + hp;
        add("get_more_info mean " + at, [=](const API& a, nasbench::Random&) {
          return answer([&] { return nasbench::to_json(a.get_more_info(index, ds, std::nullopt, hp, SeedChoice::mean())); });
        });
        add("get_more_info mean iepoch 5 " + at, [=](const API& a, nasbench::Random&) {
          return answer([&] { return nasbench::to_json(a.get_more_info(index, ds, 5, hp, SeedChoice::mean())); });
        });
        add("get_more_info random " + at, [=](const API& a, nasbench::Random& rng) {
          return answer([&] { return nasbench::to_json(a.get_more_info(index, ds, std::nullopt, hp, SeedChoice::random(), rng)); });
        });
        add("get_more_info random iepoch 5 " + at, [=](const API& a, nasbench::Random& rng) {
          return answer([&] { return nasbench::to_json(a.get_more_info(index, ds, 5, hp, SeedChoice::random(), rng)); });
        });
        add("get_more_info with the API's engine " + at, [=](const API& a, nasbench::Random&) {
          return answer([&]() -> json {
            const json drawn = nasbench::to_json(a.get_more_info(index, ds, std::nullopt, hp, SeedChoice::random()));
            for (int seed : a.query_meta_info_by_index(index, hp).get_dataset_seeds(ds))
              if (drawn == nasbench::to_json(a.get_more_info(index, ds, std::nullopt, hp, SeedChoice::seed(seed))))
                return kOneSeed;
            return {{"no seed gives", drawn}};
          });
        });
        add("get_cost_info " + at, [=](const API& a, nasbench::Random&) {
          return answer([&] { return nasbench::to_json(a.get_cost_info(index, ds, hp)); });
        });
        add("get_latency " + at, [=](const API& a, nasbench::Random&) {
          return answer([&] { return nasbench::detail::opt_json(a.get_latency(index, ds, hp)); });
        });
        add("get_dataset_seeds " + at, [=](const API& a, nasbench::Random&) {
          return answer([&] { return json(a.query_meta_info_by_index(index, hp).get_dataset_seeds(ds)); });
        });
        for (const char* set : {"train", "valid", "x-valid", "x-test", "ori-test"}) {
          add(std::string("get_metrics mean ") + set + " " + at, [=](const API& a, nasbench::Random&) {
            return answer([&] {
              return nasbench::to_json(
                  a.query_meta_info_by_index(index, hp).get_metrics(ds, set, std::nullopt, SeedChoice::mean()));
            });
          });
          add(std::string("get_metrics random ") + set + " " + at, [=](const API& a, nasbench::Random& rng) {
            return answer([&] {
              return nasbench::to_json(
                  a.query_meta_info_by_index(index, hp).get_metrics(ds, set, std::nullopt, SeedChoice::random(), &rng));
            });
          });
        }
      }
  for (const char* hp : kHps)
    for (const char* ds : kDatasets) {
      const std::string at = std::string(ds) + " hp " + hp;
      add("statistics " + at, [=](const API& a, nasbench::Random&) {
        return answer([&] {
          json out = json::object();
          for (const auto& [seeds, count] : a.statistics(ds, hp)) out[std::to_string(seeds)] = count;
          return out;
        });
      });
      for (const char* set : {"train", "valid", "test", "x-valid", "x-test", "ori-test"}) {
        add(std::string("find_best ") + set + " " + at, [=](const API& a, nasbench::Random&) {
          return answer([&] { return nasbench::to_json(a.find_best(ds, set, std::nullopt, std::nullopt, hp)); });
        });
        for (double flop : flops)
          add(std::string("find_best ") + set + " " + at + " FLOP_max " + std::to_string(flop),
              [=](const API& a, nasbench::Random&) {
                return answer([&] { return nasbench::to_json(a.find_best(ds, set, flop, std::nullopt, hp)); });
              });
        for (double param : params)
          add(std::string("find_best ") + set + " " + at + " Param_max " + std::to_string(param),
              [=](const API& a, nasbench::Random&) {
                return answer([&] { return nasbench::to_json(a.find_best(ds, set, std::nullopt, param, hp)); });
              });
      }
    }
  for (long long index = 0; index < 15625; index += 997) {
    add("arch " + std::to_string(index), [=](const API& a, nasbench::Random&) {
      return answer([&] {
        const std::string& arch = a.arch(index);
        return json::array({arch, a.query_index_by_arch(arch), a.query_index_by_arch(index)});
      });
    });
  }
  add("arch out of range", [](const API& a, nasbench::Random&) { return answer([&] { return json(a.arch(15625)); }); });
  for (const std::string& line : request_lines(api))
    add("answer_line " + line,
        [=](const API& a, nasbench::Random& rng) { return answer([&] { return json(nasbench::answer_line(a, line, rng)); }); });
  return q;
}

/// Thread `t`'s engine, reseeded every round so that each round asks the same.
nasbench::Random engine_of(int t) { return nasbench::Random(1000 + static_cast<std::uint64_t>(t)); }

/// The queries in thread `t`'s order: each pair of threads starts elsewhere
/// in the list, so that different queries run at the same moment and each
/// first touch (of an architecture of a cache, of a find_best column) races
/// with another thread's.
std::vector<const Query*> order_of(const std::vector<Query>& queries, int t) {
  std::vector<const Query*> out;
  const std::size_t start = queries.size() * static_cast<std::size_t>(t / 2) / (kThreads / 2);
  for (std::size_t i = 0; i < queries.size(); ++i) out.push_back(&queries[(start + i) % queries.size()]);
  return out;
}

/// One round of thread `t`'s queries against `api`, on this thread.
std::vector<json> one_round(const API& api, const std::vector<Query>& queries, int t) {
  nasbench::Random rng = engine_of(t);
  std::vector<json> out;
  for (const Query* q : order_of(queries, t)) out.push_back(q->ask(api, rng));
  return out;
}

/// kThreads threads, each asking `rounds` rounds of queries against `api`
/// at once; the answers that differ from `expected[t]` (at most 20), described.
std::vector<std::string> hammer(const API& api, const std::vector<Query>& queries,
                                const std::vector<std::vector<json>>& expected, int rounds) {
  std::vector<std::vector<std::string>> wrong(kThreads);
  std::atomic<int> waiting{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::vector<const Query*> order = order_of(queries, t);
      // All start together: the first threads would otherwise be done with
      // the first touches before the last ones exist.
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      for (int round = 0; round < rounds; ++round) {
        nasbench::Random rng = engine_of(t);
        for (std::size_t k = 0; k < order.size(); ++k) {
          const json got = order[k]->ask(api, rng);
          if (got != expected[t][k] && wrong[t].size() < 20)
            wrong[t].push_back("thread " + std::to_string(t) + " round " + std::to_string(round) + ", " +
                               order[k]->name + ": expected " + expected[t][k].dump() + ", got " + got.dump());
        }
      }
    });
  for (auto& th : threads) th.join();
  std::vector<std::string> all;
  for (const auto& w : wrong) all.insert(all.end(), w.begin(), w.end());
  if (all.size() > 20) all.resize(20);
  return all;
}

}  // namespace

TEST_CASE("mixed queries from 8 threads on a parsed API and on a fresh cache give the single-thread answers",
          "[api][cache][threads][stress]") {
  const std::string file = nasbench_test::bench_fixtures() + "/tiny.pth";
  if (!nasbench_test::require_fixture(file)) return;
  const auto api = API::load(file);
  const std::vector<Query> queries = mixed_queries(api);
  REQUIRE(queries.size() > 1000);
  std::vector<std::vector<json>> expected;
  for (int t = 0; t < kThreads; ++t) expected.push_back(one_round(api, queries, t));
  // The expected answers are answers, not a broken query's errors everywhere.
  std::size_t errors = 0, one_seed = 0, no_seed = 0;
  for (const json& a : expected[0]) {
    if (a.is_string() && a.get<std::string>().rfind("QueryError: ", 0) == 0) ++errors;
    if (a == kOneSeed) ++one_seed;
    if (a.is_object() && a.contains("no seed gives")) ++no_seed;
  }
  CHECK(errors < queries.size() / 2);
  CHECK(one_seed > 20);
  CHECK(no_seed == 0);

  for (const std::string& w : hammer(api, queries, expected, kRounds)) FAIL_CHECK("the parsed API: " << w);
  const std::string cache = nasbench_test::temp_path("stress.cache");
  nasbench::write_cache(api, cache);
  for (int open = 0; open < kCacheOpens; ++open) {
    const auto cached = API::load(cache);
    for (const std::string& w : hammer(cached, queries, expected, kCacheRounds))
      FAIL_CHECK("cache opened just before (open " << open << "): " << w);
  }
  std::remove(cache.c_str());
}
