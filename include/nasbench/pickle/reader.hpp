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

#include <nasbench/pickle/detail/bytes.hpp>
#include <nasbench/pickle/detail/memo.hpp>
#include <nasbench/pickle/opcodes.hpp>
#include <nasbench/pickle/source.hpp>
#include <nasbench/pickle/value.hpp>

#include <algorithm>
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
  /// Resolves `torch.storage._load_from_bytes(b)`, how a tensor pickled with
  /// the plain `pickle` module (NATS-Bench `-full` archives) carries its
  /// storage: `b` (a bytes Value) holds a torch.save of that storage; the
  /// result must be a Kind::kStorage value. `offset` is the REDUCE's. When
  /// empty, such a call is a LoadError. pickle::open() installs one for plain
  /// and bz2 pickles (container.hpp).
  std::function<Value(const Value& bytes, std::uint64_t offset)> load_from_bytes;
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
  /// A container was pushed a second time (GET, DUP): the result may hold a
  /// reference cycle (a list that contains itself), which refcounting never
  /// frees; Document's destructor then looks for one (see Document).
  bool cycles_possible = false;
};
/// Reads pickles from a Source, one per load() call (each with a fresh memo).
///
/// load() runs the main pass (run(): one switch over the opcodes, which take
/// their argument layout from kOpcodes), with the item loop after MARK and
/// the numpy-scalar shortcut (detail/fast_paths.hpp), and with
/// ReaderOptions::prescan_memo a prescan first or on another thread
/// (detail/prescan.hpp). Globals, calls and BUILD: detail/reader_objects.hpp;
/// the rest: detail/reader_core.hpp.
class Reader {
 public:
  /// A reader of `source` (which must outlive it).
  explicit Reader(Source& source, ReaderOptions options = {})
      : src_(source), opt_(std::move(options)), hook_(static_cast<bool>(opt_.on_complete)) {}

  /// Reads one pickle, up to and including its STOP opcode, and returns its value.
  /// LoadError (with the byte offset) for anything malformed or unsupported.
  Value load();

  /// Counters of the last load().
  [[nodiscard]] const ReaderStats& stats() const noexcept { return stats_; }

 private:
  // ---- errors ----
  [[noreturn]] void fail(const std::string& what) const;
  [[nodiscard]] std::string opname() const;
  [[noreturn]] void truncated(std::uint64_t n) const;
  [[noreturn]] void underflow() const { fail("stack underflow at " + opname()); }
  [[noreturn]] void wrong(const Value& got, std::string_view expected) const;

  // ---- input ----
  const std::uint8_t* arg(std::size_t n);
  // Opcode arguments as kOpcodes lays them out; Op is a constant, so the
  // table folds away.
  template <std::uint8_t Op>
  static std::uint64_t fixed_uint(const std::uint8_t* p) noexcept;
  // Consumes Op's fixed-size argument.
  template <std::uint8_t Op>
  const std::uint8_t* fixed_arg();
  // Consumes Op's unsigned argument: fixed-size little-endian or a decimal line.
  template <std::uint8_t Op>
  std::uint64_t uint_arg();
  // Consumes the length prefix of Op's counted argument (not the bytes).
  template <std::uint8_t Op>
  std::uint64_t counted_length();
  // Consumes the argument of the opcode just read, whatever it is (the prescan).
  void skip_arg(const OpcodeInfo& o);
  void check_length(std::uint64_t n) const;
  void skip_bytes(std::uint64_t n);
  // A text argument up to '\n' (excluded).
  std::string line();
  Value read_blob(Kind kind, std::uint64_t n);
  std::uint64_t parse_uint(std::string_view s) const;
  std::int64_t parse_int(std::string_view s) const;

