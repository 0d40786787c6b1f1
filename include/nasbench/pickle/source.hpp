#pragma once
/// @file pickle/source.hpp
/// Byte sources for the pickle reader: a memory buffer, a (large) file, a bz2
/// stream and a zip entry. Every source hands out bytes from a buffer through
/// inline fast paths (`get`, `take`); only refilling is virtual.
///
/// @code
///   nasbench::pickle::FileSource file("meta.pickle");
///   nasbench::pickle::Value v = nasbench::pickle::load(file);
/// @endcode

#include <bzlib.h>
#include <zip.h>

#include <nasbench/error.hpp>
#include <nasbench/platform/mapped_file.hpp>
#if !defined(_WIN32)
#include <sys/stat.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nasbench::pickle {

/// The most bytes a compressed stream (bz2, a zip entry) may expand to per
/// compressed byte once past kExpansionAllowance: the real benchmark files
/// expand at most 40x (NATS-Bench's tss meta.pickle.pbz2; result files 2-4x),
/// a decompression bomb thousands of times more. A LoadError stops it before
/// the reader has built more than a few MiB from it.
inline constexpr std::uint64_t kMaxExpansion = 1000;
/// Decompressed bytes allowed before kMaxExpansion is enforced.
inline constexpr std::uint64_t kExpansionAllowance = std::uint64_t{1} << 20;

namespace detail {
/// LoadError when `produced` decompressed bytes from `consumed` compressed
/// ones exceed kMaxExpansion (past the allowance).
inline void check_expansion(std::uint64_t produced, std::uint64_t consumed, const std::string& what) {
  if (produced > kExpansionAllowance && produced / kMaxExpansion > consumed)
    throw LoadError(what + " expands more than " + std::to_string(kMaxExpansion) + "x (" + std::to_string(consumed) +
                        " compressed bytes give more than " + std::to_string(produced) +
                        "): a decompression bomb? (real benchmark files expand at most 40x)",
                    produced);
}

/// Reads and drops `n` bytes through `read(buffer, max) -> count` (0 at the
/// end); false when the input ends first.
template <typename Read>
bool discard(std::uint64_t n, Read&& read) {
  std::vector<std::uint8_t> scratch(std::size_t{1} << 16);
  while (n > 0) {
    const std::size_t k = read(scratch.data(), static_cast<std::size_t>(std::min<std::uint64_t>(n, scratch.size())));
    if (k == 0) return false;
    n -= k;
  }
  return true;
}
}  // namespace detail

/// A forward stream of bytes with a window buffer. Subclasses implement
/// `fill` (and `rewind_to` when they can go back).
class Source {
 public:
  /// Largest `take`/`peek` request; longer strings are read with `read`.
  static constexpr std::size_t kMaxContiguous = std::size_t{1} << 20;

  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  /// Name used in error messages (a path, "<memory>", "path[entry]").
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Offset of the next byte in this stream (decompressed bytes for bz2).
  [[nodiscard]] std::uint64_t offset() const noexcept {
    return base_ + static_cast<std::uint64_t>(cur_ - begin_);
  }
  /// Total length of the stream when known (files, memory, zip entries).
  [[nodiscard]] virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
  /// Bytes left when the size is known.
  [[nodiscard]] std::optional<std::uint64_t> remaining() const {
    auto s = size();
    if (!s) return std::nullopt;
    return *s > offset() ? *s - offset() : 0;
  }

