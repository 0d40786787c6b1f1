#pragma once
/// @file detail/python_random.hpp
/// CPython's `random.Random` (MT19937 seeded by init_by_array, getrandbits,
/// _randbelow by rejection, shuffle, random()), reproduced bit for bit so that
/// orders the benchmark derived with Python's random module need no data file.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace nasbench::detail {

class PythonRandom {
 public:
  /// Same state as Python's `random.seed(n)` for a non-negative integer n.
  explicit PythonRandom(std::uint64_t seed) {
    // CPython splits abs(n) into 32-bit words, least significant first; 0 -> [0].
    std::vector<std::uint32_t> key;
    do {
      key.push_back(static_cast<std::uint32_t>(seed & 0xffffffffu));
      seed >>= 32;
    } while (seed != 0);
    init_by_array(key);
  }

  /// One 32-bit output of the generator (genrand_uint32).
  std::uint32_t next_u32() {
    if (index_ >= kN) twist();
    std::uint32_t y = state_[index_++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= (y >> 18);
    return y;
  }

  /// `random.getrandbits(k)` for 1 <= k <= 64.
  std::uint64_t getrandbits(int k) {
    if (k <= 32) return next_u32() >> (32 - k);
    std::uint64_t low = next_u32();
    std::uint64_t high = next_u32() >> (64 - k);
    return low | (high << 32);
  }

  /// `random._randbelow(n)` (the getrandbits variant) for n >= 1.
  std::uint64_t randbelow(std::uint64_t n) {
    int k = 0;
    for (std::uint64_t v = n; v != 0; v >>= 1) ++k;  // n.bit_length()
    std::uint64_t r = getrandbits(k);
    while (r >= n) r = getrandbits(k);
    return r;
  }

  /// `random.randint(a, b)` for a <= b: `a + _randbelow(b - a + 1)` (randrange's step-1 path).
  std::int64_t randint(std::int64_t a, std::int64_t b) {
    return a + static_cast<std::int64_t>(randbelow(static_cast<std::uint64_t>(b - a) + 1));
  }

  /// `random.choice(seq)` for a non-empty sequence: `seq[_randbelow(len(seq))]`.
  template <typename Seq>
  const auto& choice(const Seq& seq) {
    return seq[static_cast<std::size_t>(randbelow(static_cast<std::uint64_t>(seq.size())))];
  }

  /// `random.random()`: a double in [0, 1) with 53 random bits.
  double random() {
    std::uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /// Words in Python's `random.getstate()[1]`: the 624 state words, then the index.
  static constexpr std::size_t kStateWords = 625;

  /// The state as Python's `random.getstate()[1]` holds it (624 words, then
  /// the index), so that a Python binding can hand it back with `setstate`.
  [[nodiscard]] std::array<std::uint32_t, kStateWords> get_state() const noexcept {
    std::array<std::uint32_t, kStateWords> out{};
    for (std::size_t i = 0; i < kN; ++i) out[i] = state_[i];
    out[kN] = static_cast<std::uint32_t>(index_);
    return out;
  }

  /// Python's `random.setstate`: the state of get_state() or of Python's
  /// `getstate()[1]`; false (nothing changed) when the index is beyond 624.
  bool set_state(const std::array<std::uint32_t, kStateWords>& words) noexcept {
    if (words[kN] > kN) return false;
    for (std::size_t i = 0; i < kN; ++i) state_[i] = words[i];
    index_ = words[kN];
    return true;
  }

  /// `random.shuffle(x)` (Python 3).
  template <typename T>
  void shuffle(std::vector<T>& x) {
    for (std::size_t i = x.size(); i-- > 1;) {
      std::size_t j = static_cast<std::size_t>(randbelow(i + 1));
      std::swap(x[i], x[j]);
    }
  }

 private:
  static constexpr std::size_t kN = 624, kM = 397;

  void init_genrand(std::uint32_t s) {
    state_[0] = s;
    for (std::size_t i = 1; i < kN; ++i)
      state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    index_ = kN;
  }

  void init_by_array(const std::vector<std::uint32_t>& key) {
    init_genrand(19650218u);
    std::size_t i = 1, j = 0;
    for (std::size_t k = (kN > key.size() ? kN : key.size()); k != 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525u)) + key[j] +
                  static_cast<std::uint32_t>(j);
      ++i;
      ++j;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
      if (j >= key.size()) j = 0;
    }
    for (std::size_t k = kN - 1; k != 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941u)) -
                  static_cast<std::uint32_t>(i);
      ++i;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
    }
    state_[0] = 0x80000000u;
  }

  void twist() {
    constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
    for (std::size_t i = 0; i < kN; ++i) {
      std::uint32_t y = (state_[i] & kUpper) | (state_[(i + 1) % kN] & kLower);
      state_[i] = state_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
    }
    index_ = 0;
  }

  std::array<std::uint32_t, kN> state_{};
  std::size_t index_ = kN;
};

}  // namespace nasbench::detail
