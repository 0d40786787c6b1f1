#pragma once
/// @file io/load.hpp
/// The io layer: benchmark files into the typed tables of the api layer: NAS-Bench-201
/// `.pth` (legacy or zip torch.save), NATS-Bench single files (plain or bz2
/// pickle), and NATS-Bench directories (`meta.pickle.pbz2` + `NNNNNN.pickle.pbz2`).
/// The container is recognised by content, not by name. Torch-free.
///
/// Streaming: each ResultsCount state is converted into its typed table the
/// moment the unpickler completes it, and each ArchResults state right after,
/// so the generic object tree of the whole file is never held (the reader
/// replaces converted dicts by small handles, memo included).
///
/// @code
/// auto api = nasbench::NASBench201API::load("NAS-Bench-201-v1_1-096897.pth");
/// auto api2 = nasbench::load_api<float>("NATS-tss-v1_0-3ffb9-simple/");  // directory
/// @endcode

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/cache/cache.hpp"
#include "nasbench/error.hpp"
#include "nasbench/io/convert.hpp"
#include "nasbench/io/progress.hpp"
#include "nasbench/pickle.hpp"
#include "nasbench/platform/memory.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/fields.hpp"
#include "nasbench/results/net_state.hpp"

namespace nasbench {

namespace detail {

/// The on_complete hook: converts runs and archs as soon as they are complete.
template <typename Real>
pickle::ReaderOptions streaming_options(const LoadOptions& options, std::shared_ptr<std::uint64_t> counter,
                                        std::shared_ptr<const StorageTable> storages) {
  pickle::ReaderOptions ro;
  ro.prescan_memo = false;
  ro.on_complete = [&options, counter, storages](pickle::Value& v) {
    if (!v.is_dict()) return;
    if (looks_like_run(v)) {
      if (!options.datasets.empty()) {  // a run of a dataset left out is not converted at all
        const pickle::Value* name = v.find("name");
        if (name && name->is_str() && !options.wants_dataset(name->as_str())) {
          auto c = std::make_shared<Converted<ResultsCount<Real>>>();
          c->skipped = std::string(name->as_str());
          v.become_handle(kRunHandle, std::move(c));
          return;
        }
      }
      convert_to_handle<ResultsCount<Real>>(v, kRunHandle,
                                            [&](const pickle::Value& s) { return convert_run<Real>(s, storages, options.final_epoch_only); });
      ++*counter;
      if (options.progress && (*counter & 1023) == 0) options.progress(*counter);
    } else if (looks_like_arch(v)) {
      convert_to_handle<ArchResults<Real>>(
          v, kArchHandle, [&](const pickle::Value& s) { return convert_arch<Real>(s, storages, options); });
    }
  };
  return ro;
}

inline std::vector<std::string> read_meta_archs(const pickle::Value& root) {
  const pickle::Value& m = field(root, "meta_archs");
  if (!m.is_list() && !m.is_tuple()) schema_fail("['meta_archs']", "list", m);
  std::vector<std::string> archs;
  archs.reserve(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (!m[i].is_str()) schema_fail("['meta_archs'][" + std::to_string(i) + "]", "str", m[i]);
    archs.emplace_back(m[i].as_str());
  }
  return archs;
}

inline std::vector<int> read_index_list(const pickle::Value& v, const std::string& path) {
  if (!v.is_list() && !v.is_tuple() && !v.is_set()) schema_fail(path, "a list or set of ints", v);
  std::vector<int> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_int()) schema_fail(path + "[" + std::to_string(i) + "]", "int", v[i]);
    out.push_back(static_cast<int>(v[i].as_int()));
  }
  return out;
}

