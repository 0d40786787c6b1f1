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
#include <string>
#include <vector>

#include "../fuzz/check_api.hpp"
#include "../fuzz/check_cache.hpp"
#include "../fuzz/check_cells.hpp"
#include "../fuzz/check_pickle.hpp"
#include "../fuzz/check_protocol.hpp"
#include "nasbench/io.hpp"
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

const nasbench::BasicAPI<double>* protocol_api() {
  static const std::string path = nasbench_test::bench_fixtures() + "/tiny.pth";
  static const auto api = [] {
    std::error_code ec;
    return std::filesystem::exists(path, ec) ? std::make_unique<nasbench::BasicAPI<double>>(nasbench::load_api<double>(path))
                                             : nullptr;
  }();
  return api.get();
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
  } else if (harness == "protocol") {
    if (!nasbench_test::require_fixture(nasbench_test::bench_fixtures() + "/tiny.pth")) return false;
    nasbench_fuzz::check_protocol(*protocol_api(), data, size);
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
