#pragma once
/// @file space/search_space.hpp
/// `SearchSpace`: NATS-Bench's two search spaces, the topology space (tss:
/// the 15,625 cells of NAS-Bench-201) and the size space (sss: 32,768 channel
/// configurations), with the names `nats_bench.create` accepts.

#include <cstddef>
#include <string_view>

#include "nasbench/error.hpp"

namespace nasbench {

/// A NATS-Bench search space.
enum class SearchSpace : unsigned char {
  kTopology,  ///< tss: cells (`|nor_conv_3x3~0|+...`), hps "12" and "200"
  kSize,      ///< sss: channels strings (`8:16:24:32:40`), hps "01", "12" and "90"
};

/// `search_space_name`: "topology" or "size".
[[nodiscard]] constexpr std::string_view to_string(SearchSpace s) noexcept {
  return s == SearchSpace::kSize ? "size" : "topology";
}

/// The space named `name` as `nats_bench.create` takes it: "tss" or
/// "topology", "sss" or "size". QueryError naming the choices otherwise.
[[nodiscard]] inline SearchSpace parse_search_space(std::string_view name) {
  if (name == "tss" || name == "topology") return SearchSpace::kTopology;
  if (name == "sss" || name == "size") return SearchSpace::kSize;
  throw unknown_value("search space", name, {"tss", "topology", "sss", "size"});
}

/// `full_train_epochs` / `full_epochs_in_paper`: 200 (topology) or 90 (size).
[[nodiscard]] constexpr int full_train_epochs(SearchSpace s) noexcept { return s == SearchSpace::kSize ? 90 : 200; }

/// The number of architectures of the space: 15,625 or 32,768.
[[nodiscard]] constexpr std::size_t search_space_size(SearchSpace s) noexcept {
  return s == SearchSpace::kSize ? 32768 : 15625;
}

}  // namespace nasbench
