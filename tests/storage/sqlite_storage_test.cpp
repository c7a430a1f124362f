// Runs only when CMake found SQLite3 (it defines RXSYNC_TEST_SQLITE and links rxsync::sqlite).
#if RXSYNC_TEST_SQLITE

#include <rxsync/adapters/sqlite_storage.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage_test_support.hpp"

using rxsync::SqliteError;
using rxsync::SqliteStorage;
using rxsync::SqliteStorageOptions;
using storage_test::dump;
using storage_test::Model;
using storage_test::TempDir;

TEST_CASE("SqliteStorage: Storage conformance", "[storage][sqlite]") {
  TempDir dir;
  int n = 0;
  storage_test::check_storage_conformance(
      [&] { return std::make_unique<SqliteStorage>(dir.file("db" + std::to_string(n++))); });
}

TEST_CASE("SqliteStorage: reopen round trip", "[storage][sqlite]") {
  TempDir dir;
  const auto path = dir.file("db");
  storage_test::check_reopen_round_trip([&] { return std::make_unique<SqliteStorage>(path); });
}

TEST_CASE("SqliteStorage: WAL mode and synchronous=FULL by default", "[storage][sqlite]") {
  TempDir dir;
  const auto path = dir.file("db");
  {
    SqliteStorage s(path);
    s.put("k", "v");
    CHECK(std::filesystem::exists(path.string() + "-wal"));  // the write went to the WAL
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("SqliteStorage: put_batch commits all or nothing", "[storage][sqlite]") {
  TempDir dir;
  SqliteStorage s(dir.file("db"));
  s.put_batch({{"a", "1"}, {"b", "2"}});
  std::vector<std::pair<std::string, std::string>> items;
  for (int i = 0; i < 100; ++i) {
    items.emplace_back("k" + std::to_string(i), std::string(static_cast<std::size_t>(i), '\0'));
  }
  s.put_batch(items);
  CHECK(s.size() == 102);
  CHECK(s.get("k99") == std::string(99, '\0'));

  // A throwing range element rolls the whole batch back.
  struct Boom {};
  struct Item {
    std::string k, v;
  };
  struct ThrowingRange {
    std::vector<std::pair<std::string, std::string>> items;
    struct It {
      const std::vector<std::pair<std::string, std::string>>* v;
      std::size_t i;
      const std::pair<std::string, std::string>& operator*() const {
        if (i == 2) throw Boom{};
        return (*v)[i];
      }
      It& operator++() {
        ++i;
        return *this;
      }
      bool operator!=(const It& o) const { return i != o.i; }
    };
    It begin() const { return {&items, 0}; }
    It end() const { return {&items, items.size()}; }
  };
  ThrowingRange bad{{{"x", "1"}, {"y", "2"}, {"z", "3"}}};
  REQUIRE_THROWS_AS(s.put_batch(bad), Boom);
  CHECK_FALSE(s.get("x").has_value());
  CHECK(s.size() == 102);
  s.put("after", "rollback");  // the connection is usable again, outside any transaction
  CHECK(s.get("after") == "rollback");
}

TEST_CASE("SqliteStorage: separate tables in one database are independent", "[storage][sqlite]") {
  TempDir dir;
  SqliteStorageOptions a;
  a.table = "outbox";
  SqliteStorageOptions b;
  b.table = "settings";
  SqliteStorage sa(dir.file("db"), a);
  SqliteStorage sb(dir.file("db"), b);
  sa.put("k", "from a");
  sb.put("k", "from b");
  CHECK(sa.get("k") == "from a");
  CHECK(dump(sb) == Model{{"k", "from b"}});
}

TEST_CASE("SqliteStorage: bad options and unopenable files get clear errors", "[storage][sqlite]") {
  TempDir dir;
  SqliteStorageOptions o;
  o.table = GENERATE(std::string(""), std::string("bad name"), std::string("x\"; DROP"),
                     std::string("sqlite_master"), std::string("1abc"));
  REQUIRE_THROWS_AS(SqliteStorage(dir.file("db"), o), std::invalid_argument);
  REQUIRE_THROWS_WITH(SqliteStorage(dir.file("db"), o),
                      rxsync_test::contains("SqliteStorageOptions.table must be"));

  SqliteStorageOptions missing;
  missing.create_if_missing = false;
  REQUIRE_THROWS_AS(SqliteStorage(dir.file("absent"), missing), SqliteError);
  REQUIRE_THROWS_WITH(SqliteStorage(dir.file("absent"), missing), rxsync_test::contains("absent"));

  storage_test::write_file(dir.file("junk"), std::string(4096, 'j'));
  REQUIRE_THROWS_AS(SqliteStorage(dir.file("junk")), SqliteError);
}

TEST_CASE("SqliteStorage: calling back into the storage from for_each throws",
          "[storage][sqlite]") {
  TempDir dir;
  SqliteStorage s(dir.file("db"));
  s.put("a", "1");
  REQUIRE_THROWS_AS(s.for_each([&](std::string_view, std::string_view) { s.put("b", "2"); }),
                    std::logic_error);
  s.put("b", "2");
  CHECK(s.size() == 2);
}

#endif  // RXSYNC_TEST_SQLITE
