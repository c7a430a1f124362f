// RunLoop driven by one thread while others schedule, cancel and stop it (TSan job). Waits are
// on conditions with a generous timeout; nothing sleeps.
#include <rxsync/schedulers/run_loop.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::RunLoop;
using rxsync::Subscription;

namespace {

// A flag another thread can wait for.
class Signal {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      set_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace

TEST_CASE("RunLoop: 4 threads x 1000 actions run exactly once, in per-thread order",
          "[schedulers][run_loop][mt]") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 1000;
  RunLoop loop;
  // Written only by actions, which all run on this thread.
  std::array<std::vector<int>, kThreads> seen;
  int total = 0;

  std::latch start(kThreads);
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        // No Catch2 assertion here: they are not thread-safe. The results are checked below.
        loop.schedule([&, t, i] {
          seen[static_cast<std::size_t>(t)].push_back(i);
          if (++total == kThreads * kPerThread) loop.stop();
        });
      }
    });
  }
  const auto began = loop.now();
  loop.run_for(10s);  // returns early through the last action's stop()
  const auto took = loop.now() - began;
  for (auto& p : producers) p.join();

  CHECK(took < 10s);
  CHECK(total == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    const auto& got = seen[static_cast<std::size_t>(t)];
    REQUIRE(got.size() == static_cast<std::size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      INFO("thread " << t << " position " << i);
      REQUIRE(got[static_cast<std::size_t>(i)] == i);
    }
  }
  CHECK(loop.pending() == 0);
}

TEST_CASE("RunLoop: stop() from another thread wakes an idle run()", "[schedulers][run_loop][mt]") {
  RunLoop loop;
  Signal running;
  bool far_ran = false;
  loop.schedule([&] { running.set(); });
  loop.schedule_after(1h, [&] { far_ran = true; });
  std::thread stopper([&] {
    if (running.wait()) loop.stop();
  });
  const auto began = loop.now();
  loop.run_for(10s);
  stopper.join();
  CHECK(loop.now() - began < 10s);  // the stop, not the deadline, ended it
  CHECK_FALSE(far_ran);
  CHECK(loop.pending() == 1);
}

TEST_CASE("RunLoop: an action scheduled from another thread wakes a waiting loop",
          "[schedulers][run_loop][mt]") {
  RunLoop loop;
  Signal waiting;
  int ran = 0;
  // The loop first waits on a far timer; the other thread's earlier action must cut that short.
  loop.schedule_after(1h, [&] { ran = 100; });
  loop.schedule([&] { waiting.set(); });
  std::thread other([&] {
    if (!waiting.wait()) return;
    loop.schedule_after(1ms, [&] {
      ++ran;
      loop.stop();
    });
  });
  const auto began = loop.now();
  loop.run_for(10s);
  other.join();
  CHECK(ran == 1);
  CHECK(loop.now() - began < 10s);
}

TEST_CASE("RunLoop: cancelling from another thread while the loop runs",
          "[schedulers][run_loop][mt]") {
  RunLoop loop;
  constexpr int kTimers = 500;
  std::vector<Subscription> timers;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  int far_runs = 0;
  for (int i = 0; i < kTimers; ++i) {
    timers.push_back(loop.schedule_after(1h, [&far_runs, r = resource] {
      ++far_runs;
      (void)r;
    }));
  }
  resource.reset();
  int near_runs = 0;
  Signal started;
  loop.schedule([&] { started.set(); });
  std::thread canceller([&] {
    if (!started.wait()) return;
    for (auto& t : timers) t.unsubscribe();
    // Queued after the cancellations, so the loop sees them all before it stops.
    loop.schedule([&] {
      ++near_runs;
      loop.stop();
    });
  });
  loop.run_for(10s);
  canceller.join();
  CHECK(near_runs == 1);
  CHECK(far_runs == 0);
  CHECK(loop.pending() == 0);
  CHECK(watch.expired());  // every cancelled timer released its captures
  for (auto& t : timers) CHECK_FALSE(t.is_subscribed());
}

TEST_CASE("RunLoop: shutdown from another thread drains what is due and refuses the rest",
          "[schedulers][run_loop][mt]") {
  RunLoop loop;
  Signal running;
  std::vector<int> log;  // loop thread only
  loop.schedule([&] {
    running.set();
    // Keep the loop busy until the other thread has retired it, so the next two actions are
    // due but not yet run when shutdown begins.
    while (!loop.is_shut_down()) std::this_thread::yield();
    log.push_back(1);
  });
  loop.schedule([&] { log.push_back(2); });
  loop.schedule([&] { log.push_back(3); });
  auto far = loop.schedule_after(1h, [&] { log.push_back(99); });
  Subscription refused;
  std::thread retire([&] {
    if (!running.wait()) return;
    loop.shutdown();
    refused = loop.schedule([&] { log.push_back(100); });
  });
  loop.run();
  retire.join();
  CHECK(log == std::vector<int>{1, 2, 3});
  CHECK_FALSE(far.is_subscribed());
  CHECK_FALSE(refused.is_subscribed());
  CHECK(loop.pending() == 0);
}

TEST_CASE("RunLoop: run_until_idle returns when another thread cancels the last action",
          "[schedulers][run_loop][mt]") {
  RunLoop loop;
  Signal started;
  Signal returned;
  auto far = loop.schedule_after(1h, [] {});
  loop.schedule([&] { started.set(); });
  std::thread runner([&] {
    loop.run_until_idle();
    returned.set();
  });
  REQUIRE(started.wait());
  far.unsubscribe();
  const bool ok = returned.wait();
  if (!ok) loop.stop();  // unblock the runner so the test can report instead of hanging
  runner.join();
  CHECK(ok);
}
