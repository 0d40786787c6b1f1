#pragma once
/// @file results/semantics.hpp
/// `Semantics`: which Python API a benchmark's answers follow. NAS-Bench-201
/// `.pth` files answer as `nas_201_api`; NATS-Bench files and directories as
/// `nats_bench` v1.8 (docs/semantics.md §7: the costs patch, Python's `sum()`
/// instead of numpy's, an int `iepoch` for one seed, ...). No dependency.

#include <cstdint>
#include <string_view>

namespace nasbench {

/// The Python API whose answers a benchmark follows.
enum class Semantics : std::uint8_t {
  kNasBench201,  ///< `nas_201_api` (NAS-Bench-201 `.pth` files)
  kNats,         ///< `nats_bench` v1.8 (NATS-Bench `.pickle.pbz2` files and directories)
};

/// "nas_201_api" or "nats_bench".
[[nodiscard]] constexpr std::string_view to_string(Semantics s) noexcept {
  return s == Semantics::kNats ? "nats_bench" : "nas_201_api";
}

}  // namespace nasbench
