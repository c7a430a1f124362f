// Time-based sources and operators in virtual time: interval, timer, debounce, throttle,
// buffer_time, delay, timeout, observe_on, retry_with_backoff. Source events are scheduled on
// the VirtualTimeScheduler before subscribing, as a marble test's hot observable would be, so
// at equal times they run before the operators' timers.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using namespace std::chrono_literals;
using rx_test::Events;
using rx_test::record;

namespace {

struct Hot {
  VirtualTimeScheduler& vts;
  PublishSubject<int> subject;
  Hot& next(int ms, int v) {
    vts.schedule_at(TimePoint(std::chrono::milliseconds(ms)), [s = subject, v] { s.on_next(v); });
    return *this;
  }
  Hot& complete(int ms) {
    vts.schedule_at(TimePoint(std::chrono::milliseconds(ms)), [s = subject] { s.on_completed(); });
    return *this;
  }
  Hot& fail(int ms) {
    vts.schedule_at(TimePoint(std::chrono::milliseconds(ms)),
                    [s = subject] { s.on_error(rx_test::boom()); });
    return *this;
  }
};

// A BackoffPolicy: the given delays, then give up.
struct FixedDelays {
  std::vector<Duration> delays;
  std::size_t next = 0;
  std::optional<Duration> next_delay() {
    if (next >= delays.size()) return std::nullopt;
    return delays[next++];
  }
  void reset() { next = 0; }
};

}  // namespace

TEST_CASE("interval ticks without drift, take completes it and cancels the timer") {
  VirtualTimeScheduler vts;
  Events log;
  record(interval(10ms, vts) | ops::take(3), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"10:0", "20:1", "30:2", "30:C"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("interval and timer stop when unsubscribed") {
  VirtualTimeScheduler vts;
  Events log;
  auto sub = record(interval(10ms, vts), log, &vts);
  vts.advance_by(25ms);
  sub.unsubscribe();
  CHECK(vts.pending() == 0);
  vts.advance_by(50ms);
  CHECK(log == Events{"10:0", "20:1"});

  log.clear();
  record(timer(15ms, vts), log, &vts);
  auto cancelled = record(timer(15ms, vts), log, &vts);
  cancelled.unsubscribe();
  vts.advance_by(20ms);
  CHECK(log == Events{"90:0", "90:C"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("debounce emits after a quiet period, same-time value restarts it") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).next(10, 2).next(30, 3).next(80, 4).complete(90);
  Events log;
  record(hot.subject | ops::debounce(20ms, vts), log, &vts);
  vts.advance_by(200ms);
  // 2 would be due at 30, but the value sent at 30 (scheduled earlier) arrives first.
  CHECK(log == Events{"50:3", "90:4", "90:C"});
}

TEST_CASE("debounce drops the pending value on error") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).next(30, 2).fail(40);
  Events log;
  record(hot.subject | ops::debounce(20ms, vts), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"20:1", "40:E:boom"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("debounce: unsubscribe cancels the timer, re-entrant emission") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  Events log;
  auto sub = record(s | ops::debounce(20ms, vts), log, &vts);
  s.on_next(1);
  CHECK(vts.pending() == 1);
  sub.unsubscribe();
  CHECK(vts.pending() == 0);

  Events log2;
  (s | ops::debounce(10ms, vts)).subscribe([&](int v) {
    log2.push_back(std::to_string(v));
    if (v < 3) s.on_next(v + 1);  // feeds the next value from inside the callback
  });
  s.on_next(1);
  vts.advance_by(100ms);
  CHECK(log2 == Events{"1", "2", "3"});
}

TEST_CASE("throttle leading (default): the window covers t to t + d inclusive") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).next(5, 2).next(20, 3).next(25, 4).next(45, 5).complete(60);
  Events log;
  record(hot.subject | ops::throttle(20ms, vts), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"0:1", "25:4", "60:C"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("throttle trailing only") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).next(5, 2).next(20, 3).next(25, 4).complete(50);
  Events log;
  record(hot.subject | ops::throttle(20ms, vts, {.leading = false, .trailing = true}), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"20:3", "40:4", "50:C"});
}