/// The hp -> ArchResults of one architecture: `{'full': .., 'less': ..}`
/// (NAS-Bench-201: 'less' is hp '12', 'full' hp '200', stored '12' first as
/// Python's API does) or `OrderedDict(hp -> ..)` (NATS-Bench).
/// Its results, in file order; the hps LoadOptions::hps leaves out go to `skipped`.
template <typename Real>
std::vector<HpResults<Real>> arch_entry_results(const pickle::Value& entry, const std::string& path,
                                                const std::shared_ptr<const StorageTable>& storages,
                                                const LoadOptions& options, std::vector<std::string>& skipped) {
  if (!entry.is_dict()) schema_fail(path, "dict", entry);
  const pickle::Value* less = entry.find("less");
  const pickle::Value* full = entry.find("full");
  std::vector<HpResults<Real>> out;
  auto add = [&](const pickle::Value& v, std::string hp, const std::string& sub) {
    if (!options.wants_hp(hp)) {
      skipped.push_back(std::move(hp));
      return;
    }
    try {
      ArchResults<Real> results = take_arch<Real>(v, storages, options);
      for (auto& h : out)
        if (h.hp == hp) {  // a key given twice: its last value, as a Python dict
          h.results = std::move(results);
          return;
        }
      out.push_back(HpResults<Real>{std::move(hp), std::move(results)});
    } catch (const SchemaError& e) {
      throw e.prefixed(path + sub);
    }
  };
  if (less || full) {
    if (less) add(*less, "12", "['less']");
    if (full) add(*full, "200", "['full']");
    return out;
  }
  for (const auto& [hp, v] : entry.dict_items()) {
    if (!hp.is_str()) schema_fail(path + "[" + hp.repr(pickle::kMessageRepr) + "]", "an hp str key", hp);
    add(v, std::string(hp.as_str()), "['" + std::string(hp.as_str()) + "']");
  }
  return out;
}

/// arch_entry_results() into `api` as architecture `index`.
template <typename Real>
void add_arch_entry(BasicAPI<Real>& api, int index, const pickle::Value& entry, const std::string& path,
                    const std::shared_ptr<const StorageTable>& storages, const LoadOptions& options) {
  std::vector<std::string> skipped;
  for (auto& h : arch_entry_results<Real>(entry, path, storages, options, skipped))
    api.add_results(index, std::move(h.hp), std::move(h.results));
  for (const auto& hp : skipped) api.note_skipped_hp(hp);
}

/// The class name (so the semantics and space, BasicAPI::set_source) of a
/// benchmark whose architectures are `archs`: the size space's are channels strings.
inline std::string class_name_for(const std::vector<std::string>& archs, bool nats) {
  const bool size = !archs.empty() && archs.front().find('|') == std::string::npos;
  return BasicAPI<double>::class_name_of(nats ? Semantics::kNats : Semantics::kNasBench201,
                                         size ? SearchSpace::kSize : SearchSpace::kTopology);
}

inline LoadError to_load_error(const SchemaError& e, const std::string& file) {
  return LoadError(std::string(e.what()) + " in \"" + file + "\"", LoadError::kNoOffset,
                   e.path().empty() ? std::string() : e.path());
}

inline bool is_arch_file_name(const std::string& name) {
  static constexpr std::string_view kSuffix = ".pickle.pbz2";
  if (name.size() != 6 + kSuffix.size()) return false;
  for (std::size_t i = 0; i < 6; ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return name.compare(6, std::string::npos, kSuffix) == 0;
}

}  // namespace detail

