#pragma once
/// @file pickle/container.hpp
/// Opens a benchmark file by its content: a plain pickle, a bz2-compressed
/// pickle (NATS-Bench `.pickle.pbz2`), a legacy torch.save file (NAS-Bench-201
/// `.pth`) or a zip torch.save file (torch >= 1.6), and returns a Document:
/// the root value, the format, and the table of tensor storages with where
/// their raw bytes are. No LibTorch: turning storages into tensors is left to
/// the caller (nasbench/nn).
///
/// Tensors in a plain pickle (NATS-Bench `-full` archives) carry their
/// storage as `torch.storage._load_from_bytes(<a torch.save of the storage>)`
/// (legacy container in torch 1.x and 2.x; a zip one is read too): those
/// bytes are opened in memory and their storage joins the Document's, keyed
/// `bytes@<offset of the call>`.
///
/// @code
///   auto doc = nasbench::pickle::open("NAS-Bench-201-v1_1-096897.pth");
///   const auto& archs = doc.root.at("meta_archs");
///   for (const auto& s : doc.storages) auto bytes = doc.storage_bytes(s.key);
/// @endcode

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nasbench/pickle/reader.hpp>
#include <nasbench/pickle/source.hpp>
#include <nasbench/pickle/value.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nasbench::pickle {

/// The container formats `open` recognises.
enum class Format : std::uint8_t {
  kPickle,       ///< A plain pickle.
  kBz2Pickle,    ///< A bz2-compressed pickle (starts with "BZh").
  kTorchLegacy,  ///< torch.save(..., _use_new_zipfile_serialization=False).
  kTorchZip,     ///< torch.save zip archive (starts with "PK\x03\x04").
};

/// Name of a format ("pickle", "bz2-pickle", "torch-legacy", "torch-zip").
[[nodiscard]] inline std::string_view to_string(Format f) noexcept {
  switch (f) {
    case Format::kPickle: return "pickle";
    case Format::kBz2Pickle: return "bz2-pickle";
    case Format::kTorchLegacy: return "torch-legacy";
    case Format::kTorchZip: return "torch-zip";
  }
  return "?";
}

/// One tensor storage of a torch.save file and where its raw bytes are.
struct StorageRecord {
  std::string key;                              ///< Persistent-id key (zip: "0", "1", ...).
  ScalarType dtype = ScalarType::kUInt8;        ///< Element type.
  std::string location;                         ///< Device the storage was saved from ("cpu", "cuda:0").
  std::uint64_t numel = 0;                      ///< Elements of `dtype`.
  std::uint64_t nbytes = 0;                     ///< numel * element_size(dtype).
  std::string path;                             ///< File holding the bytes.
  std::uint64_t offset = LoadError::kNoOffset;  ///< Legacy: byte offset of the data in `path`.
  std::string zip_entry;                        ///< Zip: entry name, e.g. "archive/data/0".
  /// A container held in memory (torch.storage._load_from_bytes): `offset` or
  /// `zip_entry` point into it; `path` then names the file it came from.
  std::shared_ptr<const std::string> memory;
};

/// Reads a storage's raw bytes (little-endian, as torch wrote them) into `dst`
/// (`record.nbytes` bytes).
inline void read_storage_into(const StorageRecord& record, void* dst) {
  std::size_t got = 0;
  if (!record.zip_entry.empty()) {
    ZipEntrySource src(record.memory ? open_zip_memory(record.memory, record.path) : open_zip(record.path),
                       record.zip_entry, record.path);
    got = src.read(dst, static_cast<std::size_t>(record.nbytes));
  } else if (record.offset != LoadError::kNoOffset) {
    std::unique_ptr<Source> src;
    if (record.memory)
      src = std::make_unique<MemorySource>(*record.memory, record.path);
    else
      src = std::make_unique<FileSource>(record.path, 1 << 16);
    if (!src->seek(record.offset))
      throw LoadError("storage \"" + record.key + "\" lies beyond the end of \"" + record.path + "\"",
                      record.offset);
    got = src->read(dst, static_cast<std::size_t>(record.nbytes));
  } else {
    throw LoadError("storage \"" + record.key + "\" has no data location");
  }
  if (got != record.nbytes)
    throw LoadError("truncated data for storage \"" + record.key + "\" in \"" + record.path +
                    "\": " + std::to_string(got) + " of " + std::to_string(record.nbytes) + " bytes");
}

