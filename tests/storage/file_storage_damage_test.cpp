// FileStorage's recovery against damaged logs: whatever the damage, every record whose checksum
// still matches is either replayed into the store or saved, byte for byte, in a side file the
// report names, and the store never returns a value that was not put under its key.
#include <rxsync/storage/file_storage.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage_test_support.hpp"

using rxsync::DamagedRange;
using rxsync::DroppedRecord;
using rxsync::FileStorage;
using rxsync::FileStorageError;
using rxsync::FileStorageOptions;
using rxsync::LogRecordType;
using rxsync::RecoveryIssue;
using rxsync::RecoveryPolicy;
using rxsync::RecoveryReport;
using storage_test::dump;
using storage_test::Model;
using storage_test::read_file;
using storage_test::side_files;
using storage_test::TempDir;
using storage_test::write_file;

namespace {

constexpr std::uint64_t kHeader = 16;

// A log as written, with what each of its records is and does.
struct WrittenLog {
  std::string bytes;
  std::vector<std::uint64_t> offsets;  // offsets[i]: start of record i; offsets.back(): the end
  std::vector<std::string> keys;       // keys[i]: the key of record i
  std::vector<Model> states;           // states[i]: the store after the first i records
  std::map<std::string, std::set<std::string>> put_values;  // every value ever put, per key

