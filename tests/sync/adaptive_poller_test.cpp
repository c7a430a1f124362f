#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/sync/adaptive_poller.hpp>

#include "rxsync_catch.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
using rxsync::Duration;
using Poller = rxsync::AdaptivePoller<rxsync::VirtualTimeScheduler>;

namespace {
Duration since_start(const rxsync::VirtualTimeScheduler& s) { return s.now().time_since_epoch(); }
}  // namespace

TEST_CASE("poller options are validated with the option's name and value", "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::AdaptivePollerOptions o;
  SECTION("base") {
    o.base = 0s;
    REQUIRE_THROWS_WITH(Poller(sched, o),
                        rxsync_test::contains("AdaptivePollerOptions.base must be > 0, got 0ms"));
  }
  SECTION("max") {
    o.max = 4s;
    REQUIRE_THROWS_WITH(
        Poller(sched, o),
        rxsync_test::contains("AdaptivePollerOptions.max must be >= base (5000ms), got 4000ms"));
  }
  SECTION("half-life") {
    o.activity_half_life = -1s;
    REQUIRE_THROWS_WITH(Poller(sched, o),
                        rxsync_test::contains("activity_half_life must be > 0, got -1000ms"));
  }
  SECTION("half level") {
    o.activity_half_level = 0.0;
    REQUIRE_THROWS_WITH(Poller(sched, o), rxsync_test::contains("activity_half_level must be > 0"));
  }
  SECTION("busy depth") {
    o.busy_depth = 0;
    REQUIRE_THROWS_WITH(Poller(sched, o), rxsync_test::contains("busy_depth must be >= 1, got 0"));
  }
  SECTION("resolution") {
    o.resolution = 0ns;
    REQUIRE_THROWS_WITH(Poller(sched, o), rxsync_test::contains("resolution must be > 0"));
  }
  SECTION("bad activity weight") {
    Poller p(sched);
    REQUIRE_THROWS_WITH(p.record_activity(-1.0), rxsync_test::contains("weight must be >= 0"));
    CHECK(p.activity_level() == 0.0);
  }
}

// The table in docs/client.md (defaults: base 5 s, max 60 s, half level 1, busy depth 10).
TEST_CASE("interval follows the documented formula", "[adaptive_poller]") {
  struct Row {
    double activity;
    std::size_t depth;
    Duration expected;
  };
  const auto row = GENERATE(Row{0, 0, 60s}, Row{1, 0, 32500ms}, Row{4, 0, 16s}, Row{9, 0, 10500ms},
                            Row{0, 4, 49s}, Row{0, 10, 32500ms}, Row{0, 11, 5s}, Row{0, 1000, 5s},
                            Row{1, 4, 27s}, Row{4, 10, 10500ms});
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  if (row.activity > 0) p.record_activity(row.activity);
  p.set_queue_depth(row.depth);
  CAPTURE(row.activity, row.depth);
  CHECK(p.interval() == row.expected);
}

TEST_CASE("activity decays with the configured half-life", "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  p.record_activity(4.0);
  CHECK(p.interval() == 16s);
  sched.advance_by(30s);  // one half-life: level 2 -> a = 2/3
  CHECK(p.activity_level() == Approx(2.0));
  CHECK(p.interval() == 23300ms);  // 60 - 55 * 2/3 = 23.33 -> 23.3
  sched.advance_by(30s);           // level 1
  CHECK(p.interval() == 32500ms);
  p.record_activity();  // 1 + 1
  CHECK(p.activity_level() == Approx(2.0));
  sched.advance_by(3600s);
  CHECK(p.interval() == 60s);  // back to max
}

TEST_CASE("intervals() emits the current value on subscribe and each change, once",
          "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  std::vector<Duration> seen;
  auto sub = p.intervals().subscribe([&](Duration d) { seen.push_back(d); });
  CHECK(seen == std::vector<Duration>{60s});

  p.set_queue_depth(11);
  p.set_queue_depth(12);  // same interval: nothing new
  sched.advance_by(0s);   // emissions run on the scheduler
  p.set_queue_depth(0);
  sched.advance_by(0s);
  p.set_queue_depth(0);  // no change at all
  p.record_activity();
  sched.advance_by(0s);
  CHECK(seen == std::vector<Duration>{60s, 5s, 60s, 32500ms});

  std::vector<Duration> late;
  auto sub2 = p.intervals().subscribe([&](Duration d) { late.push_back(d); });
  CHECK(late == std::vector<Duration>{32500ms});
  sub.unsubscribe();
  sub2.unsubscribe();
}

