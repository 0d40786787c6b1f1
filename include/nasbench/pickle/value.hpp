#pragma once
/// @file pickle/value.hpp
/// The object model of the pickle reader: `Value`, a 16-byte tagged value.
/// None, bool, int, float and resolved globals are stored inline; strings,
/// bytes, containers, numpy dtypes, torch storages/tensors and handles live in
/// shared heap nodes with an intrusive reference count, so a memoized string
/// or dict referenced a million times is stored once, and a change made to a
/// node (Value::become_handle) is seen through every reference, the memo
/// included.
///
/// Reference counts are not atomic: a Value graph belongs to one thread at a
/// time (move it between threads freely, but do not copy or destroy Values
/// that share nodes from two threads at once; lazily built dict indexes make
/// even lookups writes). Build typed tables from it for concurrent use.
/// A container that contains itself (legal in Python, absent from benchmark
/// files) forms a reference cycle that is never freed.
///
/// Sizes: Value 16 bytes; str/bytes node 16 bytes + the characters; tuple,
/// list, set node 32 bytes + 16 per item; dict node 40 bytes + 32 per item
/// (+ a 4-byte-per-slot index, built on the first lookup in a dict of more
/// than 8 items).
///
/// @code
///   nasbench::pickle::Value v = nasbench::pickle::loads(bytes);
///   const auto& results = v.at("all_results");
///   double acc = results.at(key).at("train_acc1es").at(std::int64_t{0}).to_double();
/// @endcode

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <nasbench/error.hpp>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nasbench::pickle {

/// What a Value holds.
enum class Kind : std::uint8_t {
  kNone,       ///< Python None.
  kBool,       ///< bool (also numpy.bool_ scalars).
  kInt,        ///< int that fits in int64 (also numpy integer scalars).
  kFloat,      ///< float (also numpy.float64/32/16 scalars, widened to double).
  kStr,        ///< str, as the UTF-8 bytes found in the pickle (not validated).
  kBytes,      ///< bytes or bytearray.
  kTuple,      ///< tuple.
  kList,       ///< list.
  kDict,       ///< dict or collections.OrderedDict (see Value::is_ordered_dict).
  kSet,        ///< set.
  kFrozenSet,  ///< frozenset.
  kGlobal,     ///< A resolved, allow-listed global (a class or function), never called.
  kDtype,      ///< A numpy.dtype (only seen as an argument of numpy scalars).
  kStorage,    ///< A torch storage reference from a persistent id (see StorageInfo).
  kTensor,     ///< A torch tensor descriptor (see TensorInfo); no data.
  kHandle,     ///< A container replaced by the on_complete hook (id + payload).
};

/// Python-style name of a kind ("NoneType", "int", "dict", ...).
[[nodiscard]] inline std::string_view to_string(Kind kind) noexcept {
  switch (kind) {
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kTuple: return "tuple";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kSet: return "set";
    case Kind::kFrozenSet: return "frozenset";
    case Kind::kGlobal: return "global";
    case Kind::kDtype: return "numpy.dtype";
    case Kind::kStorage: return "storage";
    case Kind::kTensor: return "tensor";
    case Kind::kHandle: return "handle";
  }
  return "?";
}

/// Element type of a torch storage/tensor or a numpy scalar.
enum class ScalarType : std::uint8_t {
  kFloat64,
  kFloat32,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kBool,
};

/// Torch-style name of a scalar type ("float32", "int64", "bool", ...).
[[nodiscard]] inline std::string_view to_string(ScalarType t) noexcept {
  switch (t) {
    case ScalarType::kFloat64: return "float64";
    case ScalarType::kFloat32: return "float32";
    case ScalarType::kFloat16: return "float16";
    case ScalarType::kBFloat16: return "bfloat16";
    case ScalarType::kInt64: return "int64";
    case ScalarType::kInt32: return "int32";
    case ScalarType::kInt16: return "int16";
    case ScalarType::kInt8: return "int8";
    case ScalarType::kUInt8: return "uint8";
    case ScalarType::kUInt16: return "uint16";
    case ScalarType::kUInt32: return "uint32";
    case ScalarType::kUInt64: return "uint64";
    case ScalarType::kBool: return "bool";
  }
  return "?";
}

/// Size in bytes of one element of `t`.
[[nodiscard]] inline std::size_t element_size(ScalarType t) noexcept {
  switch (t) {
    case ScalarType::kFloat64:
    case ScalarType::kInt64:
    case ScalarType::kUInt64: return 8;
    case ScalarType::kFloat32:
    case ScalarType::kInt32:
    case ScalarType::kUInt32: return 4;
    case ScalarType::kFloat16:
    case ScalarType::kBFloat16:
    case ScalarType::kInt16:
    case ScalarType::kUInt16: return 2;
    case ScalarType::kInt8:
    case ScalarType::kUInt8:
    case ScalarType::kBool: return 1;
  }
  return 1;
}

/// The allow-listed globals. They are resolved to these ids, never imported or called.
enum class GlobalId : std::uint8_t {
  kOrderedDict,                ///< collections.OrderedDict
  kSet,                        ///< builtins.set
  kFrozenSet,                  ///< builtins.frozenset
  kList,                       ///< builtins.list
  kDict,                       ///< builtins.dict
  kTuple,                      ///< builtins.tuple
  kBytes,                      ///< builtins.bytes
  kBytearray,                  ///< builtins.bytearray
  kCodecsEncode,               ///< _codecs.encode
  kNumpyScalar,                ///< numpy.core.multiarray.scalar (numpy._core in numpy 2)
  kNumpyDtype,                 ///< numpy.dtype
  kRebuildTensor,              ///< torch._utils._rebuild_tensor
  kRebuildTensorV2,            ///< torch._utils._rebuild_tensor_v2
  kRebuildParameter,           ///< torch._utils._rebuild_parameter
  kRebuildParameterWithState,  ///< torch._utils._rebuild_parameter_with_state
  kStorageType,                ///< torch.<T>Storage / torch.UntypedStorage (with a ScalarType)
};

/// A numpy dtype as read from `numpy.dtype(code, False, True)` + BUILD state.
struct DtypeInfo {
  ScalarType type = ScalarType::kFloat64;  ///< Element type.
  char byte_order = '=';                   ///< '<', '>', '|' or '=' (native).
};

/// A torch storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
struct StorageInfo {
  std::string key;                        ///< Record key: "0", "1"... (zip) or a pointer string (legacy).
  ScalarType dtype = ScalarType::kUInt8;  ///< Element type of the storage class.
  std::string location;                   ///< Device string, e.g. "cpu" or "cuda:0".
  std::uint64_t numel = 0;                ///< Number of elements of `dtype` in the storage.
};

class Value;

namespace detail {

/// Common header of every heap node.
struct Node {
  std::uint32_t refs = 1;
  Kind kind = Kind::kNone;
  std::uint8_t flags = 0;
  std::uint16_t spare = 0;
};
static_assert(sizeof(Node) == 8);

inline constexpr std::uint8_t kFlagOrdered = 1;    // dict is a collections.OrderedDict
inline constexpr std::uint8_t kFlagCompleted = 2;  // on_complete was called for this node
inline constexpr std::uint32_t kStickyRefs = std::numeric_limits<std::uint32_t>::max();

inline void retain(Node* n) noexcept {
  if (n->refs != kStickyRefs) ++n->refs;
}
inline void destroy_node(Node* n) noexcept;
inline void release(Node* n) noexcept {
  if (n->refs == kStickyRefs) return;  // saturated: kept forever
  if (--n->refs == 0) destroy_node(n);
}

struct StrNode;
struct SeqNode;
struct DictNode;
struct DictIndex;
struct HandleNode;
struct DtypeNode;
struct StorageNode;
struct TensorNode;
struct Access;

[[noreturn]] inline void fail_kind(std::string_view wanted, const Value& got);

}  // namespace detail

struct TensorInfo;

/// A decoded Python value. 16 bytes; copies share heap nodes.
class Value {
 public:
  /// None.
  Value() noexcept : tag_(Tag::kNone) { u_.i = 0; }
  /// Copies share the heap node (reference count + 1).
  Value(const Value& o) noexcept : tag_(o.tag_), u_(o.u_) {
    if (tag_ == Tag::kRef) detail::retain(u_.n);
  }
  /// Moves leave `o` None.
  Value(Value&& o) noexcept : tag_(o.tag_), u_(o.u_) { o.tag_ = Tag::kNone; }
  /// Copy assignment (shares the node).
  Value& operator=(const Value& o) noexcept {
    if (this != &o) {
      Value tmp(o);
      swap(tmp);
    }
    return *this;
  }
  /// Move assignment.
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Value tmp(std::move(o));
      swap(tmp);
    }
    return *this;
  }
  ~Value() {
    if (tag_ == Tag::kRef) detail::release(u_.n);
  }
  /// Exchanges two values.
  void swap(Value& o) noexcept {
    std::swap(tag_, o.tag_);
    std::swap(u_, o.u_);
  }

  /// A bool.
  [[nodiscard]] static Value from_bool(bool b) noexcept {
    Value v;
    v.tag_ = Tag::kBool;
    v.u_.i = b ? 1 : 0;
    return v;
  }
  /// An int.
  [[nodiscard]] static Value from_int(std::int64_t i) noexcept {
    Value v;
    v.tag_ = Tag::kInt;
    v.u_.i = i;
    return v;
  }
  /// A float.
  [[nodiscard]] static Value from_float(double d) noexcept {
    Value v;
    v.tag_ = Tag::kFloat;
    v.u_.f = d;
    return v;
  }
  /// A str holding these (UTF-8) bytes.
  [[nodiscard]] static Value from_str(std::string_view s);
  /// A bytes object.
  [[nodiscard]] static Value from_bytes(std::string_view s);
  /// A tuple.
  [[nodiscard]] static Value make_tuple(std::vector<Value> items = {});
  /// A list.
  [[nodiscard]] static Value make_list(std::vector<Value> items = {});
  /// An empty dict, or an empty OrderedDict when `ordered`.
  [[nodiscard]] static Value make_dict(bool ordered = false);
  /// A set (or frozenset) of these items, kept in this order (duplicates are not removed).
  [[nodiscard]] static Value make_set(std::vector<Value> items = {}, bool frozen = false);
  /// A handle (what Value::become_handle turns a container into).
  [[nodiscard]] static Value make_handle(std::int64_t id, std::shared_ptr<void> payload = {});
  /// A resolved global; `storage_dtype` only matters for GlobalId::kStorageType.
  [[nodiscard]] static Value make_global(GlobalId id,
                                         ScalarType storage_dtype = ScalarType::kUInt8) noexcept {
    Value v;
    v.tag_ = Tag::kGlobal;
    v.u_.i = static_cast<std::int64_t>(id) | (static_cast<std::int64_t>(storage_dtype) << 8);
    return v;
  }
  /// A numpy dtype.
  [[nodiscard]] static Value make_dtype(DtypeInfo info);
  /// A torch storage reference.
  [[nodiscard]] static Value make_storage(StorageInfo info);
  /// A torch tensor descriptor.
  [[nodiscard]] static Value make_tensor(TensorInfo info);

  /// What this value holds (for a heap node: what the node holds now).
  [[nodiscard]] Kind kind() const noexcept;
  /// Python type name: "dict", "OrderedDict", "tensor", ...
  [[nodiscard]] std::string_view type_name() const noexcept {
    return is_ordered_dict() ? std::string_view("OrderedDict") : to_string(kind());
  }
  /// True for None.
  [[nodiscard]] bool is_none() const noexcept { return tag_ == Tag::kNone; }
  /// True for bool.
  [[nodiscard]] bool is_bool() const noexcept { return tag_ == Tag::kBool; }
  /// True for int.
  [[nodiscard]] bool is_int() const noexcept { return tag_ == Tag::kInt; }
  /// True for float.
  [[nodiscard]] bool is_float() const noexcept { return tag_ == Tag::kFloat; }
  /// True for int, float and bool.
  [[nodiscard]] bool is_number() const noexcept {
    return tag_ == Tag::kInt || tag_ == Tag::kFloat || tag_ == Tag::kBool;
  }
  /// True for str.
  [[nodiscard]] bool is_str() const noexcept { return node_kind() == Kind::kStr; }
  /// True for bytes/bytearray.
  [[nodiscard]] bool is_bytes() const noexcept { return node_kind() == Kind::kBytes; }
  /// True for tuple.
  [[nodiscard]] bool is_tuple() const noexcept { return node_kind() == Kind::kTuple; }
  /// True for list.
  [[nodiscard]] bool is_list() const noexcept { return node_kind() == Kind::kList; }
  /// True for dict and OrderedDict.
  [[nodiscard]] bool is_dict() const noexcept { return node_kind() == Kind::kDict; }
  /// True for a collections.OrderedDict.
  [[nodiscard]] bool is_ordered_dict() const noexcept {
    return is_dict() && (u_.n->flags & detail::kFlagOrdered) != 0;
  }
  /// True for set and frozenset.
  [[nodiscard]] bool is_set() const noexcept {
    const Kind k = node_kind();
    return k == Kind::kSet || k == Kind::kFrozenSet;
  }
  /// True for a tensor descriptor.
  [[nodiscard]] bool is_tensor() const noexcept { return node_kind() == Kind::kTensor; }
  /// True for a storage reference.
  [[nodiscard]] bool is_storage() const noexcept { return node_kind() == Kind::kStorage; }
  /// True for a handle.
  [[nodiscard]] bool is_handle() const noexcept { return node_kind() == Kind::kHandle; }
  /// True for a numpy dtype.
  [[nodiscard]] bool is_dtype() const noexcept { return node_kind() == Kind::kDtype; }
  /// True for a resolved global.
  [[nodiscard]] bool is_global() const noexcept { return tag_ == Tag::kGlobal; }
  /// True for tuple, list, dict, set and frozenset (the kinds on_complete sees).
  [[nodiscard]] bool is_container() const noexcept {
    const Kind k = node_kind();
    return k == Kind::kTuple || k == Kind::kList || k == Kind::kDict || k == Kind::kSet ||
           k == Kind::kFrozenSet;
  }

  /// The bool; LoadError for other kinds.
  [[nodiscard]] bool as_bool() const {
    if (tag_ != Tag::kBool) detail::fail_kind("bool", *this);
    return u_.i != 0;
  }
  /// The int; LoadError for other kinds (bool included).
  [[nodiscard]] std::int64_t as_int() const {
    if (tag_ != Tag::kInt) detail::fail_kind("int", *this);
    return u_.i;
  }
  /// The float; LoadError for other kinds.
  [[nodiscard]] double as_float() const {
    if (tag_ != Tag::kFloat) detail::fail_kind("float", *this);
    return u_.f;
  }
  /// An int, float or bool as a double; LoadError for other kinds.
  [[nodiscard]] double to_double() const {
    switch (tag_) {
      case Tag::kFloat: return u_.f;
      case Tag::kInt:
      case Tag::kBool: return static_cast<double>(u_.i);
      default: detail::fail_kind("number", *this);
    }
  }
  /// The str's bytes; LoadError for other kinds.
  [[nodiscard]] std::string_view as_str() const;
  /// The bytes; LoadError for other kinds.
  [[nodiscard]] std::string_view as_bytes() const;
  /// The global's id; LoadError for other kinds.
  [[nodiscard]] GlobalId as_global() const {
    if (tag_ != Tag::kGlobal) detail::fail_kind("global", *this);
    return static_cast<GlobalId>(u_.i & 0xff);
  }
  /// The element type of a GlobalId::kStorageType global.
  [[nodiscard]] ScalarType global_storage_dtype() const {
    if (tag_ != Tag::kGlobal) detail::fail_kind("global", *this);
    return static_cast<ScalarType>((u_.i >> 8) & 0xff);
  }
  /// Python "module.name" of a global.
  [[nodiscard]] std::string global_name() const;
  /// The dtype; LoadError for other kinds.
  [[nodiscard]] const DtypeInfo& as_dtype() const;
  /// The storage reference; LoadError for other kinds.
  [[nodiscard]] const StorageInfo& as_storage() const;
  /// The tensor descriptor; LoadError for other kinds.
  [[nodiscard]] const TensorInfo& as_tensor() const;
  /// The handle's id; LoadError for other kinds.
  [[nodiscard]] std::int64_t handle_id() const;
  /// The handle's payload; LoadError for other kinds.
  [[nodiscard]] const std::shared_ptr<void>& handle_payload() const;

  /// Items of a tuple, list, set or frozenset; LoadError for other kinds.
  [[nodiscard]] const std::vector<Value>& items() const;
  /// Key/value pairs of a dict in insertion order; LoadError for other kinds.
  [[nodiscard]] const std::vector<std::pair<Value, Value>>& dict_items() const;
  /// Number of items (containers) or bytes (str, bytes); LoadError for other kinds.
  [[nodiscard]] std::size_t size() const;
  /// Item `i` of a tuple/list/set; LoadError when out of range or not a sequence.
  [[nodiscard]] const Value& operator[](std::size_t i) const;

  /// Dict lookup by str key; nullptr when absent. LoadError when not a dict.
  [[nodiscard]] const Value* find(std::string_view key) const;
  /// Dict lookup by int key (Python semantics: also finds an equal float/bool key).
  [[nodiscard]] const Value* find(std::int64_t key) const;
  /// Dict lookup by any key, with Python equality.
  [[nodiscard]] const Value* find(const Value& key) const;
  /// Dict lookup that throws LoadError("missing key ...") when absent.
  [[nodiscard]] const Value& at(std::string_view key) const;
  /// Dict lookup by int key that throws when absent.
  [[nodiscard]] const Value& at(std::int64_t key) const;
  /// Dict lookup by any key that throws when absent.
  [[nodiscard]] const Value& at(const Value& key) const;
  /// True when the dict has this key.
  [[nodiscard]] bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// Appends to a list (LoadError for other kinds).
  void append(Value item);
  /// Adds to a set (no duplicate check).
  void add(Value item);
  /// Sets d[key] = value with Python semantics (replaces an equal key in place).
  void insert(Value key, Value value);

  /// Turns the container node this value refers to into a Handle, in place:
  /// every reference (other dict slots, the reader's memo) now sees the
  /// handle, and the children are released. LoadError for non-containers.
  void become_handle(std::int64_t id, std::shared_ptr<void> payload = {});

  /// The node's address for heap kinds (same address = same Python object), else nullptr.
  [[nodiscard]] const void* identity() const noexcept { return tag_ == Tag::kRef ? u_.n : nullptr; }
  /// Reference count of the node (1 for inline kinds).
  [[nodiscard]] std::uint32_t use_count() const noexcept { return tag_ == Tag::kRef ? u_.n->refs : 1; }

  /// Python repr(): `('cifar10', 777)`, `{'a': 1.5}`, `OrderedDict([(1, 2)])`, ...
  [[nodiscard]] std::string repr() const;
  /// Hash consistent with operator== (1 == 1.0 == True hash alike).
  [[nodiscard]] std::size_t hash() const;
  /// Python equality (1 == 1.0; dict order ignored except between two OrderedDicts).
  friend bool operator==(const Value& a, const Value& b);
  /// Negation of ==.
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  friend struct detail::Access;
  enum class Tag : std::uint8_t { kNone, kBool, kInt, kFloat, kGlobal, kRef, kUnset };
  union Payload {
    std::int64_t i;
    double f;
    detail::Node* n;
  };
  [[nodiscard]] Kind node_kind() const noexcept { return tag_ == Tag::kRef ? u_.n->kind : Kind::kNone; }
  /// Adopts a node whose reference count already counts this value.
  static Value adopt(detail::Node* n) noexcept {
    Value v;
    v.tag_ = Tag::kRef;
    v.u_.n = n;
    return v;
  }

  Tag tag_;
  Payload u_;
};
static_assert(sizeof(Value) == 16, "Value must stay 16 bytes");

