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
