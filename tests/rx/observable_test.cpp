// Observable<T>, the static chain, subscribe() overloads and the synchronous sources.
#include <atomic>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using rx_test::Events;
using rx_test::record;

TEST_CASE("just and from emit their values then complete") {
  Events log;
  record(just(1, 2, 3), log);
  CHECK(log == Events{"1", "2", "3", "C"});
  log.clear();
  record(from(std::vector<std::string>{"a", "b"}), log);
  CHECK(log == Events{"a", "b", "C"});
  log.clear();
  record(from({4, 5}), log);
  CHECK(log == Events{"4", "5", "C"});
}

TEST_CASE("empty, never and error") {
  Events log;
  auto s1 = record(empty<int>(), log);
  CHECK(log == Events{"C"});
  CHECK_FALSE(s1.is_subscribed());
  log.clear();
  auto s2 = record(never<int>(), log);
  CHECK(log.empty());
  CHECK(s2.is_subscribed());
  s2.unsubscribe();
  CHECK_FALSE(s2.is_subscribed());
  record(error<int>(rx_test::boom()), log);
  CHECK(log == Events{"E:boom"});
  REQUIRE_THROWS_AS(error<int>(nullptr), std::invalid_argument);
}

TEST_CASE("subscribe overloads: on_next only, with on_error, with on_completed") {
  std::vector<int> got;
  just(1, 2).subscribe([&](int v) { got.push_back(v); });
  CHECK(got == std::vector<int>{1, 2});

  std::string err;
  error<int>(rx_test::boom("bad"))
      .subscribe([](int) {}, [&](std::exception_ptr e) { err = rx_test::what(e); });
  CHECK(err == "bad");

  bool done = false;
  just(7).subscribe([](int) {}, [](std::exception_ptr) {}, [&] { done = true; });
  CHECK(done);
}

struct CountingObserver {
  int values = 0;
  int completions = 0;
  int errors = 0;
  void on_next(const int&) { ++values; }
  void on_error(std::exception_ptr) { ++errors; }
  void on_completed() { ++completions; }
};

TEST_CASE("subscribe with an observer object") {
  auto obs = std::make_shared<CountingObserver>();
  just(1, 2, 3).subscribe(obs);
  CHECK(obs->values == 3);
  CHECK(obs->completions == 1);
  CHECK(obs->errors == 0);
  // By value: the copy is observed, and the call compiles for rvalues.
  just(1).subscribe(CountingObserver{});
}

TEST_CASE("an error without a handler goes to the unhandled-error hook") {
  static std::atomic<int> reported{0};
  auto previous = set_unhandled_error_handler([](std::exception_ptr) noexcept { ++reported; });
  reported = 0;
  error<int>(rx_test::boom()).subscribe([](int) {});
  (just(1) | ops::map([](int) -> int { throw std::runtime_error("x"); })).subscribe([](int) {});
  set_unhandled_error_handler(previous);
  CHECK(reported == 2);
}

TEST_CASE("Observable<T> erases a static chain and is copyable") {
  Observable<int> o = just(1, 2, 3) | ops::map([](int x) { return x * 2; });
  Observable<int> copy = o;
  Events a, b;
  record(o, a);
  record(copy, b);
  CHECK(a == Events{"2", "4", "6", "C"});
  CHECK(a == b);

  auto erased = (just(5) | ops::filter([](int) { return true; })).as_observable();
  static_assert(std::is_same_v<decltype(erased), Observable<int>>);
  Events c;
  record(erased | ops::map([](int x) { return x + 1; }), c);
  CHECK(c == Events{"6", "C"});

  Observable<int> nothing;
  Events d;
  auto sub = record(nothing, d);
  CHECK(d.empty());
  sub.unsubscribe();
}

TEST_CASE("a hand-written operator (any callable taking the observable) composes with |") {
  auto doubled_evens = [](const auto& src) {
    return src | ops::filter([](int x) { return x % 2 == 0; }) |
           ops::map([](int x) { return x * 2; });
  };
  Events e;
  record(just(1, 2, 3, 4) | doubled_evens | ops::take(1), e);
  CHECK(e == Events{"4", "C"});
}

TEST_CASE("subscribe takes mutable and generic callbacks") {
  int sum = 0;
  int calls = 0;
  bool done = false;
  just(1, 2).subscribe([&sum, calls](int v) mutable { sum += v + calls++; },
                       [](auto e) { std::rethrow_exception(e); }, [&done] { done = true; });
  CHECK(sum == 4);
  CHECK(done);
}

TEST_CASE("a static chain can be subscribed many times") {
  auto chain = from(std::vector<int>{1, 2, 3}) | ops::scan(0, [](int a, int b) { return a + b; });
  Events a, b;
  record(chain, a);
  record(chain, b);
  CHECK(a == Events{"1", "3", "6", "C"});
  CHECK(b == a);
}

TEST_CASE("unsubscribing from inside on_next stops delivery at once") {
  // The handle of a synchronous source only exists once subscribe() returns (as in RxJS), so
  // drive the chain from a subject.
  PublishSubject<int> s;
  std::vector<int> got;
  auto holder = std::make_shared<Subscription>();
  *holder = (s | ops::map([](int v) { return v * 10; })).subscribe([&, holder](int v) {
    got.push_back(v);
    if (v == 20) {
      holder->unsubscribe();
      s.on_next(3);  // re-entrant emission after unsubscribe: not delivered
    }
  });
  s.on_next(1);
  s.on_next(2);
  s.on_next(4);
  CHECK(got == std::vector<int>{10, 20});
  CHECK_FALSE(holder->is_subscribed());
  CHECK(s.observer_count() == 0);
}