TEST_CASE("throttle leading and trailing, completion waits for the trailing value") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).next(5, 2).next(20, 3).next(25, 4).complete(30);
  Events log;
  record(hot.subject | ops::throttle(20ms, vts, {.leading = true, .trailing = true}), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"0:1", "20:3", "40:4", "40:C"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("throttle: error and unsubscribe cancel the window") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).fail(5);
  Events log;
  record(hot.subject | ops::throttle(20ms, vts, {.leading = true, .trailing = true}), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"0:1", "5:E:boom"});
  CHECK(vts.pending() == 0);
  PublishSubject<int> s;
  auto sub = (s | ops::throttle(20ms, vts)).subscribe([](int) {});
  s.on_next(1);
  CHECK(vts.pending() == 1);
  sub.unsubscribe();
  CHECK(vts.pending() == 0);
}

TEST_CASE("buffer_time emits every period, empty batches included, and the rest on completion") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(10, 1).next(20, 2).next(40, 3).complete(95);
  Events log;
  record(hot.subject | ops::buffer_time(30ms, vts), log, &vts);
  vts.advance_by(200ms);
  CHECK(log == Events{"30:[1,2]", "60:[3]", "90:[]", "95:[]", "95:C"});
  CHECK(vts.pending() == 0);
  REQUIRE_THROWS_WITH(ops::buffer_time(0ms, vts), rxsync_test::contains("period must be > 0"));
}

TEST_CASE("buffer_time: error drops the batch, unsubscribe cancels the timer") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(10, 1).fail(20);
  Events log;
  record(hot.subject | ops::buffer_time(30ms, vts), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"20:E:boom"});
  PublishSubject<int> s;
  auto sub = (s | ops::buffer_time(30ms, vts)).subscribe([](const std::vector<int>&) {});
  CHECK(vts.pending() == 1);
  sub.unsubscribe();
  CHECK(vts.pending() == 0);
}

TEST_CASE("delay shifts values, completion follows the last one, errors are immediate") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(0, 1).next(5, 2).complete(6);
  Events log;
  record(hot.subject | ops::delay(10ms, vts), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"10:1", "15:2", "15:C"});

  Hot hot2{vts, {}};
  hot2.next(110, 1).next(115, 2).fail(122);
  Events log2;
  record(hot2.subject | ops::delay(10ms, vts), log2, &vts);
  vts.advance_by(100ms);
  CHECK(log2 == Events{"120:1", "122:E:boom"});
  CHECK(vts.pending() == 0);

  Events log3;
  record(empty<int>() | ops::delay(10ms, vts), log3, &vts);
  CHECK(log3 == Events{"200:C"});
}

TEST_CASE("delay: unsubscribe cancels every pending value") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  Events log;
  auto sub = record(s | ops::delay(10ms, vts), log, &vts);
  s.on_next(1);
  s.on_next(2);
  CHECK(vts.pending() == 2);
  sub.unsubscribe();
  CHECK(vts.pending() == 0);
  vts.advance_by(50ms);
  CHECK(log.empty());
}

TEST_CASE("delay: a negative duration counts as zero, as for timer") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  Events log;
  record(s | ops::delay(-5ms, vts), log, &vts);
  s.on_next(1);
  CHECK(log.empty());  // still from a scheduler action, as with delay(0)
  CHECK(vts.pending() == 1);
  s.on_completed();
  vts.advance_by(0ms);
  CHECK(log == Events{"0:1", "0:C"});

  Events ticks;
  record(timer(-5ms, vts), ticks, &vts);
  vts.advance_by(0ms);
  CHECK(ticks == Events{"0:0", "0:C"});
}

