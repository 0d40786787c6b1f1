#pragma once
/// @file cache/write.hpp
/// `write_cache()`: a loaded benchmark as a cache file (what `nasbench
/// convert` runs), written atomically.

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
#include "nasbench/cache/summaries.hpp"
#include "nasbench/error.hpp"
#include "nasbench/version.hpp"

namespace nasbench {
namespace detail::cache {

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

/// Whether two arrays hold the same bits.
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

/// Writes the errors of a find_best column: u32 count, then (u32 row, u32 string id) by row.
inline void write_column_errors(BlockWriter& w, const BestColumn::Errors& errors, StringIds& strings) {
  w.count(errors.size());
  for (const auto& [row, message] : errors) {
    w.u32(static_cast<std::uint32_t>(row));
    w.u32(strings.id(message));
  }
}

/// The find_best columns section (cache/format.hpp): a table of contents,
/// then the bodies; a column whose costs (or accuracies) are those of an
/// earlier column of the same hp and dataset refers to it. Also the length of
/// the table of contents (what the section record's CRC covers).
template <typename Real>
std::pair<BlockWriter, std::size_t> column_section(const BasicAPI<Real>& api, StringIds& strings) {
  const std::vector<int> evaluated = api.evaluated_indexes();
  const auto keys = column_keys(api);
  std::vector<std::shared_ptr<const BestColumn>> cols;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> column_refs_of;  // (costs_from, accuracy_from) per column
  BlockWriter toc;
  toc.count(keys.size());
  std::vector<std::pair<std::size_t, BlockWriter>> body_of;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const auto& [hp, ds, set] = keys[k];
    const auto col = api.best_column(hp, ds, set);
    if (col->index != evaluated) throw Error("cannot write a cache: a find_best column's rows are not the evaluated architectures");
    std::uint32_t costs_from = kColumnInline, accuracy_from = kColumnInline;
    for (std::size_t j = 0; j < k; ++j) {  // an earlier column of the same hp and dataset holding the same values
      if (keys[j][0] != hp || keys[j][1] != ds) continue;
      const BestColumn& o = *cols[j];
      const auto& [o_costs, o_accuracy] = column_refs_of[j];
      if (costs_from == kColumnInline && o_costs == kColumnInline && same_bits(o.flops, col->flops) &&
          same_bits(o.params, col->params) && o.cost_errors == col->cost_errors)
        costs_from = static_cast<std::uint32_t>(j);
      if (accuracy_from == kColumnInline && o_accuracy == kColumnInline && same_bits(o.accuracy, col->accuracy) &&
          o.metric_errors == col->metric_errors)
        accuracy_from = static_cast<std::uint32_t>(j);
    }
    column_refs_of.emplace_back(costs_from, accuracy_from);
    cols.push_back(col);
    BlockWriter body;
    body.count(col->index.size());
    body.u32(costs_from);
    body.u32(accuracy_from);
    if (costs_from == kColumnInline) {
      for (double x : col->flops) body.f64(x);
      for (double x : col->params) body.f64(x);
      write_column_errors(body, col->cost_errors, strings);
    }
    if (accuracy_from == kColumnInline) {
      for (double x : col->accuracy) body.f64(x);
      write_column_errors(body, col->metric_errors, strings);
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
  return {std::move(columns), toc_size};
}

/// One summary row (cache/summaries.hpp) of architecture `index`, schedule
/// `hp` and dataset `ds`: each answer is stored only when the row gives it back
/// bit for bit (else the reader asks the tables, which answer or raise).
template <typename Real>
void summary_row(const BasicAPI<Real>& api, std::size_t index, const std::string& hp, const std::string& ds,
                 unsigned char* r, std::vector<std::string>& keys, std::size_t slots) {
  if (!api.has_results(static_cast<long long>(index))) return;
  const auto hps = api.hps(static_cast<long long>(index));
  if (std::find(hps.begin(), hps.end(), hp) == hps.end()) return;
  const ArchResults<Real>& ar = api.query_meta_info_by_index(static_cast<long long>(index), hp);
  std::uint8_t flags = kRowSchedule;
  if (ar.has_dataset(ds)) {
    flags |= kRowDataset;
    put_u32(r + row::kSeeds, static_cast<std::uint32_t>(ar.get_dataset_seeds(ds).size()));
  }
  r[row::kFlags] = flags;
  try {
    const std::optional<double> iepoch = ar.get_metrics(ds, "train", std::nullopt, SeedChoice::mean()).iepoch;
    MoreInfo m = api.get_more_info(static_cast<long long>(index), ds, std::nullopt, hp, SeedChoice::mean());
    m.comment.reset();  // made by the reader
    std::vector<unsigned char> scratch(r, r + kRowSize);  // the seed mean's part of the row
    if (iepoch) {
      encode_more_info(scratch.data(), m, *iepoch + 1);
      if (same_bits(decode_more_info(scratch.data()), m)) {
        std::copy(scratch.begin(), scratch.end(), r);
        r[row::kFlags] |= kRowMoreInfo;
      }
    }
  } catch (const QueryError&) {  // the reader asks the tables, which raise it
  }
  // get_more_info of each seed (is_random=True draws one of them): all or none.
  const std::vector<int> seeds = ar.has_dataset(ds) ? ar.get_dataset_seeds(ds) : std::vector<int>{};
  bool all = !seeds.empty() && seeds.size() <= slots;
  for (std::size_t k = 0; k < seeds.size() && all; ++k) {
    unsigned char* slot = r + kRowSize + k * kSlotSize;
    try {
      const SeedChoice seed = SeedChoice::seed(seeds[k]);
      const std::optional<double> iepoch = ar.get_metrics(ds, "train", std::nullopt, seed).iepoch;
      MoreInfo m = api.get_more_info(static_cast<long long>(index), ds, std::nullopt, hp, seed);
      m.comment.reset();
      if (!iepoch) throw QueryError("no train iepoch");
      encode_more_info(slot, m, *iepoch + 1);
      put_u32(slot + row::kSeeds, static_cast<std::uint32_t>(seeds[k]));
      slot[row::kFlags] = 1;
      all = same_bits(decode_more_info(slot), m);
    } catch (const QueryError&) {
      all = false;
    }
  }
  if (all) r[row::kFlags] |= kRowSeedInfo;
  else std::fill(r + kRowSize, r + row_size(slots), 0);
  try {
    const CostInfo c = api.get_cost_info(static_cast<long long>(index), ds, hp);
    std::vector<unsigned char> scratch(r, r + kRowSize);
    std::vector<std::string> more_keys = keys;
    if (encode_cost_info(scratch.data(), c, more_keys) && same_bits(decode_cost_info(scratch.data(), more_keys), c)) {
      std::copy(scratch.begin(), scratch.end(), r);
      r[row::kFlags] |= kRowCostInfo;
      keys = std::move(more_keys);
    }
  } catch (const QueryError&) {
  }
}

/// The summary section (cache/format.hpp): the evaluated architectures'
/// schedules, a table of contents, then per (hp, dataset) a row per
/// architecture; and the length of the table of contents (what the section
/// record's CRC covers: the rows are under the CRCs of their chunks).
template <typename Real>
std::pair<BlockWriter, std::size_t> summary_section(const BasicAPI<Real>& api) {
  const std::vector<std::string> hps = api.evaluated_hps();
  std::vector<std::pair<std::string, std::string>> tables;  // (hp, dataset), first seen
  for (int index : api.evaluated_indexes()) {
    if (!api.has_results(index)) continue;
    for (const auto& hp : api.hps(index))
      for (const auto& d : api.query_meta_info_by_index(index, hp).datasets())
        if (std::find(tables.begin(), tables.end(), std::make_pair(hp, d.name)) == tables.end())
          tables.emplace_back(hp, d.name);
  }
  const std::size_t n = api.size();
  BlockWriter toc;
  toc.count(hps.size());
  for (const auto& hp : hps) toc.str(hp);
  toc.count(tables.size());
  std::vector<std::pair<std::size_t, std::vector<unsigned char>>> bodies;  // (where its offset goes, rows)
  // Per table, the most seeds of its dataset among the architectures with results (at most kMaxSlots): its seed slots.
  std::vector<std::size_t> table_slots(tables.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (!api.has_results(static_cast<long long>(i))) continue;
    for (const auto& hp : api.hps(static_cast<long long>(i)))
      for (const auto& d : api.query_meta_info_by_index(static_cast<long long>(i), hp).datasets()) {
        const auto t = std::find(tables.begin(), tables.end(), std::make_pair(hp, d.name));
        if (t == tables.end()) continue;
        std::size_t& slots = table_slots[static_cast<std::size_t>(t - tables.begin())];
        slots = std::max(slots, std::min(kMaxSlots, d.seeds.size()));
      }
  }
  for (std::size_t ti = 0; ti < tables.size(); ++ti) {
    const auto& [hp, ds] = tables[ti];
    const std::size_t slots = table_slots[ti];
    const std::size_t size = row_size(slots);
    std::vector<unsigned char> rows(n * size, 0);
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < n; ++i) summary_row(api, i, hp, ds, rows.data() + i * size, keys, slots);
    toc.str(hp);
    toc.str(ds);
    toc.count(keys.size());
    for (const auto& k : keys) toc.str(k);
    toc.count(slots);
    const std::size_t offset_at = toc.bytes.size();
    toc.u64(0);  // patched below: the rows' offset relative to the section
    toc.count(n);
    const std::size_t chunks = (n + kRowsPerChunk - 1) / kRowsPerChunk;
    toc.count(chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t begin = c * kRowsPerChunk * size;
      toc.u32(crc32_of(rows.data() + begin, std::min(rows.size() - begin, kRowsPerChunk * size)));
    }
    bodies.emplace_back(offset_at, std::move(rows));
  }
  const std::size_t toc_size = toc.bytes.size();
  BlockWriter out = std::move(toc);
  for (auto& [at, rows] : bodies) {
    const std::uint64_t rel = out.bytes.size();
    for (int k = 0; k < 8; ++k) out.bytes[at + static_cast<std::size_t>(k)] = static_cast<unsigned char>(rel >> (8 * k));
    out.bytes.insert(out.bytes.end(), rows.begin(), rows.end());
  }
  return {std::move(out), toc_size};
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
  StringIds strings(api.meta_archs());  // the rest of the string table follows once the heads are written

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
    // The data blocks as they are made (8-byte aligned), then the head
    // blocks together (what a scan of the common queries reads), then the index.
    std::vector<Section> heads(api.size()), datas(api.size());
    BlockWriter head_bytes;
    for (std::size_t i = 0; i < api.size(); ++i) {
      if (!api.has_results(static_cast<long long>(i))) continue;
      BlockWriter head, data;
      const auto hps = api.hps(static_cast<long long>(i));
      head.count(hps.size());
      for (const auto& hp : hps) {
        head.u32(strings.id(hp));
        const std::size_t length_at = head.bytes.size();
        head.u32(0);  // patched: the length of this schedule's records, so that a reader can skip them
        head.u32(static_cast<std::uint32_t>(data.bytes.size()));  // where its values start in the data block
        write_arch(head, data, strings, api.query_meta_info_by_index(static_cast<long long>(i), hp));
        head.patch_u32(length_at, static_cast<std::uint32_t>(head.bytes.size() - length_at - 8));
      }
      data.align(8);  // the next block starts aligned; the padding is inside this block's checksum
      section_too_big(head.bytes.size(), "head block of one architecture");
      section_too_big(data.bytes.size(), "data block of one architecture");
      datas[i] = Section{pos, static_cast<std::uint32_t>(data.bytes.size()), crc32_of(data.bytes.data(), data.bytes.size())};
      put(data.bytes);
      heads[i] = Section{head_bytes.bytes.size(), static_cast<std::uint32_t>(head.bytes.size()),
                         crc32_of(head.bytes.data(), head.bytes.size())};  // offset: relative until placed
      head_bytes.bytes.insert(head_bytes.bytes.end(), head.bytes.begin(), head.bytes.end());
    }
    const std::uint64_t heads_at = pos;
    put(head_bytes.bytes);
    std::vector<unsigned char>().swap(head_bytes.bytes);
    // The find_best columns name their errors by string id: made before the string table is closed.
    auto [columns, columns_toc] = column_section(api, strings);
    meta.count(strings.extra.size());
    for (const auto& x : strings.extra) meta.str(x);
    section_too_big(meta.bytes.size(), "architecture list");
    Section meta_s{pos, static_cast<std::uint32_t>(meta.bytes.size()), crc32_of(meta.bytes.data(), meta.bytes.size())};
    put(meta.bytes);
    BlockWriter index;
    for (std::size_t i = 0; i < api.size(); ++i) {
      if (!api.has_results(static_cast<long long>(i))) {
        index.section(Section{});
        index.section(Section{});
        continue;
      }
      index.section(Section{heads_at + heads[i].offset, heads[i].size, heads[i].crc});
      index.section(datas[i]);
    }
    Section index_s{pos, static_cast<std::uint32_t>(index.bytes.size()),
                    crc32_of(index.bytes.data(), index.bytes.size())};
    put(index.bytes);

    section_too_big(columns.bytes.size(), "find_best columns");
    Section columns_s{pos, static_cast<std::uint32_t>(columns.bytes.size()), crc32_of(columns.bytes.data(), columns_toc)};
    put(columns.bytes);

    // Summary rows: the answers of the common queries, read in place.
    auto [summaries, summaries_toc] = summary_section(api);
    section_too_big(summaries.bytes.size(), "summary section");
    Section summaries_s{pos, static_cast<std::uint32_t>(summaries.bytes.size()),
                        crc32_of(summaries.bytes.data(), summaries_toc)};
    put(summaries.bytes);

    BlockWriter header;
    header.bytes.insert(header.bytes.end(), kCacheMagic.begin(), kCacheMagic.end());
    header.u32(kCacheFormatVersion);
    header.u32(static_cast<std::uint32_t>(kHeaderSize));
    header.u64(pos);
    for (const Section& s : {meta_s, index_s, columns_s, summaries_s}) header.section(s);
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


}  // namespace nasbench