TEST_CASE("the poll loop polls at the interval and re-reads it after each poll",
          "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  std::vector<Duration> polls;
  p.start([&] { polls.push_back(since_start(sched)); });
  CHECK(p.running());
  REQUIRE_THROWS_AS(p.start([] {}), std::logic_error);

  sched.advance_by(130s);
  CHECK(polls == std::vector<Duration>{60s, 120s});

  p.set_queue_depth(11);  // busy: the pending poll (due at 180 s) moves to 120 + 5 s = 125 s
  sched.advance_by(0s);
  CHECK(polls.size() == 3);
  CHECK(polls.back() == 130s);  // 125 s has passed: polls at once
  sched.advance_by(5s);
  CHECK(polls.back() == 135s);

  p.set_queue_depth(0);  // slower: takes effect after the pending poll
  sched.advance_by(5s);
  CHECK(polls.back() == 140s);
  sched.advance_by(59s);
  CHECK(polls.back() == 140s);
  sched.advance_by(1s);
  CHECK(polls.back() == 200s);
}

TEST_CASE("activity moves a pending poll earlier and the decayed interval is used next",
          "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  std::vector<Duration> polls;
  std::vector<Duration> seen;
  auto sub = p.intervals().subscribe([&](Duration d) { seen.push_back(d); });
  p.start([&] { polls.push_back(since_start(sched)); });
  sched.advance_by(10s);
  p.record_activity();  // interval 32.5 s from the start of the wait
  sched.advance_by(22s);
  CHECK(polls.empty());
  sched.advance_by(500ms);
  REQUIRE(polls == std::vector<Duration>{32500ms});
  // At 32.5 s the level is 2^(-22.5/30) = 0.5946: a = 0.3729, interval 39.5 s.
  CHECK(p.interval() == 39500ms);
  CHECK(seen.back() == 39500ms);
  sched.advance_by(39500ms);
  CHECK(polls.size() == 2);
  CHECK(polls.back() == 72s);
}

TEST_CASE("stop, poll_now and restart", "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  REQUIRE_THROWS_AS(p.poll_now(), std::logic_error);
  REQUIRE_THROWS_AS(p.start(nullptr), std::invalid_argument);
  int polls = 0;
  p.start([&] { ++polls; });
  sched.advance_by(10s);
  p.poll_now();
  sched.advance_by(0s);
  CHECK(polls == 1);
  sched.advance_by(59s);  // the loop continues from the poll at 10 s
  CHECK(polls == 1);
  sched.advance_by(1s);
  CHECK(polls == 2);

  p.stop();
  CHECK_FALSE(p.running());
  sched.advance_by(600s);
  CHECK(polls == 2);
  CHECK(sched.pending() == 0);

  p.start([&] { polls += 10; });
  sched.advance_by(60s);
  CHECK(polls == 12);
}

TEST_CASE("a poll that stops the poller ends the loop, one that throws keeps it",
          "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  SECTION("stop from inside the poll") {
    Poller p(sched);
    int polls = 0;
    p.start([&] {
      ++polls;
      p.stop();
    });
    sched.advance_by(600s);
    CHECK(polls == 1);
    CHECK(sched.pending() == 0);
  }
  SECTION("throwing poll") {
    Poller p(sched);
    int polls = 0;
    p.start([&] {
      ++polls;
      throw std::runtime_error("boom");
    });
    REQUIRE_THROWS_AS(sched.advance_by(60s), std::runtime_error);
    REQUIRE_THROWS_AS(sched.advance_by(60s), std::runtime_error);  // re-armed despite the throw
    CHECK(polls == 2);
    p.stop();
    sched.advance_by(600s);
    CHECK(polls == 2);
  }
  SECTION("destroying the poller cancels its timer") {
    int polls = 0;
    {
      Poller p(sched);
      p.start([&] { ++polls; });
      p.record_activity();
    }
    sched.advance_by(600s);
    CHECK(polls == 0);
  }
}

TEST_CASE("start_async times the next poll from done() and never overlaps polls",
          "[adaptive_poller]") {
  rxsync::VirtualTimeScheduler sched;
  Poller p(sched);
  std::vector<Duration> polls;
  std::vector<std::function<void()>> dones;
  REQUIRE_THROWS_AS(p.start_async(nullptr), std::invalid_argument);
  p.start_async([&](std::function<void()> done) {
    polls.push_back(since_start(sched));
    dones.push_back(std::move(done));
  });
  sched.advance_by(200s);
  CHECK(polls == std::vector<Duration>{60s});  // still running: no second poll

  p.poll_now();  // while running: once it finishes
  sched.advance_by(0s);
  CHECK(polls.size() == 1);
  dones[0]();
  dones[0]();  // a second done() is ignored
  sched.advance_by(0s);
  CHECK(polls == std::vector<Duration>{60s, 200s});
  sched.advance_by(10s);
  dones[1]();  // finished at 210 s: next at 270 s
  sched.advance_by(59s);
  CHECK(polls.size() == 2);
  sched.advance_by(1s);
  CHECK(polls.back() == 270s);

  p.stop();  // the running poll's done() now belongs to a stopped loop
  p.start_async([&](std::function<void()> done) {
    polls.push_back(since_start(sched) + 1000s);
    done();
  });
  dones[2]();
  sched.advance_by(60s);
  REQUIRE(polls.size() == 4);
  CHECK(polls.back() == 1330s);  // the new loop: 330 s + 1000 s marker
  CHECK(p.interval() == 60s);
}
