// ServerCore under concurrent pushers: commit order is cursor order, so a reader that follows
// cursors while pushes commit never skips a change.
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>
#if RXSYNC_TEST_SQLITE
#include <rxsync/adapters/sqlite_server_store.hpp>

#include "../storage/storage_test_support.hpp"
#endif

#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

TEST_CASE("8 concurrent pushers: a reader following cursors misses no change", "[server][mt]") {
  using rxsync_test::GSet;
  rxsync::MemoryServerStore store(99);
  rxsync::ServerCore core(store, rxsync::typed_merger<GSet>(), nullptr, {.default_page = 7});
  constexpr int kPushers = 8;
  constexpr int kKeysEach = 150;
  std::atomic<int> done{0};
  std::map<std::string, std::string> seen;  // every key is written exactly once
  std::uint64_t cursor = 0;
  auto drain = [&] {
    for (;;) {
      auto page = core.pull(cursor);
      REQUIRE_FALSE(page.reset);
      for (auto& [k, v] : page.changes) seen.insert_or_assign(k, v);
      cursor = page.cursor;
      if (!page.more) return;
    }
  };
  std::thread reader([&] {
    while (done.load() < kPushers) drain();
  });
  std::vector<std::thread> pushers;
  for (int t = 0; t < kPushers; ++t) {
    pushers.emplace_back([&, t] {
      for (int i = 0; i < kKeysEach; i += 3) {  // batches of up to 3 changes
        std::vector<rxsync::ServerChange> batch;
        for (int j = i; j < i + 3 && j < kKeysEach; ++j) {
          const std::string key = std::to_string(t) + "-" + std::to_string(j);
          batch.push_back({key, rxsync::DefaultCodec::encode(GSet{{key}}), "o" + std::to_string(t),
                           static_cast<std::uint64_t>(j + 1), 0});
        }
        core.push(batch);
      }
      done.fetch_add(1);
    });
  }
  for (auto& p : pushers) p.join();
  reader.join();
  drain();
  CHECK(seen.size() == static_cast<std::size_t>(kPushers * kKeysEach));
  CHECK(cursor == core.head_cursor());
  std::size_t in_store = 0;
  store.for_each([&](std::string_view, std::string_view) { ++in_store; });
  CHECK(in_store == seen.size());
}

#if RXSYNC_TEST_SQLITE
// Pushers that read their rows ahead, on shared keys: every read-ahead races the commits of the
// others, so rows must be taken from it only when no commit since wrote them, or elements are
// lost (a merge with an old value) and changes counted twice.
TEST_CASE("8 concurrent pushers reading ahead on SQLite: no change lost, none applied twice",
          "[server][mt][sqlite]") {
  using rxsync_test::GSet;
  storage_test::TempDir dir;
  rxsync::SqliteServerStore store(dir.file("server.db"), {.durable = false});
  rxsync::ServerCore core(store, rxsync::typed_merger<GSet>());
  constexpr int kPushers = 8;
  constexpr int kChangesEach = 240;
  constexpr int kKeys = 40;
  std::vector<std::thread> pushers;
  for (int t = 0; t < kPushers; ++t) {
    pushers.emplace_back([&, t] {
      const std::string origin = "o" + std::to_string(t);
      for (int i = 0; i < kChangesEach; i += 8) {
        std::vector<rxsync::ServerChange> batch;
        for (int j = i; j < i + 8; ++j) {
          const std::string element = origin + "-" + std::to_string(j);
          batch.push_back({"k" + std::to_string((j * 7 + t) % kKeys),
                           rxsync::DefaultCodec::encode(GSet{{element}}), origin,
                           static_cast<std::uint64_t>(j + 1), 0});
        }
        auto ahead = core.read_ahead(batch);
        core.push(batch, std::move(ahead));
        core.push(batch, core.read_ahead(batch));  // sent twice: all duplicates
      }
    });
  }
  for (auto& p : pushers) p.join();
  std::size_t elements = 0;
  store.for_each([&](std::string_view, std::string_view v) {
    elements += rxsync::DefaultCodec::decode(v, static_cast<GSet*>(nullptr)).items.size();
  });
  CHECK(elements == static_cast<std::size_t>(kPushers * kChangesEach));
  CHECK(core.stats().changes_applied == static_cast<std::uint64_t>(kPushers * kChangesEach));
  CHECK(core.stats().duplicates == static_cast<std::uint64_t>(kPushers * kChangesEach));
  const auto stats = store.stats();
  CHECK(stats.rows_read_ahead > 0);
  CHECK(stats.read_aheads_refused == 0);
  INFO("rows read ahead " << stats.rows_read_ahead << ", stale " << stats.rows_read_ahead_stale);
  CHECK(stats.rows_read_ahead_stale > 0);  // the race this test is about did happen
}
#endif
