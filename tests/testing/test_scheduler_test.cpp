// TestScheduler: hot and cold timing, subscription logs, expect_observable's subscription
// diagram, same-frame ordering, manual time.
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/testing/marbles.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Duration;
using rxsync::testing::SubscriptionLog;
using rxsync::testing::TestScheduler;

using rxsync_test::require_ok;

namespace {
// Flushes and fails the test with the harness's own message.
}  // namespace

TEST_CASE("TestScheduler is a Scheduler and a VirtualTimeScheduler") {
  STATIC_REQUIRE(rxsync::Scheduler<TestScheduler>);
  TestScheduler ts;
  rxsync::VirtualTimeScheduler& base = ts;
  CHECK(base.now() == rxsync::TimePoint{});
  CHECK(ts.time("--|") == Duration(2ms));
  CHECK(TestScheduler::time("1s |") == Duration(1s));
}

// Progressions that each fit but add up to more than max_marble_time.
TEST_CASE("diagrams longer than max_marble_time throw wherever they are given") {
  using rxsync_test::contains;
  const std::string long_time = "1s 2305843009s 2305843009s 2305843009s 2305843009s";
  TestScheduler ts;
  REQUIRE_THROWS_WITH(ts.time(long_time + " |"), contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(ts.hot("a " + long_time + " b|"), contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(ts.hot("^ " + long_time + " |"), contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(ts.cold("a " + long_time + " |"), contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(ts.cold<int>(long_time + " x", {{'x', 1}}),
                      contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(ts.expect_observable(ts.cold("a|"), "^ " + long_time + " !"),
                      contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(ts.expect_observable(ts.cold("a|")).to_be("a " + long_time + " |"),
                      contains("takes the diagram past"));
  REQUIRE_THROWS_WITH(
      ts.expect_subscriptions(std::vector<SubscriptionLog>{}).to_be({"^ " + long_time + " !"}),
      contains("takes the diagram past"));
}

TEST_CASE("hot observables start at '^' and hide what came before") {
  TestScheduler ts;
  auto src = ts.hot("--a--^--b--c--|");
  ts.expect_observable(src).to_be("---b--c--|");
  ts.expect_subscriptions(src.subscriptions()).to_be("^--------!");
  require_ok(ts);
  REQUIRE(src.subscriptions().size() == 1);
  CHECK(src.subscriptions()[0] == SubscriptionLog{0ms, 9ms});
}

TEST_CASE("hot observables without '^' start at their first character") {
  TestScheduler ts;
  auto src = ts.hot("a-b-|");
  ts.expect_observable(src).to_be("a-b-|");  // a frame-0 event reaches a frame-0 subscriber
  require_ok(ts);
}

TEST_CASE("a late subscriber to a hot observable sees only what follows") {
  TestScheduler ts;
  auto src = ts.hot("-a-b-c-|");
  ts.expect_observable(src, "--^").to_be("---b-c-|");
  ts.expect_observable(src, "^--!").to_be("-a-");
  // In the order of subscription, as RxJS compares them.
  ts.expect_subscriptions(src.subscriptions()).to_be({"^--!", "--^----!"});
  require_ok(ts);
}

TEST_CASE("subscribing to an ended hot observable delivers just the terminal event") {
  TestScheduler ts;
  auto src = ts.hot("-a-#");
  ts.expect_observable(src, "-----^").to_be("-----#");
  ts.expect_subscriptions(src.subscriptions()).to_be("-----(^!)");
  require_ok(ts);
}

TEST_CASE("hot observables with mapped values") {
  TestScheduler ts;
  auto src = ts.hot<int>("-a-^-b-|", {{'a', 1}, {'b', 2}});
  ts.expect_observable(src).to_be("--x-|", {{'x', 2}});
  require_ok(ts);
  REQUIRE_THROWS_WITH(ts.hot<int>("-a-c", {{'a', 1}}),
                      rxsync_test::contains("value 'c' is not in the values map at position 3"));
}

TEST_CASE("cold observables play from each subscription") {
  TestScheduler ts;
  const std::map<char, int> values{{'a', 1}, {'b', 2}};
  auto src = ts.cold("-a-b-|", values);
  ts.expect_observable(src).to_be("-a-b-|", values);
  ts.expect_observable(src, "---^").to_be("----a-b-|", values);
  ts.expect_subscriptions(src.subscriptions()).to_be({"^----!", "---^----!"});
  require_ok(ts);
  CHECK(ts.pending() == 0);
  REQUIRE_THROWS_WITH(ts.cold("-^-a"), rxsync_test::contains("cold observable"));
}

TEST_CASE("unsubscribing from a cold observable cancels its pending events") {
  TestScheduler ts;
  auto src = ts.cold("-a-b-c-|");
  ts.expect_observable(src, "^--!").to_be("-a-");
  ts.expect_subscriptions(src.subscriptions()).to_be("^--!");
  require_ok(ts);
  CHECK(ts.pending() == 0);
  CHECK(ts.elapsed() == Duration(3ms));  // nothing ran after the unsubscription
}

TEST_CASE("cold frame-0 events are scheduled, never sent inside subscribe()") {
  TestScheduler ts;
  auto src = ts.cold("(ab|)");
  std::vector<char> seen;
  auto sub = src.subscribe([&](char c) { seen.push_back(c); });
  CHECK(seen.empty());
  CHECK(ts.pending() == 3);
  sub.unsubscribe();
  CHECK(ts.pending() == 0);
  REQUIRE(src.subscriptions().size() == 1);
  CHECK(src.subscriptions()[0] == SubscriptionLog{0ms, 0ms});
}

TEST_CASE("'#' errors with the given error, or a default one") {
  TestScheduler ts;
  auto boom = std::make_exception_ptr(std::runtime_error("boom"));
  ts.expect_observable(ts.cold("-a-#")).to_be("-a-#");
  ts.expect_observable(ts.cold("-a-#", boom)).to_be("-a-#", boom);
  // Same dynamic type and message count as the same error (operators may rethrow a copy).
  ts.expect_observable(ts.cold("-#", boom))
      .to_be("-#", std::make_exception_ptr(std::runtime_error("boom")));
  ts.expect_observable(ts.cold("--#", boom)).to_be("--#", rxsync::testing::any_error());
  require_ok(ts);

  ts.expect_observable(ts.cold("-#", boom)).to_be("-#");  // default error is not "boom"
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.message(), rxsync_test::contains("std::runtime_error: boom"));
  CHECK_THAT(r.message(), rxsync_test::contains("rxsync::testing::MarbleError: error"));
}

TEST_CASE("errors_match") {
  using rxsync::testing::errors_match;
  auto a = std::make_exception_ptr(std::runtime_error("x"));
  CHECK(errors_match(a, a));
  CHECK(errors_match(a, std::make_exception_ptr(std::runtime_error("x"))));
  CHECK_FALSE(errors_match(a, std::make_exception_ptr(std::runtime_error("y"))));
  CHECK_FALSE(errors_match(a, std::make_exception_ptr(std::logic_error("x"))));
  CHECK_FALSE(errors_match(a, nullptr));
  CHECK_FALSE(errors_match(std::make_exception_ptr(42), std::make_exception_ptr(42)));
}

TEST_CASE("groups and progressions in expectations") {
  TestScheduler ts;
  ts.expect_observable(ts.cold("(ab) 10ms (c|)")).to_be("(ab) 10ms (c|)");
  ts.expect_observable(ts.cold("-a 1s b|")).to_be("- a 999ms -b|");
  require_ok(ts);
}

TEST_CASE("hot events come before operator timers due in the same frame") {
  TestScheduler ts;
  auto hot = ts.hot<std::size_t>("---a", {{'a', 7}});
  auto timer = rxsync::timer(3ms, ts);
  std::vector<std::size_t> order;
  SECTION("timer started during the run (as by expect_observable)") {
    // The hot events are queued when flush() starts; the timer at frame 0 of the run.
    ts.schedule([&] {
      hot.subscribe([&](std::size_t v) { order.push_back(v); });
      timer.subscribe([&](std::size_t v) { order.push_back(v + 100); });
    });
    ts.flush();
    CHECK(order == std::vector<std::size_t>{7, 100});
  }
  SECTION("timer started before the run is queued first") {
    hot.subscribe([&](std::size_t v) { order.push_back(v); });
    timer.subscribe([&](std::size_t v) { order.push_back(v + 100); });
    ts.flush();
    CHECK(order == std::vector<std::size_t>{100, 7});
  }
}

TEST_CASE("time-based sources run on the TestScheduler") {
  TestScheduler ts;
  ts.expect_observable(rxsync::interval(2ms, ts), "^------!")
      .to_be("--a-b-c", {{'a', 0}, {'b', 1}, {'c', 2}});
  ts.expect_observable(rxsync::timer(ts.time("---|"), ts)).to_be("---(a|)", {{'a', 0}});
  require_ok(ts);
  CHECK(ts.pending() == 0);
}

TEST_CASE("flush stops at max_time when the queue never empties") {
  TestScheduler ts;
  ts.set_max_time(10ms);
  std::size_t ticks = 0;
  auto sub = rxsync::interval(1ms, ts).subscribe([&](std::size_t) { ++ticks; });
  ts.flush();
  CHECK(ticks == 10);
  CHECK(ts.elapsed() == Duration(10ms));
  CHECK(ts.pending() == 1);
  sub.unsubscribe();
  REQUIRE_THROWS_WITH(ts.set_max_time(-1ms),
                      rxsync_test::contains("max_time must be >= 0, got -1ms"));
}

TEST_CASE("moving time by hand plays hot observables too") {
  TestScheduler ts;
  auto src = ts.hot("-a-b-|");
  std::string seen;
  src.subscribe([&](char c) { seen += c; }, [](std::exception_ptr) {}, [&] { seen += '|'; });
  ts.advance_by(2ms);
  CHECK(seen == "a");
  ts.advance_to(rxsync::TimePoint(4ms));
  CHECK(seen == "ab");
  ts.run();
  CHECK(seen == "ab|");
  ts.expect_subscriptions(src.subscriptions()).to_be("^----!");
  require_ok(ts);
}

TEST_CASE("test observables convert to Observable<T>") {
  TestScheduler ts;
  rxsync::Observable<char> hot = ts.hot("-a|");
  rxsync::Observable<int> cold = ts.cold<int>("-x|", {{'x', 5}});
  ts.expect_observable(hot).to_be("-a|");
  ts.expect_observable(cold).to_be("-x|", {{'x', 5}});
  ts.expect_observable(ts.cold("a|").as_observable()).to_be("a|");
  require_ok(ts);
}

TEST_CASE("expect_subscriptions needs '^' in each diagram") {
  TestScheduler ts;
  auto src = ts.cold("-a|");
  REQUIRE_THROWS_WITH(ts.expect_subscriptions(src.subscriptions()).to_be("---!"),
                      rxsync_test::contains("needs a subscription point '^'"));
  ts.flush();
  ts.expect_subscriptions(src.subscriptions()).to_be(std::vector<std::string>{});
  require_ok(ts);
}

TEST_CASE("the debounce example of docs/testing.md") {
  TestScheduler ts;
  auto input = ts.hot("-a--bc--d---|");
  ts.expect_observable(input | rxsync::ops::debounce(2ms, ts)).to_be("---a---c--d-|");
  ts.expect_subscriptions(input.subscriptions()).to_be("^-----------!");
  require_ok(ts);
}

TEST_CASE("a subscription may outlive its TestScheduler") {
  rxsync::Subscription hot_sub;
  rxsync::Subscription cold_sub;
  std::optional<rxsync::testing::HotObservable<char>> hot;
  std::optional<rxsync::testing::ColdObservable<char>> cold;
  {
    TestScheduler ts;
    hot.emplace(ts.hot("-a-"));
    cold.emplace(ts.cold("-a-"));
    hot_sub = hot->subscribe([](char) {});
    cold_sub = cold->subscribe([](char) {});
  }
  hot_sub.unsubscribe();  // no access to the destroyed scheduler (ASan checks)
  cold_sub.unsubscribe();
  CHECK_FALSE(hot->subscriptions()[0].unsubscribed);
  CHECK_FALSE(cold->subscriptions()[0].unsubscribed);
}

TEST_CASE("events before '^' reach only subscribers that exist when time first moves") {
  TestScheduler ts;
  auto src = ts.hot("a-^-b|");
  std::string early;
  src.subscribe([&](char c) { early += c; });
  ts.expect_observable(src).to_be("--b|");
  require_ok(ts);
  CHECK(early == "ab");
}
