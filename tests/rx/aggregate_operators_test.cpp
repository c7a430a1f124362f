// reduce, first, last and distinct as marble tests (1 frame = 1 ms): RxJS's cases, plus errors,
// empty sources, throwing callbacks and early unsubscription.
#include <rxsync/rx/operators/distinct.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/reduce.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/testing/marbles.hpp>

#include <map>
#include <stdexcept>
#include <string>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using rxsync::EmptyError;
using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;

using rxsync_test::require_ok;

namespace {
const std::map<char, int> kNums{{'a', 1}, {'b', 2}, {'c', 3}, {'d', 4}, {'e', 5}};
auto plus = [](int acc, int v) { return acc + v; };
std::exception_ptr empty_error() { return std::make_exception_ptr(EmptyError()); }
std::exception_ptr oops() { return std::make_exception_ptr(std::runtime_error("oops")); }
}  // namespace

TEST_CASE("reduce with a seed emits the total on completion, the seed for an empty source") {
  TestScheduler ts;
  auto src = ts.hot("-a-b-c-|", kNums);
  ts.expect_observable(src | ops::reduce(10, plus)).to_be("-------(x|)", {{'x', 16}});
  auto empty = ts.cold("---|", kNums);
  ts.expect_observable(empty | ops::reduce(10, plus)).to_be("---(x|)", {{'x', 10}});
  // The accumulator may have another type than the elements.
  auto words = ts.hot("-a-b-|", kNums);
  ts.expect_observable(
        words | ops::reduce(std::string(">"),
                            [](const std::string& acc, int v) { return acc + std::to_string(v); }))
      .to_be("-----(x|)", {{'x', std::string(">12")}});
  require_ok(ts);
}

TEST_CASE("reduce without a seed starts from the first value, an empty source emits nothing") {
  TestScheduler ts;
  int calls = 0;
  auto src = ts.hot("-a-b-c-|", kNums);
  ts.expect_observable(src | ops::reduce([&calls](int acc, int v) {
                         ++calls;
                         return acc * 10 + v;
                       }))
      .to_be("-------(x|)", {{'x', 123}});
  auto one = ts.hot("--a--|", kNums);
  ts.expect_observable(one | ops::reduce(plus)).to_be("-----(a|)", kNums);
  auto empty = ts.cold("---|", kNums);
  ts.expect_observable(empty | ops::reduce(plus)).to_be("---|", kNums);
  require_ok(ts);
  CHECK(calls == 2);  // never for the first value
}

TEST_CASE("reduce: errors pass, a throwing accumulator errors, unsubscribing emits nothing") {
  TestScheduler ts;
  auto failing = ts.hot("-a-b-#", kNums);
  ts.expect_observable(failing | ops::reduce(0, plus)).to_be("-----#", kNums);
  auto src = ts.hot("-a-b-c-|", kNums);
  auto throwing = [](int acc, int v) {
    if (v == 2) throw std::runtime_error("oops");
    return acc + v;
  };
  ts.expect_observable(src | ops::reduce(0, throwing)).to_be("---#", kNums, oops());
  ts.expect_observable(src | ops::reduce(throwing)).to_be("---#", kNums, oops());
  ts.expect_observable(src | ops::reduce(0, plus), "----!").to_be("-----", kNums);
  ts.expect_subscriptions(src.subscriptions()).to_be({"^--!", "^--!", "^---!"});
  require_ok(ts);
}

TEST_CASE("first: the first (matching) value, then complete and unsubscribe at once") {
  TestScheduler ts;
  auto src = ts.hot("--a--b--c--|", kNums);
  ts.expect_observable(src | ops::first()).to_be("--(a|)", kNums);
  ts.expect_observable(src | ops::first([](int v) { return v > 1; })).to_be("-----(b|)", kNums);
  ts.expect_observable(src | ops::first([](int v) { return v > 5; }, 9))
      .to_be("-----------(x|)", {{'x', 9}});
  ts.expect_subscriptions(src.subscriptions()).to_be({"^-!", "^----!", "^----------!"});
  require_ok(ts);
}

