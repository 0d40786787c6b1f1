// Load time, peak memory and query speed of nasbench on one benchmark file.
//
//   nasbench_bench FILE [--json] [--min-time SECONDS] [--no-full]
//
// Measures (one thread throughout):
//  - load: wall time of NASBench201API::load (median of 3, or 1 when a load
//    takes over 10 s); peak RSS of a load alone, in a fresh child process
//    (this program re-run as `--load-only`), which reports its VmHWM (the peak
//    resident set of that process, nothing else in it) and its VmRSS before
//    and after loading. Double (BasicAPI<double>) and float (BasicAPI<float>).
//  - get_more_info(index, dataset, nullopt, "200", is_random) calls per second,
//    cycling through every evaluated index x the four datasets: is_random =
//    SeedChoice::mean(), SeedChoice::random() with the API's own (locked)
//    engine, and SeedChoice::random() with a caller's Random&.
//  - find_best("cifar10", "test", ..., "200") over the file's architectures:
//    the first call (it builds a cached column) and later calls (median);
//  - the same over 15,625 architectures: an API built in memory with every
//    index filled (the loaded ArchResults copied round-robin into all slots).
//  - the cache (cache.hpp): write_cache time and size; in a fresh child
//    (`--open-cache-only CACHE`): open time, time of the first get_more_info
//    and of the first find_best (stored column), peak RSS; get_more_info
//    calls per second on the cache-backed API once its architectures are read.
// Bench results are never tests: bench/run_benchmarks.sh sets them against
// Python's numbers from the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "nasbench/nasbench.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// A field of /proc/self/status in KiB (VmRSS, VmHWM), -1 when unreadable.
long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') return std::atol(line.c_str() + n + 1);
  return -1;
}

long maxrss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

