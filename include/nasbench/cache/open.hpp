#pragma once
/// @file cache/open.hpp
/// `open_cache()`: a cache file memory-mapped, each architecture's block read
/// and checked when first used (a ResultsProvider of the api layer).

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


#include "nasbench/api/basic_api.hpp"
#include "nasbench/cache/blocks.hpp"
#include "nasbench/cache/format.hpp"
#include "nasbench/error.hpp"
#include "nasbench/platform/mapped_file.hpp"
#include "nasbench/version.hpp"

namespace nasbench {
namespace detail::cache {

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

/// The blocks of one architecture: where its head and data lie, and the
/// data block's lazy check (its series read from it in place).
class ArchBlocks final : public LazyChecked {
 public:
  /// The head block's check, once (both its schedules may be read, at different times).
  class HeadCheck final : public LazyChecked {
   public:
    const ArchBlocks* blocks = nullptr;

   protected:
    void verify() const override { blocks->check(blocks->head, "head"); }
  };
  Section head, data;
  const Mapping* map = nullptr;
  std::size_t index = 0;
  HeadCheck head_check;

 protected:
  void verify() const override { check(data, "data"); }

 private:
  /// LoadError unless `block` (the head or data block) matches its CRC.
  void check(const Section& block, const char* which) const {
    if (crc32_of(map->data() + block.offset, block.size) != block.crc)
      throw LoadError("cache file \"" + map->path() + "\": checksum mismatch in the " + which +
                          " block of architecture " + std::to_string(index) + " (the file is corrupted; convert again)",
                      block.offset);
  }
};

/// The architectures (and find_best columns) of a mapped cache file.
template <typename Real>
class CacheSource final : public BasicAPI<Real>::Source {
 public:
  using HpResults = typename BasicAPI<Real>::HpResults;
  using Column = typename BasicAPI<Real>::Column;
  struct ColumnRef {
    std::string hp, dataset, set;
    std::uint64_t offset;
    std::uint32_t size, crc;
  };

  /// `blocks`: one per architecture, their sections checked to lie in the file.
  CacheSource(std::shared_ptr<const Mapping> map, std::unique_ptr<ArchBlocks[]> blocks, std::size_t count,
              Section columns, std::vector<ColumnRef> column_refs, std::vector<std::string_view> strings)
      : map_(std::move(map)),
        blocks_(std::move(blocks)),
        count_(count),
        columns_(columns),
        column_refs_(std::move(column_refs)),
        strings_(std::move(strings)) {}

  [[nodiscard]] bool has_results(std::size_t index) const noexcept override {
    return index < count_ && blocks_[index].head.offset != 0;
  }
  [[nodiscard]] std::vector<HpResults> load(std::size_t index) const override {
    std::vector<HpResults> out;
    std::vector<std::string> names = *schedules(index);
    out.reserve(names.size());
    for (std::size_t k = 0; k < names.size(); ++k) out.push_back(HpResults{std::move(names[k]), load_schedule(index, k)});
    return out;
  }
  [[nodiscard]] std::optional<std::vector<std::string>> schedules(std::size_t index) const override {
    std::vector<std::string> names;
    for_schedules(index, [&](BlockReader&, std::string_view hp, std::uint64_t, std::uint64_t) {
      names.emplace_back(hp);
      return false;
    });
    return names;
  }
  [[nodiscard]] ArchResults<Real> load_schedule(std::size_t index, std::size_t position) const override {
    const ArchBlocks& b = blocks_[index];
    const DataView data{map_->data() + b.data.offset, b.data.size, &b, map_, &strings_};
    std::optional<ArchResults<Real>> out;
    std::size_t k = 0;
    for_schedules(index, [&](BlockReader& in, std::string_view, std::uint64_t end, std::uint64_t data_at) {
      if (k++ != position) return false;
      std::uint64_t data_pos = data_at;
      out = read_arch<Real>(in, data, data_pos);
      if (in.offset() != end) in.fail("a schedule's records end " + std::to_string(end - in.offset()) + " bytes early");
      return true;
    });
    if (!out) throw LoadError("cache file \"" + map_->path() + "\": architecture " + std::to_string(index) +
                              " has no schedule " + std::to_string(position));
    return std::move(*out);
  }
  /// Walks the schedules of architecture `index`'s head block (checked first):
  /// fn(reader at the schedule's records, hp, where they end, where its values
  /// start in the data block) returns true to stop, false to skip to the next.
  template <typename Fn>
  void for_schedules(std::size_t index, Fn&& fn) const {
    if (!has_results(index))
      throw LoadError("cache file \"" + map_->path() + "\": architecture " + std::to_string(index) + " has no results");
    const ArchBlocks& b = blocks_[index];
    b.head_check.ensure();
    BlockReader in(map_->data(), b.head.offset, b.head.offset + b.head.size, &map_->path());
    const std::uint32_t n = in.count("schedules", 12);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::string_view hp = in.sid("hp", strings_);
      const std::uint64_t length = in.u32("schedule length");
      const std::uint64_t data_at = in.u32("schedule data offset");
      const std::uint64_t begin = in.offset();
      if (length > b.head.offset + b.head.size - begin) in.fail("a schedule's records run past the head block");
      if (data_at > b.data.size) in.fail("a schedule's values start past the data block");
      BlockReader sub(map_->data(), begin, begin + length, &map_->path());
      if (fn(sub, hp, begin + length, data_at)) return;
      (void)in.take(length, "schedule records");
    }
    in.expect_end("architecture block");
  }
  /// The find_best columns the file stores (that apply to these tables).
  [[nodiscard]] const std::vector<ColumnRef>& column_refs() const noexcept { return column_refs_; }
  /// Checks the data block of architecture `index` now (verify_cache).
  void verify_data(std::size_t index) const {
    if (has_results(index)) blocks_[index].ensure();
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
  std::unique_ptr<ArchBlocks[]> blocks_;
  std::size_t count_;
  Section columns_;
  std::vector<ColumnRef> column_refs_;
  std::vector<std::string_view> strings_;  ///< the string table (views into the mapping)
};

}  // namespace detail::cache

/// Whether the file at `path` starts with the cache magic number.
[[nodiscard]] inline bool is_cache_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[8] = {};
  const bool yes = std::fread(magic, 1, 8, f) == 8 && std::string_view(magic, 8) == kCacheMagic;
  std::fclose(f);
  return yes;
}