TEST_CASE("timeout errors when no value arrives in time") {
  VirtualTimeScheduler vts;
  Hot hot{vts, {}};
  hot.next(5, 1).next(20, 2).next(50, 3);
  Events log;
  record(hot.subject | ops::timeout(20ms, vts), log, &vts);
  vts.advance_by(100ms);
  CHECK(log == Events{"5:1", "20:2", "40:E:rxsync::ops::timeout: no value within the timeout"});
  CHECK(hot.subject.observer_count() == 0);
  CHECK(vts.pending() == 0);
}

TEST_CASE("timeout: completion in time cancels it") {
  VirtualTimeScheduler vts;
  Events log;
  record(just(1) | ops::timeout(20ms, vts), log, &vts);
  CHECK(log == Events{"0:1", "0:C"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("timeout(0): only a value before the first scheduler action beats it (RxJS)") {
  VirtualTimeScheduler vts;
  // Synchronous values during subscribe: no deadline at all, not even for later values.
  PublishSubject<int> later;
  Events log;
  auto sub = record(later | ops::start_with(1) | ops::timeout(0ms, vts), log, &vts);
  CHECK(vts.pending() == 0);
  vts.advance_by(10ms);
  later.on_next(2);
  CHECK(log == Events{"0:1", "10:2"});
  sub.unsubscribe();

  // Nothing while subscribing: the error comes at once, from the scheduler.
  PublishSubject<int> silent;
  Events log2;
  record(silent | ops::timeout(0ms, vts), log2, &vts);
  CHECK(log2.empty());
  vts.advance_by(0ms);
  CHECK(log2 == Events{"10:E:rxsync::ops::timeout: no value within the timeout"});
  CHECK(silent.observer_count() == 0);

  // A value before that action cancels it, and none is armed after it; negative is zero.
  PublishSubject<int> quick;
  Events log3;
  record(quick | ops::timeout(-5ms, vts), log3, &vts);
  quick.on_next(3);
  CHECK(vts.pending() == 0);
  vts.advance_by(50ms);
  quick.on_completed();
  CHECK(log3 == Events{"10:3", "60:C"});
}

TEST_CASE("observe_on delivers every event from the scheduler, in order") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  Events log;
  auto sub = record(s | ops::observe_on(vts), log, &vts);
  s.on_next(1);
  s.on_next(2);
  CHECK(log.empty());
  vts.advance_by(5ms);
  s.on_next(3);
  s.on_error(rx_test::boom());
  s.on_next(4);
  vts.advance_by(0ms);
  CHECK(log == Events{"0:1", "0:2", "5:3", "5:E:boom"});
  CHECK(vts.pending() == 0);

  PublishSubject<int> s2;
  Events log2;
  auto sub2 = record(s2 | ops::observe_on(vts), log2, &vts);
  s2.on_next(1);
  sub2.unsubscribe();
  CHECK(vts.pending() == 0);
  vts.advance_by(1ms);
  CHECK(log2.empty());
}

TEST_CASE("observe_on releases the upstream when it queues a terminal event") {
  // The error is delivered later, from the scheduler; the upstream (and its user functions)
  // must stop at once, as RxJS observeOn unsubscribes its source on error.
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  int calls = 0;
  Events log;
  record(s | ops::map([&](int v) {
           ++calls;
           if (v == 1) throw std::runtime_error("boom");
           return v;
         }) | ops::observe_on(vts),
         log);
  s.on_next(1);
  s.on_next(2);
  CHECK(calls == 1);
  CHECK(s.observer_count() == 0);
  vts.run();
  CHECK(log == Events{"E:boom"});

  PublishSubject<int> s2;
  Events log2;
  record(s2 | ops::observe_on(vts), log2);
  s2.on_next(1);
  s2.on_completed();
  CHECK(s2.observer_count() == 0);
  vts.run();
  CHECK(log2 == Events{"1", "C"});
}

TEST_CASE("retry_with_backoff waits the policy's delays, then gives up") {
  VirtualTimeScheduler vts;
  std::vector<std::int64_t> attempts;  // not long: 32 bits on Windows
  auto failing = defer([&] {
    attempts.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(vts.now().time_since_epoch())
            .count());
    return error<int>(rx_test::boom());
  });
  Events log;
  record(failing | ops::retry_with_backoff(FixedDelays{{10ms, 20ms}}, vts), log, &vts);
  vts.advance_by(100ms);
  CHECK(attempts == std::vector<std::int64_t>{0, 10, 30});
  CHECK(log == Events{"30:E:boom"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("retry_with_backoff: a value resets the policy, unsubscribe cancels the wait") {
  VirtualTimeScheduler vts;
  int n = 0;
  auto src = defer([&] {
    ++n;
    return (just(n) | ops::map([](int v) -> int {
              if (v % 2 == 0) throw std::runtime_error("even");
              return v;
            }))
        .as_observable();
  });
  // Each odd attempt emits a value (resetting the policy) then completes: never gives up early.
  Events log;
  record(src | ops::retry_with_backoff(FixedDelays{{10ms}}, vts), log, &vts);
  CHECK(log == Events{"0:1", "0:C"});

  int subs = 0;
  auto always_fails = defer([&] {
    ++subs;
    return error<int>(rx_test::boom());
  });
  auto sub = always_fails | ops::retry_with_backoff(FixedDelays{{50ms}}, vts);
  auto handle = sub.subscribe([](int) {}, [](std::exception_ptr) {});
  CHECK(vts.pending() == 1);
  handle.unsubscribe();
  CHECK(vts.pending() == 0);
  vts.advance_by(100ms);
  CHECK(subs == 1);
}

TEST_CASE("retry_with_backoff: an unsubscribed subscription does not keep its source alive") {
  // The subject keeps the failed attempt's node until its next emission, and that node holds
  // retry's state: the state must drop its copy of the source (which holds the witness and
  // the subject) once unsubscribed, whether an attempt is live or a retry is pending.
  for (const bool waiting : {false, true}) {
    VirtualTimeScheduler vts;
    auto witness = std::make_shared<int>(0);
    const std::weak_ptr<int> weak = witness;
    {
      PublishSubject<int> s;
      auto failing = s | ops::map([witness](int v) {
                       if (v < 0) throw std::runtime_error("negative");
                       return v + *witness;
                     });
      Events log;
      auto sub = record(failing | ops::retry_with_backoff(FixedDelays{{10ms}}, vts), log, &vts);
      witness.reset();
      s.on_next(-1);  // the attempt fails: a retry is pending
      if (!waiting) vts.advance_by(10ms);
      CHECK(vts.pending() == (waiting ? 1U : 0U));
      sub.unsubscribe();
      CHECK(vts.pending() == 0);
      CHECK(log.empty());
    }
    CHECK(weak.expired());
  }
}

TEST_CASE("retry_with_backoff: a policy that throws ends the chain with its exception") {
  struct ThrowingDelay {
    std::optional<Duration> next_delay() { throw std::runtime_error("no delay"); }
    void reset() {}
  };
  struct ThrowingReset {
    std::optional<Duration> next_delay() { return std::nullopt; }
    void reset() { throw std::runtime_error("no reset"); }
  };
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  Events log;
  record(s | ops::retry_with_backoff(ThrowingDelay{}, vts), log);
  CHECK_NOTHROW(s.on_error(rx_test::boom()));  // not thrown into the producer
  CHECK(log == Events{"E:no delay"});

  PublishSubject<int> s2;
  Events log2;
  record(s2 | ops::retry_with_backoff(ThrowingReset{}, vts), log2);
  CHECK_NOTHROW(s2.on_next(1));
  s2.on_next(2);
  CHECK(log2 == Events{"E:no reset"});
  CHECK(s2.observer_count() == 0);
}
