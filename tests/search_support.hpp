#pragma once
// The search fixtures (tests/fixtures/make_search_fixtures.py: benchmarks in which every architecture
// of each space is evaluated), shared by test_search.cpp, test_bohb.cpp and the REINFORCE tests:
// each benchmark is loaded once per test binary.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "nasbench/api.hpp"
#include "nasbench/cache/write.hpp"
#include "support.hpp"

namespace nasbench_test {

/// The directory of the search fixtures.
inline std::string search_dir() {
  return std::filesystem::path(bench_fixtures()).parent_path().string() + "/search";
}

/// The fixture benchmark of `space` ("tss" / "sss"), opened on first use, once for the whole binary,
/// from its cache `<space>.cache` beside the benchmark file: loading the .pickle.pbz2 takes a test
/// process seconds (7 s Release, 20 s under ASan, mostly bz2 and pickle), opening the cache
/// milliseconds, and the cache answers exactly as the file it comes from (test_cache.cpp). The first
/// test process that finds no cache, one older than the file or one it cannot open (an older cache
/// format) writes it: under its own name, renamed into place, so processes running beside it never
/// read half a file. (Written by the tests, not the build: make ran a build step for it last, after
/// every compile, and the build waited for it.)
inline const nasbench::NASBench201API& search_fixture_api(const std::string& space) {
  namespace fs = std::filesystem;
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<nasbench::NASBench201API>> apis;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& api = apis[space];
  if (!api) {
    const nlohmann::json manifest = nlohmann::json::parse(std::ifstream(search_dir() + "/manifest.json"));
    const std::string source = search_dir() + "/" + manifest[space].get<std::string>();
    const std::string cache = search_dir() + "/" + space + ".cache";
    const auto write = [&] {
      const std::string mine = cache + "." + std::to_string(::getpid());
      nasbench::write_cache(nasbench::create(source, space), mine);
      fs::rename(mine, cache);
    };
    std::error_code ec;
    if (!fs::exists(cache, ec) || fs::last_write_time(cache, ec) < fs::last_write_time(source)) write();
    try {
      api = std::make_unique<nasbench::NASBench201API>(nasbench::create(cache, space));
    } catch (const nasbench::LoadError&) {  // written by an older cache format: write it again
      write();
      api = std::make_unique<nasbench::NASBench201API>(nasbench::create(cache, space));
    }
  }
  return *api;
}

}  // namespace nasbench_test
