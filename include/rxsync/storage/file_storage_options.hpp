// rxsync/storage/file_storage_options.hpp - FileStorage's options, recovery report and errors.
//
// Separate from file_storage.hpp so code that only configures or reports on a FileStorage (a
// settings layer, a health endpoint) does not pull in the POSIX file machinery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace rxsync {

// What open() does when the log is damaged. A crash leaves a torn tail, which is dropped. Valid
// records after damaged ones (media damage; or, after a power loss with group commit, unsynced
// records that reached the disk before an earlier one) cannot be replayed across the gap, so
// they are copied to a side file before the log is cut, and reported.
enum class RecoveryPolicy {
  truncate_tail,  // keep the valid prefix, save valid records after it, truncate (default)
  fail,           // throw FileStorageError on any damage; the file is never modified
};

struct FileStorageOptions {
  // fdatasync after this many writes. 1 (default): every put/erase is durable when it returns.
  // N > 1: group commit, up to N-1 acknowledged writes can be lost in a power failure or kernel
  // crash (not in a process crash). 0: only sync() (and compaction, destruction) syncs; the
  // caller drives the interval, e.g. a Scheduler calling sync() every 10 ms.
  std::size_t sync_every_writes = 1;
  // Compact after a write once garbage >= compact_garbage_ratio * file size and
  // garbage >= compact_min_garbage_bytes. compact() works regardless.
  bool auto_compact = true;
  double compact_garbage_ratio = 0.5;
  std::uint64_t compact_min_garbage_bytes = 1u << 20;
  bool create_if_missing = true;
  RecoveryPolicy recovery = RecoveryPolicy::truncate_tail;

  void validate() const {
    if (!(compact_garbage_ratio > 0.0 && compact_garbage_ratio <= 1.0)) {  // NaN fails too
      throw std::invalid_argument(
          "FileStorageOptions.compact_garbage_ratio must be in (0, 1], got " +
          std::to_string(compact_garbage_ratio));
    }
    const int r = static_cast<int>(recovery);
    if (r < 0 || r > static_cast<int>(RecoveryPolicy::fail)) {
      throw std::invalid_argument("FileStorageOptions.recovery is not a RecoveryPolicy, got " +
                                  std::to_string(r));
    }
  }
};

enum class RecoveryIssue { none, torn_record, checksum_mismatch, unknown_record_type };

inline const char* to_string(RecoveryIssue issue) noexcept {
  switch (issue) {
    case RecoveryIssue::none:
      return "none";
    case RecoveryIssue::torn_record:
      return "torn record";
    case RecoveryIssue::checksum_mismatch:
      return "checksum mismatch";
    case RecoveryIssue::unknown_record_type:
      return "unknown record type";
  }
  return "?";
}

// What open() found and what it dropped. Nothing is dropped without being counted here.
struct RecoveryReport {
  bool created = false;                   // new file (or an empty/partial header from a crash)
  bool removed_stale_compaction = false;  // a temp file from an interrupted compaction was deleted
  std::uint64_t records_replayed = 0;     // valid records applied to the index
  std::uint64_t bytes_kept = 0;           // file size after recovery, header included
  RecoveryIssue issue = RecoveryIssue::none;
  std::uint64_t first_bad_offset = 0;       // where the damage starts (when issue != none)
  std::uint64_t bytes_dropped = 0;          // bytes truncated from first_bad_offset on
  std::uint64_t records_dropped = 0;        // frames in the dropped bytes (a torn one counts)
  std::uint64_t valid_records_dropped = 0;  // of those, frames with a valid checksum
  // When valid_records_dropped > 0: the file holding a copy of every dropped byte.
  std::filesystem::path dropped_bytes_saved_to;

  bool clean() const noexcept { return issue == RecoveryIssue::none; }
  std::string describe() const {
    if (clean()) {
      return "clean: " + std::to_string(records_replayed) + " records replayed";
    }
    return std::string(to_string(issue)) + " at offset " + std::to_string(first_bad_offset) + ": " +
           std::to_string(bytes_dropped) + " bytes and " + std::to_string(records_dropped) +
           " records dropped (" + std::to_string(valid_records_dropped) +
           " with valid checksums), " + std::to_string(records_replayed) + " records kept" +
           (dropped_bytes_saved_to.empty()
                ? ""
                : "; dropped bytes saved to '" + dropped_bytes_saved_to.string() + "'");
  }
};

struct FileStorageStats {
  std::uint64_t file_bytes = 0;
  std::uint64_t live_bytes = 0;     // bytes of the records a compaction would keep
  std::uint64_t garbage_bytes = 0;  // overwritten and erased records
  std::size_t keys = 0;
  std::uint64_t writes = 0;
  std::uint64_t syncs = 0;
  std::uint64_t unsynced_writes = 0;
  std::uint64_t compactions = 0;
  std::uint64_t compaction_failures = 0;  // automatic compactions that failed (see last error)
  std::error_code last_compaction_error;
};

// The log is not one rxsync can use (foreign file, newer version, damage it refuses to repair).
class FileStorageError : public std::runtime_error {
 public:
  FileStorageError(const std::filesystem::path& path, const std::string& what)
      : std::runtime_error("FileStorage '" + path.string() + "': " + what), path_(path) {}
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace rxsync
