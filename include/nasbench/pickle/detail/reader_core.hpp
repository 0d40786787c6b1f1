/// @file pickle/detail/reader_core.hpp
/// Reader: load(), errors, argument input, the stack and the main pass run().
/// Part of pickle/reader.hpp, which includes it after class Reader. Including
/// this file alone includes reader.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <nasbench/pickle/reader.hpp>

#ifndef NASBENCH_PICKLE_DETAIL_READER_CORE_HPP_
#define NASBENCH_PICKLE_DETAIL_READER_CORE_HPP_

namespace nasbench::pickle {

inline Value Reader::load() {
  stack_.clear();
  dropped_.clear();
  collect_at_ = kCollectDropped;
  marks_.clear();
  memo_.reset();
  stats_ = ReaderStats{};
  second_reference_ = false;
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
    for (auto& v : dropped_) detail::dismantle_tree(v);
    stack_.clear();
    dropped_.clear();
    marks_.clear();
    memo_.dismantle_all();
    throw;
  }
  stats_.end_offset = src_.offset();
  stats_.memo_entries = memo_.size();
  stats_.memo_kept = memo_.kept();
  stats_.cycles_possible = second_reference_;
  if (second_reference_) {
    // A container pushed twice (GET, DUP) may have been put inside itself; a
    // cycle that only the stack and the memo hold would never be freed.
    std::vector<const Value*> dropped;
    for (const auto& v : stack_) dropped.push_back(&v);
    for (const auto& v : dropped_) dropped.push_back(&v);
    memo_.for_each_value([&](Value& v) { dropped.push_back(&v); });
    detail::free_dropped_cycles(dropped);
  }
  stack_.clear();
  dropped_.clear();
  marks_.clear();
  memo_.reset();
  return result;
}

inline void Reader::fail(const std::string& what) const {
  throw LoadError(what + " in \"" + src_.name() + "\"", op_off_);
}

inline std::string Reader::opname() const {
  const char* n = detail::opcode_name(op_);
  return n ? n : detail::hex_byte(op_);
}

inline void Reader::truncated(std::uint64_t n) const {
  fail("truncated pickle: " + opname() + " needs " + std::to_string(n) + " more bytes");
}

inline void Reader::wrong(const Value& got, std::string_view expected) const {
  const std::string r = got.repr(60);
  fail(opname() + " expects " + std::string(expected) + ", got " + std::string(got.type_name()) + " " + r);
}

inline const std::uint8_t* Reader::arg(std::size_t n) {
  const std::uint8_t* p = src_.take(n);
  if (p == nullptr) truncated(n);
  return p;
}

template <std::uint8_t Op>
inline std::uint64_t Reader::fixed_uint(const std::uint8_t* p) noexcept {
  constexpr OpcodeInfo o = kOpcodes[Op];
  static_assert(o.arg == ArgKind::kFixed);
  if constexpr (o.size == 1) {
    return p[0];
  } else if constexpr (o.size == 2) {
    return static_cast<std::uint64_t>(p[0] | (p[1] << 8));
  } else if constexpr (o.size == 4) {
    return detail::le32(p);
  } else {
    static_assert(o.size == 8);
    return detail::le64(p);
  }
}

template <std::uint8_t Op>
inline const std::uint8_t* Reader::fixed_arg() {
  static_assert(kOpcodes[Op].arg == ArgKind::kFixed);
  return arg(kOpcodes[Op].size);
}

template <std::uint8_t Op>
inline std::uint64_t Reader::uint_arg() {
  if constexpr (kOpcodes[Op].arg == ArgKind::kLine) {
    return parse_uint(line());
  } else {
    return fixed_uint<Op>(fixed_arg<Op>());
  }
}

template <std::uint8_t Op>
inline std::uint64_t Reader::counted_length() {
  constexpr OpcodeInfo o = kOpcodes[Op];
  static_assert(o.arg == ArgKind::kCounted || o.arg == ArgKind::kSignedCounted);
  const std::uint8_t* p = arg(o.size);
  if constexpr (o.size == 1) {
    return p[0];
  } else if constexpr (o.size == 4) {
    if constexpr (o.arg == ArgKind::kSignedCounted) {
      const auto n = static_cast<std::int32_t>(detail::le32(p));
      if (n < 0) fail(opname() + " has a negative length");
      return static_cast<std::uint64_t>(n);
    } else {
      return detail::le32(p);
    }
  } else {
    static_assert(o.size == 8);
    return detail::le64(p);
  }
}