/// A torch tensor as described by `torch._utils._rebuild_tensor_v2` (no data).
struct TensorInfo {
  Value storage;                            ///< A Kind::kStorage value; views share the same node.
  ScalarType dtype = ScalarType::kFloat32;  ///< Element type (the storage's).
  std::int64_t storage_offset = 0;          ///< Offset in elements into the storage.
  std::vector<std::int64_t> sizes;          ///< Shape.
  std::vector<std::int64_t> strides;        ///< Strides in elements.
  bool requires_grad = false;               ///< requires_grad flag.
  bool is_parameter = false;                ///< Rebuilt through torch._utils._rebuild_parameter.
  /// The storage's description.
  [[nodiscard]] const StorageInfo& storage_info() const { return storage.as_storage(); }
  /// Product of sizes.
  [[nodiscard]] std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto s : sizes) n *= s;
    return n;
  }
};

namespace detail {

struct StrNode : Node {
  std::uint64_t size = 0;
  [[nodiscard]] char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  [[nodiscard]] const char* data() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  [[nodiscard]] std::string_view view() const noexcept { return {data(), static_cast<std::size_t>(size)}; }
};

struct SeqNode : Node {
  std::vector<Value> items;
};

struct DictIndex {
  std::vector<std::uint32_t> slots;  // item position + 1; 0 = empty
  std::size_t used = 0;
};

struct DictNode : Node {
  std::vector<std::pair<Value, Value>> items;
  DictIndex* index = nullptr;  // built lazily for lookups in dicts of more than kLinearMax items
  ~DictNode() { delete index; }
  DictNode() = default;
  DictNode(const DictNode&) = delete;
  DictNode& operator=(const DictNode&) = delete;
};

struct HandleNode : Node {
  std::int64_t id = 0;
  std::shared_ptr<void> payload;
};
static_assert(sizeof(HandleNode) <= sizeof(SeqNode) && sizeof(HandleNode) <= sizeof(DictNode),
              "a container node must be able to turn into a handle in place");

struct DtypeNode : Node {
  DtypeInfo info;
};
struct StorageNode : Node {
  StorageInfo info;
};
struct TensorNode : Node {
  TensorInfo info;
};

template <class T>
inline T* new_node(Kind kind) {
  void* mem = ::operator new(sizeof(T));
  T* n = new (mem) T{};
  n->kind = kind;
  return n;
}

inline StrNode* new_str_node(Kind kind, std::size_t size) {
  void* mem = ::operator new(sizeof(StrNode) + size + 1);
  auto* n = new (mem) StrNode{};
  n->kind = kind;
  n->size = size;
  n->data()[size] = '\0';
  return n;
}

// Destroys one node; the children it releases may defer into `pending` so that
// deeply nested values (a 1-tuple in a 1-tuple in ... a million times) do not
// overflow the C++ stack.
inline void destroy_one(Node* n) noexcept {
  switch (n->kind) {
    case Kind::kStr:
    case Kind::kBytes: static_cast<StrNode*>(n)->~StrNode(); break;
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet: static_cast<SeqNode*>(n)->~SeqNode(); break;
    case Kind::kDict: static_cast<DictNode*>(n)->~DictNode(); break;
    case Kind::kHandle: static_cast<HandleNode*>(n)->~HandleNode(); break;
    case Kind::kDtype: static_cast<DtypeNode*>(n)->~DtypeNode(); break;
    case Kind::kStorage: static_cast<StorageNode*>(n)->~StorageNode(); break;
    case Kind::kTensor: static_cast<TensorNode*>(n)->~TensorNode(); break;
    default: break;
  }
  ::operator delete(static_cast<void*>(n));
}

inline void destroy_node(Node* n) noexcept {
  thread_local int depth = 0;
  thread_local std::vector<Node*> pending;
  if (depth >= 64) {
    try {
      pending.push_back(n);
      return;
    } catch (...) {
      // out of memory: fall through and recurse
    }
  }
  ++depth;
  destroy_one(n);
  if (depth == 1) {
    while (!pending.empty()) {
      Node* m = pending.back();
      pending.pop_back();
      destroy_one(m);
    }
  }
  --depth;
}

/// Private access for the reader and the helpers below.
struct Access {
  static Node* node(const Value& v) noexcept { return v.tag_ == Value::Tag::kRef ? v.u_.n : nullptr; }
  static Value adopt(Node* n) noexcept { return Value::adopt(n); }
  static Value unset() noexcept {
    Value v;
    v.tag_ = Value::Tag::kUnset;
    return v;
  }
  static bool is_unset(const Value& v) noexcept { return v.tag_ == Value::Tag::kUnset; }
  static std::int64_t raw_int(const Value& v) noexcept { return v.u_.i; }
  static SeqNode* seq(const Value& v) noexcept { return static_cast<SeqNode*>(v.u_.n); }
  static DictNode* dict(const Value& v) noexcept { return static_cast<DictNode*>(v.u_.n); }
  static StrNode* str(const Value& v) noexcept { return static_cast<StrNode*>(v.u_.n); }
};

/// Empties every container reachable from `root` (iteratively, any depth),
/// which breaks reference cycles. Only for values being discarded: a pickle
/// can build a self-referencing container (only malformed or hostile input
/// does), and such a cycle would otherwise never be freed.
inline void dismantle_tree(Value root) {
  std::vector<Value> work;
  work.push_back(std::move(root));
  while (!work.empty()) {
    Value v = std::move(work.back());
    work.pop_back();
    Node* n = Access::node(v);
    if (!n) continue;
    switch (n->kind) {
      case Kind::kTuple:
      case Kind::kList:
      case Kind::kSet:
      case Kind::kFrozenSet: {
        auto& items = Access::seq(v)->items;
        for (auto& x : items) work.push_back(std::move(x));
        items.clear();
        break;
      }
      case Kind::kDict: {
        DictNode* d = Access::dict(v);
        for (auto& kv : d->items) {
          work.push_back(std::move(kv.first));
          work.push_back(std::move(kv.second));
        }
        d->items.clear();
        delete d->index;
        d->index = nullptr;
        break;
      }
      default: break;
    }
  }
}

inline constexpr std::size_t kLinearMax = 8;   // dicts up to this size are searched linearly
inline constexpr int kMaxCompareDepth = 1000;  // deeper values are refused by ==/hash
inline constexpr int kMaxReprDepth = 100;      // deeper values print as "..."

inline std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
inline std::size_t hash_int(std::int64_t i) noexcept {
  return static_cast<std::size_t>(mix64(static_cast<std::uint64_t>(i)));
}
inline std::size_t hash_bytes(std::string_view s, std::uint64_t seed) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  std::uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  return static_cast<std::size_t>(mix64(h ^ tail ^ (s.size() << 56)));
}
inline std::size_t hash_str(std::string_view s) noexcept { return hash_bytes(s, 0x5354); }
inline std::size_t hash_double(double d) noexcept {
  if (std::isfinite(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
    const auto i = static_cast<std::int64_t>(d);
    if (static_cast<double>(i) == d) return hash_int(i);
  }
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return static_cast<std::size_t>(mix64(bits ^ 0xf10a7));
}
inline bool int_eq_double(std::int64_t i, double d) noexcept {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
  const auto t = static_cast<std::int64_t>(d);
  return static_cast<double>(t) == d && t == i;
}

[[noreturn]] inline void fail_kind(std::string_view wanted, const Value& got) {
  throw LoadError("expected " + std::string(wanted) + ", got " + std::string(got.type_name()) + " " + [&] {
    std::string r = got.repr();
    if (r.size() > 80) r = r.substr(0, 77) + "...";
    return r;
  }());
}

inline std::size_t hash_value(const Value& v, int depth);
inline bool equal_values(const Value& a, const Value& b, int depth);

inline void check_depth(int depth) {
  if (depth > kMaxCompareDepth)
    throw LoadError("value nested deeper than " + std::to_string(kMaxCompareDepth) +
                    " levels cannot be compared or hashed");
}

// -- dict index (open addressing over item positions; the last equal key wins) --

inline void index_insert_pos(DictIndex& idx, const std::vector<std::pair<Value, Value>>& items,
                             std::size_t pos, std::size_t h) {
  const std::size_t mask = idx.slots.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    std::uint32_t& s = idx.slots[i];
    if (s == 0) {
      s = static_cast<std::uint32_t>(pos + 1);
      ++idx.used;
      return;
    }
    if (equal_values(items[s - 1].first, items[pos].first, 0)) {
      s = static_cast<std::uint32_t>(pos + 1);
      return;
    }
  }
}

