#pragma once
/// @file cache/format.hpp
/// The byte layout of nasbench's cache files, and its bounds-checked encoder
/// and decoder (BlockWriter, BlockReader).
///
/// Layout (format version 3; every integer little-endian, every float an IEEE
/// binary64, a string is a u32 length + its UTF-8 bytes, a CRC is zlib's
/// crc32). It is made to be read in place: the per-epoch values are never
/// decoded into the heap, and the queries most scripts run (the last epoch,
/// get_more_info at the last epoch, get_cost_info, statistics, find_best)
/// read only fixed-size summary rows and columns.
///
/// - header, 96 bytes: [0,8) magic "NB201CAC"; [8,12) u32 format version;
///   [12,16) u32 header size (96); [16,24) u64 file size; then four section
///   records (meta, index, columns, summaries), each u64 offset, u32 size,
///   u32 crc ([24,88)); [88,92) u32 crc of bytes [0,88); [92,96) zero.
/// - then, one after the other (every byte of the file lies in a block or
///   section under a checksum): the data blocks of every architecture, their
///   head blocks, the meta section, the index, the columns and the summaries.
/// - meta: library version string, file name, class name, u8 bytes per value
///   of the tables written (8: double, 4: float; float tables do not reuse the
///   find_best columns of double ones), u32 count + every architecture string
///   (meta_archs), u32 count + i32 evaluated indexes, u32 count + the other
///   strings of the head blocks. Together they are the string table: a head
///   block names every string by its u32 id, 0..n-1 the architecture strings,
///   n.. the others in order (each stored once; read in place).
/// - index: per architecture 32 bytes, two records `u64 offset, u32 size,
///   u32 crc32`: its head block, then its data block (offset 0: no results).
/// - a head block (read and checked when the architecture is first used):
///   u32 number of schedules, then per schedule the hp (a string id), u32
///   length of its records, u32 offset of its values in the data block (so
///   that one schedule is read without the others) and its records, the
///   ArchResults: i32 arch_index, arch_str, u8 clear_net_done, u32 runs, each
///   run (ResultsCount: dataset, i32 seed, i32 epochs, f64 params, f64 flop,
///   latency (u8 0: None, 1: u32 n + f64 x n, 2: one f64), arch_config (name, i32 channel,
///   i32 num_cells, arch_str, channels, genotype, i32 class_num), series
///   train_acc1es, train_acc5es, train_losses, u8 + series train_times, u32 +
///   eval names, u32 + (set name, series acc1es, losses, times) per eval set,
///   u8 eval_times_usable, then its time sums (train, then one per eval name):
///   u8 flags (1: a numpy sum, 2: a Python sum, 4: of `epochs` values, 8:
///   the Python sum is the series' stored running total), u32 values summed
///   (unless flag 4), then per sum present (flag 8: no Python sum) the sum of
///   the values and the sum of the values rounded to float (what float tables
///   report)), then u32 datasets, each a name, u32 + i32 seeds
///   (dataset_seed). Every string is a u32 id.
/// - a series in a head block: u8 flags (1: presence bytes, 2: the last
///   epoch has a value, 4: a running total is stored, 8: the extent is the
///   run's epochs, 16: constant: every epoch has a value, all the same bits,
///   stored once, 32: last only: only the last epoch has a value, the head's,
///   and the data block holds nothing of it; 16 and 32 exclude 1 and each
///   other, need an extent of 2 or more, and 32 needs 2), u32 extent (unless
///   flag 8), then per flag f64 last value, f64 running total of the last
///   epoch and the same total over the values rounded to float. Its values
///   are the next ones of the architecture's data block, in the order the
///   head lists the series. (The real files' time series are constant: one
///   value per epoch time, repeated; the sets measured at the last epoch
///   alone are last-only.)
/// - a data block (checked on the first read of an epoch other than the
///   last: most queries never read it): per series, starting at the next
///   8-byte aligned offset, f64 x extent (flag 16: one f64; flag 32: none),
///   then (flag 1) a presence byte per epoch; zeros to a multiple of 8 bytes
///   (so that the next block starts aligned).
/// - columns (find_best, computed when the cache is written): a table of
///   contents (u32 count, then per column the hp, dataset and set strings, the
///   u64 offset relative to the section, u32 size and u32 crc of its body; the
///   section record's crc covers this table only), then the bodies: u32 n
///   (the rows: the evaluated architectures, ascending), u32 costs_from, u32
///   accuracy_from, then, when costs_from is 0xffffffff, f64 x n flops, f64 x
///   n params and the cost errors, and when accuracy_from is, f64 x n
///   accuracies and the metric errors; errors are u32 count + (u32 row, u32
///   message string id) by ascending row. Otherwise costs_from (accuracy_from)
///   is the position in the table of contents of an earlier column of the
///   same hp and dataset whose body holds those values (`valid` is `x-valid`,
///   and every set of a dataset has the same costs).
/// - summaries (cache/summaries.hpp; computed when the cache is written): a
///   table of contents (what the section record's crc covers): u32 count +
///   the schedules of the evaluated architectures in first-seen order
///   (strings); u32 count, then per (hp, dataset) table its hp and dataset
///   strings, u32 count + its time keys (strings), u32 seed slots S per row
///   (at most 16), u64 offset of its rows relative to the section, u32 rows
///   (one per architecture), u32 chunks + a u32 crc per chunk of 256 rows
///   (the last may be shorter; checked on the first read of one of its
///   rows). Then the rows, 216 + 128 S bytes each, by architecture index:
///   [0] u8 flags (1: the architecture has the schedule, 2: a run of the
///   dataset, 4: get_more_info stored, 8: get_cost_info stored, 16: a
///   latency, 32: the seed slots hold get_more_info of each seed of the
///   dataset, in dataset_seed order); [1] u8 sets of get_more_info (bit k: train,
///   valid, test, valtest); [2,4) u16 fields (bit 3k+f: loss, accuracy,
///   all_time of set k); [4,8) u32 seed count of the dataset; [8] u8 time
///   keys of get_cost_info (at most 8); [9] u8 which have a value; [10,18)
///   their indexes into the table's keys; [24,32) f64 the epochs per-epoch
///   times divide by; [32,128) f64 x 12 the set fields; [128,152) f64 flops,
///   params, latency; [152,216) f64 x 8 the time values; zeros elsewhere.
///   Then S seed slots of 128 bytes: [0] u8 1, [4,8) i32 the seed, and
///   get_more_info of that seed at the offsets of the row's ([1], [2,4),
///   [24,128)). get_more_info's per-epoch times are all_time divided by
///   [24,32). A writer stores an answer only when the row gives it back bit
///   for bit (the seed slots: all of them, or none).
///
/// Every offset and length read from the file is bounds-checked before use;
/// any mismatch, version or bound violation is a LoadError naming the file
/// and the byte offset. `verify_cache()` (`nasbench verify`) checks every
/// block at once. Trained weights are not stored (write_cache refuses runs
/// that hold them). Files of format versions 1 and 2 (earlier nasbench) are
/// refused with a LoadError that says to convert again.

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


