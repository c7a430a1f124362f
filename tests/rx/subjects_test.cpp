// PublishSubject, BehaviorSubject, ReplaySubject and SetSubject (single-threaded policy).
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/subjects/replay_subject.hpp>
#include <rxsync/rx/subjects/set_subject.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using namespace std::chrono_literals;
using rx_test::Events;
using rx_test::record;

TEST_CASE("PublishSubject multicasts to current observers only") {
  PublishSubject<int> s;
  Events a, b;
  record(s, a);
  s.on_next(1);
  record(s, b);
  s.on_next(2);
  s.on_completed();
  s.on_next(3);
  CHECK(a == Events{"1", "2", "C"});
  CHECK(b == Events{"2", "C"});
  CHECK(s.observer_count() == 0);
}

TEST_CASE("PublishSubject: late subscribers after the end get only the terminal event") {
  PublishSubject<int> done;
  done.on_completed();
  Events log;
  auto sub = record(done, log);
  CHECK(log == Events{"C"});
  CHECK_FALSE(sub.is_subscribed());

  PublishSubject<int> failed;
  failed.on_error(rx_test::boom());
  failed.on_completed();  // ignored: already ended
  log.clear();
  record(failed, log);
  CHECK(log == Events{"E:boom"});
}

TEST_CASE("PublishSubject: copies share one subject, a subject can observe a source") {
  PublishSubject<int> s;
  PublishSubject<int> alias = s;
  Events log;
  record(alias, log);
  just(1, 2).subscribe(s);
  CHECK(log == Events{"1", "2", "C"});
}

TEST_CASE("observers are snapshotted per emission") {
  PublishSubject<int> s;
  Events log;
  std::vector<Subscription> late;
  Subscription second;
  // The first observer adds a new observer and removes the second one during an emission.
  record(s | ops::tap([&](int v) {
           if (v == 1) {
             late.push_back(s.subscribe([&](int x) { log.push_back("late" + std::to_string(x)); }));
             second.unsubscribe();
           }
         }),
         log);
  second = s.subscribe([&](int x) { log.push_back("second" + std::to_string(x)); });
  CHECK(s.observer_count() == 2);
  s.on_next(1);
  s.on_next(2);
  CHECK(log == Events{"1", "2", "late2"});
  CHECK(s.observer_count() == 2);
}

TEST_CASE("re-entrant on_next from inside a subscriber is delivered depth-first") {
  PublishSubject<int> s;
  Events a, b;
  s.subscribe([&](int v) {
    a.push_back(std::to_string(v));
    if (v == 1) s.on_next(2);
  });
  s.subscribe([&](int v) { b.push_back(std::to_string(v)); });
  s.on_next(1);
  CHECK(a == Events{"1", "2"});
  CHECK(b == Events{"2", "1"});  // the nested value reaches b before the outer one does
}

TEST_CASE("an observer completing the subject from on_next stops that emission for the rest") {
  // delay outlives its source's completion (queued values still go out), so it would pass on
  // a value that arrived after on_completed.
  VirtualTimeScheduler sched;
  PublishSubject<int> s;
  s.subscribe([&](int v) {
    if (v == 1) s.on_completed();
  });
  Events later;
  record(s | ops::delay(10ms, sched), later);
  s.on_next(0);
  s.on_next(1);
  sched.run();
  CHECK(later == Events{"0", "C"});
}

TEST_CASE("ReplaySubject: ending the subject during a replay stops the replay") {
  // merge stays open while `other` is, so it would pass on the replayed 2 after r completed.
  ReplaySubject<int> r;
  PublishSubject<int> other;
  r.on_next(1);
  r.on_next(2);
  Events seen;
  record(r | ops::tap([&](int v) {
           if (v == 1) r.on_completed();
         }) | ops::merge(other),
         seen);
  other.on_completed();
  CHECK(seen == Events{"1", "C"});
}

TEST_CASE("an observer unsubscribing itself during an emission") {
  PublishSubject<int> s;
  auto self = std::make_shared<Subscription>();
  int calls = 0;
  *self = s.subscribe([&, self](int) {
    ++calls;
    self->unsubscribe();
  });
  s.on_next(1);
  s.on_next(2);
  CHECK(calls == 1);
  CHECK(s.observer_count() == 0);
}

TEST_CASE("a subject dropped while still subscribed releases its observers") {
  auto sentinel = std::make_shared<int>(1);
  std::weak_ptr<int> watch = sentinel;
  Subscription sub;
  {
    PublishSubject<int> s;
    sub = s.subscribe([keep = std::move(sentinel)](int) {});
  }
  sub = Subscription();
  CHECK(watch.expired());
}

TEST_CASE("BehaviorSubject: current value first, value(), end states") {
  BehaviorSubject<int> s{0};
  CHECK(s.value() == 0);
  Events a;
  record(s, a);
  s.on_next(1);
  CHECK(s.value() == 1);
  Events b;
  record(s, b);
  s.on_next(2);
  CHECK(a == Events{"0", "1", "2"});
  CHECK(b == Events{"1", "2"});

  s.on_completed();
  Events c;
  record(s, c);
  CHECK(c == Events{"C"});
  CHECK(s.value() == 2);

  BehaviorSubject<std::string> f{"x"};
  f.on_error(rx_test::boom());
  Events d;
  record(f, d);
  CHECK(d == Events{"E:boom"});
  REQUIRE_THROWS_AS(f.value(), std::runtime_error);
}

TEST_CASE("BehaviorSubject: a subscriber emitting from its first callback") {
  BehaviorSubject<int> s{1};
  Events log;
  s.subscribe([&](int v) {
    log.push_back(std::to_string(v));
    if (v == 1) s.on_next(5);
  });
  CHECK(log == Events{"1", "5"});
  CHECK(s.value() == 5);
}

