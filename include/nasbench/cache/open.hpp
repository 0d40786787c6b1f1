#pragma once
/// @file cache/open.hpp
/// `open_cache()`: a cache file memory-mapped, each architecture's block read
/// and checked when first used (a ResultsProvider of the api layer).

#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
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
#include "nasbench/cache/summaries.hpp"
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

/// One (hp, dataset) table of a cache's summary section: a row per
/// architecture, each chunk of rows checked on the first read of one of them.
struct SummaryTable {
  std::string hp, dataset;
  std::vector<std::string> keys;    ///< the time keys its rows name by index
  std::size_t slots = 0;            ///< seed slots per row
  std::size_t row_bytes = kRowSize; ///< row_size(slots)
  std::uint64_t rows_at = 0;        ///< absolute offset of row 0
  std::uint32_t rows = 0;
  std::vector<std::uint32_t> crcs;  ///< per chunk of kRowsPerChunk rows
  std::unique_ptr<std::atomic<std::uint8_t>[]> checked;  ///< per chunk: its CRC matched
};

/// The architectures (and find_best columns, summary rows) of a mapped cache file.
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
              Section columns, std::vector<ColumnRef> column_refs, std::vector<std::string_view> strings,
              std::vector<SummaryTable> summaries, std::optional<std::vector<std::string>> summary_hps,
              std::vector<int> evaluated)
      : map_(std::move(map)),
        blocks_(std::move(blocks)),
        count_(count),
        columns_(columns),
        column_refs_(std::move(column_refs)),
        strings_(std::move(strings)),
        summaries_(std::move(summaries)),
        summary_hps_(std::move(summary_hps)),
        evaluated_(std::move(evaluated)) {}

  [[nodiscard]] bool summary(std::size_t index, std::string_view hp, std::string_view dataset, SummaryPart part,
                             StoredSummary& out) const override {
    for (const SummaryTable& t : summaries_) {
      if (t.hp != hp || t.dataset != dataset) continue;
      if (index >= t.rows) return false;
      const unsigned char* r = row(t, index);
      const std::uint8_t flags = r[row::kFlags];
      out.schedule = (flags & kRowSchedule) != 0;
      out.seeds = static_cast<int>(get_u32(r + row::kSeeds));
      if (part == SummaryPart::kMoreInfo && (flags & kRowMoreInfo)) out.more_info = decode_more_info(r);
      if (part == SummaryPart::kCostInfo && (flags & kRowCostInfo)) out.cost_info = decode_cost_info(r, t.keys);
      if (part == SummaryPart::kSeedList && (flags & kRowSeedInfo)) {
        out.seed_list.resize(static_cast<std::size_t>(out.seeds));
        out.seed_epochs.resize(out.seed_list.size());
        for (std::size_t k = 0; k < out.seed_list.size(); ++k) {
          out.seed_list[k] = static_cast<int>(get_u32(seed_slot(r, k) + row::kSeeds));
          out.seed_epochs[k] = load_le_f64(seed_slot(r, k) + row::kTotal);  // one run: its iepoch + 1
        }
      }
      if (part == SummaryPart::kSeedMoreInfo && (flags & kRowSeedInfo) &&
          out.seed_position < static_cast<std::size_t>(out.seeds))
        out.more_info = decode_more_info(seed_slot(r, out.seed_position));
      return true;
    }
    return false;
  }
  [[nodiscard]] std::optional<std::vector<std::string>> stored_hps() const override { return summary_hps_; }
  /// Checks every summary row now (verify_cache); the number of tables.
  std::size_t verify_summaries() const {
    for (const SummaryTable& t : summaries_)
      for (std::size_t i = 0; i < t.rows; i += kRowsPerChunk) (void)row(t, i);
    return summaries_.size();
  }

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
    for (std::size_t k = 0; k < column_refs_.size(); ++k) {
      const ColumnRef& c = column_refs_[k];
      if (c.hp != hp || c.dataset != dataset || c.set != set) continue;
      auto col = std::make_shared<Column>();
      col->index = evaluated_;
      const auto [costs_from, accuracy_from] = read_column(k, col.get(), true, true);  // what it holds itself
      if (costs_from != k) (void)read_column(costs_from, col.get(), /*costs=*/true, /*accuracy=*/false);
      if (accuracy_from != k) (void)read_column(accuracy_from, col.get(), /*costs=*/false, /*accuracy=*/true);
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
  std::vector<SummaryTable> summaries_;    ///< empty: none stored, or not for tables of this precision
  std::optional<std::vector<std::string>> summary_hps_;
  std::vector<int> evaluated_;             ///< the rows of every find_best column

  /// Reads the body of the `k`-th find_best column (checksum, then bounds):
  /// into `out` its costs and/or accuracies when it holds them (where they
  /// are read: the columns whose values are those of another give its
  /// position); returns where its costs and its accuracies are, by position.
  std::pair<std::size_t, std::size_t> read_column(std::size_t k, Column* out, bool costs = false,
                                                  bool accuracy = false) const {
    const ColumnRef& c = column_refs_[k];
    const std::uint64_t begin = columns_.offset + c.offset;
    const unsigned char* base = map_->data();
    if (crc32_of(base + begin, c.size) != c.crc)
      throw LoadError("cache file \"" + map_->path() + "\": checksum mismatch in a find_best column", begin);
    BlockReader in(base, begin, begin + c.size, &map_->path());
    const std::size_t n = evaluated_.size();
    if (in.u32("column rows") != n) in.fail_at("a find_best column's rows are not the evaluated architectures", begin);
    std::size_t from[2] = {k, k};
    for (std::size_t& f : from) {
      const std::uint64_t at = in.offset();
      const std::uint32_t ref = in.u32("column reference");
      if (ref == kColumnInline) continue;
      // An earlier column of the same hp and dataset that holds the values itself (no chains).
      if (ref >= k || column_refs_[ref].hp != c.hp || column_refs_[ref].dataset != c.dataset)
        in.fail_at("a find_best column refers to column " + std::to_string(ref), at);
      const ColumnRef& r = column_refs_[ref];
      if (r.size < 12 || BlockReader(base, columns_.offset + r.offset + 4 + 4 * static_cast<std::uint64_t>(&f - from),
                                     columns_.offset + r.offset + 12, &map_->path())
                                 .u32("column reference") != kColumnInline)
        in.fail_at("a find_best column refers to column " + std::to_string(ref) + ", which refers to another", at);
      f = ref;
    }
    auto values = [&](std::vector<double>& v, const char* what) {
      const unsigned char* p = in.take(std::uint64_t{8} * n, what);
      v.resize(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = load_le_f64(p + 8 * i);
    };
    auto errors = [&](BestColumn::Errors& e) {
      const std::uint32_t count = in.count("column errors", 8);
      e.reserve(count);
      for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t at = in.offset();
        const std::uint32_t row = in.u32("error row");
        if (row >= n || (!e.empty() && row <= e.back().first)) in.fail_at("error row " + std::to_string(row), at);
        e.emplace_back(row, std::string(in.sid("error message", strings_)));
      }
    };
    Column scratch;
    Column& col = out ? *out : scratch;
    if (from[0] == k) {
      if (!costs) {  // skipped, still bounded
        (void)in.take(std::uint64_t{16} * n, "flops");
        errors(scratch.cost_errors);
      } else {
        values(col.flops, "flops");
        values(col.params, "params");
        errors(col.cost_errors);
      }
    }
    if (from[1] == k) {
      if (!accuracy) {
        (void)in.take(std::uint64_t{8} * n, "accuracy");
        errors(scratch.metric_errors);
      } else {
        values(col.accuracy, "accuracy");
        errors(col.metric_errors);
      }
    }
    in.expect_end("find_best column");
    return {from[0], from[1]};
  }

  /// Row `index` of `t`, its chunk's CRC checked once (thread-safe) and its
  /// fields checked; LoadError naming the table and the offset otherwise.
  const unsigned char* row(const SummaryTable& t, std::size_t index) const {
    const std::size_t chunk = index / kRowsPerChunk;
    const unsigned char* base = map_->data();
    const std::uint64_t chunk_at = t.rows_at + std::uint64_t{chunk} * kRowsPerChunk * t.row_bytes;
    if (!t.checked[chunk].load(std::memory_order_acquire)) {
      const std::size_t rows = std::min<std::size_t>(kRowsPerChunk, t.rows - chunk * kRowsPerChunk);
      if (crc32_of(base + chunk_at, rows * t.row_bytes) != t.crcs[chunk])
        throw LoadError("cache file \"" + map_->path() + "\": checksum mismatch in the summary rows of hp " +
                            detail::quoted(t.hp) + ", dataset " + detail::quoted(t.dataset) + " (architectures " +
                            std::to_string(chunk * kRowsPerChunk) + ".." + std::to_string(chunk * kRowsPerChunk + rows - 1) +
                            "; the file is corrupted, convert again)",
                        chunk_at);
      for (std::size_t i = 0; i < rows; ++i)
        if (const char* what = check_row(base + chunk_at + i * t.row_bytes, t.keys.size(), t.slots))
          throw LoadError("cache file \"" + map_->path() + "\": summary row of architecture " +
                              std::to_string(chunk * kRowsPerChunk + i) + " (hp " + detail::quoted(t.hp) + ", dataset " +
                              detail::quoted(t.dataset) + "): " + what,
                          chunk_at + i * t.row_bytes);
      t.checked[chunk].store(1, std::memory_order_release);
    }
    return base + t.rows_at + std::uint64_t{index} * t.row_bytes;
  }
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
  if (crc32_of(base, 88) != BlockReader(base, 88, 92, &file).u32("header crc"))
    throw fail("header checksum mismatch (the file is corrupted)", 88);
  if (BlockReader(base, 92, 96, &file).u32("header padding") != 0) throw fail("nonzero header padding", 92);
  const std::uint64_t file_size = header.u64("file size");
  if (file_size != size)
    throw fail("the file has " + std::to_string(size) + " bytes, its header says " + std::to_string(file_size) +
                   " (truncated or appended to)",
               size < file_size ? size : file_size);
  Section sections[4];
  const char* names[4] = {"architecture list", "index", "find_best columns", "summary section"};
  for (int i = 0; i < 4; ++i) {
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

  // The summary section's table of contents (checked at open); each chunk of rows when first read.
  const Section& sum_s = sections[3];
  if (sum_s.size == 0) throw fail("no summary section", 72);
  BlockReader sums(base, sum_s.offset, sum_s.offset + sum_s.size, &file);
  std::vector<std::string> summary_hps(sums.count("summary hps", 4));
  for (auto& hp : summary_hps) hp = sums.str("summary hp");
  std::vector<SummaryTable> tables(sums.count("summary tables", 4 * 5 + 8));
  for (SummaryTable& t : tables) {
    t.hp = sums.str("summary table hp");
    t.dataset = sums.str("summary table dataset");
    t.keys.resize(sums.count("summary time keys", 4));
    for (auto& k : t.keys) k = sums.str("summary time key");
    t.slots = sums.u32("summary seed slots");
    if (t.slots > kMaxSlots) sums.fail_at(std::to_string(t.slots) + " seed slots per summary row", sums.offset() - 4);
    t.row_bytes = row_size(t.slots);
    const std::uint64_t at = sums.offset();
    const std::uint64_t rel = sums.u64("summary rows offset");
    t.rows = sums.u32("summary rows");
    if (t.rows != n)
      sums.fail_at("a summary table of " + std::to_string(t.rows) + " rows for " + std::to_string(n) + " architectures", at + 8);
    const std::uint64_t bytes = std::uint64_t{t.rows} * t.row_bytes;
    if (rel > sum_s.size || bytes > sum_s.size - rel) sums.fail_at("summary rows lie outside their section", at);
    t.rows_at = sum_s.offset + rel;
    const std::uint32_t chunks = sums.count("summary chunk crcs", 4);
    if (chunks != (std::uint64_t{t.rows} + kRowsPerChunk - 1) / kRowsPerChunk)
      sums.fail_at(std::to_string(chunks) + " summary chunk crcs for " + std::to_string(t.rows) + " rows", sums.offset() - 4);
    t.crcs.resize(chunks);
    for (auto& c : t.crcs) c = sums.u32("summary chunk crc");
    t.checked = std::make_unique<std::atomic<std::uint8_t>[]>(chunks);
    for (std::uint32_t c = 0; c < chunks; ++c) t.checked[c].store(0, std::memory_order_relaxed);
  }
  const std::uint64_t toc_size = sums.offset() - sum_s.offset;
  if (crc32_of(base + sum_s.offset, toc_size) != sum_s.crc)
    throw fail("checksum mismatch in the summary section's table (the file is corrupted)", sum_s.offset);
  // The tables' rows follow the table of contents in its order, and fill the rest of the section.
  std::uint64_t next = toc_size;
  for (const SummaryTable& t : tables) {
    if (t.rows_at - sum_s.offset != next) throw fail("summary rows out of place", t.rows_at);
    next += std::uint64_t{t.rows} * t.row_bytes;
  }
  if (next != sum_s.size)
    throw fail("a summary section of " + std::to_string(sum_s.size) + " bytes for " + std::to_string(next) +
                   " bytes of tables and rows",
               sum_s.offset);
  if (!columns_apply) tables.clear();  // answers computed from double tables do not describe float tables

  std::sort(evaluated.begin(), evaluated.end());  // as the API keeps them: the rows of the columns
  evaluated.erase(std::unique(evaluated.begin(), evaluated.end()), evaluated.end());
  BasicAPI<Real> api;
  api.set_meta_archs(std::move(archs));
  api.set_evaluated_indexes(evaluated);
  api.set_source(std::move(filename), std::move(class_name));
  std::optional<std::vector<std::string>> stored_hps;
  if (columns_apply) stored_hps = std::move(summary_hps);
  auto source = std::make_shared<const CacheSource<Real>>(map, std::move(blocks), n, sections[2], refs,
                                                          std::move(strings), std::move(tables), std::move(stored_hps),
                                                          std::move(evaluated));
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
  std::size_t summaries = 0;      ///< summary tables whose every row was checked
  std::uint64_t bytes = 0;        ///< the file's size
};

/// Checks a whole cache file: the header, the architecture list, the index,
/// every architecture's head and data blocks (checksums, and every record
/// decoded and bounds-checked), every find_best column and summary row. LoadError naming
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
  c.summaries = source->verify_summaries();
  return c;
}

}  // namespace nasbench
