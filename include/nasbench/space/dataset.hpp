#pragma once
/// @file space/dataset.hpp
/// The benchmark's datasets as a type: their names in the benchmark's order,
/// class counts and image sizes, and the set-name rules of `find_best`
/// (Python's `remap_dataset_set_names`). No dependency.

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/error.hpp"

namespace nasbench {

/// One dataset of the benchmark.
struct Dataset {
  std::string_view name;  ///< "cifar10-valid", "cifar10", "cifar100" or "ImageNet16-120"
  int num_classes;        ///< 10, 10, 100, 120
  int input_size;         ///< side of the (square) images: 32, or 16 for ImageNet16-120
};

/// The four datasets, in the benchmark's order.
inline constexpr std::array<Dataset, 4> kDatasets{{{"cifar10-valid", 10, 32},
                                                   {"cifar10", 10, 32},
                                                   {"cifar100", 100, 32},
                                                   {"ImageNet16-120", 120, 16}}};

/// The four dataset names, in the benchmark's order.
inline const std::vector<std::string>& benchmark_datasets() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& d : kDatasets) v.emplace_back(d.name);
    return v;
  }();
  return names;
}

/// The dataset called `name`; QueryError naming the choices for another name.
[[nodiscard]] inline const Dataset& dataset_info(std::string_view name) {
  for (const auto& d : kDatasets)
    if (d.name == name) return d;
  throw unknown_value("dataset", name, benchmark_datasets());
}

/// Python's `remap_dataset_set_names`: the (dataset, set) that `find_best`
/// really reads for a user's (dataset, set): cifar10 "valid" is cifar10-valid's
/// "x-valid", cifar10 "test" is "ori-test", cifar100 / ImageNet16-120 "valid"
/// and "test" are "x-valid" and "x-test"; everything else is unchanged.
[[nodiscard]] inline std::pair<std::string, std::string> remap_dataset_set_names(std::string_view dataset,
                                                                                 std::string_view set) {
  if (dataset == "cifar10" && set == "valid") return {"cifar10-valid", "x-valid"};
  if (dataset == "cifar10" && set == "test") return {"cifar10", "ori-test"};
  if ((dataset == "cifar100" || dataset == "ImageNet16-120") && set == "valid") return {std::string(dataset), "x-valid"};
  if ((dataset == "cifar100" || dataset == "ImageNet16-120") && set == "test") return {std::string(dataset), "x-test"};
  return {std::string(dataset), std::string(set)};
}

}  // namespace nasbench
