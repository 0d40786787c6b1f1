#pragma once
/// @file platform/process.hpp
/// Facts about the running program, in one place.

#include <string>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace nasbench::platform {

/// The directory of the running executable, with a trailing '/', or
/// `fallback`'s directory (e.g. argv[0]) where the system cannot tell.
[[nodiscard]] inline std::string executable_dir(const std::string& fallback) {
  std::string path = fallback;
#if defined(__linux__)
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) path.assign(buf, static_cast<std::size_t>(n));
#endif
  return path.substr(0, path.find_last_of('/') + 1);
}

}  // namespace nasbench::platform
