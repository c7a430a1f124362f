// Per-value operators: map, filter, tap, scan, pairwise, take, skip, take_while,
// distinct_until_changed, start_with, buffer(count).
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using rx_test::Events;
using rx_test::record;

namespace {
int throw_on_3(int v) {
  if (v == 3) throw std::runtime_error("three");
  return v;
}
}  // namespace

TEST_CASE("map, filter, tap, scan") {
  Events log;
  std::vector<int> tapped;
  record(from(std::vector<int>{1, 2, 3, 4}) | ops::map([](int v) { return v * 10; }) |
             ops::filter([](int v) { return v != 20; }) |
             ops::tap([&](int v) { tapped.push_back(v); }) |
             ops::scan(std::string(),
                       [](const std::string& acc, int v) { return acc + std::to_string(v / 10); }),
         log);
  CHECK(log == Events{"1", "13", "134", "C"});
  CHECK(tapped == std::vector<int>{10, 30, 40});
}

TEST_CASE("scan delivers each total even when the downstream feeds the source again") {
  // The nested value updates the running total while the outer total 1 is still on its way.
  PublishSubject<int> s;
  Events log;
  record(s | ops::scan(0, [](int a, int v) { return a + v; }) | ops::tap([&](int total) {
           if (total == 1) s.on_next(10);
         }),
         log);
  s.on_next(1);
  CHECK(log == Events{"11", "1"});
}

TEST_CASE("map may change the type") {
  Events log;
  record(just(1, 2) | ops::map([](int v) { return std::string(static_cast<std::size_t>(v), 'x'); }),
         log);
  CHECK(log == Events{"x", "xx", "C"});
}

TEST_CASE("an exception from a user function becomes on_error and stops the chain") {
  auto f = GENERATE(0, 1, 2, 3, 4);
  Events log;
  PublishSubject<int> s;
  int calls = 0;
  auto counted = [&](int v) {
    ++calls;
    return throw_on_3(v);
  };
  switch (f) {
    case 0:
      record(s | ops::map(counted), log);
      break;
    case 1:
      record(s | ops::filter([&](int v) { return counted(v) > 0; }), log);
      break;
    case 2:
      record(s | ops::tap([&](int v) { counted(v); }), log);
      break;
    case 3:
      record(s | ops::scan(0, [&](int, int v) { return counted(v); }), log);
      break;
    default:
      record(s | ops::take_while([&](int v) { return counted(v) > 0; }), log);
      break;
  }
  s.on_next(1);
  s.on_next(3);
  s.on_next(4);
  CHECK(log == Events{"1", "E:three"});
  CHECK(calls == 2);  // the function is not called after the error
  CHECK(s.observer_count() == 0);
}

TEST_CASE("errors and completion pass through every operator") {
  Events log;
  record(error<int>(rx_test::boom()) | ops::map([](int v) { return v; }) | ops::pairwise(), log);
  CHECK(log == Events{"E:boom"});
  log.clear();
  record(empty<int>() | ops::filter([](int) { return true; }) |
             ops::scan(0, [](int a, int b) { return a + b; }),
         log);
  CHECK(log == Events{"C"});
}

TEST_CASE("pairwise emits (previous, current) from the second value") {
  Events log;
  record(just(1, 2, 3) | ops::pairwise(), log);
  CHECK(log == Events{"(1,2)", "(2,3)", "C"});
  log.clear();
  record(just(1) | ops::pairwise(), log);
  CHECK(log == Events{"C"});
}

TEST_CASE("take completes after n values and unsubscribes the upstream") {
  PublishSubject<int> s;
  Events log;
  auto sub = record(s | ops::take(2), log);
  CHECK(s.observer_count() == 1);
  s.on_next(1);
  s.on_next(2);
  CHECK(log == Events{"1", "2", "C"});
  CHECK(s.observer_count() == 0);
  CHECK_FALSE(sub.is_subscribed());
  s.on_next(3);
  CHECK(log.size() == 3);
}

TEST_CASE("take stops an endless synchronous source, and take(0) never subscribes") {
  int produced = 0;
  auto endless = create<int>([&](Subscriber<int> s) {
    for (int i = 0; !s.is_disposed(); ++i) {
      ++produced;
      s.on_next(i);
    }
  });
  Events log;
  record(endless | ops::take(3), log);
  CHECK(log == Events{"0", "1", "2", "C"});
  CHECK(produced == 3);

  produced = 0;
  log.clear();
  record(endless | ops::take(0), log);
  CHECK(log == Events{"C"});
  CHECK(produced == 0);
}

TEST_CASE("take: a re-entrant value during the last on_next is ignored") {
  PublishSubject<int> s;
  Events log;
  s.subscribe([](int) {});
  (s | ops::take(1)).subscribe([&](int v) {
    log.push_back(std::to_string(v));
    s.on_next(v + 1);
  });
  s.on_next(1);
  CHECK(log == Events{"1"});
}

TEST_CASE("skip and take_while") {
  Events log;
  record(just(1, 2, 3, 4) | ops::skip(2), log);
  CHECK(log == Events{"3", "4", "C"});
  log.clear();
  record(just(1, 2) | ops::skip(5), log);
  CHECK(log == Events{"C"});
  log.clear();
  PublishSubject<int> s;
  record(s | ops::take_while([](int v) { return v < 3; }), log);
  s.on_next(1);
  s.on_next(2);
  s.on_next(3);
  s.on_next(1);
  CHECK(log == Events{"1", "2", "C"});
  CHECK(s.observer_count() == 0);
}

TEST_CASE("distinct_until_changed with default equality") {
  Events log;
  record(from(std::vector<int>{1, 1, 2, 2, 2, 1, 3, 3}) | ops::distinct_until_changed(), log);
  CHECK(log == Events{"1", "2", "1", "3", "C"});
}

TEST_CASE("distinct_until_changed: custom equality, the key moves only on emission") {
  // "Close enough" equality: within 1 of the last *emitted* value. 1,2,3 - with a moving key
  // 3 would be compared with 2 and dropped; RxJS compares with 1 (last emitted) and emits it.
  Events log;
  record(
      from(std::vector<int>{1, 2, 3, 4, 10}) |
          ops::distinct_until_changed([](int prev, int cur) { return std::abs(prev - cur) <= 1; }),
      log);
  CHECK(log == Events{"1", "3", "10", "C"});
}

TEST_CASE("start_with emits its values before the source") {
  Events log;
  record(just(3) | ops::start_with(1, 2), log);
  CHECK(log == Events{"1", "2", "3", "C"});
  log.clear();
  record(error<int>(rx_test::boom()) | ops::start_with(0), log);
  CHECK(log == Events{"0", "E:boom"});
  log.clear();
  record(just(3) | ops::start_with(1, 2) | ops::take(1), log);
  CHECK(log == Events{"1", "C"});
}

TEST_CASE("buffer(count) emits full batches and the remainder on completion") {
  Events log;
  record(from(std::vector<int>{1, 2, 3, 4, 5}) | ops::buffer(2), log);
  CHECK(log == Events{"[1,2]", "[3,4]", "[5]", "C"});
  log.clear();
  record(empty<int>() | ops::buffer(3), log);
  CHECK(log == Events{"C"});
  log.clear();
  PublishSubject<int> s;
  record(s | ops::buffer(3), log);
  s.on_next(1);
  s.on_error(rx_test::boom());
  CHECK(log == Events{"E:boom"});  // the partial batch is dropped on error
  REQUIRE_THROWS_WITH(ops::buffer(0), rxsync_test::contains("count must be > 0, got 0"));
}
