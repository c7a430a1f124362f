// share (with its reset options and a connector), zip, take_until and skip_until: marble cases
// in virtual time (1 frame = 1 ms), plus re-entrancy and lifetime cases on subjects.
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/operators/share.hpp>
#include <rxsync/rx/operators/take_until.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/operators/zip.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/subjects/replay_subject.hpp>
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

namespace {

auto as_string = ops::map(
    [](const auto& t) { return std::apply([](auto... c) { return std::string{c...}; }, t); });

}  // namespace

// ---- share -------------------------------------------------------------------------------------

TEST_CASE("RxJS share: should share a single subscription") {
  TestScheduler ts;
  auto e1 = ts.cold("---1---2---|");
  auto shared = e1 | ops::share();
  ts.expect_observable(shared).to_be("---1---2---|");
  ts.expect_observable(shared).to_be("---1---2---|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----------!");
  require_ok(ts);
}

TEST_CASE("share: the last unsubscribe disconnects, and the next subscriber starts afresh") {
  TestScheduler ts;
  auto e1 = ts.cold("-1-2-3-4-|");
  auto shared = e1 | ops::share();
  ts.expect_observable(shared, "^----!").to_be("-1-2-");
  ts.expect_observable(shared, "--^-!").to_be("---2");
  ts.expect_observable(shared, "------^").to_be("-------1-2-3-4-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^----!", "------^--------!"});
  require_ok(ts);
}

TEST_CASE("share(reset_on_ref_count_zero = false) stays connected without subscribers") {
  TestScheduler ts;
  auto e1 = ts.cold("-1-2-3-4-|");
  auto shared = e1 | ops::share(ops::ShareConfig{.reset_on_ref_count_zero = false});
  ts.expect_observable(shared, "^----!").to_be("-1-2-");
  ts.expect_observable(shared, "------^").to_be("-------4-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^--------!");
  require_ok(ts);
}

TEST_CASE(
    "share: after completion a late subscriber resubscribes, unless reset_on_complete is off") {
  TestScheduler ts;
  auto e1 = ts.cold("-1-|");
  auto shared = e1 | ops::share();
  ts.expect_observable(shared).to_be("-1-|");
  ts.expect_observable(shared, "-----^").to_be("------1-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^--!", "-----^--!"});

  auto e2 = ts.cold("-1-|");
  auto kept = e2 | ops::share(ops::ShareConfig{.reset_on_complete = false});
  ts.expect_observable(kept).to_be("-1-|");
  ts.expect_observable(kept, "-----^").to_be("-----|");
  ts.expect_subscriptions(e2.subscriptions()).to_be("^--!");
  require_ok(ts);
}

TEST_CASE("share: after an error a late subscriber resubscribes, unless reset_on_error is off") {
  TestScheduler ts;
  auto e1 = ts.cold("-1-#", rx_test::boom("x"));
  auto shared = e1 | ops::share();
  ts.expect_observable(shared).to_be("-1-#", rx_test::boom("x"));
  ts.expect_observable(shared, "-----^").to_be("------1-#", rx_test::boom("x"));

  auto e2 = ts.cold("-1-#", rx_test::boom("x"));
  auto kept = e2 | ops::share(ops::ShareConfig{.reset_on_error = false});
  ts.expect_observable(kept).to_be("-1-#", rx_test::boom("x"));
  ts.expect_observable(kept, "-----^").to_be("-----#", rx_test::boom("x"));
  ts.expect_subscriptions(e2.subscriptions()).to_be("^--!");
  require_ok(ts);
}

TEST_CASE("share: retry downstream reconnects from inside the error (reset first, as RxJS)") {
  TestScheduler ts;
  auto e1 = ts.cold("-1-#", rx_test::boom("x"));
  ts.expect_observable(e1 | ops::share() | ops::retry(1)).to_be("-1--1-#", rx_test::boom("x"));
  ts.expect_subscriptions(e1.subscriptions()).to_be({"^--!", "---^--!"});
  require_ok(ts);
}

TEST_CASE("share with a ReplaySubject connector replays to late subscribers") {
  TestScheduler ts;
  auto e1 = ts.cold("-1-2-3-|");
  auto shared = e1 | ops::share(ops::ShareConfig{}, [] { return ReplaySubject<char>(1); });
  ts.expect_observable(shared).to_be("-1-2-3-|");
  ts.expect_observable(shared, "----^").to_be("----23-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^------!");
  require_ok(ts);
}

