#pragma once
/// @file pickle/reader.hpp
/// A streaming unpickler for protocols 0 to 5 that never executes anything:
/// globals resolve through a closed allow-list to data (OrderedDict, sets,
/// numpy scalars, torch tensor descriptors), everything else is a LoadError
/// that names the global and the byte offset.
///
/// Memory: the reader pulls bytes from a Source through its buffer. The memo
/// is a vector indexed by memo id (16 bytes per id, and it keeps every
/// memoized object alive). With `ReaderOptions::prescan_memo` a first pass
/// over the pickle finds the memo ids that are ever read back (GET), and only
/// those are kept: about 3 bits per memo id plus 16 bytes per id read back,
/// and everything else is freed as soon as its parent lets go of it (with an
/// on_complete hook that turns finished dicts into handles, a NAS-Bench-201
/// sized pickle then needs almost nothing beyond the handles' payloads).
///
/// @code
///   nasbench::pickle::ReaderOptions options;
///   options.on_complete = [](nasbench::pickle::Value& v) {
///     if (v.is_dict() && v.find("train_acc1es")) v.become_handle(store(v));
///   };
///   nasbench::pickle::FileSource file(path);
///   nasbench::pickle::Value root = nasbench::pickle::Reader(file, options).load();
/// @endcode

#include <nasbench/pickle/source.hpp>
#include <nasbench/pickle/value.hpp>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace nasbench::pickle {

/// How the reader behaves.
struct ReaderOptions {
  /// Called once for every container (dict, OrderedDict, list, tuple,
  /// set, frozenset) when it is complete: when it is inserted into its parent
  /// (SETITEM(S), APPEND(S), ADDITEMS, TUPLE*, LIST, DICT, FROZENSET) or
  /// becomes the result at STOP. Children are always completed before their
  /// parent. To replace a container everywhere (memo included) call
  /// `v.become_handle(id, payload)`; assigning to `v` only replaces this slot.
  /// Exception: after a prescan, the argument tuples of numpy scalars that
  /// nothing reads back are never built, so never reported.
  std::function<void(Value&)> on_complete;
  /// Resolves persistent ids (PERSID/BINPERSID) to values; `offset` is the
  /// opcode's. When empty, persistent ids are a LoadError. torch containers
  /// (container.hpp) install their own.
  std::function<Value(const Value& pid, std::uint64_t offset)> persistent_load;
  /// Make a first pass to learn which memo entries are ever read back and keep
  /// only those (the source must be able to seek back; all sources here can).
  bool prescan_memo = false;
  /// With prescan_memo: a second source over the same bytes (the reader seeks
  /// it to the pickle's start). The prescan then reads it on another thread
  /// while the main pass runs, keeping every memo entry until the prescan is
  /// done and then dropping those never read back: the same values, sooner,
  /// for a transient of memory. Empty: the prescan runs first, on this thread.
  std::function<std::unique_ptr<Source>()> prescan_source;
  /// pickle::open() installs a prescan_source (the same file opened again)
  /// for files of at least this many bytes, when prescan_memo is on and the
  /// machine has more than one hardware thread. UINT64_MAX: never.
  std::uint64_t background_prescan_min_bytes = std::uint64_t{64} << 20;
};

/// Counters of the last Reader::load().
struct ReaderStats {
  std::uint64_t memo_entries = 0;  ///< len(memo) at STOP: distinct memo ids defined.
  std::uint64_t memo_kept = 0;     ///< Memo values held (all of them unless prescan_memo).
  std::uint64_t start_offset = 0;  ///< Offset of the pickle's first byte.
  std::uint64_t end_offset = 0;    ///< Offset just after STOP.
  std::uint64_t fast_numpy_scalars = 0;  ///< numpy scalars decoded without building their arguments.
  std::uint64_t fast_item_opcodes = 0;   ///< opcodes decoded by the item loop after MARK (see Reader).
};

namespace detail {

/// Bits set in `x` (SWAR: without -mpopcnt, __builtin_popcountll is a
/// library call that cost 2% of a load).
inline int popcount64(std::uint64_t x) noexcept {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
}

/// A set of memo ids: a bitmap for dense ids, a hash set for absurd ones.
class IdSet {
 public:
  /// Adds `id`; true when it was not there.
  bool insert(std::uint64_t id) {
    if (id >= bits_.size() * 64) {
      if (id >= dense_limit()) return sparse_.insert(id).second;
      bits_.resize(static_cast<std::size_t>(id / 64 + 1));
    }
    std::uint64_t& w = bits_[static_cast<std::size_t>(id / 64)];
    const std::uint64_t m = std::uint64_t{1} << (id % 64);
    if (w & m) return false;
    w |= m;
    return true;
  }
  [[nodiscard]] bool contains(std::uint64_t id) const {
    if (id < bits_.size() * 64) return (bits_[static_cast<std::size_t>(id / 64)] >> (id % 64)) & 1;
    return !sparse_.empty() && sparse_.count(id) != 0;
  }
  [[nodiscard]] bool in_bitmap(std::uint64_t id) const { return id < bits_.size() * 64; }
  /// Prepares rank(); call once all ids are in.
  void freeze() {
    rank_.resize(bits_.size());
    std::uint64_t r = 0;
    for (std::size_t i = 0; i < bits_.size(); ++i) {
      rank_[i] = r;
      r += static_cast<std::uint64_t>(popcount64(bits_[i]));
    }
    dense_count_ = r;
  }
  /// Number of bitmap ids below `id` (id must be in the bitmap and frozen).
  [[nodiscard]] std::uint64_t rank(std::uint64_t id) const {
    const auto w = static_cast<std::size_t>(id / 64);
    const std::uint64_t below = bits_[w] & ((std::uint64_t{1} << (id % 64)) - 1);
    return rank_[w] + static_cast<std::uint64_t>(popcount64(below));
  }
  [[nodiscard]] std::uint64_t dense_count() const { return dense_count_; }
  [[nodiscard]] std::size_t bytes() const { return bits_.capacity() * 8 + rank_.capacity() * 8; }
  void clear() {
    bits_.clear();
    rank_.clear();
    sparse_.clear();
    dense_count_ = 0;
  }

 private:
  [[nodiscard]] std::uint64_t dense_limit() const {
    return std::max<std::uint64_t>(std::uint64_t{1} << 24, bits_.size() * 64 * 2);
  }
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint64_t> rank_;
  std::unordered_set<std::uint64_t> sparse_;
  std::uint64_t dense_count_ = 0;
};

/// The memo ids defined so far (len(memo), which numbers MEMOIZE's next id):
/// a counter while ids come in order (as picklers write them), a set once not.
class DefinedIds {
 public:
  /// Adds `id`; true when it was not there.
  bool insert(std::uint64_t id) {
    if (!out_of_order_) {
      if (id == prefix_) {
        ++prefix_;
        return true;
      }
      if (id < prefix_) return false;
      out_of_order_ = true;
      for (std::uint64_t i = 0; i < prefix_; ++i) set_.insert(i);
    }
    return set_.insert(id);
  }
  [[nodiscard]] bool contains(std::uint64_t id) const {
    return out_of_order_ ? set_.contains(id) : id < prefix_;
  }
  void clear() {
    prefix_ = 0;
    out_of_order_ = false;
    set_.clear();
  }

