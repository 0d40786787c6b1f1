#pragma once
// REINFORCE's fixture (tests/fixtures/make_reinforce_fixtures.py): the benchmarks of the search
// fixtures and the reference runs, shared by test_reinforce.cpp (torch-free) and
// test_nn_reinforce.cpp (LibTorch).
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nasbench/api.hpp"
#include "nasbench/search/reinforce.hpp"
#include "search_support.hpp"
#include "support.hpp"

namespace nasbench_test::reinforce {

using nlohmann::json;

using nasbench_test::search_dir;
inline std::string traces_path() { return search_dir() + "/reinforce_traces.jsonl"; }

#ifndef NASBENCH_REINFORCE_FIXTURES
#define NASBENCH_REINFORCE_FIXTURES 1
#endif
/// Whether the reference runs are there. The build writes them only when NASBENCH_PYTHON has torch; when it
/// has none the test skips, under CI too; otherwise a missing file is require_fixture's business.
inline bool require_traces() {
  if (!NASBENCH_REINFORCE_FIXTURES) {
    WARN("SKIPPED: no REINFORCE reference runs (NASBENCH_PYTHON has no torch)");
    return false;
  }
  return nasbench_test::require_fixture(traces_path());
}

/// The fixture benchmark of `space` ("tss" / "sss"), loaded once per binary.
inline const nasbench::NASBench201API& fixture_api(const std::string& space) {
  return nasbench_test::search_fixture_api(space);
}

/// The rows of reinforce_traces.jsonl.
inline std::vector<json> rows() {
  std::vector<json> out;
  std::ifstream in(traces_path());
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

inline nasbench::search::Task task_of(const json& row) {
  return {row["dataset"].get<std::string>(), row["time_budget"].get<double>(), row["hp"].get<std::string>()};
}
inline nasbench::search::ReinforceOptions options_of(const json& row) {
  return {row["learning_rate"].get<double>(), row["ema_momentum"].get<double>()};
}

/// Whether `t` is the row's trace exactly (indexes, accuracies, times, current_best_index); where not, the first
/// difference in `where`.
inline bool same_trace(const json& row, const nasbench::search::Trace& t, std::string& where) {
  const json& h = row["history"];
  const json& best = row["current_best_index"];
  for (std::size_t i = 0; i < std::max(h.size(), t.history.size()); ++i) {
    if (i >= h.size() || i >= t.history.size()) {
      where = "length: expected " + std::to_string(h.size()) + " evaluations, got " + std::to_string(t.history.size());
      return false;
    }
    const auto& e = t.history[i];
    if (h[i][0].get<int>() != e.index || h[i][1].get<double>() != e.valid_accuracy ||
        h[i][2].get<double>() != e.total_time || best[i].get<int>() != t.current_best_index[i]) {
      where = "evaluation " + std::to_string(i) + ": expected " + h[i].dump() + " best " + best[i].dump() + ", got [" +
              std::to_string(e.index) + ", " + std::to_string(e.valid_accuracy) + ", " +
              std::to_string(e.total_time) + "] best " + std::to_string(t.current_best_index[i]);
      return false;
    }
  }
  return true;
}

}  // namespace nasbench_test::reinforce
