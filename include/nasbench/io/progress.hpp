#pragma once
/// @file io/progress.hpp
/// `stderr_progress()`: the loading progress callback that the CLI shows.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>

#include "nasbench/platform/terminal.hpp"

namespace nasbench {

/// A progress callback (LoadOptions::progress) that prints "loaded N runs" to
/// stderr, at most five times a second, when stderr is a terminal (else an
/// empty callback).
[[nodiscard]] inline std::function<void(std::uint64_t)> stderr_progress() {
  if (!platform::is_terminal(stderr)) return {};
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](std::uint64_t runs) {
    const auto now = std::chrono::steady_clock::now();
    if (now - *last < std::chrono::milliseconds(200)) return;
    *last = now;
    std::fprintf(stderr, "\rnasbench: loaded %llu runs", static_cast<unsigned long long>(runs));
    std::fflush(stderr);
  };
}

}  // namespace nasbench
