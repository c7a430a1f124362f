// VirtualTimeScheduler's thread-safety claim (TSan job): other threads may schedule and cancel
// while one thread advances time.
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <latch>
#include <thread>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Duration;
using rxsync::Subscription;
using rxsync::TimePoint;
using rxsync::VirtualTimeScheduler;

namespace {
constexpr int kThreads = 4;
constexpr int kPerThread = 500;
constexpr int kTotal = kThreads * kPerThread;
}  // namespace

TEST_CASE("VirtualTimeScheduler: scheduling and cancelling from other threads while advancing",
          "[schedulers][vts][mt]") {
  VirtualTimeScheduler sched;
  // One slot per action: how often it ran and whether it ran no earlier than asked.
  std::array<std::atomic<int>, kTotal> runs{};
  std::array<std::atomic<bool>, kTotal> on_time{};
  std::array<std::atomic<bool>, kTotal> cancelled{};
  std::atomic<int> producers_done{0};

  std::latch start(kThreads + 1);
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const auto id = static_cast<std::size_t>(t * kPerThread + i);
        const Duration delay = std::chrono::milliseconds(i % 7);
        const TimePoint earliest = sched.now() + delay;  // time only moves forward
        Subscription sub = sched.schedule_after(delay, [&, id, earliest] {
          runs[id].fetch_add(1);
          on_time[id].store(sched.now() >= earliest);
        });
        if (i % 5 == 0) {
          cancelled[id].store(true);
          sub.unsubscribe();
        }
      }
      producers_done.fetch_add(1);
    });
  }
  start.arrive_and_wait();
  // Advance until every producer finished and the queue drained (bounded, never sleeps).
  int rounds = 0;
  while ((producers_done.load() < kThreads || sched.pending() > 0) && rounds < 10'000'000) {
    sched.advance_by(1ms);
    ++rounds;
  }
  for (auto& p : producers) p.join();
  sched.run();

  CHECK(sched.pending() == 0);
  int missing = 0;
  int duplicated = 0;
  int early = 0;
  for (std::size_t id = 0; id < static_cast<std::size_t>(kTotal); ++id) {
    const int n = runs[id].load();
    if (n > 1) ++duplicated;
    if (n == 0 && !cancelled[id].load()) ++missing;
    if (n == 1 && !on_time[id].load()) ++early;
  }
  CHECK(missing == 0);     // every action that was not cancelled ran
  CHECK(duplicated == 0);  // and none ran twice
  CHECK(early == 0);       // and none ran before its due time
}
