// Operators over several subscriptions: merge, combine_latest, with_latest_from, switch_map,
// retry(n), finalize.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/finalize.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using rx_test::Events;
using rx_test::record;

TEST_CASE("merge interleaves and completes when all sources have completed") {
  PublishSubject<int> a, b;
  Events log;
  record(a | ops::merge(b.as_observable(), just(100)), log);
  CHECK(log == Events{"100"});
  a.on_next(1);
  b.on_next(2);
  a.on_completed();
  b.on_next(3);
  CHECK(log == Events{"100", "1", "2", "3"});
  b.on_completed();
  CHECK(log.back() == "C");
}

TEST_CASE("merge: the first error ends everything and unsubscribes the others") {
  PublishSubject<int> a, b;
  Events log;
  record(a | ops::merge(b), log);
  b.on_error(rx_test::boom());
  a.on_next(1);
  CHECK(log == Events{"E:boom"});
  CHECK(a.observer_count() == 0);
  CHECK(b.observer_count() == 0);
}

TEST_CASE("combine_latest emits tuples once all have a value") {
  PublishSubject<int> a;
  PublishSubject<std::string> b;
  Events log;
  record(a | ops::combine_latest(b), log);
  a.on_next(1);
  a.on_next(2);
  b.on_next("x");
  a.on_next(3);
  b.on_next("y");
  a.on_completed();
  b.on_next("z");
  CHECK(log == Events{"(2,x)", "(3,x)", "(3,y)", "(3,z)"});
  b.on_completed();
  CHECK(log.back() == "C");
}

TEST_CASE("combine_latest with two others and an error") {
  PublishSubject<int> a, b, c;
  Events log;
  record(a | ops::combine_latest(b, c), log);
  a.on_next(1);
  b.on_next(2);
  c.on_next(3);
  b.on_error(rx_test::boom());
  c.on_next(4);
  CHECK(log == Events{"(1,2,3)", "E:boom"});
  CHECK(c.observer_count() == 0);
}

TEST_CASE("with_latest_from pairs each source value with the other's latest") {
  PublishSubject<int> src, other;
  Events log;
  record(src | ops::with_latest_from(other), log);
  src.on_next(1);  // dropped: other has no value yet
  other.on_next(10);
  src.on_next(2);
  other.on_next(20);
  other.on_completed();  // ignored
  src.on_next(3);
  src.on_completed();
  CHECK(log == Events{"(2,10)", "(3,20)", "C"});

  PublishSubject<int> s2, o2;
  Events log2;
  record(s2 | ops::with_latest_from(o2), log2);
  o2.on_error(rx_test::boom());
  CHECK(log2 == Events{"E:boom"});
  CHECK(s2.observer_count() == 0);
}

TEST_CASE("switch_map follows only the latest inner observable") {
  PublishSubject<int> outer;
  PublishSubject<std::string> inner1, inner2;
  Events log;
  record(outer | ops::switch_map([&](int v) { return (v == 1 ? inner1 : inner2).as_observable(); }),
         log);
  outer.on_next(1);
  inner1.on_next("a");
  outer.on_next(2);
  CHECK(inner1.observer_count() == 0);  // the previous inner was unsubscribed
  inner1.on_next("stale");
  inner2.on_next("b");
  outer.on_completed();
  inner2.on_next("c");
  CHECK(log == Events{"a", "b", "c"});
  inner2.on_completed();
  CHECK(log.back() == "C");
}

TEST_CASE("switch_map: completion, synchronous inners, errors") {
  Events log;
  record(just(1, 2) | ops::switch_map([](int v) { return just(v * 10, v * 10 + 1); }), log);
  CHECK(log == Events{"10", "11", "20", "21", "C"});

  log.clear();
  PublishSubject<int> outer;
  record(outer | ops::switch_map([](int v) {
           if (v == 2) throw std::runtime_error("no inner");
           return just(v);
         }),
         log);
  outer.on_next(1);
  outer.on_next(2);
  outer.on_next(3);
  CHECK(log == Events{"1", "E:no inner"});
  CHECK(outer.observer_count() == 0);

  log.clear();
  PublishSubject<int> inner;
  record(just(1) | ops::switch_map([&](int) { return inner.as_observable(); }), log);
  inner.on_error(rx_test::boom());
  CHECK(log == Events{"E:boom"});
}

