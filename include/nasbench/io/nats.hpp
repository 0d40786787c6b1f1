#pragma once
/// @file io/nats.hpp
/// NATS-Bench's way in: `create(path, space, fast_mode)` as `nats_bench.create`,
/// and fast mode: a directory's `meta.pickle.pbz2` read at creation, each
/// architecture's `NNNNNN.pickle.pbz2` on its first use (`NatsArchiveSource`).
/// Torch-free.
///
/// @code
/// auto api = nasbench::create("NATS-tss-v1_0-3ffb9-simple", "tss", /*fast_mode=*/true);  // milliseconds
/// auto info = api.get_more_info(1234, "cifar100", std::nullopt, "200", nasbench::SeedChoice::mean());  // reads 001234
/// @endcode
///
/// Where nasbench differs from nats_bench v1.8 here, on purpose:
/// - `fast_mode=false` also takes a directory (every architecture is read at
///   creation, as load() does) and a nasbench cache; Python takes a single file only.
/// - A missing or broken architecture file is a LoadError naming the file,
///   raised by the query that needed it; the API stays usable for the others
///   (Python fails on an assert).
/// - `find_best(..., enforce_all=true)` scans the architectures the directory
///   has a file for (Python fails on the first one without: NATS-Bench issue #7).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/io/load.hpp"
#include "nasbench/space/search_space.hpp"

namespace nasbench {

namespace detail {

/// The index a NATS-Bench architecture file name gives (`000123.pickle.pbz2`
/// or `123.pickle.pbz2`), or nullopt for any other name.
inline std::optional<std::size_t> nats_arch_file_index(const std::string& name) {
  static constexpr std::string_view kSuffix = ".pickle.pbz2";
  if (name.size() <= kSuffix.size() || name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
    return std::nullopt;
  const std::size_t digits = name.size() - kSuffix.size();
  if (digits > 9) return std::nullopt;
  std::size_t index = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(name[i] - '0');
  }
  return index;
}

/// The results of one architecture file (`OrderedDict hp -> ArchResults`
/// state, or NAS-Bench-201's `{'less', 'full'}`), read on its own.
template <typename Real>
std::vector<HpResults<Real>> read_arch_file(const std::string& file, const LoadOptions& options) {
  auto counter = std::make_shared<std::uint64_t>(0);
  auto table = std::make_shared<StorageTable>();
  pickle::Document doc = open_streaming<Real>(file, options, counter, table, false);
  std::vector<std::string> skipped;
  try {
    auto out = arch_entry_results<Real>(doc.root, "", table, options, skipped);
    pickle::dismantle(std::move(doc.root));
    return out;
  } catch (const SchemaError& e) {
    pickle::dismantle(std::move(doc.root));
    throw to_load_error(e, file);
  }
}

}  // namespace detail

/// Fast mode's source of results: architecture `i` comes from `DIR/NNNNNN.pickle.pbz2`
/// (or `DIR/i.pickle.pbz2`) when a query first needs it. The API serialises
/// the loads (one read per architecture, whatever the threads).
template <typename Real>
class NatsArchiveSource final : public ResultsProvider<Real> {
 public:
  NatsArchiveSource(std::string directory, std::size_t count, LoadOptions options)
      : directory_(std::move(directory)), count_(count), options_(std::move(options)) {
    options_.progress = nullptr;  // a progress callback of the creation need not outlive it
  }

  [[nodiscard]] bool has_results(std::size_t index) const noexcept override { return index < count_; }

  [[nodiscard]] std::vector<HpResults<Real>> load(std::size_t index) const override {
    std::vector<std::string> tried;
    const std::optional<std::string> file = detail::nats_arch_file(directory_, index, &tried);
    if (!file)
      throw LoadError("fast mode: no file for architecture " + std::to_string(index) + " (tried " +
                      detail::join(tried, [](const std::string& f) { return detail::quoted(f); }, " and ") + ")");
    return detail::read_arch_file<Real>(*file, options_);
  }

  [[nodiscard]] std::shared_ptr<const BestColumn> column(const std::string&, const std::string&,
                                                         const std::string&) const override {
    return nullptr;
  }

