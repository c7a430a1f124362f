#include <rxsync/storage/file_storage.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <system_error>

#include "storage_test_support.hpp"

using rxsync::FileStorage;
using rxsync::FileStorageError;
using rxsync::FileStorageOptions;
using rxsync::RecoveryIssue;
using storage_test::dump;
using storage_test::Model;
using storage_test::read_file;
using storage_test::TempDir;
using storage_test::write_file;

namespace {
FileStorageOptions no_auto_compaction() {
  FileStorageOptions o;
  o.auto_compact = false;
  return o;
}
}  // namespace

TEST_CASE("crc32c matches the published check values", "[storage][crc32c]") {
  using namespace std::string_literals;
  CHECK(rxsync::crc32c("123456789") == 0xE3069283u);
  CHECK(rxsync::crc32c("") == 0u);
  CHECK(rxsync::crc32c(std::string(32, '\0')) == 0x8A9136AAu);  // RFC 3720 B.4
  CHECK(rxsync::crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
  const std::string text = "The quick brown fox jumps over the lazy dog, twice over\0!"s;
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {  // any split gives the same crc
    const auto first = rxsync::crc32c_extend(0, text.data(), cut);
    CHECK(rxsync::crc32c_extend(first, text.data() + cut, text.size() - cut) ==
          rxsync::crc32c(text));
  }
}

TEST_CASE("FileStorage: Storage conformance", "[storage][file]") {
  TempDir dir;
  int n = 0;
  storage_test::check_storage_conformance(
      [&] { return std::make_unique<FileStorage>(dir.file("log" + std::to_string(n++))); });
}

TEST_CASE("FileStorage: reopen round trip, with and without group commit", "[storage][file]") {
  TempDir dir;
  FileStorageOptions options;
  options.sync_every_writes = GENERATE(std::size_t{1}, std::size_t{16}, std::size_t{0});
  options.compact_min_garbage_bytes = 0;  // compactions happen along the way too
  const auto path = dir.file("log");
  storage_test::check_reopen_round_trip(
      [&] { return std::make_unique<FileStorage>(path, options); });
  FileStorage s(path, options);
  CHECK(s.recovery_report().clean());
  CHECK_FALSE(s.recovery_report().created);
}

TEST_CASE("FileStorage: a new file starts with the versioned header", "[storage][file]") {
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path);
    CHECK(s.recovery_report().created);
    CHECK(s.recovery_report().clean());
    CHECK(s.size() == 0);
  }
  CHECK(read_file(path) == std::string("RXSYNCLG\x01\0\0\0\0\0\0\0", 16));
}

TEST_CASE("FileStorage: bad options are rejected naming the option and value", "[storage][file]") {
  TempDir dir;
  FileStorageOptions o;
  o.compact_garbage_ratio = GENERATE(0.0, -0.5, 1.5, std::nan(""));
  REQUIRE_THROWS_AS(FileStorage(dir.file("log"), o), std::invalid_argument);
  REQUIRE_THROWS_WITH(
      FileStorage(dir.file("log"), o),
      rxsync_test::contains("FileStorageOptions.compact_garbage_ratio must be in (0, 1]"));
  CHECK_FALSE(std::filesystem::exists(dir.file("log")));  // validated before touching the disk

  FileStorageOptions r;
  r.recovery = static_cast<rxsync::RecoveryPolicy>(7);
  REQUIRE_THROWS_WITH(
      FileStorage(dir.file("log"), r),
      rxsync_test::contains("FileStorageOptions.recovery is not a RecoveryPolicy, got 7"));
}

TEST_CASE("FileStorage: create_if_missing = false refuses a missing file", "[storage][file]") {
  TempDir dir;
  FileStorageOptions o;
  o.create_if_missing = false;
  try {
    FileStorage s(dir.file("absent"), o);
    FAIL("opened a missing file");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
    CHECK_THAT(e.what(), rxsync_test::contains("absent"));
  }
}

TEST_CASE("FileStorage: a second opener in this process gets a clear error",
          "[storage][file][lock]") {
  TempDir dir;
  const auto path = dir.file("log");
  auto first = std::make_unique<FileStorage>(path);
  first->put("k", "v");
  auto open_again = [&] { FileStorage second(path); };

  SECTION("same process") {
    REQUIRE_THROWS_AS(open_again(), std::system_error);
    REQUIRE_THROWS_WITH(open_again(), rxsync_test::contains("is already open"));
    REQUIRE_THROWS_WITH(open_again(), rxsync_test::contains(path.string()));
  }
  SECTION("same process, after a compaction replaced the file") {
    first->compact();
    REQUIRE_THROWS_WITH(open_again(), rxsync_test::contains("is already open"));
  }
  // The failed attempts did not disturb the holder, and closing it frees the file.
  first->put("k2", "v2");
  first.reset();
  FileStorage reopened(path);
  CHECK(dump(reopened) == Model{{"k", "v"}, {"k2", "v2"}});
}

