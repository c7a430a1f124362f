#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/outbox.hpp>

#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Box = rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage>;
using rxsync_test::FlakyStorage;

TEST_CASE("put keeps one record per key with a growing version", "[outbox]") {
  rxsync::MemoryStorage storage;
  Box box(storage);
  const auto v1 = box.put("thread-1", "hello");
  const auto v2 = box.put("thread-2", "x");
  const auto v3 = box.put("thread-1", "hello again");
  CHECK(v1 < v2);
  CHECK(v2 < v3);
  CHECK(box.size() == 2);
  auto rec = box.get("thread-1");
  REQUIRE(rec);
  CHECK(rec->value == "hello again");
  CHECK(rec->version == v3);
  CHECK(rec->attempts == 0);
  CHECK_FALSE(box.get("nope"));
}

TEST_CASE("mark_synced removes a record only for its current version", "[outbox]") {
  rxsync::MemoryStorage storage;
  Box box(storage);
  const auto old_version = box.put("k", "edit 1");  // sent to the server...
  const auto new_version = box.put("k", "edit 2");  // ...while the user edits again
  CHECK_FALSE(box.mark_synced("k", old_version));   // the ack for edit 1 must not drop edit 2
  REQUIRE(box.get("k"));
  CHECK(box.get("k")->value == "edit 2");
  CHECK(box.mark_synced("k", new_version));
  CHECK_FALSE(box.get("k"));
  CHECK_FALSE(box.mark_synced("k", new_version));
  CHECK(box.size() == 0);
  // Nothing of the record is left in storage (only the version reservation).
  std::size_t records = 0;
  storage.for_each(
      [&](std::string_view k, std::string_view) { records += k.find("outbox/r/") == 0; });
  CHECK(records == 0);
}

TEST_CASE("failures are counted per version and survive a restart", "[outbox]") {
  rxsync::MemoryStorage storage;
  std::uint64_t version = 0;
  {
    Box box(storage);
    version = box.put("k", "v");
    CHECK(box.record_failure("k", version, "timeout"));
    CHECK(box.record_failure("k", version, "503"));
    CHECK_FALSE(box.record_failure("k", version + 100, "stale"));
    CHECK(box.mark_failed("k", version, "gave up"));
  }
  Box reopened(storage);
  CHECK(reopened.recovery_report().recovered == 1);
  CHECK(reopened.recovery_report().corrupt.empty());
  auto rec = reopened.get("k");
  REQUIRE(rec);
  CHECK(rec->version == version);
  CHECK(rec->attempts == 2);
  CHECK(rec->failed);
  CHECK(rec->last_error == "gave up");
  // A new edit starts a fresh attempt count.
  reopened.put("k", "v2");
  CHECK(reopened.get("k")->attempts == 0);
  CHECK_FALSE(reopened.get("k")->failed);
}

TEST_CASE("versions keep growing across restarts, even when everything was synced", "[outbox]") {
  rxsync::MemoryStorage storage;
  std::uint64_t last = 0;
  for (int run = 0; run < 3; ++run) {
    Box box(storage, rxsync::OutboxOptions{"outbox/", 4});
    for (int i = 0; i < 6; ++i) {
      const auto v = box.put("k" + std::to_string(i), "v");
      CHECK(v > last);
      last = v;
      CHECK(box.mark_synced("k" + std::to_string(i), v));
    }
    CHECK(box.size() == 0);
  }
}

TEST_CASE("pending() lists records oldest first by enqueue time", "[outbox]") {
  rxsync::MemoryStorage storage;
  rxsync::VirtualTimeScheduler clock;
  Box box(storage, clock);
  box.put("a", "1");
  clock.advance_by(1s);
  box.put("b", "1");
  clock.advance_by(1s);
  box.put("a", "2");  // still enqueued at t = 0: its first unsynced edit
  const auto pending = box.pending();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].key == "a");
  CHECK(pending[0].value == "2");
  CHECK(pending[0].enqueued_at == rxsync::TimePoint{});
  CHECK(pending[1].key == "b");
  CHECK(pending[1].enqueued_at == rxsync::TimePoint(1s));
}

TEST_CASE("corrupt records are reported, left untouched, and do not hide valid ones", "[outbox]") {
  rxsync::MemoryStorage storage;
  {
    Box box(storage);
    box.put("good", "value");
    box.put("bad", "value");
    box.put("short", "value");
  }
  const std::string bad_key = "outbox/r/bad";
  std::string bytes = *storage.get(bad_key);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  storage.put(bad_key, bytes);
  storage.put("outbox/r/short", "x");

  Box box(storage);
  CHECK(box.size() == 1);
  CHECK(box.get("good"));
  REQUIRE(box.recovery_report().corrupt.size() == 2);
  CHECK(box.recovery_report().corrupt[0].storage_key == "outbox/r/bad");
  CHECK_THAT(box.recovery_report().corrupt[0].reason, rxsync_test::contains("checksum"));
  CHECK(storage.get(bad_key) == bytes);  // never damaged further
}

TEST_CASE("a failed storage write changes nothing", "[outbox]") {
  FlakyStorage storage;
  rxsync::Outbox<std::string, std::string, FlakyStorage> box(storage);
  const auto v = box.put("k", "v1");
  storage.full = true;
  REQUIRE_THROWS_AS(box.put("k", "v2"), std::runtime_error);
  REQUIRE_THROWS_AS(box.record_failure("k", v, "e"), std::runtime_error);
  CHECK(box.get("k")->value == "v1");
  CHECK(box.get("k")->attempts == 0);
  storage.full = false;
  CHECK(box.put("k", "v3") > v);
}

TEST_CASE("typed keys and values go through the codec, bad options are rejected", "[outbox]") {
  rxsync::MemoryStorage storage;
  {
    rxsync::Outbox<std::uint64_t, double, rxsync::MemoryStorage> box(storage);
    box.put(42, 2.5);
  }
  rxsync::Outbox<std::uint64_t, double, rxsync::MemoryStorage> box(storage);
  REQUIRE(box.get(42));
  CHECK(box.get(42)->value == 2.5);
  REQUIRE_THROWS_WITH(
      (Box(storage, rxsync::OutboxOptions{"x/", 0})),
      rxsync_test::contains("OutboxOptions.version_block must be in [1, 2^32], got 0"));
  // A huge block would wrap the stored reservation, and a restart would reuse versions.
  REQUIRE_THROWS_WITH((Box(storage, rxsync::OutboxOptions{"x/", UINT64_MAX})),
                      rxsync_test::contains("got 18446744073709551615"));
}

TEST_CASE("versions keep growing across restarts with the largest version block", "[outbox]") {
  rxsync::MemoryStorage storage;
  const rxsync::OutboxOptions big{"x/", std::uint64_t{1} << 32};
  std::uint64_t before = 0;
  {
    Box box(storage, big);
    before = box.put("k", "v1");
  }
  Box box(storage, big);
  CHECK(box.put("k", "v2") > before);
}
