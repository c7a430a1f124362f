// A failing expectation must fail (ok() == false) and say why: both diagrams one above the
// other, both event lists, the first difference.
#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/testing/marbles.hpp>

#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using rxsync::testing::TestScheduler;
using rxsync_test::contains;

namespace {
struct Point {
  int x = 0;
  friend bool operator==(const Point&, const Point&) = default;
};
struct Throwing {
  using value_type = int;
  template <class... A>
  rxsync::Subscription subscribe(A&&...) const {
    throw std::runtime_error("no subscribe");
  }
};
}  // namespace

TEST_CASE("a wrong value fails with both diagrams one above the other") {
  TestScheduler ts;
  ts.expect_observable(ts.hot("^--a--|")).to_be("---b--|");
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_FALSE(static_cast<bool>(r));
  CHECK(r.checked() == 1);
  REQUIRE(r.failures().size() == 1);
  const std::string m = r.message();
  CHECK_THAT(m, contains("1 of 1 marble expectation(s) failed"));
  CHECK_THAT(m, contains("expectation #1 expect_observable(obs).to_be(\"---b--|\") failed"));
  CHECK_THAT(m, contains("  expected: ---b--|\n  actual:   ---a--|\n"));
  CHECK_THAT(m, contains("expected events: 3ms: next b, 6ms: complete"));
  CHECK_THAT(m, contains("actual events:   3ms: next a, 6ms: complete"));
  CHECK_THAT(m, contains("first difference at event #1: expected 3ms: next b, actual 3ms: next a"));
}

TEST_CASE("wrong timing, missing and extra events fail") {
  TestScheduler ts;
  auto src = ts.cold("-a-b-|");
  SECTION("late") {
    ts.expect_observable(src).to_be("--a-b-|");
    auto r = ts.flush();
    CHECK_FALSE(r.ok());
    CHECK_THAT(r.message(), contains("expected: --a-b-|\n  actual:   -a-b-|"));
  }
  SECTION("missing completion") {
    ts.expect_observable(src).to_be("-a-b--");
    auto r = ts.flush();
    CHECK_FALSE(r.ok());
    CHECK_THAT(r.message(), contains("expected nothing more, actual 5ms: complete"));
  }
  SECTION("an event that never came") {
    ts.expect_observable(src).to_be("-a-b-c-|");
    auto r = ts.flush();
    CHECK_FALSE(r.ok());
    CHECK_THAT(r.message(), contains("expected 5ms: next c, actual 5ms: complete"));
  }
  SECTION("same frame, different grouping") {
    ts.expect_observable(ts.cold("(ab)")).to_be("(ba)");
    auto r = ts.flush();
    CHECK_FALSE(r.ok());
    CHECK_THAT(r.message(), contains("expected: (ba)\n  actual:   (ab)"));
  }
}

TEST_CASE("only failed expectations are listed, numbered in registration order") {
  TestScheduler ts;
  ts.expect_observable(ts.cold("a|")).to_be("a|");
  ts.expect_observable(ts.cold("a|"), "^!").to_be("b|");
  auto r = ts.flush();
  CHECK(r.checked() == 2);
  REQUIRE(r.failures().size() == 1);
  CHECK_THAT(r.message(), contains("expectation #2 expect_observable(obs, \"^!\").to_be(\"b|\")"));
  // The expectations were consumed: the next flush checks nothing.
  auto again = ts.flush();
  CHECK(again.ok());
  CHECK(again.checked() == 0);
  CHECK_THAT(again.message(), contains("all 0 marble expectation(s) passed"));
}

TEST_CASE("a subscription mismatch lists both logs") {
  TestScheduler ts;
  auto src = ts.cold("--a--|");
  ts.expect_observable(src, "^---!").to_be("--a-");
  ts.expect_subscriptions(src.subscriptions()).to_be("^----!");
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.message(), contains("expect_subscriptions(...).to_be(\"^----!\") failed"));
  CHECK_THAT(
      r.message(),
      contains("expected subscriptions:\n    ^----!   (subscribed at 0ms, unsubscribed at 5ms)"));
  CHECK_THAT(
      r.message(),
      contains("actual subscriptions:\n    ^---!   (subscribed at 0ms, unsubscribed at 4ms)"));
}

TEST_CASE("an expectation without to_be fails instead of passing silently") {
  TestScheduler ts;
  ts.expect_observable(ts.cold("a|"));
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.message(), contains("to_be() was never called"));
}

TEST_CASE("to_be twice on one expectation is a logic error") {
  TestScheduler ts;
  auto e = ts.expect_observable(ts.cold("a|"));
  e.to_be("a|");
  REQUIRE_THROWS_AS(e.to_be("a|"), std::logic_error);
  ts.flush();
}

