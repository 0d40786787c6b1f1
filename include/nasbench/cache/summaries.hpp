#pragma once
/// @file cache/summaries.hpp
/// The summary rows of a cache file: per schedule and dataset, one fixed-size
/// row per architecture holding the answers of the queries most scripts run
/// (get_more_info at the last epoch over the seed mean and, in its seed
/// slots, of each seed; get_cost_info; the seed count of statistics), so
/// that these are answered from the mapping
/// without reading the architecture's results. The writer stores a row's
/// answer only when decoding the row gives it back bit for bit; the layout
/// is in cache/format.hpp.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nasbench/api/types.hpp"
#include "nasbench/cache/format.hpp"
#include "nasbench/results/records.hpp"

namespace nasbench::detail::cache {

/// Bytes per summary row.
inline constexpr std::size_t kRowSize = 216;
/// Rows under one CRC (checked when one of them is first read).
inline constexpr std::size_t kRowsPerChunk = 256;
/// The most get_cost_info time keys a row holds (NAS-Bench-201 has 8 at most).
inline constexpr std::size_t kMaxRowTimes = 8;
/// Row flags: the architecture has the schedule, a run of the dataset, a
/// stored get_more_info, a stored get_cost_info, a latency in it, a stored
/// get_more_info of each seed (its seed slots).
inline constexpr std::uint8_t kRowSchedule = 1, kRowDataset = 2, kRowMoreInfo = 4, kRowCostInfo = 8,
                              kRowLatency = 16, kRowSeedInfo = 32;
/// Bytes per seed slot (get_more_info of one seed), after a row's first kRowSize bytes.
inline constexpr std::size_t kSlotSize = 128;
/// The most seed slots a row has (the real files have at most 3 seeds).
inline constexpr std::size_t kMaxSlots = 16;
/// The bytes of a row of a table with `slots` seed slots.
inline constexpr std::size_t row_size(std::size_t slots) { return kRowSize + slots * kSlotSize; }

namespace row {
// Byte offsets inside a row (cache/format.hpp); a seed slot puts its flag (1: stored) at kFlags,
// its seed (i32) at kSeeds and its get_more_info where a row puts the seed mean's.
inline constexpr std::size_t kFlags = 0, kSets = 1, kFields = 2, kSeeds = 4, kTimeCount = 8, kTimePresent = 9,
                             kTimeKeys = 10, kTotal = 24, kSetValues = 32, kFlops = 128, kParams = 136,
                             kLatency = 144, kTimeValues = 152;
}  // namespace row

inline void put_u16(unsigned char* p, std::uint16_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
}
inline std::uint16_t get_u16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline void put_f64(unsigned char* p, double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, 8);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(b >> (8 * i));
}

/// The sets of get_more_info in row order: train, valid, test, valtest.
inline const std::optional<SetSummary>* row_set(const MoreInfo& m, int k, std::optional<SetSummary>& train) {
  if (k == 0) {
    train = m.train;
    return &train;
  }
  return k == 1 ? &m.valid : k == 2 ? &m.test : &m.valtest;
}

/// Writes get_more_info's answer (`total`: the epochs its per-epoch times
/// divide by, the train iepoch mean + 1) into a row.
inline void encode_more_info(unsigned char* r, const MoreInfo& m, double total) {
  std::uint8_t sets = 0;
  std::uint16_t fields = 0;
  std::optional<SetSummary> train;
  for (int k = 0; k < 4; ++k) {
    const std::optional<SetSummary>& s = *row_set(m, k, train);
    if (!s) continue;
    sets = static_cast<std::uint8_t>(sets | (1u << k));
    const std::optional<double> values[3] = {s->loss, s->accuracy, s->all_time};
    for (int f = 0; f < 3; ++f)
      if (values[f]) {
        fields = static_cast<std::uint16_t>(fields | (1u << (3 * k + f)));
        put_f64(r + row::kSetValues + 8 * static_cast<std::size_t>(3 * k + f), *values[f]);
      }
  }
  r[row::kSets] = sets;
  put_u16(r + row::kFields, fields);
  put_f64(r + row::kTotal, total);
}

/// get_more_info's answer from a row (without nats_bench's comment).
inline MoreInfo decode_more_info(const unsigned char* r) {
  const std::uint8_t sets = r[row::kSets];
  const std::uint16_t fields = get_u16(r + row::kFields);
  const double total = load_le_f64(r + row::kTotal);
  MoreInfo m;
  for (int k = 0; k < 4; ++k) {
    if (!(sets & (1u << k))) continue;
    SetSummary s;
    std::optional<double>* out[3] = {&s.loss, &s.accuracy, &s.all_time};
    for (int f = 0; f < 3; ++f)
      if (fields & (1u << (3 * k + f))) *out[f] = load_le_f64(r + row::kSetValues + 8 * static_cast<std::size_t>(3 * k + f));
    if (s.all_time) s.per_time = *s.all_time / total;  // as get_more_info divides
    if (k == 0) m.train = s;
    else (k == 1 ? m.valid : k == 2 ? m.test : m.valtest) = s;
  }
  return m;
}

