#pragma once
/// @file fuzz/check_api.hpp
/// fuzz_api's check: a pickle that the reader accepts but that need not fit
/// the benchmark schema, through api_from_value<double>; success (then every
/// query) or a nasbench::Error.

#include <cstdint>
#include <string_view>

#include "nasbench/io/load.hpp"
#include "nasbench/pickle.hpp"
#include "support.hpp"
#include "touch_api.hpp"

namespace nasbench_fuzz {

/// Violation unless `data` (a plain pickle) becomes an API, or fails, with nasbench::Error only.
inline void check_api(const std::uint8_t* data, std::size_t size) {
  nasbench::pickle::Value root;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!only_nasbench_errors("pickle::loads", [&] { root = nasbench::pickle::loads(bytes); })) return;
  nasbench::BasicAPI<double> api;
  const bool built = only_nasbench_errors("api_from_value", [&] { api = nasbench::api_from_value<double>(root, "fuzz.pickle"); });
  only_nasbench_errors("pickle::dismantle", [&] { nasbench::pickle::dismantle(std::move(root)); });
  if (built) touch_api(api);
}

}  // namespace nasbench_fuzz
