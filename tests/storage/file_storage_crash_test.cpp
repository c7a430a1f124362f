// FileStorage under the failures it exists for: logs cut at every offset (a writer's crash),
// bytes flipped. The writer killed mid-stream and the write that fails half-way need fork():
// file_storage_posix_test.cpp.
#include <rxsync/storage/file_storage.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "storage_test_support.hpp"

using rxsync::FileStorage;
using rxsync::FileStorageError;
using rxsync::FileStorageOptions;
using rxsync::RecoveryIssue;
using rxsync::RecoveryPolicy;
using storage_test::apply_op;
using storage_test::dump;
using storage_test::Model;
using storage_test::Op;
using storage_test::read_file;
using storage_test::TempDir;
using storage_test::write_file;

namespace {

// A small log and, for every record boundary, the state the records before it describe.
struct SampleLog {
  std::string bytes;
  std::vector<std::uint64_t> boundaries;  // boundaries[i]: end of record i-1 (16 = header)
  std::vector<Model> states;              // states[i]: after the first i records
};

SampleLog make_sample_log(const TempDir& dir) {
  using namespace std::string_literals;
  const std::vector<Op> ops = {
      {false, "a", "1"},       {false, "b", "twenty-two"},
      {false, "\0k"s, ""},     {false, "a", "three hundred and thirty-three"},
      {true, "b", ""},         {false, "c", std::string(40, '\xAB')},
      {false, "", "empty key"}};
  const auto path = dir.file("sample");
  SampleLog log;
  log.boundaries.push_back(16);
  log.states.emplace_back();
  {
    FileStorageOptions o;
    o.auto_compact = false;
    FileStorage s(path, o);
    for (const Op& op : ops) {
      if (op.erase) {
        s.erase(op.key);
      } else {
        s.put(op.key, op.value);
      }
      log.boundaries.push_back(log.boundaries.back() + 13 + op.key.size() + op.value.size());
      log.states.push_back(log.states.back());
      apply_op(log.states.back(), op);
    }
  }
  log.bytes = read_file(path);
  REQUIRE(log.bytes.size() == log.boundaries.back());
  return log;
}

// Index of the record holding byte `offset` (offset >= 16).
std::size_t record_at(const SampleLog& log, std::uint64_t offset) {
  return static_cast<std::size_t>(
      std::upper_bound(log.boundaries.begin(), log.boundaries.end(), offset) -
      log.boundaries.begin() - 1);
}

}  // namespace

TEST_CASE("FileStorage: a log truncated at any offset recovers every complete record",
          "[storage][file][crash]") {
  TempDir dir;
  const SampleLog log = make_sample_log(dir);
  const auto path = dir.file("log");
  for (std::uint64_t cut = 0; cut <= log.bytes.size(); ++cut) {
    CAPTURE(cut);
    write_file(path, std::string_view(log.bytes).substr(0, cut));
    {
      FileStorage s(path);
      const auto& report = s.recovery_report();
      if (cut < 16) {
        CHECK(report.created);
        CHECK(dump(s).empty());
        continue;
      }
      const std::size_t complete = record_at(log, cut);
      CHECK(dump(s) == log.states[complete]);
      CHECK(report.records_replayed == complete);
      const std::uint64_t kept = log.boundaries[complete];
      if (cut == kept) {
        CHECK(report.clean());
      } else {
        CHECK(report.issue == RecoveryIssue::torn_record);
        CHECK(report.first_bad_offset == kept);
        CHECK(report.bytes_dropped == cut - kept);
        CHECK(report.records_dropped == 1);
        CHECK(report.valid_records_dropped == 0);
      }
      CHECK(report.bytes_kept == kept);
      s.put("new", "write after recovery");  // appends right after the last good record
    }
    FileStorage again(path);
    CHECK(again.recovery_report().clean());
    CHECK(again.get("new") == "write after recovery");
  }
}

