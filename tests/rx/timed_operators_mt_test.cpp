// Threaded tests (run under TSan) for the timed operators: an event-loop thread fires their
// timers while the test thread emits, and the downstream must still see calls that never
// overlap, in order, with nothing after the terminal event; a downstream that waits for the
// other thread feeding the same operator must not deadlock. Waits are on conditions, with
// generous timeouts; nothing sleeps for timing.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>

#include "rxsync_catch.hpp"

using namespace rxsync;
using namespace std::chrono_literals;

namespace {

constexpr int kValues = 5000;
constexpr auto kPatience = 60s;  // TSan on a shared machine is slow; a deadlock is forever

// Counts calls that overlap (one entered while another was inside) and events after the
// terminal one. The received values are kept without a lock on purpose: if two calls ran at
// once, TSan would report the race.
struct Recorder {
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::vector<int> values;
  int terminals = 0;
  int after_terminal = 0;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;

  void enter() {
    if (inside.fetch_add(1) != 0) ++overlaps;
    if (terminals != 0) ++after_terminal;
  }
  void leave() { inside.fetch_sub(1); }
  void on_next(int v) {
    enter();
    values.push_back(v);
    leave();
  }
  void on_next(const std::vector<int>& batch) {
    enter();
    values.insert(values.end(), batch.begin(), batch.end());
    leave();
  }
  void on_terminal() {
    enter();
    ++terminals;
    leave();
    std::lock_guard lock(m);
    done = true;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock lock(m);
    return cv.wait_for(lock, kPatience, [&] { return done; });
  }
  template <class Chain>
  Subscription subscribe(const Chain& chain) {
    return chain.subscribe([self = this](const auto& v) { self->on_next(v); },
                           [this](std::exception_ptr) { on_terminal(); },
                           [this] { on_terminal(); });
  }
};

bool increasing(const std::vector<int>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i] <= v[i - 1]) return false;
  }
  return true;
}

// Emits 0 .. kValues - 1 from this thread, then completes, while `loop` runs the operator's
// timers; returns what the downstream saw once the terminal event arrived.
template <class MakeChain>
void run_against_loop(MakeChain make_chain, Recorder& rec) {
  EventLoopThread loop;
  PublishSubject<int> s;
  auto sub = rec.subscribe(make_chain(s, loop));
  for (int i = 0; i < kValues; ++i) s.on_next(i);
  s.on_completed();
  REQUIRE(rec.wait());
  loop.join();  // nothing may follow the terminal event, even from timers already due
  CHECK(rec.overlaps == 0);
  CHECK(rec.terminals == 1);
  CHECK(rec.after_terminal == 0);
}

