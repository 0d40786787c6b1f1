#pragma once
/// @file fuzz/check_cache.hpp
/// fuzz_cache's check: bytes as a cache file (open_cache), then every
/// architecture and the queries of touch_api; success or a nasbench::Error.
/// The checksums are recomputed first (fix_checksums), or nearly every
/// mutation would stop at the first CRC comparison.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nasbench/cache/cache.hpp"
#include "support.hpp"
#include "touch_api.hpp"

namespace nasbench_fuzz {

namespace detail {
inline std::uint32_t get_u32(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}
inline std::uint64_t get_u64(const std::vector<std::uint8_t>& b, std::size_t at) {
  return get_u32(b, at) | (std::uint64_t{get_u32(b, at + 4)} << 32);
}
inline void put_u32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void put_u64(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v) {
  put_u32(b, at, static_cast<std::uint32_t>(v));
  put_u32(b, at + 4, static_cast<std::uint32_t>(v >> 32));
}
inline bool inside(std::uint64_t off, std::uint64_t n, std::size_t size) { return off <= size && n <= size - off; }
inline std::uint32_t crc(const std::vector<std::uint8_t>& b, std::uint64_t off, std::uint64_t n) {
  return nasbench::detail::cache::crc32_of(b.data() + off, static_cast<std::size_t>(n));
}
}  // namespace detail

/// The summary section's CRCs (its rows' chunks, then its table of
/// contents) recomputed where they lie in `b`.
inline void fix_summary_checksums(std::vector<std::uint8_t>& b) {
  using namespace detail;
  namespace cache = nasbench::detail::cache;
  const std::uint64_t off = get_u64(b, 72), size = get_u32(b, 80);
  if (!inside(off, size, b.size()) || size < 8) return;
  const std::uint64_t end = off + size;
  std::uint64_t at = off;
  auto skip_strings = [&](std::uint64_t count) {  // false when the table runs out
    for (std::uint64_t i = 0; i < count; ++i) {
      if (at + 4 > end) return false;
      at += 4 + std::uint64_t{get_u32(b, at)};
    }
    return at <= end;
  };
  const std::uint32_t hps = get_u32(b, at);  // the schedules' strings
  at += 4;
  if (!skip_strings(hps) || at + 4 > end) return;
  const std::uint32_t tables = get_u32(b, at);
  at += 4;
  for (std::uint32_t t = 0; t < tables; ++t) {
    if (!skip_strings(2) || at + 4 > end) return;
    const std::uint32_t keys = get_u32(b, at);
    at += 4;
    if (!skip_strings(keys) || at + 20 > end) return;
    const std::uint64_t slots = get_u32(b, at);
    at += 4;
    const std::uint64_t row = cache::row_size(std::min<std::uint64_t>(slots, cache::kMaxSlots));
    const std::uint64_t rel = get_u64(b, at), rows = get_u32(b, at + 8), chunks = get_u32(b, at + 12);
    at += 16;
    if (chunks > (end - at) / 4) return;
    for (std::uint64_t c = 0; c < chunks; ++c, at += 4) {
      const std::uint64_t first = c * cache::kRowsPerChunk;
      if (first >= rows) continue;
      const std::uint64_t n = std::min<std::uint64_t>(cache::kRowsPerChunk, rows - first) * row;
      const std::uint64_t chunk_at = rel + first * row;
      if (rel <= size && chunk_at <= size && n <= size - chunk_at) put_u32(b, at, crc(b, off + chunk_at, n));
    }
  }
  put_u32(b, 84, crc(b, off, at - off));
}

/// `bytes` with the file size and every CRC of the cache layout
/// (cache/format.hpp) recomputed where the records they cover lie in the file.
inline std::vector<std::uint8_t> fix_checksums(std::vector<std::uint8_t> b) {
  using namespace detail;
  constexpr std::size_t kHeader = nasbench::detail::cache::kHeaderSize;
  if (b.size() < kHeader || std::memcmp(b.data(), nasbench::kCacheMagic.data(), 8) != 0) return b;
  put_u64(b, 16, b.size());
  const std::uint64_t idx_off = get_u64(b, 40), idx_size = get_u32(b, 48);
  if (inside(idx_off, idx_size, b.size())) {
    for (std::uint64_t at = idx_off; at + 16 <= idx_off + idx_size; at += 16) {  // head and data records
      const std::uint64_t off = get_u64(b, at), n = get_u32(b, at + 8);
      if (off != 0 && inside(off, n, b.size())) put_u32(b, at + 12, crc(b, off, n));
    }
  }
  const std::uint64_t col_off = get_u64(b, 56), col_size = get_u32(b, 64);
  if (inside(col_off, col_size, b.size()) && col_size >= 4) {
    std::uint64_t at = col_off + 4;
    const std::uint64_t end = col_off + col_size;
    bool whole = true;
    for (std::uint32_t i = 0, count = get_u32(b, col_off); i < count && whole; ++i) {
      for (int s = 0; s < 3 && whole; ++s) {
        if (at + 4 > end) whole = false;
        else at += 4 + std::uint64_t{get_u32(b, at)};
      }
      if (!whole || at + 16 > end) {
        whole = false;
        break;
      }
      const std::uint64_t off = get_u64(b, at), n = get_u32(b, at + 8);
      if (off <= col_size && n <= col_size - off) put_u32(b, at + 12, crc(b, col_off + off, n));
      at += 16;
    }
    if (whole && at <= end) put_u32(b, 68, crc(b, col_off, at - col_off));
  }
  fix_summary_checksums(b);
  for (std::size_t rec = 24; rec < 56; rec += 16) {
    const std::uint64_t off = get_u64(b, rec), n = get_u32(b, rec + 8);
    if (inside(off, n, b.size())) put_u32(b, rec + 12, crc(b, off, n));
  }
  put_u32(b, 88, crc(b, 0, 88));
  return b;
}

/// Violation unless `data` (checksums fixed) opens as a cache and answers
/// every query, or fails, with nasbench::Error only.
inline void check_cache(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes = fix_checksums(std::vector<std::uint8_t>(data, data + size));
  MemoryFile file(bytes.data(), bytes.size());
  only_nasbench_errors("is_cache_file", [&] { (void)nasbench::is_cache_file(file.path()); });
  nasbench::BasicAPI<double> api;
  if (only_nasbench_errors("open_cache<double>", [&] { api = nasbench::open_cache<double>(file.path()); }))
    touch_api(api);
  nasbench::BasicAPI<float> single;
  if (only_nasbench_errors("open_cache<float>", [&] { single = nasbench::open_cache<float>(file.path()); }))
    touch_api(single);
}

}  // namespace nasbench_fuzz
