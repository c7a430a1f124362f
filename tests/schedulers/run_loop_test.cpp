// RunLoop on one thread: the loop runs inside the test's own run*() calls. Timed actions use
// delays of a few milliseconds, which the loop waits out itself; the tests never sleep.
// Cross-thread behaviour is in run_loop_mt_test.cpp.
#include <rxsync/schedulers/run_loop.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Duration;
using rxsync::RunLoop;
using rxsync::Subscription;
using rxsync::TimePoint;

namespace {

struct Record {
  std::vector<int>* log;
  int id;
  void operator()() const { log->push_back(id); }
};

}  // namespace

TEST_CASE("RunLoop: now() follows steady_clock", "[schedulers][run_loop]") {
  RunLoop loop;
  const TimePoint a = loop.now();
  const TimePoint b = RunLoop::clock_now();
  CHECK(a <= b);
  CHECK(a > TimePoint{});
}

TEST_CASE("RunLoop: run_until_idle runs immediate and timed actions in order",
          "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  loop.schedule(Record{&log, 1});
  // Absolute times from one reading of the clock, so a preempted test thread cannot reorder them.
  const TimePoint start = loop.now();
  loop.schedule_at(start + 40ms, Record{&log, 4});
  loop.schedule_at(start + 20ms, Record{&log, 2});
  loop.schedule_at(start + 20ms, Record{&log, 3});  // ties with 2: runs after it
  CHECK(loop.pending() == 4);

  loop.run_until_idle();
  CHECK(log == std::vector<int>{1, 2, 3, 4});
  CHECK(loop.pending() == 0);
  CHECK(loop.now() - start >= 40ms);  // it waited for the timed ones instead of dropping them
}

TEST_CASE("RunLoop: run_until_idle returns at once when nothing is queued",
          "[schedulers][run_loop]") {
  RunLoop loop;
  loop.run_until_idle();
  auto sub = loop.schedule([] {});
  sub.unsubscribe();
  loop.run_until_idle();  // a cancelled action does not keep it waiting
  CHECK(loop.pending() == 0);
}

