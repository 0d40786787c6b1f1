#pragma once
/// @file fuzz/check_pickle.hpp
/// fuzz_pickle's check: any bytes through pickle::open (every container
/// detection: plain, bz2, legacy and zip torch.save) either decode or throw a
/// nasbench::Error; the decoded value can be printed and every storage read.

#include <cstdint>
#include <string>

#include "nasbench/pickle.hpp"
#include "support.hpp"

namespace nasbench_fuzz {

/// Storages larger than this are not read (a short input can declare a huge one).
inline constexpr std::uint64_t kMaxStorageRead = std::uint64_t{1} << 24;

/// Violation unless `data` opens as a pickle::Document or fails with a nasbench::Error.
inline void check_pickle(const std::uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  nasbench::pickle::Document doc;
  if (!only_nasbench_errors("pickle::open", [&] { doc = nasbench::pickle::open(file.path()); })) return;
  only_nasbench_errors("Value::repr", [&] { (void)doc.root.repr(); });
  for (const auto& s : doc.storages) {
    if (s.nbytes > kMaxStorageRead) continue;
    only_nasbench_errors("read_storage_bytes", [&] { (void)nasbench::pickle::read_storage_bytes(s); });
  }
  only_nasbench_errors("pickle::dismantle", [&] { nasbench::pickle::dismantle(std::move(doc.root)); });
}

}  // namespace nasbench_fuzz