inline void rebuild_index(DictNode* d) {
  if (d->items.size() >= 0x7fffffffu) throw LoadError("dict too large to index");
  std::size_t cap = 16;
  while (cap < d->items.size() * 2 + 2) cap <<= 1;
  if (d->index == nullptr) d->index = new DictIndex();
  d->index->slots.assign(cap, 0);
  d->index->used = 0;
  for (std::size_t p = 0; p < d->items.size(); ++p)
    index_insert_pos(*d->index, d->items, p, hash_value(d->items[p].first, 0));
}

// Finds the position of the item whose key satisfies eq (hash h), or npos.
template <class Eq>
inline std::size_t dict_find_pos(DictNode* d, std::size_t h, Eq&& eq) {
  const auto& items = d->items;
  if (d->index == nullptr) {
    if (items.size() <= kLinearMax) {
      for (std::size_t p = items.size(); p-- > 0;)
        if (eq(items[p].first)) return p;
      return std::string_view::npos;
    }
    rebuild_index(d);
  }
  const auto& slots = d->index->slots;
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint32_t s = slots[i];
    if (s == 0) return std::string_view::npos;
    if (eq(items[s - 1].first)) return s - 1;
  }
}

// Appends without a duplicate check unless an index exists (the reader's
// SETITEMS path; Python pickles never repeat a key).
inline void dict_push(DictNode* d, Value&& k, Value&& v) {
  if (d->index != nullptr) {
    const std::size_t h = hash_value(k, 0);
    const std::size_t pos = dict_find_pos(d, h, [&](const Value& key) { return equal_values(key, k, 0); });
    if (pos != std::string_view::npos) {
      d->items[pos].second = std::move(v);
      return;
    }
    d->items.emplace_back(std::move(k), std::move(v));
    if ((d->index->used + 1) * 2 > d->index->slots.size()) {
      rebuild_index(d);
    } else {
      index_insert_pos(*d->index, d->items, d->items.size() - 1, h);
    }
    return;
  }
  d->items.emplace_back(std::move(k), std::move(v));
}

