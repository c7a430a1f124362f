// Marble tests (run mode, 1 frame = 1 ms) for the time-based operators and sources not covered
// by marble_timed_operators_test.cpp: buffer_time, timeout, observe_on, interval, timer,
// retry_with_backoff, plus the error / early-unsubscription / re-entrancy / same-frame-tie cases
// of debounce, throttle and delay. Where RxJS 7 has a spec, the diagrams are its diagrams.
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <vector>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;

using rxsync_test::require_ok_and_idle;

namespace {

using Batch = std::vector<char>;
using Ticks = std::map<char, std::size_t>;
using CharSubject = rxsync::PublishSubject<char>;

std::exception_ptr timeout_error() { return std::make_exception_ptr(rxsync::TimeoutError()); }

// Re-entrancy harness: `src` feeds `in` from frame 0; `make_chain(in)` is subscribed at frame 0
// by a subscriber that forwards everything to the returned `out` subject (which the test
// expects on) and, each time it receives `trigger`, sends `echo` back into `in` from inside its
// own on_next. `in` is captured by value on purpose: the subscriber then holds the subject it
// listens to, and a subscription that ends while the subject lives on (the timeout test below)
// must release its callbacks so that cycle is freed (LeakSanitizer checks it in the asan job).
template <class V, class MakeChain>
rxsync::PublishSubject<V> echo_loop(TestScheduler& ts, rxsync::testing::HotObservable<char> src,
                                    CharSubject in, MakeChain make_chain, V trigger, char echo) {
  rxsync::PublishSubject<V> out;
  ts.schedule([=]() mutable {
    make_chain(in).subscribe(
        [=](const V& v) {
          out.on_next(v);
          if (v == trigger) in.on_next(echo);
        },
        [=](std::exception_ptr e) { out.on_error(e); }, [=] { out.on_completed(); });
    src.subscribe(in);
  });
  return out;
}

}  // namespace

// ---- buffer_time (RxJS bufferTime spec) ---------------------------------------------------------

TEST_CASE("RxJS bufferTime: should emit buffers at intervals") {
  TestScheduler ts;
  auto e1 = ts.hot("---a---b---c---d---e---f---g-----|");
  const std::map<char, Batch> v{
      {'w', {'a', 'b'}}, {'x', {'c', 'd', 'e'}}, {'y', {'f', 'g'}}, {'z', {}}};
  ts.expect_observable(e1 | ops::buffer_time(ts.time("----------|"), ts))
      .to_be("----------w---------x---------y--(z|)", v);
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------------------------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: buffer_time: the open batch is dropped on error") {
  TestScheduler ts;
  auto e1 = ts.hot("---a---b---c---#");
  ts.expect_observable(e1 | ops::buffer_time(10ms, ts))
      .to_be("----------w----#", {{'w', Batch{'a', 'b'}}});
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS bufferTime: should allow unsubscribing explicitly and early") {
  TestScheduler ts;
  auto e1 = ts.hot("---a---b---c---d---e---f---g-----|");
  ts.expect_observable(e1 | ops::buffer_time(10ms, ts), "-----------------!")
      .to_be("----------w-------", {{'w', Batch{'a', 'b'}}});
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS bufferTime: empty and never-ending sources emit empty batches") {
  TestScheduler ts;
  const std::map<char, Batch> none{{'e', {}}};
  ts.expect_observable(ts.cold("|") | ops::buffer_time(5ms, ts)).to_be("(e|)", none);
  auto never = ts.cold("-");
  ts.expect_observable(never | ops::buffer_time(5ms, ts), "-----------!")
      .to_be("-----e----e", none);
  ts.expect_subscriptions(never.subscriptions()).to_be("^----------!");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: buffer_time ties - a value at the period boundary joins the closing batch") {
  TestScheduler ts;
  // 'b' and 'd' land exactly on the period ends (5, 10); hot events are queued before the
  // operator's timer, so they are inside the batch that closes in that frame (RxJS order too).
  auto e1 = ts.hot("--a--b--c-d|");
  ts.expect_observable(e1 | ops::buffer_time(5ms, ts))
      .to_be("-----x----y(z|)", {{'x', Batch{'a', 'b'}}, {'y', Batch{'c', 'd'}}, {'z', Batch{}}});
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: buffer_time ties - a cold value at the period end opens the next batch") {
  TestScheduler ts;
  // Like RxJS bufferTime, the period timer is scheduled before the source is subscribed, so it
  // runs before a cold source's event due in the same frame.
  ts.expect_observable(ts.cold("-----a|") | ops::buffer_time(5ms, ts))
      .to_be("-----x(y|)", {{'x', Batch{}}, {'y', Batch{'a'}}});
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: buffer_time - a value sent from inside the subscriber joins the next batch") {
  TestScheduler ts;
  auto src = ts.hot("-a-------|");
  CharSubject in;
  auto out = echo_loop(
      ts, src, in, [&ts](const CharSubject& s) { return s | ops::buffer_time(3ms, ts); },
      Batch{'a'}, 'r');
  ts.expect_observable(out).to_be("---x--y--(z|)",
                                  {{'x', Batch{'a'}}, {'y', Batch{'r'}}, {'z', Batch{}}});
  require_ok_and_idle(ts);
}

