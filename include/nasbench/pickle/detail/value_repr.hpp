/// @file pickle/detail/value_repr.hpp
/// Value::repr(): Python's repr() of decoded values (shortest round-trip floats, str/bytes escapes).
/// Part of pickle/value.hpp, which includes it after class Value. Including
/// this file alone includes value.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <nasbench/pickle/value.hpp>

#ifndef NASBENCH_PICKLE_DETAIL_VALUE_REPR_HPP_
#define NASBENCH_PICKLE_DETAIL_VALUE_REPR_HPP_

namespace nasbench::pickle::detail {

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

inline void repr_text(std::string& out, std::string_view s, bool is_bytes, std::size_t limit = kMaxReprBytes) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char q = (has_single && !has_double) ? '"' : '\'';
  if (is_bytes) out += 'b';
  out += q;
  for (std::size_t i = 0; i < s.size() && out.size() < limit; ++i) {
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

inline void repr_into(std::string& out, const Value& v, int depth, std::size_t limit = kMaxReprBytes);

inline void repr_seq(std::string& out, const std::vector<Value>& items, int depth, std::size_t limit) {
  for (std::size_t i = 0; i < items.size() && out.size() < limit; ++i) {
    if (i) out += ", ";
    repr_into(out, items[i], depth + 1, limit);
  }
}

// Appends v's repr to `out` until `out` holds `limit` bytes (Value::repr cuts there).
inline void repr_into(std::string& out, const Value& v, int depth, std::size_t limit) {
  // Every call appends at least one character, so the cap bounds the work
  // too: a container shared many times over (memo GETs) prints exponentially.
  if (out.size() >= limit) return;
  if (depth > kMaxReprDepth) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case Kind::kNone: out += "None"; return;
    case Kind::kBool: out += v.as_bool() ? "True" : "False"; return;
    case Kind::kInt: out += std::to_string(v.as_int()); return;
    case Kind::kFloat: out += repr_double(v.as_float()); return;
    case Kind::kStr: repr_text(out, v.as_str(), false, limit); return;
    case Kind::kBytes: repr_text(out, v.as_bytes(), true, limit); return;
    case Kind::kTuple:
      out += '(';
      repr_seq(out, v.items(), depth, limit);
      if (v.items().size() == 1) out += ',';
      out += ')';
      return;
    case Kind::kList:
      out += '[';
      repr_seq(out, v.items(), depth, limit);
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
      repr_seq(out, v.items(), depth, limit);
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
      for (std::size_t i = 0; i < items.size() && out.size() < limit; ++i) {
        if (i) out += ", ";
        if (ordered) out += '(';
        repr_into(out, items[i].first, depth + 1, limit);
        out += ordered ? ", " : ": ";
        repr_into(out, items[i].second, depth + 1, limit);
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

}  // namespace nasbench::pickle::detail

#endif  // NASBENCH_PICKLE_DETAIL_VALUE_REPR_HPP_
