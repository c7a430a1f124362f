// Durations at the edges, as RxJS 7 treats them: debounce and throttle count a negative
// duration as zero (debounceTime's timer and throttleTime's timer() clamp it), interval(0) and
// a negative interval tick as fast as the scheduler runs actions, and buffer_time still rejects
// a period <= 0 (RxJS's bufferTime(0) emits empty arrays forever without letting time move).
#include <chrono>
#include <stdexcept>

#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using namespace std::chrono_literals;
using rx_test::Events;
using rx_test::record;

TEST_CASE("debounce: zero and negative durations emit from an action at the same instant") {
  for (const Duration d : {Duration(0ms), Duration(-5ms)}) {
    VirtualTimeScheduler vts;
    PublishSubject<int> s;
    Events log;
    record(s | ops::debounce(d, vts), log, &vts);
    s.on_next(1);
    s.on_next(2);  // before the action runs: replaces 1
    CHECK(log.empty());
    CHECK(vts.pending() == 1);
    vts.advance_by(0ms);
    vts.advance_by(3ms);
    s.on_next(3);
    s.on_completed();  // the pending value first
    CHECK(log == Events{"0:2", "3:3", "3:C"});
    CHECK(vts.pending() == 0);
  }
}

TEST_CASE("throttle: zero and negative durations close the window at the same instant") {
  for (const Duration d : {Duration(0ms), Duration(-5ms)}) {
    VirtualTimeScheduler vts;
    PublishSubject<int> s;
    Events log;
    record(s | ops::throttle(d, vts), log, &vts);
    s.on_next(1);
    s.on_next(2);  // inside the window until its action runs
    vts.advance_by(0ms);
    s.on_next(3);
    CHECK(log == Events{"0:1", "0:3"});

    Events trailing;
    record(s | ops::throttle(d, vts, {.leading = true, .trailing = true}), trailing, &vts);
    s.on_next(4);
    s.on_next(5);
    s.on_next(6);
    vts.advance_by(0ms);
    CHECK(trailing == Events{"0:4", "0:6"});
  }
}

TEST_CASE("interval: zero and negative periods tick as fast as the scheduler runs actions") {
  for (const Duration d : {Duration(0ms), Duration(-1ms)}) {
    VirtualTimeScheduler vts;
    Events log;
    record(interval(d, vts) | ops::take(3), log, &vts);
    CHECK(log.empty());  // from the scheduler, as every tick
    vts.advance_by(0ms);
    CHECK(log == Events{"0:0", "0:1", "0:2", "0:C"});
    CHECK(vts.pending() == 0);
  }
}

TEST_CASE("buffer_time: a period <= 0 is rejected, naming the option and the value") {
  VirtualTimeScheduler vts;
  REQUIRE_THROWS_AS(ops::buffer_time(0ms, vts), std::invalid_argument);
  REQUIRE_THROWS_WITH(
      ops::buffer_time(0ms, vts),
      rxsync_test::contains("rxsync::ops::buffer_time: period must be > 0, got 0ns"));
  REQUIRE_THROWS_WITH(ops::buffer_time(-1ms, vts),
                      rxsync_test::contains("period must be > 0, got -1000000ns"));
}
