// Subscriptions used from several threads at once (built into rxsync_threaded_tests, run under
// TSan). Threads start together on a latch so the calls really overlap.
#include <rxsync/core/subscription.hpp>

#include <atomic>
#include <cstddef>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "rxsync_catch.hpp"

using rxsync::CompositeSubscription;
using rxsync::Subscription;

namespace {
constexpr int kThreads = 8;
constexpr int kRounds = 200;
}  // namespace

TEST_CASE("Subscription: 8 threads racing to unsubscribe run the teardown once",
          "[core][subscription][mt]") {
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> runs{0};
    auto resource = std::make_shared<int>(0);
    std::weak_ptr<int> watch = resource;
    auto sub = Subscription::create([&runs, r = std::move(resource)] {
      runs.fetch_add(1, std::memory_order_relaxed);
      ++*r;  // a data race here would be reported by TSan if two teardowns ran
    });
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&start, copy = sub] {  // each thread holds its own copy
        start.arrive_and_wait();
        copy.unsubscribe();
        copy.unsubscribe();
      });
    }
    for (auto& th : threads) th.join();
    REQUIRE(runs.load() == 1);
    REQUIRE_FALSE(sub.is_subscribed());
    REQUIRE(watch.expired());
  }
}

TEST_CASE("Subscription: unsubscribe races with is_subscribed readers",
          "[core][subscription][mt]") {
  auto sub = Subscription::create();
  std::latch start(kThreads + 1);
  std::atomic<int> saw_unsubscribed{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads; ++t) {
    readers.emplace_back([&] {
      start.arrive_and_wait();
      while (sub.is_subscribed()) std::this_thread::yield();
      // Once a reader saw the flag down it must stay down.
      for (int i = 0; i < 1000; ++i) {
        if (sub.is_subscribed()) return;  // would leave the counter short
      }
      saw_unsubscribed.fetch_add(1);
    });
  }
  start.arrive_and_wait();
  sub.unsubscribe();
  for (auto& th : readers) th.join();
  CHECK(saw_unsubscribed.load() == kThreads);
}

TEST_CASE("CompositeSubscription: concurrent adds and one unsubscribe leave nothing running",
          "[core][subscription][mt]") {
  for (int round = 0; round < 50; ++round) {
    CompositeSubscription group;
    constexpr int kPerThread = 200;
    std::atomic<int> teardowns{0};
    std::vector<std::vector<Subscription>> added(kThreads);
    std::latch start(kThreads + 1);
    std::vector<std::thread> adders;
    for (int t = 0; t < kThreads; ++t) {
      adders.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kPerThread; ++i) {
          auto child = Subscription::create([&] { teardowns.fetch_add(1); });
          added[static_cast<std::size_t>(t)].push_back(child);
          group.add(child);
          if (i % 3 == 0) group.remove(child);  // removed ones are not the group's to cancel
        }
      });
    }
    start.arrive_and_wait();
    group.unsubscribe();
    for (auto& th : adders) th.join();

    int still_live = 0;
    int removed = 0;
    for (auto& per_thread : added) {
      for (std::size_t i = 0; i < per_thread.size(); ++i) {
        if (per_thread[i].is_subscribed()) ++still_live;
        if (i % 3 == 0) ++removed;
      }
    }
    // Every child that stayed in the group, whether added before or after the unsubscribe, was
    // cancelled; a removed one may survive only if its remove() won the race.
    REQUIRE(still_live <= removed);
    REQUIRE(teardowns.load() == kThreads * kPerThread - still_live);
    REQUIRE(group.size() == 0);
    for (auto& per_thread : added) {
      for (auto& child : per_thread) child.unsubscribe();
    }
    REQUIRE(teardowns.load() == kThreads * kPerThread);
  }
}

TEST_CASE("CompositeSubscription: children cancelled from other threads while the group prunes",
          "[core][subscription][mt]") {
  CompositeSubscription group;
  constexpr int kPerThread = 500;
  std::latch start(kThreads);
  std::atomic<int> teardowns{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        auto child = Subscription::create([&] { teardowns.fetch_add(1); });
        group.add(child);
        child.unsubscribe();  // finishes on its own; the group prunes it later
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(teardowns.load() == kThreads * kPerThread);
  CHECK(group.size() <= 64);  // bounded despite 4000 adds
  group.unsubscribe();
  CHECK(teardowns.load() == kThreads * kPerThread);
}
