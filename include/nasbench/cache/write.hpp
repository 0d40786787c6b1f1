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


}  // namespace nasbench