TEST_CASE("share: subscribing and unsubscribing from inside an emission") {
  PublishSubject<int> s;
  auto shared = (s | ops::share()).as_observable();
  Events log;
  Subscription second;
  Subscription first = shared.subscribe([&](int v) {
    log.push_back("a" + std::to_string(v));
    if (v == 1) second = shared.subscribe([&](int w) { log.push_back("b" + std::to_string(w)); });
    if (v == 2) first.unsubscribe();
  });
  s.on_next(1);  // the new subscriber does not get the value being delivered
  s.on_next(2);
  CHECK(s.observer_count() == 1);  // still one connection, shared
  s.on_next(3);
  CHECK(log == Events{"a1", "a2", "b2", "b3"});
  second.unsubscribe();  // the last one: disconnects
  CHECK(s.observer_count() == 0);
}

TEST_CASE("share: a connector that throws fails that subscriber only") {
  PublishSubject<int> s;
  bool fail = true;
  auto shared = s | ops::share(ops::ShareConfig{}, [&fail] {
                  if (fail) throw std::runtime_error("no subject");
                  return PublishSubject<int>();
                });
  Events log;
  record(shared, log);
  CHECK(log == Events{"E:no subject"});
  CHECK(s.observer_count() == 0);
  fail = false;
  record(shared, log);
  s.on_next(1);
  CHECK(log == Events{"E:no subject", "1"});
}

TEST_CASE("share: an ended subscription keeps no subject source alive") {
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::map([w](int v) { return v + *w; }) | ops::share();
  });
  // Kept connected, the source and the share's subject go when the last handle does.
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::map([w](int v) { return v + *w; }) |
           ops::share(ops::ShareConfig{.reset_on_ref_count_zero = false});
  });
}

TEST_CASE("share: a subscriber that never unsubscribes is freed with its source") {
  // The share's subject must not be owned by the share while connected: the subscriber holds
  // the share (to count itself out) and the subject holds the subscriber.
  auto witness = std::make_shared<int>(0);
  const std::weak_ptr<int> weak = witness;
  {
    PublishSubject<int> s;
    auto shared = s | ops::share();
    shared.subscribe([witness](int v) { *witness += v; });
    witness.reset();
    s.on_next(1);
  }
  CHECK(weak.expired());
}

// ---- zip ---------------------------------------------------------------------------------------

TEST_CASE("zip pairs the n-th values and completes once a completed source ran dry") {
  TestScheduler ts;
  auto a = ts.hot("-a-b-c-|");
  auto b = ts.hot("--x---y--z--|");
  ts.expect_observable(a | ops::zip(b) | as_string)
      .to_be("--p---q--(r|)", {{'p', "ax"}, {'q', "by"}, {'r', "cz"}});
  ts.expect_subscriptions(a.subscriptions()).to_be("^------!");
  ts.expect_subscriptions(b.subscriptions()).to_be("^--------!");
  require_ok(ts);
}

TEST_CASE("zip: completion with values waiting, with none, and errors") {
  TestScheduler ts;
  auto a = ts.hot("-a-|");
  auto b = ts.hot("----x-y|");
  ts.expect_observable(a | ops::zip(b) | as_string).to_be("----(p|)", {{'p', "ax"}});
  ts.expect_subscriptions(b.subscriptions()).to_be("^---!");

  auto c = ts.hot("-|");
  auto d = ts.hot("--x--|");
  ts.expect_observable(c | ops::zip(d) | as_string).to_be("-|");
  ts.expect_subscriptions(d.subscriptions()).to_be("^!");

  auto e = ts.hot("-a--#", rx_test::boom("e"));
  auto f = ts.hot("--x----|");
  ts.expect_observable(e | ops::zip(f) | as_string)
      .to_be("--p-#", {{'p', "ax"}}, rx_test::boom("e"));
  ts.expect_subscriptions(f.subscriptions()).to_be("^---!");
  require_ok(ts);
}

TEST_CASE("zip of three, and an early unsubscribe") {
  TestScheduler ts;
  auto a = ts.hot("-a-b-c-|");
  auto b = ts.hot("-1-2-3-|");
  auto c = ts.hot("---x-y-z-|");
  ts.expect_observable(a | ops::zip(b, c) | as_string)
      .to_be("---p-q-(r|)", {{'p', "a1x"}, {'q', "b2y"}, {'r', "c3z"}});
  auto d = ts.hot("-a-b-c-|");
  auto e = ts.hot("--1-2-3|");
  ts.expect_observable(d | ops::zip(e) | as_string, "^---!").to_be("--p-", {{'p', "a1"}});
  ts.expect_subscriptions(d.subscriptions()).to_be("^---!");
  ts.expect_subscriptions(e.subscriptions()).to_be("^---!");
  require_ok(ts);
}

TEST_CASE("zip: a value fed back from inside the downstream queues behind") {
  PublishSubject<int> a, b;
  Events log;
  (a | ops::zip(b)).subscribe([&](const std::tuple<int, int>& t) {
    log.push_back(rx_test::str(t));
    if (std::get<0>(t) == 1) b.on_next(20);
  });
  a.on_next(1);
  b.on_next(10);
  a.on_next(2);
  CHECK(log == Events{"(1,10)", "(2,20)"});
}