/// Writes get_cost_info's answer into a row; the time keys become indexes
/// into `keys` (the table's, grown as needed). False when it does not fit.
inline bool encode_cost_info(unsigned char* r, const CostInfo& c, std::vector<std::string>& keys) {
  if (c.times.items.size() > kMaxRowTimes) return false;
  put_f64(r + row::kFlops, c.flops);
  put_f64(r + row::kParams, c.params);
  if (c.latency) {
    r[row::kFlags] = static_cast<std::uint8_t>(r[row::kFlags] | kRowLatency);
    put_f64(r + row::kLatency, *c.latency);
  }
  std::uint8_t present = 0;
  for (std::size_t i = 0; i < c.times.items.size(); ++i) {
    const NamedTime& t = c.times.items[i];
    std::size_t k = 0;
    while (k < keys.size() && keys[k] != t.key) ++k;
    if (k == keys.size()) {
      if (keys.size() == 255) return false;
      keys.push_back(t.key);
    }
    r[row::kTimeKeys + i] = static_cast<unsigned char>(k);
    if (t.value) {
      present = static_cast<std::uint8_t>(present | (1u << i));
      put_f64(r + row::kTimeValues + 8 * i, *t.value);
    }
  }
  r[row::kTimeCount] = static_cast<std::uint8_t>(c.times.items.size());
  r[row::kTimePresent] = present;
  return true;
}

/// get_cost_info's answer from a row whose time count and key indexes were checked (check_row).
template <typename Key>
CostInfo decode_cost_info(const unsigned char* r, const std::vector<Key>& keys) {
  CostInfo c;
  c.flops = load_le_f64(r + row::kFlops);
  c.params = load_le_f64(r + row::kParams);
  if (r[row::kFlags] & kRowLatency) c.latency = load_le_f64(r + row::kLatency);
  const std::size_t n = r[row::kTimeCount];
  const std::uint8_t present = r[row::kTimePresent];
  c.times.items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    NamedTime t;
    t.key = std::string(keys[r[row::kTimeKeys + i]]);
    if (present & (1u << i)) t.value = load_le_f64(r + row::kTimeValues + 8 * i);
    c.times.items.push_back(std::move(t));
  }
  return c;
}

/// What is wrong with the get_more_info at `r` (a row's or a seed slot's), or nullptr.
inline const char* check_more_info(const unsigned char* r, bool stored) {
  if (stored && !(r[row::kSets] & 1)) return "a stored get_more_info without its train set";
  if (r[row::kSets] > 15 || get_u16(r + row::kFields) >= (1u << 12)) return "bad set flags";
  return nullptr;
}

/// The seed slot `k` of a row.
inline const unsigned char* seed_slot(const unsigned char* r, std::size_t k) { return r + kRowSize + k * kSlotSize; }

/// What is wrong with a row read from a file (flags, counts and key indexes
/// that no writer makes) of a table of `keys` time keys and `slots` seed slots, or nullptr.
inline const char* check_row(const unsigned char* r, std::size_t keys, std::size_t slots) {
  const std::uint8_t flags = r[row::kFlags];
  if (flags & ~(kRowSchedule | kRowDataset | kRowMoreInfo | kRowCostInfo | kRowLatency | kRowSeedInfo))
    return "bad flags";
  if ((flags & (kRowDataset | kRowMoreInfo | kRowCostInfo | kRowSeedInfo)) && !(flags & kRowSchedule))
    return "answers of a schedule the architecture lacks";
  if (const char* what = check_more_info(r, (flags & kRowMoreInfo) != 0)) return what;
  const std::uint32_t seeds = get_u32(r + row::kSeeds);
  if (seeds > 0x7fffffffu) return "bad seed count";
  if (flags & kRowSeedInfo) {
    if (!(flags & kRowDataset) || seeds == 0 || seeds > slots) return "seed slots for a seed count they do not hold";
    for (std::size_t k = 0; k < seeds; ++k) {
      const unsigned char* slot = seed_slot(r, k);
      if (slot[row::kFlags] != 1) return "a seed slot without its answer";
      if (const char* what = check_more_info(slot, true)) return what;
    }
  }
  const std::size_t n = r[row::kTimeCount];
  if (n > kMaxRowTimes) return "more time keys than a row holds";
  for (std::size_t i = 0; i < n; ++i)
    if (r[row::kTimeKeys + i] >= keys) return "a time key index outside its table's keys";
  return nullptr;
}

/// Whether two optional doubles are the same bits (NaN included).
inline bool same_bits(const std::optional<double>& a, const std::optional<double>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::memcmp(&*a, &*b, sizeof(double)) == 0;
}
inline bool same_bits(const std::optional<SetSummary>& a, const std::optional<SetSummary>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (same_bits(a->loss, b->loss) && same_bits(a->accuracy, b->accuracy) &&
                same_bits(a->per_time, b->per_time) && same_bits(a->all_time, b->all_time));
}
/// Whether two answers of get_more_info are the same, bit for bit (the comment aside).
inline bool same_bits(const MoreInfo& a, const MoreInfo& b) {
  return same_bits(std::optional<SetSummary>(a.train), std::optional<SetSummary>(b.train)) &&
         same_bits(a.valid, b.valid) && same_bits(a.test, b.test) && same_bits(a.valtest, b.valtest);
}
/// Whether two answers of get_cost_info are the same, bit for bit.
inline bool same_bits(const CostInfo& a, const CostInfo& b) {
  if (!same_bits(a.flops, b.flops) || !same_bits(a.params, b.params) || !same_bits(a.latency, b.latency) ||
      a.times.items.size() != b.times.items.size())
    return false;
  for (std::size_t i = 0; i < a.times.items.size(); ++i)
    if (a.times.items[i].key != b.times.items[i].key || !same_bits(a.times.items[i].value, b.times.items[i].value))
      return false;
  return true;
}

}  // namespace nasbench::detail::cache
