// The RxJS overloads of timed operators as marble tests (1 frame = 1 ms): timeout with a
// fallback and with separate first / each deadlines, buffer_time with a creation interval and a
// maximum size.
#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/testing/marbles.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "marble_test_support.hpp"
#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::testing::TestScheduler;
namespace ops = rxsync::ops;
using Cfg = ops::TimeoutConfig;

using rxsync_test::require_ok_and_idle;

namespace {
std::exception_ptr timeout_error() { return std::make_exception_ptr(rxsync::TimeoutError()); }
}  // namespace

TEST_CASE("timeout with a fallback switches to it at the deadline (RxJS timeout({each, with}))") {
  TestScheduler ts;
  auto e1 = ts.hot("-------a--b--|");
  auto e2 = ts.cold("x-y-z-|");
  ts.expect_observable(e1 | ops::timeout(5ms, ts, e2)).to_be("-----x-y-z-|");
  ts.expect_subscriptions(e1.subscriptions()).to_be("^----!");
  ts.expect_subscriptions(e2.subscriptions()).to_be("-----^-----!");
  // Each value moves the deadline; the source is unsubscribed before the fallback subscribes.
  auto e3 = ts.hot("-a--b-----c-|");
  auto e4 = ts.cold("--x|");
  ts.expect_observable(e3 | ops::timeout(4ms, ts, e4)).to_be("-a--b-----x|");
  ts.expect_subscriptions(e3.subscriptions()).to_be("^-------!");
  ts.expect_subscriptions(e4.subscriptions()).to_be("--------^--!");
  require_ok_and_idle(ts);
}

TEST_CASE("timeout with a fallback: errors, completion before the deadline, unsubscribe") {
  TestScheduler ts;
  auto e1 = ts.hot("--a--|");
  auto unused = ts.cold("x|");
  ts.expect_observable(e1 | ops::timeout(3ms, ts, unused)).to_be("--a--|");
  auto e2 = ts.hot("--a--#");
  ts.expect_observable(e2 | ops::timeout(3ms, ts, unused)).to_be("--a--#");
  ts.expect_subscriptions(unused.subscriptions()).to_be({});
  auto e3 = ts.hot("-------a-|");
  auto failing = ts.cold("-x#");
  ts.expect_observable(e3 | ops::timeout(2ms, ts, failing)).to_be("---x#");
  auto e4 = ts.hot("-a------");
  auto endless = ts.cold("-x-y-z-");
  ts.expect_observable(e4 | ops::timeout(Cfg{std::nullopt, 2ms}, ts, endless), "------!")
      .to_be("-a--x-");  // the unsubscription at 6 was scheduled before y
  ts.expect_subscriptions(endless.subscriptions()).to_be("---^--!");
  require_ok_and_idle(ts);
}

TEST_CASE("timeout({first, each}): separate deadlines for the first value and the ones after") {
  TestScheduler ts;
  // first only: no deadline after the first value.
  auto e1 = ts.hot("--a------b|");
  ts.expect_observable(e1 | ops::timeout(Cfg{3ms, std::nullopt}, ts)).to_be("--a------b|");
  auto e2 = ts.hot("----a--|");
  ts.expect_observable(e2 | ops::timeout(Cfg{3ms, std::nullopt}, ts))
      .to_be("---#", timeout_error());
  // first and each: b at exactly a + 2 was sent first, so it meets its deadline; c does not.
  auto e3 = ts.hot("---a-b--c|");
  ts.expect_observable(e3 | ops::timeout(Cfg{5ms, 2ms}, ts)).to_be("---a-b-#", timeout_error());
  // each only: the first deadline is each too.
  auto e4 = ts.hot("---a-|");
  ts.expect_observable(e4 | ops::timeout(Cfg{std::nullopt, 2ms}, ts)).to_be("--#", timeout_error());
  // first with a fallback.
  auto e5 = ts.hot("------a-|");
  auto e6 = ts.cold("z|");
  ts.expect_observable(e5 | ops::timeout(Cfg{4ms, std::nullopt}, ts, e6)).to_be("----z|");
  require_ok_and_idle(ts);
}

TEST_CASE("timeout: a config without first or each throws") {
  TestScheduler ts;
  CHECK_THROWS_WITH(ops::timeout(Cfg{}, ts),
                    "rxsync::ops::timeout: config must set first or each, got neither");
  CHECK_THROWS_AS(ops::timeout(Cfg{}, ts, ts.cold("x|")), std::invalid_argument);
}