TEST_CASE("switch_map ends the previous inner before calling the projection") {
  // RxJS order: the old inner's teardown runs first, and a value the projection pushes into the
  // old inner is not emitted.
  PublishSubject<int> outer, inner1;
  Events log;
  record(outer | ops::switch_map([&](int v) {
           log.push_back("project " + std::to_string(v));
           if (v == 2) inner1.on_next(99);
           return (v == 1 ? inner1.as_observable() : never<int>()) |
                  ops::finalize([&, v] { log.push_back("fin " + std::to_string(v)); });
         }),
         log);
  outer.on_next(1);
  outer.on_next(2);
  CHECK(log == Events{"project 1", "fin 1", "project 2"});
}

TEST_CASE("switch_map: unsubscribing cancels the inner subscription") {
  PublishSubject<int> outer, inner;
  Events log;
  auto sub = record(outer | ops::switch_map([&](int) { return inner.as_observable(); }), log);
  outer.on_next(1);
  CHECK(inner.observer_count() == 1);
  sub.unsubscribe();
  CHECK(inner.observer_count() == 0);
  CHECK(outer.observer_count() == 0);
}

// switch_map keeps its projection for the values to come. A projection that holds the inner
// source (a subject captured by value) closes a loop: the subject holds its subscriber, which
// holds switch_map's state, which holds the projection. The subject only flags the node of an
// ended subscription until its next emission, so the state must drop the projection itself.
TEST_CASE("switch_map: an ended subscription does not keep its projection's subject alive") {
  for (const bool unsubscribe : {true, false}) {
    auto witness = std::make_shared<int>(0);
    const std::weak_ptr<int> weak = witness;
    {
      PublishSubject<int> outer;
      PublishSubject<int> inner;
      PublishSubject<int> other;
      Events log;
      auto sub = record(
          outer | ops::switch_map([inner, witness](int) { return inner; }) | ops::merge(other),
          log);
      witness.reset();
      outer.on_next(1);
      inner.on_next(2);
      if (unsubscribe) {
        sub.unsubscribe();
      } else {
        other.on_error(rx_test::boom());  // ends it while neither subject is emitting
      }
      CHECK(log == (unsubscribe ? Events{"2"} : Events{"2", "E:boom"}));
    }
    CHECK(weak.expired());
  }
}

TEST_CASE("retry(n) resubscribes after errors, then gives up") {
  int attempts = 0;
  auto flaky = defer([&] {
    ++attempts;
    return attempts < 3 ? (just(attempts) | ops::map([](int v) -> int {
                             if (v > 0) throw std::runtime_error("fail" + std::to_string(v));
                             return v;
                           })).as_observable()
                        : just(42).as_observable();
  });
  Events log;
  record(flaky | ops::retry(5), log);
  CHECK(log == Events{"42", "C"});
  CHECK(attempts == 3);

  attempts = 0;
  log.clear();
  record(error<int>(rx_test::boom()) | ops::tap([&](int) {}) | ops::retry(2) |
             ops::finalize([&] { ++attempts; }),
         log);
  CHECK(log == Events{"E:boom"});
  CHECK(attempts == 1);

  log.clear();
  record(error<int>(rx_test::boom()) | ops::retry(0), log);
  CHECK(log == Events{"E:boom"});
}

TEST_CASE("retry resubscribes a hot source after an asynchronous error") {
  // Unsubscribing cancels the current attempt.
  PublishSubject<int> s;
  auto sub = (s.as_observable() | ops::retry(1)).subscribe([](int) {});
  CHECK(s.observer_count() == 1);
  sub.unsubscribe();
  CHECK(s.observer_count() == 0);

  PublishSubject<int> hot;
  int subs = 0;
  auto src = defer([&] {
    ++subs;
    return (hot | ops::map([](int v) -> int {
              if (v < 0) throw std::runtime_error("neg");
              return v;
            }))
        .as_observable();
  });
  Events log2;
  record(src | ops::retry(1), log2);
  hot.on_next(1);
  hot.on_next(-1);  // attempt 1 fails: resubscribe
  hot.on_next(2);
  hot.on_next(-2);  // attempt 2 fails: give up
  hot.on_next(3);
  CHECK(log2 == Events{"1", "2", "E:neg"});
  CHECK(subs == 2);
  CHECK(hot.observer_count() == 0);
}

// retry keeps the source to resubscribe to; a source that keeps its subscribers (a subject)
// holds the attempt's sink, which holds that state. Once the subscription ends, the state must
// let go of the source, or the two keep each other alive after the last outside handle is gone
// (the subject only flags an unsubscribed node until its next emission, which never comes).
TEST_CASE("retry(n): an unsubscribed subscription does not keep its subject source alive") {
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    PublishSubject<int> s;
    auto sub = (s | ops::retry(1)).subscribe([witness](int v) { *witness += v; });
    witness.reset();
    s.on_next(1);
    sub.unsubscribe();
  }
  CHECK(weak.expired());
}