TEST_CASE("zip: an ended subscription keeps no subject alive") {
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::zip(PublishSubject<int>() | ops::map([w](int v) { return v + *w; })) |
           ops::map([](const auto& t) { return std::get<0>(t); });
  });
}

// ---- take_until --------------------------------------------------------------------------------

TEST_CASE("RxJS takeUntil: should take values until notifier emits") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--c--|");
  auto e2 = ts.hot("------z--|");
  ts.expect_observable(e1 | ops::take_until(e2)).to_be("--a--b|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^-----!");
  ts.expect_subscriptions(e2.subscriptions()).to_be("^-----!");
  require_ok(ts);
}

TEST_CASE("take_until: a notifier that completes, that fails, a source that fails") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--c--|");
  auto quiet = ts.hot("---|");
  ts.expect_observable(e1 | ops::take_until(quiet)).to_be("--a--b--c--|");
  ts.expect_subscriptions(quiet.subscriptions()).to_be("^--!");

  auto e2 = ts.hot("--a--b--c--|");
  auto failing = ts.hot("----#", rx_test::boom("n"));
  ts.expect_observable(e2 | ops::take_until(failing)).to_be("--a-#", rx_test::boom("n"));
  ts.expect_subscriptions(e2.subscriptions()).to_be("^---!");

  auto e3 = ts.hot("--a-#", rx_test::boom("s"));
  auto later = ts.hot("------z");
  ts.expect_observable(e3 | ops::take_until(later)).to_be("--a-#", rx_test::boom("s"));
  ts.expect_subscriptions(later.subscriptions()).to_be("^---!");

  auto e4 = ts.hot("--a--b--c--|");
  auto e5 = ts.hot("-------z");
  ts.expect_observable(e4 | ops::take_until(e5), "^---!").to_be("--a-");
  ts.expect_subscriptions(e4.subscriptions()).to_be("^---!");
  ts.expect_subscriptions(e5.subscriptions()).to_be("^---!");
  require_ok(ts);
}

TEST_CASE("take_until: a notifier that emits while subscribing: the source is never subscribed") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--|");
  ts.expect_observable(e1 | ops::take_until(just(0))).to_be("|");
  ts.expect_subscriptions(e1.subscriptions()).to_be(std::vector<std::string>{});
  require_ok(ts);
}

TEST_CASE("take_until releases both upstreams even when the chain's end stays subscribed") {
  PublishSubject<int> s, n;
  Events log;
  record(s | ops::take_until(n) | ops::merge(never<int>()), log);
  s.on_next(1);
  n.on_next(0);
  s.on_next(2);
  CHECK(log == Events{"1"});
  CHECK(s.observer_count() == 0);
  CHECK(n.observer_count() == 0);
}

// ---- skip_until --------------------------------------------------------------------------------

TEST_CASE("RxJS skipUntil: should subscribe without start values until notifier emits") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--c--|");
  auto e2 = ts.hot("----z---|");
  ts.expect_observable(e1 | ops::skip_until(e2)).to_be("-----b--c--|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----------!");
  ts.expect_subscriptions(e2.subscriptions()).to_be("^---!");  // one value is enough
  require_ok(ts);
}

TEST_CASE("skip_until: a notifier that only completes, that fails, that emits at once") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--b--c--|");
  auto quiet = ts.hot("--|");
  ts.expect_observable(e1 | ops::skip_until(quiet)).to_be("-----------|");
  ts.expect_subscriptions(quiet.subscriptions()).to_be("^-!");

  auto e2 = ts.hot("--a--b--c--|");
  auto failing = ts.hot("---#", rx_test::boom("n"));
  ts.expect_observable(e2 | ops::skip_until(failing)).to_be("---#", rx_test::boom("n"));
  ts.expect_subscriptions(e2.subscriptions()).to_be("^--!");

  auto e3 = ts.hot("--a--b--c--|");
  ts.expect_observable(e3 | ops::skip_until(just(0))).to_be("--a--b--c--|");

  auto e4 = ts.hot("--a--b--c--|");
  auto e5 = ts.hot("----z---");
  ts.expect_observable(e4 | ops::skip_until(e5), "^------!").to_be("-----b-");
  ts.expect_subscriptions(e4.subscriptions()).to_be("^------!");
  require_ok(ts);
}

TEST_CASE("take_until, skip_until: an ended subscription keeps no subject alive") {
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::take_until(PublishSubject<int>() | ops::map([w](int v) { return v + *w; }));
  });
  check_released([](PublishSubject<int> s, std::shared_ptr<int> w) {
    return s | ops::skip_until(PublishSubject<int>() | ops::map([w](int v) { return v + *w; }));
  });
}
