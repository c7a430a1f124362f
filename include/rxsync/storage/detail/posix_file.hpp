// rxsync/storage/detail/posix_file.hpp - the few POSIX file calls FileStorage needs, made
// exception-safe.
//
// Every failure becomes std::system_error carrying the errno and a message that names the file,
// so an ENOSPC or EIO reaches the caller with enough context to act on. EINTR is retried.
// POSIX only (tested on Linux).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

[[noreturn]] inline void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::system_category(), what);
}

inline std::string quoted_path(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// Owns a file descriptor; closing it also releases any flock held through it.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0) {
      // close() is not retried on EINTR: on Linux the descriptor is released either way.
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

inline UniqueFd open_file(const std::filesystem::path& p, int flags, ::mode_t mode = 0644) {
  for (;;) {
    const int fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) {
      return UniqueFd(fd);
    }
    if (errno != EINTR) {
      throw_errno(errno, "cannot open " + quoted_path(p));
    }
  }
}

// Creates `p` only if no file of that name exists (O_EXCL: atomic, never overwrites); returns an
// empty UniqueFd when one does, so the caller can pick another name.
inline UniqueFd create_new_file(const std::filesystem::path& p, ::mode_t mode = 0644) {
  for (;;) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) {
      return UniqueFd(fd);
    }
    if (errno == EEXIST) {
      return UniqueFd();
    }
    if (errno != EINTR) {
      throw_errno(errno, "cannot create " + quoted_path(p));
    }
  }
}

inline struct ::stat stat_fd(int fd, const std::filesystem::path& p) {
  struct ::stat st {};
  if (::fstat(fd, &st) != 0) {
    throw_errno(errno, "fstat failed on " + quoted_path(p));
  }
  return st;
}

// Writes all of [data, data + size) at `offset`. A short write (the disk filled up half-way) is
// continued until it fails, so the error reported is the real one (ENOSPC, EFBIG, EIO).
inline void write_all_at(int fd, const char* data, std::size_t size, std::uint64_t offset,
                         const std::filesystem::path& p) {
  while (size > 0) {
    const ::ssize_t n = ::pwrite(fd, data, size, static_cast<::off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno(errno, "write failed on " + quoted_path(p));
    }
    if (n == 0) {
      throw_errno(EIO, "write made no progress on " + quoted_path(p));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

// Reads exactly `size` bytes from offset 0; a file that shrinks under us is an error.
inline std::string read_all(int fd, std::uint64_t size, const std::filesystem::path& p) {
  std::string buf(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < buf.size()) {
    const ::ssize_t n =
        ::pread(fd, buf.data() + done, buf.size() - done, static_cast<::off_t>(done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno(errno, "read failed on " + quoted_path(p));
    }
    if (n == 0) {
      throw_errno(EIO, "file shrank while being read: " + quoted_path(p));
    }
    done += static_cast<std::size_t>(n);
  }
  return buf;
}

inline void truncate_fd(int fd, std::uint64_t size, const std::filesystem::path& p) {
  while (::ftruncate(fd, static_cast<::off_t>(size)) != 0) {
    if (errno != EINTR) {
      throw_errno(errno, "truncate failed on " + quoted_path(p));
    }
  }
}

// fdatasync flushes the data and the metadata needed to read it back (the file size), which is
// all an append needs; full fsync is used where other metadata matters (a freshly created file).
inline void sync_data(int fd, const std::filesystem::path& p) {
  if (::fdatasync(fd) != 0) {
    throw_errno(errno, "fdatasync failed on " + quoted_path(p));
  }
}

inline void sync_full(int fd, const std::filesystem::path& p) {
  if (::fsync(fd) != 0) {
    throw_errno(errno, "fsync failed on " + quoted_path(p));
  }
}

// Makes a create or rename in `dir` durable: without it the new directory entry may vanish in a
// power loss even though the file's contents were synced.
inline void sync_directory(const std::filesystem::path& dir) {
  const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
  UniqueFd fd = open_file(d, O_RDONLY | O_DIRECTORY);
  sync_full(fd.get(), d);
}

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
