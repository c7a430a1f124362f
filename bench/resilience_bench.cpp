// Resilience benchmarks, each beside a hand-written baseline of the same work.
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/resilience/task_queue.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace {

// Proportional jitter (the default), restarting every 16 delays like a retry sequence would.
void BM_BackoffNextDelay(benchmark::State& state) {
  rxsync::BackoffOptions o;
  o.initial = std::chrono::milliseconds(100);
  o.max_retries = 16;
  rxsync::ExponentialBackoff<> b(o, rxsync::DefaultRandom(1));
  for (auto _ : state) {
    auto d = b.next_delay();
    if (!d) {
      b.reset();
      d = b.next_delay();
    }
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_BackoffNextDelay);

// The same formula inlined: v = min(max, v * m); delay = v * (1 - r + 2 r u).
void BM_Baseline_BackoffFormula(benchmark::State& state) {
  rxsync::DefaultRandom rng(1);
  double v = 1e8;
  int n = 0;
  for (auto _ : state) {
    if (n == 16) {
      n = 0;
      v = 1e8;
    }
    const double delay = v * (0.8 + 0.4 * rng());
    v = std::min(6e10, v * 2.0);
    ++n;
    benchmark::DoNotOptimize(delay);
  }
}
BENCHMARK(BM_Baseline_BackoffFormula);

// Submit 64 trivial tasks, then let the scheduler run them; time per task.
void BM_TaskQueueSubmit(benchmark::State& state) {
  rxsync::VirtualTimeScheduler s;
  rxsync::TaskQueueOptions o;
  o.max_concurrent = 4;
  o.max_queue_size = 1024;
  rxsync::TaskQueue q(s, o);
  std::uint64_t done = 0;
  for (auto _ : state) {
    for (int i = 0; i < 64; ++i) {
      q.submit_fn(
          static_cast<rxsync::Priority>(i & 3), [] {}, [&done](std::exception_ptr) { ++done; });
    }
    s.run();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(done));
}
BENCHMARK(BM_TaskQueueSubmit);

// A mutex-guarded deque of std::function per priority, drained by the same thread.
void BM_Baseline_DequeSubmit(benchmark::State& state) {
  std::mutex m;
  std::deque<std::function<void()>> levels[4];
  std::uint64_t done = 0;
  for (auto _ : state) {
    for (int i = 0; i < 64; ++i) {
      std::lock_guard lock(m);
      levels[i & 3].emplace_back([&done] { ++done; });
    }
    for (;;) {
      std::function<void()> f;
      {
        std::lock_guard lock(m);
        auto* q =
            std::find_if(std::begin(levels), std::end(levels), [](auto& d) { return !d.empty(); });
        if (q == std::end(levels)) break;
        f = std::move(q->front());
        q->pop_front();
      }
      f();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(done));
}
BENCHMARK(BM_Baseline_DequeSubmit);

}  // namespace
