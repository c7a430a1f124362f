#include <rxsync/storage/periodic_sync.hpp>

#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/file_storage.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "storage_test_support.hpp"

using namespace std::chrono_literals;
using rxsync::VirtualTimeScheduler;

TEST_CASE("sync_periodically bounds how long a write stays unsynced", "[storage][sync]") {
  storage_test::TempDir dir;
  rxsync::FileStorageOptions o;
  o.sync_every_writes = 0;
  rxsync::FileStorage s(dir.file("log"), o);
  VirtualTimeScheduler sched;
  auto timer = rxsync::sync_periodically(sched, s, 10ms);

  s.put("a", "1");
  s.put("b", "2");
  sched.advance_by(9ms);
  CHECK(s.stats().unsynced_writes == 2);
  sched.advance_by(1ms);
  CHECK(s.stats().unsynced_writes == 0);
  CHECK(s.stats().syncs == 1);
  sched.advance_by(10ms);  // nothing pending: the tick costs no fdatasync
  CHECK(s.stats().syncs == 1);
  s.put("c", "3");
  sched.advance_by(10ms);
  CHECK(s.stats().unsynced_writes == 0);
  CHECK(s.stats().syncs == 2);

  timer.unsubscribe();
  CHECK(sched.pending() == 0);
  s.put("d", "4");
  sched.advance_by(100ms);
  CHECK(s.stats().unsynced_writes == 1);
}

TEST_CASE("sync_periodically reports a failing sync and stops", "[storage][sync]") {
  struct Failing {
    int calls = 0;
    void sync() {
      if (++calls == 2) {
        throw std::runtime_error("disk on fire");
      }
    }
  } target;
  VirtualTimeScheduler sched;
  std::string reported;
  auto timer = rxsync::sync_periodically(sched, target, 5ms, [&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reported = ex.what();
    }
  });
  sched.advance_by(50ms);
  CHECK(target.calls == 2);
  CHECK(reported == "disk on fire");
  CHECK(sched.pending() == 0);
  timer.unsubscribe();  // still fine after the timer stopped itself
}

TEST_CASE("sync_periodically rejects a non-positive interval", "[storage][sync]") {
  struct Noop {
    void sync() {}
  } target;
  VirtualTimeScheduler sched;
  REQUIRE_THROWS_WITH((void)rxsync::sync_periodically(sched, target, 0ms),
                      rxsync_test::contains("interval must be > 0, got 0ns"));
  REQUIRE_THROWS_AS((void)rxsync::sync_periodically(sched, target, -1ms), std::invalid_argument);
}