TEST_CASE("RunLoop: actions scheduled by actions run in the same call", "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  loop.schedule([&] {
    log.push_back(1);
    loop.schedule(Record{&log, 2});
    loop.schedule_after(1ms, [&] {
      log.push_back(3);
      loop.schedule(Record{&log, 4});
    });
  });
  loop.run_until_idle();
  CHECK(log == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("RunLoop: run_for runs what falls due and returns after the duration",
          "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  const TimePoint start = loop.now();
  loop.schedule(Record{&log, 1});
  loop.schedule_after(1ms, Record{&log, 2});
  auto far = loop.schedule_after(1h, Record{&log, 3});

  loop.run_for(20ms);
  CHECK(log == std::vector<int>{1, 2});
  CHECK(loop.now() - start >= 20ms);
  CHECK(loop.pending() == 1);
  CHECK(far.is_subscribed());

  SECTION("a zero or negative duration still runs what is already due") {
    loop.schedule(Record{&log, 4});
    loop.run_for(0ms);
    CHECK(log == std::vector<int>{1, 2, 4});
    loop.schedule(Record{&log, 5});
    loop.run_for(-1s);
    CHECK(log == std::vector<int>{1, 2, 4, 5});
    CHECK(loop.pending() == 1);
  }
}

TEST_CASE("RunLoop: stop() from an action", "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  loop.schedule(Record{&log, 1});
  loop.schedule([&] {
    log.push_back(2);
    loop.stop();
    log.push_back(3);  // stop() does not interrupt the running action
  });
  loop.schedule(Record{&log, 4});

  loop.run();  // would block forever without the stop
  CHECK(log == std::vector<int>{1, 2, 3});
  CHECK(loop.pending() == 1);  // queued actions stay queued

  loop.run_until_idle();  // a stop is consumed by the call it stopped
  CHECK(log == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("RunLoop: stop() before run makes the next call return at once",
          "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  loop.stop();
  loop.schedule(Record{&log, 1});
  loop.run();
  CHECK(log.empty());
  CHECK(loop.pending() == 1);

  loop.run_until_idle();
  CHECK(log == std::vector<int>{1});
}

TEST_CASE("RunLoop: cancellation before and during a run", "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  auto dropped = loop.schedule(Record{&log, 1});
  Subscription victim;
  loop.schedule([&] {
    log.push_back(2);
    victim.unsubscribe();
  });
  victim = loop.schedule(Record{&log, 3});
  Subscription self;
  self = loop.schedule([&] {
    self.unsubscribe();
    log.push_back(4);
  });
  auto timed = loop.schedule_after(2ms, Record{&log, 5});
  dropped.unsubscribe();
  CHECK(loop.pending() == 4);

  loop.run_until_idle();
  CHECK(log == std::vector<int>{2, 4, 5});
  CHECK_FALSE(self.is_subscribed());
  CHECK_FALSE(timed.is_subscribed());  // it ran
  CHECK(loop.pending() == 0);
}

TEST_CASE("RunLoop: a negative delay runs after actions already due", "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  loop.schedule(Record{&log, 1});
  loop.schedule_after(-1s, Record{&log, 2});
  loop.schedule_after(Duration::min(), Record{&log, 3});
  loop.schedule(Record{&log, 4});
  loop.run_until_idle();
  CHECK(log == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("RunLoop: a time in the past runs after actions already due", "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  loop.schedule(Record{&log, 1});
  loop.schedule_at(loop.now() - 1s, Record{&log, 2});
  loop.schedule_at(TimePoint::min(), Record{&log, 3});
  loop.run_until_idle();
  CHECK(log == std::vector<int>{1, 2, 3});
}

TEST_CASE("RunLoop: a delay of Duration::max() means never", "[schedulers][run_loop]") {
  RunLoop loop;
  bool ran = false;
  loop.schedule_after(Duration::max(), [&] { ran = true; });
  loop.run_for(1ms);
  CHECK_FALSE(ran);
  CHECK(loop.pending() == 1);
}

TEST_CASE("RunLoop: an action's exception propagates and the loop stays usable",
          "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  auto failing = loop.schedule([] { throw std::runtime_error("action failed"); });
  loop.schedule(Record{&log, 1});
  REQUIRE_THROWS_WITH(loop.run_until_idle(), rxsync_test::contains("action failed"));
  CHECK(log.empty());
  CHECK_FALSE(failing.is_subscribed());
  CHECK(loop.pending() == 1);
  loop.run_until_idle();
  CHECK(log == std::vector<int>{1});
}

TEST_CASE("RunLoop: shutdown refuses later actions and releases them unrun",
          "[schedulers][run_loop]") {
  RunLoop loop;
  CHECK_FALSE(loop.is_shut_down());
  loop.shutdown();
  CHECK(loop.is_shut_down());

  int runs = 0;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  auto sub = loop.schedule([&runs, r = std::move(resource)] { ++runs; });
  CHECK_FALSE(sub.is_subscribed());
  CHECK(sub == Subscription{});  // an empty handle: nothing was queued
  CHECK(watch.expired());        // the captures are gone at once
  CHECK_FALSE(loop.schedule_at(loop.now(), [] {}).is_subscribed());
  CHECK_FALSE(loop.schedule_after(1ms, [] {}).is_subscribed());
  CHECK(loop.pending() == 0);

  loop.run();  // returns at once on a retired loop
  loop.run_until_idle();
  loop.run_for(1h);
  CHECK(runs == 0);
  loop.shutdown();  // idempotent
  CHECK(loop.is_shut_down());
}

TEST_CASE("RunLoop: shutdown runs what is due, drops what is not", "[schedulers][run_loop]") {
  RunLoop loop;
  std::vector<int> log;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  auto later = loop.schedule_after(1h, [r = std::move(resource)] { ++*r; });
  CHECK(later.is_subscribed());

  SECTION("from inside an action") {
    loop.schedule([&] {
      log.push_back(1);
      loop.shutdown();
      CHECK_FALSE(loop.schedule(Record{&log, 9}).is_subscribed());
    });
    loop.schedule(Record{&log, 2});
  }
  SECTION("before the loop ran") {
    loop.schedule(Record{&log, 1});
    loop.schedule(Record{&log, 2});
    loop.shutdown();
    CHECK(loop.pending() == 3);  // still queued until a run*() call drains them
  }
  loop.run();
  CHECK(log == std::vector<int>{1, 2});
  CHECK(loop.pending() == 0);
  CHECK_FALSE(later.is_subscribed());
  CHECK(watch.expired());
}

TEST_CASE("RunLoop: destruction releases queued actions without running them",
          "[schedulers][run_loop]") {
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  Subscription sub;
  {
    RunLoop loop;
    sub = loop.schedule([r = std::move(resource)] { ++*r; });
  }
  CHECK(watch.expired());
  CHECK_FALSE(sub.is_subscribed());
  sub.unsubscribe();
}
