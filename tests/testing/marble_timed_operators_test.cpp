// RxJS's own debounceTime / throttleTime marble specs, in run mode (1 frame = 1 ms), run
// against rxsync::ops::debounce / throttle on the TestScheduler.
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/testing/marbles.hpp>

#include <chrono>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;

using rxsync_test::require_ok_and_idle;

TEST_CASE("RxJS debounceTime: should debounce values by 2 frames") {
  TestScheduler ts;
  auto e1 = ts.hot("-a--bc--d---|");
  ts.expect_observable(e1 | ops::debounce(2ms, ts)).to_be("---a---c--d-|");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS debounceTime: should delay all elements by the specified time") {
  TestScheduler ts;
  auto e1 = ts.hot("-a--------b------c----|");
  ts.expect_observable(e1 | ops::debounce(5ms, ts)).to_be("------a--------b------(c|)");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^---------------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS debounceTime: should debounce and delay elements by the specified time") {
  TestScheduler ts;
  auto e1 = ts.hot("-a--(bc)-----------d-------|");
  ts.expect_observable(e1 | ops::debounce(5ms, ts)).to_be("---------c--------------d--|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------------------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS debounceTime: empty, erroring and never-ending sources") {
  TestScheduler ts;
  auto empty = ts.cold("|");
  ts.expect_observable(empty | ops::debounce(1ms, ts)).to_be("|");
  ts.expect_subscriptions(empty.subscriptions()).to_be("(^!)");
  auto failing = ts.hot("-----#");
  ts.expect_observable(failing | ops::debounce(1ms, ts)).to_be("-----#");
  ts.expect_subscriptions(failing.subscriptions()).to_be("^----!");
  auto never = ts.cold("-");
  ts.expect_observable(never | ops::debounce(1ms, ts)).to_be("-");
  ts.expect_subscriptions(never.subscriptions()).to_be("^");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS debounceTime: should allow unsubscribing early and explicitly") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--bc--d----|");
  ts.expect_observable(e1 | ops::debounce(2ms, ts), "-------!").to_be("----a---");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS debounceTime: the pending value is dropped on error, emitted on completion") {
  TestScheduler ts;
  auto failing = ts.hot("-a--------b------c----#");
  ts.expect_observable(failing | ops::debounce(5ms, ts)).to_be("------a--------b------#");
  auto busy = ts.hot("--a--b--c--d--e--f--g--h-|");
  ts.expect_observable(busy | ops::debounce(4ms, ts)).to_be("-------------------------(h|)");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS throttleTime: should immediately emit the first value in each time window") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-x-y----b---x-cx---|");
  ts.expect_observable(e1 | ops::throttle(5ms, ts)).to_be("-a--------b-----c----|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS throttleTime: a busy producer, the window covers t to t + d inclusive") {
  TestScheduler ts;
  // The 'f' at frame 5 falls on the end of the window opened by 'a' at 0: it was queued before
  // the window's timer, so it is still inside the window and dropped.
  auto e1 = ts.hot("abcdefabcdefabcdefabcdefa|");
  ts.expect_observable(e1 | ops::throttle(5ms, ts)).to_be("a-----a-----a-----a-----a|");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS throttleTime: mirrors a slow source, ends with it") {
  TestScheduler ts;
  auto slow = ts.hot("-a--------b-----c----|");
  ts.expect_observable(slow | ops::throttle(5ms, ts)).to_be("-a--------b-----c----|");
  auto failing = ts.hot("-a--(bc)-------d---------------#");
  ts.expect_observable(failing | ops::throttle(5ms, ts)).to_be("-a-------------d---------------#");
  auto endless = ts.hot("-a--(bc)-------d----------------");
  ts.expect_observable(endless | ops::throttle(5ms, ts), "-------------------------------!")
      .to_be("-a-------------d----------------");
  ts.expect_subscriptions(endless.subscriptions()).to_be("^------------------------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS throttleTime: leading and trailing") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-xy-----b--x--cxxx--|");
  const auto t = ts.time("----|");
  ts.expect_observable(e1 | ops::throttle(t, ts, {true, true})).to_be("-a---y----b---x---x---(x|)");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^---------------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS throttleTime: trailing only") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-xy-----b--x--cxxx--|");
  const auto t = ts.time("----|");
  ts.expect_observable(e1 | ops::throttle(t, ts, {false, true}))
      .to_be("-----y--------x---x---(x|)");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: delay shifts values, completion waits only for the last value (RxJS 7)") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--|");
  ts.expect_observable(e1 | ops::delay(3ms, ts)).to_be("-----a--(b|)");
  require_ok_and_idle(ts);
}
