// Operators that subscribe to observables one after another or several at once: merge_map,
// concat_map, exhaust_map, concat, catch_error, repeat. Marble cases in virtual time (10 ms
// frames are not used here: 1 frame = 1 ms), plus re-entrancy and lifetime cases on subjects.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <rxsync/rx/operators/catch_error.hpp>
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/concat.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/finalize.hpp>
#include <rxsync/rx/operators/merge_map.hpp>
#include <rxsync/rx/operators/repeat.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include "marble_test_support.hpp"
#include "release_check.hpp"
#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using rx_test::check_released;
using rx_test::Events;
using rx_test::record;
using rxsync::testing::TestScheduler;

using rxsync_test::require_ok;

// ---- merge_map ------------------------------------------------------------------------------

TEST_CASE("RxJS mergeMap: should map-and-flatten each item to an observable") {
  TestScheduler ts;
  auto e1 = ts.hot("--1-----3--5-------|");
  auto e2 = ts.cold<int>("x-x-x|", {{'x', 10}});
  auto result = e1 | ops::merge_map([e2](char digit) {
                  return e2 | ops::map([n = digit - '0'](int i) { return i * n; });
                });
  ts.expect_observable(result).to_be("--x-x-x-y-yzyz-z---|", {{'x', 10}, {'y', 30}, {'z', 50}});
  ts.expect_subscriptions(e1.subscriptions()).to_be("^------------------!");
  require_ok(ts);
}

TEST_CASE("merge_map waits for the source and every inner before completing") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-b|");
  auto inner = ts.cold("---x---|");
  ts.expect_observable(e1 | ops::merge_map([inner](char) { return inner; })).to_be("----x-x---|");
  ts.expect_subscriptions(inner.subscriptions()).to_be({"-^------!", "---^------!"});
  require_ok(ts);
}

TEST_CASE("merge_map(f, 2) buffers the values that find both inners busy, in order") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-b-c-d-----|");
  auto inner = ts.cold("----x|");
  std::string projected;
  auto result = e1 | ops::merge_map(
                         [inner, &projected](char c) {
                           projected += c;  // called when the value's inner is subscribed
                           return inner | ops::map([c](char) { return c; });
                         },
                         2);
  ts.expect_observable(result).to_be("-----a-b--c-d|");
  ts.expect_subscriptions(inner.subscriptions())
      .to_be({"-^----!", "---^----!", "------^----!", "--------^----!"});
  require_ok(ts);
  CHECK(projected == "abcd");
}

TEST_CASE("merge_map: errors of the source, of an inner and of the projection") {
  TestScheduler ts;
  auto e1 = ts.hot("-a--b---#", rx_test::boom("outer"));
  auto inner = ts.cold("--x-x-x-x-|");
  ts.expect_observable(e1 | ops::merge_map([inner](char) { return inner; }))
      .to_be("---x-xxx#", rx_test::boom("outer"));
  ts.expect_subscriptions(inner.subscriptions()).to_be({"-^------!", "----^---!"});

  auto e2 = ts.hot("-a---b----|");
  auto failing = ts.cold("--x-#", rx_test::boom("inner"));
  ts.expect_observable(e2 | ops::merge_map([failing](char) { return failing; }))
      .to_be("---x-#", rx_test::boom("inner"));
  ts.expect_subscriptions(e2.subscriptions()).to_be("^----!");
  // b arrives at frame 5 just before the first inner fails: the second starts and ends there.
  ts.expect_subscriptions(failing.subscriptions()).to_be({"-^---!", "-----(^!)"});

  auto e3 = ts.hot("-a--b--c|");
  auto inner3 = ts.cold("--x-x-x-x-|");
  ts.expect_observable(e3 | ops::merge_map([inner3](char c) {
                         if (c == 'b') throw std::runtime_error("no inner for b");
                         return inner3;
                       }))
      .to_be("---x#", rx_test::boom("no inner for b"));
  ts.expect_subscriptions(e3.subscriptions()).to_be("^---!");
  require_ok(ts);
}

TEST_CASE("merge_map: unsubscribing early releases the source and every inner") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-b-c-d-----|");
  auto inner = ts.cold("----x|");
  ts.expect_observable(e1 | ops::merge_map([inner](char) { return inner; }, 1), "^------!")
      .to_be("-----x-");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^------!");
  ts.expect_subscriptions(inner.subscriptions()).to_be({"-^----!", "------^!"});
  require_ok(ts);
}