/// Reads a storage's raw bytes.
[[nodiscard]] inline std::vector<std::uint8_t> read_storage_bytes(const StorageRecord& record) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(record.nbytes));
  read_storage_into(record, out.data());
  return out;
}

/// An opened file: its root value, format and storages.
///
/// A hostile file can make the root hold a reference cycle (a list that
/// contains itself), which refcounting alone never frees. When the root pickle
/// could have made one (`cycles_possible`), the destructor (and an assignment
/// that replaces the root) frees the cycles that only this Document's root
/// holds, as Reader::load does for its stack and memo; values of the tree held
/// elsewhere (a copy of the Document, a sub-value kept) are left as they are.
/// A root moved out or dismantled costs nothing here.
class Document {
 public:
  Value root;                           ///< The unpickled object.
  Format format = Format::kPickle;      ///< What the file was.
  std::string path;                     ///< The file's path.
  std::vector<StorageRecord> storages;  ///< Storages in order of first use (torch formats; plain pickles: _load_from_bytes).
  /// The root pickle pushed a container a second time (ReaderStats::cycles_possible).
  bool cycles_possible = false;

  Document() = default;
  Document(const Document&) = default;
  Document(Document&& o) noexcept
      : root(std::move(o.root)),
        format(o.format),
        path(std::move(o.path)),
        storages(std::move(o.storages)),
        cycles_possible(o.cycles_possible) {
    o.cycles_possible = false;
  }
  Document& operator=(const Document& o) {
    if (this != &o) *this = Document(o);
    return *this;
  }
  Document& operator=(Document&& o) noexcept {
    if (this != &o) {
      release_root();
      root = std::move(o.root);
      format = o.format;
      path = std::move(o.path);
      storages = std::move(o.storages);
      cycles_possible = o.cycles_possible;
      o.cycles_possible = false;
    }
    return *this;
  }
  ~Document() { release_root(); }

  /// The storage with this key, or nullptr.
  [[nodiscard]] const StorageRecord* find_storage(std::string_view key) const {
    for (const auto& s : storages)
      if (s.key == key) return &s;
    return nullptr;
  }
  /// Raw bytes of a storage; LoadError for an unknown key.
  [[nodiscard]] std::vector<std::uint8_t> storage_bytes(std::string_view key) const {
    const StorageRecord* r = find_storage(key);
    if (r == nullptr) throw LoadError("no storage \"" + std::string(key) + "\" in \"" + path + "\"");
    return read_storage_bytes(*r);
  }

 private:
  // Drops the root, first freeing the cycles that nothing but it holds.
  void release_root() noexcept {
    Value r = std::move(root);
    if (!cycles_possible || !r.is_container()) return;
    try {
      detail::free_dropped_cycles({&r});
    } catch (...) {
      // out of memory while looking: the cycles (if any) stay, as before
    }
  }
};

namespace detail {
/// Dismantles a value that is discarded, however the scope is left.
struct DismantleOnExit {
  Value& value;
  ~DismantleOnExit() { dismantle(std::move(value)); }
};
}  // namespace detail

namespace detail {

/// Reads the root pickle of `doc` from `src`, noting whether it may hold cycles.
inline void read_root(Document& doc, Source& src, const ReaderOptions& options) {
  Reader reader(src, options);
  doc.root = reader.load();
  doc.cycles_possible = reader.stats().cycles_possible;
}

// Pickled 0x1950a86a20f9469cfc6c (LONG1, 10 bytes little-endian): torch's legacy magic number.
inline constexpr std::uint8_t kLegacyMagic[12] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                                  0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

// Length of the magic-number pickle at p, or 0 when p does not start with one.
inline std::size_t legacy_magic_length(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  if (n >= 2 && p[0] == 0x80) i = 2;
  if (i < n && p[i] == 0x95) i += 9;  // FRAME
  if (n < i + sizeof kLegacyMagic + 1) return 0;
  if (std::memcmp(p + i, kLegacyMagic, sizeof kLegacyMagic) != 0) return 0;
  return p[i + sizeof kLegacyMagic] == '.' ? i + sizeof kLegacyMagic + 1 : 0;
}

// True when p[0..n) is a strict prefix of a protocol-2 legacy magic pickle (a cut-off header).
inline bool legacy_magic_prefix(const std::uint8_t* p, std::size_t n) {
  if (n == 0 || n >= sizeof kLegacyMagic + 3 || p[0] != 0x80) return false;
  for (std::size_t i = 2; i < n; ++i)
    if (p[i] != (i - 2 < sizeof kLegacyMagic ? kLegacyMagic[i - 2] : '.')) return false;
  return true;
}

inline bool starts_with(const std::uint8_t* p, std::size_t n, std::string_view magic) {
  return n >= magic.size() && std::memcmp(p, magic.data(), magic.size()) == 0;
}

inline Format sniff(const std::uint8_t* p, std::size_t n) {
  if (starts_with(p, n, "BZh")) return Format::kBz2Pickle;
  if (starts_with(p, n, std::string_view("PK\x03\x04", 4))) return Format::kTorchZip;
  if (legacy_magic_length(p, n) != 0) return Format::kTorchLegacy;
  return Format::kPickle;
}

// Protocol 0/1 pickles start with an opcode that pushes something; anything else is not a pickle.
inline bool plausible_pickle_start(std::uint8_t c) {
  return c == 0x80 ||
         std::string_view("(NIJKLMFGSTUVXBC)]}cP").find(static_cast<char>(c)) != std::string_view::npos;
}

// Collects the storages of a torch.save pickle from its persistent ids.
class TorchStorages {
 public:
  TorchStorages(std::vector<StorageRecord>& records, std::string path)
      : records_(records), path_(std::move(path)) {}

