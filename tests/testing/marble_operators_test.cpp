// The harness end to end on rxsync's own subjects and synchronous operators.
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;

using rxsync_test::require_ok;

namespace {}  // namespace

TEST_CASE("marbles: map and filter") {
  TestScheduler ts;
  const std::map<char, int> in{{'a', 1}, {'b', 2}, {'c', 3}, {'d', 4}};
  auto src = ts.hot("-a-^b-c-d-|", in);
  ts.expect_observable(src | ops::map([](int v) { return v * 10; }))
      .to_be("-x-y-z-|", {{'x', 20}, {'y', 30}, {'z', 40}});
  ts.expect_observable(src | ops::filter([](int v) { return v % 2 == 0; })).to_be("-b---d-|", in);
  ts.expect_subscriptions(src.subscriptions()).to_be({"^------!", "^------!"});
  require_ok(ts);
}

TEST_CASE("marbles: an exception thrown by map becomes an error in the same frame") {
  TestScheduler ts;
  auto src = ts.cold("-a-b-c|");
  auto mapped = src | ops::map([](char c) {
                  if (c == 'b') throw std::runtime_error("bad b");
                  return c;
                });
  ts.expect_observable(mapped).to_be("-a-#", std::make_exception_ptr(std::runtime_error("bad b")));
  ts.expect_subscriptions(src.subscriptions()).to_be("^--!");
  require_ok(ts);
}

TEST_CASE("marbles: take unsubscribes from its source when it completes") {
  TestScheduler ts;
  auto src = ts.hot("--a--b--c--d--|");
  ts.expect_observable(src | ops::take(2)).to_be("--a--(b|)");
  ts.expect_subscriptions(src.subscriptions()).to_be("^----!");
  require_ok(ts);
}

TEST_CASE("marbles: distinct_until_changed and scan") {
  TestScheduler ts;
  auto src = ts.cold("-a-a-b-b-a-|");
  ts.expect_observable(src | ops::distinct_until_changed()).to_be("-a---b---a-|");
  const std::map<char, int> ones{{'x', 1}};
  ts.expect_observable(ts.cold("-x-x-x|", ones) |
                       ops::scan(0, [](int acc, int v) { return acc + v; }))
      .to_be("-a-b-c|", {{'a', 1}, {'b', 2}, {'c', 3}});
  require_ok(ts);
}

TEST_CASE("marbles: merge interleaves by time and orders same-frame events by scheduling") {
  TestScheduler ts;
  auto a = ts.hot("-a---c---|");
  auto b = ts.hot("---b-d-|");
  // Same frame 5: a's 'c' was queued before b's 'd' (a was created first).
  ts.expect_observable(a | ops::merge(b)).to_be("-a-b-(cd)|");
  require_ok(ts);
}

TEST_CASE("marbles: combine_latest") {
  TestScheduler ts;
  auto a = ts.hot<int>("-a---b---|", {{'a', 1}, {'b', 2}});
  auto b = ts.hot<int>("---x---y-----|", {{'x', 10}, {'y', 20}});
  auto sum = a | ops::combine_latest(b) |
             ops::map([](const auto& t) { return std::get<0>(t) + std::get<1>(t); });
  ts.expect_observable(sum).to_be("---p-q-r-----|", {{'p', 11}, {'q', 12}, {'r', 22}});
  require_ok(ts);
}

TEST_CASE("marbles: a PublishSubject fed by a hot observable") {
  TestScheduler ts;
  rxsync::PublishSubject<char> subject;
  auto src = ts.hot("-a-b-c-|");
  ts.schedule([&] { src.subscribe(subject); });
  ts.expect_observable(subject, "--^").to_be("---b-c-|");  // late: misses 'a'
  ts.expect_observable(subject, "^---!").to_be("-a-b");
  require_ok(ts);
  CHECK(subject.observer_count() == 0);
}

TEST_CASE("marbles: BehaviorSubject replays its current value to late subscribers") {
  TestScheduler ts;
  rxsync::BehaviorSubject<char> subject{'z'};
  auto src = ts.hot("--a---b--|");
  ts.schedule([&] { src.subscribe(subject); });
  ts.expect_observable(subject).to_be("z-a---b--|");
  ts.expect_observable(subject, "----^").to_be("----a-b--|");
  ts.expect_observable(subject, "-----------^").to_be("-----------|");
  require_ok(ts);
}

TEST_CASE("marbles: re-entrant emission from inside a subscriber") {
  TestScheduler ts;
  rxsync::PublishSubject<char> subject;
  auto src = ts.hot("-a----b-|");
  // Echo: every 'a' makes the first subscriber send an 'x' from inside its on_next. The
  // expectation subscribed second, so (as in RxJS) it sees the nested 'x' before the 'a'.
  ts.schedule([&] {
    subject.subscribe([&](char c) {
      if (c == 'a') subject.on_next('x');
    });
    src.subscribe(subject);
  });
  ts.expect_observable(subject).to_be("-(xa)-b-|");
  require_ok(ts);
}

TEST_CASE("RxJS switchMap: should map-and-flatten each item to an observable") {
  TestScheduler ts;
  auto e1 = ts.hot("--1-----3--5-------|");
  auto e2 = ts.cold<int>("x-x-x|", {{'x', 10}});
  auto result = e1 | ops::switch_map([e2](char digit) {
                  return e2 | ops::map([n = digit - '0'](int i) { return i * n; });
                });
  ts.expect_observable(result).to_be("--x-x-x-y-yz-z-z---|", {{'x', 10}, {'y', 30}, {'z', 50}});
  ts.expect_subscriptions(e1.subscriptions()).to_be("^------------------!");
  // Each inner subscription ends when it completes or when the next value switches away.
  ts.expect_subscriptions(e2.subscriptions())
      .to_be({"--^----!", "--------^--!", "-----------^----!"});
  require_ok(ts);
}

TEST_CASE("RxJS retry: resubscribes to a cold source at the frame of each error") {
  TestScheduler ts;
  auto source = ts.cold("--1-2-3-#");
  ts.expect_observable(source | ops::retry(2)).to_be("--1-2-3---1-2-3---1-2-3-#");
  ts.expect_subscriptions(source.subscriptions())
      .to_be({"^-------!", "--------^-------!", "----------------^-------!"});
  require_ok(ts);
}

TEST_CASE("marbles: retry lets go of a hot source once unsubscribed") {
  // A hot observable keeps its subscribers until its next event, and there is none after the
  // unsubscription: retry's state (held by that subscriber) must not hold the source too.
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    TestScheduler ts;
    auto e1 = ts.hot("-a-x-b------");
    auto src = e1 | ops::map([witness](char c) {
                 if (c == 'x') throw std::runtime_error("x");
                 return static_cast<char>(c + *witness);
               });
    witness.reset();
    ts.expect_observable(src | ops::retry(1), "--------!").to_be("-a---b--");
    ts.expect_subscriptions(e1.subscriptions()).to_be({"^--!", "---^----!"});
    require_ok(ts);
  }
  CHECK(weak.expired());
}