  /// The next byte, or -1 at the end of the stream.
  int get() {
    if (cur_ < end_) return *cur_++;
    return slow_get();
  }
  /// Pointer to the next `n` (<= kMaxContiguous) bytes, consuming them; nullptr
  /// (nothing consumed) when the stream ends first. Valid until the next call.
  const std::uint8_t* take(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cur_) >= n) {
      const std::uint8_t* p = cur_;
      cur_ += n;
      return p;
    }
    return slow_take(n);
  }
  /// Makes up to `n` (<= kMaxContiguous) bytes available without consuming
  /// them; returns how many are (fewer only at the end). They start at `data()`.
  std::size_t peek(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cur_) < n) ensure(n);
    return std::min(n, static_cast<std::size_t>(end_ - cur_));
  }
  /// Start of the buffered, unconsumed bytes.
  [[nodiscard]] const std::uint8_t* data() const noexcept { return cur_; }
  /// Number of buffered, unconsumed bytes.
  [[nodiscard]] std::size_t buffered() const noexcept { return static_cast<std::size_t>(end_ - cur_); }
  /// Consumes `n` <= buffered() bytes.
  void advance(std::size_t n) noexcept { cur_ += n; }

  /// Copies up to `n` bytes to `dst`; returns how many (fewer only at the end).
  std::size_t read(void* dst, std::size_t n) {
    auto* out = static_cast<std::uint8_t*>(dst);
    std::size_t done = std::min(n, buffered());
    if (done) std::memcpy(out, cur_, done);
    cur_ += done;
    while (done < n) {
      if (n - done >= buf_.size() && !external_ && !windowed_) {  // large read: bypass the buffer
        reset_window(offset());
        const std::size_t got = fill(out + done, n - done);
        if (got == 0) break;
        base_ += got;
        done += got;
      } else {
        if (peek(std::min(n - done, kMaxContiguous)) == 0) break;
        const std::size_t k = std::min(n - done, buffered());
        std::memcpy(out + done, cur_, k);
        cur_ += k;
        done += k;
      }
    }
    return done;
  }
  /// Skips `n` bytes; false when the stream ends first.
  bool skip(std::uint64_t n) {
    if (n <= buffered()) {
      cur_ += n;
      return true;
    }
    const std::uint64_t target = offset() + n;
    if (auto s = size(); s && target > *s) return false;
    if (seek(target)) return true;
    return detail::discard(n, [&](std::uint8_t* buf, std::size_t k) { return read(buf, k); });
  }
  /// Moves to an absolute offset; false when this source cannot.
  bool seek(std::uint64_t target) {
    const std::uint64_t window = base_ + static_cast<std::uint64_t>(end_ - begin_);
    if (target >= base_ && target <= window) {
      cur_ = begin_ + (target - base_);
      return true;
    }
    if (external_) return false;
    if (!rewind_to(target)) return false;
    reset_window(target);
    return true;
  }

 protected:
  /// A stream source with an owned buffer of `buffer_size` bytes.
  explicit Source(std::string name, std::size_t buffer_size = std::size_t{1} << 18)
      : name_(std::move(name)), buf_(std::max<std::size_t>(buffer_size, 4096)) {
    begin_ = cur_ = end_ = buf_.data();
  }
  /// A source over caller-owned memory (never refilled).
  Source(std::string name, const std::uint8_t* data, std::size_t size)
      : name_(std::move(name)), external_(true) {
    begin_ = cur_ = data;
    end_ = data + size;
  }
  /// Produces up to `cap` next bytes of the stream into `dst`; 0 at the end.
  /// Throws LoadError for I/O or decompression errors.
  virtual std::size_t fill(std::uint8_t* dst, std::size_t cap) = 0;
  /// Arranges for the next fill() to produce the byte at `target`; false if unsupported.
  virtual bool rewind_to(std::uint64_t /*target*/) { return false; }
  /// Windowed sources (a memory-mapped file) override this instead of fill():
  /// makes the bytes from offset `at` (at least `n` of them unless the stream
  /// ends first) readable at `*data`, returning how many there are; the previous
  /// window may be released.
  virtual std::size_t map_window(std::uint64_t /*at*/, std::size_t /*n*/, const std::uint8_t** /*data*/) { return 0; }
  /// Switches this source to map_window() (a subclass calls it from its constructor).
  void use_windows() {
    windowed_ = true;
    std::vector<std::uint8_t>().swap(buf_);
    begin_ = cur_ = end_ = nullptr;
  }
  /// Throws a LoadError naming this source.
  [[noreturn]] void fail(const std::string& what, std::uint64_t at) const {
    throw LoadError(what + " in \"" + name_ + "\"", at);
  }

 private:
  void reset_window(std::uint64_t at) {
    base_ = at;
    begin_ = cur_ = end_ = windowed_ ? nullptr : buf_.data();
  }
  int slow_get() {
    if (!ensure(1)) return -1;
    return *cur_++;
  }
  const std::uint8_t* slow_take(std::size_t n) {
    if (!ensure(n)) return nullptr;
    const std::uint8_t* p = cur_;
    cur_ += n;
    return p;
  }
  // Tries to make n bytes available at cur_; false if the stream ends first.
  bool ensure(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cur_) >= n) return true;
    if (external_) return false;
    if (windowed_) {
      const std::uint64_t at = offset();
      const std::uint8_t* data = nullptr;
      const std::size_t len = map_window(at, n, &data);
      base_ = at;
      begin_ = cur_ = data;
      end_ = data + len;
      return len >= n;
    }
    const std::size_t have = static_cast<std::size_t>(end_ - cur_);
    const std::uint64_t at = offset();
    if (buf_.size() < n) {
      std::vector<std::uint8_t> bigger(std::max(n, buf_.size() * 2));
      if (have) std::memcpy(bigger.data(), cur_, have);
      buf_.swap(bigger);
    } else if (have && cur_ != buf_.data()) {
      std::memmove(buf_.data(), cur_, have);
    }
    base_ = at;
    begin_ = cur_ = buf_.data();
    end_ = begin_ + have;
    while (static_cast<std::size_t>(end_ - cur_) < n) {
      const std::size_t got =
          fill(buf_.data() + (end_ - begin_), buf_.size() - static_cast<std::size_t>(end_ - begin_));
      if (got == 0) return false;
      end_ += got;
    }
    return true;
  }

  std::string name_;
  std::vector<std::uint8_t> buf_;
  bool external_ = false;
  bool windowed_ = false;
  const std::uint8_t* begin_ = nullptr;  // window start (offset base_)
  const std::uint8_t* cur_ = nullptr;
  const std::uint8_t* end_ = nullptr;
  std::uint64_t base_ = 0;
};

