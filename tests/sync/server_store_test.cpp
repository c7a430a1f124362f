// Every ServerStore backend passes the same checks: transactions all or nothing, sequence order,
// key order, and (for durable backends) everything survives a reopen.
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>
#if RXSYNC_TEST_SQLITE
#include <rxsync/adapters/sqlite_server_store.hpp>
#endif

#include "../storage/storage_test_support.hpp"
#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

std::vector<std::string> keys_in_order(const rxsync::ServerStore& s) {
  std::vector<std::string> out;
  s.for_each([&](std::string_view k, std::string_view) { out.emplace_back(k); });
  return out;
}

void check_server_store(rxsync::ServerStore& s) {
  CHECK(s.epoch() != 0);
  CHECK(s.head() == 0);
  CHECK(s.changes_after(0, 10).empty());
  {
    auto tx = s.begin();
    CHECK_FALSE(tx->get("a"));
    CHECK(tx->applied_version("a", "o") == 0);
    tx->put("a", "1", tx->next_seq());
    tx->put(std::string("\x80", 1), "hi", tx->next_seq());
    tx->put("b", "", tx->next_seq());  // an empty value is a value
    tx->set_applied("a", "o", 7);
    CHECK(tx->get("a")->value == "1");  // a transaction reads its own writes
    CHECK(tx->applied_version("a", "o") == 7);
    tx->commit();
  }
  CHECK(s.head() == 3);
  CHECK(s.value("b") == std::string());
  CHECK(keys_in_order(s) == std::vector<std::string>{"a", "b", std::string("\x80", 1)});
  {
    auto tx = s.begin();
    tx->put("zzz", "lost", tx->next_seq());
    tx->set_applied("a", "o", 99);
  }  // destroyed without commit: rolled back
  CHECK(s.head() == 3);
  CHECK_FALSE(s.value("zzz"));
  {
    auto tx = s.begin();
    CHECK(tx->applied_version("a", "o") == 7);
    CHECK(tx->applied_version("a", "other") == 0);
    tx->put("a", "2", tx->next_seq());  // a moves to the end of the sequence
    tx->commit();
  }
  const auto changes = s.changes_after(1, 10);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].seq == 2);
  CHECK(changes[2] == rxsync::StoredChange{"a", "2", 4});
  CHECK(s.changes_after(0, 2).size() == 2);
  CHECK(s.changes_after(4, 10).empty());
}

}  // namespace

TEST_CASE("MemoryServerStore: ServerStore conformance", "[server]") {
  rxsync::MemoryServerStore s;
  check_server_store(s);
}

#if RXSYNC_TEST_SQLITE
TEST_CASE("SqliteServerStore: ServerStore conformance and reopen", "[server][sqlite]") {
  storage_test::TempDir dir;
  const auto path = dir.file("server.db");
  std::uint64_t epoch = 0;
  {
    rxsync::SqliteServerStore s(path);
    check_server_store(s);
    epoch = s.epoch();
  }
  rxsync::SqliteServerStore s(path);
  CHECK(s.epoch() == epoch);  // cursors handed out before the restart stay valid
  CHECK(s.head() == 4);
  CHECK(s.value("a") == "2");
  auto tx = s.begin();
  CHECK(tx->applied_version("a", "o") == 7);
  CHECK(tx->next_seq() == 5);
}

TEST_CASE("SqliteServerStore: a ServerCore on it keeps every acknowledged push across a restart",
          "[server][sqlite]") {
  using rxsync_test::GSet;
  storage_test::TempDir dir;
  const auto path = dir.file("server.db");
  const auto v = [](std::string s) { return rxsync::DefaultCodec::encode(GSet{{std::move(s)}}); };
  std::uint64_t cursor = 0;
  {
    rxsync::SqliteServerStore store(path);
    rxsync::ServerCore core(store, rxsync::typed_merger<GSet>());
    const std::vector<rxsync::ServerChange> push{{"k", v("x"), "phone", 1, 0},
                                                 {"j", v("y"), "phone", 2, 0}};
    CHECK(core.push(push)[1].kind == rxsync::ItemOutcome::ok);
    cursor = core.pull(0).cursor;
  }
  rxsync::SqliteServerStore store(path, {.durable = false});
  rxsync::ServerCore core(store, rxsync::typed_merger<GSet>());
  CHECK(core.pull(cursor).changes.empty());  // the cursor is still good: nothing new
  CHECK_FALSE(core.pull(cursor).reset);
  const std::vector<rxsync::ServerChange> again{{"k", v("x"), "phone", 1, 0}};
  core.push(again);
  CHECK(core.stats().duplicates == 1);  // applied versions survived too
}