// -- repr helpers --

inline void append_hex2(std::string& out, unsigned c) {
  static const char* digits = "0123456789abcdef";
  out += "\\x";
  out += digits[(c >> 4) & 15];
  out += digits[c & 15];
}

inline std::string repr_double(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  // s = [-]D[.DDD]e[+-]XX
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const auto epos = s.find('e');
  std::string mant = s.substr(0, epos);
  const int exp = std::stoi(s.substr(epos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = sign;
  if (exp >= -5 + 1 && exp < 16) {  // Python 'r' format: fixed for -4 <= exp < 16
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
    } else {
      const auto intlen = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= intlen) {
        out += digits;
        out.append(intlen - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, intlen);
        out += '.';
        out += digits.substr(intlen);
      }
    }
  } else {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
  }
  return out;
}

inline void repr_text(std::string& out, std::string_view s, bool is_bytes) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char q = (has_single && !has_double) ? '"' : '\'';
  if (is_bytes) out += 'b';
  out += q;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == static_cast<unsigned char>(q) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      append_hex2(out, c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (is_bytes) {
      append_hex2(out, c);
    } else {
      // UTF-8 sequence: copy valid ones (escaping C1 controls, NBSP and soft hyphen
      // as Python does), escape stray bytes.
      std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      bool ok = len > 0 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      if (!ok) {
        append_hex2(out, c);
        continue;
      }
      if (len == 2) {
        const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
        if (cp < 0xa1 || cp == 0xad) {
          append_hex2(out, cp);
          ++i;
          continue;
        }
      }
      out.append(s.data() + i, len);
      i += len - 1;
    }
  }
  out += q;
}