  // ('storage', torch.<T>Storage, key, location, numel[, view_metadata])
  Value load(const Value& pid, std::uint64_t offset) {
    const auto bad = [&](const std::string& why) -> LoadError {
      return LoadError("bad torch persistent id " + pid.repr(100) + ": " + why + " in \"" + path_ + "\"", offset);
    };
    if (!pid.is_tuple()) throw bad("not a tuple");
    const auto& a = pid.items();
    if (a.empty() || !a[0].is_str() || a[0].as_str() != "storage")
      throw bad("the first item is not 'storage'");
    if (a.size() != 5 && a.size() != 6) throw bad("expected 5 or 6 items");
    if (!a[1].is_global() || a[1].as_global() != GlobalId::kStorageType)
      throw bad("the second item is not a torch storage class");
    if (!a[2].is_str()) throw bad("the key is not a str");
    if (!a[3].is_str() && !a[3].is_bytes()) throw bad("the location is not a str");
    if (!a[4].is_int() || a[4].as_int() < 0) throw bad("the element count is not a non-negative int");
    if (a.size() == 6 && !a[5].is_none()) throw bad("storage views (view_metadata) are not supported");
    const std::string key(a[2].as_str());
    if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
    StorageInfo info;
    info.key = key;
    info.dtype = a[1].global_storage_dtype();
    info.location = std::string(a[3].is_str() ? a[3].as_str() : a[3].as_bytes());
    info.numel = static_cast<std::uint64_t>(a[4].as_int());
    const std::uint64_t elsize = element_size(info.dtype);
    if (info.numel > (std::uint64_t{1} << 62) / elsize) throw bad("absurd element count");
    StorageRecord rec;
    rec.key = key;
    rec.dtype = info.dtype;
    rec.location = info.location;
    rec.numel = info.numel;
    rec.nbytes = info.numel * elsize;
    rec.path = path_;
    records_.push_back(std::move(rec));
    index_.emplace(key, records_.size() - 1);
    Value v = Value::make_storage(std::move(info));
    by_key_.emplace(key, v);
    return v;
  }
  StorageRecord* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &records_[it->second];
  }
  ReaderOptions options(const ReaderOptions& base) {
    ReaderOptions o = base;
    if (!o.persistent_load)
      o.persistent_load = [this](const Value& pid, std::uint64_t off) { return load(pid, off); };
    return o;
  }

 private:
  std::vector<StorageRecord>& records_;
  std::string path_;
  std::unordered_map<std::string, Value> by_key_;
  std::unordered_map<std::string, std::size_t> index_;
};

