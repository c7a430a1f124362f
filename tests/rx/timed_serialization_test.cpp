// Timed operators in virtual time: a downstream that feeds its own source from inside on_next
// is called back in order, never nested inside its own call; one scheduler action per
// subscription while values keep moving a deadline; and the same output through a scheduler
// that cannot re-arm an action (operators then fall back to schedule_at()).
#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

using namespace rxsync;
using namespace std::chrono_literals;
using rx_test::Events;

namespace {

long ms(const VirtualTimeScheduler& vts) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(vts.now().time_since_epoch()).count());
}

// Logs "enter"/"exit" around each call it gets and, while handling a value v < last, sends
// v + 1 into `source` from inside that call. depth counts calls in progress: the Rx contract
// says it never exceeds 1.
struct EchoObserver {
  EchoObserver(VirtualTimeScheduler& v, PublishSubject<int>& s, int l)
      : vts(v), source(s), last(l) {}
  VirtualTimeScheduler& vts;
  PublishSubject<int>& source;
  int last;
  Events log;
  int depth = 0;
  int max_depth = 0;
  Subscription sub;

  template <class Chain>
  void subscribe(const Chain& chain) {
    sub = chain.subscribe([self = this](const auto& v) { self->on_value(v); },
                          [this](std::exception_ptr e) { stamp("E:" + rx_test::what(e)); },
                          [this] { stamp("C"); });
  }
  void on_value(int v) {
    enter("next " + std::to_string(v));
    if (v < last) source.on_next(v + 1);
    leave("next " + std::to_string(v));
  }
  void on_value(const std::vector<int>& batch) {
    enter("batch " + rx_test::str(batch));
    for (int v : batch) {
      if (v < last) source.on_next(v + 1);
    }
    leave("batch " + rx_test::str(batch));
  }
  void stamp(const std::string& what) { log.push_back(std::to_string(ms(vts)) + ":" + what); }
  void enter(const std::string& what) {
    ++depth;
    if (depth > max_depth) max_depth = depth;
    stamp(what);
  }
  void leave(const std::string& what) {
    stamp("/" + what);
    --depth;
  }
};

}  // namespace

TEST_CASE("timeout: a value sent from inside on_next is delivered after that call returns") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  EchoObserver obs{vts, s, 3};
  obs.subscribe(s | ops::timeout(1s, vts));
  s.on_next(1);
  s.on_completed();
  CHECK(obs.max_depth == 1);
  CHECK(obs.log ==
        Events{"0:next 1", "0:/next 1", "0:next 2", "0:/next 2", "0:next 3", "0:/next 3", "0:C"});
  CHECK(vts.pending() == 0);
}

TEST_CASE("debounce: values fed back from inside on_next are debounced again, in order") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  EchoObserver obs{vts, s, 3};
  obs.subscribe(s | ops::debounce(10ms, vts));
  s.on_next(1);
  vts.advance_by(100ms);
  s.on_completed();
  CHECK(obs.max_depth == 1);
  CHECK(obs.log == Events{"10:next 1", "10:/next 1", "20:next 2", "20:/next 2", "30:next 3",
                          "30:/next 3", "100:C"});
}

TEST_CASE("throttle: values fed back from inside the leading value's call pass too (RxJS)") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  EchoObserver obs{vts, s, 3};
  obs.subscribe(s | ops::throttle(10ms, vts));
  s.on_next(1);
  s.on_next(9);  // the window opened once 1's call returned: 9 is throttled
  vts.advance_by(100ms);
  s.on_completed();
  CHECK(obs.max_depth == 1);
  CHECK(obs.log ==
        Events{"0:next 1", "0:/next 1", "0:next 2", "0:/next 2", "0:next 3", "0:/next 3", "100:C"});
}

