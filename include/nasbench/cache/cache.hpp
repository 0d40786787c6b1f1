#pragma once
/// @file cache/cache.hpp
/// nasbench's own binary cache of a loaded benchmark: `write_cache()` (what
/// `nasbench convert IN OUT` runs) and `open_cache()`, which memory-maps the
/// file and takes each architecture's results from it on first use, so opening
/// costs the architecture list alone and memory grows with what is touched.
/// `load_api()` recognises a cache by its magic number. Torch-free.
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
///
/// @code
/// auto api = nasbench::NASBench201API::load("NAS-Bench-201-v1_1-096897.pth");
/// nasbench::write_cache(api, "nb201.cache");
/// auto fast = nasbench::NASBench201API::load("nb201.cache");  // milliseconds
/// @endcode

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

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/platform/mapped_file.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/fields.hpp"
#include "nasbench/version.hpp"

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

/// Writes each field visit_fields() names, in its order (the run's layout).
struct RunWriter {
  BlockWriter& w;
  void operator()(const char*, const std::string& s) { w.str(s); }
  void operator()(const char*, int x) { w.i32(x); }
  void operator()(const char*, double x) { w.f64(x); }
  void operator()(const char*, bool b) { w.u8(b ? 1 : 0); }
  void operator()(const char*, const std::optional<std::vector<double>>& xs) {
    w.u8(xs ? 1 : 0);
    if (!xs) return;
    w.count(xs->size());
    for (double x : *xs) w.f64(x);
  }
  void operator()(const char*, const ArchConfig& c) { visit_config_fields(c, *this); }
  template <typename Real>
  void operator()(const char*, const Series<Real>& s) {
    w.series(s);
  }
  template <typename Real>
  void operator()(const char*, const std::optional<Series<Real>>& s) {
    w.u8(s ? 1 : 0);
    if (s) w.series(*s);
  }
  void operator()(const char*, const std::vector<std::string>& names) {
    w.count(names.size());
    for (const auto& n : names) w.str(n);
  }
  template <typename Real>
  void operator()(const char*, const std::vector<std::pair<std::string, EvalSeries<Real>>>& evals) {
    w.count(evals.size());
    for (const auto& [name, e] : evals) {
      w.str(name);
      w.series(e.acc1es);
      w.series(e.losses);
      w.series(e.times);
    }
  }
};

/// Reads each field visit_fields() names, in its order; errors name the key.
template <typename Real>
struct RunReader {
  BlockReader& in;
  ResultsCount<Real>& r;
  const char* scope = "";  // "arch_config " inside the config
  std::string label(const char* key) const { return std::string(scope) + key; }
  void operator()(const char* key, std::string& s) { s = in.str(label(key).c_str()); }
  void operator()(const char* key, int& x) {
    x = in.i32(label(key).c_str());
    if (std::string_view(key) == "epochs" && (x < 0 || x > kMaxEpochs)) in.fail("epochs out of range");
  }
  void operator()(const char* key, double& x) { x = in.f64(key); }
  void operator()(const char* key, bool& b) { b = in.u8(key) != 0; }
  void operator()(const char* key, std::optional<std::vector<double>>& xs) {
    if (!in.u8("latency flag")) return;
    const std::uint32_t n = in.count(key, 8);
    std::vector<double> values(n);
    for (auto& x : values) x = in.f64(key);
    xs = std::move(values);
  }
  void operator()(const char*, ArchConfig& c) {
    RunReader sub{in, r, "arch_config "};
    visit_config_fields(c, sub);
  }
  void operator()(const char* key, Series<Real>& s) { in.series(s, key); }
  void operator()(const char* key, std::optional<Series<Real>>& s) {
    if (!in.u8("train_times flag")) return;
    s.emplace();
    in.series(*s, key);
  }
  void operator()(const char*, std::vector<std::string>& names) {
    const std::uint32_t n = in.count("eval names", 4);
    for (std::uint32_t i = 0; i < n; ++i) names.push_back(in.str("eval name"));
  }
  void operator()(const char*, std::vector<std::pair<std::string, EvalSeries<Real>>>&) {
    const std::uint32_t n = in.count("eval sets", 4 + 3 * 5);
    for (std::uint32_t i = 0; i < n; ++i) {
      EvalSeries<Real>& e = r.eval_series(in.str("eval set name"));
      in.series(e.acc1es, "eval_acc1es");
      in.series(e.losses, "eval_losses");
      in.series(e.times, "eval_times");
    }
  }
};

