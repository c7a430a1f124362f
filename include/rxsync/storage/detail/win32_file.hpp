// rxsync/storage/detail/win32_file.hpp - FileStorage's file operations on Windows: the Win32
// side of the interface file_handle.hpp describes, with the POSIX side's crash-safety promises.
// Include file_handle.hpp, which picks this file or posix_file.hpp.
//
// How each POSIX step maps (docs/storage.md, "Windows"):
// - fdatasync / fsync -> FlushFileBuffers (it flushes data and metadata; Windows has no
//   data-only flush).
// - flock -> the share mode: the log is opened without FILE_SHARE_WRITE, so any second opener,
//   in this process or another, fails with ERROR_SHARING_VIOLATION until the handle is closed.
// - rename -> MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH): atomic on NTFS,
//   and it returns only once the rename is on disk.
// - directory fsync -> nothing: Windows cannot flush a directory. NTFS journals directory entries
//   with the file's metadata, which FlushFileBuffers on the new file and MOVEFILE_WRITE_THROUGH
//   commit.
// Paths go to the ...W functions as UTF-16 (std::filesystem::path's native form there); messages
// spell them in UTF-8. Every failure becomes std::system_error carrying GetLastError() in
// std::system_category() and a message naming the file, like the errno of the POSIX side.
// Stateless functions on a move-only handle: thread-safety is the caller's.
#pragma once

// Without NOMINMAX, <windows.h> defines min and max as macros, which break std::min and
// std::numeric_limits<T>::max in every header included after this one (and in user code).
#ifndef NOMINMAX
#define NOMINMAX
#define RXSYNC_DETAIL_DEFINED_NOMINMAX
#endif
#include <windows.h>
#ifdef RXSYNC_DETAIL_DEFINED_NOMINMAX
#undef NOMINMAX
#undef RXSYNC_DETAIL_DEFINED_NOMINMAX
#endif

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

[[noreturn]] inline void throw_win32(DWORD err, const std::string& what) {
  throw std::system_error(static_cast<int>(err), std::system_category(), what);
}

// Owns a HANDLE from CreateFileW; closing it also ends the share-mode lock it holds.
class FileHandle {
 public:
  FileHandle() noexcept = default;
  explicit FileHandle(HANDLE h) noexcept : h_(h) {}
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  FileHandle(FileHandle&& other) noexcept : h_(std::exchange(other.h_, INVALID_HANDLE_VALUE)) {}
  FileHandle& operator=(FileHandle&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, INVALID_HANDLE_VALUE);
    }
    return *this;
  }
  ~FileHandle() { reset(); }

  HANDLE get() const noexcept { return h_; }
  explicit operator bool() const noexcept { return h_ != INVALID_HANDLE_VALUE; }
  void reset() noexcept {
    if (h_ != INVALID_HANDLE_VALUE) {
      ::CloseHandle(h_);
      h_ = INVALID_HANDLE_VALUE;
    }
  }

 private:
  HANDLE h_ = INVALID_HANDLE_VALUE;
};

// A new file inherits the access control list of its directory, the Windows counterpart of
// what POSIX permission bits do, so nothing is copied from the log.
struct FilePermissions {};

// Share modes: others may read (backup tools, tests), never write; FILE_SHARE_DELETE lets a
// compaction rename its new log while it is open and locked.
inline constexpr DWORD kShareLocked = FILE_SHARE_READ | FILE_SHARE_DELETE;
inline constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// CreateFileW; an invalid handle and GetLastError() on failure. The handle is not inherited by
// child processes (no SECURITY_ATTRIBUTES), like O_CLOEXEC.
inline HANDLE create_file(const std::filesystem::path& p, DWORD access, DWORD share,
                          DWORD disposition) {
  return ::CreateFileW(p.c_str(), access, share, nullptr, disposition, FILE_ATTRIBUTE_NORMAL,
                       nullptr);
}

inline FileHandle open_for_reading(const std::filesystem::path& p) {
  const HANDLE h = create_file(p, GENERIC_READ, kShareAll, OPEN_EXISTING);
  if (h == INVALID_HANDLE_VALUE) {
    throw_win32(::GetLastError(), "cannot open " + quoted_path(p));
  }
  return FileHandle(h);
}

// Opens (creating it if `create`) the log read-write, locked against every other opener by its
// share mode. Unlike flock the lock is taken by the open itself, so no opener can hold a stale
// file: a compaction's rename fails while anyone else has the old log open.
inline FileHandle open_locked(const std::filesystem::path& p, bool create) {
  const HANDLE h = create_file(p, GENERIC_READ | GENERIC_WRITE, kShareLocked,
                               create ? OPEN_ALWAYS : OPEN_EXISTING);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_SHARING_VIOLATION || err == ERROR_LOCK_VIOLATION) {
      throw_win32(err, "FileStorage " + quoted_path(p) +
                           " is already open (locked by another FileStorage in this or another "
                           "process)");
    }
    throw_win32(err, "cannot open " + quoted_path(p));
  }
  FileHandle handle(h);
  // A directory cannot be opened this way (ERROR_ACCESS_DENIED above); a device or pipe can.
  if (::GetFileType(h) != FILE_TYPE_DISK) {
    throw FileStorageError(p, "is not a regular file");
  }
  return handle;
}

// Creates `p`, or empties it if it exists, read-write and locked (see open_locked).
inline FileHandle create_locked(const std::filesystem::path& p, const FilePermissions&) {
  const HANDLE h = create_file(p, GENERIC_READ | GENERIC_WRITE, kShareLocked, CREATE_ALWAYS);
  if (h == INVALID_HANDLE_VALUE) {
    throw_win32(::GetLastError(), "cannot open " + quoted_path(p));
  }
  return FileHandle(h);
}

