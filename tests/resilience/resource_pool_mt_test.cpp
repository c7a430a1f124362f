#include <rxsync/resilience/circuit_breaker.hpp>
#include <rxsync/resilience/resource_pool.hpp>
#include <rxsync/resilience/task_queue.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;

namespace {
struct Conn {
  int id = 0;
  std::shared_ptr<std::atomic<bool>> in_use = std::make_shared<std::atomic<bool>>(false);
};
// Plain counters: the pool serialises factory calls, which TSan checks.
struct Factory {
  int* created;
  int* destroyed;
  Conn create() { return Conn{(*created)++}; }
  bool validate(Conn& c) { return c.id % 7 != 3; }  // some connections "go bad"
  void destroy(Conn&) { ++*destroyed; }
};
using Pool = rxsync::ResourcePool<Conn, Factory>;
}  // namespace

TEST_CASE("ResourcePool hands each resource to one holder at a time across 8 threads") {
  rxsync::VirtualTimeScheduler s;  // timers never fire here: nobody advances time
  int created = 0, destroyed = 0;
  rxsync::ResourcePoolOptions o;
  o.max_size = 3;
  o.acquire_timeout = 1h;
  std::atomic<int> overlaps{0}, errors{0}, uses{0};
  {
    Pool pool(s, Factory{&created, &destroyed}, o);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 300; ++i) {
          std::mutex m;
          std::condition_variable cv;
          std::optional<Pool::Lease> got;
          bool done = false;
          pool.acquire([&](Pool::Lease l, std::exception_ptr e) {
            std::lock_guard lock(m);
            if (e) ++errors;
            got.emplace(std::move(l));
            done = true;
            cv.notify_one();
          });
          std::unique_lock lock(m);
          if (!cv.wait_for(lock, 20s, [&] { return done; })) {
            ++errors;
            return;
          }
          Pool::Lease lease = std::move(*got);
          lock.unlock();
          if (!lease) continue;
          if (lease->in_use->exchange(true)) ++overlaps;
          ++uses;
          lease->in_use->store(false);
          if ((i + t) % 50 == 0) lease.invalidate();
        }
      });
    }
    for (auto& th : threads) th.join();
    const auto st = pool.stats();
    CHECK(st.total <= 3);
    CHECK(st.waiting == 0);
    CHECK(st.created - st.destroyed == st.total);
  }
  CHECK(overlaps == 0);
  CHECK(errors == 0);
  CHECK(uses == 8 * 300);
  CHECK(created == destroyed);
}

TEST_CASE("TaskQueue accepts submissions from 8 threads and runs each exactly once") {
  rxsync::VirtualTimeScheduler s;
  rxsync::TaskQueueOptions o;
  o.max_concurrent = 3;
  o.max_queue_size = 100000;
  o.queue_timeout = 0s;
  rxsync::TaskQueue q(s, o);
  std::atomic<int> ran{0}, done{0}, submitted_threads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        q.submit_fn(
            static_cast<rxsync::Priority>((i + t) % 4), [&] { ++ran; },
            [&](std::exception_ptr e) {
              if (!e) ++done;
            });
      }
      ++submitted_threads;
    });
  }
  // This thread is the scheduler's runner, as an event loop would be.
  while (submitted_threads < 8 || done < 8 * 500) {
    if (s.run() == 0) std::this_thread::yield();
  }
  for (auto& th : threads) th.join();
  CHECK(ran == 8 * 500);
  CHECK(q.stats().completed == 8 * 500);
  CHECK(q.stats().running == 0);
}

TEST_CASE("CircuitBreaker stays consistent under 8 threads and publishes its final state last") {
  rxsync::VirtualTimeScheduler s;
  rxsync::CircuitBreakerOptions o;
  o.window_size = 10;
  o.minimum_calls = 5;
  o.open_duration = std::chrono::milliseconds(1);
  o.half_open_calls = 2;
  rxsync::CircuitBreaker cb(s, o);
  std::mutex m;
  rxsync::CircuitState last_seen = rxsync::CircuitState::closed;
  auto sub = cb.states().subscribe([&](rxsync::CircuitState st) {
    std::lock_guard lock(m);
    last_seen = st;
  });
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (cb.try_acquire()) {
          if ((i * 7 + t) % 3 == 0) {
            cb.on_failure();
          } else {
            cb.on_success();
          }
        }
      }
      ++finished;
    });
  }
  while (finished < 8) s.advance_by(std::chrono::milliseconds(1));
  for (auto& th : threads) th.join();
  std::lock_guard lock(m);
  CHECK(last_seen == cb.state());
}
