// The RxJS overloads of existing operators, as marble tests (1 frame = 1 ms): scan without a
// seed, take_while(pred, inclusive), distinct_until_changed on a key, buffer(count, start_every).
#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/testing/marbles.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;

using rxsync_test::require_ok;

namespace {
const std::map<char, int> kNums{{'a', 1}, {'b', 2}, {'c', 3}, {'d', 4}, {'e', 5}};
auto plus = [](int acc, int v) { return acc + v; };
std::exception_ptr oops() { return std::make_exception_ptr(std::runtime_error("oops")); }
}  // namespace

TEST_CASE("scan without a seed emits the first value as the accumulator") {
  TestScheduler ts;
  auto src = ts.hot("-a-b-c-|", kNums);
  ts.expect_observable(src | ops::scan(plus)).to_be("-x-y-z-|", {{'x', 1}, {'y', 3}, {'z', 6}});
  auto empty = ts.cold("--|", kNums);
  ts.expect_observable(empty | ops::scan(plus)).to_be("--|", kNums);
  auto throwing = ts.hot("-a-b-c-|", kNums);
  ts.expect_observable(throwing | ops::scan([](int, int v) -> int {
                         if (v == 2) throw std::runtime_error("oops");
                         return v;
                       }))
      .to_be("-a-#", kNums, oops());
  ts.expect_observable(src | ops::scan(plus), "--!").to_be("-x-", {{'x', 1}});
  require_ok(ts);
}

TEST_CASE("take_while inclusive emits the failing value, then completes") {
  TestScheduler ts;
  auto src = ts.hot("-a-b-c-d-|", kNums);
  auto small = [](int v) { return v < 3; };
  ts.expect_observable(src | ops::take_while(small, true)).to_be("-a-b-(c|)", kNums);
  ts.expect_observable(src | ops::take_while(small, false)).to_be("-a-b-|", kNums);
  ts.expect_subscriptions(src.subscriptions()).to_be({"^----!", "^----!"});
  auto all = ts.hot("-a-b-|", kNums);
  ts.expect_observable(all | ops::take_while(small, true)).to_be("-a-b-|", kNums);
  require_ok(ts);
}

TEST_CASE("distinct_until_changed on a key, with or without a comparator") {
  TestScheduler ts;
  struct P {
    int id;
    std::string name;
    bool operator==(const P&) const = default;
  };
  const std::map<char, P> v{{'a', {1, "x"}}, {'b', {1, "y"}}, {'c', {2, "y"}}, {'d', {1, "z"}}};
  auto src = ts.hot("-a-b-c-d-d-|", v);
  ts.expect_observable(src | ops::distinct_until_key_changed([](const P& p) { return p.id; }))
      .to_be("-a---c-d---|", v);
  ts.expect_observable(src | ops::distinct_until_key_changed([](const P& p) { return p.name; }))
      .to_be("-a-b---d---|", v);
  // RxJS distinctUntilChanged(comparator, keySelector): the comparator sees keys.
  auto same_parity = [](int x, int y) { return x % 2 == y % 2; };
  ts.expect_observable(src |
                       ops::distinct_until_changed(same_parity, [](const P& p) { return p.id; }))
      .to_be("-a---c-d---|", v);
  auto throwing = ts.hot("-a-c-|", v);
  ts.expect_observable(throwing | ops::distinct_until_key_changed([](const P& p) -> int {
                         if (p.id == 2) throw std::runtime_error("oops");
                         return p.id;
                       }))
      .to_be("-a-#", v, oops());
  require_ok(ts);
}

TEST_CASE("buffer(count, start_every): overlapping and skipping buffers (RxJS bufferCount)") {
  TestScheduler ts;
  using V = std::vector<int>;
  // RxJS "should emit buffers at intervals": bufferCount(3, 2).
  auto src = ts.hot("--a--b--c--d--e--|", kNums);
  ts.expect_observable(src | ops::buffer(3, 2))
      .to_be("--------x-----y--(z|)",
             std::map<char, V>{{'x', {1, 2, 3}}, {'y', {3, 4, 5}}, {'z', {5}}});
  // start_every > count skips values.
  ts.expect_observable(src | ops::buffer(1, 2))
      .to_be("--x-----y-----z--|", std::map<char, V>{{'x', {1}}, {'y', {3}}, {'z', {5}}});
  ts.expect_observable(src | ops::buffer(2, 2))
      .to_be("-----x-----y-----(z|)", std::map<char, V>{{'x', {1, 2}}, {'y', {3, 4}}, {'z', {5}}});
  auto failing = ts.hot("--a--b--#", kNums);
  ts.expect_observable(failing | ops::buffer(3, 1)).to_be("--------#", std::map<char, V>{});
  ts.expect_observable(src | ops::buffer(3, 1), "------!").to_be("-------", std::map<char, V>{});
  require_ok(ts);
  CHECK_THROWS_WITH(ops::buffer(3, 0), "rxsync::ops::buffer: start_every must be > 0, got 0");
  CHECK_THROWS_WITH(ops::buffer(0, 1), "rxsync::ops::buffer: count must be > 0, got 0");
}
