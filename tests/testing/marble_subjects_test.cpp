// Marble tests (run mode, 1 frame = 1 ms) for ReplaySubject (count and time window) and
// SetSubject: normal flow, completion, error, early unsubscription, re-entrant emission from
// inside a subscriber, and same-frame ties. A subscription drawn at frame f is queued when the
// expectation is registered, so it runs before a hot event of the same frame (as in RxJS).
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/subjects/replay_subject.hpp>
#include <rxsync/rx/subjects/set_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include <chrono>
#include <map>
#include <set>
#include <stdexcept>

#include "marble_test_support.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::testing::TestScheduler;

using rxsync_test::require_ok;

namespace {

using IntSet = std::set<int>;

// Plays a hot diagram of commands into a SetSubject: a digit adds it, 'x' / 'y' erase 1 / 2,
// 'c' clears, 'r' replaces the contents with {1, 2}; '|' and '#' end the subject.
void drive(TestScheduler& ts, rxsync::testing::HotObservable<char> commands,
           rxsync::SetSubject<int> set) {
  ts.schedule([=]() mutable {
    commands.subscribe(
        [set](char c) {
          if (c >= '0' && c <= '9') set.add(c - '0');
          if (c == 'x') set.erase(1);
          if (c == 'y') set.erase(2);
          if (c == 'c') set.clear();
          if (c == 'r') set.on_next(IntSet{1, 2});
        },
        [set](std::exception_ptr e) { set.on_error(e); }, [set] { set.on_completed(); });
  });
}

const std::map<char, IntSet> kSets{{'e', {}}, {'a', {1}}, {'b', {1, 2}}, {'c', {2}}};

}  // namespace

// ---- ReplaySubject ------------------------------------------------------------------------------

TEST_CASE("marbles: ReplaySubject(count) replays the last values, then goes live") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject{2};
  auto src = ts.hot("-a-b------c-|");
  ts.schedule([&] { src.subscribe(subject); });
  ts.expect_observable(subject).to_be("-a-b------c-|");
  // Frame 1: the subscription is queued before the hot 'a', so 'a' arrives live, not replayed.
  ts.expect_observable(subject, "-^").to_be("-a-b------c-|");
  ts.expect_observable(subject, "--^").to_be("--ab------c-|");
  ts.expect_observable(subject, "----^").to_be("----(ab)--c-|");
  // After completion: the last two values, then the completion.
  ts.expect_observable(subject, "--------------^").to_be("--------------(bc|)");
  require_ok(ts);
  CHECK(subject.observer_count() == 0);
}

TEST_CASE("marbles: ReplaySubject replays its values before the error to late subscribers") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject{2};
  auto boom = std::make_exception_ptr(std::runtime_error("boom"));
  auto src = ts.hot("-a-b-c-#", boom);
  ts.schedule([&] { src.subscribe(subject); });
  ts.expect_observable(subject).to_be("-a-b-c-#", boom);
  ts.expect_observable(subject, "---------^").to_be("---------(bc#)", boom);
  require_ok(ts);
}

TEST_CASE("marbles: ReplaySubject window - a value sent at t replays while now < t + window") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject{100, 5ms, ts};
  auto src = ts.hot("-a--b------c---|");  // a: 1 (until 6), b: 4 (until 9), c: 11 (until 16)
  ts.schedule([&] { src.subscribe(subject); });
  ts.expect_observable(subject, "----^").to_be("----(ab)---c---|");  // 'b' live in frame 4
  ts.expect_observable(subject, "-----^").to_be("-----(ab)--c---|");
  ts.expect_observable(subject, "------^").to_be("------b----c---|");  // 6 = 1 + 5: 'a' gone
  ts.expect_observable(subject, "--------^").to_be("--------b--c---|");
  ts.expect_observable(subject, "---------^").to_be("-----------c---|");  // 9 = 4 + 5
  // Frame 15 ties with the completion: subscribed first, so 'c' is replayed, then '|' arrives.
  ts.expect_observable(subject, "---------------^").to_be("---------------(c|)");
  ts.expect_observable(subject, "----------------^").to_be("----------------|");
  require_ok(ts);
}

TEST_CASE("marbles: ReplaySubject with both a count and a window keeps the stricter") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject{1, 5ms, ts};
  auto src = ts.hot("-a-b---|");
  ts.schedule([&] { src.subscribe(subject); });
  ts.expect_observable(subject, "----^").to_be("----b--|");       // count: only the last
  ts.expect_observable(subject, "--------^").to_be("--------|");  // window: b expired at 8
  require_ok(ts);
}

TEST_CASE("marbles: ReplaySubject early unsubscription") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject;
  auto src = ts.hot("-a-b-c-|");
  ts.schedule([&] { src.subscribe(subject); });
  // Unsubscribed at 5, before the hot 'c' of frame 5.
  ts.expect_observable(subject, "--^--!").to_be("--ab-");
  // Unsubscribed in the frame it subscribed: the replay was delivered inside subscribe().
  ts.expect_observable(subject, "--(^!)").to_be("--a");
  ts.schedule_after(6ms, [&] { CHECK(subject.observer_count() == 0); });
  require_ok(ts);
}