TEST_CASE("delay, observe_on, buffer_time: fed-back values come later, in order, unnested") {
  VirtualTimeScheduler vts;
  {
    PublishSubject<int> s;
    EchoObserver obs{vts, s, 3};
    obs.subscribe(s | ops::delay(5ms, vts));
    s.on_next(1);
    vts.advance_by(100ms);
    CHECK(obs.max_depth == 1);
    CHECK(obs.log ==
          Events{"5:next 1", "5:/next 1", "10:next 2", "10:/next 2", "15:next 3", "15:/next 3"});
  }
  {
    PublishSubject<int> s;
    EchoObserver obs{vts, s, 3};
    obs.subscribe(s | ops::observe_on(vts));
    s.on_next(1);
    vts.advance_by(0ms);
    CHECK(obs.max_depth == 1);
    CHECK(obs.log == Events{"100:next 1", "100:/next 1", "100:next 2", "100:/next 2", "100:next 3",
                            "100:/next 3"});
  }
  {
    PublishSubject<int> s;
    EchoObserver obs{vts, s, 2};
    obs.subscribe(s | ops::buffer_time(10ms, vts));
    s.on_next(1);
    vts.advance_by(25ms);
    obs.sub.unsubscribe();
    CHECK(obs.max_depth == 1);
    CHECK(obs.log == Events{"110:batch [1]", "110:/batch [1]", "120:batch [2]", "120:/batch [2]"});
    CHECK(vts.pending() == 0);
  }
}

TEST_CASE("debounce and timeout keep one scheduler action while values move the deadline") {
  VirtualTimeScheduler vts;
  PublishSubject<int> s;
  Events log;
  rx_test::record(s | ops::debounce(10ms, vts), log, &vts);
  Events log2;
  rx_test::record(s | ops::timeout(10ms, vts), log2, &vts);
  CHECK(vts.pending() == 1);  // timeout's deadline, armed at subscription
  for (int i = 0; i < 50; ++i) {
    s.on_next(i);
    CHECK(vts.pending() == 2);
    vts.advance_by(3ms);
  }
  vts.advance_by(20ms);
  CHECK(log == Events{"157:49"});
  CHECK(log2.size() == 51);
  CHECK(log2.back() == "157:E:rxsync::ops::timeout: no value within the timeout");
  CHECK(vts.pending() == 0);
}

namespace {
// A Scheduler without schedule_rearming(): the timed operators schedule a new action each time
// a deadline moves past the armed one.
struct PlainScheduler {
  VirtualTimeScheduler* inner;
  TimePoint now() const { return inner->now(); }
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
static_assert(Scheduler<PlainScheduler>);
static_assert(!SchedulerCanRearm<PlainScheduler>);
static_assert(SchedulerCanRearm<VirtualTimeScheduler>);

// Runs `make(scheduler)` on one timeline: values at 0, 4, 8, ... 36 ms, then at 100 and
// completion at 130.
template <class Make>
Events run_timeline(Make make, bool plain) {
  VirtualTimeScheduler vts;
  PlainScheduler wrapper{&vts};
  PublishSubject<int> s;
  for (int i = 0; i < 10; ++i) {
    vts.schedule_at(TimePoint(std::chrono::milliseconds(4 * i)), [s, i] { s.on_next(i); });
  }
  vts.schedule_at(TimePoint(100ms), [s] { s.on_next(100); });
  vts.schedule_at(TimePoint(130ms), [s] { s.on_completed(); });
  Events log;
  if (plain) {
    rx_test::record(make(s, wrapper), log, &vts);
  } else {
    rx_test::record(make(s, vts), log, &vts);
  }
  vts.advance_by(1s);
  CHECK(vts.pending() == 0);
  return log;
}
}  // namespace

TEST_CASE("a scheduler that cannot re-arm an action gives the same results") {
  auto debounce = [](auto& s, auto& sched) { return s | ops::debounce(10ms, sched); };
  CHECK(run_timeline(debounce, false) == Events{"46:9", "110:100", "130:C"});
  CHECK(run_timeline(debounce, true) == run_timeline(debounce, false));

  auto timeout = [](auto& s, auto& sched) { return s | ops::timeout(30ms, sched); };
  CHECK(run_timeline(timeout, false).back() ==
        "66:E:rxsync::ops::timeout: no value within the timeout");
  CHECK(run_timeline(timeout, true) == run_timeline(timeout, false));

  auto throttle = [](auto& s, auto& sched) {
    return s | ops::throttle(10ms, sched, {.leading = true, .trailing = true});
  };
  CHECK(run_timeline(throttle, false) ==
        Events{"0:0", "10:2", "20:5", "30:7", "40:9", "100:100", "130:C"});
  CHECK(run_timeline(throttle, true) == run_timeline(throttle, false));

  auto buffer = [](auto& s, auto& sched) { return s | ops::buffer_time(25ms, sched); };
  CHECK(run_timeline(buffer, false) == Events{"25:[0,1,2,3,4,5,6]", "50:[7,8,9]", "75:[]",
                                              "100:[100]", "125:[]", "130:[]", "130:C"});
  CHECK(run_timeline(buffer, true) == run_timeline(buffer, false));
}