/// Builds an API from an already-unpickled benchmark object (the dict a
/// `.pth` or NATS single file holds). `source_name` appears in repr() and errors.
template <typename Real>
[[nodiscard]] BasicAPI<Real> api_from_value(const pickle::Value& root, const std::string& source_name = "<object>",
                                            const std::shared_ptr<const StorageTable>& storages = nullptr,
                                            const LoadOptions& options = detail::no_options()) {
  using namespace detail;
  BasicAPI<Real> api;
  try {
    if (!root.is_dict()) schema_fail("", "a benchmark dict with 'meta_archs' and 'arch2infos'", root);
    api.set_meta_archs(read_meta_archs(root));
    const pickle::Value& infos = field(root, "arch2infos");
    bool nats = false;
    std::vector<int> present;
    if (!infos.is_none()) {
      if (!infos.is_dict()) schema_fail("['arch2infos']", "dict", infos);
      for (const auto& [k, v] : infos.dict_items()) {
        const std::string path = "arch2infos[" + k.repr(pickle::kMessageRepr) + "]";
        if (!k.is_int()) schema_fail(path, "an int index key", k);
        const std::int64_t index = k.as_int();
        if (index < 0 || static_cast<std::size_t>(index) >= api.size())
          throw SchemaError(path, "index " + std::to_string(index) + " out of range (" + std::to_string(api.size()) +
                                      " architectures)");
        if (v.is_dict() && !v.find("less") && !v.find("full")) nats = true;
        add_arch_entry(api, static_cast<int>(index), v, path, storages, options);
        present.push_back(static_cast<int>(index));
      }
    }
    std::vector<int> evaluated;
    if (const pickle::Value* e = optional_field(root, "evaluated_indexes"))
      evaluated = read_index_list(*e, "['evaluated_indexes']");
    else
      evaluated = present;
    for (int i : evaluated)
      if (i < 0 || static_cast<std::size_t>(i) >= api.size())
        throw SchemaError("['evaluated_indexes']", "index " + std::to_string(i) + " out of range");
    api.set_evaluated_indexes(std::move(evaluated));
    api.set_source(std::filesystem::path(source_name).filename().string(),
                   class_name_for(api.meta_archs(), nats));
  } catch (const SchemaError& e) {
    throw to_load_error(e, source_name);
  }
  return api;
}

namespace detail {
using platform::release_free_memory;

/// api_from_value(), then the decoded tree is dismantled (no cycle of a
/// hostile file can outlive the load).
template <typename Real>
BasicAPI<Real> from_document(pickle::Document doc, const std::string& path,
                             const std::shared_ptr<const StorageTable>& storages, const LoadOptions& options) {
  try {
    BasicAPI<Real> api = api_from_value<Real>(doc.root, path, storages, options);
    pickle::dismantle(std::move(doc.root));
    return api;
  } catch (...) {
    pickle::dismantle(std::move(doc.root));
    throw;
  }
}
/// Opens one file with the streaming hook; `table` receives its storages.
template <typename Real>
pickle::Document open_streaming(const std::string& path, const LoadOptions& options,
                                const std::shared_ptr<std::uint64_t>& counter,
                                const std::shared_ptr<StorageTable>& table, bool prescan) {
  pickle::ReaderOptions ro = streaming_options<Real>(options, counter, table);
  ro.prescan_memo = prescan;
  pickle::Document doc = pickle::open(path, ro);
  table->path = doc.path;
  table->records = doc.storages;
  return doc;
}

}  // namespace detail