  std::size_t records() const { return keys.size(); }
  std::string frame(std::size_t i) const {
    return bytes.substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
};

// 48 records: keys of 0 to 40 bytes (NUL and high bytes included) and values of 0 to 150 random
// bytes, with overwrites and erases.
WrittenLog write_varied_log(const std::filesystem::path& path) {
  using namespace std::string_literals;
  const std::vector<std::string> key_pool = {
      "",           "a",  "user/42/pin", "k\0nul"s, "\xff\xfe\x80"s, std::string(40, 'K'),
      "thread/7/m", "zz", "\x01"s,       "mute"};
  std::mt19937 rng(48);
  WrittenLog log;
  log.offsets.push_back(kHeader);
  log.states.emplace_back();
  FileStorageOptions options;
  options.sync_every_writes = 0;  // the log is only the input here: no fdatasync per record
  options.auto_compact = false;
  FileStorage s(path, options);
  while (log.records() < 48) {
    const std::string& key = key_pool[rng() % key_pool.size()];
    Model next = log.states.back();
    std::uint64_t size = 13 + key.size();
    if (rng() % 5 == 0) {
      if (!s.erase(key)) {
        continue;  // no record: the key was not there
      }
      next.erase(key);
    } else {
      std::string value(rng() % 151, '\0');
      for (char& c : value) {
        c = static_cast<char>(rng() & 0xFFu);
      }
      s.put(key, value);
      next[key] = value;
      log.put_values[key].insert(value);
      size += value.size();
    }
    log.offsets.push_back(log.offsets.back() + size);
    log.keys.push_back(key);
    log.states.push_back(std::move(next));
  }
  s.sync();
  log.bytes = read_file(path);
  REQUIRE(log.bytes.size() == log.offsets.back());
  return log;
}

// The report's two lists cover the dropped bytes exactly, in file order, with no overlap.
void check_dropped_bytes_accounted(const RecoveryReport& report, std::uint64_t file_size) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pieces;
  for (const DroppedRecord& r : report.dropped_records) {
    pieces.emplace_back(r.offset, r.size);
  }
  for (const DamagedRange& r : report.damaged_ranges) {
    pieces.emplace_back(r.offset, r.size);
  }
  std::sort(pieces.begin(), pieces.end());
  std::uint64_t at = report.first_bad_offset;
  for (const auto& [offset, size] : pieces) {
    CHECK(offset == at);
    CHECK(size > 0);
    at = offset + size;
  }
  CHECK(at == file_size);
  CHECK(report.valid_records_dropped == report.dropped_records.size());
  CHECK(report.records_dropped == report.dropped_records.size() + report.damaged_ranges.size());
}

// Writes `damaged` (the log with its header intact) to `path`, opens it with each policy and
// checks everything recovery promises. Side files are removed afterwards.
void check_recovery(const WrittenLog& log, const std::filesystem::path& path,
                    const std::string& damaged) {
  // A record whose bytes survived keeps a valid checksum; nothing else can have one (short of a
  // 2^-32 accident, which these fixed seeds do not contain).
  const std::size_t n = log.records();
  std::vector<bool> intact(n);
  for (std::size_t i = 0; i < n; ++i) {
    intact[i] =
        log.offsets[i + 1] <= damaged.size() &&
        damaged.compare(log.offsets[i], log.offsets[i + 1] - log.offsets[i], log.frame(i)) == 0;
  }
  std::size_t prefix = 0;
  while (prefix < n && intact[prefix]) {
    ++prefix;
  }
  const std::uint64_t kept = log.offsets[prefix];
  const bool clean = damaged.size() == kept;
  CAPTURE(prefix, damaged.size());

  write_file(path, damaged);
  FileStorageOptions strict;
  strict.recovery = RecoveryPolicy::fail;
  if (clean) {
    CHECK_NOTHROW(FileStorage(path, strict));
  } else {
    CHECK_THROWS_AS(FileStorage(path, strict), FileStorageError);
  }
  REQUIRE(read_file(path) == damaged);

  RecoveryReport report;
  {
    FileStorage s(path);
    report = s.recovery_report();
    const Model recovered = dump(s);
    CHECK(recovered == log.states[prefix]);
    for (const auto& [key, value] : recovered) {  // no value that was never put under its key
      CHECK(log.put_values.at(key).count(value) == 1);
    }
  }
  CAPTURE(report.describe());
  CHECK(report.clean() == clean);
  CHECK(report.records_replayed == prefix);
  CHECK(report.bytes_kept == kept);
  CHECK(read_file(path) == damaged.substr(0, kept));
  if (!clean) {
    CHECK(report.first_bad_offset == kept);
    CHECK(report.bytes_dropped == damaged.size() - kept);
    check_dropped_bytes_accounted(report, damaged.size());
  }

  // Every record with a valid checksum that was not replayed is listed, and its bytes are in
  // the side file; a side file exists only when there is such a record.
  const auto sides = side_files(path);
  std::string saved;
  if (report.valid_records_dropped > 0) {
    REQUIRE(sides.size() == 1);
    CHECK(report.dropped_bytes_saved_to == sides[0]);
    saved = read_file(sides[0]);
    CHECK(saved == damaged.substr(kept));
  } else {
    CHECK(report.dropped_bytes_saved_to.empty());
    CHECK(sides.empty());
  }
  for (std::size_t i = prefix; i < n; ++i) {
    if (!intact[i]) {
      continue;
    }
    CAPTURE(i);
    const auto listed =
        std::find_if(report.dropped_records.begin(), report.dropped_records.end(),
                     [&](const DroppedRecord& r) { return r.offset == log.offsets[i]; });
    REQUIRE(listed != report.dropped_records.end());
    CHECK(listed->key == log.keys[i]);
    CHECK(listed->size == log.frame(i).size());
    REQUIRE_FALSE(report.dropped_bytes_saved_to.empty());
    CHECK(saved.compare(log.offsets[i] - kept, log.frame(i).size(), log.frame(i)) == 0);
  }

  FileStorage again(path);
  CHECK(again.recovery_report().clean());
  CHECK(dump(again) == log.states[prefix]);
  for (const auto& side : sides) {
    std::filesystem::remove(side);
  }
}

}  // namespace