TEST_CASE("merge_map: a value the projection feeds back waits for a free slot") {
  // The slot is counted before f runs (RxJS order), so with one slot the value f sends into its
  // own source is buffered, and projected only once the current inner completes.
  PublishSubject<int> src;
  PublishSubject<int> inner;
  Events log;
  record(src | ops::merge_map(
                   [&](int v) {
                     log.push_back("project " + std::to_string(v));
                     if (v == 1) src.on_next(2);
                     return v == 1 ? inner.as_observable() : just(v * 10).as_observable();
                   },
                   1),
         log);
  src.on_next(1);
  CHECK(log == Events{"project 1"});
  inner.on_next(7);
  inner.on_completed();
  src.on_completed();
  CHECK(log == Events{"project 1", "7", "project 2", "20", "C"});
}

TEST_CASE("merge_map: a long buffer of synchronous inners is drained without recursion") {
  PublishSubject<int> src;
  PublishSubject<int> gate;
  int total = 0;
  int completions = 0;
  (src |
   ops::merge_map([&](int v) { return v < 0 ? gate.as_observable() : just(v).as_observable(); }, 1))
      .subscribe([&](int v) { total += v; }, [](std::exception_ptr) {}, [&] { ++completions; });
  src.on_next(-1);  // holds the only slot
  for (int i = 0; i < 100000; ++i) src.on_next(1);
  src.on_completed();
  CHECK(total == 0);
  gate.on_completed();  // 100000 synchronous inners, one after the other
  CHECK(total == 100000);
  CHECK(completions == 1);
}

TEST_CASE("merge_map(f, 0) throws invalid_argument") {
  auto f = [](int v) { return just(v); };
  CHECK_THROWS_AS(ops::merge_map(f, 0), std::invalid_argument);
}

TEST_CASE("merge_map, concat_map, exhaust_map: an ended subscription keeps no subject alive") {
  auto project = [](PublishSubject<int> inner, std::shared_ptr<int> w) {
    return [inner, w](int) { return inner; };
  };
  check_released([&](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::merge_map(project(PublishSubject<int>(), std::move(w)));
  });
  check_released([&](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::merge_map(project(PublishSubject<int>(), std::move(w)), 1);
  });
  check_released([&](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::concat_map(project(PublishSubject<int>(), std::move(w)));
  });
  check_released([&](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::exhaust_map(project(PublishSubject<int>(), std::move(w)));
  });
}

// ---- concat_map, exhaust_map -------------------------------------------------------------------

TEST_CASE("concat_map subscribes one inner at a time, in source order") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-b-c------|");
  auto inner = ts.cold("----x|");
  ts.expect_observable(
        e1 | ops::concat_map([inner](char c) { return inner | ops::map([c](char) { return c; }); }))
      .to_be("-----a----b----c|");
  ts.expect_subscriptions(inner.subscriptions())
      .to_be({"-^----!", "------^----!", "-----------^----!"});
  require_ok(ts);
}

TEST_CASE("concat_map: an inner error ends everything, buffered values included") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-b-c---|");
  auto inner = ts.cold("--x-#", rx_test::boom("inner"));
  ts.expect_observable(e1 | ops::concat_map([inner](char) { return inner; }))
      .to_be("---x-#", rx_test::boom("inner"));
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----!");
  ts.expect_subscriptions(inner.subscriptions()).to_be("-^---!");
  require_ok(ts);
}

TEST_CASE("exhaust_map drops the values that arrive while its inner runs") {
  TestScheduler ts;
  auto e1 = ts.hot("-a-b-c---d--|");
  auto inner = ts.cold("----x|");
  std::string projected;
  ts.expect_observable(e1 | ops::exhaust_map([inner, &projected](char c) {
                         projected += c;
                         return inner | ops::map([c](char) { return c; });
                       }))
      .to_be("-----a-------d|");
  ts.expect_subscriptions(inner.subscriptions()).to_be({"-^----!", "---------^----!"});
  require_ok(ts);
  CHECK(projected == "ad");
}

TEST_CASE("exhaust_map: errors and early unsubscribe") {
  TestScheduler ts;
  auto e1 = ts.hot("-a--b---|");
  auto inner = ts.cold("--x-#", rx_test::boom("inner"));
  ts.expect_observable(e1 | ops::exhaust_map([inner](char) { return inner; }))
      .to_be("---x-#", rx_test::boom("inner"));
  auto e2 = ts.hot("-a---b-|");
  auto slow = ts.cold("---x-----|");
  ts.expect_observable(e2 | ops::exhaust_map([slow](char) { return slow; }), "^-----!")
      .to_be("----x-");
  ts.expect_subscriptions(e2.subscriptions()).to_be("^-----!");
  ts.expect_subscriptions(slow.subscriptions()).to_be("-^----!");
  require_ok(ts);
}

TEST_CASE("exhaust_map: a synchronous inner frees the slot at once") {
  Events log;
  record(from({1, 2, 3}) | ops::exhaust_map([](int v) { return just(v, v * 10); }), log);
  CHECK(log == Events{"1", "10", "2", "20", "3", "30", "C"});
}

