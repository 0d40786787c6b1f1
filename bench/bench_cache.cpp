// `nasbench_bench_cache CACHE [--scan-only]`: what a cache file costs to
// use, as one JSON line (bench/bench_cache.sh runs it on caches of two
// format versions and sets the numbers side by side):
// - open_ms: open_cache to a usable API; first_answer_ms: open plus one
//   get_more_info(first evaluated, "cifar10-valid", None, "200", mean); first_find_best_ms:
//   the first find_best("cifar10", "ori-test", hp "200") after that;
// - scan_s: get_cost_info + get_more_info (cifar10-valid, hp "200", seed mean)
//   for every evaluated architecture, through the C++ API (no JSON), from a fresh open;
//   rss_anon_kib / rss_kib after it (RssAnon: the private memory; VmRSS
//   counts the shared page cache too), hwm_kib the peak;
// - more_info_per_s: get_more_info(hp "200", seed mean) on random
//   architectures and datasets after the scan, one thread.
// --scan-only: the scan and the memory alone (the eight-process measurement).
// Uses only the public API, so that it builds against older nasbench too.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "nasbench/api.hpp"

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(f, line))
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') return std::stol(line.substr(n + 1));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CACHE [--scan-only]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const bool scan_only = argc > 2 && std::string(argv[2]) == "--scan-only";
  try {
    double open_ms = 0, first_ms = 0, best_ms = 0;
    if (!scan_only) {
      const double t0 = now();
      const auto api = nasbench::NASBench201API::load(path);
      const double t1 = now();
      (void)api.get_more_info(api.evaluated_indexes().front(), "cifar10-valid", std::nullopt, "200", nasbench::SeedChoice::mean());
      const double t2 = now();
      (void)api.find_best("cifar10", "ori-test", std::nullopt, std::nullopt, "200");
      const double t3 = now();
      open_ms = 1e3 * (t1 - t0);
      first_ms = 1e3 * (t2 - t0);
      best_ms = 1e3 * (t3 - t2);
    }
    const double s0 = now();
    const auto api = nasbench::NASBench201API::load(path);
    double check = 0;  // the answers are used, so that nothing is optimised away
    const std::vector<int> evaluated = api.evaluated_indexes();
    for (int i : evaluated) {
      const auto c = api.get_cost_info(i, "cifar10-valid", "200");
      const auto m = api.get_more_info(i, "cifar10-valid", std::nullopt, "200", nasbench::SeedChoice::mean());
      check += c.flops + (m.test ? m.test->accuracy.value_or(0) : 0);
    }
    const double scan_s = now() - s0;
    const long rss_anon = status_kib("RssAnon"), rss = status_kib("VmRSS"), hwm = status_kib("VmHWM");
    double per_s = 0;
    if (!scan_only) {
      std::mt19937_64 gen(1);
      const char* datasets[] = {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"};
      std::vector<std::pair<int, int>> picks(1 << 20);
      for (auto& p : picks)
        p = {evaluated[gen() % evaluated.size()], static_cast<int>(gen() % 4)};
      const double c0 = now();
      for (const auto& [i, d] : picks) {
        const auto m = api.get_more_info(i, datasets[d], std::nullopt, "200", nasbench::SeedChoice::mean());
        check += m.train.loss.value_or(0);
      }
      per_s = static_cast<double>(picks.size()) / (now() - c0);
    }
    std::printf(
        "{\"cache\": \"%s\", \"open_ms\": %.3f, \"first_answer_ms\": %.3f, \"first_find_best_ms\": %.4f, "
        "\"scan_s\": %.4f, \"rss_anon_kib\": %ld, \"rss_kib\": %ld, \"hwm_kib\": %ld, \"more_info_per_s\": %.0f, "
        "\"check\": %.17g}\n",
        path.c_str(), open_ms, first_ms, best_ms, scan_s, rss_anon, rss, hwm, per_s, check);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
