#pragma once
/// @file platform/mapped_file.hpp
/// A read-only memory mapping of a byte range of a file (POSIX mmap), owned:
/// unmapped by the destructor. Errors are nasbench::LoadError naming the file
/// and the OS error.
///
/// @code
///   nasbench::platform::MappedFile whole("results.nbc");          // the whole file
///   nasbench::platform::MappedFile part(fd, "results.nbc", 4096, 1 << 20,
///                                       {/*populate=*/true, /*sequential=*/true});
///   const std::uint8_t* p = part.data();  // the byte at offset 4096
/// @endcode

#include <nasbench/error.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace nasbench::platform {

/// How a MappedFile maps its range.
struct MapOptions {
  /// Read the pages in now (MAP_POPULATE, where the OS has it) instead of on first touch.
  bool populate = false;
  /// Tell the OS the range is read front to back (MADV_SEQUENTIAL): earlier read-ahead.
  bool sequential = false;
};

/// A read-only mapping of [offset, offset + length) of a file; empty when
/// default-constructed, moved from or reset(), or when the range is empty.
class MappedFile {
 public:
  /// `length` meaning "up to the end of the file".
  static constexpr std::uint64_t kToEnd = ~std::uint64_t{0};

  /// Empty.
  MappedFile() noexcept = default;
  /// Maps [offset, offset + length) of the file at `path` (opened for this
  /// call only); LoadError when it cannot be opened or mapped, or the range
  /// is not inside the file.
  explicit MappedFile(const std::string& path, std::uint64_t offset = 0, std::uint64_t length = kToEnd,
                      MapOptions options = {});
  /// The same for an open descriptor `fd` (neither kept nor closed); `name`
  /// names the file in error messages.
  MappedFile(int fd, const std::string& name, std::uint64_t offset = 0, std::uint64_t length = kToEnd,
             MapOptions options = {});
  ~MappedFile() { reset(); }
  MappedFile(MappedFile&& o) noexcept { swap(o); }
  MappedFile& operator=(MappedFile&& o) noexcept {
    MappedFile(std::move(o)).swap(*this);
    return *this;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// The first byte of the range (nullptr when empty).
  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_; }
  /// Length of the range in bytes.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// Whether nothing is mapped.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Unmaps (now; the destructor does it otherwise).
  void reset() noexcept;
  /// Exchanges two mappings.
  void swap(MappedFile& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(base_len_, o.base_len_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
  }

  /// Size in bytes of the open file `fd`; LoadError naming `name` when it
  /// cannot be found out.
  [[nodiscard]] static std::uint64_t file_size(int fd, const std::string& name);
  /// Size in bytes of the file at `path`.
  [[nodiscard]] static std::uint64_t file_size(const std::string& path);
  /// The OS's page size: mappings start at its multiples.
  [[nodiscard]] static std::uint64_t page_size() noexcept;

 private:
  void* base_ = nullptr;      // what mmap returned (page-aligned)
  std::size_t base_len_ = 0;  // what was mapped from base_
  const std::uint8_t* data_ = nullptr;
  std::uint64_t size_ = 0;
};

// ---------------------------------------------------------------------------

namespace detail {

[[noreturn]] inline void os_fail(const char* what, const std::string& name, int err, std::uint64_t offset) {
  throw LoadError(std::string(what) + " \"" + name + "\": " + std::strerror(err), offset);
}

}  // namespace detail

#if !defined(_WIN32)

inline std::uint64_t MappedFile::page_size() noexcept {
  static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

inline std::uint64_t MappedFile::file_size(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) detail::os_fail("cannot stat", name, errno, LoadError::kNoOffset);
  return static_cast<std::uint64_t>(st.st_size);
}

inline std::uint64_t MappedFile::file_size(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) detail::os_fail("cannot open", path, errno, LoadError::kNoOffset);
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  const int err = errno;
  ::close(fd);
  if (rc != 0) detail::os_fail("cannot stat", path, err, LoadError::kNoOffset);
  return static_cast<std::uint64_t>(st.st_size);
}

inline MappedFile::MappedFile(const std::string& path, std::uint64_t offset, std::uint64_t length,
                              MapOptions options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) detail::os_fail("cannot open", path, errno, LoadError::kNoOffset);
  try {
    MappedFile(fd, path, offset, length, options).swap(*this);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);  // the mapping stays valid without the descriptor
}

inline MappedFile::MappedFile(int fd, const std::string& name, std::uint64_t offset, std::uint64_t length,
                              MapOptions options) {
  if (length == kToEnd) {
    const std::uint64_t total = file_size(fd, name);
    if (offset > total)
      throw LoadError("cannot map \"" + name + "\" from byte " + std::to_string(offset) + ": the file has " +
                      std::to_string(total) + " bytes", offset);
    length = total - offset;
  }
  if (length == 0) return;
  const std::uint64_t start = offset - offset % page_size();
  const std::uint64_t len = length + (offset - start);
  if (len < length || len > static_cast<std::uint64_t>(~std::size_t{0}))
    throw LoadError("cannot map \"" + name + "\": " + std::to_string(length) + " bytes do not fit in memory", offset);
  int flags = MAP_SHARED;
#if defined(MAP_POPULATE)
  if (options.populate) flags |= MAP_POPULATE;
#endif
  void* p = ::mmap(nullptr, static_cast<std::size_t>(len), PROT_READ, flags, fd, static_cast<off_t>(start));
  if (p == MAP_FAILED) detail::os_fail("cannot map", name, errno, offset);
  if (options.sequential) ::madvise(p, static_cast<std::size_t>(len), MADV_SEQUENTIAL);
  base_ = p;
  base_len_ = static_cast<std::size_t>(len);
  data_ = static_cast<const std::uint8_t*>(p) + (offset - start);
  size_ = length;
}

inline void MappedFile::reset() noexcept {
  if (base_ != nullptr) ::munmap(base_, base_len_);
  base_ = nullptr;
  base_len_ = 0;
  data_ = nullptr;
  size_ = 0;
}

#else  // no mmap here: every mapping is an error, and there is nothing to unmap

inline std::uint64_t MappedFile::page_size() noexcept { return 4096; }
inline std::uint64_t MappedFile::file_size(int, const std::string& name) {
  throw LoadError("cannot stat \"" + name + "\": not supported on this platform");
}
inline std::uint64_t MappedFile::file_size(const std::string& path) { return file_size(-1, path); }
inline MappedFile::MappedFile(const std::string& path, std::uint64_t, std::uint64_t, MapOptions) {
  throw LoadError("cannot map \"" + path + "\": not supported on this platform");
}
inline MappedFile::MappedFile(int, const std::string& name, std::uint64_t, std::uint64_t, MapOptions) {
  throw LoadError("cannot map \"" + name + "\": not supported on this platform");
}
inline void MappedFile::reset() noexcept {}

#endif

}  // namespace nasbench::platform
