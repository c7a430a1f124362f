// SyncService edited from the caller's thread while the scheduler's thread acknowledges: the
// service and its outbox write one store from both threads. Run under TSan.
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/storage/serialized_storage.hpp>
#include <rxsync/sync/sync_service.hpp>

#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using rxsync_test::GSet;

namespace {

// A MemoryStorage that notices two calls overlapping: each call holds the store for a while
// (a few thousand spins, no sleeping), so unserialized callers overlap almost surely.
struct OverlapCheckingStore {
  rxsync::MemoryStorage inner;
  mutable std::atomic<int> inside{0};
  mutable std::atomic<int> overlaps{0};

  template <class F>
  decltype(auto) enter(F&& f) const {
    if (inside.fetch_add(1) != 0) ++overlaps;
    for (int i = 0; i < 2000; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{inside};
    return f();
  }
  void put(std::string_view k, std::string_view v) {
    enter([&] { inner.put(k, v); });
  }
  std::optional<std::string> get(std::string_view k) const {
    return enter([&] { return inner.get(k); });
  }
  bool erase(std::string_view k) {
    return enter([&] { return inner.erase(k); });
  }
  template <class F>
  void for_each(F&& f) const {
    enter([&] { inner.for_each(std::forward<F>(f)); });
  }
};

// A server that acknowledges every item at once, on the scheduler's thread.
struct AckAll {
  using Item = rxsync::BatchItem<std::string, rxsync::Change<GSet>>;
  void send(std::vector<Item> batch, rxsync::BatchDone<std::string, rxsync::Change<GSet>> done) {
    done(std::vector<rxsync::ItemOutcome>(batch.size(), rxsync::ItemOutcome::ok));
  }
  void pull(std::uint64_t cursor, rxsync::PullDone<std::string, GSet> done) {
    rxsync::PullResult<std::string, GSet> r;
    r.ok = true;
    r.cursor = cursor;
    done(r);
  }
};

}  // namespace

TEST_CASE("SerializedStorage never lets two calls overlap", "[storage][mt]") {
  OverlapCheckingStore store;
  rxsync::SerializedStorage<OverlapCheckingStore> shared(store);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "k" + std::to_string((t * 500 + i) % 37);
        shared.put(key, "v");
        (void)shared.get(key);
        if (i % 3 == 0) shared.erase(key);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(store.overlaps == 0);
}

TEST_CASE("SyncService edits from the caller while the scheduler acknowledges", "[sync][mt]") {
  rxsync::EventLoopThread loop;
  AckAll server;
  OverlapCheckingStore store;
  rxsync::SyncServiceOptions o;
  o.origin = "a";
  o.batch.window = 0ms;
  {
    rxsync::SyncService<std::string, GSet, AckAll, OverlapCheckingStore, rxsync::EventLoopThread>
        svc(loop, server, store, o);
    svc.start();
    for (int i = 0; i < 2000; ++i) {
      svc.queue_for_sync("k" + std::to_string(i % 50), GSet{{std::to_string(i)}});
    }
    svc.stop();
    // Every edit is acknowledged in the end (the loop keeps acking after stop()).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (svc.pending() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    CHECK(svc.pending() == 0);
  }
  loop.join();
  CHECK(store.overlaps == 0);
}
