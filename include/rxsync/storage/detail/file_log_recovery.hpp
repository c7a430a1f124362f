// rxsync/storage/detail/file_log_recovery.hpp - what FileStorage's recovery does with a damaged
// log.
//
// Past the first record that cannot be replayed, every byte offset is tried as the start of a
// record, so records after damaged bytes are found even when a damaged length has lost the
// alignment. They are never replayed (docs/storage.md, "Recovery on open", says why): every byte
// from the damage on is saved to a new side file, synced, before the log is cut.
// read_side_file() gives the records in a side file back to the application.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <rxsync/storage/detail/file_handle.hpp>
#include <rxsync/storage/detail/file_log_format.hpp>
#include <rxsync/storage/file_storage_options.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail::file_log {

// The functions below are templates only so that a TU that includes this header without using
// them does not compile them (and the std::filesystem and std::vector code they instantiate).

// Walks data[from, end) and calls on_record(offset, rec) for every frame whose lengths fit and
// whose checksum matches (its type may be unknown), and on_damage(offset, size) for each run of
// bytes in between. After a frame the walk continues at its end; elsewhere one byte further, so
// no frame that starts after damaged bytes is missed.
template <class OnRecord, class OnDamage>
void scan_frames(std::string_view data, std::uint64_t from, OnRecord&& on_record,
                 OnDamage&& on_damage) {
  std::uint64_t damage_start = from;
  std::uint64_t pos = from;
  RecordView rec;
  while (pos < data.size()) {
    const ParseStatus status = parse_record(data, pos, rec);
    if (status != ParseStatus::ok && status != ParseStatus::bad_type) {
      ++pos;
      continue;
    }
    if (damage_start < pos) {
      on_damage(damage_start, pos - damage_start);
    }
    on_record(pos, rec);
    pos += rec.size;
    damage_start = pos;
  }
  if (damage_start < data.size()) {
    on_damage(damage_start, data.size() - damage_start);
  }
}

// Fills in what the bytes from `report.first_bad_offset` on hold; `first` is how the record
// there parsed.
template <class = void>
void describe_dropped_bytes(std::string_view data, ParseStatus first, RecoveryReport& report) {
  report.bytes_dropped = data.size() - report.first_bad_offset;
  scan_frames(
      data, report.first_bad_offset,
      [&](std::uint64_t offset, const RecordView& rec) {
        report.dropped_records.push_back(DroppedRecord{
            offset, rec.size, static_cast<LogRecordType>(rec.type_byte), std::string(rec.key)});
      },
      [&](std::uint64_t offset, std::uint64_t size) {
        report.damaged_ranges.push_back(DamagedRange{offset, size});
      });
  report.valid_records_dropped = report.dropped_records.size();
  report.records_dropped = report.dropped_records.size() + report.damaged_ranges.size();
  switch (first) {
    case ParseStatus::ok:  // not reached: recovery stops at a record that cannot be replayed
    case ParseStatus::torn:
      // A torn record is the last thing in the file; valid records after it mean its length
      // field is what was damaged.
      report.issue =
          report.dropped_records.empty() ? RecoveryIssue::torn_record : RecoveryIssue::bad_length;
      break;
    case ParseStatus::bad_checksum:
      report.issue = RecoveryIssue::checksum_mismatch;
      break;
    case ParseStatus::bad_type:
      report.issue = RecoveryIssue::unknown_record_type;
      break;
  }
}

// The n-th name tried for the side file of the bytes dropped at `offset`.
template <class = void>
std::filesystem::path side_file_name(const std::filesystem::path& log, std::uint64_t offset,
                                     unsigned n) {
  // Appended to the path itself, not to log.string(), which on Windows would pass the name
  // through the ANSI code page.
  std::filesystem::path name = log;
  name += ".dropped-" + std::to_string(offset);
  if (n > 0) {
    name += "." + std::to_string(n);
  }
  return name;
}

inline constexpr unsigned kMaxSideFilesPerOffset = 1000;