// ---- concat ------------------------------------------------------------------------------------

TEST_CASE("RxJS concat: subscribes to each source after the previous completed") {
  TestScheduler ts;
  auto e1 = ts.cold("--a-|");
  auto e2 = ts.cold("-b|");
  auto e3 = ts.cold("--c--|");
  ts.expect_observable(e1 | ops::concat(e2, e3)).to_be("--a--b--c--|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^---!");
  ts.expect_subscriptions(e2.subscriptions()).to_be("----^-!");
  ts.expect_subscriptions(e3.subscriptions()).to_be("------^----!");
  require_ok(ts);
}

TEST_CASE("concat: errors, early unsubscribe, and the rxsync::concat source") {
  TestScheduler ts;
  auto e1 = ts.cold("--a-#", rx_test::boom("first"));
  auto e2 = ts.cold("-b|");
  ts.expect_observable(e1 | ops::concat(e2)).to_be("--a-#", rx_test::boom("first"));
  ts.expect_subscriptions(e2.subscriptions()).to_be(std::vector<std::string>{});

  auto e3 = ts.cold("--a-|");
  auto e4 = ts.cold("----b|");
  ts.expect_observable(rxsync::concat(e3, e4), "^------!").to_be("--a----");
  ts.expect_subscriptions(e3.subscriptions()).to_be("^---!");
  ts.expect_subscriptions(e4.subscriptions()).to_be("----^--!");
  require_ok(ts);
}

TEST_CASE("concat of synchronous sources loops, and the next source starts only after") {
  Events log;
  record(rxsync::concat(just(1, 2), empty<int>(), from({3, 4}), just(5)), log);
  CHECK(log == Events{"1", "2", "3", "4", "5", "C"});
  log.clear();
  record(just(1) | ops::concat(just(2), just(3)) | ops::take(2), log);
  CHECK(log == Events{"1", "2", "C"});
  log.clear();
  PublishSubject<int> later;
  record(just(1) | ops::concat(later.as_observable(), just(3)), log);
  CHECK(later.observer_count() == 1);
  later.on_next(2);
  later.on_completed();
  CHECK(log == Events{"1", "2", "3", "C"});
}

TEST_CASE("concat: an ended subscription keeps no subject source alive") {
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::concat(PublishSubject<int>() | ops::map([w](int v) { return v + *w; }));
  });
}

// ---- catch_error -------------------------------------------------------------------------------

TEST_CASE("RxJS catchError: should catch error and replace with a cold observable") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--#");
  auto e2 = ts.cold("-1-2-3-|");
  ts.expect_observable(e1 | ops::catch_error([e2](std::exception_ptr) { return e2; }))
      .to_be("--a--b---1-2-3-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^-------!");
  ts.expect_subscriptions(e2.subscriptions()).to_be("--------^------!");
  require_ok(ts);
}

TEST_CASE("catch_error: completion passes, the handler sees the error, its errors pass") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--|");
  ts.expect_observable(e1 | ops::catch_error([](std::exception_ptr) { return just('x'); }))
      .to_be("--a--|");

  auto e2 = ts.hot("--a--#", rx_test::boom("original"));
  ts.expect_observable(e2 | ops::catch_error([](std::exception_ptr e) {
                         return just(rx_test::what(e) == "original" ? 'y' : 'n');
                       }))
      .to_be("--a--(y|)");

  auto e3 = ts.hot("--a--#", rx_test::boom("original"));
  ts.expect_observable(e3 | ops::catch_error([](std::exception_ptr) -> Observable<char> {
                         throw std::runtime_error("handler");
                       }))
      .to_be("--a--#", rx_test::boom("handler"));

  auto e4 = ts.hot("--a--#", rx_test::boom("original"));
  auto failing = ts.cold("-b-#", rx_test::boom("replacement"));
  ts.expect_observable(e4 | ops::catch_error([failing](std::exception_ptr) { return failing; }))
      .to_be("--a---b-#", rx_test::boom("replacement"));
  require_ok(ts);
}

TEST_CASE("catch_error: unsubscribing releases the replacement") {
  TestScheduler ts;
  auto e1 = ts.hot("--a-#");
  auto e2 = ts.cold("-1-2-3-|");
  ts.expect_observable(e1 | ops::catch_error([e2](std::exception_ptr) { return e2; }), "^-------!")
      .to_be("--a--1-2");
  ts.expect_subscriptions(e2.subscriptions()).to_be("----^---!");
  require_ok(ts);
}

