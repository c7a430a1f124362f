// sample, sample_time, audit and audit_time as marble tests (1 frame = 1 ms): RxJS's cases, plus
// errors, empty sources, bad options, early unsubscription (which must leave no timer behind),
// and the subscription not keeping what it no longer needs.
#include <rxsync/rx/operators/sample_audit.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "marble_test_support.hpp"
#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;

using rxsync_test::require_ok_and_idle;

namespace {
std::exception_ptr oops() { return std::make_exception_ptr(std::runtime_error("oops")); }
}  // namespace

TEST_CASE("sample emits the latest value when the notifier emits (RxJS sample)") {
  TestScheduler ts;
  auto e1 = ts.hot("---a----b---c----------d-----|");
  auto e2 = ts.hot("-----x----------x---x------x--|");
  ts.expect_observable(e1 | ops::sample(e2)).to_be("-----a----------c----------d-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----------------------------!");
  ts.expect_subscriptions(e2.subscriptions()).to_be("^----------------------------!");
  // A value at the notifier's frame, sent first, is sampled; the notifier's end ends nothing.
  auto e3 = ts.hot("-a-b-c-d-|");
  auto e4 = ts.hot("---x-|");
  ts.expect_observable(e3 | ops::sample(e4)).to_be("---b-----|");
  require_ok_and_idle(ts);
}

TEST_CASE("sample: errors from either side, completion drops the unsampled value") {
  TestScheduler ts;
  auto e1 = ts.hot("-a---b--#");
  auto e2 = ts.hot("---x-----");
  ts.expect_observable(e1 | ops::sample(e2)).to_be("---a----#");
  auto e3 = ts.hot("-a---b---");
  auto e4 = ts.hot("---x--#");
  ts.expect_observable(e3 | ops::sample(e4)).to_be("---a--#");
  ts.expect_subscriptions(e3.subscriptions()).to_be("^-----!");
  auto e5 = ts.hot("-a---b-|");
  auto e6 = ts.hot("---x----x-");
  ts.expect_observable(e5 | ops::sample(e6)).to_be("---a---|");
  ts.expect_subscriptions(e6.subscriptions()).to_be("^------!");
  auto empty = ts.cold("|");
  auto e7 = ts.hot("-x-");
  ts.expect_observable(empty | ops::sample(e7)).to_be("|");
  // The cold source completes from an action at frame 0, after the notifier was subscribed.
  ts.expect_subscriptions(e7.subscriptions()).to_be("(^!)");
  auto e8 = ts.hot("-a-b---c-|");
  auto e9 = ts.hot("--x--x--x-");
  ts.expect_observable(e8 | ops::sample(e9), "----!").to_be("--a--");
  ts.expect_subscriptions(e9.subscriptions()).to_be("^---!");
  require_ok_and_idle(ts);
}

TEST_CASE("sample_time samples every period from the subscription (RxJS sampleTime)") {
  TestScheduler ts;
  auto e1 = ts.hot("a---b-c---------d--e---f-g-h--|");
  ts.expect_observable(e1 | ops::sample_time(11ms, ts)).to_be("-----------c----------e-------|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^-----------------------------!");
  // Subscribed at frame 3: ticks at 8, 13, 18; the value sent at a tick's frame is sampled.
  auto e2 = ts.hot("--a-b---c-d---e--f|");
  ts.expect_observable(e2 | ops::sample_time(5ms, ts), "---^").to_be("--------c----d----|");
  require_ok_and_idle(ts);
}

TEST_CASE("sample_time: errors, empty and endless sources, unsubscribe, bad period") {
  TestScheduler ts;
  auto failing = ts.hot("-a--b-#");
  ts.expect_observable(failing | ops::sample_time(3ms, ts)).to_be("---a--#");
  auto empty = ts.cold("|");
  ts.expect_observable(empty | ops::sample_time(3ms, ts)).to_be("|");
  auto endless = ts.hot("-a---b--");
  ts.expect_observable(endless | ops::sample_time(3ms, ts), "-------!").to_be("---a--b-");
  require_ok_and_idle(ts);
  CHECK_THROWS_WITH(ops::sample_time(0ms, ts),
                    "rxsync::ops::sample_time: period must be > 0, got 0ns");
  CHECK_THROWS_AS(ops::sample_time(-1ms, ts), std::invalid_argument);
}

