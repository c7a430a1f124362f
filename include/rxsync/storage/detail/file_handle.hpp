// rxsync/storage/detail/file_handle.hpp - the one interface between FileStorage and the
// operating system's files: picks posix_file.hpp or win32_file.hpp, and checks that the chosen
// one provides everything FileStorage and its recovery call.
//
// Both platform files implement the same promises (docs/storage.md): a write is durable once
// sync_data returns; a file made by create_new_file or create_locked is durable, name included,
// after sync_full and sync_directory; replace_file is atomic; a log opened by open_locked is
// locked against every other opener, in this process or another. Every failure throws
// std::system_error with the OS error code (errno, GetLastError()) and a message naming the
// file. Internal: the functions are stateless, the caller (FileStorage) serializes them.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>

#if defined(_WIN32)
#include <rxsync/storage/detail/win32_file.hpp>
#else
#include <rxsync/storage/detail/posix_file.hpp>
#endif

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// The interface, as FileStorage uses it. A platform file that misses or misspells a function
// fails here, with the function's name, rather than deep inside FileStorage.
template <class Handle = FileHandle>
concept PlatformFileApi = requires(Handle& h, const Handle& ch, const std::filesystem::path& p,
                                   const FilePermissions& perms, const char* data, std::size_t n,
                                   std::uint64_t offset, const std::string& what) {
  requires !std::is_copy_constructible_v<Handle>;
  requires std::is_nothrow_move_constructible_v<Handle>;
  { static_cast<bool>(ch) } -> std::same_as<bool>;
  { h.reset() } noexcept;
  { open_for_reading(p) } -> std::same_as<Handle>;
  { open_locked(p, true) } -> std::same_as<Handle>;
  { create_locked(p, perms) } -> std::same_as<Handle>;
  { create_new_file(p, perms) } -> std::same_as<Handle>;
  { file_size(ch, p) } -> std::same_as<std::uint64_t>;
  { file_permissions(ch, p) } -> std::same_as<FilePermissions>;
  { write_all_at(ch, data, n, offset, p) } -> std::same_as<void>;
  { read_all(ch, offset, p) } -> std::same_as<std::string>;
  { truncate_file(ch, offset, p) } -> std::same_as<void>;
  { sync_data(ch, p) } -> std::same_as<void>;
  { sync_full(ch, p) } -> std::same_as<void>;
  { sync_directory(p) } -> std::same_as<void>;
  { remove_file(p, what) } -> std::same_as<bool>;
  { replace_file(p, p, h) } -> std::same_as<void>;
};
static_assert(PlatformFileApi<>,
              "rxsync: the platform file layer (posix_file.hpp / win32_file.hpp) does not provide "
              "every function of the interface in file_handle.hpp");

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