inline void repr_into(std::string& out, const Value& v, int depth);

inline void repr_seq(std::string& out, const std::vector<Value>& items, int depth) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    repr_into(out, items[i], depth + 1);
  }
}

inline void repr_into(std::string& out, const Value& v, int depth) {
  if (depth > kMaxReprDepth) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case Kind::kNone: out += "None"; return;
    case Kind::kBool: out += v.as_bool() ? "True" : "False"; return;
    case Kind::kInt: out += std::to_string(v.as_int()); return;
    case Kind::kFloat: out += repr_double(v.as_float()); return;
    case Kind::kStr: repr_text(out, v.as_str(), false); return;
    case Kind::kBytes: repr_text(out, v.as_bytes(), true); return;
    case Kind::kTuple:
      out += '(';
      repr_seq(out, v.items(), depth);
      if (v.items().size() == 1) out += ',';
      out += ')';
      return;
    case Kind::kList:
      out += '[';
      repr_seq(out, v.items(), depth);
      out += ']';
      return;
    case Kind::kSet:
    case Kind::kFrozenSet: {
      const bool frozen = v.kind() == Kind::kFrozenSet;
      if (v.items().empty()) {
        out += frozen ? "frozenset()" : "set()";
        return;
      }
      out += frozen ? "frozenset({" : "{";
      repr_seq(out, v.items(), depth);
      out += frozen ? "})" : "}";
      return;
    }
    case Kind::kDict: {
      const bool ordered = v.is_ordered_dict();
      const auto& items = v.dict_items();
      if (ordered) {
        if (items.empty()) {
          out += "OrderedDict()";
          return;
        }
        out += "OrderedDict([";
      } else {
        out += '{';
      }
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        if (ordered) out += '(';
        repr_into(out, items[i].first, depth + 1);
        out += ordered ? ", " : ": ";
        repr_into(out, items[i].second, depth + 1);
        if (ordered) out += ')';
      }
      out += ordered ? "])" : "}";
      return;
    }
    case Kind::kGlobal: out += "<global " + v.global_name() + ">"; return;
    case Kind::kDtype: out += "dtype('" + std::string(to_string(v.as_dtype().type)) + "')"; return;
    case Kind::kStorage: {
      const auto& s = v.as_storage();
      out += "storage(" + std::string(to_string(s.dtype)) + ", key=";
      repr_text(out, s.key, false);
      out += ", numel=" + std::to_string(s.numel) + ")";
      return;
    }
    case Kind::kTensor: {
      const auto& t = v.as_tensor();
      const auto dims = [&](const std::vector<std::int64_t>& d) {
        out += '(';
        for (std::size_t i = 0; i < d.size(); ++i) out += (i ? ", " : "") + std::to_string(d[i]);
        out += d.size() == 1 ? ",)" : ")";
      };
      out += std::string(t.is_parameter ? "Parameter(" : "tensor(") + std::string(to_string(t.dtype)) +
             ", size=";
      dims(t.sizes);
      out += ", stride=";
      dims(t.strides);
      out += ", offset=" + std::to_string(t.storage_offset) + ", storage=";
      repr_text(out, t.storage_info().key, false);
      out += ')';
      return;
    }
    case Kind::kHandle: out += "<handle " + std::to_string(v.handle_id()) + ">"; return;
  }
}