#include "nasbench/error.hpp"
#include "nasbench/results/series.hpp"

namespace nasbench {

/// The cache format this nasbench writes and reads.
inline constexpr std::uint32_t kCacheFormatVersion = 3;
/// The first 8 bytes of a cache file.
inline constexpr std::string_view kCacheMagic{"NB201CAC", 8};

namespace detail::cache {

inline constexpr std::size_t kHeaderSize = 96;
/// A find_best column's `costs_from` / `accuracy_from` when its body holds the values itself.
inline constexpr std::uint32_t kColumnInline = 0xffffffffu;

inline std::uint32_t crc32_of(const unsigned char* data, std::size_t n) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (n > 0) {  // zlib takes uInt lengths
    const uInt chunk = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = ::crc32(crc, data, chunk);
    data += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

/// Where a section or an architecture block lies, and its CRC.
struct Section {
  std::uint64_t offset = 0;
  std::uint32_t size = 0, crc = 0;
};

/// Little-endian encoder into a byte vector.
class BlockWriter {
 public:
  std::vector<unsigned char> bytes;

  void u8(std::uint8_t v) { bytes.push_back(v); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  void i32(int v) { u32(static_cast<std::uint32_t>(v)); }
  void f64(double v) {
    std::uint64_t b;
    std::memcpy(&b, &v, 8);
    u64(b);
  }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void count(std::size_t n) { u32(static_cast<std::uint32_t>(n)); }
  /// A section record or index entry: u64 offset, u32 size, u32 crc.
  void section(const Section& s) {
    u64(s.offset);
    u32(s.size);
    u32(s.crc);
  }
  /// Zero bytes up to a multiple of `n` (data blocks keep their values 8-byte aligned).
  void align(std::size_t n) {
    while (bytes.size() % n != 0) bytes.push_back(0);
  }
  /// Overwrites 4 bytes at `at` (a u32 written earlier).
  void patch_u32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes[at + static_cast<std::size_t>(i)] = static_cast<unsigned char>(v >> (8 * i));
  }
};

/// Bounds-checked little-endian decoder over [begin, end) of a mapped file;
/// errors name the file and the absolute byte offset.
class BlockReader {
 public:
  BlockReader(const unsigned char* base, std::uint64_t begin, std::uint64_t end, const std::string* file)
      : base_(base), pos_(begin), end_(end), file_(file) {}

  [[nodiscard]] std::uint64_t offset() const noexcept { return pos_; }
  [[noreturn]] void fail(const std::string& what) const { fail_at(what, pos_); }
  [[noreturn]] void fail_at(const std::string& what, std::uint64_t at) const {
    throw LoadError("cache file \"" + *file_ + "\": " + scope_ + what, at);
  }
  /// A prefix of the messages of fail() (such as "arch_config "), or "".
  void set_scope(const char* scope) noexcept { scope_ = scope; }
  const unsigned char* take(std::uint64_t n, const char* what) {
    if (n > end_ - pos_) fail(std::string("truncated ") + what);
    const unsigned char* p = base_ + pos_;
    pos_ += n;
    return p;
  }
  std::uint8_t u8(const char* what) { return *take(1, what); }
  std::uint32_t u32(const char* what) {
    const unsigned char* p = take(4, what);
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  std::uint64_t u64(const char* what) {
    const unsigned char* p = take(8, what);
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  int i32(const char* what) { return static_cast<int>(u32(what)); }
  double f64(const char* what) {
    const std::uint64_t b = u64(what);
    double v;
    std::memcpy(&v, &b, 8);
    return v;
  }
  std::string str(const char* what) {
    const std::uint32_t n = u32(what);
    const unsigned char* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  /// A string's bytes in place (valid while the mapping lives).
  std::string_view view(const char* what) {
    const std::uint32_t n = u32(what);
    const unsigned char* p = take(n, what);
    return std::string_view(reinterpret_cast<const char*>(p), n);
  }
  /// A u32 string id of the file's string table.
  const std::string_view& sid(const char* what, const std::vector<std::string_view>& table) {
    const std::uint64_t at = pos_;
    const std::uint32_t id = u32(what);
    if (id >= table.size())
      fail_at(std::string(what) + ": string id " + std::to_string(id) + " outside the string table (" +
                  std::to_string(table.size()) + " strings)",
              at);
    return table[id];
  }
  /// A section record or index entry (see BlockWriter::section).
  Section section(const char* what) {
    Section s;
    s.offset = u64(what);
    s.size = u32(what);
    s.crc = u32(what);
    return s;
  }
  /// A count of items of at least `min_size` bytes each (bounded by what is left).
  std::uint32_t count(const char* what, std::uint64_t min_size) {
    const std::uint64_t at = pos_;
    const std::uint32_t n = u32(what);
    if (min_size > 0 && n > (end_ - pos_) / min_size)
      fail_at(std::string("count of ") + what + " (" + std::to_string(n) + ") larger than the data left", at);
    return n;
  }
  void expect_end(const char* what) const {
    if (pos_ != end_) fail(std::string(what) + ": " + std::to_string(end_ - pos_) + " unexpected trailing bytes");
  }

 private:
  const unsigned char* base_;
  std::uint64_t pos_, end_;
  const std::string* file_;
  const char* scope_ = "";
};

}  // namespace detail::cache
}  // namespace nasbench