TEST_CASE("FileStorage: a flipped high bit in a middle record's key length keeps what follows",
          "[storage][file][recovery]") {
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path);  // default options: what an application gets
    for (int i = 0; i < 10; ++i) {
      s.put("key" + std::to_string(i), "value" + std::to_string(i));
    }
  }
  std::string bytes = read_file(path);
  REQUIRE(bytes.size() == 16 + 10 * 23);
  bytes[70] = static_cast<char>(bytes[70] ^ 0x80);  // record 2 (62..85): key_len's high byte
  write_file(path, bytes);

  FileStorageOptions strict;
  strict.recovery = RecoveryPolicy::fail;
  REQUIRE_THROWS_WITH(FileStorage(path, strict), rxsync_test::contains(path.string()));
  REQUIRE_THROWS_WITH(FileStorage(path, strict),
                      rxsync_test::contains("is damaged at offset 62 (bad record length; 184 "
                                            "bytes from there hold 7 records with valid "
                                            "checksums and 23 damaged bytes)"));
  REQUIRE_THROWS_WITH(FileStorage(path, strict),
                      rxsync_test::contains("Open it with RecoveryPolicy::truncate_tail"));
  CHECK(read_file(path) == bytes);

  FileStorage s(path);
  const RecoveryReport& report = s.recovery_report();
  CAPTURE(report.describe());
  CHECK(dump(s) == Model{{"key0", "value0"}, {"key1", "value1"}});
  CHECK(report.issue == RecoveryIssue::bad_length);
  CHECK(report.first_bad_offset == 62);
  CHECK(report.bytes_dropped == 184);
  CHECK(report.records_dropped == 8);
  CHECK(report.valid_records_dropped == 7);
  REQUIRE(report.damaged_ranges.size() == 1);
  CHECK(report.damaged_ranges[0].offset == 62);
  CHECK(report.damaged_ranges[0].size == 23);
  REQUIRE(report.dropped_records.size() == 7);
  for (std::size_t i = 0; i < 7; ++i) {
    CHECK(report.dropped_records[i].offset == 85 + 23 * i);
    CHECK(report.dropped_records[i].size == 23);
    CHECK(report.dropped_records[i].type == LogRecordType::put);
    CHECK(report.dropped_records[i].key == "key" + std::to_string(i + 3));
  }
  const auto side = path.string() + ".dropped-62";
  CHECK(report.dropped_bytes_saved_to == side);
  CHECK(read_file(side) == bytes.substr(62));
  CHECK(report.describe() ==
        "bad record length at offset 62: 184 bytes and 8 records dropped (7 with valid "
        "checksums), 2 records kept; 23 damaged bytes in 1 range; dropped bytes saved to '" +
            side + "'");

  // The application gets the saved records back.
  const auto saved = rxsync::read_side_file(side);
  REQUIRE(saved.size() == 7);
  for (std::size_t i = 0; i < 7; ++i) {
    CHECK(saved[i].offset == 23 + 23 * i);
    CHECK(saved[i].type == LogRecordType::put);
    CHECK(saved[i].key == "key" + std::to_string(i + 3));
    CHECK(saved[i].value == "value" + std::to_string(i + 3));
  }
}

TEST_CASE("FileStorage: a second recovery at the same offset never overwrites a side file",
          "[storage][file][recovery]") {
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path);
    for (int i = 0; i < 4; ++i) {
      s.put("k" + std::to_string(i), "v" + std::to_string(i));
    }
  }
  std::string bytes = read_file(path);
  bytes[16 + 13] ^= 0x01;  // record 0's key: a checksum mismatch at offset 16
  const std::string base = path.string() + ".dropped-16";
  // A side file from an earlier recovery, and one cut short by a crash during recovery.
  write_file(base, "an earlier side file");
  write_file(base + ".1", "partial");

  write_file(path, bytes);
  {
    FileStorage s(path);
    CHECK(s.recovery_report().dropped_bytes_saved_to == base + ".2");
  }
  write_file(path, bytes);  // the same damage again
  {
    FileStorage s(path);
    CHECK(s.recovery_report().dropped_bytes_saved_to == base + ".3");
  }
  CHECK(read_file(base) == "an earlier side file");
  CHECK(read_file(base + ".1") == "partial");
  CHECK(read_file(base + ".2") == bytes.substr(16));
  CHECK(read_file(base + ".3") == bytes.substr(16));
}

TEST_CASE("FileStorage: with every side file name taken, recovery refuses and says what to do",
          "[storage][file][recovery]") {
  TempDir dir(storage_test::memory_backed_temp_root());
  const auto path = dir.file("log");
  {
    FileStorage s(path);
    s.put("a", "1");
    s.put("b", "2");
  }
  std::string bytes = read_file(path);
  bytes[16 + 13] ^= 0x01;  // record 0's key: record 1 follows, valid
  write_file(path, bytes);
  const std::string base = path.string() + ".dropped-16";
  write_file(base, "taken");
  for (int n = 1; n < 1000; ++n) {
    write_file(base + "." + std::to_string(n), "taken");
  }
  REQUIRE_THROWS_AS(FileStorage(path), FileStorageError);
  REQUIRE_THROWS_WITH(FileStorage(path),
                      rxsync_test::contains("'" + path.string() +
                                            "': is damaged at offset 16 and was left untouched"));
  REQUIRE_THROWS_WITH(FileStorage(path), rxsync_test::contains("move them elsewhere"));
  CHECK(read_file(path) == bytes);
  std::filesystem::remove(base + ".500");
  FileStorage s(path);
  CHECK(s.recovery_report().dropped_bytes_saved_to == base + ".500");
}