// ---- timeout (RxJS timeout spec) ----------------------------------------------------------------

TEST_CASE("RxJS timeout: should timeout after a specified timeout period") {
  TestScheduler ts;
  auto e1 = ts.cold("-------a--b--|");
  ts.expect_observable(e1 | ops::timeout(ts.time("-----|"), ts)).to_be("-----#", timeout_error());
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS timeout: should not timeout if source emits within timeout period") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--c--d--e--|");
  ts.expect_observable(e1 | ops::timeout(5ms, ts)).to_be("--a--b--c--d--e--|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS timeout: should allow unsubscribing explicitly and early") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--c---d--e--|");
  ts.expect_observable(e1 | ops::timeout(5ms, ts), "----------!").to_be("--a--b--c--");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^---------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS timeout: should timeout between emissions while the source emits") {
  TestScheduler ts;
  auto e1 = ts.hot("---a---b---c------d---e---|");
  ts.expect_observable(e1 | ops::timeout(5ms, ts)).to_be("---a---b---c----#", timeout_error());
  ts.expect_subscriptions(e1.subscriptions()).to_be("^---------------!");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout forwards the source's error and completion, and cancels its timer") {
  TestScheduler ts;
  auto boom = std::make_exception_ptr(std::runtime_error("boom"));
  ts.expect_observable(ts.hot("--a--#", boom) | ops::timeout(5ms, ts)).to_be("--a--#", boom);
  ts.expect_observable(ts.cold("|") | ops::timeout(5ms, ts)).to_be("|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout ties - a hot value exactly at the deadline wins") {
  TestScheduler ts;
  // 'a' at 5 was queued before the timer armed at subscription (frame 0, due 5): it arrives
  // first and re-arms the timer to 10; nothing comes by 10.
  auto e1 = ts.hot("-----a-----b|");
  ts.expect_observable(e1 | ops::timeout(5ms, ts)).to_be("-----a----#", timeout_error());
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout ties - a cold value exactly at the deadline") {
  TestScheduler ts;
  // One frame early, the value always wins; the frame of the deadline itself is below.
  auto e1 = ts.cold("----a|");
  ts.expect_observable(e1 | ops::timeout(5ms, ts)).to_be("----a|");
  // RxJS 7 timeout() subscribes to the source first and starts its timer afterwards, so a cold
  // source's frame-5 value is queued before the frame-5 deadline and wins.
  auto tie = ts.cold("-----a|");
  ts.expect_observable(tie | ops::timeout(5ms, ts)).to_be("-----a|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout - a value sent from inside the subscriber re-arms the timer") {
  TestScheduler ts;
  auto src = ts.hot("-a--------");
  CharSubject in;
  auto out = echo_loop(
      ts, src, in, [&ts](const CharSubject& s) { return s | ops::timeout(4ms, ts); }, 'a', 'r');
  ts.expect_observable(out).to_be("-(ar)#", timeout_error());  // error at 1 + 4
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout(0) - an asynchronous source times out in its first frame") {
  TestScheduler ts;
  auto e1 = ts.cold("-a--|");
  ts.expect_observable(e1 | ops::timeout(0ms, ts)).to_be("#", timeout_error());
  ts.expect_subscriptions(e1.subscriptions()).to_be("(^!)");
  // Subscribed later: the deadline is the frame of the subscription.
  auto e2 = ts.cold("-a|");
  ts.expect_observable(e2 | ops::timeout(0ms, ts), "---^").to_be("---#", timeout_error());
  // A cold value in its first frame is queued while subscribing, before the timer (as in RxJS).
  ts.expect_observable(ts.cold("a---b|") | ops::timeout(0ms, ts)).to_be("a---b|");
  // A negative duration counts as zero.
  ts.expect_observable(ts.cold("-a|") | ops::timeout(-4ms, ts)).to_be("#", timeout_error());
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout(0) - a synchronous source passes, and has no deadline after it") {
  TestScheduler ts;
  const auto sync = rxsync::just('a', 'b');
  ts.expect_observable(sync | ops::timeout(0ms, ts)).to_be("(ab|)");
  // RxJS re-arms its timer after a value only for a positive duration: the values that follow
  // a synchronous one may come at any time.
  auto e1 = ts.cold("----b---c|");
  ts.expect_observable(e1 | ops::start_with('a') | ops::timeout(0ms, ts)).to_be("a---b---c|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------!");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timeout(0) - a hot value in the subscription frame comes first and passes") {
  TestScheduler ts;
  // The hot 'a' was queued before the subscription armed the timer for the same frame.
  auto e1 = ts.hot("a----b--|");
  ts.expect_observable(e1 | ops::timeout(0ms, ts)).to_be("a----b--|");
  require_ok_and_idle(ts);
}

// ---- observe_on ---------------------------------------------------------------------------------

TEST_CASE("marbles: observe_on on the test scheduler keeps every event in its frame") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--|");
  ts.expect_observable(e1 | ops::observe_on(ts)).to_be("--a--b--|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^-------!");
  auto failing = ts.hot("-a--#");
  ts.expect_observable(failing | ops::observe_on(ts)).to_be("-a--#");
  auto endless = ts.hot("-a--b--c--");
  ts.expect_observable(endless | ops::observe_on(ts), "-----!").to_be("-a--b-");
  ts.expect_subscriptions(endless.subscriptions()).to_be("^----!");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: observe_on ties - delivery runs after events already queued for the frame") {
  TestScheduler ts;
  auto a = ts.hot("-a--|");
  auto b = ts.hot("-b---|");
  // a's 'a' (queued first) reaches observe_on first, but observe_on re-schedules it, so b's 'b'
  // (queued at flush, before that action) is delivered first. RxJS observeOn does the same.
  ts.expect_observable((a | ops::observe_on(ts)) | ops::merge(b)).to_be("-(ba)|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: observe_on - a value sent from inside the subscriber rides the same drain") {
  TestScheduler ts;
  auto src = ts.hot("-a----b--|");
  CharSubject in;
  auto out = echo_loop(
      ts, src, in, [&ts](const CharSubject& s) { return s | ops::observe_on(ts); }, 'a', 'r');
  ts.expect_observable(out).to_be("-(ar)-b--|");
  require_ok_and_idle(ts);
}

// ---- interval and timer (RxJS interval / timer specs) -------------------------------------------

TEST_CASE("RxJS interval: should create an observable emitting periodically") {
  TestScheduler ts;
  const Ticks v{{'a', 0}, {'b', 1}, {'c', 2}, {'d', 3}, {'e', 4}, {'f', 5}};
  ts.expect_observable(rxsync::interval(2ms, ts) | ops::take(6)).to_be("--a-b-c-d-e-(f|)", v);
  // Early unsubscription stops it and cancels its timer (require_ok checks pending() == 0).
  ts.expect_observable(rxsync::interval(2ms, ts), "-------!").to_be("--a-b-c-", v);
  // Periods count from the subscription.
  ts.expect_observable(rxsync::interval(3ms, ts), "----^-----!").to_be("-------a--", v);
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: interval ties - a hot value in the same frame as a tick comes first") {
  TestScheduler ts;
  auto other = ts.hot<std::size_t>("-----x-------|", {{'x', 9}});
  const Ticks v{{'a', 0}, {'b', 1}, {'x', 9}};
  ts.expect_observable(rxsync::interval(5ms, ts) | ops::take(2) | ops::merge(other))
      .to_be("-----(xa)-b--|", v);
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS timer: emits 0 after the delay and completes") {
  TestScheduler ts;
  const Ticks v{{'a', 0}};
  ts.expect_observable(rxsync::timer(3ms, ts)).to_be("---(a|)", v);
  ts.expect_observable(rxsync::timer(0ms, ts)).to_be("(a|)", v);
  ts.expect_observable(rxsync::timer(-5ms, ts)).to_be("(a|)", v);  // negative counts as zero
  ts.expect_observable(rxsync::timer(3ms, ts), "--^").to_be("-----(a|)", v);
  // Unsubscribed before it fires: nothing, and no timer left (require_ok).
  ts.expect_observable(rxsync::timer(3ms, ts), "--!").to_be("--", v);
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: timer ties - a hot value in the frame the timer fires comes first") {
  TestScheduler ts;
  auto other = ts.hot<std::size_t>("--x-----|", {{'x', 9}});
  ts.expect_observable(rxsync::timer(2ms, ts) | ops::merge(other))
      .to_be("--(xa)--|", Ticks{{'a', 0}, {'x', 9}});
  require_ok_and_idle(ts);
}

// ---- retry_with_backoff -------------------------------------------------------------------------

TEST_CASE("marbles: retry_with_backoff waits each FixedDelays entry, then forwards the error") {
  TestScheduler ts;
  auto boom = std::make_exception_ptr(std::runtime_error("boom"));
  auto e1 = ts.cold("---#", boom);
  // attempt 1: 0-3, wait 2; attempt 2: 5-8, wait 3; attempt 3: 11-14, policy exhausted.
  ts.expect_observable(e1 | ops::retry_with_backoff(rxsync::FixedDelays({2ms, 3ms}), ts))
      .to_be("--------------#", boom);
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^--!", "-----^--!", "-----------^--!"});
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: retry_with_backoff resets the policy on every value") {
  TestScheduler ts;
  auto e1 = ts.cold("-a-#");
  // Each attempt emits 'a', so each wait is the first delay (2), never the second (5).
  ts.expect_observable(e1 | ops::retry_with_backoff(rxsync::FixedDelays({2ms, 5ms}), ts) |
                       ops::take(3))
      .to_be("-a----a----(a|)");
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^--!", "-----^--!", "----------^!"});
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: retry_with_backoff completion, early unsubscription, zero delays") {
  TestScheduler ts;
  auto ok = ts.cold("-a-|");
  ts.expect_observable(ok | ops::retry_with_backoff(rxsync::FixedDelays({1ms}), ts)).to_be("-a-|");
  // Unsubscribed while waiting for the retry: the pending attempt is cancelled.
  auto waiting = ts.cold("--#");
  ts.expect_observable(waiting | ops::retry_with_backoff(rxsync::FixedDelays({5ms}), ts), "----!")
      .to_be("----");
  ts.expect_subscriptions(waiting.subscriptions()).to_be("^-!");
  // A zero delay resubscribes in the frame of the error (through the scheduler).
  auto zero = ts.cold("--#");
  ts.expect_observable(zero | ops::retry_with_backoff(rxsync::FixedDelays({0ms, 0ms}), ts))
      .to_be("------#");
  ts.expect_subscriptions(zero.subscriptions()).to_be({"^-!", "--^-!", "----^-!"});
  // An empty table never retries.
  auto once = ts.cold("-#");
  ts.expect_observable(once | ops::retry_with_backoff(rxsync::FixedDelays({}), ts)).to_be("-#");
  require_ok_and_idle(ts);
}

// ---- debounce / throttle / delay: the cases the RxJS-spec file leaves out -----------------------

TEST_CASE("marbles: debounce ties - a value or completion in the timer's frame") {
  TestScheduler ts;
  // 'b' at 3 arrives before a's timer due at 3 and replaces it: only 'b', at 5.
  ts.expect_observable(ts.hot("-a-b---|") | ops::debounce(2ms, ts)).to_be("-----b-|");
  // Completion at 3 (before the timer due at 3) emits the pending 'a' first.
  ts.expect_observable(ts.hot("-a-|") | ops::debounce(2ms, ts)).to_be("---(a|)");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: debounce error and early unsubscription with a value pending") {
  TestScheduler ts;
  auto failing = ts.hot("-a-#");
  ts.expect_observable(failing | ops::debounce(5ms, ts)).to_be("---#");
  ts.expect_subscriptions(failing.subscriptions()).to_be("^--!");
  auto e1 = ts.hot("--a------|");
  ts.expect_observable(e1 | ops::debounce(5ms, ts), "----!").to_be("----");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^---!");
  require_ok_and_idle(ts);  // a's timer was cancelled
}

TEST_CASE("marbles: debounce - a value sent from inside the subscriber is debounced again") {
  TestScheduler ts;
  auto src = ts.hot("-a---------|");
  CharSubject in;
  auto out = echo_loop(
      ts, src, in, [&ts](const CharSubject& s) { return s | ops::debounce(2ms, ts); }, 'a', 'r');
  ts.expect_observable(out).to_be("---a-r-----|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: throttle ties - a value at the window end is the trailing value") {
  TestScheduler ts;
  // leading+trailing: 'b' at 5 is inside a's window [0, 5]; the window's end sends it and opens
  // a new window [5, 10]; completion at 10 has nothing left to send.
  ts.expect_observable(ts.hot("a----b----|") | ops::throttle(5ms, ts, {true, true}))
      .to_be("a----b----|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: throttle error and early unsubscription drop the trailing value") {
  TestScheduler ts;
  auto failing = ts.hot("-ab-#");
  ts.expect_observable(failing | ops::throttle(5ms, ts, {false, true})).to_be("----#");
  ts.expect_subscriptions(failing.subscriptions()).to_be("^---!");
  auto e1 = ts.hot("-ab------|");
  ts.expect_observable(e1 | ops::throttle(5ms, ts, {true, true}), "---!").to_be("-a-");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--!");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: throttle - a value sent from inside the subscriber (RxJS: sent too)") {
  TestScheduler ts;
  // RxJS throttleTime sends the leading value before it starts the window, so a value sent back
  // from inside the subscriber finds no window open and is sent as well; 'c' is then throttled.
  auto src = ts.hot("-a-c-----d|");
  CharSubject in;
  auto out = echo_loop(
      ts, src, in, [&ts](const CharSubject& s) { return s | ops::throttle(5ms, ts); }, 'a', 'r');
  ts.expect_observable(out).to_be("-(ar)----d|");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS delay: should raise error when source raises error") {
  TestScheduler ts;
  auto e1 = ts.hot("---a---b---#");
  ts.expect_observable(e1 | ops::delay(ts.time("---|"), ts)).to_be("------a---b#");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----------!");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS delay: an error drops the values still delayed") {
  TestScheduler ts;
  // 'b' (due at 8) is still in flight when the error arrives at 7.
  ts.expect_observable(ts.hot("--a--b-#") | ops::delay(3ms, ts)).to_be("-----a-#");
  require_ok_and_idle(ts);
}

TEST_CASE("RxJS delay: should not complete when source does not complete, early unsubscription") {
  TestScheduler ts;
  auto e1 = ts.hot("---a---b---------");
  ts.expect_observable(e1 | ops::delay(3ms, ts), "--------!").to_be("------a--");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^-------!");
  require_ok_and_idle(ts);  // b's timer (due 10) was cancelled
}

TEST_CASE("RxJS delay: empty and silent sources complete at once (RxJS 7)") {
  TestScheduler ts;
  ts.expect_observable(ts.cold("|") | ops::delay(3ms, ts)).to_be("|");
  ts.expect_observable(ts.hot("----|") | ops::delay(3ms, ts)).to_be("----|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: delay - a negative duration counts as zero (RxJS timer semantics)") {
  TestScheduler ts;
  auto e1 = ts.hot("--a------b---|");
  ts.expect_observable(e1 | ops::delay(-3ms, ts)).to_be("--a------b---|");
  ts.expect_observable(e1 | ops::delay(0ms, ts)).to_be("--a------b---|");
  // Each value still goes through the scheduler, after what that frame had already queued.
  ts.expect_observable(e1 | ops::merge(e1 | ops::delay(-3ms, ts))).to_be("--(aa)---(bb)|");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: delay ties - a value and a delayed value in the same frame") {
  TestScheduler ts;
  // 'b' at 5 is queued before a's timer due at 5, so after merging 'b' precedes the delayed 'a';
  // the source's completion at 6 waits for the in-flight 'b'.
  auto e1 = ts.hot("a----b|");
  auto shifted = e1 | ops::delay(5ms, ts);
  ts.expect_observable(shifted).to_be("-----a----(b|)");
  ts.expect_observable(e1 | ops::merge(shifted)).to_be("a----(ba)-(b|)");
  require_ok_and_idle(ts);
}

TEST_CASE("marbles: delay - a value sent from inside the subscriber is delayed too") {
  TestScheduler ts;
  auto src = ts.hot("-a------|");
  CharSubject in;
  auto out = echo_loop(
      ts, src, in, [&ts](const CharSubject& s) { return s | ops::delay(2ms, ts); }, 'a', 'r');
  ts.expect_observable(out).to_be("---a-r--|");
  require_ok_and_idle(ts);
}