 private:
  std::uint64_t prefix_ = 0;  ///< ids 0..prefix_-1 are defined (while in order)
  bool out_of_order_ = false;
  IdSet set_;
};

/// The unpickler memo: a vector indexed by id (or, after a prescan, by rank
/// among the ids that are read back), with a hash map for absurd ids.
class Memo {
 public:
  /// Breaks cycles among the values held (see dismantle), then forgets them.
  void dismantle_all() {
    for (auto& v : slots_)
      if (!Access::is_unset(v)) dismantle_tree(v);
    for (auto& kv : sparse_) dismantle_tree(kv.second);
    reset();
  }
  void reset() {
    filtered_ = false;
    slots_.clear();
    sparse_.clear();
    referenced_.clear();
    defined_.clear();
    len_ = 0;
  }
  void set_filter(IdSet referenced) {
    reset();
    filtered_ = true;
    referenced_ = std::move(referenced);
    referenced_.freeze();
    slots_.assign(static_cast<std::size_t>(referenced_.dense_count()), Access::unset());
  }
  /// set_filter() in the middle of a pickle: drops the entries held so far
  /// that `referenced` does not list (their values are released).
  void apply_filter(IdSet referenced) {
    std::vector<Value> old = std::move(slots_);
    std::unordered_map<std::uint64_t, Value> old_sparse = std::move(sparse_);
    const std::uint64_t len = len_;
    set_filter(std::move(referenced));
    len_ = len;
    for (std::size_t i = 0; i < old.size(); ++i)
      if (!Access::is_unset(old[i])) defined_.insert(i);
    for (const auto& kv : old_sparse) defined_.insert(kv.first);
    auto keep = [&](std::uint64_t id, Value& v) {
      if (!referenced_.contains(id)) return;
      if (referenced_.in_bitmap(id)) {
        slots_[static_cast<std::size_t>(referenced_.rank(id))] = std::move(v);
      } else {
        sparse_[id] = std::move(v);
      }
    };
    for (std::size_t i = 0; i < old.size(); ++i)
      if (!Access::is_unset(old[i])) keep(i, old[i]);
    for (auto& kv : old_sparse) keep(kv.first, kv.second);
  }
  void put(std::uint64_t id, const Value& v) {
    if (filtered_) {
      if (defined_.insert(id)) ++len_;
      if (!referenced_.contains(id)) return;
      if (referenced_.in_bitmap(id)) {
        slots_[static_cast<std::size_t>(referenced_.rank(id))] = v;
      } else {
        sparse_[id] = v;
      }
      return;
    }
    if (id < slots_.size()) {
      Value& s = slots_[static_cast<std::size_t>(id)];
      if (Access::is_unset(s)) ++len_;
      s = v;
      return;
    }
    if (id < std::max<std::uint64_t>(std::uint64_t{1} << 20, slots_.size() * 2)) {
      slots_.resize(static_cast<std::size_t>(id + 1), Access::unset());
      if (!sparse_.empty()) migrate();
      Value& s = slots_[static_cast<std::size_t>(id)];
      if (Access::is_unset(s)) ++len_;
      s = v;
      return;
    }
    auto [it, inserted] = sparse_.try_emplace(id);
    if (inserted) ++len_;
    it->second = v;
  }
  [[nodiscard]] const Value* get(std::uint64_t id) const {
    const Value* v = nullptr;
    if (filtered_) {
      if (referenced_.in_bitmap(id)) {
        if (referenced_.contains(id)) v = &slots_[static_cast<std::size_t>(referenced_.rank(id))];
      } else if (auto it = sparse_.find(id); it != sparse_.end()) {
        v = &it->second;
      }
    } else if (id < slots_.size()) {
      v = &slots_[static_cast<std::size_t>(id)];
    } else if (auto it = sparse_.find(id); it != sparse_.end()) {
      v = &it->second;
    }
    return (v == nullptr || Access::is_unset(*v)) ? nullptr : v;
  }
  [[nodiscard]] std::uint64_t size() const { return len_; }
  /// Whether only the entries a prescan found read back are kept.
  [[nodiscard]] bool filtered() const noexcept { return filtered_; }
  /// With filtered(): whether entry `id` is ever read back (kept).
  [[nodiscard]] bool referenced(std::uint64_t id) const { return referenced_.contains(id); }
  /// With filtered(): whether entry `id` is defined.
  [[nodiscard]] bool defined(std::uint64_t id) const { return defined_.contains(id); }
  [[nodiscard]] std::uint64_t kept() const {
    std::uint64_t n = sparse_.size();
    for (const auto& s : slots_) n += Access::is_unset(s) ? 0 : 1;
    return n;
  }

 private:
  void migrate() {
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (it->first < slots_.size()) {
        slots_[static_cast<std::size_t>(it->first)] = std::move(it->second);
        it = sparse_.erase(it);
      } else {
        ++it;
      }
    }
  }
  bool filtered_ = false;
  std::vector<Value> slots_;
  std::unordered_map<std::uint64_t, Value> sparse_;
  IdSet referenced_;
  DefinedIds defined_;  ///< filtered_ only
  std::uint64_t len_ = 0;
};