inline void open_legacy(Document& doc, Source& file, std::size_t magic_len,
                        const ReaderOptions& options) {
  doc.format = Format::kTorchLegacy;
  if (!file.skip(magic_len)) throw LoadError("truncated torch.save header in \"" + doc.path + "\"", 0);
  ReaderOptions plain;
  Value version = Reader(file, plain).load();
  const DismantleOnExit version_guard{version};  // the header pickles are never returned: free their cycles too
  if (!version.is_int() || version.as_int() != 1001)
    throw LoadError(
        "unsupported legacy torch.save protocol version " + version.repr(80) + " in \"" + doc.path + "\"",
        magic_len);
  const std::uint64_t info_at = file.offset();
  Value sys_info = Reader(file, plain).load();
  const DismantleOnExit sys_info_guard{sys_info};
  if (sys_info.is_dict()) {
    if (const Value* le = sys_info.find("little_endian"); le && le->is_bool() && !le->as_bool())
      throw LoadError("big-endian torch.save data is not supported in \"" + doc.path + "\"", info_at);
  }
  TorchStorages storages(doc.storages, doc.path);
  read_root(doc, file, storages.options(options));
  const std::uint64_t keys_at = file.offset();
  Value keys = Reader(file, plain).load();
  const DismantleOnExit keys_guard{keys};
  if (!keys.is_list())
    throw LoadError("legacy torch.save storage key list is not a list in \"" + doc.path + "\"", keys_at);
  const std::uint64_t file_size = *file.size();
  std::uint64_t pos = file.offset();
  for (const auto& k : keys.items()) {
    if (!k.is_str())
      throw LoadError("legacy torch.save storage key " + k.repr(80) + " is not a str in \"" + doc.path + "\"",
                      keys_at);
    const std::string key(k.as_str());
    StorageRecord* rec = storages.find(key);
    if (rec == nullptr)
      throw LoadError("storage \"" + key + "\" is listed but no tensor uses it in \"" + doc.path + "\"", pos);
    const std::uint8_t* p = file.seek(pos) ? file.take(8) : nullptr;
    if (p == nullptr)
      throw LoadError(
          "truncated torch.save data: storage \"" + key + "\" header missing in \"" + doc.path + "\"", pos);
    const std::uint64_t count = detail::le64(p);
    if (count != rec->numel)
      throw LoadError("storage \"" + key + "\" holds " + std::to_string(count) +
                          " elements in the data but " + std::to_string(rec->numel) + " in the pickle in \"" +
                          doc.path + "\"",
                      pos);
    rec->offset = pos + 8;
    if (rec->nbytes > file_size || rec->offset > file_size - rec->nbytes)
      throw LoadError("truncated torch.save data: storage \"" + key + "\" needs " +
                          std::to_string(rec->nbytes) + " bytes at offset " + std::to_string(rec->offset) +
                          " but \"" + doc.path + "\" has " + std::to_string(file_size) + " bytes",
                      rec->offset);
    pos = rec->offset + rec->nbytes;
  }
  for (const auto& rec : doc.storages)
    if (rec.offset == LoadError::kNoOffset)
      throw LoadError(
          "storage \"" + rec.key + "\" used by a tensor is missing from the data in \"" + doc.path + "\"",
          keys_at);
}

inline void open_torch_zip(Document& doc, const ZipArchive& zip, const ReaderOptions& options) {
  doc.format = Format::kTorchZip;
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  std::string pkl;
  for (zip_int64_t i = 0; i < count && pkl.empty(); ++i) {
    const char* name = zip_get_name(zip.get(), static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr) continue;
    const std::string_view n(name);
    if (n == "data.pkl" || (n.size() > 9 && n.substr(n.size() - 9) == "/data.pkl")) pkl = n;
  }
  if (pkl.empty())
    throw LoadError("zip archive \"" + doc.path + "\" has no data.pkl entry (not a torch.save file)");
  const std::string root = pkl.substr(0, pkl.size() - 8);  // "<name>/"
  if (zip_name_locate(zip.get(), (root + "byteorder").c_str(), 0) >= 0) {
    ZipEntrySource bo(zip, root + "byteorder", doc.path);
    char buf[16] = {};
    const std::size_t n = bo.read(buf, sizeof buf - 1);
    if (std::string_view(buf, n) == "big")
      throw LoadError("big-endian torch.save data is not supported in \"" + doc.path + "\"");
  }
  TorchStorages storages(doc.storages, doc.path);
  {
    ZipEntrySource src(zip, pkl, doc.path);
    read_root(doc, src, storages.options(options));
  }
  for (auto& rec : doc.storages) {
    rec.zip_entry = root + "data/" + rec.key;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip.get(), rec.zip_entry.c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw LoadError("storage \"" + rec.key + "\" has no record \"" + rec.zip_entry + "\" in \"" + doc.path +
                      "\"");
    if (st.size < rec.nbytes)
      throw LoadError("record \"" + rec.zip_entry + "\" holds " + std::to_string(st.size) +
                      " bytes but storage \"" + rec.key + "\" needs " + std::to_string(rec.nbytes) +
                      " in \"" + doc.path + "\"");
  }
}