template <typename Real>
void write_run(BlockWriter& w, const ResultsCount<Real>& r) {
  if (r.net_state)
    throw Error("cannot write a cache of " + r.describe() +
                ": it holds trained weights, which a cache does not store (open the original file for weights)");
  if (r.final_epoch_only())
    throw Error("cannot write a cache of " + r.describe() +
                ": it was loaded with LoadOptions::final_epoch_only (--final-epoch-only); a cache holds every epoch");
  visit_fields(r, RunWriter{w});
}

template <typename Real>
ResultsCount<Real> read_run(BlockReader& in) {
  ResultsCount<Real> r;
  visit_fields(r, RunReader<Real>{in, r});
  r.finalize();
  return r;
}

template <typename Real>
void write_arch(BlockWriter& w, const ArchResults<Real>& a) {
  w.i32(a.arch_index);
  w.str(a.arch_str);
  w.u8(a.clear_net_done ? 1 : 0);
  w.count(a.results().size());
  for (const auto& r : a.results()) write_run(w, r);
  w.count(a.datasets().size());
  for (const auto& d : a.datasets()) {
    w.str(d.name);
    w.count(d.seeds.size());
    for (int s : d.seeds) w.i32(s);
  }
}

template <typename Real>
ArchResults<Real> read_arch(BlockReader& in) {
  ArchResults<Real> a;
  a.arch_index = in.i32("arch_index");
  a.arch_str = in.str("arch_str");
  a.clear_net_done = in.u8("clear_net_done") != 0;
  const std::uint32_t runs = in.count("runs", 64);
  for (std::uint32_t i = 0; i < runs; ++i) a.add_result(read_run<Real>(in));
  const std::uint32_t datasets = in.count("datasets", 8);
  for (std::uint32_t i = 0; i < datasets; ++i) {
    const std::uint64_t at = in.offset();
    std::string name = in.str("dataset name");
    const std::uint32_t n = in.count("seeds", 4);
    std::vector<int> seeds(n);
    for (auto& s : seeds) s = in.i32("seed");
    try {
      a.set_dataset_seeds(std::move(name), std::move(seeds));
    } catch (const LoadError& e) {
      in.fail_at(e.message(), at);
    }
  }
  return a;
}

/// A read-only memory map of a whole file.
class Mapping {
 public:
  explicit Mapping(const std::string& path) : path_(path), file_(path) {}
  [[nodiscard]] const unsigned char* data() const noexcept { return file_.data(); }
  [[nodiscard]] std::uint64_t size() const noexcept { return file_.size(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  platform::MappedFile file_;  ///< the whole file, read-only
};

/// The architectures (and find_best columns) of a mapped cache file.
template <typename Real>
class CacheSource final : public BasicAPI<Real>::Source {
 public:
  using HpResults = typename BasicAPI<Real>::HpResults;
  using Column = typename BasicAPI<Real>::Column;
  using Entry = Section;
  struct ColumnRef {
    std::string hp, dataset, set;
    std::uint64_t offset;
    std::uint32_t size, crc;
  };

  CacheSource(std::shared_ptr<const Mapping> map, std::vector<Entry> entries, Section columns,
              std::vector<ColumnRef> column_refs)
      : map_(std::move(map)), entries_(std::move(entries)), columns_(columns), column_refs_(std::move(column_refs)) {}

  [[nodiscard]] bool has_results(std::size_t index) const noexcept override {
    return index < entries_.size() && entries_[index].offset != 0;
  }
  [[nodiscard]] std::vector<HpResults> load(std::size_t index) const override {
    const Entry& e = entries_.at(index);
    const unsigned char* base = map_->data();
    if (crc32_of(base + e.offset, e.size) != e.crc)
      throw LoadError("cache file \"" + map_->path() + "\": checksum mismatch in the block of architecture " +
                          std::to_string(index) + " (the file is corrupted; convert again)",
                      e.offset);
    BlockReader in(base, e.offset, e.offset + e.size, &map_->path());
    std::vector<HpResults> out;
    const std::uint32_t n = in.count("schedules", 8);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string hp = in.str("hp");
      out.push_back(HpResults{std::move(hp), read_arch<Real>(in)});
    }
    in.expect_end("architecture block");
    return out;
  }
  [[nodiscard]] std::shared_ptr<const Column> column(const std::string& hp, const std::string& dataset,
                                                     const std::string& set) const override {
    for (const ColumnRef& c : column_refs_) {
      if (c.hp != hp || c.dataset != dataset || c.set != set) continue;
      const std::uint64_t begin = columns_.offset + c.offset;
      const unsigned char* base = map_->data();
      if (crc32_of(base + begin, c.size) != c.crc)
        throw LoadError("cache file \"" + map_->path() + "\": checksum mismatch in a find_best column", begin);
      BlockReader in(base, begin, begin + c.size, &map_->path());
      auto col = std::make_shared<Column>();
      const std::uint32_t n = in.count("column rows", 4 + 24 + 8);
      col->index.resize(n);
      col->flops.resize(n);
      col->params.resize(n);
      col->accuracy.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {  // sized up front: the first find_best waits for this loop
        col->index[i] = in.i32("index");
        col->flops[i] = in.f64("flops");
        col->params[i] = in.f64("params");
        col->accuracy[i] = in.f64("accuracy");
        if (std::string e = in.str("error"); !e.empty()) col->cost_errors.emplace_back(i, std::move(e));
        if (std::string e = in.str("error"); !e.empty()) col->metric_errors.emplace_back(i, std::move(e));
      }
      in.expect_end("find_best column");
      return col;
    }
    return nullptr;
  }

 private:
  std::shared_ptr<const Mapping> map_;
  std::vector<Entry> entries_;
  Section columns_;
  std::vector<ColumnRef> column_refs_;
};

/// The (hp, dataset, set) triples whose find_best columns a cache stores:
/// every schedule and dataset of the evaluated architectures, with "train",
/// "valid" and every eval set name.
template <typename Real>
std::vector<std::array<std::string, 3>> column_keys(const BasicAPI<Real>& api) {
  std::vector<std::array<std::string, 3>> keys;
  auto add = [&](std::array<std::string, 3> k) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  };
  for (int index : api.evaluated_indexes()) {
    if (!api.has_results(index)) continue;
    for (const auto& hp : api.hps(index)) {
      const ArchResults<Real>& a = api.query_meta_info_by_index(index, hp);
      for (const auto& d : a.datasets()) {
        add({hp, d.name, "train"});
        add({hp, d.name, "valid"});
        for (std::uint32_t r : d.runs)
          for (const auto& [set, series] : a.results()[r].evals) add({hp, d.name, set});
      }
    }
  }
  return keys;
}

}  // namespace detail::cache

