/// @file pickle/detail/value_node.hpp
/// Heap node layouts of Value (strings, containers, dtypes, storages, tensors, handles), their allocation and destruction, and Access (the reader's door into Value).
/// Part of pickle/value.hpp, which includes it after class Value. Including
/// this file alone includes value.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <nasbench/pickle/value.hpp>

#include <unordered_map>
#include <vector>

#ifndef NASBENCH_PICKLE_DETAIL_VALUE_NODE_HPP_
#define NASBENCH_PICKLE_DETAIL_VALUE_NODE_HPP_

namespace nasbench::pickle::detail {

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

/// Calls `f(const Value&)` for every item (keys and values) of the container `v`.
template <typename F>
void for_each_child(const Value& v, F&& f) {
  const Node* n = Access::node(v);
  if (!n) return;
  switch (n->kind) {
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet:
      for (const auto& x : Access::seq(v)->items) f(x);
      break;
    case Kind::kDict:
      for (const auto& kv : Access::dict(v)->items) {
        f(kv.first);
        f(kv.second);
      }
      break;
    default: break;
  }
}

/// Frees the reference cycles that nothing but `dropped` holds: the values
/// about to be released (a reader's stack and memo after STOP). Python's cycle
/// detection by trial deletion, over the containers they reach: a container
/// with more references than those from `dropped` and from the containers
/// found is held elsewhere (the result, a value an on_complete hook kept), and
/// so is everything it reaches; the others are emptied, which frees them.
/// Returns the number of containers looked at (the work done).
inline std::size_t free_dropped_cycles(const std::vector<const Value*>& dropped) {
  std::unordered_map<const Node*, std::size_t> index;
  std::vector<Value> found;                   // one reference to each container found (counted below)
  std::vector<std::uint64_t> inside;          // its references from `dropped` and from the containers found
  const auto count = [&](const Value& v) {
    const Node* n = Access::node(v);
    if (!n || !(n->kind == Kind::kTuple || n->kind == Kind::kList || n->kind == Kind::kSet ||
                n->kind == Kind::kFrozenSet || n->kind == Kind::kDict))
      return;
    const auto [it, fresh] = index.emplace(n, found.size());
    if (fresh) {
      found.push_back(v);
      inside.push_back(0);
    }
    ++inside[it->second];
  };
  for (const Value* v : dropped) count(*v);
  for (std::size_t i = 0; i < found.size(); ++i) {
    const Value container = found[i];  // `found` grows while its items are counted
    for_each_child(container, count);
  }
  std::vector<char> held(found.size(), 0);
  std::vector<std::size_t> work;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::uint32_t refs = Access::node(found[i])->refs;
    if (refs == kStickyRefs || refs - 1 > inside[i]) {  // - 1: the reference in `found`
      held[i] = 1;
      work.push_back(i);
    }
  }
  while (!work.empty()) {
    const std::size_t i = work.back();
    work.pop_back();
    for_each_child(found[i], [&](const Value& c) {
      const auto it = index.find(Access::node(c));
      if (it != index.end() && !held[it->second]) {
        held[it->second] = 1;
        work.push_back(it->second);
      }
    });
  }
  std::vector<Value> released;  // items of the garbage, dropped once every garbage container is emptied
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (held[i]) continue;
    Value& v = found[i];
    if (Access::node(v)->kind == Kind::kDict) {
      DictNode* d = Access::dict(v);
      for (auto& kv : d->items) {
        released.push_back(std::move(kv.first));
        released.push_back(std::move(kv.second));
      }
      d->items.clear();
      delete d->index;
      d->index = nullptr;
    } else {
      auto& items = Access::seq(v)->items;
      for (auto& x : items) released.push_back(std::move(x));
      items.clear();
    }
  }
  return found.size();
}

}  // namespace nasbench::pickle::detail

#endif  // NASBENCH_PICKLE_DETAIL_VALUE_NODE_HPP_