TEST_CASE("audit_time emits the last value of each window (RxJS auditTime)") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-x-y----b---x-cx---|");
  // The completion at 21 waits for the window opened at 16 and its last value (RxJS 7).
  ts.expect_observable(e1 | ops::audit_time(5ms, ts)).to_be("------y--------x-----(x|)");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------------------!");
  auto slow = ts.hot("-a-----b----|");
  ts.expect_observable(slow | ops::audit_time(2ms, ts)).to_be("---a-----b--|");
  // A value at the window's closing frame, sent first, is still inside the window.
  auto edge = ts.hot("-a--b-c-|");
  ts.expect_observable(edge | ops::audit_time(3ms, ts)).to_be("----b----(c|)");
  auto zero = ts.hot("-a-b-|");
  ts.expect_observable(zero | ops::audit_time(-5ms, ts)).to_be("-a-b-|");
  require_ok_and_idle(ts);
}

TEST_CASE("audit_time: an error drops the value, empty sources, unsubscribe cancels the timer") {
  TestScheduler ts;
  auto failing = ts.hot("-a--#");
  ts.expect_observable(failing | ops::audit_time(5ms, ts)).to_be("----#");
  auto empty = ts.cold("|");
  ts.expect_observable(empty | ops::audit_time(5ms, ts)).to_be("|");
  auto never = ts.hot("-a--------");
  ts.expect_observable(never | ops::audit_time(5ms, ts), "---!").to_be("----");
  require_ok_and_idle(ts);
}

TEST_CASE("audit(duration_selector): the window ends at the duration's first value (RxJS audit)") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-xy-----b--x--cxyz-|");
  auto e2 = ts.cold("----x");
  ts.expect_observable(e1 | ops::audit([e2](char) { return e2; })).to_be("-----y--------x-----z|");
  ts.expect_subscriptions(e2.subscriptions())
      .to_be({"-^---!", "----------^---!", "----------------^---!"});
  // A duration that completes without a value ends the window without emitting: the value stays
  // for the next window, and a completion of the source then drops it.
  auto e3 = ts.hot("-a----b-----c--d---|");
  auto quiet = ts.cold("--|");
  ts.expect_observable(e3 | ops::audit([quiet](char) { return quiet; }))
      .to_be("-------------------|");
  require_ok_and_idle(ts);
}

TEST_CASE("audit: errors from the selector, the duration and the source, and unsubscribing") {
  TestScheduler ts;
  auto e1 = ts.hot("-a--b--c-|");
  int calls = 0;
  ts.expect_observable(e1 | ops::audit([&calls](char c) -> rxsync::Observable<int> {
                         if (++calls == 1) return rxsync::empty<int>();
                         if (c == 'b') throw std::runtime_error("oops");
                         return rxsync::never<int>();
                       }))
      .to_be("----#", oops());  // a's window never closes; the selector throws for b
  auto e2 = ts.hot("-a--b--c-|");
  auto failing = ts.cold("--#");
  ts.expect_observable(e2 | ops::audit([failing](char) { return failing; })).to_be("---#");
  auto e3 = ts.hot("-a--#");
  ts.expect_observable(e3 | ops::audit([&ts](char) { return rxsync::timer(10ms, ts); }))
      .to_be("----#");
  auto e4 = ts.hot("-a-b-----");
  auto long_window = ts.cold("-----x");
  ts.expect_observable(e4 | ops::audit([long_window](char) { return long_window; }), "---!")
      .to_be("----");
  ts.expect_subscriptions(long_window.subscriptions()).to_be("-^-!");
  require_ok_and_idle(ts);
}

// audit keeps its selector for the windows to come. A selector that holds the duration source (a
// subject captured by value) would close a loop through the subject's node for the subscriber, so
// the state must drop the selector once the subscription has ended.
TEST_CASE("audit: an ended subscription does not keep its selector's subject alive") {
  for (const bool unsubscribe : {true, false}) {
    auto witness = std::make_shared<int>(0);
    const std::weak_ptr<int> weak = witness;
    {
      rxsync::PublishSubject<int> src;
      rxsync::PublishSubject<int> windows;
      rx_test::Events log;
      auto sub =
          rx_test::record(src | ops::audit([windows, witness](int) { return windows; }), log);
      witness.reset();
      src.on_next(1);
      windows.on_next(0);
      src.on_next(2);  // a window is open
      if (unsubscribe) {
        sub.unsubscribe();
      } else {
        src.on_error(rx_test::boom());
      }
      CHECK(log == (unsubscribe ? rx_test::Events{"1"} : rx_test::Events{"1", "E:boom"}));
    }
    CHECK(weak.expired());
  }
}
