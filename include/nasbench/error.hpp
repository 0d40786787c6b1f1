#pragma once
/// @file error.hpp
/// The exception types of nasbench. Every error is a nasbench::Error; messages
/// start with "nasbench: " and quote the offending value.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nasbench {

/// Base class of every exception nasbench throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error("nasbench: " + message) {}
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

  explicit LoadError(const std::string& what, std::uint64_t offset = kNoOffset,
                     std::string key_path = {})
      : Error(compose(what, offset, key_path)), offset_(offset), key_path_(std::move(key_path)) {}

  /// Byte offset in the (decompressed) stream where the problem was found, or kNoOffset.
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// Python-style key path such as `arch2infos[17]['full']`, or empty.
  [[nodiscard]] const std::string& key_path() const noexcept { return key_path_; }

 private:
  static std::string compose(const std::string& what, std::uint64_t offset,
                             const std::string& key_path) {
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

}  // namespace nasbench