const char* const kDatasets[] = {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"};

/// `--load-only FILE [--float]`: load once, report, exit (run as a child).
int load_only(const std::string& file, bool use_float) {
  const long before = status_kib("VmRSS");
  const auto t0 = clock_type::now();
  std::size_t evaluated = 0;
  long after = 0;
  if (use_float) {
    const auto api = nasbench::NASBench201APIFloat::load(file);
    evaluated = api.evaluated_indexes().size();
    after = status_kib("VmRSS");
  } else {
    const auto api = nasbench::NASBench201API::load(file);
    evaluated = api.evaluated_indexes().size();
    after = status_kib("VmRSS");
  }
  const double t = seconds_since(t0);
  std::cout << json{{"load_s", t},
                    {"evaluated", evaluated},
                    {"rss_before_kib", before},
                    {"rss_after_kib", after},
                    {"peak_rss_kib", status_kib("VmHWM")},
                    {"ru_maxrss_kib", maxrss_kib()}}
                   .dump()
            << std::endl;
  return 0;
}

/// `--open-cache-only CACHE`: open, first answers, report, exit (run as a child).
int open_cache_only(const std::string& cache) {
  const long before = status_kib("VmRSS");
  auto t0 = clock_type::now();
  const auto api = nasbench::NASBench201API::load(cache);
  const double open_s = seconds_since(t0);
  const int index = api.evaluated_indexes().front();
  t0 = clock_type::now();
  const auto info = api.get_more_info(index, "cifar10", std::nullopt, "200", nasbench::SeedChoice::mean());
  const double first_answer_s = seconds_since(t0);
  const long after_first = status_kib("VmRSS");
  t0 = clock_type::now();
  const auto best = api.find_best("cifar10", "test", std::nullopt, std::nullopt, "200");
  const double find_best_s = seconds_since(t0);
  std::cout << json{{"open_s", open_s},
                    {"first_get_more_info_s", first_answer_s},
                    {"open_to_first_answer_s", open_s + first_answer_s},
                    {"first_find_best_s", find_best_s},
                    {"best_index", best.index},
                    {"train_accuracy", *info.train.accuracy},
                    {"rss_before_kib", before},
                    {"rss_after_first_answer_kib", after_first},
                    {"peak_rss_kib", status_kib("VmHWM")}}
                   .dump()
            << std::endl;
  return 0;
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs `self --load-only FILE [--float]` in a fresh process and parses its report.
json load_in_child(const std::string& file, bool use_float, const char* mode = "--load-only") {
  const std::string cmd =
      "exec " + shell_quote(self_exe()) + " " + mode + " " + shell_quote(file) + (use_float ? " --float" : "");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  if (rc != 0) throw std::runtime_error("the --load-only child failed (status " + std::to_string(rc) + ")");
  return json::parse(out);
}

/// Calls fn(i) for i = 0, 1, 2, ... in batches until min_seconds have passed; calls per second.
template <typename Fn>
double calls_per_second(Fn&& fn, double min_seconds) {
  constexpr std::size_t kBatch = 4096;
  std::size_t i = 0;
  for (; i < kBatch; ++i) fn(i);  // warm-up
  const auto t0 = clock_type::now();
  std::size_t calls = 0;
  double t = 0;
  do {
    for (std::size_t k = 0; k < kBatch; ++k, ++i) fn(i);
    calls += kBatch;
    t = seconds_since(t0);
  } while (t < min_seconds);
  return static_cast<double>(calls) / t;
}

template <typename Real>
json time_find_best(const nasbench::BasicAPI<Real>& api, double min_seconds, int* best_index) {
  auto t0 = clock_type::now();
  auto best = api.find_best("cifar10", "test", std::nullopt, std::nullopt, "200");
  const double first = seconds_since(t0);
  std::vector<double> later;
  const auto start = clock_type::now();
  while (later.size() < 5 || (seconds_since(start) < min_seconds && later.size() < 100000)) {
    t0 = clock_type::now();
    best = api.find_best("cifar10", "test", std::nullopt, std::nullopt, "200");
    later.push_back(seconds_since(t0));
  }
  // with a budget (fewer architectures qualify; the scan is the same)
  std::vector<double> budget;
  for (int k = 0; k < 21; ++k) {
    t0 = clock_type::now();
    const auto b = api.find_best("cifar10", "test", 50.0, 0.5, "200");
    budget.push_back(seconds_since(t0));
    (void)b;
  }
  *best_index = best.index;
  return json{{"archs", api.evaluated_indexes().size()},
              {"first_ms", first * 1e3},
              {"later_ms_median", median(later) * 1e3},
              {"later_ms_min", *std::min_element(later.begin(), later.end()) * 1e3},
              {"later_calls", later.size()},
              {"budget_ms_median", median(budget) * 1e3},
              {"best_index", best.index},
              {"best_accuracy", best.accuracy ? json(*best.accuracy) : json()}};
}

/// Every one of the 15,625 slots filled with a copy of a loaded architecture (round-robin).
template <typename Real>
nasbench::BasicAPI<Real> fill_all(const nasbench::BasicAPI<Real>& loaded) {
  nasbench::BasicAPI<Real> api;
  api.set_meta_archs(loaded.meta_archs());
  const auto& ev = loaded.evaluated_indexes();
  std::vector<int> all(api.size());
  for (std::size_t i = 0; i < api.size(); ++i) {
    const int src = ev[i % ev.size()];
    for (const auto& hp : loaded.hps(src)) api.add_results(static_cast<int>(i), hp, loaded.query_meta_info_by_index(src, hp));
    all[i] = static_cast<int>(i);
  }
  api.set_evaluated_indexes(std::move(all));
  return api;
}

template <typename Real>
json query_bench(const nasbench::BasicAPI<Real>& api, double min_seconds, bool with_random) {
  std::vector<std::pair<int, const char*>> pairs;
  for (int index : api.evaluated_indexes())
    for (const char* d : kDatasets) pairs.emplace_back(index, d);
  double sink = 0;
  json out;
  out["get_more_info_mean_per_s"] = calls_per_second(
      [&](std::size_t i) {
        const auto& [index, ds] = pairs[i % pairs.size()];
        const auto info = api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::mean());
        sink += *info.train.accuracy;
      },
      min_seconds);
  // the 12-epoch schedule: all_time sums 12 epoch times instead of 200
  out["get_more_info_mean_hp12_per_s"] = calls_per_second(
      [&](std::size_t i) {
        const auto& [index, ds] = pairs[i % pairs.size()];
        const auto info = api.get_more_info(index, ds, std::nullopt, "12", nasbench::SeedChoice::mean());
        sink += *info.train.accuracy;
      },
      min_seconds);
  if (with_random) {
    out["get_more_info_random_own_engine_per_s"] = calls_per_second(
        [&](std::size_t i) {
          const auto& [index, ds] = pairs[i % pairs.size()];
          const auto info = api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::random());
          sink += *info.train.accuracy;
        },
        min_seconds);
    nasbench::Random rng(0);
    out["get_more_info_random_caller_rng_per_s"] = calls_per_second(
        [&](std::size_t i) {
          const auto& [index, ds] = pairs[i % pairs.size()];
          const auto info = api.get_more_info(index, ds, std::nullopt, "200", nasbench::SeedChoice::random(), rng);
          sink += *info.train.accuracy;
        },
        min_seconds);
  }
  out["pairs"] = pairs.size();
  out["checksum"] = sink;  // keeps the calls observable
  return out;
}