inline std::size_t hash_value(const Value& v, int depth) {
  check_depth(depth);
  switch (v.kind()) {
    case Kind::kNone: return 0x4e6f6e65;
    case Kind::kBool: return hash_int(v.as_bool() ? 1 : 0);
    case Kind::kInt: return hash_int(v.as_int());
    case Kind::kFloat: return hash_double(v.as_float());
    case Kind::kStr: return hash_str(v.as_str());
    case Kind::kBytes: return hash_bytes(v.as_bytes(), 0x4259);
    case Kind::kTuple:
    case Kind::kList: {
      std::uint64_t h = v.kind() == Kind::kTuple ? 0x7475 : 0x6c69;
      for (const auto& x : v.items()) h = mix64(h ^ hash_value(x, depth + 1)) + 0x9e37;
      return static_cast<std::size_t>(h);
    }
    case Kind::kSet:
    case Kind::kFrozenSet: {
      std::uint64_t h = 0x7365;
      for (const auto& x : v.items()) h ^= mix64(hash_value(x, depth + 1));
      return static_cast<std::size_t>(h);
    }
    case Kind::kDict: {
      std::uint64_t h = 0x6469;
      for (const auto& kv : v.dict_items())
        h ^= mix64(hash_value(kv.first, depth + 1) * 31 + hash_value(kv.second, depth + 1));
      return static_cast<std::size_t>(h);
    }
    case Kind::kGlobal: return hash_int(Access::raw_int(v) ^ 0x676c);
    case Kind::kHandle: return hash_int(v.handle_id() ^ 0x68616e);
    default: return static_cast<std::size_t>(mix64(reinterpret_cast<std::uintptr_t>(v.identity())));
  }
}

inline bool equal_unordered(const std::vector<Value>& a, const std::vector<Value>& b, int depth) {
  if (a.size() != b.size()) return false;
  std::vector<std::pair<std::size_t, std::size_t>> hb;
  hb.reserve(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) hb.emplace_back(hash_value(b[i], depth + 1), i);
  std::sort(hb.begin(), hb.end());
  for (const auto& x : a) {
    const std::size_t h = hash_value(x, depth + 1);
    auto it = std::lower_bound(hb.begin(), hb.end(), std::make_pair(h, std::size_t{0}));
    bool found = false;
    for (; it != hb.end() && it->first == h; ++it)
      if (equal_values(x, b[it->second], depth + 1)) {
        found = true;
        break;
      }
    if (!found) return false;
  }
  return true;
}