TEST_CASE("ReplaySubject replays the last max_count values") {
  ReplaySubject<int> s{2};
  s.on_next(1);
  s.on_next(2);
  s.on_next(3);
  Events log;
  record(s, log);
  s.on_next(4);
  CHECK(log == Events{"2", "3", "4"});
  s.on_completed();
  Events late;
  record(s, late);
  CHECK(late == Events{"3", "4", "C"});

  ReplaySubject<int> all;
  all.on_next(1);
  all.on_error(rx_test::boom());
  Events e;
  record(all, e);
  CHECK(e == Events{"1", "E:boom"});
}

TEST_CASE("ReplaySubject with a window: a value sent at t replays while now < t + window") {
  VirtualTimeScheduler vts;
  ReplaySubject<int> s{10, 100ms, vts};
  s.on_next(1);  // t = 0
  vts.advance_by(50ms);
  s.on_next(2);          // t = 50
  vts.advance_by(49ms);  // now = 99
  Events a;
  record(s, a);
  CHECK(a == Events{"1", "2"});
  vts.advance_by(1ms);  // now = 100: value 1 expired exactly now
  Events b;
  record(s, b);
  CHECK(b == Events{"2"});
  vts.advance_by(50ms);
  Events c;
  record(s, c);
  CHECK(c.empty());
}

namespace {
// A Scheduler whose now() is not const, as the Scheduler concept allows.
struct MutableClockScheduler {
  VirtualTimeScheduler* inner;
  TimePoint now() { return inner->now(); }
  template <class F>
  Subscription schedule(F&& f) {
    return inner->schedule(std::forward<F>(f));
  }
  template <class F>
  Subscription schedule_at(TimePoint t, F&& f) {
    return inner->schedule_at(t, std::forward<F>(f));
  }
  template <class F>
  Subscription schedule_after(Duration d, F&& f) {
    return inner->schedule_after(d, std::forward<F>(f));
  }
};
static_assert(Scheduler<MutableClockScheduler>);
}  // namespace

TEST_CASE("ReplaySubject with a window takes a scheduler whose now() is not const") {
  VirtualTimeScheduler vts;
  MutableClockScheduler sched{&vts};
  ReplaySubject<int> s{10, 100ms, sched};
  s.on_next(1);
  vts.advance_by(100ms);
  s.on_next(2);
  Events e;
  record(s, e);
  CHECK(e == Events{"2"});
}

TEST_CASE("ReplaySubject rejects bad options") {
  VirtualTimeScheduler vts;
  REQUIRE_THROWS_WITH(ReplaySubject<int>(0),
                      rxsync_test::contains("max_count must be >= 1, got 0"));
  REQUIRE_THROWS_WITH(ReplaySubject<int>(1, -1ms, vts),
                      rxsync_test::contains("window must be > 0"));
}

TEST_CASE("SetSubject emits the set on subscribe and after each real change only") {
  SetSubject<std::string> pending;
  CHECK(pending.add("a"));
  Events log;
  Observable<std::set<std::string>> obs = pending.observable();
  record(obs, log);
  CHECK_FALSE(pending.add("a"));  // no-op: nothing emitted
  CHECK(pending.add("b"));
  CHECK(pending.contains("b"));
  CHECK(pending.size() == 2);
  CHECK(pending.erase("a"));
  CHECK_FALSE(pending.erase("zzz"));
  pending.clear();
  pending.clear();  // already empty
  pending.on_next({"x", "y"});
  pending.on_next({"x", "y"});  // same contents
  CHECK(log == Events{"{a}", "{a,b}", "{b}", "{}", "{x,y}"});
  pending.on_completed();
  CHECK_FALSE(pending.add("z"));
  CHECK(log.back() == "C");
}

TEST_CASE("SetSubject: an observer may change the set re-entrantly") {
  SetSubject<int> s;
  Events log;
  s.subscribe([&](const std::set<int>& v) {
    log.push_back(rx_test::str(v));
    if (v.count(1) && !v.count(2)) s.add(2);
  });
  s.add(1);
  CHECK(log == Events{"{}", "{1}", "{1,2}"});
  CHECK(s.observer_count() == 1);
}

// A subscriber that captures the subject it listens to forms a cycle (subject -> node ->
// observer -> callback -> subject). When its subscription ends by a terminal event that does
// not come from the subject (here timeout's timer), the subject only flags the node until its
// next emission; the callbacks are destroyed at the terminal event, so the cycle is freed even
// if the subject never emits again.
TEST_CASE("a subscriber holding its own subject is freed when its subscription errors") {
  VirtualTimeScheduler sched;
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    PublishSubject<int> in;
    bool failed = false;
    (in | ops::timeout(5ms, sched))
        .subscribe([in, witness](int v) { *witness += v; },
                   [&failed](std::exception_ptr) { failed = true; });
    witness.reset();
    in.on_next(7);
    REQUIRE_FALSE(weak.expired());
    sched.advance_by(10ms);  // the timeout fires
    REQUIRE(failed);
    CHECK(weak.expired());  // released at the error, while the subject still lives
  }
  CHECK(weak.expired());
}

TEST_CASE("a terminal event from inside a subscriber's own on_next releases it afterwards") {
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    PublishSubject<int> in;
    in.subscribe([in, witness](int v) mutable {
      in.on_completed();  // the callback is still running: it must not be destroyed yet
      *witness += v;      // (ASan would report a use after free here)
    });
    witness.reset();
    in.on_next(1);
    CHECK(in.observer_count() == 0);
  }
  CHECK(weak.expired());
}