TEST_CASE("catch_error: f runs, then the failed source is released, then the replacement starts") {
  // RxJS order: the selector first, then the source's teardown, then the new subscription.
  PublishSubject<int> s;
  Events log;
  record(s | ops::finalize([&] { log.push_back("source released"); }) |
             ops::catch_error([&](std::exception_ptr) {
               log.push_back("f");
               return defer([&] {
                 log.push_back("replacement subscribed");
                 return just(9);
               });
             }),
         log);
  s.on_error(rx_test::boom());
  CHECK(log == Events{"f", "source released", "replacement subscribed", "9", "C"});
  CHECK(s.observer_count() == 0);
}

TEST_CASE("catch_error: a synchronous failure is replaced, and the replacement may fail") {
  Events log;
  record(error<int>(rx_test::boom()) | ops::catch_error([](std::exception_ptr) { return just(7); }),
         log);
  CHECK(log == Events{"7", "C"});
  log.clear();
  record(
      just(1) | ops::concat(error<int>(rx_test::boom("first"))) |
          ops::catch_error([](std::exception_ptr) { return error<int>(rx_test::boom("second")); }),
      log);
  CHECK(log == Events{"1", "E:second"});
}

TEST_CASE("catch_error: an ended subscription keeps no subject alive") {
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    // The usual "start again" handler: it holds the source, which holds the source's sink.
    return s | ops::catch_error([s, w](std::exception_ptr) { return s; });
  });
  // Also once the replacement is the live subscription.
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    PublishSubject<int> s;
    PublishSubject<int> fallback;
    Events log;
    auto sub = record(
        s | ops::catch_error([fallback, witness](std::exception_ptr) { return fallback; }), log);
    witness.reset();
    s.on_error(rx_test::boom());
    fallback.on_next(3);
    CHECK(s.observer_count() == 0);
    sub.unsubscribe();
    CHECK(log == Events{"3"});
  }
  CHECK(weak.expired());
}

// ---- repeat ------------------------------------------------------------------------------------

TEST_CASE("RxJS repeat: should resubscribe count number of times") {
  TestScheduler ts;
  auto e1 = ts.cold("--a-|");
  ts.expect_observable(e1 | ops::repeat(3)).to_be("--a---a---a-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^---!", "----^---!", "--------^---!"});
  require_ok(ts);
}

TEST_CASE("repeat: count 0 and 1, endless repeat, errors, early unsubscribe") {
  TestScheduler ts;
  auto e1 = ts.cold("--a-|");
  ts.expect_observable(e1 | ops::repeat(0)).to_be("|");
  ts.expect_observable(e1 | ops::repeat(1)).to_be("--a-|");
  ts.expect_observable(e1 | ops::repeat() | ops::take(3)).to_be("--a---a---(a|)");
  auto e2 = ts.cold("--a-#", rx_test::boom("x"));
  ts.expect_observable(e2 | ops::repeat(3)).to_be("--a-#", rx_test::boom("x"));
  auto e3 = ts.cold("--a-|");
  ts.expect_observable(e3 | ops::repeat(), "^------!").to_be("--a---a");
  ts.expect_subscriptions(e3.subscriptions()).to_be({"^---!", "----^--!"});
  require_ok(ts);
}

TEST_CASE("repeat with a delay resubscribes from a scheduler action") {
  TestScheduler ts;
  auto e1 = ts.cold("--a-|");
  ts.expect_observable(e1 | ops::repeat(ops::RepeatConfig{2, std::chrono::milliseconds(3)}, ts))
      .to_be("--a------a-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^---!", "-------^---!"});
  auto e2 = ts.cold("-a|");
  ts.expect_observable(
        e2 | ops::repeat(ops::RepeatConfig{.delay = std::chrono::milliseconds(0)}, ts), "^-------!")
      .to_be("-a-a-a-a");
  auto e3 = ts.cold("-a|");
  ts.expect_observable(
        e3 | ops::repeat(ops::RepeatConfig{.delay = std::chrono::milliseconds(5)}, ts), "^----!")
      .to_be("-a---");
  ts.expect_subscriptions(e3.subscriptions()).to_be("^-!");
  require_ok(ts);
  CHECK(ts.pending() == 0);  // unsubscribing cancelled the pending resubscription
}

TEST_CASE("repeat of a synchronous source loops instead of recursing") {
  int total = 0;
  int completions = 0;
  (just(1) | ops::repeat(200000))
      .subscribe([&](int v) { total += v; }, [](std::exception_ptr) {}, [&] { ++completions; });
  CHECK(total == 200000);
  CHECK(completions == 1);
  Events log;
  record(just(1, 2) | ops::repeat() | ops::take(5), log);
  CHECK(log == Events{"1", "2", "1", "2", "1", "C"});
}

TEST_CASE("repeat: an ended subscription keeps no subject source alive") {
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::map([w](int v) { return v + *w; }) | ops::repeat(3);
  });
}