TEST_CASE("SqliteServerStore: a file that is not a database is refused clearly",
          "[server][sqlite]") {
  storage_test::TempDir dir;
  storage_test::write_file(dir.file("junk"), std::string(4096, 'x'));
  REQUIRE_THROWS_WITH(rxsync::SqliteServerStore(dir.file("junk")),
                      rxsync_test::contains("SqliteServerStore '"));
  REQUIRE_THROWS_AS(rxsync::SqliteServerStore(dir.file("missing"), {.create_if_missing = false}),
                    rxsync::SqliteError);
}
#endif

#if RXSYNC_TEST_SQLITE
// SqliteServerStore reads and writes a push's rows many to a statement, in chunks of several
// sizes: pushes of every size from 1 to 300 changes, with new keys, known keys, repeated keys and
// re-sent changes, must leave it in exactly the state the in-memory store reaches.
TEST_CASE("SqliteServerStore: pushes of every size agree with MemoryServerStore",
          "[server][sqlite]") {
  using rxsync_test::GSet;
  storage_test::TempDir dir;
  rxsync::MemoryServerStore memory_store;
  rxsync::SqliteServerStore sqlite_store(dir.file("server.db"), {.durable = false});
  rxsync::ServerCore memory(memory_store, rxsync::typed_merger<GSet>());
  rxsync::ServerCore sqlite(sqlite_store, rxsync::typed_merger<GSet>());
  std::uint64_t version = 0;
  std::uint64_t state = 12345;
  const auto next = [&](std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  for (std::size_t size = 1; size <= 300; size += 1 + size / 8) {
    std::vector<rxsync::ServerChange> push;
    for (std::size_t i = 0; i < size; ++i) {
      const std::string origin = next(3) == 0 ? "b" : "a";
      // Re-send an earlier version now and then: a duplicate, acknowledged without effect.
      const std::uint64_t v = next(10) == 0 && version > 0 ? next(version) + 1 : ++version;
      std::string key = "k";  // appended: g++ 12 warns falsely (-Wrestrict) on "k" + to_string
      key += std::to_string(next(400));
      push.push_back({std::move(key),
                      rxsync::DefaultCodec::encode(GSet{{std::to_string(next(1000))}}), origin, v,
                      0});
    }
    CHECK(sqlite.push(push) == memory.push(push));
  }
  CHECK(sqlite.digest_line() == memory.digest_line());
  CHECK(sqlite.stats().duplicates == memory.stats().duplicates);
  CHECK(sqlite.stats().duplicates > 0);
  CHECK(sqlite_store.head() == memory_store.head());
  CHECK(sqlite_store.changes_after(0, 1000) == memory_store.changes_after(0, 1000));
}
#endif

#if RXSYNC_TEST_SQLITE
namespace {
rxsync::ServerChange gset_change(std::string key, std::string element, std::string origin,
                                 std::uint64_t version) {
  return {std::move(key), rxsync::DefaultCodec::encode(rxsync_test::GSet{{std::move(element)}}),
          std::move(origin), version, 0};
}
}  // namespace

// A push's rows may be read before its transaction (ServerCore::read_ahead). Rows that a commit
// wrote in between must be read again: the change on "a" then is a duplicate, "d" exists, and
// "b" merges with the value committed last.
TEST_CASE("SqliteServerStore: rows read ahead are used unless a commit since wrote them",
          "[server][sqlite]") {
  using rxsync_test::GSet;
  storage_test::TempDir dir;
  rxsync::MemoryServerStore memory_store;
  rxsync::SqliteServerStore sqlite_store(dir.file("server.db"), {.durable = false});
  REQUIRE(sqlite_store.reads_ahead());
  rxsync::ServerCore memory(memory_store, rxsync::typed_merger<GSet>());
  rxsync::ServerCore sqlite(sqlite_store, rxsync::typed_merger<GSet>());
  const std::vector<rxsync::ServerChange> first{
      gset_change("a", "1", "x", 1), gset_change("b", "1", "x", 2), gset_change("c", "1", "x", 3)};
  const std::vector<rxsync::ServerChange> late{
      gset_change("a", "2", "y", 5), gset_change("b", "2", "y", 6), gset_change("c", "2", "y", 7),
      gset_change("d", "2", "y", 8), gset_change("e", "2", "y", 9)};
  const std::vector<rxsync::ServerChange> between{
      gset_change("a", "3", "y", 5), gset_change("b", "3", "z", 1), gset_change("d", "3", "z", 2)};
  CHECK(sqlite.push(first) == memory.push(first));
  auto ahead = sqlite.read_ahead(late);
  REQUIRE(ahead != nullptr);
  CHECK(sqlite.push(between) == memory.push(between));
  CHECK(sqlite.push(late, std::move(ahead)) == memory.push(late));
  CHECK(sqlite.digest_line() == memory.digest_line());
  CHECK(sqlite.stats().duplicates == 1);  // "a" from y at version 5, applied in between
  CHECK(memory.stats().duplicates == 1);
  CHECK(sqlite_store.value("d") == memory_store.value("d"));
  const auto stats = sqlite_store.stats();
  CHECK(stats.rows_read_ahead == 2);        // c, and e (absent: known absent)
  CHECK(stats.rows_read_ahead_stale == 3);  // a, b, d
  CHECK(stats.read_aheads_refused == 0);
}

TEST_CASE("SqliteServerStore: a read-ahead from another store, or older than its log, is refused",
          "[server][sqlite]") {
  using rxsync_test::GSet;
  storage_test::TempDir dir;
  rxsync::SqliteServerStore one(dir.file("one.db"), {.durable = false});
  rxsync::SqliteServerStore two(dir.file("two.db"), {.durable = false});
  rxsync::ServerCore core_one(one, rxsync::typed_merger<GSet>());
  rxsync::ServerCore core_two(two, rxsync::typed_merger<GSet>());
  const std::vector<rxsync::ServerChange> a{gset_change("k", "1", "x", 1)};
  core_one.push(a);
  auto foreign = core_one.read_ahead(a);  // says "k" is at version 1 for x: not so in `two`
  CHECK(core_two.push(a, std::move(foreign))[0].kind == rxsync::ItemOutcome::ok);
  CHECK(core_two.stats().changes_applied == 1);
  CHECK(two.stats().read_aheads_refused == 1);

  rxsync::SqliteServerStore off(dir.file("off.db"), {.durable = false, .read_ahead = false});
  CHECK_FALSE(off.reads_ahead());
  CHECK(off.read_ahead(std::vector<std::string_view>{"k"}) == nullptr);
}

TEST_CASE("RecentWrites: tells what commits after a read wrote, and refuses reads it forgot",
          "[server][sqlite]") {
  rxsync::detail::RecentWrites log_in_any_order(4);
  struct Sorted {
    rxsync::detail::RecentWrites& log;
    void record(std::uint64_t c, std::vector<std::uint64_t> h) { log.record(c, std::move(h)); }
    std::optional<std::vector<std::uint64_t>> written_after(std::uint64_t seen) const {
      auto out = log.written_after(seen);
      if (out) std::sort(out->begin(), out->end());
      return out;
    }
  } log{log_in_any_order};
  CHECK(log.written_after(0) == std::vector<std::uint64_t>{});
  log.record(1, {10, 11});
  log.record(2, {12});
  CHECK(log.written_after(0) == std::vector<std::uint64_t>{10, 11, 12});
  CHECK(log.written_after(1) == std::vector<std::uint64_t>{12});
  CHECK(log.written_after(2) == std::vector<std::uint64_t>{});
  log.record(3, {9, 13});  // 5 hashes > 4: commit 1 is forgotten
  CHECK_FALSE(log.written_after(0));
  CHECK(log.written_after(1) == std::vector<std::uint64_t>{9, 12, 13});
  log.record(4, {1, 2, 3, 4, 5});  // one commit larger than the bound is kept alone
  CHECK_FALSE(log.written_after(2));
  CHECK(log.written_after(3) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
}
#endif