// The state keeps the fallback until the deadline. A source that keeps an unsubscribed
// subscriber (a subject only flags its node until its next emission) would keep the fallback,
// and what it holds, for as long as the source lives: the state drops it when the subscription
// ends.
TEST_CASE("timeout: an ended subscription does not keep its fallback") {
  for (const bool unsubscribe : {true, false}) {
    rxsync::VirtualTimeScheduler vts;
    rxsync::PublishSubject<int> src;
    auto witness = std::make_shared<int>(0);
    const std::weak_ptr<int> weak = witness;
    rx_test::Events log;
    rxsync::PublishSubject<int> other;
    auto sub = rx_test::record(
        src | ops::timeout(10ms, vts, other | ops::map([witness](int v) { return v + *witness; })),
        log);
    witness.reset();
    src.on_next(1);
    if (unsubscribe) {
      sub.unsubscribe();
    } else {
      src.on_completed();
    }
    CHECK(weak.expired());
    CHECK(vts.pending() == 0);
    CHECK(log == (unsubscribe ? rx_test::Events{"1"} : rx_test::Events{"1", "C"}));
  }
}

namespace {
using Batches = std::map<char, std::vector<char>>;
}  // namespace

TEST_CASE("buffer_time with a creation interval: overlapping buffers (RxJS bufferTime)") {
  TestScheduler ts;
  // Buffers open at 0, 3, 6, 9, 12 and last 4 frames. A value at an opening's frame was sent
  // first, so it misses the buffer opening then (b at 3, e at 9); the completion emits the open
  // buffers, the empty one included.
  auto e1 = ts.hot("-a-b-c-d-e-f-|");
  ts.expect_observable(e1 | ops::buffer_time(4ms, ts, {3ms}))
      .to_be("----x--y--z--(vw|)",
             Batches{
                 {'x', {'a', 'b'}}, {'y', {'c', 'd'}}, {'z', {'d', 'e'}}, {'v', {'f'}}, {'w', {}}});
  ts.expect_subscriptions(e1.subscriptions()).to_be("^------------!");
  // Gaps: buffers of 2 frames every 5 frames drop what comes in between (b, e, and c, sent at 5
  // just before the buffer of 5 opens).
  auto e2 = ts.hot("-a-b-c-d-e-|");
  ts.expect_observable(e2 | ops::buffer_time(2ms, ts, {5ms}))
      .to_be("--x----y---(z|)", Batches{{'x', {'a'}}, {'y', {'d'}}, {'z', {}}});
  require_ok_and_idle(ts);
}

TEST_CASE("buffer_time with max_size emits full buffers early") {
  TestScheduler ts;
  // Without a creation interval, an emitted buffer is replaced at once by a new one.
  auto e1 = ts.hot("-a-b-c-d-e-|");
  ts.expect_observable(e1 | ops::buffer_time(6ms, ts, {std::nullopt, 2}))
      .to_be("---x---y---(z|)", Batches{{'x', {'a', 'b'}}, {'y', {'c', 'd'}}, {'z', {'e'}}});
  auto e2 = ts.hot("-a-------b-|");
  ts.expect_observable(e2 | ops::buffer_time(4ms, ts, {std::nullopt, 3}))
      .to_be("----x---y--(z|)", Batches{{'x', {'a'}}, {'y', {}}, {'z', {'b'}}});
  // With one, a full buffer is not replaced: the next opening comes at its time.
  auto e3 = ts.hot("-a-b-c-d-|");
  ts.expect_observable(e3 | ops::buffer_time(10ms, ts, {4ms, 2}))
      .to_be("---x---y-(z|)", Batches{{'x', {'a', 'b'}}, {'y', {'c', 'd'}}, {'z', {}}});
  require_ok_and_idle(ts);
}

TEST_CASE("buffer_time with a config: errors, unsubscribe, bad options") {
  TestScheduler ts;
  auto failing = ts.hot("-a-b-#");
  ts.expect_observable(failing | ops::buffer_time(3ms, ts, {2ms, 5}))
      .to_be("---x-#", Batches{{'x', {'a', 'b'}}});  // the buffer of 2 is dropped
  auto endless = ts.hot("-a-b-c-d-");
  ts.expect_observable(endless | ops::buffer_time(4ms, ts, {2ms}), "-----!")
      .to_be("----x-", Batches{{'x', {'a', 'b'}}});
  require_ok_and_idle(ts);
  CHECK_THROWS_WITH(ops::buffer_time(0ms, ts, {}),
                    "rxsync::ops::buffer_time: span must be > 0, got 0ns");
  CHECK_THROWS_WITH(ops::buffer_time(5ms, ts, {-1ms}),
                    "rxsync::ops::buffer_time: creation_interval must be > 0, got -1000000ns");
  CHECK_THROWS_WITH(ops::buffer_time(5ms, ts, {std::nullopt, 0}),
                    "rxsync::ops::buffer_time: max_size must be > 0, got 0");
}
