// EventLoopThread: a RunLoop on an owned thread (TSan job). Waits are on conditions with a
// generous timeout; nothing sleeps.
#include <rxsync/schedulers/event_loop_thread.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::EventLoopThread;
using rxsync::Subscription;

namespace {

// Collects values appended from the loop thread; the test thread waits for a count.
class Collector {
 public:
  void add(int v) {
    {
      std::lock_guard lock(mutex_);
      values_.push_back(v);
    }
    cv_.notify_all();
  }
  bool wait_for_count(std::size_t n, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return values_.size() >= n; });
  }
  std::vector<int> values() {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<int> values_;
};

}  // namespace

TEST_CASE("EventLoopThread: actions run on its own thread, in order", "[schedulers][elt][mt]") {
  Collector c;  // declared first: it must outlive the loop thread that fills it
  EventLoopThread loop;
  CHECK(loop.thread_id() != std::this_thread::get_id());
  CHECK_FALSE(loop.is_current_thread());

  std::thread::id ran_on;
  bool was_current = false;
  loop.schedule([&] {
    ran_on = std::this_thread::get_id();
    was_current = loop.is_current_thread();
    c.add(1);
  });
  // Absolute times from one clock reading, so a preempted test thread cannot reorder them.
  const auto start = loop.now();
  loop.schedule_at(start + 50ms, [&] { c.add(3); });
  loop.schedule_at(start + 10ms, [&] { c.add(2); });
  REQUIRE(c.wait_for_count(3));
  CHECK(c.values() == std::vector<int>{1, 2, 3});
  loop.join();  // also orders the reads below after the loop thread's writes
  CHECK(was_current);
  CHECK(ran_on != std::this_thread::get_id());
}

TEST_CASE("EventLoopThread: scheduling from several threads", "[schedulers][elt][mt]") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  Collector c;
  EventLoopThread loop;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int value = t * kPerThread + i;
        loop.schedule([&c, value] { c.add(value); });
      }
    });
  }
  for (auto& p : producers) p.join();
  REQUIRE(c.wait_for_count(kThreads * kPerThread));
  auto values = c.values();
  CHECK(values.size() == static_cast<std::size_t>(kThreads * kPerThread));
  // Per-producer FIFO: each producer's values appear in increasing order.
  std::vector<int> last(kThreads, -1);
  for (int v : values) {
    const auto t = static_cast<std::size_t>(v / kPerThread);
    CHECK(v > last[t]);
    last[t] = v;
  }
}

TEST_CASE("EventLoopThread: cancelling a timer from the outside", "[schedulers][elt][mt]") {
  Collector c;
  EventLoopThread loop;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  auto far = loop.schedule_after(1h, [&c, r = std::move(resource)] { c.add(99); });
  CHECK(loop.pending() >= 1);
  far.unsubscribe();
  CHECK(watch.expired());
  CHECK_FALSE(far.is_subscribed());
  loop.schedule([&] { c.add(1); });
  REQUIRE(c.wait_for_count(1));
  CHECK(c.values() == std::vector<int>{1});
}

TEST_CASE("EventLoopThread: join runs what is due, drops the rest and refuses new actions",
          "[schedulers][elt][mt]") {
  std::vector<int> log;  // written on the loop thread, read after join()
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  EventLoopThread loop;

  loop.schedule([&] {
    // Hold the loop until join() has begun the shutdown (a refused schedule() says so), so the
    // next two actions are due but not yet run when it starts.
    const auto give_up = loop.now() + 10s;
    while (loop.schedule([] {}).is_subscribed() && loop.now() < give_up) {
      std::this_thread::yield();
    }
    log.push_back(1);
  });
  loop.schedule([&] { log.push_back(2); });
  loop.schedule([&] { log.push_back(3); });
  auto far = loop.schedule_after(1h, [&log, r = std::move(resource)] { log.push_back(99); });

  loop.join();
  CHECK(log == std::vector<int>{1, 2, 3});
  CHECK_FALSE(far.is_subscribed());
  CHECK(watch.expired());
  CHECK(loop.pending() == 0);

  auto late_resource = std::make_shared<int>(0);
  std::weak_ptr<int> late_watch = late_resource;
  auto refused = loop.schedule([&log, r = std::move(late_resource)] { log.push_back(100); });
  CHECK_FALSE(refused.is_subscribed());
  CHECK(late_watch.expired());  // refused actions are destroyed at once, never run
  CHECK_FALSE(loop.schedule_after(1ms, [] {}).is_subscribed());
  CHECK_FALSE(loop.schedule_at(loop.now(), [] {}).is_subscribed());

  loop.join();  // idempotent
  CHECK(log == std::vector<int>{1, 2, 3});
}

TEST_CASE("EventLoopThread: the destructor runs due actions, then joins", "[schedulers][elt][mt]") {
  std::vector<int> log;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  Subscription far;
  {
    EventLoopThread loop;
    for (int i = 0; i < 100; ++i) loop.schedule([&log, i] { log.push_back(i); });
    far = loop.schedule_after(1h, [&log, r = std::move(resource)] { log.push_back(-1); });
  }
  // Whether they ran before or during the shutdown, all 100 due actions ran, in order.
  REQUIRE(log.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(log[static_cast<std::size_t>(i)] == i);
  CHECK_FALSE(far.is_subscribed());
  CHECK(watch.expired());
}

TEST_CASE("EventLoopThread: an idle loop joins promptly", "[schedulers][elt][mt]") {
  auto loop = std::make_unique<EventLoopThread>();
  const auto began = loop->now();
  loop.reset();
  CHECK(rxsync::RunLoop::clock_now() - began < 10s);
}
