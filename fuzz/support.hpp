#pragma once
/// @file fuzz/support.hpp
/// What every fuzz check shares: the Violation it throws when an invariant
/// breaks, the "only nasbench::Error may escape" rule, and a file in memory for
/// the readers that open paths. Used by the harnesses and by
/// tests/test_fuzz_regressions.cpp, so a finding replays through the same check.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "nasbench/error.hpp"

namespace nasbench_fuzz {

/// A broken invariant: a bug in nasbench (not derived from nasbench::Error on purpose).
class Violation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// The dynamic type and message of the exception in flight, for a Violation's text.
inline std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return std::string(typeid(e).name()) + ": " + e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

/// Runs `fn`; a nasbench::Error is an accepted outcome (returns false), any
/// other exception becomes a Violation naming `what`. True when `fn` returned.
template <typename Fn>
bool only_nasbench_errors(const char* what, Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const Violation&) {
    throw;
  } catch (const nasbench::Error&) {
    return false;
  } catch (...) {
    throw Violation(std::string(what) + " threw something other than nasbench::Error: " +
                    describe_current_exception());
  }
}

/// The bytes of one input as a file that path-based readers can open
/// (/proc/self/fd/N of a memfd: no disk, no name clash between processes).
class MemoryFile {
 public:
  MemoryFile(const std::uint8_t* data, std::size_t size) {
    fd_ = ::memfd_create("nasbench-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
    std::size_t done = 0;
    while (done < size) {
      const ssize_t k = ::write(fd_, data + done, size - done);
      if (k <= 0) throw std::runtime_error("write to memfd failed");
      done += static_cast<std::size_t>(k);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() { ::close(fd_); }

  /// A path that opens these bytes while this object lives.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

/// The body of LLVMFuzzerTestOneInput: runs `check`, and aborts with its
/// message on a Violation (libFuzzer then saves the input as a crash).
template <typename Check>
int run_check(Check&& check, const std::uint8_t* data, std::size_t size) {
  try {
    check(data, size);
  } catch (const Violation& v) {
    std::fprintf(stderr, "\nnasbench fuzz: invariant violated: %s\n", v.what());
    std::abort();
  }
  return 0;
}

}  // namespace nasbench_fuzz