int usage() {
  std::fprintf(stderr, "usage: nasbench_bench FILE [--json] [--min-time SECONDS] [--no-full]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "--load-only")
    return load_only(args[1], args.size() > 2 && args[2] == "--float");
  if (args.size() >= 2 && args[0] == "--open-cache-only") return open_cache_only(args[1]);
  std::string file;
  bool as_json = false, full = true;
  double min_seconds = 1.0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") as_json = true;
    else if (args[i] == "--no-full") full = false;
    else if (args[i] == "--min-time" && i + 1 < args.size()) min_seconds = std::stod(args[++i]);
    else if (!args[i].empty() && args[i][0] == '-') return usage();
    else if (file.empty()) file = args[i];
    else return usage();
  }
  if (file.empty()) return usage();

  json report;
  report["file"] = file;
  report["file_bytes"] = static_cast<std::uint64_t>(std::filesystem::file_size(file));

  // 1. peak RSS of one load, each in a fresh process (before this one grows)
  report["load_child_double"] = load_in_child(file, false);
  report["load_child_float"] = load_in_child(file, true);

  // 2. load wall time, in this process
  std::vector<double> loads;
  std::optional<nasbench::NASBench201API> api;
  for (int k = 0; k < 3; ++k) {
    api.reset();
    const auto t0 = clock_type::now();
    api.emplace(nasbench::NASBench201API::load(file));
    loads.push_back(seconds_since(t0));
    if (loads.back() > 10.0) break;
  }
  report["load_s"] = loads;
  report["load_s_median"] = median(loads);
  report["evaluated"] = api->evaluated_indexes().size();

  // 3. get_more_info
  report["query_double"] = query_bench(*api, min_seconds, true);

  // 4. find_best over the file's architectures, then over all 15,625
  int best = -1;
  report["find_best_file_double"] = time_find_best(*api, min_seconds, &best);

  // 5. the cache: write, open in a fresh process, query
  {
    const std::string cache = file + ".cache";
    auto t0 = clock_type::now();
    nasbench::write_cache(*api, cache);
    report["cache_write_s"] = seconds_since(t0);
    report["cache_bytes"] = static_cast<std::uint64_t>(std::filesystem::file_size(cache));
    report["cache_child"] = load_in_child(cache, false, "--open-cache-only");
    const auto cached = nasbench::NASBench201API::load(cache);
    cached.materialize_all();
    report["query_cache"] = query_bench(cached, min_seconds, false);
    std::filesystem::remove(cache);
  }
  if (full) {
    report["rss_before_15625_double_kib"] = status_kib("VmRSS");
    auto t0 = clock_type::now();
    {
      const auto all = fill_all(*api);
      report["fill_15625_double_s"] = seconds_since(t0);
      report["rss_with_15625_double_kib"] = status_kib("VmRSS");
      report["find_best_15625_double"] = time_find_best(all, min_seconds, &best);
    }
    api.reset();
    const auto apif = nasbench::NASBench201APIFloat::load(file);
    report["query_float"] = query_bench(apif, min_seconds, false);
    report["find_best_file_float"] = time_find_best(apif, min_seconds, &best);
    t0 = clock_type::now();
    const auto allf = fill_all(apif);
    report["fill_15625_float_s"] = seconds_since(t0);
    report["find_best_15625_float"] = time_find_best(allf, min_seconds, &best);
  }

  if (as_json) {
    std::cout << report.dump() << std::endl;
    return 0;
  }
  const auto& cd = report["load_child_double"];
  const auto& cf = report["load_child_float"];
  const auto& q = report["query_double"];
  std::printf("file: %s (%.1f MB, %zu evaluated architectures)\n", file.c_str(),
              report["file_bytes"].get<double>() / 1e6, report["evaluated"].get<std::size_t>());
  std::printf("load (double): %.3f s median of %zu; peak RSS %.1f MiB (RSS after load %.1f MiB, before %.1f MiB)\n",
              report["load_s_median"].get<double>(), loads.size(), cd["peak_rss_kib"].get<double>() / 1024,
              cd["rss_after_kib"].get<double>() / 1024, cd["rss_before_kib"].get<double>() / 1024);
  std::printf("load (float):  %.3f s; peak RSS %.1f MiB (RSS after load %.1f MiB)\n", cf["load_s"].get<double>(),
              cf["peak_rss_kib"].get<double>() / 1024, cf["rss_after_kib"].get<double>() / 1024);
  std::printf("get_more_info hp 200: mean %.0f/s, random (API engine) %.0f/s, random (caller Random&) %.0f/s; "
              "hp 12 mean %.0f/s\n",
              q["get_more_info_mean_per_s"].get<double>(), q["get_more_info_random_own_engine_per_s"].get<double>(),
              q["get_more_info_random_caller_rng_per_s"].get<double>(), q["get_more_info_mean_hp12_per_s"].get<double>());
  const auto& cc = report["cache_child"];
  std::printf("cache: written in %.2f s, %.1f MB; open %.4f s, open to first answer %.4f s, first find_best %.4f s, "
              "peak RSS %.1f MiB; get_more_info hp 200 mean %.0f/s\n",
              report["cache_write_s"].get<double>(), report["cache_bytes"].get<double>() / 1e6,
              cc["open_s"].get<double>(), cc["open_to_first_answer_s"].get<double>(), cc["first_find_best_s"].get<double>(),
              cc["peak_rss_kib"].get<double>() / 1024, report["query_cache"]["get_more_info_mean_per_s"].get<double>());
  for (const char* key : {"find_best_file_double", "find_best_15625_double", "find_best_file_float",
                          "find_best_15625_float"}) {
    if (!report.contains(key)) continue;
    const auto& f = report[key];
    std::printf("%-24s %5zu archs: first %.3f ms, then %.4f ms (median of %zu), with budget %.4f ms\n", key,
                f["archs"].get<std::size_t>(), f["first_ms"].get<double>(), f["later_ms_median"].get<double>(),
                f["later_calls"].get<std::size_t>(), f["budget_ms_median"].get<double>());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nasbench_bench: %s\n", e.what());
  return 1;
}
