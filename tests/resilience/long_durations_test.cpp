// Durations of Duration::max() mean "never". Every component that adds one to the clock must
// saturate instead of wrapping into the past (signed overflow, which UBSan also reports).
#include <rxsync/cache/tiered_cache.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/resilience/circuit_breaker.hpp>
#include <rxsync/resilience/resource_pool.hpp>
#include <rxsync/resilience/retry.hpp>
#include <rxsync/resilience/task_queue.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>

#include <exception>
#include <optional>
#include <string>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using namespace rxsync;

namespace {
constexpr Duration kNever = Duration::max();

struct IntFactory {
  int create() { return 1; }
  bool validate(int&) { return true; }
  void destroy(int&) {}
};

struct Response {
  int status = 200;
  std::optional<Duration> retry_after;
};

// A clock past zero, where now + Duration::max() overflows.
void start_clock(VirtualTimeScheduler& s) { s.advance_by(1h); }
}  // namespace

TEST_CASE("saturating time arithmetic") {
  const TimePoint t(1h);
  CHECK(detail::add_saturated(t, kNever) == TimePoint::max());
  CHECK(detail::add_saturated(t, 1s) == t + 1s);
  CHECK(detail::add_saturated(TimePoint(-1h), Duration::min()) == TimePoint::min());
  CHECK(detail::times_saturated(1s, 3) == 3s);
  CHECK(detail::times_saturated(kNever / 2, 3) == kNever);
  CHECK(detail::times_saturated(1s, 0) == Duration::zero());
}

TEST_CASE("CircuitBreaker open_duration of Duration::max stays open") {
  VirtualTimeScheduler s;
  start_clock(s);
  CircuitBreaker cb(s, {.failure_rate_threshold = 1.0,
                        .window_size = 1,
                        .minimum_calls = 1,
                        .open_duration = kNever,
                        .half_open_calls = 1});
  REQUIRE(cb.try_acquire());
  cb.on_failure();
  s.advance_by(24h);
  CHECK_FALSE(cb.try_acquire());
  CHECK(cb.state() == CircuitState::open);
}

TEST_CASE("TaskQueue queue_timeout of Duration::max never times out") {
  VirtualTimeScheduler s;
  start_clock(s);
  TaskQueue q(s, {.max_concurrent = 1, .max_queue_size = 10, .queue_timeout = kNever});
  std::optional<TaskDone> first;
  q.submit(Priority::normal, [&](TaskDone d) { first.emplace(d); }, [](std::exception_ptr) {});
  std::string second = "queued";
  q.submit(
      Priority::normal, [](TaskDone d) { d(); },
      [&](std::exception_ptr e) { second = e ? "failed" : "ran"; });
  s.advance_by(24h);
  CHECK(second == "queued");
  CHECK(q.stats().timed_out == 0);
  (*first)();
  s.run();
  CHECK(second == "ran");
}

TEST_CASE("ResourcePool acquire and idle timeouts of Duration::max never fire") {
  VirtualTimeScheduler s;
  start_clock(s);
  ResourcePool<int, IntFactory> pool(
      s, IntFactory{},
      {.min_size = 0, .max_size = 1, .acquire_timeout = kNever, .idle_timeout = kNever});
  auto lease = pool.try_acquire();
  REQUIRE(lease);
  std::string waiter = "waiting";
  pool.acquire([&](auto, std::exception_ptr e) { waiter = e ? "failed" : "served"; });
  s.advance_by(24h);
  CHECK(waiter == "waiting");
  lease.reset();
  CHECK(waiter == "served");
  s.advance_by(24h);
  CHECK(pool.stats().destroyed == 0);
}

TEST_CASE("retry: a deadline of Duration::max does not stop retries") {
  VirtualTimeScheduler s;
  start_clock(s);
  int attempts = 0;
  std::optional<RetryStop> stop;
  auto sub = retry<Response>(
      [&](auto complete) {
        ++attempts;
        complete(Response{503, std::nullopt});
      },
      FixedDelays{{1s, 1s, 1s}}, s, HttpClassifier{},
      [&](const Response&, RetryReport r) { stop = r.stop; }, RetryOptions{.deadline = kNever});
  s.run();
  CHECK(attempts == 4);
  CHECK(stop == RetryStop::exhausted);
}

TEST_CASE("retry: a server's Retry-After of Duration::max ends at the deadline at once") {
  // Retry-After is untrusted input: an absurd value must end the call, not park it forever.
  VirtualTimeScheduler s;
  start_clock(s);
  int attempts = 0;
  std::optional<RetryStop> stop;
  auto sub = retry<Response>(
      [&](auto complete) {
        ++attempts;
        complete(Response{503, kNever});
      },
      FixedDelays{{1s}}, s, HttpClassifier{},
      [&](const Response&, RetryReport r) { stop = r.stop; }, RetryOptions{.deadline = 30s});
  CHECK(attempts == 1);
  CHECK(stop == RetryStop::deadline);
  CHECK(s.pending() == 0);
}

TEST_CASE("TieredCache ttl of Duration::max keeps entries in both tiers") {
  VirtualTimeScheduler s;
  start_clock(s);
  MemoryStorage store;
  TieredCache<std::string, std::string, MemoryStorage, VirtualTimeScheduler> cache(
      store, s, {.memory_capacity = 1, .ttl = kNever, .key_prefix = ""});
  cache.put("a", "A");
  cache.put("b", "B");  // pushes "a" out of memory: it is now only in storage
  s.advance_by(24h);
  const auto a = cache.get("a");
  REQUIRE(a);
  CHECK(*a == "A");
  CHECK(cache.stats().storage.expired == 0);
}
