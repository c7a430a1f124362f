// rxsync/adapters/detail/sqlite_db.hpp - one SQLite connection with the checks every rxsync
// adapter needs (internal; target rxsync::sqlite).
//
// Opens with WAL and a chosen synchronous level, prepares persistent statements, binds bytes as
// BLOBs and turns every failing call into a SqliteError naming the owner, the file and the
// step. Not thread-safe: its owner serializes calls (SqliteStorage and SqliteServerStore each
// hold a mutex around their connection).
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// A SQLite call failed; code() is the (extended) SQLite result code.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

enum class SqliteSynchronous { off, normal, full, extra };

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
  void finalize() noexcept {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }

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

class SqliteDb {
 public:
  // `owner` names the adapter in error messages ("SqliteStorage", "SqliteServerStore").
  SqliteDb(std::string owner, std::filesystem::path path, bool create, bool wal,
           SqliteSynchronous synchronous)
      : owner_(std::move(owner)), path_(std::move(path)) {
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw SqliteError(rc, prefix() + "cannot open: " + msg);
    }
    try {
      sqlite3_extended_result_codes(db_, 1);
      if (wal && pragma_value("PRAGMA journal_mode=WAL") != "wal") {
        throw SqliteError(SQLITE_ERROR, prefix() + "the database refused journal_mode=WAL");
      }
      static constexpr const char* kSync[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
      exec(std::string("PRAGMA synchronous=") + kSync[static_cast<int>(synchronous)]);
    } catch (...) {
      sqlite3_close(db_);
      db_ = nullptr;
      throw;
    }
  }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  // Every statement prepared on it must be finalized first (owners declare their statements
  // after the SqliteDb, so they are destroyed before it), or sqlite3_close returns BUSY.
  ~SqliteDb() { sqlite3_close(db_); }

  sqlite3* handle() const noexcept { return db_; }
  const std::filesystem::path& path() const noexcept { return path_; }

  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw SqliteError(rc, prefix() + sql + ": " + msg);
    }
  }
  void prepare(SqliteStatement& s, const std::string& sql) {
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s.handle(), nullptr);
    if (rc != SQLITE_OK) fail(rc, "prepare '" + sql + "'");
  }
  std::string pragma_value(const std::string& sql) {
    SqliteStatement s;
    prepare(s, sql);
    SqliteStatement::Use use{s.get()};
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) fail(rc, sql);
    return std::string(column_bytes(s.get(), 0));
  }

  void bind(const SqliteStatement& s, int index, std::string_view bytes) const {
    // A null pointer would bind SQL NULL; "" binds a zero-length BLOB. SQLITE_STATIC is safe
    // because every statement is reset before the bytes go away.
    const int rc = sqlite3_bind_blob64(s.get(), index, bytes.data() != nullptr ? bytes.data() : "",
                                       bytes.size(), SQLITE_STATIC);
    if (rc != SQLITE_OK) fail(rc, "bind");
  }
  void bind(const SqliteStatement& s, int index, std::uint64_t v) const {
    const int rc = sqlite3_bind_int64(s.get(), index, static_cast<sqlite3_int64>(v));
    if (rc != SQLITE_OK) fail(rc, "bind");
  }

  void step_done(const SqliteStatement& s, const char* what) const {
    SqliteStatement::Use use{s.get()};
    check_done(sqlite3_step(s.get()), what);
  }
  void check_done(int rc, const char* what) const {
    if (rc != SQLITE_DONE) fail(rc, what);
  }
  [[noreturn]] void fail(int rc, const std::string& what) const {
    throw SqliteError(rc, prefix() + what + " failed: " + sqlite3_errmsg(db_) + " (code " +
                              std::to_string(rc) + ")");
  }

 private:
  std::string prefix() const { return owner_ + " '" + path_.string() + "': "; }

  std::string owner_;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