TEST_CASE("FileStorage: flipped bytes never crash and keep every record before the damage",
          "[storage][file][crash]") {
  TempDir dir(storage_test::memory_backed_temp_root());  // 250 recoveries, most with a side file
  const SampleLog log = make_sample_log(dir);
  const auto path = dir.file("log");
  std::mt19937 rng(20241122);
  for (int round = 0; round < 250; ++round) {
    std::string bytes = log.bytes;
    const int flips = 1 + static_cast<int>(rng() % 3);
    std::uint64_t first = bytes.size();
    for (int f = 0; f < flips; ++f) {
      const std::uint64_t at = 16 + rng() % (bytes.size() - 16);
      bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng() % 255));
      first = std::min(first, at);
    }
    CAPTURE(round, first);
    const std::size_t damaged = record_at(log, first);

    // RecoveryPolicy::fail leaves the file alone.
    write_file(path, bytes);
    FileStorageOptions strict;
    strict.recovery = RecoveryPolicy::fail;
    REQUIRE_THROWS_AS(FileStorage(path, strict), FileStorageError);
    CHECK(read_file(path) == bytes);

    const std::uint64_t kept = log.boundaries[damaged];
    const auto side = path.string() + ".dropped-" + std::to_string(kept);
    {
      FileStorage s(path);
      const auto& report = s.recovery_report();
      CHECK(dump(s) == log.states[damaged]);
      CHECK(report.first_bad_offset == kept);
      CHECK(report.bytes_dropped == log.bytes.size() - kept);
      CHECK(report.records_dropped >= 1);
      CHECK(std::filesystem::file_size(path) == kept);
      // Valid records cut off with the damage are kept beside the log, byte for byte.
      if (report.valid_records_dropped > 0) {
        CHECK(report.dropped_bytes_saved_to == side);
        CHECK(read_file(side) == bytes.substr(kept));
      } else {
        CHECK(report.dropped_bytes_saved_to.empty());
        CHECK_FALSE(std::filesystem::exists(side));
      }
    }
    std::filesystem::remove(side);
  }
}

TEST_CASE("FileStorage: valid records after damage are saved to a side file, not destroyed",
          "[storage][file][crash]") {
  TempDir dir;
  const SampleLog log = make_sample_log(dir);
  const auto path = dir.file("log");
  std::string bytes = log.bytes;
  bytes[log.boundaries[1] + 13] ^= 0x20;  // the key of record 1: a checksum mismatch
  write_file(path, bytes);

  FileStorageOptions strict;
  strict.recovery = RecoveryPolicy::fail;
  REQUIRE_THROWS_WITH(FileStorage(path, strict), rxsync_test::contains("checksum mismatch"));
  CHECK(read_file(path) == bytes);

  FileStorage s(path);
  const auto& report = s.recovery_report();
  CHECK(report.issue == RecoveryIssue::checksum_mismatch);
  CHECK(report.records_dropped == log.boundaries.size() - 2);
  CHECK(report.valid_records_dropped == log.boundaries.size() - 3);
  CHECK(dump(s) == log.states[1]);
  const auto side = path.string() + ".dropped-" + std::to_string(log.boundaries[1]);
  CHECK(report.dropped_bytes_saved_to == side);
  CHECK(read_file(side) == bytes.substr(log.boundaries[1]));
  CHECK_THAT(report.describe(), rxsync_test::contains("saved to"));
}

TEST_CASE("FileStorage: RecoveryPolicy::fail refuses even a torn tail", "[storage][file][crash]") {
  TempDir dir;
  const SampleLog log = make_sample_log(dir);
  const auto path = dir.file("log");
  write_file(path, std::string_view(log.bytes).substr(0, log.bytes.size() - 1));
  FileStorageOptions strict;
  strict.recovery = RecoveryPolicy::fail;
  REQUIRE_THROWS_WITH(FileStorage(path, strict), rxsync_test::contains("torn record"));
  CHECK(read_file(path).size() == log.bytes.size() - 1);
}

TEST_CASE("FileStorage: garbage after a valid header is dropped and reported",
          "[storage][file][crash]") {
  TempDir dir;
  const auto path = dir.file("log");
  std::mt19937 rng(5);
  std::string bytes(std::string("RXSYNCLG\x01\0\0\0\0\0\0\0", 16));
  for (int i = 0; i < 1000; ++i) {
    bytes.push_back(static_cast<char>(rng() & 0xFFu));
  }
  write_file(path, bytes);
  FileStorage s(path);
  CHECK(s.size() == 0);
  CHECK(s.recovery_report().bytes_dropped == 1000);
  CHECK_FALSE(s.recovery_report().clean());
}