TEST_CASE("FileStorage: group commit syncs every N writes or on sync()", "[storage][file]") {
  TempDir dir;
  FileStorageOptions o = no_auto_compaction();
  o.sync_every_writes = 3;
  FileStorage s(dir.file("log"), o);
  s.put("a", "1");
  s.put("b", "2");
  CHECK(s.stats().unsynced_writes == 2);
  CHECK(s.stats().syncs == 0);
  s.erase("a");
  CHECK(s.stats().unsynced_writes == 0);
  CHECK(s.stats().syncs == 1);
  s.put("c", "3");
  s.sync();
  CHECK(s.stats().unsynced_writes == 0);
  CHECK(s.stats().syncs == 2);
  s.sync();  // nothing pending: no extra fdatasync
  CHECK(s.stats().syncs == 2);
  CHECK_FALSE(s.erase("a"));  // erasing a missing key writes nothing
  CHECK(s.stats().writes == 4);

  o.sync_every_writes = 1;
  FileStorage every(dir.file("log2"), o);
  every.put("a", "1");
  every.put("a", "2");
  CHECK(every.stats().syncs == 2);
  CHECK(every.stats().unsynced_writes == 0);
}

TEST_CASE("FileStorage: explicit compaction keeps exactly the live records", "[storage][file]") {
  TempDir dir;
  const auto path = dir.file("log");
  Model model;
  {
    FileStorageOptions o = no_auto_compaction();
    o.sync_every_writes = 0;
    FileStorage s(path, o);
    for (int i = 0; i < 500; ++i) {
      const std::string key = "k" + std::to_string(i % 37);
      s.put(key, std::string(static_cast<std::size_t>(i % 50), 'v'));
      model[key] = std::string(static_cast<std::size_t>(i % 50), 'v');
    }
    s.erase("k3");
    model.erase("k3");
    const auto before = s.stats();
    CHECK(before.garbage_bytes > before.live_bytes);
    CHECK(before.unsynced_writes == 501);
    s.compact();
    const auto after = s.stats();
    CHECK(after.garbage_bytes == 0);
    CHECK(after.live_bytes == before.live_bytes);
    CHECK(after.file_bytes == after.live_bytes + 16);
    CHECK(after.unsynced_writes == 0);  // the compacted file is synced
    CHECK(after.compactions == 1);
    CHECK(std::filesystem::file_size(path) == after.file_bytes);
    CHECK_FALSE(std::filesystem::exists(s.compaction_path()));
    CHECK(dump(s) == model);
    s.put("post", "compaction");  // appends go to the new file
    model["post"] = "compaction";
  }
  FileStorage s(path);
  CHECK(s.recovery_report().clean());
  CHECK(dump(s) == model);
}

TEST_CASE("FileStorage: automatic compaction bounds the file by the garbage ratio",
          "[storage][file]") {
  TempDir dir;
  FileStorageOptions o;
  o.sync_every_writes = 0;
  o.compact_garbage_ratio = 0.5;
  o.compact_min_garbage_bytes = 4096;
  FileStorage s(dir.file("log"), o);
  for (int i = 0; i < 3000; ++i) {
    s.put("k" + std::to_string(i % 10), std::string(100, static_cast<char>('a' + i % 26)));
    const auto st = s.stats();
    REQUIRE(st.file_bytes <= 2 * (st.live_bytes + 16) + 4096 + 200);
  }
  CHECK(s.stats().compactions > 10);
  CHECK(s.size() == 10);

  FileStorageOptions off = o;
  off.auto_compact = false;
  FileStorage never(dir.file("log2"), off);
  for (int i = 0; i < 300; ++i) {
    never.put("k", std::string(100, 'x'));
  }
  CHECK(never.stats().compactions == 0);
}

TEST_CASE("FileStorage: a temp file left by a crash mid-compaction is ignored and removed",
          "[storage][file]") {
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path, no_auto_compaction());
    s.put("a", "1");
    s.put("a", "2");
    s.put("b", "3");
  }
  const std::string log = read_file(path);
  // A crash before the rename leaves a partial copy beside the log; it must never be read.
  write_file(path.string() + ".compact", log.substr(0, 16) + "half a record");
  FileStorage s(path);
  CHECK(s.recovery_report().removed_stale_compaction);
  CHECK(s.recovery_report().clean());
  CHECK(dump(s) == Model{{"a", "2"}, {"b", "3"}});
  CHECK_FALSE(std::filesystem::exists(path.string() + ".compact"));
}

TEST_CASE("FileStorage: a failed compaction leaves the old log in use", "[storage][file]") {
  TempDir dir;
  const auto path = dir.file("log");
  FileStorageOptions o;
  o.compact_min_garbage_bytes = 0;
  o.compact_garbage_ratio = 0.5;
  FileStorage s(path, o);
  s.put("a", "1");
  // A directory where the temp file goes makes creating it fail (EISDIR on POSIX,
  // ERROR_ACCESS_DENIED on Windows).
  std::filesystem::create_directory(s.compaction_path());
  std::error_code failure;
  try {
    s.compact();
    FAIL("compacted into a directory");
  } catch (const std::system_error& e) {
    failure = e.code();
  }
  CHECK((failure == std::errc::is_a_directory || failure == std::errc::permission_denied));
  for (int i = 0; i < 20; ++i) {
    s.put("a", std::to_string(i));  // triggers automatic compaction, which fails quietly
  }
  const auto st = s.stats();
  CHECK(st.compaction_failures >= 1);
  CHECK(st.last_compaction_error == failure);
  CHECK(st.compactions == 0);
  CHECK(s.get("a") == "19");
  std::filesystem::remove(s.compaction_path());
  s.compact();
  CHECK(s.stats().compactions == 1);
  CHECK(s.get("a") == "19");
}

