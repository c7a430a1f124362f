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
