// rxsync/storage/file_storage.hpp - a crash-safe Storage on one append-only log file.
//
// Every put/erase appends a checksummed record and (by default) fdatasyncs before returning;
// opening the file replays the log into an in-memory index up to the first damaged record and
// cuts the log there, after saving any valid records beyond it to a side file
// (file_log_recovery.hpp); compaction rewrites the live records to a new file and renames it
// into place.
// File format, guarantees and options: docs/storage.md. The file system calls go through
// detail/file_handle.hpp (POSIX or Win32), which keeps the same guarantees on both.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/lifetime_guard.hpp>
#include <rxsync/storage/detail/file_handle.hpp>
#include <rxsync/storage/detail/file_log_format.hpp>
#include <rxsync/storage/detail/file_log_recovery.hpp>
#include <rxsync/storage/detail/visitor_guard.hpp>
#include <rxsync/storage/file_storage_options.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// FileStorage's members, in a class template so that their bodies (and the map, filesystem and
// recovery code they instantiate) are compiled only in a program that uses the storage, not in
// every one that includes this header.
template <class = void>
class FileStorageImpl {
 public:
  explicit FileStorageImpl(std::filesystem::path path, FileStorageOptions options = {})
      : path_(std::move(path)), options_(options) {
    options_.validate();
    open_and_recover();
  }
  FileStorageImpl(const FileStorageImpl&) = delete;
  FileStorageImpl& operator=(const FileStorageImpl&) = delete;
  ~FileStorageImpl() {
    if (unsynced_ > 0 && !poison_ && fd_) {
      // Best effort: a destructor cannot report a failure; call sync() first to see it.
      try {
        detail::sync_data(fd_, path_);
      } catch (const std::exception&) {
      }
    }
  }

  // Durable when it returns (with the default sync_every_writes = 1). On failure it throws
  // std::system_error and the index is unchanged; whether the record reached the disk is then
  // unknown (as for any failed commit), and after a failed fdatasync every later write throws.
  void put(std::string_view key, std::string_view value) {
    check_not_visiting("put");
    check_field_size("key", key.size());
    check_field_size("value", value.size());
    std::lock_guard lock(mu_);
    check_usable();
    buf_.clear();
    detail::file_log::append_record(buf_, detail::file_log::RecordType::put, key, value);
    append_locked();
    auto it = index_.lower_bound(key);
    if (it != index_.end() && std::string_view(it->first) == key) {
      live_bytes_ -= detail::file_log::record_size(key.size(), it->second.size());
      it->second.assign(value.data(), value.size());
    } else {
      index_.emplace_hint(it, std::piecewise_construct, std::forward_as_tuple(key),
                          std::forward_as_tuple(value));
    }
    live_bytes_ += detail::file_log::record_size(key.size(), value.size());
    maybe_compact_locked();
  }