/// Bytes in memory owned by the caller (they must outlive the source).
class MemorySource final : public Source {
 public:
  /// Reads `data`; `name` appears in error messages.
  explicit MemorySource(std::string_view data, std::string name = "<memory>")
      : Source(std::move(name), reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
        size_(data.size()) {}
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return size_; }

 protected:
  std::size_t fill(std::uint8_t*, std::size_t) override { return 0; }

 private:
  std::uint64_t size_;
};

namespace detail {

inline int fseek64(std::FILE* f, std::uint64_t off) {
#if defined(_WIN32)
  return _fseeki64(f, static_cast<__int64>(off), SEEK_SET);
#else
  static_assert(sizeof(off_t) >= 8, "nasbench needs 64-bit file offsets");
  return fseeko(f, static_cast<off_t>(off), SEEK_SET);
#endif
}
inline std::int64_t ftell64(std::FILE* f) {
#if defined(_WIN32)
  return _ftelli64(f);
#else
  return static_cast<std::int64_t>(ftello(f));
#endif
}

}  // namespace detail

/// A file read through a buffer, with 64-bit offsets (files over 4 GB work).
/// Files larger than `map_window` bytes are read through memory-mapped windows
/// of that size instead (POSIX only; 0 turns mapping off).
class FileSource final : public Source {
 public:
  /// 8 MB: large enough that mapping costs nothing, small enough that the
  /// file's pages held at once barely show in the process's RSS (64 MB
  /// windows, two readers, added 100 MB to a 170 MB peak).
  static constexpr std::uint64_t kDefaultMapWindow = std::uint64_t{8} << 20;

  /// Opens `path`; LoadError `cannot open "path": reason` when it cannot.
  explicit FileSource(const std::string& path, std::size_t buffer_size = std::size_t{1} << 18,
                      std::uint64_t map_window = kDefaultMapWindow)
      : Source(path, buffer_size), map_window_(map_window) {
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) throw LoadError("cannot open \"" + path + "\": " + std::strerror(errno));
    std::setvbuf(file_, nullptr, _IONBF, 0);
#if !defined(_WIN32)
    struct stat st;
    if (fstat(fileno(file_), &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fclose(file_);
      throw LoadError("cannot open \"" + path + "\": not a regular file");
    }
#endif
    if (std::fseek(file_, 0, SEEK_END) == 0) {
      const std::int64_t s = detail::ftell64(file_);
      if (s >= 0) size_ = static_cast<std::uint64_t>(s);
    }
    if (!size_ || detail::fseek64(file_, 0) != 0) {
      std::fclose(file_);
      throw LoadError("cannot open \"" + path + "\": not a seekable regular file");
    }
#if !defined(_WIN32)
    // Large files are read through memory-mapped windows: no copy from the page
    // cache (reading a 5 GB file twice through read() cost 15% of a load).
    if (map_window_ != 0 && *size_ > map_window_) use_windows();
#endif
  }
  ~FileSource() override {
    map_.reset();
    if (file_ != nullptr) std::fclose(file_);
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return size_; }

