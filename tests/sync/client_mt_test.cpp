// AdaptivePoller, ResilientClient and OptimisticUpdates driven from several threads at once,
// with replies from another thread, as a real network would give them. Run under TSan.
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/sync/adaptive_poller.hpp>
#include <rxsync/sync/optimistic.hpp>
#include <rxsync/sync/resilient_client.hpp>

#include "rxsync_catch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Waits (with a generous timeout) until pred() holds under `mutex`.
template <class Pred>
bool wait_for(std::mutex& mutex, std::condition_variable& cv, Pred pred) {
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, 60s, pred);
}

}  // namespace

TEST_CASE("resilient client: concurrent callers, flapping network, replies from another thread",
          "[resilient_client][mt]") {
  constexpr int kThreads = 4;
  constexpr int kCalls = 150;
  std::mutex mutex;
  std::condition_variable cv;
  std::set<int> values;
  std::size_t errors = 0;

  rxsync::EventLoopThread loop;
  rxsync::EventLoopThread io;
  rxsync::ResilientClientOptions o;
  o.max_queued = kThreads * kCalls;
  rxsync::ResilientClient<rxsync::EventLoopThread> client(loop, o,
                                                          rxsync::FixedDelays({1ms}, 1000));
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          const int id = t * kCalls + i;
          auto first = std::make_shared<std::atomic<bool>>(true);
          client.call(
              [&io, id, first](std::function<void(rxsync::CallResult<int>)> done) {
                io.schedule([id, first, done = std::move(done)] {
                  // Every third call fails once with a retryable error.
                  if (id % 3 == 0 && first->exchange(false)) {
                    done(rxsync::CallError::http(503));
                  } else {
                    done(id);
                  }
                });
              },
              [&](const rxsync::CallResult<int>& r) {
                {
                  std::lock_guard lock(mutex);
                  if (r.ok()) {
                    values.insert(r.value());
                  } else {
                    ++errors;
                  }
                }
                cv.notify_all();
              });
        }
      });
    }
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        client.set_online(i % 2 == 1);
        (void)client.is_online();
      }
      client.set_online(true);
    });
    for (auto& th : threads) th.join();
  }
  REQUIRE(wait_for(mutex, cv, [&] { return values.size() + errors == kThreads * kCalls; }));
  CHECK(errors == 0);
  CHECK(values.size() == kThreads * kCalls);
  const auto stats = client.stats();
  CHECK(stats.calls == kThreads * kCalls);
  CHECK(stats.succeeded == kThreads * kCalls);
  CHECK(stats.retries >= kThreads * kCalls / 3);
}

TEST_CASE("optimistic updates: concurrent applies, answers from another thread",
          "[optimistic][mt]") {
  using Updates = rxsync::OptimisticUpdates<std::string, int>;
  constexpr int kThreads = 4;
  constexpr int kUpdates = 200;
  // Declared before the threads that use them, so they outlive those threads.
  std::mutex mutex;
  std::condition_variable cv;
  bool idle = false;
  std::atomic<std::size_t> rollbacks{0};
  std::atomic<int> answered{0};
  rxsync::EventLoopThread io;
  Updates updates;
  auto sub = updates.rollbacks().subscribe([&](const Updates::RollbackEvent&) { ++rollbacks; });
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kUpdates; ++i) {
          const std::string key = "k" + std::to_string((t + i) % 3);
          updates.apply(
              key, 0, [](const int& v) { return v + 1; },
              [&io, &answered](const int& v, Updates::DoneFn done) {
                io.schedule([v, &answered, done = std::move(done)] {
                  const int n = ++answered;
                  done(n % 7 != 0, n % 7 != 0 ? "" : "rejected " + std::to_string(v));
                });
              });
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  updates.when_idle([&] {
    {
      std::lock_guard lock(mutex);
      idle = true;
    }
    cv.notify_all();
  });
  REQUIRE(wait_for(mutex, cv, [&] { return idle; }));
  const auto stats = updates.stats();
  CHECK(stats.applied == kThreads * kUpdates);
  CHECK(stats.confirmed + stats.rolled_back == kThreads * kUpdates);
  CHECK(rollbacks.load() == stats.rolled_back);
  CHECK(stats.rolled_back > 0);
  CHECK_FALSE(updates.has_pending());
  sub.unsubscribe();
}

TEST_CASE("adaptive poller: inputs from many threads while it polls", "[adaptive_poller][mt]") {
  std::mutex mutex;
  std::condition_variable cv;
  int polls = 0;
  std::vector<rxsync::Duration> seen;
  std::atomic<bool> out_of_range{false};
  rxsync::AdaptivePollerOptions o;
  o.base = 1ms;
  o.max = 4ms;
  o.activity_half_life = 2ms;
  o.resolution = 1ms;
  rxsync::EventLoopThread io;
  rxsync::EventLoopThread loop;
  rxsync::AdaptivePoller<rxsync::EventLoopThread> poller(loop, o);
  auto sub = poller.intervals().subscribe([&](rxsync::Duration d) {
    std::lock_guard lock(mutex);
    seen.push_back(d);
  });
  // Each poll finishes on another thread, as an asynchronous pull would.
  poller.start_async([&](std::function<void()> done) {
    io.schedule([&, done = std::move(done)] {
      {
        std::lock_guard lock(mutex);
        ++polls;
      }
      cv.notify_all();
      done();
    });
  });
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 300; ++i) {
          if (t == 0) {
            poller.set_queue_depth(static_cast<std::size_t>(i % 25));
          } else {
            poller.record_activity(0.5);
          }
          const auto d = poller.interval();
          if (d < o.base || d > o.max) out_of_range = true;  // Catch2 is not thread-safe
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  CHECK_FALSE(out_of_range.load());
  REQUIRE(wait_for(mutex, cv, [&] { return polls >= 10; }));
  poller.stop();
  std::lock_guard lock(mutex);
  REQUIRE_FALSE(seen.empty());
  for (auto d : seen) CHECK((d >= o.base && d <= o.max));
  sub.unsubscribe();
}