// Creates `p` only if no file of that name exists (CREATE_NEW: atomic, never overwrites);
// returns an empty handle when one does, so the caller can pick another name.
inline FileHandle create_new_file(const std::filesystem::path& p, const FilePermissions&) {
  const HANDLE h = create_file(p, GENERIC_WRITE, kShareLocked, CREATE_NEW);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_EXISTS || err == ERROR_ALREADY_EXISTS) {
      return FileHandle();
    }
    throw_win32(err, "cannot create " + quoted_path(p));
  }
  return FileHandle(h);
}

inline std::uint64_t file_size(const FileHandle& h, const std::filesystem::path& p) {
  LARGE_INTEGER size{};
  if (!::GetFileSizeEx(h.get(), &size)) {
    throw_win32(::GetLastError(), "GetFileSizeEx failed on " + quoted_path(p));
  }
  return static_cast<std::uint64_t>(size.QuadPart);
}

inline FilePermissions file_permissions(const FileHandle&, const std::filesystem::path&) {
  return {};
}

// OVERLAPPED carries the offset of a positioned read or write on a synchronous handle, the
// Win32 pread/pwrite. Each call moves at most 1 GiB (a DWORD count).
inline OVERLAPPED at_offset(std::uint64_t offset) {
  OVERLAPPED o{};
  o.Offset = static_cast<DWORD>(offset & 0xFFFFFFFFu);
  o.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return o;
}
inline constexpr std::size_t kMaxIo = std::size_t{1} << 30;

// Writes all of [data, data + size) at `offset`; a short write is continued until it fails, so
// the error reported is the real one (ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL).
inline void write_all_at(const FileHandle& h, const char* data, std::size_t size,
                         std::uint64_t offset, const std::filesystem::path& p) {
  while (size > 0) {
    OVERLAPPED o = at_offset(offset);
    DWORD n = 0;
    const auto want = static_cast<DWORD>(size < kMaxIo ? size : kMaxIo);
    if (!::WriteFile(h.get(), data, want, &n, &o)) {
      throw_win32(::GetLastError(), "write failed on " + quoted_path(p));
    }
    if (n == 0) {
      throw_win32(ERROR_WRITE_FAULT, "write made no progress on " + quoted_path(p));
    }
    data += n;
    size -= n;
    offset += n;
  }
}

// Reads exactly `size` bytes from offset 0; a file that shrinks under us is an error.
inline std::string read_all(const FileHandle& h, std::uint64_t size,
                            const std::filesystem::path& p) {
  std::string buf(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < buf.size()) {
    OVERLAPPED o = at_offset(done);
    DWORD n = 0;
    const std::size_t left = buf.size() - done;
    const auto want = static_cast<DWORD>(left < kMaxIo ? left : kMaxIo);
    if (!::ReadFile(h.get(), buf.data() + done, want, &n, &o)) {
      const DWORD err = ::GetLastError();
      if (err != ERROR_HANDLE_EOF) {
        throw_win32(err, "read failed on " + quoted_path(p));
      }
      n = 0;
    }
    if (n == 0) {
      throw_win32(ERROR_HANDLE_EOF, "file shrank while being read: " + quoted_path(p));
    }
    done += n;
  }
  return buf;
}

inline void truncate_file(const FileHandle& h, std::uint64_t size, const std::filesystem::path& p) {
  // Moving the file pointer is harmless: every read and write passes its own offset.
  LARGE_INTEGER end{};
  end.QuadPart = static_cast<LONGLONG>(size);
  if (!::SetFilePointerEx(h.get(), end, nullptr, FILE_BEGIN) || !::SetEndOfFile(h.get())) {
    throw_win32(::GetLastError(), "truncate failed on " + quoted_path(p));
  }
}

// FlushFileBuffers writes the file's data and metadata through the disk cache; it is both the
// fdatasync and the fsync of the POSIX side.
inline void sync_data(const FileHandle& h, const std::filesystem::path& p) {
  if (!::FlushFileBuffers(h.get())) {
    throw_win32(::GetLastError(), "FlushFileBuffers failed on " + quoted_path(p));
  }
}

inline void sync_full(const FileHandle& h, const std::filesystem::path& p) { sync_data(h, p); }

// Windows has no directory flush: see the top of this file.
inline void sync_directory(const std::filesystem::path&) {}

// Deletes `p`; false when there was nothing to delete. `what` starts the error message.
inline bool remove_file(const std::filesystem::path& p, const std::string& what = "cannot remove") {
  if (::DeleteFileW(p.c_str())) {
    return true;
  }
  const DWORD err = ::GetLastError();
  if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) {
    return false;
  }
  throw_win32(err, what + " " + quoted_path(p));
}

// Atomically makes `to` name the file `from` names. Windows refuses to replace a file that is
// open, even one shared for deletion, so `to_handle` (the caller's handle on the file `to`
// names) is closed first; if the rename then fails, `to` is opened again, and `to_handle` stays
// empty when even that fails (another opener took the lock in between): the caller must then
// stop using the file.
inline void replace_file(const std::filesystem::path& from, const std::filesystem::path& to,
                         FileHandle& to_handle) {
  to_handle.reset();
  if (!::MoveFileExW(from.c_str(), to.c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    const DWORD err = ::GetLastError();
    try {
      to_handle = open_locked(to, false);
    } catch (const std::exception&) {
      // to_handle stays empty; the rename's error is the one to report.
    }
    throw_win32(err, "cannot rename " + quoted_path(from) + " over " + quoted_path(to));
  }
}

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