inline bool equal_values(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  if (a.identity() != nullptr && a.identity() == b.identity()) return true;
  const Kind ka = a.kind(), kb = b.kind();
  if (a.is_number() && b.is_number()) {
    if (ka == Kind::kFloat && kb == Kind::kFloat) return a.as_float() == b.as_float();
    const auto ai = [](const Value& v) { return v.is_bool() ? std::int64_t{v.as_bool()} : v.as_int(); };
    if (ka == Kind::kFloat) return int_eq_double(ai(b), a.as_float());
    if (kb == Kind::kFloat) return int_eq_double(ai(a), b.as_float());
    return ai(a) == ai(b);
  }
  const bool set_a = ka == Kind::kSet || ka == Kind::kFrozenSet;
  const bool set_b = kb == Kind::kSet || kb == Kind::kFrozenSet;
  if (set_a && set_b) return equal_unordered(a.items(), b.items(), depth);
  if (ka != kb) return false;
  switch (ka) {
    case Kind::kNone: return true;
    case Kind::kStr: return a.as_str() == b.as_str();
    case Kind::kBytes: return a.as_bytes() == b.as_bytes();
    case Kind::kTuple:
    case Kind::kList: {
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!equal_values(x[i], y[i], depth + 1)) return false;
      return true;
    }
    case Kind::kDict: {
      const auto& x = a.dict_items();
      const auto& y = b.dict_items();
      if (x.size() != y.size()) return false;
      if (a.is_ordered_dict() && b.is_ordered_dict()) {
        for (std::size_t i = 0; i < x.size(); ++i)
          if (!equal_values(x[i].first, y[i].first, depth + 1) ||
              !equal_values(x[i].second, y[i].second, depth + 1))
            return false;
        return true;
      }
      for (const auto& kv : x) {
        const Value* other = b.find(kv.first);
        if (other == nullptr || !equal_values(kv.second, *other, depth + 1)) return false;
      }
      return true;
    }
    case Kind::kGlobal: return Access::raw_int(a) == Access::raw_int(b);
    case Kind::kDtype:
      return a.as_dtype().type == b.as_dtype().type && a.as_dtype().byte_order == b.as_dtype().byte_order;
    case Kind::kStorage: {
      const auto& x = a.as_storage();
      const auto& y = b.as_storage();
      return x.key == y.key && x.dtype == y.dtype && x.numel == y.numel && x.location == y.location;
    }
    case Kind::kTensor: {
      const auto& x = a.as_tensor();
      const auto& y = b.as_tensor();
      return equal_values(x.storage, y.storage, depth + 1) && x.dtype == y.dtype &&
             x.storage_offset == y.storage_offset && x.sizes == y.sizes && x.strides == y.strides &&
             x.requires_grad == y.requires_grad && x.is_parameter == y.is_parameter;
    }
    case Kind::kHandle: return a.handle_id() == b.handle_id() && a.handle_payload() == b.handle_payload();
    default: return false;
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Value members that need the node types.

inline Kind Value::kind() const noexcept {
  switch (tag_) {
    case Tag::kNone:
    case Tag::kUnset: return Kind::kNone;
    case Tag::kBool: return Kind::kBool;
    case Tag::kInt: return Kind::kInt;
    case Tag::kFloat: return Kind::kFloat;
    case Tag::kGlobal: return Kind::kGlobal;
    case Tag::kRef: return u_.n->kind;
  }
  return Kind::kNone;
}

inline Value Value::from_str(std::string_view s) {
  auto* n = detail::new_str_node(Kind::kStr, s.size());
  if (!s.empty()) std::memcpy(n->data(), s.data(), s.size());
  return adopt(n);
}
inline Value Value::from_bytes(std::string_view s) {
  auto* n = detail::new_str_node(Kind::kBytes, s.size());
  if (!s.empty()) std::memcpy(n->data(), s.data(), s.size());
  return adopt(n);
}
inline Value Value::make_tuple(std::vector<Value> items) {
  auto* n = detail::new_node<detail::SeqNode>(Kind::kTuple);
  n->items = std::move(items);
  return adopt(n);
}
inline Value Value::make_list(std::vector<Value> items) {
  auto* n = detail::new_node<detail::SeqNode>(Kind::kList);
  n->items = std::move(items);
  return adopt(n);
}
inline Value Value::make_dict(bool ordered) {
  auto* n = detail::new_node<detail::DictNode>(Kind::kDict);
  if (ordered) n->flags |= detail::kFlagOrdered;
  return adopt(n);
}
inline Value Value::make_set(std::vector<Value> items, bool frozen) {
  auto* n = detail::new_node<detail::SeqNode>(frozen ? Kind::kFrozenSet : Kind::kSet);
  n->items = std::move(items);
  return adopt(n);
}
inline Value Value::make_handle(std::int64_t id, std::shared_ptr<void> payload) {
  auto* n = detail::new_node<detail::HandleNode>(Kind::kHandle);
  n->id = id;
  n->payload = std::move(payload);
  return adopt(n);
}
inline Value Value::make_dtype(DtypeInfo info) {
  auto* n = detail::new_node<detail::DtypeNode>(Kind::kDtype);
  n->info = info;
  return adopt(n);
}
inline Value Value::make_storage(StorageInfo info) {
  auto* n = detail::new_node<detail::StorageNode>(Kind::kStorage);
  n->info = std::move(info);
  return adopt(n);
}
inline Value Value::make_tensor(TensorInfo info) {
  auto* n = detail::new_node<detail::TensorNode>(Kind::kTensor);
  n->info = std::move(info);
  return adopt(n);
}

inline std::string_view Value::as_str() const {
  if (node_kind() != Kind::kStr) detail::fail_kind("str", *this);
  return static_cast<const detail::StrNode*>(u_.n)->view();
}
inline std::string_view Value::as_bytes() const {
  if (node_kind() != Kind::kBytes) detail::fail_kind("bytes", *this);
  return static_cast<const detail::StrNode*>(u_.n)->view();
}
inline const DtypeInfo& Value::as_dtype() const {
  if (node_kind() != Kind::kDtype) detail::fail_kind("numpy.dtype", *this);
  return static_cast<const detail::DtypeNode*>(u_.n)->info;
}
inline const StorageInfo& Value::as_storage() const {
  if (node_kind() != Kind::kStorage) detail::fail_kind("storage", *this);
  return static_cast<const detail::StorageNode*>(u_.n)->info;
}
inline const TensorInfo& Value::as_tensor() const {
  if (node_kind() != Kind::kTensor) detail::fail_kind("tensor", *this);
  return static_cast<const detail::TensorNode*>(u_.n)->info;
}
inline std::int64_t Value::handle_id() const {
  if (node_kind() != Kind::kHandle) detail::fail_kind("handle", *this);
  return static_cast<const detail::HandleNode*>(u_.n)->id;
}
inline const std::shared_ptr<void>& Value::handle_payload() const {
  if (node_kind() != Kind::kHandle) detail::fail_kind("handle", *this);
  return static_cast<const detail::HandleNode*>(u_.n)->payload;
}

inline std::string Value::global_name() const {
  switch (as_global()) {
    case GlobalId::kOrderedDict: return "collections.OrderedDict";
    case GlobalId::kSet: return "builtins.set";
    case GlobalId::kFrozenSet: return "builtins.frozenset";
    case GlobalId::kList: return "builtins.list";
    case GlobalId::kDict: return "builtins.dict";
    case GlobalId::kTuple: return "builtins.tuple";
    case GlobalId::kBytes: return "builtins.bytes";
    case GlobalId::kBytearray: return "builtins.bytearray";
    case GlobalId::kCodecsEncode: return "_codecs.encode";
    case GlobalId::kNumpyScalar: return "numpy.core.multiarray.scalar";
    case GlobalId::kNumpyDtype: return "numpy.dtype";
    case GlobalId::kRebuildTensor: return "torch._utils._rebuild_tensor";
    case GlobalId::kRebuildTensorV2: return "torch._utils._rebuild_tensor_v2";
    case GlobalId::kRebuildParameter: return "torch._utils._rebuild_parameter";
    case GlobalId::kRebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state";
    case GlobalId::kStorageType:
      return "torch.storage(" + std::string(to_string(global_storage_dtype())) + ")";
  }
  return "?";
}

inline const std::vector<Value>& Value::items() const {
  const Kind k = node_kind();
  if (k != Kind::kTuple && k != Kind::kList && k != Kind::kSet && k != Kind::kFrozenSet)
    detail::fail_kind("tuple, list or set", *this);
  return static_cast<const detail::SeqNode*>(u_.n)->items;
}
inline const std::vector<std::pair<Value, Value>>& Value::dict_items() const {
  if (node_kind() != Kind::kDict) detail::fail_kind("dict", *this);
  return static_cast<const detail::DictNode*>(u_.n)->items;
}
inline std::size_t Value::size() const {
  switch (node_kind()) {
    case Kind::kStr:
    case Kind::kBytes: return static_cast<std::size_t>(static_cast<const detail::StrNode*>(u_.n)->size);
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet: return static_cast<const detail::SeqNode*>(u_.n)->items.size();
    case Kind::kDict: return static_cast<const detail::DictNode*>(u_.n)->items.size();
    default: detail::fail_kind("container, str or bytes", *this);
  }
}
inline const Value& Value::operator[](std::size_t i) const {
  const auto& v = items();
  if (i >= v.size())
    throw LoadError("index " + std::to_string(i) + " out of range for " + std::string(type_name()) +
                    " of size " + std::to_string(v.size()));
  return v[i];
}

inline const Value* Value::find(std::string_view key) const {
  if (node_kind() != Kind::kDict) detail::fail_kind("dict", *this);
  auto* d = static_cast<detail::DictNode*>(u_.n);
  const std::size_t pos = detail::dict_find_pos(d, detail::hash_str(key), [&](const Value& k) {
    return k.is_str() && detail::Access::str(k)->view() == key;
  });
  return pos == std::string_view::npos ? nullptr : &d->items[pos].second;
}
inline const Value* Value::find(std::int64_t key) const {
  if (node_kind() != Kind::kDict) detail::fail_kind("dict", *this);
  auto* d = static_cast<detail::DictNode*>(u_.n);
  const std::size_t pos = detail::dict_find_pos(d, detail::hash_int(key), [&](const Value& k) {
    if (k.is_int()) return k.as_int() == key;
    if (k.is_bool()) return std::int64_t{k.as_bool()} == key;
    if (k.is_float()) return detail::int_eq_double(key, k.as_float());
    return false;
  });
  return pos == std::string_view::npos ? nullptr : &d->items[pos].second;
}
inline const Value* Value::find(const Value& key) const {
  if (node_kind() != Kind::kDict) detail::fail_kind("dict", *this);
  auto* d = static_cast<detail::DictNode*>(u_.n);
  const std::size_t pos = detail::dict_find_pos(
      d, detail::hash_value(key, 0), [&](const Value& k) { return detail::equal_values(k, key, 0); });
  return pos == std::string_view::npos ? nullptr : &d->items[pos].second;
}
inline const Value& Value::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  throw LoadError("missing key " + Value::from_str(key).repr() + " in " + std::string(type_name()));
}
inline const Value& Value::at(std::int64_t key) const {
  if (const Value* v = find(key)) return *v;
  throw LoadError("missing key " + std::to_string(key) + " in " + std::string(type_name()));
}
inline const Value& Value::at(const Value& key) const {
  if (const Value* v = find(key)) return *v;
  throw LoadError("missing key " + key.repr() + " in " + std::string(type_name()));
}

