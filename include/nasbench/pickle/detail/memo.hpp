#pragma once
/// @file pickle/detail/memo.hpp
/// The reader's memo and the memo-id sets of its prescan: IdSet (a bitmap
/// with ranks), DefinedIds (len(memo)) and Memo (the values, all of them or,
/// after a prescan, only those read back).

#include <nasbench/pickle/value.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace nasbench::pickle::detail {

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
  /// Calls `f(Value&)` for every value held.
  template <typename F>
  void for_each_value(F&& f) {
    for (auto& v : slots_)
      if (!Access::is_unset(v)) f(v);
    for (auto& kv : sparse_) f(kv.second);
  }
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
  /// `released`, when given, receives the containers dropped (see put).
  void apply_filter(IdSet referenced, std::vector<Value>* released = nullptr) {
    std::vector<Value> old = std::move(slots_);
    std::unordered_map<std::uint64_t, Value> old_sparse = std::move(sparse_);
    const std::uint64_t len = len_;
    set_filter(std::move(referenced));
    len_ = len;
    for (std::size_t i = 0; i < old.size(); ++i)
      if (!Access::is_unset(old[i])) defined_.insert(i);
    for (const auto& kv : old_sparse) defined_.insert(kv.first);
    auto keep = [&](std::uint64_t id, Value& v) {
      if (!referenced_.contains(id)) {
        if (released != nullptr && v.is_container()) released->push_back(std::move(v));
        return;
      }
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
  /// Sets entry `id` to `v`. A pickle that defines an id twice drops the first
  /// value: `replaced`, when given, receives it (the reader frees the cycles
  /// of what it drops, see Reader::release).
  void put(std::uint64_t id, const Value& v, Value* replaced = nullptr) {
    const auto set = [&](Value& slot) {
      if (replaced != nullptr && !Access::is_unset(slot)) *replaced = std::move(slot);
      slot = v;
    };
    if (filtered_) {
      if (defined_.insert(id)) ++len_;
      if (!referenced_.contains(id)) return;
      if (referenced_.in_bitmap(id)) {
        set(slots_[static_cast<std::size_t>(referenced_.rank(id))]);
      } else {
        set(sparse_[id]);
      }
      return;
    }
    if (id < slots_.size()) {
      Value& s = slots_[static_cast<std::size_t>(id)];
      if (Access::is_unset(s)) ++len_;
      set(s);
      return;
    }
    if (id < std::max<std::uint64_t>(std::uint64_t{1} << 20, slots_.size() * 2)) {
      slots_.resize(static_cast<std::size_t>(id + 1), Access::unset());
      if (!sparse_.empty()) migrate();
      Value& s = slots_[static_cast<std::size_t>(id)];
      if (Access::is_unset(s)) ++len_;
      set(s);
      return;
    }
    auto [it, inserted] = sparse_.try_emplace(id);
    if (inserted) ++len_;
    set(it->second);
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

}  // namespace nasbench::pickle::detail
