// FileStorage (and SqliteStorage) called from several threads at once; run under TSan.
#include <rxsync/storage/file_storage.hpp>
#if RXSYNC_TEST_SQLITE
#include <rxsync/adapters/sqlite_storage.hpp>
#endif

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage_test_support.hpp"

namespace {

// 4 writers, each on its own keys, beside a reader and a syncer; then every write is checked.
template <class S, class Open>
void hammer(Open open) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  storage_test::Model expected;
  {
    std::unique_ptr<S> s = open();
    std::atomic<bool> done{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&s, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i % 50);
          s->put(key, std::to_string(i));
          if (i % 10 == 9) {
            s->erase("t" + std::to_string(t) + "-" + std::to_string((i + 1) % 50));
          }
        }
      });
    }
    std::thread reader([&] {
      while (!done.load()) {
        (void)s->get("t0-1");
        std::string last;
        s->for_each([&](std::string_view k, std::string_view) { last = k; });
        if constexpr (requires { s->sync(); }) {
          s->sync();
        }
      }
    });
    for (auto& w : writers) {
      w.join();
    }
    done = true;
    reader.join();
    for (int t = 0; t < kThreads; ++t) {
      storage_test::Model m;  // the same sequence, replayed on a map
      for (int i = 0; i < kPerThread; ++i) {
        m["t" + std::to_string(t) + "-" + std::to_string(i % 50)] = std::to_string(i);
        if (i % 10 == 9) {
          m.erase("t" + std::to_string(t) + "-" + std::to_string((i + 1) % 50));
        }
      }
      expected.insert(m.begin(), m.end());
    }
    CHECK(storage_test::dump(*s) == expected);
  }
  CHECK(storage_test::dump(*open()) == expected);
}

}  // namespace

TEST_CASE("FileStorage: concurrent writers, readers and sync()", "[storage][file][mt]") {
  storage_test::TempDir dir;
  rxsync::FileStorageOptions o;
  o.sync_every_writes = GENERATE(std::size_t{0}, std::size_t{8});
  o.compact_min_garbage_bytes = 2048;  // compactions run concurrently with the readers too
  hammer<rxsync::FileStorage>(
      [&] { return std::make_unique<rxsync::FileStorage>(dir.file("log"), o); });
}

#if RXSYNC_TEST_SQLITE
TEST_CASE("SqliteStorage: concurrent writers and readers", "[storage][sqlite][mt]") {
  storage_test::TempDir dir;
  rxsync::SqliteStorageOptions o;
  o.synchronous = rxsync::SqliteSynchronous::normal;  // keeps the test quick; FULL is the default
  hammer<rxsync::SqliteStorage>(
      [&] { return std::make_unique<rxsync::SqliteStorage>(dir.file("db"), o); });
}
#endif
