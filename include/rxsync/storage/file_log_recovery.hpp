// rxsync/storage/file_log_recovery.hpp - what FileStorage's recovery does with a damaged log.
//
// Past the first record that cannot be replayed, every byte offset is tried as the start of a
// record, so records after damaged bytes are found even when a damaged length has lost the
// alignment. They are never replayed (docs/storage.md, "Recovery on open", says why): every byte
// from the damage on is saved to a side file, synced, before the log is cut.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <rxsync/storage/file_log_format.hpp>
#include <rxsync/storage/file_storage_options.hpp>
#include <rxsync/storage/posix_file.hpp>

namespace rxsync {

namespace detail::file_log {

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
inline void describe_dropped_bytes(std::string_view data, ParseStatus first,
                                   RecoveryReport& report) {
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
inline std::filesystem::path side_file_name(const std::filesystem::path& log, std::uint64_t offset,
                                            unsigned n) {
  std::string name = log.string() + ".dropped-" + std::to_string(offset);
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
// permissions (`mode`): it holds the same data. Returns the side file's name.
inline std::filesystem::path save_dropped_bytes(const std::filesystem::path& log, ::mode_t mode,
                                                std::string_view bytes,
                                                const RecoveryReport& report) {
  const std::uint64_t offset = report.first_bad_offset;
  std::filesystem::path side;
  UniqueFd out;
  for (unsigned n = 0; !out && n < kMaxSideFilesPerOffset; ++n) {
    side = side_file_name(log, offset, n);
    out = create_new_file(side, mode);
  }
  if (!out) {
    throw FileStorageError(
        log, "is damaged at offset " + std::to_string(offset) + " and was left untouched: " +
                 std::to_string(kMaxSideFilesPerOffset) + " side files for that offset exist " +
                 "already (" + quoted_path(side_file_name(log, offset, 0)) + " to " +
                 quoted_path(side) + "); move them elsewhere and open it again");
  }
  write_all_at(out.get(), bytes.data(), bytes.size(), 0, side);
  sync_full(out.get(), side);
  sync_directory(log.parent_path());
  return side;
}

}  // namespace detail::file_log

}  // namespace rxsync
