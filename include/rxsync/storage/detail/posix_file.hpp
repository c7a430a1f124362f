// rxsync/storage/detail/posix_file.hpp - FileStorage's file operations on POSIX (Linux, macOS,
// the BSDs): the POSIX side of the interface file_handle.hpp describes. Include file_handle.hpp,
// which picks this file or win32_file.hpp.
//
// Every failure becomes std::system_error carrying the errno and a message that names the file,
// so an ENOSPC or EIO reaches the caller with enough context to act on. EINTR is retried.
// Stateless functions on a move-only handle: thread-safety is the caller's (FileStorage holds
// its mutex around every call).
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

#include <rxsync/storage/file_storage_options.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

[[noreturn]] inline void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::system_category(), what);
}

// Owns a file descriptor; closing it also releases any flock held through it.
class FileHandle {
 public:
  FileHandle() noexcept = default;
  explicit FileHandle(int fd) noexcept : fd_(fd) {}
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  FileHandle(FileHandle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileHandle& operator=(FileHandle&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~FileHandle() { reset(); }

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
using UniqueFd = FileHandle;  // the name this class had before Windows support

// What a file's copies (a compacted log, a side file) get from it: its permission bits, so a
// log only its owner may read does not leak through a copy.
struct FilePermissions {
  ::mode_t mode = 0644;
};

inline FileHandle open_file(const std::filesystem::path& p, int flags, ::mode_t mode = 0644) {
  for (;;) {
    const int fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) {
      return FileHandle(fd);
    }
    if (errno != EINTR) {
      throw_errno(errno, "cannot open " + quoted_path(p));
    }
  }
}

inline FileHandle open_for_reading(const std::filesystem::path& p) {
  return open_file(p, O_RDONLY);
}

inline struct ::stat stat_fd(int fd, const std::filesystem::path& p) {
  struct ::stat st{};
  if (::fstat(fd, &st) != 0) {
    throw_errno(errno, "fstat failed on " + quoted_path(p));
  }
  return st;
}

inline void lock_exclusive(const FileHandle& h, const std::filesystem::path& p) {
  if (::flock(h.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      throw_errno(err, "FileStorage " + quoted_path(p) +
                           " is already open (locked by another FileStorage in this or another "
                           "process)");
    }
    throw_errno(err, "flock failed on " + quoted_path(p));
  }
}

// Opens (creating it if `create`) the log read-write and locks it against every other opener.
// flock locks belong to the open file description, so a second open() of the same file
// conflicts even inside one process. A compaction replaces the inode behind the path, so the
// lock is only trusted once the locked descriptor is still the file the path names.
inline FileHandle open_locked(const std::filesystem::path& p, bool create) {
  const int flags = O_RDWR | (create ? O_CREAT : 0);
  for (int attempt = 0; attempt < 100; ++attempt) {
    FileHandle fd = open_file(p, flags);
    lock_exclusive(fd, p);
    const struct ::stat held = stat_fd(fd.get(), p);
    struct ::stat named{};
    if (::stat(p.c_str(), &named) == 0 && named.st_dev == held.st_dev &&
        named.st_ino == held.st_ino) {
      if (!S_ISREG(held.st_mode)) {
        throw FileStorageError(p, "is not a regular file");
      }
      return fd;
    }
  }
  throw FileStorageError(p, "keeps being replaced while opening it");
}

// Creates `p`, or empties it if it exists, read-write and locked: a compaction's new log is
// locked before it becomes visible under the real name, so an opener racing the rename finds
// it locked rather than a free, stale inode.
inline FileHandle create_locked(const std::filesystem::path& p, const FilePermissions& perms) {
  FileHandle fd = open_file(p, O_RDWR | O_CREAT | O_TRUNC, perms.mode);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    throw_errno(errno, "flock failed on " + quoted_path(p));
  }
  return fd;
}

// Creates `p` only if no file of that name exists (O_EXCL: atomic, never overwrites); returns an
// empty handle when one does, so the caller can pick another name.
inline FileHandle create_new_file(const std::filesystem::path& p, const FilePermissions& perms) {
  for (;;) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perms.mode);
    if (fd >= 0) {
      return FileHandle(fd);
    }
    if (errno == EEXIST) {
      return FileHandle();
    }
    if (errno != EINTR) {
      throw_errno(errno, "cannot create " + quoted_path(p));
    }
  }
}

inline std::uint64_t file_size(const FileHandle& h, const std::filesystem::path& p) {
  return static_cast<std::uint64_t>(stat_fd(h.get(), p).st_size);
}

inline FilePermissions file_permissions(const FileHandle& h, const std::filesystem::path& p) {
  return FilePermissions{static_cast<::mode_t>(stat_fd(h.get(), p).st_mode & 07777)};
}

// Writes all of [data, data + size) at `offset`. A short write (the disk filled up half-way) is
// continued until it fails, so the error reported is the real one (ENOSPC, EFBIG, EIO).
inline void write_all_at(const FileHandle& h, const char* data, std::size_t size,
                         std::uint64_t offset, const std::filesystem::path& p) {
  while (size > 0) {
    const ::ssize_t n = ::pwrite(h.get(), data, size, static_cast<::off_t>(offset));
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
inline std::string read_all(const FileHandle& h, std::uint64_t size,
                            const std::filesystem::path& p) {
  std::string buf(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < buf.size()) {
    const ::ssize_t n =
        ::pread(h.get(), buf.data() + done, buf.size() - done, static_cast<::off_t>(done));
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

inline void truncate_file(const FileHandle& h, std::uint64_t size, const std::filesystem::path& p) {
  while (::ftruncate(h.get(), static_cast<::off_t>(size)) != 0) {
    if (errno != EINTR) {
      throw_errno(errno, "truncate failed on " + quoted_path(p));
    }
  }
}

// fdatasync flushes the data and the metadata needed to read it back (the file size), which is
// all an append needs; full fsync is used where other metadata matters (a freshly created file).
inline void sync_data(const FileHandle& h, const std::filesystem::path& p) {
  if (::fdatasync(h.get()) != 0) {
    throw_errno(errno, "fdatasync failed on " + quoted_path(p));
  }
}

inline void sync_full(const FileHandle& h, const std::filesystem::path& p) {
  if (::fsync(h.get()) != 0) {
    throw_errno(errno, "fsync failed on " + quoted_path(p));
  }
}

// Makes a create or rename in `dir` durable: without it the new directory entry may vanish in a
// power loss even though the file's contents were synced.
inline void sync_directory(const std::filesystem::path& dir) {
  const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
  FileHandle fd = open_file(d, O_RDONLY | O_DIRECTORY);
  sync_full(fd, d);
}

// Deletes `p`; false when there was nothing to delete. `what` starts the error message.
inline bool remove_file(const std::filesystem::path& p, const std::string& what = "cannot remove") {
  if (::unlink(p.c_str()) == 0) {
    return true;
  }
  if (errno == ENOENT) {
    return false;
  }
  throw_errno(errno, what + " " + quoted_path(p));
}

// Atomically makes `to` name the file `from` names (rename(2)). `to_handle`, the caller's open
// handle on the file `to` named, stays open and valid: POSIX renames over open files.
inline void replace_file(const std::filesystem::path& from, const std::filesystem::path& to,
                         FileHandle& to_handle) {
  (void)to_handle;
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw_errno(errno, "cannot rename " + quoted_path(from) + " over " + quoted_path(to));
  }
}

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