TEST_CASE("first: EmptyError when nothing matches, errors and throwing predicates") {
  TestScheduler ts;
  auto empty = ts.cold("---|", kNums);
  ts.expect_observable(empty | ops::first()).to_be("---#", kNums, empty_error());
  auto none = ts.hot("-a-b-|", kNums);
  ts.expect_observable(none | ops::first([](int v) { return v > 5; }))
      .to_be("-----#", kNums, empty_error());
  auto failing = ts.hot("-a-#", kNums);
  ts.expect_observable(failing | ops::first([](int v) { return v > 5; }, 9)).to_be("---#", kNums);
  auto src = ts.hot("-a-b-|", kNums);
  ts.expect_observable(src | ops::first([](int v) -> bool {
                         if (v == 2) throw std::runtime_error("oops");
                         return false;
                       }))
      .to_be("---#", kNums, oops());
  ts.expect_observable(src | ops::first([](int v) { return v > 5; }), "--!").to_be("---", kNums);
  ts.expect_subscriptions(src.subscriptions()).to_be({"^--!", "^-!"});
  require_ok(ts);
  CHECK(std::string(EmptyError().what()) == "rxsync: no elements in sequence");
}

TEST_CASE("last: the last (matching) value on completion, default or EmptyError otherwise") {
  TestScheduler ts;
  auto src = ts.hot("--a--b--c--|", kNums);
  ts.expect_observable(src | ops::last()).to_be("-----------(c|)", kNums);
  ts.expect_observable(src | ops::last([](int v) { return v < 3; }))
      .to_be("-----------(b|)", kNums);
  ts.expect_observable(src | ops::last([](int v) { return v > 5; }, 9))
      .to_be("-----------(x|)", {{'x', 9}});
  ts.expect_observable(src | ops::last([](int v) { return v > 5; }))
      .to_be("-----------#", kNums, empty_error());
  auto empty = ts.cold("--|", kNums);
  ts.expect_observable(empty | ops::last()).to_be("--#", kNums, empty_error());
  auto failing = ts.hot("-a-#", kNums);
  ts.expect_observable(failing | ops::last()).to_be("---#", kNums);
  ts.expect_observable(src | ops::last(), "----!").to_be("-----", kNums);
  require_ok(ts);
}

TEST_CASE("distinct drops every value seen before, by value or by key") {
  TestScheduler ts;
  const std::map<char, int> v{{'a', 1}, {'b', 2}, {'c', 3}, {'A', 11}, {'B', 12}};
  auto src = ts.hot("-a-b-a-c-b-a-|", v);
  ts.expect_observable(src | ops::distinct()).to_be("-a-b---c-----|", v);
  auto keyed = ts.hot("-a-A-b-c-B-|", v);
  ts.expect_observable(keyed | ops::distinct([](int x) { return x % 10; }))
      .to_be("-a---b-c---|", v);
  auto failing = ts.hot("-a-a-#", v);
  ts.expect_observable(failing | ops::distinct()).to_be("-a---#", v);
  auto throwing = ts.hot("-a-b-|", v);
  ts.expect_observable(throwing | ops::distinct([](int x) -> int {
                         if (x == 2) throw std::runtime_error("oops");
                         return x;
                       }))
      .to_be("-a-#", v, oops());
  require_ok(ts);
}

TEST_CASE("distinct with flushes forgets the keys on each notifier value") {
  TestScheduler ts;
  const std::map<char, int> v{{'a', 1}, {'b', 2}, {'c', 3}};
  // The b at 17 comes before the flush of the same frame (scheduled first), so it is dropped.
  auto src = ts.hot("--a--b--a--b--a--b--|", v);
  auto flushes = ts.hot("---------x-------x---|");
  ts.expect_observable(src | ops::distinct([](int x) { return x; }, flushes))
      .to_be("--a--b-----b--a-----|", v);
  ts.expect_subscriptions(flushes.subscriptions()).to_be("^-------------------!");
  // The notifier's completion is ignored, its error ends the chain.
  auto src2 = ts.hot("--a--a--a--|", v);
  auto done = ts.hot("---|");
  ts.expect_observable(src2 | ops::distinct([](int x) { return x; }, done))
      .to_be("--a--------|", v);
  auto src3 = ts.hot("--a--b--a--|", v);
  auto failing = ts.hot("------#");
  ts.expect_observable(src3 | ops::distinct([](int x) { return x; }, failing)).to_be("--a--b#", v);
  ts.expect_subscriptions(src3.subscriptions()).to_be("^-----!");
  require_ok(ts);
}