TEST_CASE("retry(n): a subscription ended elsewhere does not keep its subject source alive") {
  // The witness rides in the source chain, which retry copies: it lives as long as that copy.
  // The chain ends by an error from another source, so the subject is not emitting (an
  // emission would prune the node it flags) and stays idle from then on.
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    PublishSubject<int> s;
    PublishSubject<int> other;
    Events log;
    record(
        s | ops::map([witness](int v) { return v + *witness; }) | ops::retry(1) | ops::merge(other),
        log);
    witness.reset();
    s.on_next(1);
    other.on_error(rx_test::boom());
    CHECK(log == Events{"1", "E:boom"});
  }
  CHECK(weak.expired());
}

TEST_CASE("finalize runs once on completion, error and unsubscribe") {
  int runs = 0;
  Events log;
  record(just(1) | ops::finalize([&] { ++runs; }), log);
  CHECK(runs == 1);
  record(error<int>(rx_test::boom()) | ops::finalize([&] { ++runs; }), log);
  CHECK(runs == 2);
  PublishSubject<int> s;
  auto sub = record(s | ops::finalize([&] { ++runs; }), log);
  CHECK(runs == 2);
  sub.unsubscribe();
  sub.unsubscribe();
  CHECK(runs == 3);
  CHECK(s.observer_count() == 0);
  auto never_sub = record(never<int>() | ops::finalize([&] { ++runs; }), log);
  never_sub.unsubscribe();
  CHECK(runs == 4);
}

TEST_CASE("finalize runs after the downstream terminal callback") {
  Events log;
  (just(1) | ops::finalize([&] { log.push_back("finally"); }))
      .subscribe([&](int) { log.push_back("v"); }, [](std::exception_ptr) {},
                 [&] { log.push_back("C"); });
  CHECK(log == Events{"v", "C", "finally"});
}

TEST_CASE("take and take_while deliver completion before the upstream's finalize runs") {
  PublishSubject<int> s;
  Events log;
  (s | ops::finalize([&] { log.push_back("finally"); }) | ops::take(1))
      .subscribe([&](int v) { log.push_back(std::to_string(v)); }, [](std::exception_ptr) {},
                 [&] { log.push_back("C"); });
  s.on_next(1);
  CHECK(log == Events{"1", "C", "finally"});
  CHECK(s.observer_count() == 0);

  log.clear();
  (s | ops::finalize([&] { log.push_back("finally"); }) |
   ops::take_while([](int v) { return v < 1; }))
      .subscribe([&](int v) { log.push_back(std::to_string(v)); }, [](std::exception_ptr) {},
                 [&] { log.push_back("C"); });
  s.on_next(1);
  CHECK(log == Events{"C", "finally"});
  CHECK(s.observer_count() == 0);
}

TEST_CASE("unsubscribing a combined subscription releases every source") {
  PublishSubject<int> a, b, c;
  Events log;
  auto s1 = record(a | ops::merge(b), log);
  auto s2 = record(a | ops::combine_latest(b, c), log);
  auto s3 = record(a | ops::with_latest_from(c), log);
  CHECK(a.observer_count() == 3);
  CHECK(b.observer_count() == 2);
  CHECK(c.observer_count() == 2);
  s1.unsubscribe();
  s2.unsubscribe();
  s3.unsubscribe();
  CHECK(a.observer_count() == 0);
  CHECK(b.observer_count() == 0);
  CHECK(c.observer_count() == 0);
  a.on_next(1);
  CHECK(log.empty());
}

TEST_CASE("completion in the middle of a chain reaches the end and releases the source") {
  PublishSubject<int> s;
  Events log;
  int finalized = 0;
  record(s | ops::map([](int v) { return v + 1; }) | ops::finalize([&] { ++finalized; }) |
             ops::take(2) | ops::scan(0, [](int a, int v) { return a + v; }) |
             ops::merge(never<int>()),
         log);
  s.on_next(1);
  s.on_next(2);
  // take completed: the upstream (and finalize) are released although merge waits on never().
  CHECK(log == Events{"2", "5"});
  CHECK(s.observer_count() == 0);
  CHECK(finalized == 1);
}

TEST_CASE("merge of empty and error sources") {
  Events log;
  record(empty<int>() | ops::merge(empty<int>()), log);
  CHECK(log == Events{"C"});
  log.clear();
  record(just(1) | ops::merge(error<int>(rx_test::boom()), just(2)), log);
  CHECK(log == Events{"1", "E:boom"});
}