std::vector<int> all_values() {
  std::vector<int> v(kValues);
  for (int i = 0; i < kValues; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace

TEST_CASE("debounce: timers on a loop thread, values from another, calls never overlap") {
  for (const Duration d : {Duration(0us), Duration(20us)}) {
    Recorder rec;
    run_against_loop([d](auto& s, auto& loop) { return s | ops::debounce(d, loop); }, rec);
    REQUIRE_FALSE(rec.values.empty());
    CHECK(increasing(rec.values));
    CHECK(rec.values.back() == kValues - 1);  // emitted on completion at the latest
  }
}

TEST_CASE("throttle with a trailing value: calls never overlap, the last value arrives") {
  Recorder rec;
  run_against_loop(
      [](auto& s, auto& loop) {
        return s | ops::throttle(20us, loop, {.leading = true, .trailing = true});
      },
      rec);
  REQUIRE_FALSE(rec.values.empty());
  CHECK(rec.values.front() == 0);
  CHECK(increasing(rec.values));
  CHECK(rec.values.back() == kValues - 1);
}

TEST_CASE("delay, observe_on, buffer_time: every value once, in order, calls never overlap") {
  SECTION("delay") {
    Recorder rec;
    run_against_loop([](auto& s, auto& loop) { return s | ops::delay(0us, loop); }, rec);
    CHECK(rec.values == all_values());
  }
  SECTION("observe_on") {
    Recorder rec;
    run_against_loop([](auto& s, auto& loop) { return s | ops::observe_on(loop); }, rec);
    CHECK(rec.values == all_values());
  }
  SECTION("buffer_time") {
    Recorder rec;
    run_against_loop([](auto& s, auto& loop) { return s | ops::buffer_time(50us, loop); }, rec);
    CHECK(rec.values == all_values());
  }
  SECTION("timeout") {
    Recorder rec;
    run_against_loop([](auto& s, auto& loop) { return s | ops::timeout(1h, loop); }, rec);
    CHECK(rec.values == all_values());
  }
}

TEST_CASE("timeout: the error from the loop thread never overlaps values from the other") {
  for (int round = 0; round < 20; ++round) {
    EventLoopThread loop;
    PublishSubject<int> s;
    Recorder rec;
    auto sub = rec.subscribe(s | ops::timeout(50us, loop));
    for (int i = 0; i < kValues; ++i) s.on_next(i);  // those after the error are dropped
    s.on_completed();
    REQUIRE(rec.wait());
    loop.join();
    CHECK(rec.overlaps == 0);
    CHECK(rec.terminals == 1);
    CHECK(rec.after_terminal == 0);
    CHECK(increasing(rec.values));
  }
}

namespace {
// A gate one thread opens and another waits on, with the patience of the whole test.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void release() {
    std::lock_guard lock(m);
    open = true;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock lock(m);
    return cv.wait_for(lock, kPatience, [&] { return open; });
  }
};
}  // namespace

TEST_CASE("a downstream waiting for the thread that feeds the operator does not deadlock") {
  SECTION("delay: the loop thread delivers, the test thread sends the next value meanwhile") {
    EventLoopThread loop;
    PublishSubject<int> s;
    Gate inside_first;
    Gate second_sent;
    std::mutex m;
    std::vector<int> got;
    bool waited = false;
    Gate completed;
    auto sub = (s | ops::delay(0us, loop))
                   .subscribe(
                       [&](int v) {
                         if (v == 1) {
                           inside_first.release();
                           const bool ok = second_sent.wait();
                           std::lock_guard lock(m);
                           waited = ok;
                         }
                         std::lock_guard lock(m);
                         got.push_back(v);
                       },
                       [](std::exception_ptr) {}, [&] { completed.release(); });
    s.on_next(1);
    REQUIRE(inside_first.wait());
    s.on_next(2);  // the operator is delivering 1 on the loop thread right now
    s.on_completed();
    second_sent.release();
    REQUIRE(completed.wait());
    std::lock_guard lock(m);
    CHECK(waited);
    CHECK(got == std::vector<int>{1, 2});
  }
  SECTION("timeout: the test thread delivers, the loop thread's timer runs meanwhile") {
    // The deadline passes while the subscriber is inside on_next: the timer must still run (and
    // queue its error) on the loop thread, not wait for the subscriber, or the probe queued
    // behind it never runs. If the machine is so slow that the deadline passes before the value
    // is even sent, that round proves nothing: try again.
    bool exercised = false;
    for (int attempt = 0; attempt < 10 && !exercised; ++attempt) {
      EventLoopThread loop;
      PublishSubject<int> s;
      Gate probe;
      Gate ended;
      std::atomic<bool> entered{false};
      std::atomic<bool> waited{false};
      std::atomic<bool> errored{false};
      auto sub = (s | ops::timeout(20ms, loop))
                     .subscribe(
                         [&](int) {
                           entered = true;
                           loop.schedule_after(60ms, [&] { probe.release(); });
                           waited = probe.wait();
                         },
                         [&](std::exception_ptr) {
                           errored = true;
                           ended.release();
                         },
                         [&] { ended.release(); });
      s.on_next(1);
      REQUIRE(ended.wait());
      if (!entered) continue;
      CHECK(waited);
      CHECK(errored);
      exercised = true;
    }
    CHECK(exercised);
  }
}
