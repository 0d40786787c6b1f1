#pragma once
/// @file space/size.hpp
/// Configurations of the NATS-Bench size space (sss): channel strings such as
/// `8:16:24:32:40` (five layers, each one of 8, 16, ..., 64 channels), their
/// strict parse and print, the enumeration of the 32,768 configurations and
/// the official index order, which is `itertools.product(candidates, repeat=5)`
/// order and needs no data file. No dependency but the standard library.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nasbench/error.hpp"

namespace nasbench {

/// Number of layers whose channels the size space chooses.
inline constexpr std::size_t kSizeLayers = 5;
/// The channel counts each layer chooses from, in the benchmark's order.
inline constexpr std::array<int, 8> kSizeCandidates = {8, 16, 24, 32, 40, 48, 56, 64};
/// Number of configurations of the size space (8^5).
inline constexpr std::size_t kSizeSpaceSize = 32768;
/// The fixed cell of every size-space network (the best topology-space cell).
inline constexpr std::string_view kSizeSpaceGenotype =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/// One configuration of the size space: the channels of its five layers.
///
/// @code
/// auto c = nasbench::Channels::parse("8:8:8:16:32");
/// std::size_t i = c.index();                  // 11, its official index
/// auto last = nasbench::Channels::from_index(32767);
/// std::string s = last.str();                 // "64:64:64:64:64"
/// @endcode
struct Channels {
  std::array<int, kSizeLayers> values{8, 8, 8, 8, 8};

  /// Parses a channels string: exactly five values of kSizeCandidates separated
  /// by ':', decimal digits only, no leading zero. Throws ParseError naming the position.
  [[nodiscard]] static Channels parse(std::string_view text) {
    Channels c;
    std::size_t pos = 0;
    for (std::size_t layer = 0; layer < kSizeLayers; ++layer) {
      if (layer > 0) {
        if (pos >= text.size() || text[pos] != ':')
          throw ParseError(std::string(text), pos,
                           pos >= text.size() ? "channels string ends after " + std::to_string(layer) +
                                                    " of 5 values (expected values such as 8:16:24:32:40)"
                                              : "expected ':' between channel counts");
        ++pos;
      }
      const std::size_t start = pos;
      long long value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (value < 1000000) value = value * 10 + (text[pos] - '0');
        ++pos;
      }
      if (pos == start)
        throw ParseError(std::string(text), start,
                         start >= text.size() ? "channels string ends where channel count " +
                                                    std::to_string(layer + 1) + " of 5 should be"
                                              : "expected a channel count (one of " + candidate_names() + ")");
      // "08" would parse as 8 and print back as "8": not the string given, and not
      // one of meta_archs (nats_bench answers -1). Strict, as cell strings are (fuzz finding 5).
      if (pos - start > 1 && text[start] == '0')
        throw ParseError(std::string(text), start,
                         "channel count " + std::string(text.substr(start, pos - start)) + " of layer " +
                             std::to_string(layer) + " has a leading zero");
      if (!is_candidate(value))
        throw ParseError(std::string(text), start,
                         "channel count " + std::string(text.substr(start, pos - start)) + " of layer " +
                             std::to_string(layer) + " is not a size-space choice (expected one of " +
                             candidate_names() + ")");
      c.values[layer] = static_cast<int>(value);
    }
    if (pos != text.size())
      throw ParseError(std::string(text), pos, "unexpected text after the 5 channel counts");
    return c;
  }

  /// parse(), or nullopt for a malformed string (Python's -1 of query_index_by_arch).
  [[nodiscard]] static std::optional<Channels> try_parse(std::string_view text) noexcept {
    try {
      return parse(text);
    } catch (...) {
      return std::nullopt;
    }
  }

  /// The configuration of official index `index` (0..32767; QueryError otherwise).
  [[nodiscard]] static Channels from_index(std::size_t index) {
    if (index >= kSizeSpaceSize)
      throw QueryError("size-space index " + std::to_string(index) + " is out of range [0, " +
                       std::to_string(kSizeSpaceSize) + ")");
    Channels c;
    for (std::size_t layer = kSizeLayers; layer-- > 0;) {
      c.values[layer] = kSizeCandidates[index % kSizeCandidates.size()];
      index /= kSizeCandidates.size();
    }
    return c;
  }

  /// The official index (itertools.product order: the last layer varies fastest).
  [[nodiscard]] std::size_t index() const noexcept {
    std::size_t index = 0;
    for (int v : values) index = index * kSizeCandidates.size() + static_cast<std::size_t>(v / 8 - 1);
    return index;
  }

  /// The channels string, e.g. "8:16:24:32:40".
  [[nodiscard]] std::string str() const {
    std::string s;
    for (std::size_t layer = 0; layer < kSizeLayers; ++layer) {
      if (layer) s += ':';
      s += std::to_string(values[layer]);
    }
    return s;
  }

  /// Whether `value` is one of kSizeCandidates.
  [[nodiscard]] static constexpr bool is_candidate(long long value) noexcept {
    return value >= 8 && value <= 64 && value % 8 == 0;
  }

  /// "8, 16, 24, 32, 40, 48, 56, 64" for error messages.
  [[nodiscard]] static std::string candidate_names() {
    std::string s;
    for (int v : kSizeCandidates) {
      if (!s.empty()) s += ", ";
      s += std::to_string(v);
    }
    return s;
  }

  friend bool operator==(const Channels& a, const Channels& b) { return a.values == b.values; }
  friend bool operator!=(const Channels& a, const Channels& b) { return !(a == b); }
};

/// Every configuration's channels string, in official index order (the sss meta file's `meta_archs`).
[[nodiscard]] inline std::vector<std::string> enumerate_size_space() {
  std::vector<std::string> all;
  all.reserve(kSizeSpaceSize);
  for (std::size_t i = 0; i < kSizeSpaceSize; ++i) all.push_back(Channels::from_index(i).str());
  return all;
}

/// Whether `arch` looks like a channels string rather than a cell (no '|', starts with a digit).
[[nodiscard]] inline bool looks_like_channels(std::string_view arch) noexcept {
  return !arch.empty() && arch.find('|') == std::string_view::npos && arch.front() >= '0' && arch.front() <= '9';
}

}  // namespace nasbench