/// Loads a benchmark from `path`: a NAS-Bench-201 `.pth` (legacy or zip
/// torch.save), a NATS-Bench single file (pickle or bz2 pickle), or a NATS-Bench
/// directory with `meta.pickle.pbz2` and `NNNNNN.pickle.pbz2` files (every one
/// of them is loaded), or a nasbench cache. LoadError for anything unreadable
/// or off-schema. A `.pth` answers with nas_201_api's semantics, a NATS-Bench
/// file or directory with nats_bench's, in the space its architectures are
/// from (the cache keeps what it was written from). io/nats.hpp's create()
/// is nats_bench's `create(path, space, fast_mode)`.
template <typename Real>
[[nodiscard]] BasicAPI<Real> load_api(const std::string& path, const LoadOptions& options = {}) {
  namespace fs = std::filesystem;
  using namespace detail;
  auto counter = std::make_shared<std::uint64_t>(0);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path dir(path);
    const fs::path meta_path = dir / "meta.pickle.pbz2";
    if (!fs::exists(meta_path, ec))
      throw LoadError("directory \"" + path + "\" has no meta.pickle.pbz2 (not a NATS-Bench benchmark directory)");
    auto meta_table = std::make_shared<StorageTable>();
    BasicAPI<Real> api = from_document<Real>(
        open_streaming<Real>(meta_path.string(), options, counter, meta_table, false), meta_path.string(), meta_table,
        options);
    std::vector<int> evaluated(api.evaluated_indexes());
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (is_arch_file_name(e.path().filename().string())) files.push_back(e.path().filename().string());
    if (ec) throw LoadError("cannot list directory \"" + path + "\": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& name : files) {
      const int index = std::stoi(name.substr(0, 6));
      const std::string file = (dir / name).string();
      if (static_cast<std::size_t>(index) >= api.size())
        throw LoadError("\"" + file + "\": index " + std::to_string(index) + " out of range (" +
                        std::to_string(api.size()) + " architectures in meta)");
      auto table = std::make_shared<StorageTable>();
      pickle::Document doc = open_streaming<Real>(file, options, counter, table, false);
      try {
        add_arch_entry(api, index, doc.root, "", table, options);
      } catch (const SchemaError& e) {
        pickle::dismantle(std::move(doc.root));
        throw to_load_error(e, file);
      }
      pickle::dismantle(std::move(doc.root));
      evaluated.push_back(index);
    }
    api.set_evaluated_indexes(std::move(evaluated));
    api.set_source(dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string(),
                   class_name_for(api.meta_archs(), true));
    if (options.progress) options.progress(*counter);
    release_free_memory();
    return api;
  }
  if (is_cache_file(path)) {
    if (!options.hps.empty() || !options.datasets.empty() || options.final_epoch_only)
      throw LoadError("\"" + path + "\" is a cache file: LoadOptions::hps, ::datasets and ::final_epoch_only apply to "
                      "benchmark files (a cache maps only what is touched)");
    return open_cache<Real>(path);
  }
  // A first pass finds the memo entries that are ever read back, so only those
  // are kept: the working set stays bounded (3x less peak memory on large
  // files). Not for bz2, where the second pass would decompress everything twice.
  const pickle::Format format = pickle::detect_format(path);
  const bool prescan = format != pickle::Format::kBz2Pickle;
  auto table = std::make_shared<StorageTable>();
  BasicAPI<Real> api =
      from_document<Real>(open_streaming<Real>(path, options, counter, table, prescan), path, table, options);
  // The container decides the semantics: NATS-Bench releases are plain (bz2) pickles, NAS-Bench-201's torch.save files.
  const bool nats = format == pickle::Format::kPickle || format == pickle::Format::kBz2Pickle;
  api.set_source(api.filename(), class_name_for(api.meta_archs(), nats));
  if (options.progress) options.progress(*counter);
  release_free_memory();
  return api;
}

namespace detail {
/// The file of architecture `index` in a NATS-Bench directory: `NNNNNN.pickle.pbz2`,
/// else `N.pickle.pbz2` (as nats_bench looks); nullopt when neither exists.
/// `tried` receives the paths looked at.
inline std::optional<std::string> nats_arch_file(const std::string& directory, std::size_t index,
                                                 std::vector<std::string>* tried = nullptr) {
  namespace fs = std::filesystem;
  char padded[32], plain[32];
  std::snprintf(padded, sizeof padded, "%06zu.pickle.pbz2", index);
  std::snprintf(plain, sizeof plain, "%zu.pickle.pbz2", index);
  std::error_code ec;
  for (const char* name : {padded, plain}) {
    const std::string file = (fs::path(directory) / name).string();
    if (tried && (tried->empty() || tried->back() != file)) tried->push_back(file);
    if (fs::is_regular_file(file, ec)) return file;
  }
  return std::nullopt;
}

/// The archive file of architecture `index` under `archive_root`: NAS-Bench-201's
/// `NNNNNN-FULL.pth`, else NATS-Bench's `NNNNNN.pickle.pbz2`, else the unpadded
/// `N.pickle.pbz2` (as nats_bench tries them). LoadError naming every path tried.
inline std::string archive_file(const std::string& archive_root, int index) {
  namespace fs = std::filesystem;
  char padded[32];
  std::snprintf(padded, sizeof padded, "%06d-FULL.pth", index);
  std::vector<std::string> tried{(fs::path(archive_root) / padded).string()};
  std::error_code ec;
  if (fs::is_regular_file(tried.back(), ec)) return tried.back();
  if (auto file = nats_arch_file(archive_root, static_cast<std::size_t>(index), &tried)) return *file;
  std::string also;
  for (std::size_t i = 1; i < tried.size(); ++i)
    if (tried[i] != tried[i - 1]) also += (also.empty() ? "; also tried \"" : ", \"") + tried[i] + "\"";
  throw LoadError("invalid data path \"" + tried.front() + "\" (no such archive file)" + also);
}
}  // namespace detail