/// Writes `api` as a cache file (format kCacheFormatVersion) to `path`,
/// atomically (a temporary file renamed over it). Error when a run holds
/// trained weights or the file cannot be written.
template <typename Real>
void write_cache(const BasicAPI<Real>& api, const std::string& path) {
  using namespace detail::cache;
  BlockWriter meta;
  meta.str(kVersion);
  meta.str(api.filename());
  meta.str(api.class_name());
  meta.u8(static_cast<std::uint8_t>(sizeof(Real)));  // the precision the find_best columns were computed in
  meta.count(api.size());
  for (const auto& a : api.meta_archs()) meta.str(a);
  meta.count(api.evaluated_indexes().size());
  for (int i : api.evaluated_indexes()) meta.i32(i);

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write \"" + tmp + "\": " + std::strerror(errno));
  std::uint64_t pos = 0;
  // Errors throw; the catch below closes and removes the temporary file, once.
  auto put = [&](const std::vector<unsigned char>& b) {
    if (!b.empty() && std::fwrite(b.data(), 1, b.size(), f) != b.size())
      throw Error("cannot write \"" + tmp + "\": " + std::strerror(errno));
    pos += b.size();
  };
  auto section_too_big = [&](std::size_t n, const char* what) {
    if (n > 0xffffffffu) throw Error(std::string("cannot write a cache: the ") + what + " takes more than 4 GiB");
  };
  try {
    put(std::vector<unsigned char>(kHeaderSize, 0));
    Section meta_s{pos, static_cast<std::uint32_t>(meta.bytes.size()), crc32_of(meta.bytes.data(), meta.bytes.size())};
    section_too_big(meta.bytes.size(), "architecture list");
    put(meta.bytes);
    BlockWriter index;
    for (std::size_t i = 0; i < api.size(); ++i) {
      if (!api.has_results(static_cast<long long>(i))) {
        index.section(Section{});
        continue;
      }
      BlockWriter block;
      const auto hps = api.hps(static_cast<long long>(i));
      block.count(hps.size());
      for (const auto& hp : hps) {
        block.str(hp);
        write_arch(block, api.query_meta_info_by_index(static_cast<long long>(i), hp));
      }
      section_too_big(block.bytes.size(), "block of one architecture");
      index.section(Section{pos, static_cast<std::uint32_t>(block.bytes.size()),
                            crc32_of(block.bytes.data(), block.bytes.size())});
      put(block.bytes);
    }
    Section index_s{pos, static_cast<std::uint32_t>(index.bytes.size()),
                    crc32_of(index.bytes.data(), index.bytes.size())};
    put(index.bytes);

    // find_best columns: a table of contents, then the bodies.
    BlockWriter bodies, toc;
    const auto keys = column_keys(api);
    toc.count(keys.size());
    std::vector<std::pair<std::size_t, BlockWriter>> body_of;
    for (const auto& [hp, ds, set] : keys) {
      BlockWriter body;
      const auto col = api.best_column(hp, ds, set);
      body.count(col->index.size());
      for (std::size_t i = 0; i < col->index.size(); ++i) {
        body.i32(col->index[i]);
        body.f64(col->flops[i]);
        body.f64(col->params[i]);
        body.f64(col->accuracy[i]);
        const std::string* cost_error = BasicAPI<Real>::Column::error_at(col->cost_errors, i);
        const std::string* metric_error = BasicAPI<Real>::Column::error_at(col->metric_errors, i);
        body.str(cost_error ? *cost_error : std::string());
        body.str(metric_error ? *metric_error : std::string());
      }
      toc.str(hp);
      toc.str(ds);
      toc.str(set);
      toc.u64(0);  // patched below: offset relative to the section
      toc.u32(static_cast<std::uint32_t>(body.bytes.size()));
      toc.u32(crc32_of(body.bytes.data(), body.bytes.size()));
      body_of.emplace_back(toc.bytes.size() - 16, std::move(body));
    }
    const std::size_t toc_size = toc.bytes.size();
    BlockWriter columns = std::move(toc);
    for (auto& [at, body] : body_of) {
      const std::uint64_t rel = columns.bytes.size();
      for (int k = 0; k < 8; ++k) columns.bytes[at + static_cast<std::size_t>(k)] = static_cast<unsigned char>(rel >> (8 * k));
      columns.bytes.insert(columns.bytes.end(), body.bytes.begin(), body.bytes.end());
    }
    section_too_big(columns.bytes.size(), "find_best columns");
    Section columns_s{pos, static_cast<std::uint32_t>(columns.bytes.size()), crc32_of(columns.bytes.data(), toc_size)};
    put(columns.bytes);

    BlockWriter header;
    header.bytes.insert(header.bytes.end(), kCacheMagic.begin(), kCacheMagic.end());
    header.u32(kCacheFormatVersion);
    header.u32(static_cast<std::uint32_t>(kHeaderSize));
    header.u64(pos);
    for (const Section& s : {meta_s, index_s, columns_s}) header.section(s);
    header.u32(crc32_of(header.bytes.data(), header.bytes.size()));
    header.u32(0);
    if (std::fseek(f, 0, SEEK_SET) != 0 || std::fwrite(header.bytes.data(), 1, kHeaderSize, f) != kHeaderSize)
      throw Error("cannot write \"" + tmp + "\": " + std::strerror(errno));
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot write \"" + tmp + "\": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error("cannot rename \"" + tmp + "\" to \"" + path + "\": " + ec.message());
  }
}