TEST_CASE("bad expected diagrams throw at to_be") {
  TestScheduler ts;
  auto src = ts.cold("a|");
  REQUIRE_THROWS_WITH(ts.expect_observable(src).to_be("a|b"), contains("after the terminal"));
  REQUIRE_THROWS_WITH(ts.expect_observable(src, "^^"), contains("second '^'"));
  REQUIRE_THROWS_WITH(ts.expect_observable(ts.cold<int>("a", {{'a', 1}})).to_be("a"),
                      contains("value 'a' needs a values map"));
  ts.flush();
}

TEST_CASE("values without a letter are shown with a printer or operator<<") {
  TestScheduler ts;
  SECTION("operator<<") {
    ts.expect_observable(ts.cold<int>("-a|", {{'a', 41}})).to_be("-a|", {{'a', 42}});
    auto r = ts.flush();
    CHECK_THAT(r.message(), contains("expected: -a-|\n  actual:   -41|"));
    CHECK_THAT(r.message(), contains("actual events:   1ms: next 41"));
    CHECK_THAT(r.message(), contains("expected events: 1ms: next a = 42"));
  }
  SECTION("printer") {
    auto src = ts.cold<Point>("-a|", {{'a', Point{1}}});
    ts.expect_observable(src)
        .with_printer([](const Point& p) { return "P" + std::to_string(p.x); })
        .to_be("-b|", {{'b', Point{2}}});
    auto r = ts.flush();
    CHECK_THAT(r.message(), contains("actual events:   1ms: next P1"));
    CHECK_THAT(r.message(), contains("expected events: 1ms: next b = P2"));
  }
  SECTION("neither") {
    ts.expect_observable(ts.cold<Point>("-a|", {{'a', Point{1}}})).to_be("-b|", {{'b', Point{2}}});
    auto r = ts.flush();
    CHECK_THAT(r.message(), contains("actual:   -?|"));
    CHECK_THAT(r.message(), contains("give expect_observable a printer"));
  }
}

TEST_CASE("a subscribe() that throws is reported") {
  TestScheduler ts;
  ts.expect_observable(Throwing{}).to_be("-");
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.message(), contains("subscribe() threw: std::runtime_error: no subscribe"));
}

TEST_CASE("a MarbleResult prints its message, so REQUIRE(ts.flush()) explains failures") {
  TestScheduler ts;
  ts.expect_observable(ts.cold("a|")).to_be("b|");
  auto r = ts.flush();
  std::ostringstream os;
  os << r;
  CHECK(os.str() == r.message());
  CHECK_THAT(os.str(), contains("expected: b|"));
  TestScheduler fresh;  // ts's clock has moved on: its frames now start at 2 ms
  fresh.expect_observable(fresh.cold("a|")).to_be("a|");
  REQUIRE(fresh.flush());
}

TEST_CASE("to_be accepts a values map of a type convertible to the value type") {
  TestScheduler ts;
  const std::map<char, std::string> words{{'h', "hello"}, {'w', "world"}};
  ts.expect_observable(ts.cold("-h-w|", words))
      .to_be("-h-w|", std::map<char, const char*>{{'h', "hello"}, {'w', "world"}});
  REQUIRE(ts.flush());
}

TEST_CASE("long event lists are cut after 100 events") {
  TestScheduler ts;
  ts.expect_observable(rxsync::interval(std::chrono::milliseconds(1), ts) | rxsync::ops::take(150))
      .to_be("-");
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.message(), contains("100ms: next 99, ... (51 more)"));
  CHECK_THAT(r.message(), contains("(149|)"));  // the diagram still shows everything
}

TEST_CASE("ranges, pairs and tuples are printed element by element") {
  using rxsync::testing::detail::print_value;
  std::ostringstream os;
  CHECK(print_value(os, std::vector<int>{1, 2, 3}));
  CHECK(print_value(os, std::pair<char, int>{'a', 1}));
  CHECK(print_value(os, std::tuple<int, std::string, char>{1, "two", '3'}));
  CHECK(print_value(os, std::vector<std::pair<int, int>>{{1, 2}}));
  CHECK(os.str() == "[1, 2, 3](a, 1)(1, two, 3)[(1, 2)]");
  std::ostringstream unprintable;
  CHECK_FALSE(print_value(unprintable, Point{1}));
  CHECK_FALSE(print_value(unprintable, std::vector<Point>{Point{1}}));
}

TEST_CASE("a buffered stream's failure shows the vectors") {
  TestScheduler ts;
  auto src = ts.cold("-a-b-c-d|") | rxsync::ops::buffer(2);
  using V = std::vector<char>;
  ts.expect_observable(src).to_be("---x---y|",
                                  std::map<char, V>{{'x', V{'a', 'b'}}, {'y', V{'c', 'e'}}});
  auto r = ts.flush();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.message(), contains("actual events:   3ms: next x = [a, b], 7ms: next [c, d]"));
}
