/// @file pickle/detail/reader_objects.hpp
/// Reader: the allow-listed globals, what calling them builds (REDUCE/NEWOBJ: dicts, sets, numpy scalars and dtypes, torch tensors), BUILD, and the text escapes of protocol 0.
/// Part of pickle/reader.hpp, which includes it after class Reader. Including
/// this file alone includes reader.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <nasbench/pickle/reader.hpp>

#ifndef NASBENCH_PICKLE_DETAIL_READER_OBJECTS_HPP_
#define NASBENCH_PICKLE_DETAIL_READER_OBJECTS_HPP_

namespace nasbench::pickle {

inline Value Reader::resolve_global(std::string_view module, std::string_view name) const {
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
  if (module == "torch.storage" && name == "_load_from_bytes") return Value::make_global(GlobalId::kLoadFromBytes);
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

inline const std::vector<Value>& Reader::iterable_items(const Value& v) const {
  if (v.is_tuple() || v.is_list() || v.is_set()) return v.items();
  wrong(v, "a list, tuple or set argument");
}

inline DtypeInfo Reader::parse_dtype_code(std::string_view code, bool& ok) {
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

inline Value Reader::numpy_scalar(const std::vector<Value>& a) const {
  if (a.size() != 2 || !a[0].is_dtype() || !a[1].is_bytes())
    fail("numpy scalar expects (dtype, bytes) arguments, got " + Value::make_tuple(a).repr(80));
  return numpy_scalar(a[0].as_dtype(), a[1].as_bytes());
}

inline Value Reader::numpy_scalar(const DtypeInfo& dt, std::string_view raw) const {
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

inline std::vector<std::int64_t> Reader::int_tuple(const Value& v, const char* what) const {
  if (!v.is_tuple() && !v.is_list()) wrong(v, std::string("a tuple of ints for the tensor ") + what);
  std::vector<std::int64_t> out;
  out.reserve(v.items().size());
  for (const auto& x : v.items()) {
    if (!x.is_int() || x.as_int() < 0) wrong(x, std::string("a non-negative int in the tensor ") + what);
    out.push_back(x.as_int());
  }
  return out;
}

inline Value Reader::rebuild_tensor(const std::vector<Value>& a, bool v2) const {
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

inline Value Reader::rebuild_parameter(const std::vector<Value>& a, bool with_state) const {
  if (a.size() != (with_state ? 4u : 3u))
    fail("_rebuild_parameter got " + std::to_string(a.size()) + " arguments");
  if (!a[0].is_tensor()) wrong(a[0], "a tensor as the parameter's data");
  if (!a[1].is_bool()) wrong(a[1], "a bool requires_grad");
  TensorInfo t = a[0].as_tensor();
  t.requires_grad = a[1].as_bool();
  t.is_parameter = true;
  return Value::make_tensor(std::move(t));
}

inline Value Reader::latin1_encode(std::string_view s, std::string_view encoding) const {
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

inline Value Reader::call(const Value& callable, const Value& args_v, bool newobj) const {
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
    case GlobalId::kLoadFromBytes: {
      arity(1, 1);
      if (!a[0].is_bytes()) wrong(a[0], "the bytes of a torch.save'd storage");
      if (!opt_.load_from_bytes)
        fail("torch.storage._load_from_bytes (a tensor pickled without torch.save) needs a storage loader "
             "(ReaderOptions::load_from_bytes; pickle::open installs one)");
      Value storage = opt_.load_from_bytes(a[0], op_off_);
      if (!storage.is_storage()) wrong(storage, "a storage from torch.storage._load_from_bytes");
      return storage;
    }
    case GlobalId::kStorageType: break;
  }
  fail("calling " + callable.global_name() + " is not supported");
}

inline void Reader::build(Value& obj, const Value& state) const {
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
  fail("BUILD with state " + state.repr(60) + " on a " + std::string(obj.type_name()) + " is not supported");
}

inline std::string Reader::unescape_string(std::string_view s) const {  // Python 2 str literal body
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

inline std::string Reader::raw_unicode_escape(std::string_view s) const {
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

}  // namespace nasbench::pickle

#endif  // NASBENCH_PICKLE_DETAIL_READER_OBJECTS_HPP_