  std::optional<std::string> get(std::string_view key) const {
    check_not_visiting("get");
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  bool contains(std::string_view key) const {
    check_not_visiting("contains");
    std::lock_guard lock(mu_);
    return index_.find(key) != index_.end();
  }

  // Appends an erase record only when the key exists; returns whether it did.
  bool erase(std::string_view key) {
    check_not_visiting("erase");
    std::lock_guard lock(mu_);
    check_usable();
    auto it = index_.find(key);
    if (it == index_.end()) {
      return false;
    }
    buf_.clear();
    detail::file_log::append_record(buf_, detail::file_log::RecordType::erase, key, {});
    append_locked();
    live_bytes_ -= detail::file_log::record_size(key.size(), it->second.size());
    index_.erase(it);
    maybe_compact_locked();
    return true;
  }

  // Visits every entry in ascending unsigned-byte key order, holding the lock throughout.
  template <class F>
  void for_each(F&& visit) const {
    check_not_visiting("for_each");
    std::lock_guard lock(mu_);
    const auto visiting = visitor_guard_.visiting();
    for (const auto& [k, v] : index_) {
      visit(std::string_view(k), std::string_view(v));
    }
  }

  // Makes every acknowledged write durable now (group commit). Cheap when nothing is pending.
  void sync() {
    check_not_visiting("sync");
    std::lock_guard lock(mu_);
    check_usable();
    sync_locked();
  }

  // Rewrites the live records into a new file and renames it over the log. Throws
  // std::system_error on failure; the old log stays in use when the failure precedes the rename.
  void compact() {
    check_not_visiting("compact");
    std::lock_guard lock(mu_);
    check_usable();
    compact_locked();
  }

  std::size_t size() const {
    check_not_visiting("size");
    std::lock_guard lock(mu_);
    return index_.size();
  }
  FileStorageStats stats() const {
    check_not_visiting("stats");
    std::lock_guard lock(mu_);
    FileStorageStats s;
    s.file_bytes = file_size_;
    s.live_bytes = live_bytes_;
    s.garbage_bytes = garbage_locked();
    s.keys = index_.size();
    s.writes = writes_;
    s.syncs = syncs_;
    s.unsynced_writes = unsynced_;
    s.compactions = compactions_;
    s.compaction_failures = compaction_failures_;
    s.last_compaction_error = last_compaction_error_;
    return s;
  }
  const RecoveryReport& recovery_report() const noexcept { return report_; }
  // SyncService takes a lease: destroying the storage first is a clear error, not a crash later.
  const LifetimeGuard& rxsync_lifetime_guard() const noexcept { return lifetime_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  const FileStorageOptions& options() const noexcept { return options_; }
  // Where compaction writes before renaming; a leftover one is deleted on open.
  std::filesystem::path compaction_path() const {
    std::filesystem::path p = path_;
    p += ".compact";  // not path_.string() + ...: on Windows that goes through the ANSI code page
    return p;
  }

 private:
  using Index = std::map<std::string, std::string, std::less<>>;

  static void check_field_size(const char* what, std::size_t n) {
    if (n > detail::file_log::kMaxFieldSize) {
      throw std::length_error(std::string("FileStorage: a ") + what + " of " + std::to_string(n) +
                              " bytes exceeds the record limit of 4 GiB - 1");
    }
  }
  void check_not_visiting(const char* what) const { visitor_guard_.check(what); }
  void check_usable() const {
    if (poison_) {
      throw std::system_error(poison_, "FileStorage " + detail::quoted_path(path_) +
                                           " is unusable after an earlier I/O failure whose "
                                           "outcome is unknown; reopen it to recover");
    }
  }
  std::uint64_t garbage_locked() const noexcept {
    return file_size_ - detail::file_log::kFileHeaderSize - live_bytes_;
  }

  // Appends buf_ at the logical end. A failed write is cut off again, so the log never holds a
  // partial record in its middle; if even that fails, or a sync fails, the storage is poisoned.
  void append_locked() {
    const std::uint64_t offset = file_size_;
    try {
      detail::write_all_at(fd_, buf_.data(), buf_.size(), offset, path_);
    } catch (const std::system_error&) {
      try {
        detail::truncate_file(fd_, offset, path_);
      } catch (const std::system_error& e) {
        poison_ = e.code();
      }
      throw;
    }
    file_size_ += buf_.size();
    ++writes_;
    ++unsynced_;
    if (options_.sync_every_writes != 0 && unsynced_ >= options_.sync_every_writes) {
      sync_locked();
    }
  }

  void sync_locked() {
    if (unsynced_ == 0) {
      return;
    }
    try {
      detail::sync_data(fd_, path_);
    } catch (const std::system_error& e) {
      // After a failed fdatasync Linux may have dropped the dirty pages and a retry can report
      // success, so nothing written since the last good sync can be trusted any more.
      poison_ = e.code();
      throw;
    }
    unsynced_ = 0;
    ++syncs_;
  }

  void maybe_compact_locked() {
    if (!options_.auto_compact) {
      return;
    }
    const std::uint64_t garbage = garbage_locked();
    if (garbage < options_.compact_min_garbage_bytes || garbage < retry_compaction_at_ ||
        static_cast<double>(garbage) <
            options_.compact_garbage_ratio * static_cast<double>(file_size_)) {
      return;
    }
    try {
      compact_locked();
      retry_compaction_at_ = 0;
    } catch (const std::system_error& e) {
      // The write that triggered this is already durable, so it must not appear to fail; the
      // failure is counted in stats() and retried once garbage has doubled.
      ++compaction_failures_;
      last_compaction_error_ = e.code();
      retry_compaction_at_ = garbage * 2;
    }
  }

  void compact_locked();
  void open_and_recover();
  static void discard_compaction(detail::FileHandle& out, const std::filesystem::path& tmp) {
    // Closed first: Windows deletes an open file only once its last handle is closed.
    out.reset();
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
  }

  std::filesystem::path path_;
  FileStorageOptions options_;
  RecoveryReport report_;
  mutable std::mutex mu_;
  detail::VisitorGuard visitor_guard_{"FileStorage"};
  LifetimeGuard lifetime_{"FileStorage"};
  detail::FileHandle fd_;
  Index index_;
  std::string buf_;  // reused encode buffer
  std::uint64_t file_size_ = 0;
  std::uint64_t live_bytes_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t syncs_ = 0;
  std::uint64_t unsynced_ = 0;
  std::uint64_t compactions_ = 0;
  std::uint64_t compaction_failures_ = 0;
  std::uint64_t retry_compaction_at_ = 0;
  std::error_code last_compaction_error_;
  std::error_code poison_;
};

template <class V>
void FileStorageImpl<V>::open_and_recover() {
  namespace fl = detail::file_log;
  fd_ = detail::open_locked(path_, options_.create_if_missing);
  const std::string data = detail::read_all(fd_, detail::file_size(fd_, path_), path_);

  const fl::HeaderStatus header_status = fl::check_header(data);
  if (header_status == fl::HeaderStatus::ok || header_status == fl::HeaderStatus::missing) {
    // We hold the lock, so no compaction is running: a temp file is a crash's leftover. (Only
    // once the path is known to be our log: a foreign file's neighbour is not ours to delete.)
    report_.removed_stale_compaction =
        detail::remove_file(compaction_path(), "cannot remove stale");
  }
  switch (header_status) {
    case fl::HeaderStatus::ok:
      break;
    case fl::HeaderStatus::missing: {
      const std::string header = fl::file_header();
      detail::write_all_at(fd_, header.data(), header.size(), 0, path_);
      detail::sync_full(fd_, path_);
      detail::sync_directory(path_.parent_path());
      report_.created = true;
      report_.bytes_kept = file_size_ = header.size();
      return;
    }
    case fl::HeaderStatus::not_a_log:
      throw FileStorageError(path_, "is not an rxsync FileStorage log (bad magic); left untouched");
    case fl::HeaderStatus::bad_version:
      throw FileStorageError(path_,
                             "has format version " + std::to_string(fl::load_u32(data.data() + 8)) +
                                 "; this build reads version " + std::to_string(fl::kVersion));
    case fl::HeaderStatus::bad_flags:
      throw FileStorageError(
          path_, "has unknown header flags " + std::to_string(fl::load_u32(data.data() + 12)));
  }

  std::uint64_t offset = fl::kFileHeaderSize;
  fl::RecordView rec;
  fl::ParseStatus status = fl::ParseStatus::ok;
  while (offset < data.size()) {
    status = fl::parse_record(data, offset, rec);
    if (status != fl::ParseStatus::ok) {
      break;
    }
    if (rec.type == fl::RecordType::put) {
      auto it = index_.lower_bound(rec.key);
      if (it != index_.end() && std::string_view(it->first) == rec.key) {
        live_bytes_ -= fl::record_size(rec.key.size(), it->second.size());
        it->second.assign(rec.value);
      } else {
        index_.emplace_hint(it, rec.key, rec.value);
      }
      live_bytes_ += rec.size;
    } else if (auto it = index_.find(rec.key); it != index_.end()) {
      live_bytes_ -= fl::record_size(rec.key.size(), it->second.size());
      index_.erase(it);
    }
    offset += rec.size;
    ++report_.records_replayed;
  }
  file_size_ = offset;

  if (offset < data.size()) {
    report_.first_bad_offset = offset;
    fl::describe_dropped_bytes(data, status, report_);
    if (options_.recovery == RecoveryPolicy::fail) {
      throw FileStorageError(path_, fl::damage_refused(report_));
    }
    if (report_.valid_records_dropped > 0) {
      report_.dropped_bytes_saved_to =
          fl::save_dropped_bytes(path_, detail::file_permissions(fd_, path_),
                                 std::string_view(data).substr(offset), report_);
    }
    fl::cut_log(fd_, path_, report_);
  }
  report_.bytes_kept = file_size_;
  maybe_compact_locked();
}

template <class V>
void FileStorageImpl<V>::compact_locked() {
  namespace fl = detail::file_log;
  const std::filesystem::path tmp = compaction_path();
  // Locked before it becomes visible under the real name, so an opener racing the rename finds
  // it locked rather than a free, stale file.
  detail::FileHandle out = detail::create_locked(tmp, detail::file_permissions(fd_, path_));
  std::uint64_t written = 0;
  try {
    constexpr std::size_t kChunk = 1u << 20;
    std::string chunk = fl::file_header();
    for (const auto& [k, v] : index_) {
      fl::append_record(chunk, fl::RecordType::put, k, v);
      if (chunk.size() >= kChunk) {
        detail::write_all_at(out, chunk.data(), chunk.size(), written, tmp);
        written += chunk.size();
        chunk.clear();
      }
    }
    detail::write_all_at(out, chunk.data(), chunk.size(), written, tmp);
    written += chunk.size();
    detail::sync_full(out, tmp);
    detail::replace_file(tmp, path_, fd_);
  } catch (const std::system_error& e) {
    discard_compaction(out, tmp);
    if (!fd_) {
      // The old log could not be reopened after a failed replace (Windows only, see
      // detail::replace_file): this storage no longer holds its file.
      poison_ = e.code();
    }
    throw;
  } catch (...) {
    discard_compaction(out, tmp);
    throw;
  }
  // The new file holds everything the index holds, synced: pending group-commit writes included.
  fd_ = std::move(out);
  file_size_ = written;
  live_bytes_ = written - fl::kFileHeaderSize;
  unsynced_ = 0;
  ++compactions_;
  try {
    detail::sync_directory(path_.parent_path());
  } catch (const std::system_error& e) {
    // Until the rename is durable a power loss may bring the old file back, without the writes
    // that would follow; refuse them.
    poison_ = e.code();
    throw;
  }
}

}  // namespace detail

// A durable byte-string map on an append-only log (see the top of this file). The whole live
// data set is also held in memory, so get() and for_each() never touch the disk.
// Thread-safety: all members may be called concurrently (one mutex; an fsync holds it). Calling
// back into the same FileStorage from inside for_each's visitor throws std::logic_error.
// One FileStorage per file: a second opener, in this process or another, gets std::system_error.
class FileStorage : public detail::FileStorageImpl<> {
 public:
  using FileStorageImpl::FileStorageImpl;
};

static_assert(check_storage<FileStorage>());

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
