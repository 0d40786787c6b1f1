#pragma once
// The search fixtures (tests/fixtures/make_search_fixtures.py: benchmarks in which every architecture
// of each space is evaluated), shared by test_search.cpp, test_bohb.cpp and the REINFORCE tests:
// each benchmark is loaded once per test binary.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "nasbench/api.hpp"
#include "support.hpp"

namespace nasbench_test {

/// The directory of the search fixtures.
inline std::string search_dir() {
  return std::filesystem::path(bench_fixtures()).parent_path().string() + "/search";
}

/// The fixture benchmark of `space` ("tss" / "sss"), loaded on first use, once for the whole binary.
inline const nasbench::NASBench201API& search_fixture_api(const std::string& space) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<nasbench::NASBench201API>> apis;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& api = apis[space];
  if (!api) {
    const nlohmann::json manifest = nlohmann::json::parse(std::ifstream(search_dir() + "/manifest.json"));
    api = std::make_unique<nasbench::NASBench201API>(
        nasbench::create(search_dir() + "/" + manifest[space].get<std::string>(), space));
  }
  return *api;
}

}  // namespace nasbench_test
