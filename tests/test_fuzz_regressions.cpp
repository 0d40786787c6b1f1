// Every input the fuzz harnesses (fuzz/) have found, replayed through the
// harness's own check: tests/data/fuzz-regressions/HARNESS-WHAT.EXT, where
// HARNESS (pickle, api, cache, cells, protocol) picks fuzz/check_HARNESS.hpp.
// The leaks among them (fuzz/findings/README.md) fail the sanitizer suite,
// where LeakSanitizer sees them; test_limits.cpp checks that fix directly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "../fuzz/check_api.hpp"
#include "../fuzz/check_cache.hpp"
#include "../fuzz/check_cells.hpp"
#include "../fuzz/check_pickle.hpp"
#include "../fuzz/check_protocol.hpp"
#include "nasbench/io.hpp"
#include "nasbench/io/nats.hpp"
#include "support.hpp"


#ifndef NASBENCH_FUZZ_REGRESSIONS_DEFAULT
#define NASBENCH_FUZZ_REGRESSIONS_DEFAULT ""
#endif

namespace {

std::string regressions_dir() {
  return nasbench_test::env_or("NASBENCH_FUZZ_REGRESSIONS", NASBENCH_FUZZ_REGRESSIONS_DEFAULT);
}

std::vector<std::filesystem::path> findings() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(regressions_dir()))
    if (e.is_regular_file())
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// fuzz_protocol's benchmarks (check_protocol.hpp: kProtocolTargetFiles), under
// the directory that holds the tests' bench/ and nats/ fixtures; mutable, as
// in the harness. Null when the fixture is missing.
std::string protocol_fixture(int target) {
  return nasbench_test::bench_fixtures() + "/../" + nasbench_fuzz::kProtocolTargetFiles[target].path;
}
nasbench::BasicAPI<double>* protocol_api(int target) {
  static std::unique_ptr<nasbench::BasicAPI<double>> apis[nasbench_fuzz::kProtocolTargets];
  if (!apis[target]) {
    const nasbench_fuzz::ProtocolTarget& t = nasbench_fuzz::kProtocolTargetFiles[target];
    const std::string path = protocol_fixture(target);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return nullptr;
    apis[target] = std::make_unique<nasbench::BasicAPI<double>>(
        t.space ? nasbench::create<double>(path, t.space, t.fast) : nasbench::load_api<double>(path));
  }
  return apis[target].get();
}

// Runs the check that the file's name prefix names; false when it cannot run (no fixture).
bool replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = file.filename().string();
  const std::string harness = name.substr(0, name.find('-'));
  const std::uint8_t* data = bytes.data();
  const std::size_t size = bytes.size();
  if (harness == "pickle") {
    nasbench_fuzz::check_pickle(data, size);
  } else if (harness == "api") {
    nasbench_fuzz::check_api(data, size);
  } else if (harness == "cache") {
    nasbench_fuzz::check_cache(data, size);
  } else if (harness == "cells") {
    nasbench_fuzz::check_cells(data, size);
  } else if (harness == "weights") {
    return true;  // needs LibTorch: replayed by test_nn.cpp
  } else if (harness == "protocol") {  // the first byte may pick the benchmark, as in fuzz/fuzz_protocol.cpp
    const int target = nasbench_fuzz::protocol_target(data, size);
    if (!nasbench_test::require_fixture(protocol_fixture(target))) return false;
    const std::size_t skip = target == 0 ? 0 : 1;
    nasbench_fuzz::check_protocol(*protocol_api(target), data + skip, size - skip);
  } else {
    FAIL("unknown harness prefix \"" << harness << "\" in " << name);
  }
  return true;
}

}  // namespace

TEST_CASE("fuzz findings replay through their harness's check", "[fuzz]") {
  if (!nasbench_test::require_fixture(regressions_dir())) return;
  const auto files = findings();
  CHECK(files.size() >= 2);
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    CHECK_NOTHROW(replay(file));
  }
}
