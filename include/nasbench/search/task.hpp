#pragma once
/// @file search/task.hpp
/// What a NAS run searches for (`Task`: dataset, simulated-time budget, proxy schedule) and the
/// NATS-Bench paper's budgets. Torch-free.

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "nasbench/error.hpp"
#include "nasbench/space/search_space.hpp"

namespace nasbench::search {

class TrialTable;  // search/trace.hpp

/// What a run searches for: the dataset of simulate_train_eval (cifar10,
/// cifar100 or ImageNet16-120), the simulated-time budget in seconds, the
/// schedule of the proxy trials (the reference's hp "12").
struct Task {
  std::string dataset = "cifar10";
  double time_budget = 20000;
  std::string hp = "12";
  /// Optional: the trials already simulated on one API for this dataset and hp, shared by the runs
  /// that run_many() starts (it makes one); used only with the API it was made for. A run gives the
  /// same trace with or without it.
  std::shared_ptr<TrialTable> trials;
};

/// The datasets simulate_train_eval takes, as the scripts' --dataset choices.
inline constexpr std::array<std::string_view, 3> kSearchDatasets = {"cifar10", "cifar100", "ImageNet16-120"};

/// The budgets of the NATS-Bench paper's runs: 20000 / 40000 / 120000 s (topology) and
/// 20000 / 40000 / 60000 s (size) on cifar10 / cifar100 / ImageNet16-120.
[[nodiscard]] inline double default_time_budget(SearchSpace space, std::string_view dataset) {
  if (dataset == "cifar10") return 20000;
  if (dataset == "cifar100") return 40000;
  if (dataset == "ImageNet16-120") return space == SearchSpace::kTopology ? 120000 : 60000;
  throw unknown_value("dataset", dataset, kSearchDatasets, " for a search");
}

}  // namespace nasbench::search
