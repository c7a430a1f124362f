// rxsync/storage/file_storage_options.hpp - FileStorage's options, recovery report and errors.
//
// Separate from file_storage.hpp so code that only configures or reports on a FileStorage (a
// settings layer, a health endpoint) does not pull in the platform's file machinery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// A path as UTF-8 text, for messages. path::string() would use the ANSI code page on Windows
// (MSVC), which cannot spell every file name; u8string() is exact everywhere (on POSIX it is
// the name's bytes as they are).
inline std::string utf8_path(const std::filesystem::path& p) {
  const std::u8string u = p.u8string();
  return std::string(u.begin(), u.end());
}

inline std::string quoted_path(const std::filesystem::path& p) { return "'" + utf8_path(p) + "'"; }

}  // namespace detail

// What open() does when the log is damaged. A crash leaves a torn tail, which is dropped. Records
// with valid checksums after damaged bytes (media damage; or, after a power loss with group
// commit, unsynced records that reached the disk before an earlier one) are not replayed across
// the gap, which could bring back erased keys or older values beside newer ones: every byte from
// the damage on is copied to a side file before the log is cut, and reported.
enum class RecoveryPolicy {
  truncate_tail,  // keep the valid prefix, save the bytes after it when they hold valid records
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

// What the first record that could not be replayed looks like.
enum class RecoveryIssue {
  none,
  torn_record,          // runs past the end of the file, and nothing valid follows it
  checksum_mismatch,    // fits in the file but its checksum does not match
  unknown_record_type,  // its checksum matches but its type is not one this version writes
  bad_length,           // runs past the end of the file, yet records with valid checksums follow
};

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
    case RecoveryIssue::bad_length:
      return "bad record length";
  }
  return "?";
}

// The type byte of a record, as stored. A record found past damage may hold any other value: a
// type this version does not write, kept as found.
enum class LogRecordType : std::uint8_t { put = 1, erase = 2 };

// A record with a valid checksum among the dropped bytes: not replayed, but saved in the side
// file (its bytes are at `offset - first_bad_offset` there).
struct DroppedRecord {
  std::uint64_t offset = 0;  // in the log as it was found on open
  std::uint64_t size = 0;    // the whole record, its 13-byte header included
  LogRecordType type = LogRecordType::put;
  std::string key;
};

// Dropped bytes that are part of no record with a valid checksum: whatever records they held
// cannot be read back (their bytes are still in the side file, when one was written).
struct DamagedRange {
  std::uint64_t offset = 0;  // in the log as it was found on open
  std::uint64_t size = 0;
};

// What open() found and what it dropped. Nothing is dropped without being counted here.
struct RecoveryReport {
  bool created = false;                   // new file (or an empty/partial header from a crash)
  bool removed_stale_compaction = false;  // a temp file from an interrupted compaction was deleted
  std::uint64_t records_replayed = 0;     // valid records applied to the index
  std::uint64_t bytes_kept = 0;           // file size after recovery, header included
  RecoveryIssue issue = RecoveryIssue::none;
  std::uint64_t first_bad_offset = 0;  // where the damage starts (when issue != none)
  std::uint64_t bytes_dropped = 0;     // bytes truncated from first_bad_offset on
  // Records in the dropped bytes: each valid one plus one per damaged range (which held at
  // least one record; how many is unknowable when a length is damaged).
  std::uint64_t records_dropped = 0;
  std::uint64_t valid_records_dropped = 0;  // == dropped_records.size()
  // When valid_records_dropped > 0: the file holding a copy of every dropped byte.
  std::filesystem::path dropped_bytes_saved_to;
  // The dropped bytes, in file order, exactly covered by these two lists (a record found inside
  // damaged bytes is listed, never counted as damage).
  std::vector<DroppedRecord> dropped_records;
  std::vector<DamagedRange> damaged_ranges;

  bool clean() const noexcept { return issue == RecoveryIssue::none; }
  std::uint64_t damaged_bytes() const noexcept {
    std::uint64_t n = 0;
    for (const DamagedRange& r : damaged_ranges) {
      n += r.size;
    }
    return n;
  }
  std::string describe() const {
    if (clean()) {
      return "clean: " + std::to_string(records_replayed) + " records replayed";
    }
    std::string s =
        std::string(to_string(issue)) + " at offset " + std::to_string(first_bad_offset) + ": " +
        std::to_string(bytes_dropped) + " bytes and " + std::to_string(records_dropped) +
        " records dropped (" + std::to_string(valid_records_dropped) + " with valid checksums), " +
        std::to_string(records_replayed) + " records kept; " + std::to_string(damaged_bytes()) +
        " damaged bytes in " + std::to_string(damaged_ranges.size()) +
        (damaged_ranges.size() == 1 ? " range" : " ranges");
    if (!dropped_bytes_saved_to.empty()) {
      s += "; dropped bytes saved to " + detail::quoted_path(dropped_bytes_saved_to);
    }
    return s;
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
      : std::runtime_error("FileStorage " + detail::quoted_path(path) + ": " + what), path_(path) {}
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
