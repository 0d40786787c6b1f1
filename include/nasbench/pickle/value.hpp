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
/// A container that contains itself (legal in Python, absent from benchmark files) forms a cycle that
/// refcounting never frees: the reader and a pickle::Document free those they drop; dismantle() the rest.
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

/// How many bytes of a value an error message quotes at most (Value::repr(kMessageRepr)):
/// a key path, a value of the wrong type. Real keys are far shorter; a hostile one is cut.
inline constexpr std::size_t kMessageRepr = 200;

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
  kLoadFromBytes,              ///< torch.storage._load_from_bytes (a storage pickled without torch.save)
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
  /// (at most 16 MiB, then "...").
  [[nodiscard]] std::string repr() const;
  /// repr() for a message: at most `max_bytes` bytes; a longer one is cut (at a
  /// character boundary) to leave room for "...". The work is bounded by
  /// `max_bytes` too, whatever the value holds.
  [[nodiscard]] std::string repr(std::size_t max_bytes) const;
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

}  // namespace nasbench::pickle

// Internals (node layout, hashing, repr), then the members that need them.
#include <nasbench/pickle/detail/value_node.hpp>
#include <nasbench/pickle/detail/value_hash.hpp>
#include <nasbench/pickle/detail/value_repr.hpp>

namespace nasbench::pickle {

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
    case GlobalId::kLoadFromBytes: return "torch.storage._load_from_bytes";
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
  throw LoadError("missing key " + Value::from_str(key).repr(kMessageRepr) + " in " + std::string(type_name()));
}
inline const Value& Value::at(std::int64_t key) const {
  if (const Value* v = find(key)) return *v;
  throw LoadError("missing key " + std::to_string(key) + " in " + std::string(type_name()));
}
inline const Value& Value::at(const Value& key) const {
  if (const Value* v = find(key)) return *v;
  throw LoadError("missing key " + key.repr(kMessageRepr) + " in " + std::string(type_name()));
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
  (void)detail::dict_push(d, std::move(key), std::move(value));
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
  if (out.size() >= detail::kMaxReprBytes) out += "...";
  return out;
}
inline std::string Value::repr(std::size_t max_bytes) const {
  std::string out;
  detail::repr_into(out, *this, 0, max_bytes + 1);  // one byte more tells a cut from an exact fit
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes >= 3 ? max_bytes - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;  // not inside a character
  out.resize(cut);
  return out + "...";
}
inline std::size_t Value::hash() const { return detail::hash_value(*this, 0); }
inline bool operator==(const Value& a, const Value& b) { return detail::equal_values(a, b, 0); }

/// Empties every container reachable from `root`, breaking reference cycles
/// (see detail::dismantle_tree). Call it on a decoded value you are done with when
/// the input may be hostile.
inline void dismantle(Value root) { detail::dismantle_tree(std::move(root)); }

}  // namespace nasbench::pickle
