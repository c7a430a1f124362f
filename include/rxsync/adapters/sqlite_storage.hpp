// rxsync/adapters/sqlite_storage.hpp - a Storage on one SQLite table (target rxsync::sqlite).
//
// For applications that already ship SQLite, or want a store other tools can read. WAL mode and
// synchronous=FULL by default, so a put is durable when it returns, as with FileStorage.
// Keys and values are BLOBs (arbitrary bytes). Not part of the umbrella header.
#pragma once

#include <sqlite3.h>

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

#include <rxsync/core/concepts.hpp>
#include <rxsync/storage/visitor_guard.hpp>

namespace rxsync {

// A SQLite call failed; code() is the (extended) SQLite result code.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

enum class SqliteSynchronous { off, normal, full, extra };

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

namespace detail {
// A prepared statement, reset (and unbound) whenever a use of it ends, even by an exception.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt*& handle() noexcept { return stmt_; }
  sqlite3_stmt* get() const noexcept { return stmt_; }

  struct Use {
    sqlite3_stmt* s;
    ~Use() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  };

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

inline std::string_view column_bytes(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);  // before column_bytes, as SQLite asks
  const int n = sqlite3_column_bytes(s, col);
  return p == nullptr ? std::string_view()
                      : std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n));
}
}  // namespace detail

// The Storage concept over `table(k BLOB PRIMARY KEY, v BLOB)`, with prepared statements and
// put_batch() committing many puts in one transaction (one sync instead of one per put).
// Thread-safety: all members may be called concurrently (one mutex around the connection).
// Calling back into the same storage from for_each's visitor throws std::logic_error. Another
// connection writing the same database at the same moment makes calls throw SqliteError (BUSY).
class SqliteStorage {
 public:
  explicit SqliteStorage(const std::filesystem::path& path, SqliteStorageOptions options = {})
      : path_(path), options_(std::move(options)) {
    options_.validate();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                      (options_.create_if_missing ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw SqliteError(rc, "SqliteStorage '" + path_.string() + "': cannot open: " + msg);
    }
    try {
      sqlite3_extended_result_codes(db_, 1);
      if (options_.wal && pragma_value("PRAGMA journal_mode=WAL") != "wal") {
        throw SqliteError(SQLITE_ERROR, "SqliteStorage '" + path_.string() +
                                            "': the database refused journal_mode=WAL");
      }
      static constexpr const char* kSync[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
      exec(std::string("PRAGMA synchronous=") + kSync[static_cast<int>(options_.synchronous)]);
      const std::string t = "\"" + options_.table + "\"";
      exec("CREATE TABLE IF NOT EXISTS " + t +
           " (k BLOB NOT NULL PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
      prepare(put_, "INSERT OR REPLACE INTO " + t + " (k, v) VALUES (?1, ?2)");
      prepare(get_, "SELECT v FROM " + t + " WHERE k = ?1");
      prepare(erase_, "DELETE FROM " + t + " WHERE k = ?1");
      prepare(each_, "SELECT k, v FROM " + t + " ORDER BY k");
      prepare(count_, "SELECT COUNT(*) FROM " + t);
      prepare(begin_, "BEGIN IMMEDIATE");
      prepare(commit_, "COMMIT");
      prepare(rollback_, "ROLLBACK");
    } catch (...) {
      close();
      throw;
    }
  }
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;
  ~SqliteStorage() { close(); }

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
    step_done(begin_, "BEGIN");
    try {
      for (const auto& [k, v] : items) {
        put_locked(std::string_view(k), std::string_view(v));
      }
      step_done(commit_, "COMMIT");
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
    bind(get_, 1, key);
    const int rc = sqlite3_step(get_.get());
    if (rc == SQLITE_ROW) {
      return std::string(detail::column_bytes(get_.get(), 0));
    }
    check_done(rc, "get");
    return std::nullopt;
  }

  bool erase(std::string_view key) {
    check_not_visiting("erase");
    std::lock_guard lock(mu_);
    {
      detail::SqliteStatement::Use use{erase_.get()};
      bind(erase_, 1, key);
      check_done(sqlite3_step(erase_.get()), "erase");
    }
    return sqlite3_changes(db_) > 0;
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
    check_done(rc, "for_each");
  }

  std::size_t size() const {
    check_not_visiting("size");
    std::lock_guard lock(mu_);
    detail::SqliteStatement::Use use{count_.get()};
    const int rc = sqlite3_step(count_.get());
    if (rc != SQLITE_ROW) {
      fail(rc, "size");
    }
    return static_cast<std::size_t>(sqlite3_column_int64(count_.get(), 0));
  }

  const std::filesystem::path& path() const noexcept { return path_; }
  const SqliteStorageOptions& options() const noexcept { return options_; }

 private:
  void put_locked(std::string_view key, std::string_view value) {
    detail::SqliteStatement::Use use{put_.get()};
    bind(put_, 1, key);
    bind(put_, 2, value);
    check_done(sqlite3_step(put_.get()), "put");
  }

  void bind(const detail::SqliteStatement& s, int index, std::string_view bytes) const {
    // A null pointer would bind SQL NULL; "" binds a zero-length BLOB. SQLITE_STATIC is safe
    // because every statement is reset before the bytes go away.
    const int rc = sqlite3_bind_blob64(s.get(), index, bytes.data() != nullptr ? bytes.data() : "",
                                       bytes.size(), SQLITE_STATIC);
    if (rc != SQLITE_OK) {
      fail(rc, "bind");
    }
  }

  void step_done(const detail::SqliteStatement& s, const char* what) {
    detail::SqliteStatement::Use use{s.get()};
    check_done(sqlite3_step(s.get()), what);
  }
  void check_done(int rc, const char* what) const {
    if (rc != SQLITE_DONE) {
      fail(rc, what);
    }
  }
  [[noreturn]] void fail(int rc, const std::string& what) const {
    throw SqliteError(rc, "SqliteStorage '" + path_.string() + "': " + what + " failed: " +
                              sqlite3_errmsg(db_) + " (code " + std::to_string(rc) + ")");
  }
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw SqliteError(rc, "SqliteStorage '" + path_.string() + "': " + sql + ": " + msg);
    }
  }
  std::string pragma_value(const std::string& sql) {
    detail::SqliteStatement s;
    prepare(s, sql);
    detail::SqliteStatement::Use use{s.get()};
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) {
      fail(rc, sql);
    }
    return std::string(detail::column_bytes(s.get(), 0));
  }
  void prepare(detail::SqliteStatement& s, const std::string& sql) {
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s.handle(), nullptr);
    if (rc != SQLITE_OK) {
      fail(rc, "prepare '" + sql + "'");
    }
  }
  void check_not_visiting(const char* what) const { visitor_guard_.check(what); }
  void close() noexcept {
    for (auto* s : {&put_, &get_, &erase_, &each_, &count_, &begin_, &commit_, &rollback_}) {
      sqlite3_finalize(s->handle());
      s->handle() = nullptr;
    }
    sqlite3_close(db_);  // all statements are finalized, so this cannot be BUSY
    db_ = nullptr;
  }

  std::filesystem::path path_;
  SqliteStorageOptions options_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
  detail::VisitorGuard visitor_guard_{"SqliteStorage"};
  // Prepared once; mutable because stepping a statement is how a const query runs.
  mutable detail::SqliteStatement put_, get_, erase_, each_, count_, begin_, commit_, rollback_;
};

static_assert(check_storage<SqliteStorage>());

}  // namespace rxsync