TEST_CASE("FileStorage: calling back into the storage from for_each throws", "[storage][file]") {
  TempDir dir;
  FileStorage s(dir.file("log"));
  s.put("a", "1");
  REQUIRE_THROWS_AS(s.for_each([&](std::string_view, std::string_view) { s.put("b", "2"); }),
                    std::logic_error);
  REQUIRE_THROWS_WITH(s.for_each([&](std::string_view k, std::string_view) { (void)s.get(k); }),
                      rxsync_test::contains("inside for_each"));
  s.put("b", "2");  // the guard is released after the throw
  CHECK(s.size() == 2);
}

TEST_CASE("FileStorage: files that are not a usable log are refused and left untouched",
          "[storage][file]") {
  using namespace std::string_literals;
  TempDir dir;
  const auto path = dir.file("log");
  const std::string contents = GENERATE("not a log at all, just some text"s,
                                        "RXSYNC"s + "x"s,                  // bad prefix
                                        "RXSYNCLG\x02\0\0\0\0\0\0\0"s,     // newer version
                                        "RXSYNCLG\x01\0\0\0\x01\0\0\0"s);  // unknown flags
  write_file(path, contents);
  write_file(path.string() + ".compact", "a neighbour that is not ours");
  REQUIRE_THROWS_AS(FileStorage(path), FileStorageError);
  CHECK(read_file(path) == contents);
  CHECK(read_file(path.string() + ".compact") == "a neighbour that is not ours");
  try {
    FileStorage s(path);
  } catch (const FileStorageError& e) {
    CHECK(e.path() == path);
    CHECK_THAT(e.what(), rxsync_test::contains(path.string()));
  }
}

TEST_CASE("FileStorage: a partial header from a crash during creation is rewritten",
          "[storage][file]") {
  TempDir dir;
  const auto path = dir.file("log");
  write_file(path, std::string("RXSYNCLG\x01\0", 10));
  FileStorage s(path);
  CHECK(s.recovery_report().created);
  s.put("k", "v");
  CHECK(s.get("k") == "v");
}

TEST_CASE("FileStorage: oversized length fields are bounded by the file size", "[storage][file]") {
  using namespace std::string_literals;
  TempDir dir;
  const auto path = dir.file("log");
  // A record header claiming 4 GiB keys and values, in a 29-byte file.
  write_file(path, "RXSYNCLG\x01\0\0\0\0\0\0\0"s + "\0\0\0\0\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF"s);
  FileStorage s(path);
  CHECK(s.size() == 0);
  CHECK(s.recovery_report().issue == RecoveryIssue::torn_record);
  CHECK(s.recovery_report().bytes_dropped == 13);
  CHECK(s.recovery_report().records_dropped == 1);
  CHECK(std::filesystem::file_size(path) == 16);
}

// On Windows the path reaches CreateFileW and MoveFileExW as UTF-16 and messages spell it in
// UTF-8; everywhere, the names FileStorage derives from it (compaction, side files) keep it.
TEST_CASE("FileStorage: a log with a non-ASCII name compacts, recovers and names itself",
          "[storage][file]") {
  TempDir dir;
  const std::filesystem::path path =
      dir.path() / std::filesystem::path(u8"\u0436\u0443\u0440\u043d\u0430\u043b-\u00fc.log");
  const std::u8string name = path.filename().u8string();
  {
    FileStorage s(path);
    s.put("a", "1");
    s.put("a", "2");
    s.compact();
    CHECK(s.compaction_path().filename().u8string() == name + u8".compact");
    s.put("b", "3");
    s.put("c", "4");
  }
  std::string bytes = read_file(path);
  REQUIRE(bytes.size() == 16 + 3 * 15);
  bytes[16 + 15 + 14] ^= 0x01;  // the value of "b": "c" follows, valid
  write_file(path, bytes);
  FileStorage s(path);
  CHECK(dump(s) == Model{{"a", "2"}});
  const auto& side = s.recovery_report().dropped_bytes_saved_to;
  CHECK(side.filename().u8string() == name + u8".dropped-31");
  CHECK(std::filesystem::exists(side));
  const std::u8string utf8 = path.u8string();
  CHECK_THAT(s.recovery_report().describe(),
             rxsync_test::contains(std::string(utf8.begin(), utf8.end())));
  REQUIRE_THROWS_WITH(FileStorage(path),
                      rxsync_test::contains(std::string(utf8.begin(), utf8.end())));
}
