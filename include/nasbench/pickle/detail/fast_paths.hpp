/// @file pickle/detail/fast_paths.hpp
/// Reader: the fast paths of the main pass, the item loop after MARK and numpy scalars decoded without their argument nodes.
/// Part of pickle/reader.hpp, which includes it after class Reader. Including
/// this file alone includes reader.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <nasbench/pickle/reader.hpp>

#ifndef NASBENCH_PICKLE_DETAIL_FAST_PATHS_HPP_
#define NASBENCH_PICKLE_DETAIL_FAST_PATHS_HPP_

namespace nasbench::pickle {

inline bool Reader::fast_numpy_scalar(bool latin1) {
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
  if (latin1) {  // BINUNICODE's length
    if (end - p < kOpcodes['X'].size) return false;
    len = detail::le32(p);
    p += kOpcodes['X'].size;
  } else {  // SHORT_BINBYTES's
    if (end - p < kOpcodes['C'].size) return false;
    len = *p;
    p += kOpcodes['C'].size;
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
      if (static_cast<std::size_t>(end - p) < fixed_opcode_bytes('q')) return false;
      id = fixed_uint<'q'>(p + 1);
      p += fixed_opcode_bytes('q');
    } else if (*p == 'r') {
      if (static_cast<std::size_t>(end - p) < fixed_opcode_bytes('r')) return false;
      id = fixed_uint<'r'>(p + 1);
      p += fixed_opcode_bytes('r');
    } else if (*p == 0x94) {
      id = next_len;
      memoize = true;
      p += fixed_opcode_bytes(0x94);
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
    if (p < end && *p == 'h' && static_cast<std::size_t>(end - p) >= fixed_opcode_bytes('h')) {
      get_id = fixed_uint<'h'>(p + 1);
      p += fixed_opcode_bytes('h');
    } else if (p < end && *p == 'j' && static_cast<std::size_t>(end - p) >= fixed_opcode_bytes('j')) {
      get_id = fixed_uint<'j'>(p + 1);
      p += fixed_opcode_bytes('j');
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
  for (int i = 0; i < nputs; ++i) {
    Value replaced;
    memo_.put(memoize_op[i] ? memo_.size() : puts[i], Value(), second_reference_ ? &replaced : nullptr);
    release(std::move(replaced));
  }
  src_.advance(static_cast<std::size_t>(p - start));
  stack_.resize(n - below);
  push_value(std::move(number));
  ++stats_.fast_numpy_scalars;
  return true;
}

inline void Reader::fast_items() {
  std::uint64_t handled = 0;
  for (;;) {
    std::size_t avail = src_.buffered();
    if (avail < 16) {
      avail = src_.peek(16);
      if (avail < kItemLoopMin) break;
    }
    const std::uint8_t* const p = src_.data();
    const std::uint8_t c = p[0];
    switch (c) {
      case 'K':
        stack_.push_back(Value::from_int(static_cast<std::int64_t>(fixed_uint<'K'>(p + 1))));
        src_.advance(fixed_opcode_bytes('K'));
        break;
      case 'M':
        stack_.push_back(Value::from_int(static_cast<std::int64_t>(fixed_uint<'M'>(p + 1))));
        src_.advance(fixed_opcode_bytes('M'));
        break;
      case 'J':
        stack_.push_back(Value::from_int(static_cast<std::int32_t>(fixed_uint<'J'>(p + 1))));
        src_.advance(fixed_opcode_bytes('J'));
        break;
      case 'G':
        stack_.push_back(Value::from_float(detail::be_double(p + 1)));
        src_.advance(fixed_opcode_bytes('G'));
        break;
      case 'N':
        stack_.push_back(Value());
        src_.advance(fixed_opcode_bytes('N'));
        break;
      case 'h':
      case 'j': {
        const std::uint64_t id = c == 'h' ? fixed_uint<'h'>(p + 1) : fixed_uint<'j'>(p + 1);
        const Value* v = memo_.get(id);
        if (v == nullptr) goto done;  // run() reports it
        second_reference_ |= v->is_container();
        stack_.push_back(*v);
        src_.advance(c == 'h' ? fixed_opcode_bytes('h') : fixed_opcode_bytes('j'));
        break;
      }
      case 'q':
      case 'r': {
        if (stack_.size() <= base()) goto done;  // run() reports the underflow
        memo_put(c == 'q' ? fixed_uint<'q'>(p + 1) : fixed_uint<'r'>(p + 1));
        src_.advance(c == 'q' ? fixed_opcode_bytes('q') : fixed_opcode_bytes('r'));
        break;
      }
      case 'X': {
        constexpr std::size_t kHead = 1 + kOpcodes['X'].size;  // opcode and length
        static_assert(kHead <= kItemLoopMin);
        if (detail::le32(p + 1) > avail - kHead) goto done;  // not all buffered (or absurd): run() reads it
        op_off_ = src_.offset();
        op_ = c;
        src_.advance(1);
        if (!fast_numpy_scalar(true)) push_value(read_blob(Kind::kStr, counted_length<'X'>()));
        break;
      }
      default: goto done;
    }
    ++handled;
  }
done:
  stats_.fast_item_opcodes += handled;
}

}  // namespace nasbench::pickle

#endif  // NASBENCH_PICKLE_DETAIL_FAST_PATHS_HPP_
