// Concurrent producers through a real-time orchestrator: every enqueue is delivered exactly once
// (the transport always succeeds) and per key in each producer's order. Run under TSan.
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>

#include "rxsync_catch.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Replies from its own thread, as a network client would.
struct AsyncServer {
  rxsync::EventLoopThread io;
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, std::vector<int>> received;  // key -> ids in arrival order
  std::size_t ids = 0;

  void send(std::vector<rxsync::BatchItem<std::string, std::vector<int>>> batch,
            rxsync::BatchDone<std::string, std::vector<int>> done) {
    io.schedule([this, batch = std::move(batch), done = std::move(done)] {
      {
        std::lock_guard lock(mutex);
        for (const auto& item : batch) {
          auto& log = received[item.key];
          log.insert(log.end(), item.request.begin(), item.request.end());
          ids += item.request.size();
        }
      }
      changed.notify_all();
      done(std::vector<rxsync::ItemOutcome>(batch.size(), rxsync::ItemOutcome::ok));
    });
  }
};

// Runs `producers` threads; producer p enqueues ids p * per_producer + i (i < per_producer)
// under the key key_of(id, i), then joins them all.
template <class Orchestrator, class KeyOf>
void run_producers(Orchestrator& orch, int producers, int per_producer, KeyOf key_of) {
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&orch, &key_of, p, per_producer] {
      for (int i = 0; i < per_producer; ++i) {
        const int id = p * per_producer + i;
        orch.enqueue(key_of(id, i), {id});
      }
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("4 producers x 5000 enqueues are all delivered, in order per key", "[batch][threaded]") {
  constexpr int producers = 4;
  constexpr int per_producer = 5000;
  AsyncServer server;
  rxsync::EventLoopThread loop;
  rxsync::BatchOptions options;
  options.window = 1ms;
  rxsync::BatchOrchestrator<std::string, std::vector<int>, AsyncServer, rxsync::EventLoopThread,
                            rxsync::AppendMerge>
      orch(loop, server, options);

  run_producers(orch, producers, per_producer,
                [](int, int i) { return "key" + std::to_string(i % 64); });

  {
    std::unique_lock lock(server.mutex);
    REQUIRE(
        server.changed.wait_for(lock, 60s, [&] { return server.ids == producers * per_producer; }));
  }
  orch.stop();
  std::vector<int> seen(producers * per_producer, 0);
  std::lock_guard lock(server.mutex);
  for (const auto& [key, ids] : server.received) {
    std::vector<int> last(producers, -1);
    for (int id : ids) {
      ++seen[static_cast<std::size_t>(id)];
      const int producer = id / per_producer;
      CHECK(id > last[static_cast<std::size_t>(producer)]);  // per key, each producer's order holds
      last[static_cast<std::size_t>(producer)] = id;
    }
  }
  for (int count : seen) REQUIRE(count == 1);
  const auto stats = orch.stats();
  CHECK(stats.enqueued == producers * per_producer);
  CHECK(stats.dead_letters == 0);
}

namespace {

// Replies from inside send(), on the orchestrator's thread: no later reply can trigger a pump.
struct InlineServer {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t ids = 0;

  void send(std::vector<rxsync::BatchItem<std::string, std::vector<int>>> batch,
            rxsync::BatchDone<std::string, std::vector<int>> done) {
    {
      std::lock_guard lock(mutex);
      for (const auto& item : batch) ids += item.request.size();
    }
    changed.notify_all();
    done(std::vector<rxsync::ItemOutcome>(batch.size(), rxsync::ItemOutcome::ok));
  }
};

}  // namespace

// With a window of an hour and replies inline, only a batch filling up triggers a send, so
// every item arriving proves that each full batch made on a producer thread was sent at once.
// (The race this also guards - a request absorbed by a pump that is just finishing - needs an
// interleaving of a few instructions; 40 runs without the fix did not hit it, so this test
// documents it rather than reproduces it.)
TEST_CASE("full batches from many threads go at once, whatever the window", "[batch][threaded]") {
  constexpr int producers = 4;
  constexpr int per_producer = 5000;  // distinct keys: 400 full batches of 50
  InlineServer server;
  rxsync::EventLoopThread loop;
  rxsync::BatchOptions options;
  options.window = std::chrono::hours(1);
  rxsync::BatchOrchestrator<std::string, std::vector<int>, InlineServer, rxsync::EventLoopThread,
                            rxsync::AppendMerge>
      orch(loop, server, options);

  run_producers(orch, producers, per_producer,
                [](int id, int) { return "key" + std::to_string(id); });

  std::unique_lock lock(server.mutex);
  REQUIRE(
      server.changed.wait_for(lock, 30s, [&] { return server.ids == producers * per_producer; }));
}