// Copies `bytes` (the log's tail from report.first_bad_offset) to a side file that did not
// exist before, and makes the file and its name durable: only then may the log be cut, so a
// crash at any point of recovery loses nothing (the next open saves the tail again, under the
// next free name; a copy cut short by the crash stays behind, unused). It gets the log's
// permissions (`perms`): it holds the same data. Returns the side file's name.
template <class = void>
std::filesystem::path save_dropped_bytes(const std::filesystem::path& log,
                                         const FilePermissions& perms, std::string_view bytes,
                                         const RecoveryReport& report) {
  const std::uint64_t offset = report.first_bad_offset;
  std::filesystem::path side;
  const char* step = "create";
  try {
    FileHandle out;
    for (unsigned n = 0; !out && n < kMaxSideFilesPerOffset; ++n) {
      side = side_file_name(log, offset, n);
      out = create_new_file(side, perms);
    }
    if (!out) {
      throw FileStorageError(
          log, "is damaged at offset " + std::to_string(offset) + " and was left untouched: " +
                   std::to_string(kMaxSideFilesPerOffset) + " side files for that offset exist " +
                   "already (" + quoted_path(side_file_name(log, offset, 0)) + " to " +
                   quoted_path(side) + "); move them elsewhere and open it again");
    }
    step = "write";
    write_all_at(out, bytes.data(), bytes.size(), 0, side);
    step = "flush to disk";
    sync_full(out, side);
    step = "flush to disk the directory entry of";
    sync_directory(log.parent_path());
  } catch (const std::system_error& e) {
    if (step != std::string_view("create")) {
      // The log stays as it was, so the incomplete copy is only clutter; the next attempt
      // reuses its name.
      std::error_code ignored;
      std::filesystem::remove(side, ignored);
    }
    throw std::system_error(
        e.code(),
        "FileStorage " + quoted_path(log) + " is damaged at offset " + std::to_string(offset) +
            " and was left untouched: the " + std::to_string(bytes.size()) +
            " bytes from there, holding " + std::to_string(report.valid_records_dropped) +
            " records with valid checksums, must be saved to a side file before the log is " +
            "cut, but could not " + step + " " + quoted_path(side) +
            "; fix that (free space, permissions) and open it again, or open it with " +
            "RecoveryPolicy::fail to inspect it");
  }
  return side;
}

// Truncates the log at report.first_bad_offset, durably. A failure is safe to retry: what was
// saved is durable, and a log that is still long is recovered (and saved, under a new name)
// again.
template <class = void>
void cut_log(const FileHandle& fd, const std::filesystem::path& log, const RecoveryReport& report) {
  // Platform-neutral step names: the same text is thrown on POSIX and Win32.
  const char* step = "truncate";
  try {
    truncate_file(fd, report.first_bad_offset, log);
    step = "flush to disk";
    sync_data(fd, log);
  } catch (const std::system_error& e) {
    const std::string saved =
        report.dropped_bytes_saved_to.empty()
            ? std::string()
            : "; the bytes from there are saved in " + quoted_path(report.dropped_bytes_saved_to);
    throw std::system_error(e.code(), "FileStorage " + quoted_path(log) + " is damaged at offset " +
                                          std::to_string(report.first_bad_offset) +
                                          " and could not be cut there (" + step + " failed)" +
                                          saved + "; fix the cause and open it again");
  }
}

// The text of the FileStorageError that RecoveryPolicy::fail throws.
template <class = void>
std::string damage_refused(const RecoveryReport& report) {
  std::string s = "is damaged at offset " + std::to_string(report.first_bad_offset) + " (" +
                  to_string(report.issue) + "; " + std::to_string(report.bytes_dropped) +
                  " bytes from there hold " + std::to_string(report.valid_records_dropped) +
                  " records with valid checksums and " + std::to_string(report.damaged_bytes()) +
                  " damaged bytes) and was left untouched. Open it with " +
                  "RecoveryPolicy::truncate_tail to keep the " +
                  std::to_string(report.records_replayed) + " records before offset " +
                  std::to_string(report.first_bad_offset);
  s += report.valid_records_dropped > 0
           ? " and save the bytes from there in a side file, or restore it from a backup"
           : " and drop the rest, or restore it from a backup";
  return s;
}

}  // namespace detail::file_log

// A record with a valid checksum in a side file written by FileStorage's recovery.
struct SideFileRecord {
  std::uint64_t offset = 0;  // in the side file; it was at first_bad_offset + offset in the log
  LogRecordType type = LogRecordType::put;
  std::string key;
  std::string value;
};

// Reads back every record with a valid checksum in a side file (RecoveryReport::
// dropped_bytes_saved_to), in file order: the same records the report listed as dropped. What
// to do with them is the application's call (docs/storage.md); re-putting a value restores it.
// Throws std::system_error when the file cannot be read. A template for the reason given above.
template <class = void>
std::vector<SideFileRecord> read_side_file(const std::filesystem::path& side_file) {
  const detail::FileHandle fd = detail::open_for_reading(side_file);
  const std::string data = detail::read_all(fd, detail::file_size(fd, side_file), side_file);
  std::vector<SideFileRecord> records;
  detail::file_log::scan_frames(
      data, 0,
      [&](std::uint64_t offset, const detail::file_log::RecordView& rec) {
        records.push_back(SideFileRecord{offset, static_cast<LogRecordType>(rec.type_byte),
                                         std::string(rec.key), std::string(rec.value)});
      },
      [](std::uint64_t, std::uint64_t) {});
  return records;
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
