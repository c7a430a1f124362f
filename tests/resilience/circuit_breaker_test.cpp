#include <rxsync/resilience/circuit_breaker.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::CircuitBreaker;
using rxsync::CircuitBreakerOptions;
using rxsync::CircuitState;
using rxsync::VirtualTimeScheduler;

namespace {
CircuitBreakerOptions small() {
  CircuitBreakerOptions o;
  o.failure_rate_threshold = 0.5;
  o.window_size = 4;
  o.minimum_calls = 4;
  o.open_duration = 10s;
  o.half_open_calls = 2;
  return o;
}
using Change = std::pair<CircuitState, CircuitState>;

void call(CircuitBreaker<VirtualTimeScheduler>& cb, bool fail) {
  REQUIRE(cb.try_acquire());
  fail ? cb.on_failure() : cb.on_success();
}
}  // namespace

TEST_CASE("CircuitBreaker opens at the failure-rate threshold once minimum calls are in") {
  VirtualTimeScheduler s;
  CircuitBreaker cb(s, small());
  std::vector<Change> changes;
  auto sub =
      cb.on_state_change([&](CircuitState a, CircuitState b) { changes.emplace_back(a, b); });
  call(cb, true);
  call(cb, true);
  call(cb, true);  // 3 failures but only 3 calls: below minimum_calls
  CHECK(cb.state() == CircuitState::closed);
  call(cb, false);  // 3/4 >= 0.5
  CHECK(cb.state() == CircuitState::open);
  CHECK(changes == std::vector<Change>{{CircuitState::closed, CircuitState::open}});
  CHECK_FALSE(cb.try_acquire());
  CHECK(cb.not_permitted() == 1);

  s.advance_by(9s);
  CHECK(cb.state() == CircuitState::open);
  s.advance_by(1s);  // the scheduler moves it to half-open on time
  CHECK(cb.state() == CircuitState::half_open);
  CHECK(changes.back() == Change{CircuitState::open, CircuitState::half_open});

  SECTION("trial calls succeed: closed again with an empty window") {
    REQUIRE(cb.try_acquire());
    REQUIRE(cb.try_acquire());
    CHECK_FALSE(cb.try_acquire());  // only two trials
    cb.on_success();
    CHECK(cb.state() == CircuitState::half_open);
    cb.on_failure();  // 1/2 >= 0.5 -> open again
    CHECK(cb.state() == CircuitState::open);
    s.advance_by(10s);
    call(cb, false);
    call(cb, false);
    CHECK(cb.state() == CircuitState::closed);
    CHECK(cb.failure_rate() == 0.0);
    CHECK(changes.size() == 5);
  }
  SECTION("release gives a trial permission back") {
    REQUIRE(cb.try_acquire());
    REQUIRE(cb.try_acquire());
    cb.release();
    REQUIRE(cb.try_acquire());
  }
  SECTION("an unsubscribed listener hears nothing more") {
    sub.unsubscribe();
    cb.reset();
    CHECK(cb.state() == CircuitState::closed);
    CHECK(changes.size() == 2);
  }
}

TEST_CASE("CircuitBreaker judges a sliding count window") {
  VirtualTimeScheduler s;
  auto o = small();
  o.window_size = 4;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 0.75;
  CircuitBreaker cb(s, o);
  call(cb, true);
  call(cb, false);
  call(cb, false);
  call(cb, true);  // 2/4
  call(cb, true);  // window F,F,T,T -> drops the first failure: 2/4
  CHECK(cb.state() == CircuitState::closed);
  CHECK(cb.failure_rate() == Approx(0.5));
  call(cb, true);  // F,T,T,T = 3/4 >= 0.75
  CHECK(cb.state() == CircuitState::open);
}

namespace {
// A scheduler whose timers never run: only the clock moves.
struct FrozenTimers {
  rxsync::TimePoint t{};
  rxsync::TimePoint now() const { return t; }
  template <class F>
  rxsync::Subscription schedule(F&&) {
    return rxsync::Subscription::create();
  }
  template <class F>
  rxsync::Subscription schedule_at(rxsync::TimePoint, F&&) {
    return rxsync::Subscription::create();
  }
  template <class F>
  rxsync::Subscription schedule_after(rxsync::Duration, F&&) {
    return rxsync::Subscription::create();
  }
};
}  // namespace

TEST_CASE("CircuitBreaker goes half-open lazily if the scheduler has not run the timer") {
  FrozenTimers s;
  CircuitBreaker cb(s, small());
  for (int i = 0; i < 4; ++i) {
    REQUIRE(cb.try_acquire());
    cb.on_failure();
  }
  REQUIRE(cb.state() == CircuitState::open);
  s.t += 9s;
  CHECK_FALSE(cb.try_acquire());
  s.t += 1s;
  CHECK(cb.state() == CircuitState::open);  // nobody asked yet
  CHECK(cb.try_acquire());
  CHECK(cb.state() == CircuitState::half_open);
}

TEST_CASE("CircuitBreaker::execute counts returns and exceptions") {
  VirtualTimeScheduler s;
  CircuitBreaker cb(s, small());
  CHECK(cb.execute([] { return 7; }) == 7);
  for (int i = 0; i < 3; ++i) {
    REQUIRE_THROWS_AS(cb.execute([]() -> int { throw std::runtime_error("down"); }),
                      std::runtime_error);
  }
  CHECK(cb.state() == CircuitState::open);
  REQUIRE_THROWS_AS(cb.execute([] {}), rxsync::CircuitOpenError);
}

