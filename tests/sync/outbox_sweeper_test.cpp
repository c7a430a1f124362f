#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/outbox.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>

#include "rxsync_catch.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using Box = rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage>;
using Sweeper = rxsync::OutboxSweeper<Box, rxsync::VirtualTimeScheduler>;

namespace {
rxsync::SweeperOptions options() {
  rxsync::SweeperOptions o;
  o.interval = 10s;
  o.min_age = 15s;
  o.max_attempts = 3;
  o.in_flight_timeout = 60s;
  return o;
}
}  // namespace

TEST_CASE("the sweeper re-offers unsynced records that are old enough and not in flight",
          "[sweeper]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::MemoryStorage storage;
  Box box(storage, sched);
  std::vector<std::string> offered;
  Sweeper sweeper(
      box, sched, [&](const Box::Record& r) { offered.push_back(r.key + "@" + r.value); },
      options());
  sweeper.start();

  box.put("turn-1", "hi");
  sched.advance_by(10s);  // first sweep: 10 s old, younger than min_age: the fast path's business
  CHECK(offered.empty());
  sched.advance_by(10s);  // 20 s old: offered
  CHECK(offered == std::vector<std::string>{"turn-1@hi"});
  sched.advance_by(10s);  // still in flight (no news): not offered twice
  CHECK(offered.size() == 1);

  const auto version = box.get("turn-1")->version;
  box.record_failure("turn-1", version, "timeout");
  sched.advance_by(10s);  // news: failed once -> offered again
  CHECK(offered.size() == 2);

  box.mark_synced("turn-1", version);
  sched.advance_by(30s);
  CHECK(offered.size() == 2);
  sweeper.stop();
  CHECK(sched.pending() == 0);
}

TEST_CASE("a record that keeps failing is marked failed, reported and kept", "[sweeper]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::MemoryStorage storage;
  Box box(storage, sched);
  int offers = 0;
  Sweeper sweeper(
      box, sched,
      [&](const Box::Record& r) {
        ++offers;
        box.record_failure(r.key, r.version, "HTTP 503");
      },
      options());
  std::vector<Box::Record> failures;
  auto sub = sweeper.failures().subscribe([&](const Box::Record& r) { failures.push_back(r); });

  box.put("turn-7", "bye");
  sched.advance_by(20s);
  for (int i = 0; i < 6; ++i) sweeper.sweep();
  CHECK(offers == 3);  // max_attempts
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].key == "turn-7");
  CHECK(failures[0].failed);
  CHECK_THAT(failures[0].last_error,
             rxsync_test::contains("gave up after 3 attempts; last error: HTTP 503"));
  auto rec = box.get("turn-7");
  REQUIRE(rec);  // never deleted
  CHECK(rec->failed);

  // A new edit of the key resets the failed flag and the attempts: it is swept again (at once:
  // its enqueue time is that of the first unsynced edit, long past min_age).
  box.put("turn-7", "edited");
  CHECK(sweeper.sweep() == 1);
  CHECK(offers == 4);
}

TEST_CASE("an offer with no news is re-offered after the in-flight timeout", "[sweeper]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::MemoryStorage storage;
  Box box(storage, sched);
  int offers = 0;
  Sweeper sweeper(box, sched, [&](const Box::Record&) { ++offers; }, options());
  box.put("k", "v");
  sched.advance_by(20s);
  CHECK(sweeper.sweep() == 1);
  sched.advance_by(59s);
  CHECK(sweeper.sweep() == 0);
  sched.advance_by(1s);
  CHECK(sweeper.sweep() == 1);
  CHECK(offers == 2);
}

TEST_CASE("an offer that throws neither hides give-ups nor stops the sweeper", "[sweeper]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::MemoryStorage storage;
  Box box(storage, sched);
  std::vector<std::string> offers;
  bool fail_next = true;
  rxsync::SweeperOptions o = options();
  o.min_age = 0s;
  o.max_attempts = 1;
  Sweeper sweeper(
      box, sched,
      [&](const Box::Record& r) {
        offers.push_back(r.key);
        if (std::exchange(fail_next, false)) throw std::runtime_error("transient send error");
      },
      o);
  std::vector<std::string> failures;
  auto sub = sweeper.failures().subscribe([&](const Box::Record& r) { failures.push_back(r.key); });
  sweeper.start();
  const auto v = box.put("dead", "x");
  box.record_failure("dead", v, "rejected");  // at the cap: given up by the next sweep
  box.put("fresh", "y");
  REQUIRE_THROWS_WITH(sched.advance_by(10s), "transient send error");
  CHECK(failures == std::vector<std::string>{"dead"});
  sched.advance_by(10s);  // the next sweep still runs and offers "fresh" again
  CHECK(offers == std::vector<std::string>{"fresh", "fresh"});
  CHECK(sched.pending() == 1);
}

TEST_CASE("sweeper options are validated", "[sweeper]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::MemoryStorage storage;
  Box box(storage);
  auto make = [&](rxsync::SweeperOptions o) {
    Sweeper s(box, sched, [](const Box::Record&) {}, o);
  };
  auto o = options();
  o.interval = 0s;
  REQUIRE_THROWS_WITH(make(o),
                      rxsync_test::contains("SweeperOptions.interval must be > 0, got 0ns"));
  o = options();
  o.max_attempts = 0;
  REQUIRE_THROWS_WITH(make(o), rxsync_test::contains("SweeperOptions.max_attempts"));
  o = options();
  o.min_age = -1s;
  REQUIRE_THROWS_AS(make(o), std::invalid_argument);
}
