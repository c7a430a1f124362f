// rxsync/adapters/sqlite_storage.hpp - a Storage on one SQLite table (target rxsync::sqlite).
//
// For applications that already ship SQLite, or want a store other tools can read. WAL mode and
// synchronous=FULL by default, so a put is durable when it returns, as with FileStorage.
// Keys and values are BLOBs (arbitrary bytes). Not part of the umbrella header.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <rxsync/adapters/detail/sqlite_db.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/core/lifetime_guard.hpp>
#include <rxsync/storage/detail/visitor_guard.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct SqliteStorageOptions {
  std::string table = "rxsync_kv";  // several storages may share one database file
  bool wal = true;
  // full (default): a commit is durable when it returns. normal in WAL mode: the last commits
  // can be lost in a power failure (never in a process crash); off: no syncing at all.
  SqliteSynchronous synchronous = SqliteSynchronous::full;
  bool create_if_missing = true;

  void validate() const {
    bool ok = !table.empty() && table.size() <= 64 && table.rfind("sqlite_", 0) != 0 &&
              !(table[0] >= '0' && table[0] <= '9');
    for (char c : table) {
      ok = ok &&
           ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    }
    if (!ok) {
      throw std::invalid_argument(
          "SqliteStorageOptions.table must be 1-64 characters [A-Za-z0-9_], not starting with a "
          "digit or 'sqlite_', got '" +
          table + "'");
    }
    const int s = static_cast<int>(synchronous);
    if (s < 0 || s > static_cast<int>(SqliteSynchronous::extra)) {
      throw std::invalid_argument(
          "SqliteStorageOptions.synchronous is not a SqliteSynchronous, got " + std::to_string(s));
    }
  }
};

// The Storage concept over `table(k BLOB PRIMARY KEY, v BLOB)`, with prepared statements and
// put_batch() committing many puts in one transaction (one sync instead of one per put).
// Thread-safety: all members may be called concurrently (one mutex around the connection).
// Calling back into the same storage from for_each's visitor throws std::logic_error. Another
// connection writing the same database at the same moment makes calls throw SqliteError (BUSY).
class SqliteStorage {
 public:
  explicit SqliteStorage(const std::filesystem::path& path, SqliteStorageOptions options = {})
      : options_((options.validate(), std::move(options))),
        db_("SqliteStorage", path, options_.create_if_missing, options_.wal, options_.synchronous) {
    const std::string t = "\"" + options_.table + "\"";
    db_.exec("CREATE TABLE IF NOT EXISTS " + t +
             " (k BLOB NOT NULL PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    db_.prepare(put_, "INSERT OR REPLACE INTO " + t + " (k, v) VALUES (?1, ?2)");
    db_.prepare(get_, "SELECT v FROM " + t + " WHERE k = ?1");
    db_.prepare(erase_, "DELETE FROM " + t + " WHERE k = ?1");
    db_.prepare(each_, "SELECT k, v FROM " + t + " ORDER BY k");
    db_.prepare(count_, "SELECT COUNT(*) FROM " + t);
    db_.prepare(begin_, "BEGIN IMMEDIATE");
    db_.prepare(commit_, "COMMIT");
    db_.prepare(rollback_, "ROLLBACK");
  }
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  void put(std::string_view key, std::string_view value) {
    check_not_visiting("put");
    std::lock_guard lock(mu_);
    put_locked(key, value);
  }

  // All of `items` (pairs of things convertible to std::string_view) in one transaction: every
  // put lands, or (on an exception) none does.
  template <class Range>
  void put_batch(const Range& items) {
    check_not_visiting("put_batch");
    std::lock_guard lock(mu_);
    db_.step_done(begin_, "BEGIN");
    try {
      for (const auto& [k, v] : items) {
        put_locked(std::string_view(k), std::string_view(v));
      }
      db_.step_done(commit_, "COMMIT");
    } catch (...) {
      detail::SqliteStatement::Use use{rollback_.get()};
      sqlite3_step(rollback_.get());  // fails harmlessly if SQLite already rolled back
      throw;
    }
  }
  void put_batch(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
    put_batch<std::initializer_list<std::pair<std::string_view, std::string_view>>>(items);
  }

  std::optional<std::string> get(std::string_view key) const {
    check_not_visiting("get");
    std::lock_guard lock(mu_);
    detail::SqliteStatement::Use use{get_.get()};
    db_.bind(get_, 1, key);
    const int rc = sqlite3_step(get_.get());
    if (rc == SQLITE_ROW) {
      return std::string(detail::column_bytes(get_.get(), 0));
    }
    db_.check_done(rc, "get");
    return std::nullopt;
  }

  bool erase(std::string_view key) {
    check_not_visiting("erase");
    std::lock_guard lock(mu_);
    {
      detail::SqliteStatement::Use use{erase_.get()};
      db_.bind(erase_, 1, key);
      db_.check_done(sqlite3_step(erase_.get()), "erase");
    }
    return sqlite3_changes(db_.handle()) > 0;
  }

  // Visits every entry in ascending byte order of keys (SQLite compares BLOBs with memcmp).
  template <class F>
  void for_each(F&& visit) const {
    check_not_visiting("for_each");
    std::lock_guard lock(mu_);
    const auto visiting = visitor_guard_.visiting();
    detail::SqliteStatement::Use use{each_.get()};
    int rc;
    while ((rc = sqlite3_step(each_.get())) == SQLITE_ROW) {
      visit(detail::column_bytes(each_.get(), 0), detail::column_bytes(each_.get(), 1));
    }
    db_.check_done(rc, "for_each");
  }

  std::size_t size() const {
    check_not_visiting("size");
    std::lock_guard lock(mu_);
    detail::SqliteStatement::Use use{count_.get()};
    const int rc = sqlite3_step(count_.get());
    if (rc != SQLITE_ROW) db_.fail(rc, "size");
    return static_cast<std::size_t>(sqlite3_column_int64(count_.get(), 0));
  }

  const std::filesystem::path& path() const noexcept { return db_.path(); }
  const SqliteStorageOptions& options() const noexcept { return options_; }
  // SyncService takes a lease: destroying the storage first is a clear error, not a crash later.
  const LifetimeGuard& rxsync_lifetime_guard() const noexcept { return lifetime_; }

 private:
  void put_locked(std::string_view key, std::string_view value) {
    detail::SqliteStatement::Use use{put_.get()};
    db_.bind(put_, 1, key);
    db_.bind(put_, 2, value);
    db_.check_done(sqlite3_step(put_.get()), "put");
  }
  void check_not_visiting(const char* what) const { visitor_guard_.check(what); }

  SqliteStorageOptions options_;
  detail::SqliteDb db_;  // before the statements: they are finalized first
  mutable std::mutex mu_;
  detail::VisitorGuard visitor_guard_{"SqliteStorage"};
  LifetimeGuard lifetime_{"SqliteStorage"};
  // Prepared once; mutable because stepping a statement is how a const query runs.
  mutable detail::SqliteStatement put_, get_, erase_, each_, count_, begin_, commit_, rollback_;
};

static_assert(check_storage<SqliteStorage>());

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
