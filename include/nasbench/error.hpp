#pragma once
/// @file error.hpp
/// The exception types of nasbench. Every error is a nasbench::Error; what()
/// starts with "nasbench: ", message() is the same text without it, and the
/// message quotes the offending value. The named constructors below
/// (unknown_value, unavailable_value, out_of_range, not_loaded) write the
/// common messages in one wording everywhere.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace nasbench {

/// Base class of every exception nasbench throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error("nasbench: " + message), message_(message) {}

  /// The message without the "nasbench: " prefix of what(), for wrapping in
  /// another error or another program's output.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

/// A string (architecture, argument) that does not parse. `position()` is the
/// 0-based character offset in `input()` where parsing failed.
class ParseError : public Error {
 public:
  ParseError(std::string input, std::size_t position, const std::string& what)
      : Error(what + " at position " + std::to_string(position) + " in \"" + input + "\""),
        input_(std::move(input)),
        position_(position) {}

  /// The string that failed to parse.
  [[nodiscard]] const std::string& input() const noexcept { return input_; }
  /// 0-based offset in input() where parsing failed.
  [[nodiscard]] std::size_t position() const noexcept { return position_; }

 private:
  std::string input_;
  std::size_t position_;
};

/// A file that cannot be read, is not one of the supported formats, or does
/// not fit the benchmark schema. Carries the byte offset (when known) and the
/// key path inside the object graph (when known).
class LoadError : public Error {
 public:
  static constexpr std::uint64_t kNoOffset = ~std::uint64_t{0};

  explicit LoadError(const std::string& what, std::uint64_t offset = kNoOffset, std::string key_path = {})
      : Error(compose(what, offset, key_path)), offset_(offset), key_path_(std::move(key_path)) {}

  /// Byte offset in the (decompressed) stream where the problem was found, or kNoOffset.
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// Python-style key path such as `arch2infos[17]['full']`, or empty.
  [[nodiscard]] const std::string& key_path() const noexcept { return key_path_; }

 private:
  static std::string compose(const std::string& what, std::uint64_t offset, const std::string& key_path) {
    std::string m;
    if (!key_path.empty()) m += key_path + ": ";
    m += what;
    if (offset != kNoOffset) m += " (at byte offset " + std::to_string(offset) + ")";
    return m;
  }
  std::uint64_t offset_;
  std::string key_path_;
};

/// A query the benchmark cannot answer: unknown dataset, hp, seed, set name,
/// index or epoch out of range. The message names the value and the valid choices.
class QueryError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// `"s"`.
inline std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// The items of `items`, each turned into text by `fn`, separated by `sep`.
template <typename Range, typename Fn>
std::string join(const Range& items, Fn&& fn, const char* sep = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += fn(item);
  }
  return out;
}

/// Items that are strings or convertible to them, as `a, b, c`.
template <typename Range>
std::string join_names(const Range& items) {
  return join(items, [](const auto& x) {
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(x)>>) {
      return std::to_string(x);
    } else {
      return std::string(x);
    }
  });
}

}  // namespace detail

/// ` (expected one of A, B, C)`: the end of a message about a value outside a
/// fixed vocabulary.
template <typename Range>
[[nodiscard]] std::string expected_one_of(const Range& choices) {
  return " (expected one of " + detail::join_names(choices) + ")";
}

/// `unknown KIND "VALUE"CONTEXT (expected one of A, B, C)`: a value outside a
/// fixed vocabulary (dataset names, ops, functions). `context` starts with a
/// space when given (" for architecture 3").
template <typename E = QueryError, typename Range>
[[nodiscard]] E unknown_value(std::string_view kind, std::string_view value, const Range& choices,
                              std::string_view context = {}) {
  return E("unknown " + std::string(kind) + " " + detail::quoted(value) + std::string(context) +
           expected_one_of(choices));
}
template <typename E = QueryError>
[[nodiscard]] E unknown_value(std::string_view kind, std::string_view value,
                              std::initializer_list<std::string_view> choices, std::string_view context = {}) {
  return unknown_value<E, std::initializer_list<std::string_view>>(kind, value, choices, context);
}

/// `unknown KIND "VALUE"CONTEXT (available: A, B)`: a value that this data
/// does not hold, although another file may (an hp, a dataset, a seed).
template <typename E = QueryError, typename Range>
[[nodiscard]] E unavailable_value(std::string_view kind, std::string_view value, std::string_view context,
                                  const Range& available) {
  return E("unknown " + std::string(kind) + " " + detail::quoted(value) + std::string(context) + " (available: " +
           detail::join_names(available) + ")");
}

/// `KIND VALUE out of range (LO..HI)`.
template <typename E = QueryError>
[[nodiscard]] E out_of_range(std::string_view kind, long long value, long long lo, long long hi) {
  return E(std::string(kind) + " " + std::to_string(value) + " out of range (" + std::to_string(lo) + ".." +
           std::to_string(hi) + ")");
}

/// `KIND "VALUE" was not loaded (LoadOptions::OPTION: A, B)`: a query outside
/// what a partial load kept.
template <typename E = QueryError, typename Range>
[[nodiscard]] E not_loaded(std::string_view kind, std::string_view value, std::string_view option,
                           const Range& loaded) {
  return E(std::string(kind) + " " + detail::quoted(value) + " was not loaded (LoadOptions::" + std::string(option) +
           ": " + detail::join_names(loaded) + ")");
}

}  // namespace nasbench