/// Name of a pickle opcode for messages ("BINUNICODE"), or nullptr if unknown.
inline const char* opcode_name(int op) noexcept {
  switch (op) {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'P': return "PERSID";
    case 'Q': return "BINPERSID";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'i': return "INST";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'o': return "OBJ";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

inline std::uint32_t le32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t le64(const std::uint8_t* p) noexcept {
  return static_cast<std::uint64_t>(le32(p)) | (static_cast<std::uint64_t>(le32(p + 4)) << 32);
}
/// BINFLOAT's argument: an IEEE double, big-endian.
inline double be_double(const std::uint8_t* p) noexcept {
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | p[i];
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

inline std::string hex_byte(int b) {
  static const char* d = "0123456789abcdef";
  std::string s = "0x";
  s += d[(b >> 4) & 15];
  s += d[b & 15];
  return s;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline double half_to_double(std::uint16_t h) noexcept {
  const int sign = (h >> 15) & 1;
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(static_cast<double>(mant), -24);
  } else if (exp == 31) {
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else {
    v = std::ldexp(static_cast<double>(mant + 1024), exp - 25);
  }
  return sign ? -v : v;
}

}  // namespace detail

/// Reads pickles from a Source, one per load() call (each with a fresh memo).
class Reader {
 public:
  /// A reader of `source` (which must outlive it).
  explicit Reader(Source& source, ReaderOptions options = {})
      : src_(source), opt_(std::move(options)), hook_(static_cast<bool>(opt_.on_complete)) {}

  /// Reads one pickle, up to and including its STOP opcode, and returns its value.
  /// LoadError (with the byte offset) for anything malformed or unsupported.
  Value load() {
    stack_.clear();
    marks_.clear();
    memo_.reset();
    stats_ = ReaderStats{};
    stats_.start_offset = src_.offset();
    if (opt_.prescan_memo && !(opt_.prescan_source && start_background())) {
      detail::IdSet referenced;
      prescan(referenced);
      if (!src_.seek(stats_.start_offset))
        throw LoadError("prescan_memo needs a source that can seek back, and \"" + src_.name() + "\" cannot",
                        stats_.start_offset);
      memo_.set_filter(std::move(referenced));
    }
    Value result;
    try {
      result = run();
      background_.reset();  // a prescan still running is not needed any more
    } catch (...) {
      background_.reset();
      // Malformed input may have left self-referencing containers behind.
      for (auto& v : stack_) detail::dismantle_tree(v);
      stack_.clear();
      marks_.clear();
      memo_.dismantle_all();
      throw;
    }
    stats_.end_offset = src_.offset();
    stats_.memo_entries = memo_.size();
    stats_.memo_kept = memo_.kept();
    stack_.clear();
    marks_.clear();
    memo_.reset();
    return result;
  }

  /// Counters of the last load().
  [[nodiscard]] const ReaderStats& stats() const noexcept { return stats_; }

 private:
  // ---- errors ----
  [[noreturn]] void fail(const std::string& what) const {
    throw LoadError(what + " in \"" + src_.name() + "\"", op_off_);
  }
  [[nodiscard]] std::string opname() const {
    const char* n = detail::opcode_name(op_);
    return n ? n : detail::hex_byte(op_);
  }
  [[noreturn]] void truncated(std::uint64_t n) const {
    fail("truncated pickle: " + opname() + " needs " + std::to_string(n) + " more bytes");
  }
  [[noreturn]] void underflow() const { fail("stack underflow at " + opname()); }
  [[noreturn]] void wrong(const Value& got, std::string_view expected) const {
    std::string r = got.repr();
    if (r.size() > 60) r = r.substr(0, 57) + "...";
    fail(opname() + " expects " + std::string(expected) + ", got " + std::string(got.type_name()) + " " + r);
  }

  // ---- input ----
  const std::uint8_t* arg(std::size_t n) {
    const std::uint8_t* p = src_.take(n);
    if (p == nullptr) truncated(n);
    return p;
  }
  void check_length(std::uint64_t n) const {
    if (auto rem = src_.remaining(); rem && n > *rem)
      fail("truncated pickle: " + opname() + " length " + std::to_string(n) +
           " exceeds the remaining input (" + std::to_string(*rem) + " bytes)");
  }
  void skip_bytes(std::uint64_t n) {
    check_length(n);
    if (!src_.skip(n)) truncated(n);
  }
  // A text argument up to '\n' (excluded).
  std::string line() {
    std::string out;
    for (;;) {
      if (src_.buffered() == 0 && src_.peek(1) == 0)
        fail("truncated pickle: " + opname() + " line has no newline");
      const std::uint8_t* p = src_.data();
      const std::size_t n = src_.buffered();
      const void* nl = std::memchr(p, '\n', n);
      if (nl != nullptr) {
        const auto k = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - p);
        out.append(reinterpret_cast<const char*>(p), k);
        src_.advance(k + 1);
        return out;
      }
      out.append(reinterpret_cast<const char*>(p), n);
      src_.advance(n);
    }
  }
  Value read_blob(Kind kind, std::uint64_t n) {
    if (n > src_.buffered()) check_length(n);  // buffered: known to be there
    if (n <= Source::kMaxContiguous) {
      const std::uint8_t* p = arg(static_cast<std::size_t>(n));
      auto* node = detail::new_str_node(kind, static_cast<std::size_t>(n));
      if (n) std::memcpy(node->data(), p, static_cast<std::size_t>(n));
      return detail::Access::adopt(node);
    }
    if (src_.remaining()) {  // known to be there: read straight into the node
      auto* node = detail::new_str_node(kind, static_cast<std::size_t>(n));
      Value v = detail::Access::adopt(node);
      if (src_.read(node->data(), static_cast<std::size_t>(n)) != n) truncated(n);
      return v;
    }
    // Unknown length (compressed stream): grow with the data actually present.
    std::string tmp;
    while (tmp.size() < n) {
      const std::size_t chunk = static_cast<std::size_t>(
          std::min<std::uint64_t>(n - tmp.size(), std::max<std::size_t>(tmp.size(), Source::kMaxContiguous)));
      const std::size_t old = tmp.size();
      tmp.resize(old + chunk);
      if (src_.read(tmp.data() + old, chunk) != chunk) truncated(n);
    }
    auto* node = detail::new_str_node(kind, tmp.size());
    std::memcpy(node->data(), tmp.data(), tmp.size());
    return detail::Access::adopt(node);
  }
  std::uint64_t parse_uint(std::string_view s) const {
    std::uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      fail(opname() + " argument \"" + std::string(s.substr(0, 40)) + "\" is not a non-negative integer");
    return v;
  }
  std::int64_t parse_int(std::string_view s) const {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc::result_out_of_range)
      fail(opname() + " integer " + std::string(s.substr(0, 40)) + " does not fit in int64");
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      fail(opname() + " argument \"" + std::string(s.substr(0, 40)) + "\" is not an integer");
    return v;
  }

  // ---- stack ----
  [[nodiscard]] std::size_t base() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
  void need(std::size_t n) const {
    if (stack_.size() - base() < n) underflow();
  }
  Value pop() {
    need(1);
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Value& top() {
    need(1);
    return stack_.back();
  }
  std::size_t pop_mark() {
    if (marks_.empty()) fail("MARK missing: " + opname() + " needs a MARK before its items");
    const std::size_t k = marks_.back();
    marks_.pop_back();
    return k;
  }
  // Position of the container an item-adding opcode applies to: just below the mark.
  std::size_t below_mark(std::size_t k) const {
    if (k == 0 || k - 1 < base()) underflow();
    return k - 1;
  }
  void complete(Value& v) {
    if (!hook_) return;
    detail::Node* n = detail::Access::node(v);
    if (n == nullptr || (n->flags & detail::kFlagCompleted)) return;
    switch (n->kind) {
      case Kind::kTuple:
      case Kind::kList:
      case Kind::kDict:
      case Kind::kSet:
      case Kind::kFrozenSet:
        n->flags |= detail::kFlagCompleted;
        opt_.on_complete(v);
        return;
      default: return;
    }
  }
  // Moves stack_[k..] into a vector (completing each item).
  std::vector<Value> take_from(std::size_t k) {
    std::vector<Value> items;
    items.reserve(stack_.size() - k);
    for (std::size_t i = k; i < stack_.size(); ++i) {
      complete(stack_[i]);
      items.push_back(std::move(stack_[i]));
    }
    stack_.resize(k);
    return items;
  }
  void push_tuple(std::size_t n) {
    need(n);
    push_value(Value::make_tuple(take_from(stack_.size() - n)));
  }
  void push_value(Value&& v) { stack_.push_back(std::move(v)); }
  void memo_put(std::uint64_t id) {
    if (background_ && background_->done.load(std::memory_order_acquire)) adopt_background();
    need(1);
    memo_.put(id, stack_.back());
  }
  void memo_get(std::uint64_t id) {
    const Value* v = memo_.get(id);
    if (v == nullptr) fail("memo key " + std::to_string(id) + " not defined (" + opname() + ")");
    stack_.push_back(*v);
  }
  // Completes stack_[k..]; then the target is checked (a hook may have turned
  // it into a handle through a self-reference).
  void complete_from(std::size_t k) {
    if (!hook_) return;
    for (std::size_t i = k; i < stack_.size(); ++i) complete(stack_[i]);
  }
  void set_items(std::size_t target, std::size_t k) {
    if ((stack_.size() - k) % 2 != 0) fail("odd number of items for " + opname());
    complete_from(k);
    Value& dict = stack_[target];
    if (!dict.is_dict()) wrong(dict, "a dict below its items");
    auto* d = detail::Access::dict(dict);
    d->items.reserve(d->items.size() + (stack_.size() - k) / 2);
    for (std::size_t i = k; i < stack_.size(); i += 2)
      detail::dict_push(d, std::move(stack_[i]), std::move(stack_[i + 1]));
    stack_.resize(k);
  }
  // APPENDS / ADDITEMS: moves stack_[k..] into the list or set at stack_[target].
  void add_items(std::size_t target, std::size_t k, Kind kind, const char* expected) {
    complete_from(k);
    Value& c = stack_[target];
    if (c.kind() != kind) wrong(c, expected);
    auto& items = detail::Access::seq(c)->items;
    items.reserve(items.size() + (stack_.size() - k));
    for (std::size_t i = k; i < stack_.size(); ++i) items.push_back(std::move(stack_[i]));
    stack_.resize(k);
  }

  // ---- globals ----
  Value resolve_global(std::string_view module, std::string_view name) const {
    const bool builtins = module == "builtins" || module == "__builtin__";
    if (module == "collections" && name == "OrderedDict") return Value::make_global(GlobalId::kOrderedDict);
    if (builtins) {
      if (name == "set") return Value::make_global(GlobalId::kSet);
      if (name == "frozenset") return Value::make_global(GlobalId::kFrozenSet);
      if (name == "list") return Value::make_global(GlobalId::kList);
      if (name == "dict") return Value::make_global(GlobalId::kDict);
      if (name == "tuple") return Value::make_global(GlobalId::kTuple);
      if (name == "bytes") return Value::make_global(GlobalId::kBytes);
      if (name == "bytearray") return Value::make_global(GlobalId::kBytearray);
    }
    if (module == "_codecs" && name == "encode") return Value::make_global(GlobalId::kCodecsEncode);
    if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") && name == "scalar")
      return Value::make_global(GlobalId::kNumpyScalar);
    if (module == "numpy" && name == "dtype") return Value::make_global(GlobalId::kNumpyDtype);
    if (module == "torch._utils") {
      if (name == "_rebuild_tensor_v2") return Value::make_global(GlobalId::kRebuildTensorV2);
      if (name == "_rebuild_tensor") return Value::make_global(GlobalId::kRebuildTensor);
      if (name == "_rebuild_parameter") return Value::make_global(GlobalId::kRebuildParameter);
      if (name == "_rebuild_parameter_with_state")
        return Value::make_global(GlobalId::kRebuildParameterWithState);
    }
    if (module == "torch" || module == "torch.cuda" || module == "torch.storage") {
      static const std::pair<std::string_view, ScalarType> kStorages[] = {
          {"FloatStorage", ScalarType::kFloat32}, {"DoubleStorage", ScalarType::kFloat64},
          {"HalfStorage", ScalarType::kFloat16},  {"BFloat16Storage", ScalarType::kBFloat16},
          {"LongStorage", ScalarType::kInt64},    {"IntStorage", ScalarType::kInt32},
          {"ShortStorage", ScalarType::kInt16},   {"CharStorage", ScalarType::kInt8},
          {"ByteStorage", ScalarType::kUInt8},    {"BoolStorage", ScalarType::kBool},
          {"UntypedStorage", ScalarType::kUInt8}, {"_UntypedStorage", ScalarType::kUInt8},
      };
      for (const auto& [n, t] : kStorages)
        if (name == n) return Value::make_global(GlobalId::kStorageType, t);
    }
    fail("unsupported global \"" + std::string(module) + "." + std::string(name) + "\"");
  }

  // ---- REDUCE / NEWOBJ ----
  const std::vector<Value>& iterable_items(const Value& v) const {
    if (v.is_tuple() || v.is_list() || v.is_set()) return v.items();
    wrong(v, "a list, tuple or set argument");
  }
  static DtypeInfo parse_dtype_code(std::string_view code, bool& ok) {
    ok = true;
    DtypeInfo info;
    if (!code.empty() && (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '=')) {
      info.byte_order = code[0];
      code.remove_prefix(1);
    }
    static const std::pair<std::string_view, ScalarType> kCodes[] = {
        {"f8", ScalarType::kFloat64}, {"f4", ScalarType::kFloat32}, {"f2", ScalarType::kFloat16},
        {"i8", ScalarType::kInt64},   {"i4", ScalarType::kInt32},   {"i2", ScalarType::kInt16},
        {"i1", ScalarType::kInt8},    {"u8", ScalarType::kUInt64},  {"u4", ScalarType::kUInt32},
        {"u2", ScalarType::kUInt16},  {"u1", ScalarType::kUInt8},   {"b1", ScalarType::kBool},
        {"?", ScalarType::kBool},
    };
    for (const auto& [c, t] : kCodes)
      if (code == c) {
        info.type = t;
        if (element_size(t) == 1 && info.byte_order == '=') info.byte_order = '|';
        return info;
      }
    ok = false;
    return info;
  }
  Value numpy_scalar(const std::vector<Value>& a) const {
    if (a.size() != 2 || !a[0].is_dtype() || !a[1].is_bytes())
      fail("numpy scalar expects (dtype, bytes) arguments, got " + Value::make_tuple(a).repr().substr(0, 80));
    return numpy_scalar(a[0].as_dtype(), a[1].as_bytes());
  }
  Value numpy_scalar(const DtypeInfo& dt, std::string_view raw) const {
    const std::size_t size = element_size(dt.type);
    if (raw.size() != size)
      fail("numpy " + std::string(to_string(dt.type)) + " scalar needs " + std::to_string(size) +
           " bytes, got " + std::to_string(raw.size()));
    std::uint8_t b[8];
    std::memcpy(b, raw.data(), size);
    if (dt.byte_order == '>') std::reverse(b, b + size);
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < size; ++i) u |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    switch (dt.type) {
      case ScalarType::kFloat64: {
        double d;
        std::memcpy(&d, &u, 8);
        return Value::from_float(d);
      }
      case ScalarType::kFloat32: {
        const auto w = static_cast<std::uint32_t>(u);
        float f;
        std::memcpy(&f, &w, 4);
        return Value::from_float(static_cast<double>(f));
      }
      case ScalarType::kFloat16:
        return Value::from_float(detail::half_to_double(static_cast<std::uint16_t>(u)));
      case ScalarType::kInt64: return Value::from_int(static_cast<std::int64_t>(u));
      case ScalarType::kInt32:
        return Value::from_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(u)));
      case ScalarType::kInt16:
        return Value::from_int(static_cast<std::int16_t>(static_cast<std::uint16_t>(u)));
      case ScalarType::kInt8: return Value::from_int(static_cast<std::int8_t>(static_cast<std::uint8_t>(u)));
      case ScalarType::kUInt64:
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          fail("numpy uint64 scalar " + std::to_string(u) + " does not fit in int64");
        return Value::from_int(static_cast<std::int64_t>(u));
      case ScalarType::kUInt32:
      case ScalarType::kUInt16:
      case ScalarType::kUInt8: return Value::from_int(static_cast<std::int64_t>(u));
      case ScalarType::kBool: return Value::from_bool(u != 0);
      default: break;
    }
    fail("unsupported numpy scalar type " + std::string(to_string(dt.type)));
  }
  std::vector<std::int64_t> int_tuple(const Value& v, const char* what) const {
    if (!v.is_tuple() && !v.is_list()) wrong(v, std::string("a tuple of ints for the tensor ") + what);
    std::vector<std::int64_t> out;
    out.reserve(v.items().size());
    for (const auto& x : v.items()) {
      if (!x.is_int() || x.as_int() < 0) wrong(x, std::string("a non-negative int in the tensor ") + what);
      out.push_back(x.as_int());
    }
    return out;
  }
  Value rebuild_tensor(const std::vector<Value>& a, bool v2) const {
    if (v2 ? (a.size() < 6 || a.size() > 7) : a.size() != 4)
      fail(std::string(v2 ? "_rebuild_tensor_v2" : "_rebuild_tensor") + " got " + std::to_string(a.size()) +
           " arguments");
    if (!a[0].is_storage()) wrong(a[0], "a storage as the tensor's first argument");
    if (!a[1].is_int() || a[1].as_int() < 0) wrong(a[1], "a non-negative storage offset");
    TensorInfo t;
    t.storage = a[0];
    t.dtype = a[0].as_storage().dtype;
    t.storage_offset = a[1].as_int();
    t.sizes = int_tuple(a[2], "size");
    t.strides = int_tuple(a[3], "stride");
    if (t.sizes.size() != t.strides.size())
      fail("tensor has " + std::to_string(t.sizes.size()) + " sizes but " + std::to_string(t.strides.size()) +
           " strides");
    if (v2) {
      if (!a[4].is_bool()) wrong(a[4], "a bool requires_grad");
      t.requires_grad = a[4].as_bool();
    }
    // The largest element index must lie inside the storage.
    const std::uint64_t numel = a[0].as_storage().numel;
    constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t last = static_cast<std::uint64_t>(t.storage_offset);
    bool empty = false;
    for (std::size_t i = 0; i < t.sizes.size(); ++i) {
      if (t.sizes[i] == 0) empty = true;
      if (t.sizes[i] <= 1 || t.strides[i] == 0) continue;
      const auto s = static_cast<std::uint64_t>(t.sizes[i] - 1);
      const auto st = static_cast<std::uint64_t>(t.strides[i]);
      if (s > kMax / st || last > kMax - s * st) fail("tensor extent overflows int64");
      last += s * st;
    }
    if (empty ? t.storage_offset > static_cast<std::int64_t>(std::min(numel, kMax)) : last >= numel)
      fail("tensor view (offset " + std::to_string(t.storage_offset) + ", " + std::to_string(t.sizes.size()) +
           " dims) reaches element " + std::to_string(last) + " of storage \"" + a[0].as_storage().key +
           "\" of " + std::to_string(numel) + " elements");
    return Value::make_tensor(std::move(t));
  }
  Value rebuild_parameter(const std::vector<Value>& a, bool with_state) const {
    if (a.size() != (with_state ? 4u : 3u))
      fail("_rebuild_parameter got " + std::to_string(a.size()) + " arguments");
    if (!a[0].is_tensor()) wrong(a[0], "a tensor as the parameter's data");
    if (!a[1].is_bool()) wrong(a[1], "a bool requires_grad");
    TensorInfo t = a[0].as_tensor();
    t.requires_grad = a[1].as_bool();
    t.is_parameter = true;
    return Value::make_tensor(std::move(t));
  }
  Value latin1_encode(std::string_view s, std::string_view encoding) const {
    if (encoding == "utf-8" || encoding == "utf8") return Value::from_bytes(s);
    if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1")
      fail("_codecs.encode with unsupported encoding \"" + std::string(encoding) + "\"");
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if ((c == 0xc2 || c == 0xc3) && i + 1 < s.size() &&
                 (static_cast<unsigned char>(s[i + 1]) & 0xc0) == 0x80) {
        out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3f));
        ++i;
      } else {
        fail("_codecs.encode: str is not latin-1 encodable (byte " + detail::hex_byte(c) + ")");
      }
    }
    return Value::from_bytes(out);
  }
  Value call(const Value& callable, const Value& args_v, bool newobj) const {
    if (!callable.is_global()) wrong(callable, "an allowed global to call");
    if (!args_v.is_tuple()) wrong(args_v, "an argument tuple");
    const std::vector<Value>& a = args_v.items();
    const GlobalId id = callable.as_global();
    const auto arity = [&](std::size_t lo, std::size_t hi) {
      if (a.size() < lo || a.size() > hi)
        fail(callable.global_name() + " called with " + std::to_string(a.size()) + " arguments");
    };
    switch (id) {
      case GlobalId::kOrderedDict:
      case GlobalId::kDict: {
        arity(0, 1);
        Value d = Value::make_dict(id == GlobalId::kOrderedDict);
        if (!a.empty() && !newobj) {
          if (a[0].is_dict()) {
            for (const auto& kv : a[0].dict_items()) d.insert(kv.first, kv.second);
          } else {
            for (const auto& pair : iterable_items(a[0])) {
              if (!(pair.is_tuple() || pair.is_list()) || pair.items().size() != 2)
                wrong(pair, "a (key, value) pair");
              d.insert(pair.items()[0], pair.items()[1]);
            }
          }
        }
        return d;
      }
      case GlobalId::kSet:
      case GlobalId::kFrozenSet:
      case GlobalId::kList:
      case GlobalId::kTuple: {
        arity(0, 1);
        std::vector<Value> items;
        if (!a.empty() && !(newobj && (id == GlobalId::kSet || id == GlobalId::kList)))
          items = iterable_items(a[0]);
        if (id == GlobalId::kList) return Value::make_list(std::move(items));
        if (id == GlobalId::kTuple) return Value::make_tuple(std::move(items));
        // Items stay as pickled (a pickled set has no duplicates).
        return Value::make_set(std::move(items), id == GlobalId::kFrozenSet);
      }
      case GlobalId::kBytes:
      case GlobalId::kBytearray:
        arity(0, 2);
        if (a.empty()) return Value::from_bytes({});
        if (a.size() == 1 && a[0].is_bytes()) return Value::from_bytes(a[0].as_bytes());
        if (a.size() == 2 && a[0].is_str() && a[1].is_str())
          return latin1_encode(a[0].as_str(), a[1].as_str());
        wrong(args_v, "bytes arguments () or (bytes,) or (str, encoding)");
        break;
      case GlobalId::kCodecsEncode:
        arity(1, 2);
        if (!a[0].is_str()) wrong(a[0], "a str to encode");
        if (a.size() == 2 && !a[1].is_str()) wrong(a[1], "an encoding name");
        return latin1_encode(a[0].as_str(), a.size() == 2 ? a[1].as_str() : std::string_view("utf-8"));
      case GlobalId::kNumpyDtype: {
        arity(1, 3);
        if (!a[0].is_str()) wrong(a[0], "a dtype code string");
        bool ok = false;
        DtypeInfo info = parse_dtype_code(a[0].as_str(), ok);
        if (!ok) fail("unsupported numpy dtype \"" + std::string(a[0].as_str()) + "\"");
        return Value::make_dtype(info);
      }
      case GlobalId::kNumpyScalar: return numpy_scalar(a);
      case GlobalId::kRebuildTensorV2: return rebuild_tensor(a, true);
      case GlobalId::kRebuildTensor: return rebuild_tensor(a, false);
      case GlobalId::kRebuildParameter: return rebuild_parameter(a, false);
      case GlobalId::kRebuildParameterWithState: return rebuild_parameter(a, true);
      case GlobalId::kStorageType: break;
    }
    fail("calling " + callable.global_name() + " is not supported");
  }
  void build(Value& obj, const Value& state) const {
    if (obj.kind() == Kind::kDtype) {
      if (!state.is_tuple() || state.items().size() < 2 || !state.items()[1].is_str() ||
          state.items()[1].as_str().size() != 1)
        wrong(state, "a numpy dtype state tuple (version, byteorder, ...)");
      const char bo = state.items()[1].as_str()[0];
      if (bo != '<' && bo != '>' && bo != '|' && bo != '=')
        fail(std::string("unknown numpy byte order '") + bo + "'");
      static_cast<detail::DtypeNode*>(detail::Access::node(obj))->info.byte_order = bo;
      return;
    }
    if (state.is_none()) return;
    if (state.is_dict() && state.size() == 0) return;
    // A dict subclass with instance attributes: PyTorch's state_dict() is an
    // OrderedDict carrying `_metadata` (module versions), restored by BUILD as
    // an attribute. Attributes are not items; they are dropped.
    if (obj.is_dict() && state.is_dict()) return;
    std::string r = state.repr();
    if (r.size() > 60) r = r.substr(0, 57) + "...";
    fail("BUILD with state " + r + " on a " + std::string(obj.type_name()) + " is not supported");
  }

  // ---- text opcodes (protocol 0) ----
  std::string unescape_string(std::string_view s) const {  // Python 2 str literal body
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 == s.size()) {
        out += s[i];
        continue;
      }
      const char c = s[++i];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\n': break;
        case 'x': {
          const int h = i + 2 < s.size() ? detail::hex_digit(s[i + 1]) : -1;
          const int l = i + 2 < s.size() ? detail::hex_digit(s[i + 2]) : -1;
          if (h < 0 || l < 0) fail("STRING has an invalid \\x escape");
          out += static_cast<char>(h * 16 + l);
          i += 2;
          break;
        }
        default:
          if (c >= '0' && c <= '7') {
            int v = c - '0';
            for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
              v = v * 8 + (s[++i] - '0');
            out += static_cast<char>(v & 0xff);
          } else {
            out += '\\';
            out += c;
          }
      }
    }
    return out;
  }
  std::string raw_unicode_escape(std::string_view s) const {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
        const std::size_t digits = s[i + 1] == 'u' ? 4 : 8;
        if (i + 2 + digits > s.size()) fail("UNICODE has a truncated \\u escape");
        std::uint32_t cp = 0;
        for (std::size_t k = 0; k < digits; ++k) {
          const int d = detail::hex_digit(s[i + 2 + k]);
          if (d < 0) fail("UNICODE has an invalid \\u escape");
          cp = cp * 16 + static_cast<std::uint32_t>(d);
        }
        if (cp > 0x10ffff) fail("UNICODE escape beyond U+10FFFF");
        detail::append_utf8(out, cp);
        i += 1 + digits;
      } else {
        detail::append_utf8(out, c);  // latin-1 byte
      }
    }
    return out;
  }

  // ---- numpy scalars without nodes ----
  // A numpy scalar is pickled as REDUCE(scalar, (dtype, raw bytes)); in
  // protocol 2 the bytes are themselves REDUCE(_codecs.encode, (str, 'latin1')).
  // Built generically that is four nodes per number, and the NAS-Bench-201
  // files hold tens of millions of them (every time value). Called at
  // BINUNICODE (`latin1`: protocol 2, the stack ends with scalar, dtype,
  // _codecs.encode) or SHORT_BINBYTES (protocol 3+, the stack ends with
  // scalar, dtype), with the opcode consumed: when the bytes ahead are exactly
  // the rest of that sequence and none of the memo entries it defines is ever
  // read back (known only after a prescan), this consumes the sequence up to
  // the final REDUCE and pushes the number. Otherwise it consumes nothing and
  // returns false, and the generic path reads the same bytes (and reports any
  // error). The argument tuples are then never built: on_complete does not
  // see them.
  bool fast_numpy_scalar(bool latin1) {
    if (!memo_.filtered()) return false;
    const std::size_t n = stack_.size(), below = latin1 ? 3 : 2;
    if (n - base() < below) return false;
    const Value& callable = stack_[n - below];
    const Value& dtype = stack_[n - below + 1];
    if (!callable.is_global() || callable.as_global() != GlobalId::kNumpyScalar || !dtype.is_dtype()) return false;
    if (latin1 && (!stack_[n - 1].is_global() || stack_[n - 1].as_global() != GlobalId::kCodecsEncode)) return false;
    const std::size_t avail = src_.peek(96);
    const std::uint8_t* const start = src_.data();
    const std::uint8_t* p = start;
    const std::uint8_t* const end = start + avail;
    std::size_t len = 0;
    if (latin1) {
      if (end - p < 4) return false;
      len = detail::le32(p);
      p += 4;
    } else {
      if (end - p < 1) return false;
      len = *p++;
    }
    if (len > 16 || static_cast<std::size_t>(end - p) < len) return false;
    const std::uint8_t* const payload = p;
    p += len;
    // Memo puts along the way: each must define an entry that is never read
    // back (the ids are simulated exactly as memo_put would assign them).
    std::uint64_t puts[4];
    bool memoize_op[4];
    int nputs = 0;
    std::uint64_t next_len = memo_.size();
    auto optional_put = [&]() -> bool {
      if (p >= end) return false;
      std::uint64_t id = 0;
      bool memoize = false;
      if (*p == 'q') {
        if (end - p < 2) return false;
        id = p[1];
        p += 2;
      } else if (*p == 'r') {
        if (end - p < 5) return false;
        id = detail::le32(p + 1);
        p += 5;
      } else if (*p == 0x94) {
        id = next_len;
        memoize = true;
        p += 1;
      } else {
        return true;  // no put here
      }
      if (memo_.referenced(id)) return false;
      bool fresh = !memo_.defined(id);
      for (int i = 0; i < nputs; ++i) fresh = fresh && puts[i] != id;
      if (fresh) ++next_len;
      puts[nputs] = id;
      memoize_op[nputs] = memoize;
      ++nputs;
      return true;
    };
    auto expect = [&](std::uint8_t op) {
      if (p >= end || *p != op) return false;
      ++p;
      return true;
    };
    std::uint8_t raw[8];
    std::size_t raw_len = 0;
    if (latin1) {
      if (!optional_put()) return false;
      std::uint64_t get_id = 0;  // the 'latin1' string, memoized earlier
      if (p < end && *p == 'h' && end - p >= 2) {
        get_id = p[1];
        p += 2;
      } else if (p < end && *p == 'j' && end - p >= 5) {
        get_id = detail::le32(p + 1);
        p += 5;
      } else {
        return false;
      }
      const Value* enc = memo_.get(get_id);
      if (enc == nullptr || !enc->is_str() || enc->as_str() != "latin1") return false;
      if (!expect(0x86) || !optional_put() || !expect('R') || !optional_put()) return false;
      for (std::size_t i = 0; i < len; ++i) {  // UTF-8 of latin-1 characters -> bytes
        if (raw_len == sizeof raw) return false;
        const std::uint8_t c = payload[i];
        if (c < 0x80) {
          raw[raw_len++] = c;
        } else if ((c == 0xc2 || c == 0xc3) && i + 1 < len && (payload[i + 1] & 0xc0) == 0x80) {
          raw[raw_len++] = static_cast<std::uint8_t>(((c & 0x03) << 6) | (payload[i + 1] & 0x3f));
          ++i;
        } else {
          return false;
        }
      }
    } else {
      if (!optional_put() || len > sizeof raw) return false;
      std::memcpy(raw, payload, len);
      raw_len = len;
    }
    if (!expect(0x86) || !optional_put() || !expect('R')) return false;
    const DtypeInfo& dt = dtype.as_dtype();
    if (raw_len != element_size(dt.type)) return false;
    Value number;
    try {
      number = numpy_scalar(dt, std::string_view(reinterpret_cast<const char*>(raw), raw_len));
    } catch (const LoadError&) {
      return false;  // the generic path reports it, at its own offset
    }
    // Commit: the memo entries are defined (and, never read back, not kept).
    for (int i = 0; i < nputs; ++i) memo_.put(memoize_op[i] ? memo_.size() : puts[i], Value());
    src_.advance(static_cast<std::size_t>(p - start));
    stack_.resize(n - below);
    push_value(std::move(number));
    ++stats_.fast_numpy_scalars;
    return true;
  }

  // After MARK: a tight loop over the opcodes that fill an item batch
  // (MARK ... SETITEMS/APPENDS) of a NAS-Bench-201 file, most of its opcodes:
  // ints, floats, None, strs, memo GETs and PUTs, numpy scalars. Each is
  // decoded exactly as run() decodes it (the same stack, the same memo, the
  // same numpy fast path) but without run()'s per-opcode bookkeeping, because
  // its argument is known to be buffered. The first other opcode (SETITEMS
  // included), or one whose bytes are not all buffered, returns to run(),
  // which carries on from the same byte: errors are run()'s, at its offsets.
  void fast_items() {
    std::uint64_t handled = 0;
    for (;;) {
      std::size_t avail = src_.buffered();
      if (avail < 16) {
        avail = src_.peek(16);
        if (avail < 9) break;  // 9: the longest fixed-size opcode here (BINFLOAT)
      }
      const std::uint8_t* const p = src_.data();
      const std::uint8_t c = p[0];
      switch (c) {
        case 'K':
          stack_.push_back(Value::from_int(p[1]));
          src_.advance(2);
          break;
        case 'M':
          stack_.push_back(Value::from_int(p[1] | (p[2] << 8)));
          src_.advance(3);
          break;
        case 'J':
          stack_.push_back(Value::from_int(static_cast<std::int32_t>(detail::le32(p + 1))));
          src_.advance(5);
          break;
        case 'G':
          stack_.push_back(Value::from_float(detail::be_double(p + 1)));
          src_.advance(9);
          break;
        case 'N':
          stack_.push_back(Value());
          src_.advance(1);
          break;
        case 'h':
        case 'j': {
          const std::uint64_t id = c == 'h' ? p[1] : detail::le32(p + 1);
          const Value* v = memo_.get(id);
          if (v == nullptr) goto done;  // run() reports it
          stack_.push_back(*v);
          src_.advance(c == 'h' ? 2 : 5);
          break;
        }
        case 'q':
        case 'r': {
          if (stack_.size() <= base()) goto done;  // run() reports the underflow
          memo_put(c == 'q' ? p[1] : detail::le32(p + 1));
          src_.advance(c == 'q' ? 2 : 5);
          break;
        }
        case 'X': {
          if (detail::le32(p + 1) > avail - 5) goto done;  // not all buffered (or absurd): run() reads it
          op_off_ = src_.offset();
          op_ = c;
          src_.advance(1);
          if (!fast_numpy_scalar(true)) push_value(read_blob(Kind::kStr, detail::le32(arg(4))));
          break;
        }
        default: goto done;
      }
      ++handled;
    }
  done:
    stats_.fast_item_opcodes += handled;
  }

  // ---- the prescan pass, on this thread or another ----
  struct Background {
    std::unique_ptr<Source> source;
    std::unique_ptr<Reader> reader;
    detail::IdSet referenced;
    std::exception_ptr error;
    std::atomic<bool> done{false};
    std::atomic<bool> stop{false};
    std::thread thread;
    ~Background() {
      stop.store(true, std::memory_order_relaxed);
      if (thread.joinable()) thread.join();
    }
  };
  /// Starts the prescan of opt_.prescan_source() on another thread; false
  /// (prescan here instead) when no thread can be started.
  bool start_background() {
    auto bg = std::make_unique<Background>();
    bg->source = opt_.prescan_source();
    if (!bg->source || !bg->source->seek(stats_.start_offset))
      throw LoadError("the prescan source cannot reach the pickle at offset " + std::to_string(stats_.start_offset),
                      stats_.start_offset);
    bg->reader = std::make_unique<Reader>(*bg->source);
    bg->reader->cancel_ = &bg->stop;
    Background* b = bg.get();
    try {
      b->thread = std::thread([b] {
        try {
          b->reader->prescan(b->referenced);
        } catch (...) {
          b->error = std::current_exception();
        }
        b->done.store(true, std::memory_order_release);
      });
    } catch (const std::system_error&) {
      return false;
    }
    background_ = std::move(bg);
    return true;
  }
  /// The background prescan is done: its error is this pickle's, or its ids
  /// filter the memo from now on.
  void adopt_background() {
    const std::unique_ptr<Background> bg = std::move(background_);
    bg->thread.join();
    if (bg->error) std::rethrow_exception(bg->error);
    memo_.apply_filter(std::move(bg->referenced));
  }

  void prescan(detail::IdSet& referenced) {
    detail::DefinedIds defined;
    std::uint64_t len = 0;
    for (;;) {
      if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed))
        throw LoadError("prescan cancelled", src_.offset());
      const int c = next_opcode();
      switch (c) {
        case '.': return;
        case 0x80: arg(1); break;
        case 0x95: check_length(detail::le64(arg(8))); break;
        case '(':
        case '0':
        case '1':
        case '2':
        case 'N':
        case 0x88:
        case 0x89:
        case ')':
        case 't':
        case 0x85:
        case 0x86:
        case 0x87:
        case ']':
        case 'a':
        case 'e':
        case 'l':
        case '}':
        case 's':
        case 'u':
        case 'd':
        case 0x8f:
        case 0x90:
        case 0x91:
        case 'R':
        case 0x81:
        case 0x92:
        case 'b':
        case 'Q':
        case 0x93:
        case 0x97:
        case 0x98:
        case 'o': break;
        case 0x94:
          if (defined.insert(len)) ++len;
          break;
        case 'I':
        case 'L':
        case 'F':
        case 'S':
        case 'V':
        case 'P': line(); break;
        case 'c':
        case 'i':
          line();
          line();
          break;
        case 'g': referenced.insert(parse_uint(line())); break;
        case 'h': referenced.insert(arg(1)[0]); break;
        case 'j': referenced.insert(detail::le32(arg(4))); break;
        case 'p':
          if (defined.insert(parse_uint(line()))) ++len;
          break;
        case 'q':
          if (defined.insert(arg(1)[0])) ++len;
          break;
        case 'r':
          if (defined.insert(detail::le32(arg(4)))) ++len;
          break;
        case 'J': arg(4); break;
        case 'K': arg(1); break;
        case 'M': arg(2); break;
        case 'G': arg(8); break;
        case 0x82: arg(1); break;
        case 0x83: arg(2); break;
        case 0x84: arg(4); break;
        case 0x8a:
        case 'U':
        case 'C':
        case 0x8c: skip_bytes(arg(1)[0]); break;
        case 0x8b:
        case 'T': {
          const auto n = static_cast<std::int32_t>(detail::le32(arg(4)));
          if (n < 0) fail(opname() + " has a negative length");
          skip_bytes(static_cast<std::uint64_t>(n));
          break;
        }
        case 'X':
        case 'B': skip_bytes(detail::le32(arg(4))); break;
        case 0x8d:
        case 0x8e:
        case 0x96: skip_bytes(detail::le64(arg(8))); break;
        default: fail("unknown pickle opcode " + detail::hex_byte(c));
      }
    }
  }

  // The next opcode byte, remembered with its offset for error messages.
  int next_opcode() {
    op_off_ = src_.offset();
    const int c = src_.get();
    if (c < 0) {
      op_ = 0x2e;
      fail("truncated pickle: input ends before the STOP opcode");
    }
    op_ = c;
    return c;
  }

  // ---- the main pass ----
  Value run() {
    for (;;) {
      const int c = next_opcode();
      switch (c) {
        case 0x80: {  // PROTO
          const int v = arg(1)[0];
          if (v > 5) fail("unsupported pickle protocol " + std::to_string(v));
          break;
        }
        case 0x95:  // FRAME: a hint; the bytes are read as they come
          check_length(detail::le64(arg(8)));
          break;
        case '.': {  // STOP
          Value v = pop();
          complete(v);
          return v;
        }
        case '(':
          marks_.push_back(stack_.size());
          fast_items();
          break;
        case '0':  // POP
          if (stack_.size() > base()) {
            stack_.pop_back();
          } else if (!marks_.empty()) {
            marks_.pop_back();
          } else {
            underflow();
          }
          break;
        case '1': stack_.resize(pop_mark()); break;  // POP_MARK
        case '2': {                                  // DUP
          Value v = top();
          stack_.push_back(std::move(v));
          break;
        }
        case 'N': push_value(Value()); break;
        case 0x88: push_value(Value::from_bool(true)); break;
        case 0x89: push_value(Value::from_bool(false)); break;
        case 'I': {  // INT (text)
          const std::string s = line();
          if (s == "00") {
            push_value(Value::from_bool(false));
          } else if (s == "01") {
            push_value(Value::from_bool(true));
          } else {
            push_value(Value::from_int(parse_int(s)));
          }
          break;
        }
        case 'L': {  // LONG (text)
          std::string s = line();
          if (!s.empty() && s.back() == 'L') s.pop_back();
          push_value(Value::from_int(parse_int(s)));
          break;
        }
        case 'J': push_value(Value::from_int(static_cast<std::int32_t>(detail::le32(arg(4))))); break;
        case 'K': push_value(Value::from_int(arg(1)[0])); break;
        case 'M': {
          const std::uint8_t* p = arg(2);
          push_value(Value::from_int(p[0] | (p[1] << 8)));
          break;
        }
        case 0x8a:    // LONG1
        case 0x8b: {  // LONG4
          std::uint64_t n;
          if (c == 0x8a) {
            n = arg(1)[0];
          } else {
            const auto s = static_cast<std::int32_t>(detail::le32(arg(4)));
            if (s < 0) fail("LONG4 has a negative length");
            n = static_cast<std::uint64_t>(s);
          }
          if (n > 8) fail("integer too large for int64 (" + std::to_string(n) + "-byte " + opname() + ")");
          const std::uint8_t* p = arg(static_cast<std::size_t>(n));
          std::uint64_t u = 0;
          for (std::uint64_t i = 0; i < n; ++i) u |= static_cast<std::uint64_t>(p[i]) << (8 * i);
          if (n > 0 && n < 8 && (p[n - 1] & 0x80)) u |= ~std::uint64_t{0} << (8 * n);
          push_value(Value::from_int(static_cast<std::int64_t>(u)));
          break;
        }
        case 'G': push_value(Value::from_float(detail::be_double(arg(8)))); break;  // BINFLOAT
        case 'F': {  // FLOAT (text)
          std::string s = line();
          std::string_view sv = s;
          while (!sv.empty() && (sv.back() == ' ' || sv.back() == '\r')) sv.remove_suffix(1);
          if (!sv.empty() && sv.front() == '+') sv.remove_prefix(1);
          double d = 0;
          auto r = std::from_chars(sv.data(), sv.data() + sv.size(), d);
          if (sv.empty() || r.ec != std::errc() || r.ptr != sv.data() + sv.size())
            fail("FLOAT argument \"" + s.substr(0, 40) + "\" is not a float");
          push_value(Value::from_float(d));
          break;
        }
        case 'U': push_value(read_blob(Kind::kStr, arg(1)[0])); break;  // SHORT_BINSTRING
        case 'T': {                                                     // BINSTRING
          const auto n = static_cast<std::int32_t>(detail::le32(arg(4)));
          if (n < 0) fail("BINSTRING has a negative length");
          push_value(read_blob(Kind::kStr, static_cast<std::uint64_t>(n)));
          break;
        }
        case 'S': {  // STRING (text, quoted)
          const std::string s = line();
          if (s.size() < 2 || s.front() != s.back() || (s.front() != '\'' && s.front() != '"'))
            fail("the STRING opcode argument must be quoted");
          push_value(Value::from_str(unescape_string(std::string_view(s).substr(1, s.size() - 2))));
          break;
        }
        case 'X':
          if (fast_numpy_scalar(true)) break;
          push_value(read_blob(Kind::kStr, detail::le32(arg(4))));
          break;
        case 0x8c: push_value(read_blob(Kind::kStr, arg(1)[0])); break;
        case 0x8d: push_value(read_blob(Kind::kStr, detail::le64(arg(8)))); break;
        case 'V': push_value(Value::from_str(raw_unicode_escape(line()))); break;
        case 'B': push_value(read_blob(Kind::kBytes, detail::le32(arg(4)))); break;
        case 'C':
          if (fast_numpy_scalar(false)) break;
          push_value(read_blob(Kind::kBytes, arg(1)[0]));
          break;
        case 0x8e:
        case 0x96: push_value(read_blob(Kind::kBytes, detail::le64(arg(8)))); break;
        case ')': push_value(Value::make_tuple()); break;
        case 't': {
          const std::size_t k = pop_mark();
          push_value(Value::make_tuple(take_from(k)));
          break;
        }
        case 0x85: push_tuple(1); break;
        case 0x86: push_tuple(2); break;
        case 0x87: push_tuple(3); break;
        case ']': push_value(Value::make_list()); break;
        case 'l': {
          const std::size_t k = pop_mark();
          push_value(Value::make_list(take_from(k)));
          break;
        }
        case 'a':  // APPEND
          need(2);
          add_items(stack_.size() - 2, stack_.size() - 1, Kind::kList, "a list");
          break;
        case 'e': {  // APPENDS
          const std::size_t k = pop_mark();
          add_items(below_mark(k), k, Kind::kList, "a list below its items");
          break;
        }
        case '}': push_value(Value::make_dict()); break;
        case 'd': {  // DICT
          const std::size_t k = pop_mark();
          if ((stack_.size() - k) % 2 != 0) fail("odd number of items for DICT");
          Value d = Value::make_dict();
          auto* node = detail::Access::dict(d);
          for (std::size_t i = k; i < stack_.size(); i += 2) {
            complete(stack_[i]);
            complete(stack_[i + 1]);
            detail::dict_push(node, std::move(stack_[i]), std::move(stack_[i + 1]));
          }
          stack_.resize(k);
          push_value(std::move(d));
          break;
        }
        case 's':  // SETITEM
          need(3);
          set_items(stack_.size() - 3, stack_.size() - 2);
          break;
        case 'u': {  // SETITEMS
          const std::size_t k = pop_mark();
          set_items(below_mark(k), k);
          break;
        }
        case 0x8f: push_value(Value::make_set()); break;
        case 0x90: {  // ADDITEMS
          const std::size_t k = pop_mark();
          add_items(below_mark(k), k, Kind::kSet, "a set below its items");
          break;
        }
        case 0x91: {  // FROZENSET
          const std::size_t k = pop_mark();
          push_value(Value::make_set(take_from(k), true));
          break;
        }
        case 'g': memo_get(parse_uint(line())); break;
        case 'h': memo_get(arg(1)[0]); break;
        case 'j': memo_get(detail::le32(arg(4))); break;
        case 'p': memo_put(parse_uint(line())); break;
        case 'q': memo_put(arg(1)[0]); break;
        case 'r': memo_put(detail::le32(arg(4))); break;
        case 0x94: memo_put(memo_.size()); break;
        case 'c': {  // GLOBAL
          const std::string module = line();
          const std::string name = line();
          push_value(resolve_global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Value name = pop();
          Value module = pop();
          if (!module.is_str() || !name.is_str()) fail("STACK_GLOBAL needs str module and name");
          push_value(resolve_global(module.as_str(), name.as_str()));
          break;
        }
        case 'R': {  // REDUCE
          Value args = pop();
          Value& callable = top();
          callable = call(callable, args, false);
          break;
        }
        case 0x81: {  // NEWOBJ
          Value args = pop();
          Value& cls = top();
          cls = call(cls, args, true);
          break;
        }
        case 0x92: {  // NEWOBJ_EX
          Value kwargs = pop();
          Value args = pop();
          Value& cls = top();
          if (!kwargs.is_dict() || kwargs.size() != 0) wrong(kwargs, "empty keyword arguments");
          cls = call(cls, args, true);
          break;
        }
        case 'b': {  // BUILD
          Value state = pop();
          build(top(), state);
          break;
        }
        case 'P':    // PERSID
        case 'Q': {  // BINPERSID
          Value pid = c == 'P' ? Value::from_str(line()) : pop();
          if (!opt_.persistent_load)
            fail("persistent id " + pid.repr().substr(0, 60) +
                 " needs a persistent_load (not a torch.save file?)");
          push_value(opt_.persistent_load(pid, op_off_));
          break;
        }
        case 0x97:
        case 0x98: fail("out-of-band buffers (" + opname() + ") are not supported");
        case 'i':
        case 'o': fail("opcode " + opname() + " (class instance) is not supported");
        case 0x82:
        case 0x83:
        case 0x84: fail("opcode " + opname() + " (extension registry) is not supported");
        default: fail("unknown pickle opcode " + detail::hex_byte(c));
      }
    }
  }

  Source& src_;
  ReaderOptions opt_;
  bool hook_;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  detail::Memo memo_;
  ReaderStats stats_;
  std::uint64_t op_off_ = 0;
  int op_ = 0;
  std::unique_ptr<Background> background_;     ///< a prescan running on another thread
  const std::atomic<bool>* cancel_ = nullptr;  ///< stops prescan() (a background reader's)
};

/// Reads one pickle from `source` (see Reader).
[[nodiscard]] inline Value load(Source& source, const ReaderOptions& options = {}) {
  return Reader(source, options).load();
}

/// Reads one pickle from bytes in memory, like Python's pickle.loads.
[[nodiscard]] inline Value loads(std::string_view data, const ReaderOptions& options = {}) {
  MemorySource src(data);
  return Reader(src, options).load();
}

}  // namespace nasbench::pickle