  // ---- stack ----
  [[nodiscard]] std::size_t base() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
  void need(std::size_t n) const;
  Value pop();
  Value& top();
  /// Lets go of a value an opcode took off the stack or the memo (POP, a
  /// redefined memo id, BUILD's state, REDUCE's arguments). While cycles are
  /// possible a container is kept in dropped_ instead, so that load() frees
  /// the cycles it may be part of (at STOP) or breaks them (on an error):
  /// a self-containing dict dropped by refcount alone would leak.
  void release(Value&& v) noexcept;
  /// PERSID / BINPERSID: ReaderOptions::persistent_load's value for `pid`.
  Value persistent(const Value& pid);
  /// A value popped for one opcode, released when the opcode is done or throws.
  struct Popped {
    Reader& reader;
    Value value;
    explicit Popped(Reader& r) : reader(r), value(r.pop()) {}
    Popped(const Popped&) = delete;
    Popped& operator=(const Popped&) = delete;
    ~Popped() { reader.release(std::move(value)); }
  };
  std::size_t pop_mark();
  // Position of the container an item-adding opcode applies to: just below the mark.
  std::size_t below_mark(std::size_t k) const;
  void complete(Value& v);
  // Moves stack_[k..] into a vector (completing each item).
  std::vector<Value> take_from(std::size_t k);
  void push_tuple(std::size_t n);
  void push_value(Value&& v) { stack_.push_back(std::move(v)); }
  void memo_put(std::uint64_t id);
  void memo_get(std::uint64_t id);
  // Completes stack_[k..]; then the target is checked (a hook may have turned
  // it into a handle through a self-reference).
  void complete_from(std::size_t k);
  void set_items(std::size_t target, std::size_t k);
  // APPENDS / ADDITEMS: moves stack_[k..] into the list or set at stack_[target].
  void add_items(std::size_t target, std::size_t k, Kind kind, const char* expected);

  // ---- globals ----
  Value resolve_global(std::string_view module, std::string_view name) const;

  // ---- REDUCE / NEWOBJ ----
  const std::vector<Value>& iterable_items(const Value& v) const;
  static DtypeInfo parse_dtype_code(std::string_view code, bool& ok);
  Value numpy_scalar(const std::vector<Value>& a) const;
  Value numpy_scalar(const DtypeInfo& dt, std::string_view raw) const;
  std::vector<std::int64_t> int_tuple(const Value& v, const char* what) const;
  Value rebuild_tensor(const std::vector<Value>& a, bool v2) const;
  Value rebuild_parameter(const std::vector<Value>& a, bool with_state) const;
  Value latin1_encode(std::string_view s, std::string_view encoding) const;
  Value call(const Value& callable, const Value& args_v, bool newobj) const;
  void build(Value& obj, const Value& state) const;

  // ---- text opcodes (protocol 0) ----
  std::string unescape_string(std::string_view s) const;
  std::string raw_unicode_escape(std::string_view s) const;

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
  bool fast_numpy_scalar(bool latin1);

  // The longest opcode the item loop decodes whole (BINFLOAT, 9 bytes).
  static constexpr std::size_t kItemLoopMin = [] {
    std::size_t m = 0;
    for (const std::uint8_t op : {'K', 'M', 'J', 'G', 'N', 'h', 'j', 'q', 'r'})
      m = std::max(m, fixed_opcode_bytes(op));
    return m;
  }();
  // After MARK: a tight loop over the opcodes that fill an item batch
  // (MARK ... SETITEMS/APPENDS) of a NAS-Bench-201 file, most of its opcodes:
  // ints, floats, None, strs, memo GETs and PUTs, numpy scalars. Each is
  // decoded exactly as run() decodes it (the same stack, the same memo, the
  // same numpy fast path) but without run()'s per-opcode bookkeeping, because
  // its argument is known to be buffered. The first other opcode (SETITEMS
  // included), or one whose bytes are not all buffered, returns to run(),
  // which carries on from the same byte: errors are run()'s, at its offsets.
  void fast_items();

  // ---- the prescan pass, on this thread or another ----
  struct Background;
  /// Starts the prescan of opt_.prescan_source() on another thread; false
  /// (prescan here instead) when no thread can be started.
  bool start_background();
  /// The background prescan is done: its error is this pickle's, or its ids
  /// filter the memo from now on.
  void adopt_background();

  void prescan(detail::IdSet& referenced);

  // The next opcode byte, remembered with its offset for error messages.
  int next_opcode();

  // ---- the main pass ----
  Value run();

  Source& src_;
  ReaderOptions opt_;
  bool hook_;
  bool second_reference_ = false;  ///< a container was pushed again (GET, DUP): cycles are possible
  std::vector<Value> stack_;
  std::vector<Value> dropped_;  ///< containers released while cycles were possible (see release)
  /// release() looks for the cycles among dropped_ when it holds collect_at_
  /// containers: at first kCollectDropped, then twice the containers the last look
  /// went through (so that a pickle that drops containers all along keeps no more
  /// alive than about twice what it holds, in amortised O(1) work per drop).
  static constexpr std::size_t kCollectDropped = 4096;
  std::size_t collect_at_ = kCollectDropped;
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

// The member definitions (prescan first: it completes Reader::Background).
#include <nasbench/pickle/detail/prescan.hpp>
#include <nasbench/pickle/detail/fast_paths.hpp>
#include <nasbench/pickle/detail/reader_objects.hpp>
#include <nasbench/pickle/detail/reader_core.hpp>