TEST_CASE("CircuitBreaker ignores outcomes of calls permitted before it opened") {
  VirtualTimeScheduler s;
  CircuitBreaker cb(s, small());
  for (int i = 0; i < 6; ++i) REQUIRE(cb.try_acquire());
  for (int i = 0; i < 4; ++i) cb.on_failure();
  REQUIRE(cb.state() == CircuitState::open);
  cb.on_success();
  cb.on_failure();
  CHECK(cb.state() == CircuitState::open);
}

TEST_CASE("CircuitBreaker destroyed while open leaves no live timer behind") {
  VirtualTimeScheduler s;
  {
    CircuitBreaker cb(s, small());
    for (int i = 0; i < 4; ++i) call(cb, true);
    CHECK(s.pending() == 1);
  }
  CHECK(s.pending() == 0);
  s.run();
}

TEST_CASE("CircuitBreakerOptions are validated") {
  VirtualTimeScheduler s;
  auto o = small();
  SECTION("threshold") {
    o.failure_rate_threshold = GENERATE(0.0, 1.5);
    REQUIRE_THROWS_WITH(CircuitBreaker(s, o), rxsync_test::contains("failure_rate_threshold"));
  }
  SECTION("window") {
    o.window_size = 0;
    REQUIRE_THROWS_WITH(CircuitBreaker(s, o),
                        rxsync_test::contains("window_size must be >= 1, got 0"));
  }
  SECTION("minimum calls") {
    o.minimum_calls = GENERATE(0u, 5u);
    REQUIRE_THROWS_WITH(CircuitBreaker(s, o), rxsync_test::contains("minimum_calls"));
  }
  SECTION("open duration") {
    o.open_duration = 0s;
    REQUIRE_THROWS_WITH(CircuitBreaker(s, o),
                        rxsync_test::contains("open_duration must be > 0, got 0ns"));
  }
  SECTION("half-open calls") {
    o.half_open_calls = 0;
    REQUIRE_THROWS_WITH(CircuitBreaker(s, o), rxsync_test::contains("half_open_calls"));
  }
}

TEST_CASE("CircuitBreaker::states() replays the current state, then each change") {
  VirtualTimeScheduler s;
  CircuitBreaker cb(s, small());
  for (int i = 0; i < 4; ++i) call(cb, true);
  std::vector<CircuitState> seen;
  auto sub = cb.states().subscribe([&](CircuitState st) { seen.push_back(st); });
  CHECK(seen == std::vector<CircuitState>{CircuitState::open});
  s.advance_by(10s);
  call(cb, false);
  call(cb, false);
  CHECK(seen == std::vector<CircuitState>{CircuitState::open, CircuitState::half_open,
                                          CircuitState::closed});
  CHECK(std::string(rxsync::to_string(seen[1])) == "half_open");
  sub.unsubscribe();
  cb.reset();
  CHECK(seen.size() == 3);
}

TEST_CASE(
    "CircuitBreaker: a listener that resets the breaker leaves states() on the current state") {
  VirtualTimeScheduler s;
  CircuitBreaker cb(s, small());
  std::vector<CircuitState> published;
  auto st = cb.states().subscribe([&](CircuitState c) { published.push_back(c); });
  std::vector<Change> heard;
  auto l = cb.on_state_change([&](CircuitState from, CircuitState to) {
    heard.emplace_back(from, to);
    if (to == CircuitState::open) cb.reset();  // an operator override: never open
  });
  for (int i = 0; i < 4; ++i) call(cb, true);
  CHECK(cb.state() == CircuitState::closed);
  REQUIRE_FALSE(published.empty());
  CHECK(published.back() == CircuitState::closed);
  CHECK(heard == std::vector<Change>{{CircuitState::closed, CircuitState::open},
                                     {CircuitState::open, CircuitState::closed}});
}

TEST_CASE("CircuitBreaker: a throwing listener does not hide the change or count as a failure") {
  VirtualTimeScheduler s;
  CircuitBreaker cb(s, small());
  std::vector<CircuitState> published;
  auto st = cb.states().subscribe([&](CircuitState c) { published.push_back(c); });
  int second_listener = 0;
  auto l1 = cb.on_state_change([](CircuitState, CircuitState to) {
    if (to == CircuitState::closed) throw std::runtime_error("listener bug");
  });
  auto l2 = cb.on_state_change([&](CircuitState, CircuitState) { ++second_listener; });
  for (int i = 0; i < 4; ++i) call(cb, true);
  REQUIRE(cb.state() == CircuitState::open);
  s.advance_by(10s);
  REQUIRE(cb.state() == CircuitState::half_open);
  int ran = 0;
  // Two successful trials close the breaker; the listener throws on that change.
  cb.execute([&] { ++ran; });
  REQUIRE_THROWS_WITH(cb.execute([&] { ++ran; }), "listener bug");
  CHECK(ran == 2);
  CHECK(cb.state() == CircuitState::closed);  // the trial's success was not also a failure
  CHECK(cb.failure_rate() == 0.0);
  CHECK(published.back() == CircuitState::closed);
  CHECK(second_listener == 3);  // open, half_open, closed
}