  [[nodiscard]] bool grows() const noexcept override { return true; }

  /// The architectures the directory has a file for, ascending.
  [[nodiscard]] std::vector<std::size_t> available(std::size_t count) const override {
    namespace fs = std::filesystem;
    std::vector<std::size_t> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(directory_, ec)) {
      const auto index = detail::nats_arch_file_index(e.path().filename().string());
      if (index && *index < count && *index < count_) out.push_back(*index);
    }
    if (ec) throw LoadError("cannot list directory \"" + directory_ + "\": " + ec.message());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  [[nodiscard]] std::shared_ptr<const ResultsProvider<Real>> with_directory(
      const std::string& directory) const override {
    return std::make_shared<const NatsArchiveSource>(directory, count_, options_);
  }

  /// The directory the files come from.
  [[nodiscard]] const std::string& directory() const noexcept { return directory_; }

 private:
  std::string directory_;
  std::size_t count_;
  LoadOptions options_;
};

/// `nats_bench.create(path, space, fast_mode)`: the NATS-Bench API of
/// `space` ("tss" or "topology", "sss" or "size") from `path`:
/// - fast_mode=false: a single `.pickle.pbz2` benchmark file, a directory
///   (meta + every architecture file, all read now) or a nasbench cache;
/// - fast_mode=true: a directory; only `meta.pickle.pbz2` is read now, each
///   architecture file on the first query that needs it.
/// LoadError when `space` is no space's name, when the file holds the other
/// space (the message names it), or for fast mode on anything but a directory.
/// A NAS-Bench-201 `.pth` opened this way keeps nas_201_api's semantics.
template <typename Real = double>
[[nodiscard]] BasicAPI<Real> create(const std::string& path, std::string_view space, bool fast_mode = false,
                                    const LoadOptions& options = {});

/// create() with the space as a type, or nullopt: whichever space the file holds.
template <typename Real = double>
[[nodiscard]] BasicAPI<Real> open_nats(const std::string& path, std::optional<SearchSpace> space, bool fast_mode,
                                       const LoadOptions& options = {}) {
  namespace fs = std::filesystem;
  std::error_code ec;
  BasicAPI<Real> api;
  if (fast_mode) {
    if (!fs::is_directory(path, ec))
      throw LoadError("fast_mode=True reads a NATS-Bench directory (meta.pickle.pbz2 + NNNNNN.pickle.pbz2), and \"" +
                      path + "\" is " + (fs::exists(path, ec) ? "not a directory" : "missing") +
                      " (open a single file with fast_mode=False)");
    const fs::path dir(path);
    const fs::path meta = dir / "meta.pickle.pbz2";
    if (!fs::exists(meta, ec))
      throw LoadError("directory \"" + path + "\" has no meta.pickle.pbz2 (not a NATS-Bench benchmark directory)");
    auto counter = std::make_shared<std::uint64_t>(0);
    auto table = std::make_shared<StorageTable>();
    api = detail::from_document<Real>(detail::open_streaming<Real>(meta.string(), options, counter, table, false),
                                      meta.string(), table, options);
    api.set_evaluated_indexes({});  // as nats_bench: nothing is evaluated until read
    const std::string name = dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
    api.set_source(name, detail::class_name_for(api.meta_archs(), true));
    api.set_source_of_results(std::make_shared<const NatsArchiveSource<Real>>(path, api.size(), options));
    api.set_fast_mode(path);
  } else {
    api = load_api<Real>(path, options);
  }
  if (space && api.search_space() != *space)
    throw LoadError("\"" + path + "\" holds the " + std::string(to_string(api.search_space())) + " space (" +
                    api.class_name() + ", " + std::to_string(api.size()) + " architectures), not the " +
                    std::string(to_string(*space)) + " space asked for");
  return api;
}

template <typename Real>
BasicAPI<Real> create(const std::string& path, std::string_view space, bool fast_mode, const LoadOptions& options) {
  SearchSpace wanted;
  try {
    wanted = parse_search_space(space);
  } catch (const QueryError& e) {
    throw LoadError(e.message());
  }
  return open_nats<Real>(path, wanted, fast_mode, options);
}

}  // namespace nasbench
