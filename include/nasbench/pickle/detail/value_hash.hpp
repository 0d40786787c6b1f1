/// @file pickle/detail/value_hash.hpp
/// Hashing and equality of Values (Python's cross-type rules: 1 == 1.0 == True) and the dict index built on them.
/// Part of pickle/value.hpp, which includes it after class Value. Including
/// this file alone includes value.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <utility>

#include <nasbench/pickle/value.hpp>

#ifndef NASBENCH_PICKLE_DETAIL_VALUE_HASH_HPP_
#define NASBENCH_PICKLE_DETAIL_VALUE_HASH_HPP_

namespace nasbench::pickle::detail {

inline constexpr std::size_t kLinearMax = 8;   // dicts up to this size are searched linearly
inline constexpr int kMaxCompareDepth = 1000;  // deeper values are refused by ==/hash
inline constexpr int kMaxReprDepth = 100;      // deeper values print as "..."
inline constexpr std::size_t kMaxReprBytes = std::size_t{1} << 24;  // repr() stops after 16 MiB, then "..."
/// The most nodes one hash or comparison visits: a container shared many times
/// over (memo GETs: a "billion laughs") would take exponential time otherwise.
inline constexpr std::uint64_t kMaxCompareNodes = std::uint64_t{1} << 24;

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
  throw LoadError("expected " + std::string(wanted) + ", got " + std::string(got.type_name()) + " " + got.repr(80));
}

inline std::size_t hash_value(const Value& v, int depth);
inline bool equal_values(const Value& a, const Value& b, int depth);

/// The nodes visited by the outermost hash or comparison running on this
/// thread (nested ones, e.g. a dict lookup inside a comparison, add to it).
struct CompareWork {
  std::uint64_t nodes = 0;
  int active = 0;
};
inline CompareWork& compare_work() noexcept {
  thread_local CompareWork work;
  return work;
}
/// Counts one node against kMaxCompareNodes for the walk that `depth` 0 started.
class CompareScope {
 public:
  explicit CompareScope(int depth) : top_(depth == 0) {
    CompareWork& w = compare_work();
    if (top_ && w.active++ == 0) w.nodes = 0;
    if (++w.nodes > kMaxCompareNodes) {
      if (top_) --w.active;
      throw LoadError("value too large to compare or hash (more than " + std::to_string(kMaxCompareNodes) +
                      " nodes: a container shared many times over?)");
    }
  }
  ~CompareScope() {
    if (top_) --compare_work().active;
  }
  CompareScope(const CompareScope&) = delete;
  CompareScope& operator=(const CompareScope&) = delete;

 private:
  bool top_;
};

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
// SETITEMS path; Python pickles never repeat a key). Returns the value a
// repeated key replaced (None when none), for the reader to release.
inline Value dict_push(DictNode* d, Value&& k, Value&& v) {
  if (d->index != nullptr) {
    const std::size_t h = hash_value(k, 0);
    const std::size_t pos = dict_find_pos(d, h, [&](const Value& key) { return equal_values(key, k, 0); });
    if (pos != std::string_view::npos) {
      Value replaced = std::exchange(d->items[pos].second, std::move(v));
      return replaced;
    }
    d->items.emplace_back(std::move(k), std::move(v));
    if ((d->index->used + 1) * 2 > d->index->slots.size()) {
      rebuild_index(d);
    } else {
      index_insert_pos(*d->index, d->items, d->items.size() - 1, h);
    }
    return Value();
  }
  d->items.emplace_back(std::move(k), std::move(v));
  return Value();
}

inline std::size_t hash_value(const Value& v, int depth) {
  check_depth(depth);
  const CompareScope scope(depth);
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
  const CompareScope scope(depth);
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

}  // namespace nasbench::pickle::detail

#endif  // NASBENCH_PICKLE_DETAIL_VALUE_HASH_HPP_