inline void Value::append(Value item) {
  if (node_kind() != Kind::kList) detail::fail_kind("list", *this);
  static_cast<detail::SeqNode*>(u_.n)->items.push_back(std::move(item));
}
inline void Value::add(Value item) {
  if (node_kind() != Kind::kSet) detail::fail_kind("set", *this);
  static_cast<detail::SeqNode*>(u_.n)->items.push_back(std::move(item));
}
inline void Value::insert(Value key, Value value) {
  if (node_kind() != Kind::kDict) detail::fail_kind("dict", *this);
  auto* d = static_cast<detail::DictNode*>(u_.n);
  if (d->index == nullptr && d->items.size() >= detail::kLinearMax) detail::rebuild_index(d);
  if (d->index == nullptr) {
    for (auto& kv : d->items)
      if (detail::equal_values(kv.first, key, 0)) {
        kv.second = std::move(value);
        return;
      }
    d->items.emplace_back(std::move(key), std::move(value));
    return;
  }
  detail::dict_push(d, std::move(key), std::move(value));
}

inline void Value::become_handle(std::int64_t id, std::shared_ptr<void> payload) {
  detail::Node* n = detail::Access::node(*this);
  const Kind k = node_kind();
  if (k == Kind::kHandle) {
    auto* h = static_cast<detail::HandleNode*>(n);
    h->id = id;
    h->payload = std::move(payload);
    return;
  }
  if (!is_container()) detail::fail_kind("container (to become a handle)", *this);
  const std::uint32_t refs = n->refs;
  const std::uint8_t flags = n->flags;
  // Take the children out first, so the node is a valid handle while they are released.
  std::vector<Value> seq;
  std::vector<std::pair<Value, Value>> kv;
  if (k == Kind::kDict) {
    auto* d = static_cast<detail::DictNode*>(n);
    kv.swap(d->items);
    d->~DictNode();
  } else {
    auto* s = static_cast<detail::SeqNode*>(n);
    seq.swap(s->items);
    s->~SeqNode();
  }
  auto* h = new (static_cast<void*>(n)) detail::HandleNode{};
  h->refs = refs;
  h->flags = static_cast<std::uint8_t>(flags & ~detail::kFlagOrdered);
  h->kind = Kind::kHandle;
  h->id = id;
  h->payload = std::move(payload);
}

inline std::string Value::repr() const {
  std::string out;
  detail::repr_into(out, *this, 0);
  return out;
}
inline std::size_t Value::hash() const { return detail::hash_value(*this, 0); }
inline bool operator==(const Value& a, const Value& b) { return detail::equal_values(a, b, 0); }

/// Empties every container reachable from `root`, breaking reference cycles
/// (see detail::dismantle_tree). Call it on a decoded value you are done with when
/// the input may be hostile.
inline void dismantle(Value root) { detail::dismantle_tree(std::move(root)); }

}  // namespace nasbench::pickle