 protected:
  std::size_t fill(std::uint8_t* dst, std::size_t cap) override {
    const std::size_t got = std::fread(dst, 1, cap, file_);
    if (got == 0 && std::ferror(file_)) fail(std::string("read error: ") + std::strerror(errno), offset());
    return got;
  }
  bool rewind_to(std::uint64_t target) override {
    if (target > *size_) return false;
    return detail::fseek64(file_, target) == 0;
  }
#if !defined(_WIN32)
  std::size_t map_window(std::uint64_t at, std::size_t n, const std::uint8_t** data) override {
    map_.reset();  // before the next window: never two held at once
    if (at >= *size_) return 0;
    const std::uint64_t page = platform::MappedFile::page_size();
    const std::uint64_t start = at - at % page;
    const std::uint64_t len = std::min<std::uint64_t>(*size_ - start, std::max<std::uint64_t>(map_window_, at - start + n));
    map_ = platform::MappedFile(fileno(file_), name(), start, len, {/*populate=*/true, /*sequential=*/true});
    *data = map_.data() + (at - start);
    return static_cast<std::size_t>(len - (at - start));
  }
#endif

 private:
  std::uint64_t map_window_;
  platform::MappedFile map_;  ///< the current window (map_window())
  std::FILE* file_ = nullptr;
  std::optional<std::uint64_t> size_;
};

/// Decompresses a bz2 stream (concatenated streams too; trailing non-bz2 bytes
/// after a complete stream are ignored, as Python's bz2 module does).
class Bz2Source final : public Source {
 public:
  /// Decompresses `compressed` from its current offset.
  explicit Bz2Source(std::unique_ptr<Source> compressed, std::string name = {},
                     std::size_t buffer_size = std::size_t{1} << 18)
      : Source(name.empty() ? compressed->name() : std::move(name), buffer_size),
        in_(std::move(compressed)),
        start_(in_->offset()) {}
  ~Bz2Source() override { end_stream(); }

 protected:
  std::size_t fill(std::uint8_t* dst, std::size_t cap) override {
    std::size_t produced = 0;
    while (produced == 0 && !eof_) {
      if (!active_) {
        const std::size_t n = in_->peek(3);
        if (n == 0 && streams_ > 0) {
          eof_ = true;
          break;
        }
        if (n < 3 || std::memcmp(in_->data(), "BZh", 3) != 0) {
          if (streams_ > 0) {  // trailing garbage after a complete stream
            eof_ = true;
            break;
          }
          fail(n < 3 ? "truncated bz2 stream (no header)" : "not a bz2 stream (bad magic)", offset());
        }
        std::memset(&strm_, 0, sizeof strm_);
        if (BZ2_bzDecompressInit(&strm_, 0, 0) != BZ_OK) fail("cannot initialise bz2 decompressor", offset());
        active_ = true;
      }
      in_->peek(1);
      const std::size_t avail = in_->buffered();
      strm_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in_->data()));
      strm_.avail_in = static_cast<unsigned>(std::min<std::size_t>(avail, 1u << 30));
      strm_.next_out = reinterpret_cast<char*>(dst + produced);
      strm_.avail_out = static_cast<unsigned>(std::min<std::size_t>(cap - produced, 1u << 30));
      const unsigned before_in = strm_.avail_in;
      const unsigned before_out = strm_.avail_out;
      const int rc = BZ2_bzDecompress(&strm_);
      in_->advance(before_in - strm_.avail_in);
      produced += before_out - strm_.avail_out;
      if (rc == BZ_STREAM_END) {
        end_stream();
        ++streams_;
      } else if (rc != BZ_OK) {
        fail("corrupt bz2 data (libbz2 error " + std::to_string(rc) + " at compressed offset " +
                 std::to_string(in_->offset()) + ")",
             offset() + produced);
      } else if (avail == 0 && before_out == strm_.avail_out) {
        fail("truncated bz2 stream (compressed input ends at offset " + std::to_string(in_->offset()) + ")",
             offset() + produced);
      }
    }
    produced_ += produced;
    detail::check_expansion(produced_, in_->offset() - start_, "bz2 stream " + name());
    return produced;
  }
  bool rewind_to(std::uint64_t target) override {
    if (target < produced_) {  // restart from the first compressed byte
      end_stream();
      eof_ = false;
      streams_ = 0;
      produced_ = 0;
      if (!in_->seek(start_)) return false;
    }
    std::vector<std::uint8_t> scratch(std::size_t{1} << 16);
    while (produced_ < target) {
      const std::size_t k =
          fill(scratch.data(),
               static_cast<std::size_t>(std::min<std::uint64_t>(target - produced_, scratch.size())));
      if (k == 0) return false;
    }
    return true;
  }

 private:
  void end_stream() noexcept {
    if (active_) BZ2_bzDecompressEnd(&strm_);
    active_ = false;
  }
  std::unique_ptr<Source> in_;
  std::uint64_t start_;
  bz_stream strm_{};
  bool active_ = false;
  bool eof_ = false;
  std::uint64_t streams_ = 0;
  std::uint64_t produced_ = 0;  // bytes fill() has produced since the (re)start
};