TEST_CASE("FileStorage: a record of an unknown type is saved, never destroyed",
          "[storage][file][recovery]") {
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path);
    s.put("a", "1");
  }
  // The last record has a valid checksum but a type this version does not write.
  std::string bytes = read_file(path);
  std::string future;
  rxsync::detail::file_log::append_record(future, rxsync::detail::file_log::RecordType::put, "f",
                                          "from a later version");
  future[4] = 9;
  const std::uint32_t crc = rxsync::crc32c(std::string_view(future).substr(4));
  for (std::size_t i = 0; i < 4; ++i) {
    future[i] = static_cast<char>((crc >> (8 * i)) & 0xFFu);
  }
  bytes += future;
  write_file(path, bytes);

  FileStorage s(path);
  const RecoveryReport& report = s.recovery_report();
  CHECK(report.issue == RecoveryIssue::unknown_record_type);
  CHECK(report.valid_records_dropped == 1);
  REQUIRE(report.dropped_records.size() == 1);
  CHECK(report.dropped_records[0].type == static_cast<LogRecordType>(9));
  CHECK(report.dropped_records[0].key == "f");
  CHECK(read_file(report.dropped_bytes_saved_to) == future);
  CHECK(dump(s) == Model{{"a", "1"}});
}

TEST_CASE("FileStorage damage: truncation at every length", "[storage][file][recovery]") {
  TempDir dir(storage_test::memory_backed_temp_root());
  const WrittenLog log = write_varied_log(dir.file("source"));
  const auto path = dir.file("log");
  for (std::uint64_t cut = kHeader; cut <= log.bytes.size(); ++cut) {
    CAPTURE(cut);
    check_recovery(log, path, log.bytes.substr(0, cut));
  }
}

TEST_CASE("FileStorage damage: seeded single-bit flips", "[storage][file][recovery]") {
  TempDir dir(storage_test::memory_backed_temp_root());
  const WrittenLog log = write_varied_log(dir.file("source"));
  const auto path = dir.file("log");
  std::mt19937 rng(1);
  for (int round = 0; round < 400; ++round) {
    std::string bytes = log.bytes;
    const std::uint64_t at = kHeader + rng() % (bytes.size() - kHeader);
    const auto bit = static_cast<unsigned>(rng() % 8);
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << bit));
    CAPTURE(round, at, bit);
    check_recovery(log, path, bytes);
  }
}

TEST_CASE("FileStorage damage: seeded zeroed runs", "[storage][file][recovery]") {
  TempDir dir(storage_test::memory_backed_temp_root());
  const WrittenLog log = write_varied_log(dir.file("source"));
  const auto path = dir.file("log");
  std::mt19937 rng(2);
  for (int round = 0; round < 250; ++round) {
    std::string bytes = log.bytes;
    const std::uint64_t at = kHeader + rng() % (bytes.size() - kHeader);
    const std::uint64_t len = std::min<std::uint64_t>(1 + rng() % 64, bytes.size() - at);
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), len, '\0');
    CAPTURE(round, at, len);
    check_recovery(log, path, bytes);
  }
}

TEST_CASE("FileStorage damage: seeded random-byte runs", "[storage][file][recovery]") {
  TempDir dir(storage_test::memory_backed_temp_root());
  const WrittenLog log = write_varied_log(dir.file("source"));
  const auto path = dir.file("log");
  std::mt19937 rng(3);
  for (int round = 0; round < 250; ++round) {
    std::string bytes = log.bytes;
    const std::uint64_t at = kHeader + rng() % (bytes.size() - kHeader);
    const std::uint64_t len = std::min<std::uint64_t>(1 + rng() % 64, bytes.size() - at);
    for (std::uint64_t i = 0; i < len; ++i) {
      bytes[at + i] = static_cast<char>(rng() & 0xFFu);
    }
    CAPTURE(round, at, len);
    check_recovery(log, path, bytes);
  }
}