namespace detail::cache {

/// open_cache(), and the source it reads from (for verify_cache()).
template <typename Real>
std::pair<BasicAPI<Real>, std::shared_ptr<const CacheSource<Real>>> open_parts(const std::string& path) {
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
                   ") reads version " + std::to_string(kCacheFormatVersion) +
                   "; convert the benchmark again (nasbench convert ORIGINAL " + file + ")",
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
  std::vector<std::string_view> strings(n);  // the string table: in place, in the mapping
  for (std::uint32_t i = 0; i < n; ++i) archs[i] = strings[i] = meta.view("architecture");
  const std::uint32_t n_eval = meta.count("evaluated indexes", 4);
  std::vector<int> evaluated(n_eval);
  for (auto& i : evaluated) {
    i = meta.i32("evaluated index");
    if (i < 0 || static_cast<std::uint32_t>(i) >= n) meta.fail("evaluated index " + std::to_string(i) + " out of range");
  }
  const std::uint32_t n_strings = meta.count("strings", 4);
  strings.reserve(std::size_t{n} + n_strings);
  for (std::uint32_t i = 0; i < n_strings; ++i) strings.push_back(meta.view("string"));
  meta.expect_end("architecture list");

  if (sections[1].size != std::uint64_t{n} * 32)
    throw fail("index of " + std::to_string(sections[1].size) + " bytes for " + std::to_string(n) + " architectures",
               sections[1].offset);
  BlockReader index(base, sections[1].offset, sections[1].offset + sections[1].size, &file);
  auto blocks = std::make_unique<ArchBlocks[]>(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    ArchBlocks& b = blocks[i];
    b.map = map.get();
    b.index = i;
    b.head_check.blocks = &b;
    b.head = index.section("index entry");
    b.data = index.section("index entry");
    if (b.head.offset == 0) {
      if (b.head.size != 0 || b.data.offset != 0 || b.data.size != 0)
        index.fail("architecture " + std::to_string(i) + " has no head block but a size or data block");
      continue;
    }
    for (const Section* s : {&b.head, &b.data})
      if (s->offset < kHeaderSize || s->offset > size || s->size > size - s->offset)
        index.fail(std::string("the ") + (s == &b.head ? "head" : "data") + " block of architecture " +
                   std::to_string(i) + " lies outside the file");
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
  auto source =
      std::make_shared<const CacheSource<Real>>(map, std::move(blocks), n, sections[2], refs, std::move(strings));
  api.set_source_of_results(source);
  return {std::move(api), std::move(source)};
}

}  // namespace detail::cache

/// Opens a cache file written by write_cache(): reads the header, the
/// architecture list and the index (all checksummed); the results of each
/// architecture are read (and their head block checked) when first used, and
/// their per-epoch values are read in place from the mapping, their block
/// checked on the first read. LoadError for a file of another format version,
/// truncated or corrupted.
template <typename Real>
[[nodiscard]] BasicAPI<Real> open_cache(const std::string& path) {
  return detail::cache::open_parts<Real>(path).first;
}

/// What verify_cache() checked.
struct CacheCheck {
  std::size_t architectures = 0;  ///< in the architecture list
  std::size_t with_results = 0;   ///< whose head and data blocks were checked
  std::size_t columns = 0;        ///< find_best columns checked
  std::uint64_t bytes = 0;        ///< the file's size
};

/// Checks a whole cache file: the header, the architecture list, the index,
/// every architecture's head and data blocks (checksums, and every record
/// decoded and bounds-checked) and every find_best column. LoadError naming
/// the first problem (what `nasbench verify` runs); opening checks only the
/// first three, the rest is checked when first used.
inline CacheCheck verify_cache(const std::string& path) {
  auto [api, source] = detail::cache::open_parts<double>(path);
  CacheCheck c;
  c.architectures = api.size();
  std::error_code ec;  // the file is mapped: its size is known
  c.bytes = static_cast<std::uint64_t>(std::filesystem::file_size(path, ec));
  for (std::size_t i = 0; i < api.size(); ++i) {
    if (!source->has_results(i)) continue;
    (void)source->load(i);  // the head block: checksum and every record
    source->verify_data(i);
    ++c.with_results;
  }
  for (const auto& ref : source->column_refs())
    if (source->column(ref.hp, ref.dataset, ref.set)) ++c.columns;
  return c;
}

}  // namespace nasbench