namespace detail {
struct ZipCloser {
  void operator()(zip_t* z) const noexcept {
    if (z != nullptr) zip_discard(z);
  }
};
}  // namespace detail

/// A shared, read-only libzip archive handle.
using ZipArchive = std::shared_ptr<zip_t>;

/// Opens a zip archive read-only; LoadError when it is not one.
[[nodiscard]] inline ZipArchive open_zip(const std::string& path) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    std::string msg = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw LoadError("cannot open zip archive \"" + path + "\": " + msg);
  }
  return ZipArchive(z, detail::ZipCloser{});
}

/// Opens a zip archive held in memory (`data`, kept alive by the handle)
/// read-only; `name` appears in errors. LoadError when it is not one.
[[nodiscard]] inline ZipArchive open_zip_memory(std::shared_ptr<const std::string> data, const std::string& name) {
  zip_error_t err;
  zip_error_init(&err);
  const auto fail = [&]() -> LoadError {
    LoadError e("cannot open zip archive \"" + name + "\": " + zip_error_strerror(&err));
    zip_error_fini(&err);
    return e;
  };
  zip_source_t* src = zip_source_buffer_create(data->data(), data->size(), 0, &err);
  if (src == nullptr) throw fail();
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &err);
  if (z == nullptr) {
    zip_source_free(src);
    throw fail();
  }
  zip_error_fini(&err);
  return ZipArchive(z, [data](zip_t* p) { detail::ZipCloser{}(p); });
}

/// One entry of a zip archive, decompressed as it is read.
class ZipEntrySource final : public Source {
 public:
  /// Reads entry `entry` (exact name) of `archive`; `path` names the archive in messages.
  ZipEntrySource(ZipArchive archive, const std::string& entry, const std::string& path,
                 std::size_t buffer_size = std::size_t{1} << 18)
      : Source(path + "[" + entry + "]", buffer_size), zip_(std::move(archive)) {
    const zip_int64_t idx = zip_name_locate(zip_.get(), entry.c_str(), 0);
    if (idx < 0) throw LoadError("zip entry \"" + entry + "\" not found in \"" + path + "\"");
    index_ = static_cast<zip_uint64_t>(idx);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_.get(), index_, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw LoadError("cannot stat zip entry \"" + entry + "\" in \"" + path + "\"");
    size_ = st.size;
    compressed_size_ = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : st.size;
    open_entry();
  }
  ~ZipEntrySource() override {
    if (file_ != nullptr) zip_fclose(file_);
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return size_; }

 protected:
  std::size_t fill(std::uint8_t* dst, std::size_t cap) override {
    const zip_int64_t got = zip_fread(file_, dst, cap);
    if (got < 0) fail(std::string("zip read error: ") + zip_file_strerror(file_), offset());
    read_ += static_cast<std::uint64_t>(got);
    detail::check_expansion(read_, compressed_size_, "zip entry " + name());
    return static_cast<std::size_t>(got);
  }
  bool rewind_to(std::uint64_t target) override {
    if (target > size_) return false;
    if (zip_fseek(file_, static_cast<zip_int64_t>(target), SEEK_SET) == 0) return true;
    zip_fclose(file_);
    file_ = nullptr;
    open_entry();
    return detail::discard(target, [&](std::uint8_t* buf, std::size_t k) { return fill(buf, k); });
  }

 private:
  void open_entry() {
    file_ = zip_fopen_index(zip_.get(), index_, 0);
    read_ = 0;
    if (file_ == nullptr)
      throw LoadError("cannot open zip entry " + name() + ": " + zip_strerror(zip_.get()));
  }
  ZipArchive zip_;
  zip_uint64_t index_ = 0;
  zip_file_t* file_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t compressed_size_ = 0;  ///< the entry's bytes in the archive (kMaxExpansion)
  std::uint64_t read_ = 0;             ///< bytes zip_fread gave since the entry was opened
};

}  // namespace nasbench::pickle