/// `options`, with a prescan_source reading `path` again when the file is
/// large enough for a background prescan to pay (see ReaderOptions).
inline ReaderOptions with_background_prescan(const ReaderOptions& options, const std::string& path,
                                             std::uint64_t file_size) {
  ReaderOptions o = options;
  if (o.prescan_memo && !o.prescan_source && file_size >= o.background_prescan_min_bytes &&
      std::thread::hardware_concurrency() > 1)
    o.prescan_source = [path] { return std::make_unique<FileSource>(path); };
  return o;
}

}  // namespace detail

/// The format of the file at `path`, judged from its first bytes.
/// LoadError when it cannot be opened.
[[nodiscard]] inline Format detect_format(const std::string& path) {
  FileSource file(path, 4096);
  const std::size_t n = file.peek(64);
  return detail::sniff(file.data(), n);
}

/// Opens a plain pickle, bz2 pickle, legacy or zip torch.save file, chosen by
/// content (not by name), and unpickles its root object with `options`
/// (on_complete and prescan_memo apply to the root pickle only).
/// LoadError with the path and byte offset for anything malformed.
namespace detail {
/// open()'s work, into `doc`.
inline void open_into(Document& doc, const std::string& path, const ReaderOptions& options);
/// open_memory()'s work, into `doc`.
inline void open_memory_into(Document& doc, const std::shared_ptr<const std::string>& data, const std::string& name,
                             const ReaderOptions& options);

// The plain-pickle checks of open(): a cut-off torch.save header, gzip, or no pickle opcode first.
inline void check_plain_pickle(const std::uint8_t* p, std::size_t n, const std::string& name) {
  if (n < 64 && legacy_magic_prefix(p, n)) throw LoadError("truncated torch.save header in \"" + name + "\"", 0);
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
    throw LoadError("gzip-compressed file \"" + name + "\" is not supported", 0);
  if (!plausible_pickle_start(p[0]))
    throw LoadError("\"" + name + "\" is not a pickle, bz2 or torch.save file (starts with " + hex_byte(p[0]) + ")",
                    0);
}

// Resolves torch.storage._load_from_bytes(b) in a plain pickle: b is a
// torch.save (legacy or zip) of one storage, opened in memory; its record
// joins `records` under the key "bytes@<offset of the call>" (the inner keys,
// pointer strings or "0", repeat across calls). The same bytes object read
// back through the memo gives the same storage (views sharing it stay
// shared), and is parsed once: a GET + REDUCE pair of a few bytes cannot
// make the reader copy a large blob again.
class BytesStorages {
 public:
  BytesStorages(std::vector<StorageRecord>& records, std::string path) : records_(records), path_(std::move(path)) {}

  Value load(const Value& bytes, std::uint64_t offset) {
    const std::string_view b = bytes.as_bytes();
    if (auto it = seen_.find(b.data()); it != seen_.end()) return it->second.second;
    const std::string key = "bytes@" + std::to_string(offset);
    const auto bad = [&](const std::string& why) {
      return LoadError("torch.storage._load_from_bytes in \"" + path_ + "\": " + why, offset);
    };
    const auto* p = reinterpret_cast<const std::uint8_t*>(b.data());
    const Format f = sniff(p, b.size());
    if (f != Format::kTorchLegacy && f != Format::kTorchZip)
      throw bad("the " + std::to_string(b.size()) + " bytes are not a torch.save container" +
                (b.empty() ? std::string() : " (they start with " + hex_byte(p[0]) + ")"));
    Document inner;
    try {
      detail::open_memory_into(inner, std::make_shared<const std::string>(b), path_ + "[" + key + "]", {});
    } catch (const LoadError& e) {
      dismantle(std::move(inner.root));
      throw bad(e.message());
    }
    if (!inner.root.is_storage()) {
      const std::string type(inner.root.type_name());
      dismantle(std::move(inner.root));
      throw bad("the torch.save data holds a " + type + ", not a storage");
    }
    StorageInfo info = inner.root.as_storage();
    const StorageRecord* rec = inner.find_storage(info.key);
    if (rec == nullptr || inner.storages.size() != 1)
      throw bad("the torch.save data holds " + std::to_string(inner.storages.size()) + " storages, not one");
    StorageRecord out = *rec;
    out.key = info.key = key;
    out.path = path_;
    records_.push_back(std::move(out));
    Value v = Value::make_storage(std::move(info));
    seen_.emplace(b.data(), std::make_pair(bytes, v));  // holding `bytes` keeps its address unique
    return v;
  }
  ReaderOptions options(const ReaderOptions& base) {
    ReaderOptions o = base;
    if (!o.load_from_bytes) o.load_from_bytes = [this](const Value& b, std::uint64_t off) { return load(b, off); };
    return o;
  }