/// Whether the file at `path` starts with the cache magic number.
[[nodiscard]] inline bool is_cache_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[8] = {};
  const bool yes = std::fread(magic, 1, 8, f) == 8 && std::string_view(magic, 8) == kCacheMagic;
  std::fclose(f);
  return yes;
}

/// Opens a cache file written by write_cache(): reads the header, the
/// architecture list and the index (all checksummed); the results of each
/// architecture are read (and checked) when first used. LoadError for a file
/// of another format version, truncated or corrupted.
template <typename Real>
[[nodiscard]] BasicAPI<Real> open_cache(const std::string& path) {
  using namespace detail::cache;
  auto map = std::make_shared<const Mapping>(path);
  const unsigned char* base = map->data();
  const std::uint64_t size = map->size();
  const std::string& file = map->path();
  auto fail = [&](const std::string& what, std::uint64_t at) -> LoadError {
    return LoadError("cache file \"" + file + "\": " + what, at);
  };
  if (size < kHeaderSize) {
    if (size >= 8 && std::string_view(reinterpret_cast<const char*>(base), 8) == kCacheMagic)
      throw fail("truncated header (" + std::to_string(size) + " bytes)", size);
    throw fail("not a nasbench cache file (no \"NB201CAC\" magic)", 0);
  }
  if (std::string_view(reinterpret_cast<const char*>(base), 8) != kCacheMagic)
    throw fail("not a nasbench cache file (no \"NB201CAC\" magic)", 0);
  BlockReader header(base, 8, kHeaderSize, &file);
  const std::uint32_t version = header.u32("version");
  if (version != kCacheFormatVersion)
    throw fail("format version " + std::to_string(version) + ", this nasbench (" + std::string(kVersion) +
                   ") reads version " + std::to_string(kCacheFormatVersion) + "; convert the benchmark again",
               8);
  if (header.u32("header size") != kHeaderSize) throw fail("bad header size", 12);
  if (crc32_of(base, 72) != BlockReader(base, 72, 76, &file).u32("header crc"))
    throw fail("header checksum mismatch (the file is corrupted)", 72);
  if (BlockReader(base, 76, 80, &file).u32("header padding") != 0) throw fail("nonzero header padding", 76);
  const std::uint64_t file_size = header.u64("file size");
  if (file_size != size)
    throw fail("the file has " + std::to_string(size) + " bytes, its header says " + std::to_string(file_size) +
                   " (truncated or appended to)",
               size < file_size ? size : file_size);
  Section sections[3];
  const char* names[3] = {"architecture list", "index", "find_best columns"};
  for (int i = 0; i < 3; ++i) {
    sections[i] = header.section("section record");
    if (sections[i].offset < kHeaderSize || sections[i].offset > size || sections[i].size > size - sections[i].offset)
      throw fail(std::string("the ") + names[i] + " section lies outside the file", 24 + 16 * i);
  }
  for (int i = 0; i < 2; ++i)  // the columns: their table below, each body when used
    if (crc32_of(base + sections[i].offset, sections[i].size) != sections[i].crc)
      throw fail(std::string("checksum mismatch in the ") + names[i] + " (the file is corrupted)", sections[i].offset);

  BlockReader meta(base, sections[0].offset, sections[0].offset + sections[0].size, &file);
  (void)meta.str("writer version");
  std::string filename = meta.str("file name");
  std::string class_name = meta.str("class name");
  const std::uint8_t writer_precision = meta.u8("precision");
  if (writer_precision != 4 && writer_precision != 8) meta.fail("bad precision " + std::to_string(writer_precision));
  // Columns computed from double tables do not describe float tables (rounded values).
  const bool columns_apply = sizeof(Real) == 8 || writer_precision == sizeof(Real);
  const std::uint32_t n = meta.count("architectures", 4);
  std::vector<std::string> archs(n);
  for (auto& a : archs) a = meta.str("architecture");
  const std::uint32_t n_eval = meta.count("evaluated indexes", 4);
  std::vector<int> evaluated(n_eval);
  for (auto& i : evaluated) {
    i = meta.i32("evaluated index");
    if (i < 0 || static_cast<std::uint32_t>(i) >= n) meta.fail("evaluated index " + std::to_string(i) + " out of range");
  }
  meta.expect_end("architecture list");

  if (sections[1].size != std::uint64_t{n} * 16)
    throw fail("index of " + std::to_string(sections[1].size) + " bytes for " + std::to_string(n) + " architectures",
               sections[1].offset);
  BlockReader index(base, sections[1].offset, sections[1].offset + sections[1].size, &file);
  std::vector<typename CacheSource<Real>::Entry> entries(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const Section& e = entries[i] = index.section("index entry");
    if (e.offset != 0 && (e.offset < kHeaderSize || e.offset > size || e.size > size - e.offset))
      index.fail("the block of architecture " + std::to_string(i) + " lies outside the file");
  }

  BlockReader toc(base, sections[2].offset, sections[2].offset + sections[2].size, &file);
  std::vector<typename CacheSource<Real>::ColumnRef> refs;
  if (sections[2].size > 0) {  // checked even when not used
    const std::uint32_t count = toc.count("columns", 12 + 16);
    for (std::uint32_t i = 0; i < count; ++i) {
      typename CacheSource<Real>::ColumnRef r;
      r.hp = toc.str("column hp");
      r.dataset = toc.str("column dataset");
      r.set = toc.str("column set");
      r.offset = toc.u64("column offset");
      r.size = toc.u32("column size");
      r.crc = toc.u32("column crc");
      if (r.offset > sections[2].size || r.size > sections[2].size - r.offset)
        toc.fail("a find_best column lies outside its section");
      if (columns_apply) refs.push_back(std::move(r));
    }
    if (crc32_of(base + sections[2].offset, toc.offset() - sections[2].offset) != sections[2].crc)
      throw fail("checksum mismatch in the find_best columns' table (the file is corrupted)", sections[2].offset);
  }

  BasicAPI<Real> api;
  api.set_meta_archs(std::move(archs));
  api.set_evaluated_indexes(std::move(evaluated));
  api.set_source(std::move(filename), std::move(class_name));
  api.set_source_of_results(std::make_shared<const CacheSource<Real>>(map, std::move(entries), sections[2], std::move(refs)));
  return api;
}

}  // namespace nasbench
