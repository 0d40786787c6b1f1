#pragma once
/// @file platform/terminal.hpp
/// Terminal detection, in one place.

#include <cstdio>

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace nasbench::platform {

/// Whether `stream` (stdout, stderr, ...) is a terminal.
[[nodiscard]] inline bool is_terminal(std::FILE* stream) noexcept {
#if defined(_WIN32)
  return ::_isatty(::_fileno(stream)) != 0;
#else
  return ::isatty(::fileno(stream)) != 0;
#endif
}

}  // namespace nasbench::platform
