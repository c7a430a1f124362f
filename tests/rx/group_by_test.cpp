// group_by in virtual time (1 frame = 1 ms, TestScheduler): which groups are emitted, what each
// group receives and when, how completion and errors reach groups and the outer subscriber, and
// how long the source stays subscribed (RxJS: while the outer subscriber or any group's is).
#include <rxsync/rx/operators/group_by.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include <cctype>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "marble_test_support.hpp"
#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::GroupedObservable;
using rxsync::Subscription;
using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;
using Events = rx_test::Events;

using rxsync_test::require_ok;

namespace {

bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }

std::string at(TestScheduler& ts, const std::string& what) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(ts.elapsed()).count()) +
         ":" + what;
}

// Subscribes to a group and logs "<time>:<key><event>" into *log; keeps the subscription.
template <class G>
void watch(TestScheduler& ts, const G& g, Events& log, std::vector<Subscription>& subs) {
  const std::string k = g.key() ? "U" : "l";
  subs.push_back(g.subscribe(
      [&ts, &log, k](char c) { log.push_back(at(ts, k + c)); },
      [&ts, &log, k](std::exception_ptr e) { log.push_back(at(ts, k + "#" + rx_test::what(e))); },
      [&ts, &log, k] { log.push_back(at(ts, k + "|")); }));
}

}  // namespace

TEST_CASE("group_by emits one group per key, then each value into its group (RxJS groupBy)") {
  TestScheduler ts;
  auto src = ts.hot("-a-B-c-D-e-|");
  // The outer emissions, as keys.
  ts.expect_observable(src | ops::group_by(is_upper) |
                       ops::map([](const GroupedObservable<bool, char>& g) { return g.key(); }))
      .to_be("-x-y-------|", {{'x', false}, {'y', true}});
  // What each group receives, subscribed from inside the outer on_next: every value of its key,
  // and the completion before the outer one.
  Events log;
  std::vector<Subscription> subs;
  auto outer =
      (src | ops::group_by(is_upper))
          .subscribe([&](const GroupedObservable<bool, char>& g) { watch(ts, g, log, subs); },
                     [](std::exception_ptr) {}, [&] { log.push_back(at(ts, "outer|")); });
  require_ok(ts);
  CHECK(log == Events{"1:la", "3:UB", "5:lc", "7:UD", "9:le", "11:l|", "11:U|", "11:outer|"});
}

TEST_CASE("group_by: a source error, then a throwing key function, reach every group first") {
  for (const bool throwing : {false, true}) {
    TestScheduler ts;
    auto src = ts.hot(throwing ? "-a-B-c-z-|" : "-a-B-c-#");
    auto key = [](char c) -> bool {
      if (c == 'z') throw std::runtime_error("bad key");
      return is_upper(c);
    };
    Events log;
    std::vector<Subscription> subs;
    auto outer =
        (src | ops::group_by(key))
            .subscribe(
                [&](const GroupedObservable<bool, char>& g) { watch(ts, g, log, subs); },
                [&](std::exception_ptr e) { log.push_back(at(ts, "outer#" + rx_test::what(e))); });
    ts.expect_subscriptions(src.subscriptions()).to_be("^------!");
    require_ok(ts);
    const std::string err = throwing ? "bad key" : "error";
    CHECK(log == Events{"1:la", "3:UB", "5:lc", "7:l#" + err, "7:U#" + err, "7:outer#" + err});
  }
}

TEST_CASE("group_by: empty sources, and a group subscribed after it ended gets its end only") {
  TestScheduler ts;
  auto empty = ts.cold("--|");
  ts.expect_observable(empty | ops::group_by(is_upper) |
                       ops::map([](const GroupedObservable<bool, char>& g) { return g.key(); }))
      .to_be("--|", std::map<char, bool>{});
  auto src = ts.hot("-a-|");
  std::vector<GroupedObservable<bool, char>> kept;
  auto outer =
      (src | ops::group_by(is_upper)).subscribe([&](const GroupedObservable<bool, char>& g) {
        kept.push_back(g);
      });
  require_ok(ts);
  REQUIRE(kept.size() == 1);
  Events log;
  rx_test::record(kept[0], log);
  CHECK(log == Events{"C"});  // a late subscriber of a group misses its values (a subject)
}

TEST_CASE("group_by: the source stays subscribed while a group has a subscriber (RxJS)") {
  TestScheduler ts;
  auto src = ts.hot("-a-B-c-D-e-|");
  Events log;
  std::vector<Subscription> subs;
  Subscription outer =
      (src | ops::group_by(is_upper)).subscribe([&](const GroupedObservable<bool, char>& g) {
        watch(ts, g, log, subs);
      });
  // The outer subscriber leaves at 4; the groups' subscribers at 8: the source goes at 8.
  ts.schedule_at(ts.now() + 4ms, [&] { outer.unsubscribe(); });
  ts.schedule_at(ts.now() + 8ms, [&] {
    for (auto& s : subs) s.unsubscribe();
  });
  // With no group subscribed, unsubscribing the outer subscriber releases the source at once.
  auto bare = (src | ops::group_by(is_upper)).subscribe([](const auto&) {});
  ts.schedule_at(ts.now() + 6ms, [&] { bare.unsubscribe(); });
  ts.expect_subscriptions(src.subscriptions()).to_be({"^-------!", "^-----!"});
  require_ok(ts);
  // The groups kept receiving values after the outer subscriber left (D at 7), until their own
  // subscribers left.
  CHECK(log == Events{"1:la", "3:UB", "5:lc", "7:UD"});
}

TEST_CASE("group_by: a group kept after the subscription ended does not keep the operator") {
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  std::vector<GroupedObservable<int, int>> kept;
  {
    rxsync::PublishSubject<int> src;
    Events log;
    auto sub = (src | ops::group_by([witness](int v) {
                  return v % 2;
                })).subscribe([&](const GroupedObservable<int, int>& g) { kept.push_back(g); });
    witness.reset();
    src.on_next(1);
    src.on_next(2);
    src.on_completed();
  }
  CHECK(kept.size() == 2);
  CHECK(weak.expired());
  Events log;
  rx_test::record(kept[1], log);  // still safe to subscribe: the group has ended
  CHECK(log == Events{"C"});
}