inline void Reader::skip_arg(const OpcodeInfo& o) {
  switch (o.arg) {
    case ArgKind::kNone: return;
    case ArgKind::kFixed: arg(o.size); return;
    case ArgKind::kLine: line(); return;
    case ArgKind::kTwoLines:
      line();
      line();
      return;
    case ArgKind::kCounted:
    case ArgKind::kSignedCounted: {
      const std::uint8_t* p = arg(o.size);
      std::uint64_t n = o.size == 1 ? p[0] : o.size == 4 ? detail::le32(p) : detail::le64(p);
      if (o.arg == ArgKind::kSignedCounted && static_cast<std::int32_t>(n) < 0)
        fail(opname() + " has a negative length");
      skip_bytes(n);
      return;
    }
  }
}

inline void Reader::check_length(std::uint64_t n) const {
  if (auto rem = src_.remaining(); rem && n > *rem)
    fail("truncated pickle: " + opname() + " length " + std::to_string(n) +
         " exceeds the remaining input (" + std::to_string(*rem) + " bytes)");
}

inline void Reader::skip_bytes(std::uint64_t n) {
  check_length(n);
  if (!src_.skip(n)) truncated(n);
}

inline std::string Reader::line() {
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

inline Value Reader::read_blob(Kind kind, std::uint64_t n) {
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

inline std::uint64_t Reader::parse_uint(std::string_view s) const {
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    fail(opname() + " argument \"" + std::string(s.substr(0, 40)) + "\" is not a non-negative integer");
  return v;
}

inline std::int64_t Reader::parse_int(std::string_view s) const {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range)
    fail(opname() + " integer " + std::string(s.substr(0, 40)) + " does not fit in int64");
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    fail(opname() + " argument \"" + std::string(s.substr(0, 40)) + "\" is not an integer");
  return v;
}

inline void Reader::need(std::size_t n) const {
  if (stack_.size() - base() < n) underflow();
}

inline Value Reader::pop() {
  need(1);
  Value v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

inline Value Reader::persistent(const Value& pid) {
  if (!opt_.persistent_load)
    fail("persistent id " + pid.repr(60) + " needs a persistent_load (not a torch.save file?)");
  return opt_.persistent_load(pid, op_off_);
}

inline void Reader::release(Value&& v) noexcept {
  if (!second_reference_ || !v.is_container()) return;  // freed by its refcount when `v` goes
  try {
    dropped_.push_back(std::move(v));
    if (dropped_.size() >= collect_at_) {
      // Bounded: free the cycles among what was dropped so far (what the
      // stack, the memo or a live container still holds is left alone).
      // The next look waits for twice as many drops as this one looked at
      // containers, so the looks cost O(1) per drop however much they reach.
      std::vector<const Value*> dropped;
      dropped.reserve(dropped_.size());
      for (const auto& d : dropped_) dropped.push_back(&d);
      const std::size_t looked_at = detail::free_dropped_cycles(dropped);
      dropped_.clear();
      collect_at_ = std::max(kCollectDropped, 2 * looked_at);
    }
  } catch (...) {  // out of memory: leaking a cycle is the lesser harm
  }
}

inline Value& Reader::top() {
  need(1);
  return stack_.back();
}

inline std::size_t Reader::pop_mark() {
  if (marks_.empty()) fail("MARK missing: " + opname() + " needs a MARK before its items");
  const std::size_t k = marks_.back();
  marks_.pop_back();
  return k;
}

inline std::size_t Reader::below_mark(std::size_t k) const {
  if (k == 0 || k - 1 < base()) underflow();
  return k - 1;
}

inline void Reader::complete(Value& v) {
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

inline std::vector<Value> Reader::take_from(std::size_t k) {
  complete_from(k);  // may throw: the items stay on the stack until then
  std::vector<Value> items;
  items.reserve(stack_.size() - k);
  for (std::size_t i = k; i < stack_.size(); ++i) items.push_back(std::move(stack_[i]));
  stack_.resize(k);
  return items;
}

inline void Reader::push_tuple(std::size_t n) {
  need(n);
  push_value(Value::make_tuple(take_from(stack_.size() - n)));
}

inline void Reader::memo_put(std::uint64_t id) {
  if (background_ && background_->done.load(std::memory_order_acquire)) adopt_background();
  need(1);
  Value replaced;  // a memo id defined twice: the first value goes
  memo_.put(id, stack_.back(), second_reference_ ? &replaced : nullptr);
  release(std::move(replaced));
}

inline void Reader::memo_get(std::uint64_t id) {
  const Value* v = memo_.get(id);
  if (v == nullptr) fail("memo key " + std::to_string(id) + " not defined (" + opname() + ")");
  second_reference_ |= v->is_container();
  stack_.push_back(*v);
}

inline void Reader::complete_from(std::size_t k) {
  if (!hook_) return;
  for (std::size_t i = k; i < stack_.size(); ++i) complete(stack_[i]);
}

inline void Reader::set_items(std::size_t target, std::size_t k) {
  if ((stack_.size() - k) % 2 != 0) fail("odd number of items for " + opname());
  complete_from(k);
  Value& dict = stack_[target];
  if (!dict.is_dict()) wrong(dict, "a dict below its items");
  auto* d = detail::Access::dict(dict);
  d->items.reserve(d->items.size() + (stack_.size() - k) / 2);
  for (std::size_t i = k; i < stack_.size(); i += 2)
    release(detail::dict_push(d, std::move(stack_[i]), std::move(stack_[i + 1])));
  stack_.resize(k);
}

inline void Reader::add_items(std::size_t target, std::size_t k, Kind kind, const char* expected) {
  complete_from(k);
  Value& c = stack_[target];
  if (c.kind() != kind) wrong(c, expected);
  auto& items = detail::Access::seq(c)->items;
  items.reserve(items.size() + (stack_.size() - k));
  for (std::size_t i = k; i < stack_.size(); ++i) items.push_back(std::move(stack_[i]));
  stack_.resize(k);
}

inline int Reader::next_opcode() {
  op_off_ = src_.offset();
  const int c = src_.get();
  if (c < 0) {
    op_ = 0x2e;
    fail("truncated pickle: input ends before the STOP opcode");
  }
  op_ = c;
  return c;
}

inline Value Reader::run() {
  for (;;) {
    const int c = next_opcode();
    switch (c) {
      case 0x80: {  // PROTO
        const auto v = uint_arg<0x80>();
        if (v > 5) fail("unsupported pickle protocol " + std::to_string(v));
        break;
      }
      case 0x95:  // FRAME: a hint; the bytes are read as they come
        check_length(uint_arg<0x95>());
        break;
      case '.':  // STOP
        complete(top());  // may throw: the root stays on the stack until then
        return pop();
      case '(':
        marks_.push_back(stack_.size());
        fast_items();
        break;
      case '0':  // POP
        if (stack_.size() > base()) {
          release(std::move(stack_.back()));
          stack_.pop_back();
        } else if (!marks_.empty()) {
          marks_.pop_back();
        } else {
          underflow();
        }
        break;
      case '1': {  // POP_MARK
        const std::size_t k = pop_mark();
        for (std::size_t i = k; i < stack_.size(); ++i) release(std::move(stack_[i]));
        stack_.resize(k);
        break;
      }
      case '2': {                                  // DUP
        Value v = top();
        second_reference_ |= v.is_container();
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
      case 'J': push_value(Value::from_int(static_cast<std::int32_t>(uint_arg<'J'>()))); break;
      case 'K': push_value(Value::from_int(static_cast<std::int64_t>(uint_arg<'K'>()))); break;
      case 'M': push_value(Value::from_int(static_cast<std::int64_t>(uint_arg<'M'>()))); break;
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        const std::uint64_t n = c == 0x8a ? counted_length<0x8a>() : counted_length<0x8b>();
        if (n > 8) fail("integer too large for int64 (" + std::to_string(n) + "-byte " + opname() + ")");
        const std::uint8_t* p = arg(static_cast<std::size_t>(n));
        std::uint64_t u = 0;
        for (std::uint64_t i = 0; i < n; ++i) u |= static_cast<std::uint64_t>(p[i]) << (8 * i);
        if (n > 0 && n < 8 && (p[n - 1] & 0x80)) u |= ~std::uint64_t{0} << (8 * n);
        push_value(Value::from_int(static_cast<std::int64_t>(u)));
        break;
      }
      case 'G': push_value(Value::from_float(detail::be_double(fixed_arg<'G'>()))); break;  // BINFLOAT
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
      case 'U': push_value(read_blob(Kind::kStr, counted_length<'U'>())); break;  // SHORT_BINSTRING
      case 'T': push_value(read_blob(Kind::kStr, counted_length<'T'>())); break;  // BINSTRING
      case 'S': {  // STRING (text, quoted)
        const std::string s = line();
        if (s.size() < 2 || s.front() != s.back() || (s.front() != '\'' && s.front() != '"'))
          fail("the STRING opcode argument must be quoted");
        push_value(Value::from_str(unescape_string(std::string_view(s).substr(1, s.size() - 2))));
        break;
      }
      case 'X':
        if (fast_numpy_scalar(true)) break;
        push_value(read_blob(Kind::kStr, counted_length<'X'>()));
        break;
      case 0x8c: push_value(read_blob(Kind::kStr, counted_length<0x8c>())); break;
      case 0x8d: push_value(read_blob(Kind::kStr, counted_length<0x8d>())); break;
      case 'V': push_value(Value::from_str(raw_unicode_escape(line()))); break;
      case 'B': push_value(read_blob(Kind::kBytes, counted_length<'B'>())); break;
      case 'C':
        if (fast_numpy_scalar(false)) break;
        push_value(read_blob(Kind::kBytes, counted_length<'C'>()));
        break;
      case 0x8e: push_value(read_blob(Kind::kBytes, counted_length<0x8e>())); break;
      case 0x96: push_value(read_blob(Kind::kBytes, counted_length<0x96>())); break;
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
        complete_from(k);  // may throw: the items stay on the stack until then
        Value d = Value::make_dict();
        auto* node = detail::Access::dict(d);
        for (std::size_t i = k; i < stack_.size(); i += 2)
          release(detail::dict_push(node, std::move(stack_[i]), std::move(stack_[i + 1])));
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
      case 'g': memo_get(uint_arg<'g'>()); break;
      case 'h': memo_get(uint_arg<'h'>()); break;
      case 'j': memo_get(uint_arg<'j'>()); break;
      case 'p': memo_put(uint_arg<'p'>()); break;
      case 'q': memo_put(uint_arg<'q'>()); break;
      case 'r': memo_put(uint_arg<'r'>()); break;
      case 0x94: memo_put(memo_.size()); break;
      case 'c': {  // GLOBAL
        const std::string module = line();
        const std::string name = line();
        push_value(resolve_global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const Popped name(*this);
        const Popped module(*this);
        if (!module.value.is_str() || !name.value.is_str()) fail("STACK_GLOBAL needs str module and name");
        push_value(resolve_global(module.value.as_str(), name.value.as_str()));
        break;
      }
      case 'R': {  // REDUCE
        const Popped args(*this);
        Value& callable = top();
        callable = call(callable, args.value, false);
        break;
      }
      case 0x81: {  // NEWOBJ
        const Popped args(*this);
        Value& cls = top();
        cls = call(cls, args.value, true);
        break;
      }
      case 0x92: {  // NEWOBJ_EX
        const Popped kwargs(*this);
        const Popped args(*this);
        Value& cls = top();
        if (!kwargs.value.is_dict() || kwargs.value.size() != 0) wrong(kwargs.value, "empty keyword arguments");
        cls = call(cls, args.value, true);
        break;
      }
      case 'b': {  // BUILD
        const Popped state(*this);
        build(top(), state.value);
        break;
      }
      case 'P':  // PERSID
        push_value(persistent(Value::from_str(line())));
        break;
      case 'Q': {  // BINPERSID
        const Popped pid(*this);
        push_value(persistent(pid.value));
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

}  // namespace nasbench::pickle

#endif  // NASBENCH_PICKLE_DETAIL_READER_CORE_HPP_
