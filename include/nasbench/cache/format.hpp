#pragma once
/// @file cache/format.hpp
/// The byte layout of nasbench's cache files, and its bounds-checked encoder
/// and decoder (BlockWriter, BlockReader).
///
/// Layout (format version 1; every integer little-endian, every float an IEEE
/// binary64, a string is a u32 length + its UTF-8 bytes, a CRC is zlib's crc32):
///
/// - header, 80 bytes: [0,8) magic "NB201CAC"; [8,12) u32 format version;
///   [12,16) u32 header size (80); [16,24) u64 file size; then three section
///   records (meta, index, columns), each u64 offset, u32 size, u32 crc
///   ([24,72)); [72,76) u32 crc of bytes [0,72); [76,80) zero.
/// - meta: library version string, file name, class name, u8 bytes per value
///   of the tables written (8: double, 4: float; float tables do not reuse the
///   find_best columns of double ones), u32 count + every
///   architecture string (meta_archs), u32 count + i32 evaluated indexes.
/// - index: per architecture, `u64 offset, u32 size, u32 crc32` of its block
///   (offset 0: no results).
/// - an architecture block: u32 number of schedules, then per schedule the hp
///   string and its ArchResults: i32 arch_index, arch_str, u8 clear_net_done,
///   u32 runs, each run (ResultsCount: dataset, i32 seed, i32 epochs, f64
///   params, f64 flop, latency (u8 present, u32 n, f64 x n), arch_config
///   (name, i32 channel, i32 num_cells, arch_str, channels, genotype, i32
///   class_num), series train_acc1es, train_acc5es, train_losses, u8 + series
///   train_times, u32 + eval names, u32 + (set name, series acc1es, losses,
///   times) per eval set, u8 eval_times_usable), then u32 datasets, each a name,
///   u32 + i32 seeds (dataset_seed).
/// - a series: u32 extent, u8 0 (every epoch present) or 1 (a presence byte
///   per epoch follows the values), f64 x extent.
/// - columns (find_best, computed when the cache is written): a table of
///   contents (u32 count, then per column the hp, dataset and set strings, the
///   u64 offset relative to the section, u32 size and u32 crc of its body; the
///   section record's crc covers this table only), then the bodies: u32 n, n x
///   (i32 index, f64 flops, f64 params, f64 accuracy, cost error, metric error).
///
/// A block is checked against its CRC when first read; any mismatch, version
/// or bound violation is a LoadError naming the file and the byte offset.
/// Trained weights are not stored (write_cache refuses runs that hold them).

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
inline constexpr std::uint32_t kCacheFormatVersion = 1;
/// The first 8 bytes of a cache file.
inline constexpr std::string_view kCacheMagic{"NB201CAC", 8};

namespace detail::cache {

inline constexpr std::size_t kHeaderSize = 80;

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
  template <typename Real>
  void series(const Series<Real>& s) {
    const auto& values = s.raw_values();
    const auto& present = s.presence();
    count(values.size());
    const bool all = s.dense() || std::all_of(present.begin(), present.end(), [](std::uint8_t p) { return p != 0; });
    u8(all ? 0 : 1);
    for (Real v : values) f64(static_cast<double>(v));
    if (!all) bytes.insert(bytes.end(), present.begin(), present.end());
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
    throw LoadError("cache file \"" + *file_ + "\": " + what, at);
  }
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
  template <typename Real>
  void series(Series<Real>& out, const char* what) {
    const std::uint64_t at = pos_;
    const std::uint32_t n = u32(what);
    if (n > static_cast<std::uint64_t>(kMaxEpochs)) fail_at(std::string(what) + ": " + std::to_string(n) + " epochs", at);
    const std::uint8_t kind = u8(what);
    if (kind > 1) fail_at(std::string(what) + ": bad series kind " + std::to_string(kind), at);
    const unsigned char* p = take(std::uint64_t{n} * 8, what);
    std::vector<Real> values(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint64_t b = 0;
      for (int k = 7; k >= 0; --k) b = (b << 8) | p[8 * i + static_cast<std::uint32_t>(k)];
      double v;
      std::memcpy(&v, &b, 8);
      values[i] = static_cast<Real>(v);
    }
    std::vector<std::uint8_t> present;  // empty: every epoch present
    if (kind == 1) {
      const unsigned char* q = take(n, what);
      present.assign(q, q + n);
      for (std::uint32_t i = 0; i < n; ++i)
        if (q[i] > 1) fail_at(std::string(what) + ": bad presence byte", pos_ - n + i);
    }
    out.assign(std::move(values), std::move(present));
  }
  void expect_end(const char* what) const {
    if (pos_ != end_) fail(std::string(what) + ": " + std::to_string(end_ - pos_) + " unexpected trailing bytes");
  }

 private:
  const unsigned char* base_;
  std::uint64_t pos_, end_;
  const std::string* file_;
};

}  // namespace detail::cache
}  // namespace nasbench