TEST_CASE("marbles: ReplaySubject re-entrant emission - live depth-first, buffer in send order") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject;
  auto src = ts.hot("-a----b-|");
  ts.schedule([&] {
    subject.subscribe([&](char c) {
      if (c == 'a') subject.on_next('x');
    });
    src.subscribe(subject);
  });
  // Subscribed after the echoing observer: it sees the nested 'x' before the 'a' (RxJS).
  ts.expect_observable(subject).to_be("-(xa)-b-|");
  // The buffer holds them in the order they were sent: 'a' was stored before it was delivered.
  ts.expect_observable(subject, "----------^").to_be("----------(axb|)");
  require_ok(ts);
}

TEST_CASE("marbles: ReplaySubject - a value sent during a subscriber's replay reaches it live") {
  TestScheduler ts;
  rxsync::ReplaySubject<char> subject;
  rxsync::PublishSubject<char> out;
  auto src = ts.hot("-a-b-------|");
  ts.schedule([&] { src.subscribe(subject); });
  ts.schedule_after(5ms, [&] {
    subject.subscribe(
        [&](char c) {
          out.on_next(c);
          if (c == 'a') subject.on_next('y');
        },
        [&](std::exception_ptr e) { out.on_error(e); }, [&] { out.on_completed(); });
  });
  // As in RxJS, the observer is registered before its replay, so the 'y' it sends while
  // receiving the replayed 'a' reaches it at once, before the rest of the replay.
  ts.expect_observable(out).to_be("-----(ayb)-|");
  ts.expect_observable(subject, "------------^").to_be("------------(aby|)");
  require_ok(ts);
}

TEST_CASE("marbles: ReplaySubject rejects a zero count or window") {
  TestScheduler ts;
  REQUIRE_THROWS_WITH(rxsync::ReplaySubject<char>{0}, rxsync_test::contains("max_count"));
  REQUIRE_THROWS_WITH((rxsync::ReplaySubject<char>{1, 0ms, ts}), rxsync_test::contains("window"));
  REQUIRE_THROWS_AS((rxsync::ReplaySubject<char>{1, -1ms, ts}), std::invalid_argument);
}

// ---- SetSubject ---------------------------------------------------------------------------------

TEST_CASE("marbles: SetSubject emits on subscribe and on real changes only") {
  TestScheduler ts;
  rxsync::SetSubject<int> set;
  // add 1, add 2, add 2 (no-op), erase 1, erase 1 (no-op), clear, clear (no-op), complete
  drive(ts, ts.hot("-1-2-2-x-x-c-c-|"), set);
  ts.expect_observable(set.observable()).to_be("ea-b---c---e---|", kSets);
  ts.expect_observable(set.observable(), "----^").to_be("----b--c---e---|", kSets);
  ts.expect_observable(set.observable(), "----------------^").to_be("----------------|", kSets);
  require_ok(ts);
  CHECK(set.observer_count() == 0);
  CHECK_FALSE(set.add(7));  // completed: nothing changes any more
  CHECK(set.snapshot().empty());
}

TEST_CASE("marbles: SetSubject on_next replaces the contents, silently when equal") {
  TestScheduler ts;
  rxsync::SetSubject<int> set;
  drive(ts, ts.hot("-1-r-r-y-|"), set);
  ts.expect_observable(set.observable()).to_be("ea-b---a-|", kSets);
  require_ok(ts);
}

TEST_CASE("marbles: SetSubject error") {
  TestScheduler ts;
  rxsync::SetSubject<int> set;
  auto boom = std::make_exception_ptr(std::runtime_error("boom"));
  drive(ts, ts.hot("-1-#", boom), set);
  ts.expect_observable(set.observable()).to_be("ea-#", kSets, boom);
  ts.expect_observable(set.observable(), "-----^").to_be("-----#", kSets, boom);  // error only
  require_ok(ts);
  CHECK_FALSE(set.add(2));
  CHECK(set.snapshot() == IntSet{1});
}

TEST_CASE("marbles: SetSubject early unsubscription and same-frame ties") {
  TestScheduler ts;
  rxsync::SetSubject<int> set;
  drive(ts, ts.hot("-1-2-----3-|"), set);
  // Subscribed at 2 (current {1}); the add at 3 is live; unsubscribed at 9, queued before the
  // hot add of 3 in that frame, so {1, 2, 3} is not seen.
  ts.expect_observable(set.observable(), "--^------!").to_be("--ab-----", kSets);
  // Subscribed at 3, queued before the hot add of 2 in that frame: {1} first, then {1, 2}.
  ts.expect_observable(set.observable(), "---^")
      .to_be("---(ab)--d-|", {{'a', {1}}, {'b', {1, 2}}, {'d', {1, 2, 3}}});
  require_ok(ts);
}

TEST_CASE("marbles: SetSubject re-entrant change from inside an observer") {
  TestScheduler ts;
  rxsync::SetSubject<int> set;
  auto commands = ts.hot("-1---|");
  ts.schedule([&] {
    set.observable().subscribe([&](const IntSet& s) {
      if (s == IntSet{1}) set.add(2);
    });
  });
  drive(ts, commands, set);
  // Depth-first, as RxJS subjects: the nested {1, 2} reaches the later observer before the
  // outer {1}, so its last value is older than the set's state (snapshot() is the truth).
  ts.expect_observable(set.observable()).to_be("e(ba)|", kSets);
  require_ok(ts);
  CHECK(set.snapshot() == IntSet{1, 2});
}