/// Python's `reload(archive_root, index)`: replaces the results of
/// architecture `index` (every architecture when nullopt) with those of its
/// archive file: `archive_root/NNNNNN-FULL.pth` (NAS-Bench-201: `{'less': ...,
/// 'full': ...}`) or `archive_root/NNNNNN.pickle.pbz2` / `N.pickle.pbz2`
/// (NATS-Bench `-full`: OrderedDict hp -> ArchResults, every hp replaced),
/// trained weights included. A file that fails to convert leaves the API as it was.
template <typename Real>
void reload_archive(BasicAPI<Real>& api, const std::string& archive_root, std::optional<int> index = std::nullopt) {
  namespace fs = std::filesystem;
  using namespace detail;
  std::error_code ec;
  if (!fs::is_directory(archive_root, ec)) throw LoadError("invalid archive directory \"" + archive_root + "\"");
  std::vector<int> indexes;
  if (index) {
    indexes.push_back(*index);
  } else {
    for (std::size_t i = 0; i < api.size(); ++i) indexes.push_back(static_cast<int>(i));
  }
  for (int idx : indexes) {
    if (idx < 0 || static_cast<std::size_t>(idx) >= api.size())
      throw QueryError("invalid architecture index " + std::to_string(idx) + " (expected 0.." +
                       std::to_string(static_cast<long long>(api.size()) - 1) + ")");
    const std::string file = archive_file(archive_root, idx);
    const bool nb201 = file.size() > 9 && file.compare(file.size() - 9, 9, "-FULL.pth") == 0;
    auto counter = std::make_shared<std::uint64_t>(0);
    auto table = std::make_shared<StorageTable>();
    pickle::Document doc = open_streaming<Real>(file, no_options(), counter, table, false);
    try {
      if (nb201 && (!doc.root.is_dict() || !doc.root.find("less") || !doc.root.find("full")))
        throw SchemaError("", "expected a dict with 'less' and 'full'");
      if (!nb201 && !doc.root.is_dict()) schema_fail("", "an OrderedDict hp -> ArchResults", doc.root);
      std::vector<std::string> skipped;  // convert first, so a bad file leaves the API untouched
      auto results = arch_entry_results<Real>(doc.root, "", table, no_options(), skipped);
      api.remove_results(idx);
      for (auto& h : results) api.add_results(idx, std::move(h.hp), std::move(h.results));
      const auto& evaluated = api.evaluated_indexes();
      if (!nb201 && !std::binary_search(evaluated.begin(), evaluated.end(), idx)) {  // nats_bench adds it
        std::vector<int> more(evaluated);
        more.push_back(idx);
        api.set_evaluated_indexes(std::move(more));
      }
    } catch (const SchemaError& e) {
      pickle::dismantle(std::move(doc.root));
      throw to_load_error(e, file);
    }
    pickle::dismantle(std::move(doc.root));
  }
}

namespace detail {
/// BasicAPI::load and reload (api/basic_api.hpp) reach the io layer here.
template <typename Real>
struct Loader {
  static BasicAPI<Real> load(const std::string& path, const LoadOptions& options) {
    return load_api<Real>(path, options);
  }
  static void reload(BasicAPI<Real>& api, const std::string& archive_root, std::optional<int> index) {
    reload_archive(api, archive_root, index);
  }
};
}  // namespace detail

}  // namespace nasbench