TEST_CASE("unsubscribe before emission, after completion, twice") {
  PublishSubject<int> s;
  Events log;
  auto sub = record(s, log);
  sub.unsubscribe();
  s.on_next(1);
  CHECK(log.empty());
  sub.unsubscribe();  // idempotent

  auto done = record(just(1), log);
  CHECK_FALSE(done.is_subscribed());
  done.unsubscribe();
  CHECK(log == Events{"1", "C"});
}

TEST_CASE("create: synchronous emission, teardown, and a thrown exception") {
  int teardowns = 0;
  auto src = create<int>([&](Subscriber<int> s) {
    s.on_next(1);
    s.on_next(2);
    return Subscription::create([&] { ++teardowns; });
  });
  Events log;
  auto sub = record(src, log);
  CHECK(log == Events{"1", "2"});
  CHECK(teardowns == 0);
  sub.unsubscribe();
  CHECK(teardowns == 1);

  log.clear();
  record(create<int>([](Subscriber<int> s) {
           s.on_next(1);
           throw std::runtime_error("fn failed");
         }),
         log);
  CHECK(log == Events{"1", "E:fn failed"});
}

TEST_CASE("create: nothing is delivered after a terminal event") {
  Events log;
  record(create<int>([](Subscriber<int> s) {
           s.on_next(1);
           s.on_completed();
           s.on_next(2);
           s.on_error(rx_test::boom());
           s.on_completed();
         }),
         log);
  CHECK(log == Events{"1", "C"});
}

TEST_CASE("create: a stored subscriber emits later and stops after unsubscribe") {
  std::vector<Subscriber<int>> stored;
  auto src = create<int>([&](Subscriber<int> s) { stored.push_back(s); });
  Events log;
  auto sub = record(src, log);
  REQUIRE(stored.size() == 1);
  stored[0].on_next(10);
  sub.unsubscribe();
  CHECK(stored[0].is_disposed());
  stored[0].on_next(11);
  CHECK(log == Events{"10"});
}

TEST_CASE("defer calls the factory per subscription, a throwing factory errors") {
  int calls = 0;
  auto src = defer([&] {
    ++calls;
    return just(calls);
  });
  Events log;
  record(src, log);
  record(src, log);
  CHECK(log == Events{"1", "C", "2", "C"});
  log.clear();
  record(defer([]() -> decltype(just(1)) { throw std::runtime_error("no"); }), log);
  CHECK(log == Events{"E:no"});
}

TEST_CASE("nothing follows a terminal event even if the callback re-enters") {
  PublishSubject<int> s;
  Events log;
  auto sub =
      s.subscribe([&](int v) { log.push_back(std::to_string(v)); }, [](std::exception_ptr) {},
                  [&] {
                    log.push_back("C");
                    s.on_next(99);  // the subject is stopped; and so is this subscriber
                  });
  s.on_next(1);
  s.on_completed();
  s.on_completed();
  CHECK(log == Events{"1", "C"});
  CHECK_FALSE(sub.is_subscribed());
}

TEST_CASE("an exception from the subscriber's own callback is reported, not propagated") {
  static std::atomic<int> reported{0};
  auto previous = set_unhandled_error_handler([](std::exception_ptr) noexcept { ++reported; });
  reported = 0;
  PublishSubject<int> s;
  int calls = 0;
  auto sub = s.subscribe([&](int v) {
    ++calls;
    if (v == 1) throw std::runtime_error("callback failed");
  });
  s.on_next(1);  // does not throw into the producer
  s.on_next(2);  // the subscription is still live (as in RxJS)
  just(1).subscribe([](int) {}, [](std::exception_ptr) {},
                    [] { throw std::runtime_error("on_completed"); });
  set_unhandled_error_handler(previous);
  CHECK(calls == 2);
  CHECK(reported == 2);
  CHECK(sub.is_subscribed());
}

TEST_CASE("create: many teardowns added over time are all run, finished ones pruned") {
  int runs = 0;
  std::vector<Subscriber<int>> kept;
  auto src = create<int>([&](Subscriber<int> s) { kept.push_back(s); });
  auto sub = src.subscribe([](int) {});
  REQUIRE(kept.size() == 1);
  for (int i = 0; i < 100; ++i) {
    auto finished = Subscription::create([] {});
    kept[0].add(finished);
    finished.unsubscribe();  // finished on its own: may be pruned
    kept[0].add(Subscription::create([&] { ++runs; }));
  }
  CHECK(runs == 0);
  sub.unsubscribe();
  CHECK(runs == 100);
}

TEST_CASE("make_observer builds an Observer from callables") {
  Events log;
  auto obs = make_observer<int>([&](int v) { log.push_back(std::to_string(v)); },
                                [&](std::exception_ptr e) { log.push_back(rx_test::what(e)); },
                                [&] { log.push_back("C"); });
  static_assert(Observer<decltype(obs), int>);
  just(1, 2).subscribe(obs);
  error<int>(rx_test::boom()).subscribe(obs);
  CHECK(log == Events{"1", "2", "C", "boom"});
}