 private:
  std::vector<StorageRecord>& records_;
  std::string path_;
  std::unordered_map<const void*, std::pair<Value, Value>> seen_;  // bytes data -> (bytes, storage)
};
}  // namespace detail

[[nodiscard]] inline Document open(const std::string& path, const ReaderOptions& options = {}) {
  Document doc;
  try {
    detail::open_into(doc, path, options);
  } catch (...) {
    dismantle(std::move(doc.root));  // a root read before the error may hold cycles
    throw;
  }
  return doc;
}

inline void detail::open_into(Document& doc, const std::string& path, const ReaderOptions& options) {
  doc.path = path;
  auto file = std::make_unique<FileSource>(path);
  const std::size_t n = file->peek(64);
  const std::uint8_t* p = file->data();
  if (n == 0) throw LoadError("empty file \"" + path + "\"", 0);
  switch (detail::sniff(p, n)) {
    case Format::kBz2Pickle: {
      doc.format = Format::kBz2Pickle;
      Bz2Source bz(std::move(file));
      const std::size_t m = bz.peek(64);
      if (m == 0) throw LoadError("empty bz2 stream in \"" + path + "\"", 0);
      const Format inner = detail::sniff(bz.data(), m);
      if (inner != Format::kPickle)
        throw LoadError(
            std::string(to_string(inner)) + " data inside bz2 is not supported in \"" + path + "\"", 0);
      if (!detail::plausible_pickle_start(bz.data()[0]))
        throw LoadError("the bz2 data in \"" + path + "\" is not a pickle (starts with " +
                            detail::hex_byte(bz.data()[0]) + ")",
                        0);
      BytesStorages storages(doc.storages, path);
      read_root(doc, bz, storages.options(options));
      // Decompress to the end so that a truncated or corrupt file is noticed.
      std::vector<std::uint8_t> scratch(std::size_t{1} << 16);
      while (bz.read(scratch.data(), scratch.size()) != 0) {
      }
      return;
    }
    case Format::kTorchZip:
      file.reset();
      detail::open_torch_zip(doc, open_zip(path), options);
      return;
    case Format::kTorchLegacy:
      detail::open_legacy(doc, *file, detail::legacy_magic_length(p, n),
                          detail::with_background_prescan(options, path, *file->size()));
      return;
    case Format::kPickle: {
      detail::check_plain_pickle(p, n, path);
      doc.format = Format::kPickle;
      BytesStorages storages(doc.storages, path);
      detail::read_root(doc, *file, storages.options(detail::with_background_prescan(options, path, *file->size())));
      return;
    }
  }
}

/// Opens a legacy or zip torch.save container, or a plain pickle, held in
/// memory (`data`, which the storage records keep alive), as open() opens a
/// file; `name` stands for the path in the Document and in errors.
[[nodiscard]] inline Document open_memory(std::shared_ptr<const std::string> data, const std::string& name = "<memory>",
                                          const ReaderOptions& options = {}) {
  Document doc;
  try {
    detail::open_memory_into(doc, data, name, options);
  } catch (...) {
    dismantle(std::move(doc.root));
    throw;
  }
  return doc;
}

inline void detail::open_memory_into(Document& doc, const std::shared_ptr<const std::string>& data,
                                     const std::string& name, const ReaderOptions& options) {
  doc.path = name;
  const auto* p = reinterpret_cast<const std::uint8_t*>(data->data());
  const std::size_t n = data->size();
  if (n == 0) throw LoadError("empty data \"" + name + "\"", 0);
  MemorySource src(*data, name);
  switch (detail::sniff(p, n)) {
    case Format::kBz2Pickle: throw LoadError("bz2 data in memory (\"" + name + "\") is not supported", 0);
    case Format::kTorchZip: detail::open_torch_zip(doc, open_zip_memory(data, name), options); break;
    case Format::kTorchLegacy:
      detail::open_legacy(doc, src, detail::legacy_magic_length(p, std::min<std::size_t>(n, 64)), options);
      break;
    case Format::kPickle: {
      detail::check_plain_pickle(p, std::min<std::size_t>(n, 64), name);
      doc.format = Format::kPickle;
      BytesStorages storages(doc.storages, name);
      detail::read_root(doc, src, storages.options(options));
      break;
    }
  }
  for (auto& rec : doc.storages)
    if (!rec.memory) rec.memory = data;
}

}  // namespace nasbench::pickle
