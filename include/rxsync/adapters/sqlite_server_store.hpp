// rxsync/adapters/sqlite_server_store.hpp - a sync server's state in one SQLite file (target
// rxsync::sqlite): the embedded default of rxsync-server.
//
// One transaction per push (BEGIN IMMEDIATE ... COMMIT); with synchronous=FULL (the default) a
// push is acknowledged only once its commit is durable. `durable = false` selects
// synchronous=NORMAL in WAL mode: the last commits before a power failure (never a process
// crash) can be lost, and clients whose acknowledged edits were among them push them again only
// if they still hold them, so use it for benchmarks and caches, not for data of record.
// Thread-safety: all members may be called concurrently (one mutex around the connection; a
// transaction holds it from begin() to commit or destruction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rxsync/adapters/detail/sqlite_db.hpp>
#include <rxsync/sync/server_store.hpp>

namespace rxsync {

struct SqliteServerStoreOptions {
  bool durable = true;  // synchronous=FULL; false: NORMAL (see above)
  bool create_if_missing = true;
};

class SqliteServerStore final : public ServerStore {
 public:
  explicit SqliteServerStore(const std::filesystem::path& path,
                             SqliteServerStoreOptions options = {})
      : options_(options),
        db_("SqliteServerStore", path, options.create_if_missing, true,
            options.durable ? SqliteSynchronous::full : SqliteSynchronous::normal) {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS rxsync_server_meta (name BLOB PRIMARY KEY, n INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS rxsync_server_values (key BLOB NOT NULL PRIMARY KEY, "
        "value BLOB NOT NULL, seq INTEGER NOT NULL UNIQUE) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS rxsync_server_applied (key BLOB NOT NULL, origin BLOB NOT "
        "NULL, version INTEGER NOT NULL, PRIMARY KEY (key, origin)) WITHOUT ROWID;");
    db_.prepare(meta_get_, "SELECT n FROM rxsync_server_meta WHERE name = ?1");
    db_.prepare(meta_put_, "INSERT OR REPLACE INTO rxsync_server_meta (name, n) VALUES (?1, ?2)");
    db_.prepare(get_, "SELECT value, seq FROM rxsync_server_values WHERE key = ?1");
    db_.prepare(
        put_, "INSERT OR REPLACE INTO rxsync_server_values (key, value, seq) VALUES (?1, ?2, ?3)");
    db_.prepare(applied_get_,
                "SELECT version FROM rxsync_server_applied WHERE key = ?1 AND origin = ?2");
    db_.prepare(applied_put_,
                "INSERT OR REPLACE INTO rxsync_server_applied (key, origin, version) "
                "VALUES (?1, ?2, ?3)");
    db_.prepare(after_,
                "SELECT key, value, seq FROM rxsync_server_values WHERE seq > ?1 ORDER BY seq "
                "LIMIT ?2");
    db_.prepare(each_, "SELECT key, value FROM rxsync_server_values ORDER BY key");
    db_.prepare(begin_, "BEGIN IMMEDIATE");
    db_.prepare(commit_, "COMMIT");
    db_.prepare(rollback_, "ROLLBACK");
    std::lock_guard lock(mutex_);
    epoch_ = meta_locked("epoch");
    if (epoch_ == 0) {
      // A new store: its epoch is chosen once and kept with the data.
      epoch_ = detail::random_epoch() >> 1;  // SQLite integers are signed 64-bit
      if (epoch_ == 0) epoch_ = 1;
      db_.step_done(begin_, "BEGIN");
      try {
        put_meta_locked("epoch", epoch_);
        put_meta_locked("head", 0);
        db_.step_done(commit_, "COMMIT");
      } catch (...) {
        rollback_locked();
        throw;
      }
    }
    head_ = meta_locked("head");
  }
  SqliteServerStore(const SqliteServerStore&) = delete;
  SqliteServerStore& operator=(const SqliteServerStore&) = delete;

  std::uint64_t epoch() const override { return epoch_; }
  std::uint64_t head() const override {
    std::lock_guard lock(mutex_);
    return head_;
  }

  std::unique_ptr<ServerTransaction> begin() override { return std::make_unique<Tx>(*this); }

  std::vector<StoredChange> changes_after(std::uint64_t after, std::size_t limit) const override {
    std::lock_guard lock(mutex_);
    std::vector<StoredChange> out;
    detail::SqliteStatement::Use use{after_.get()};
    db_.bind(after_, 1, after);
    db_.bind(after_, 2, static_cast<std::uint64_t>(limit));
    int rc;
    while ((rc = sqlite3_step(after_.get())) == SQLITE_ROW) {
      out.push_back({std::string(detail::column_bytes(after_.get(), 0)),
                     std::string(detail::column_bytes(after_.get(), 1)),
                     static_cast<std::uint64_t>(sqlite3_column_int64(after_.get(), 2))});
    }
    db_.check_done(rc, "changes_after");
    return out;
  }
  std::optional<std::string> value(std::string_view key) const override {
    std::lock_guard lock(mutex_);
    auto v = get_locked(key);
    if (!v) return std::nullopt;
    return std::move(v->value);
  }
  void for_each(
      const std::function<void(std::string_view, std::string_view)>& visit) const override {
    std::lock_guard lock(mutex_);
    detail::SqliteStatement::Use use{each_.get()};
    int rc;
    while ((rc = sqlite3_step(each_.get())) == SQLITE_ROW) {
      visit(detail::column_bytes(each_.get(), 0), detail::column_bytes(each_.get(), 1));
    }
    db_.check_done(rc, "for_each");
  }

  const std::filesystem::path& path() const noexcept { return db_.path(); }

 private:
  class Tx final : public ServerTransaction {
   public:
    explicit Tx(SqliteServerStore& s) : s_(s), lock_(s.mutex_), head_(s.head_) {
      s_.db_.step_done(s_.begin_, "BEGIN");
    }
    ~Tx() override {
      if (!done_) s_.rollback_locked();
    }
    std::optional<StoredValue> get(std::string_view key) override { return s_.get_locked(key); }
    std::uint64_t applied_version(std::string_view key, std::string_view origin) override {
      auto& st = s_.applied_get_;
      detail::SqliteStatement::Use use{st.get()};
      s_.db_.bind(st, 1, key);
      s_.db_.bind(st, 2, origin);
      const int rc = sqlite3_step(st.get());
      if (rc == SQLITE_ROW) return static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 0));
      s_.db_.check_done(rc, "applied_version");
      return 0;
    }
    void put(std::string_view key, std::string_view value, std::uint64_t seq) override {
      auto& st = s_.put_;
      detail::SqliteStatement::Use use{st.get()};
      s_.db_.bind(st, 1, key);
      s_.db_.bind(st, 2, value);
      s_.db_.bind(st, 3, seq);
      s_.db_.check_done(sqlite3_step(st.get()), "put");
    }
    void set_applied(std::string_view key, std::string_view origin,
                     std::uint64_t version) override {
      auto& st = s_.applied_put_;
      detail::SqliteStatement::Use use{st.get()};
      s_.db_.bind(st, 1, key);
      s_.db_.bind(st, 2, origin);
      s_.db_.bind(st, 3, version);
      s_.db_.check_done(sqlite3_step(st.get()), "set_applied");
    }
    std::uint64_t next_seq() override { return ++head_; }
    void commit() override {
      if (head_ != s_.head_) s_.put_meta_locked("head", head_);
      s_.db_.step_done(s_.commit_, "COMMIT");
      done_ = true;
      s_.head_ = head_;
    }

   private:
    SqliteServerStore& s_;
    std::unique_lock<std::mutex> lock_;
    std::uint64_t head_;
    bool done_ = false;
  };

  std::optional<StoredValue> get_locked(std::string_view key) const {
    detail::SqliteStatement::Use use{get_.get()};
    db_.bind(get_, 1, key);
    const int rc = sqlite3_step(get_.get());
    if (rc == SQLITE_ROW) {
      return StoredValue{std::string(detail::column_bytes(get_.get(), 0)),
                         static_cast<std::uint64_t>(sqlite3_column_int64(get_.get(), 1))};
    }
    db_.check_done(rc, "get");
    return std::nullopt;
  }
  std::uint64_t meta_locked(std::string_view name) const {
    detail::SqliteStatement::Use use{meta_get_.get()};
    db_.bind(meta_get_, 1, name);
    const int rc = sqlite3_step(meta_get_.get());
    if (rc == SQLITE_ROW)
      return static_cast<std::uint64_t>(sqlite3_column_int64(meta_get_.get(), 0));
    db_.check_done(rc, "read meta");
    return 0;
  }
  void put_meta_locked(std::string_view name, std::uint64_t n) {
    detail::SqliteStatement::Use use{meta_put_.get()};
    db_.bind(meta_put_, 1, name);
    db_.bind(meta_put_, 2, n);
    db_.check_done(sqlite3_step(meta_put_.get()), "write meta");
  }
  void rollback_locked() noexcept {
    detail::SqliteStatement::Use use{rollback_.get()};
    sqlite3_step(rollback_.get());  // fails harmlessly if SQLite already rolled back
  }

  SqliteServerStoreOptions options_;
  detail::SqliteDb db_;  // before the statements: they are finalized first
  mutable std::mutex mutex_;
  std::uint64_t epoch_ = 0;
  std::uint64_t head_ = 0;
  mutable detail::SqliteStatement meta_get_, meta_put_, get_, put_, applied_get_, applied_put_,
      after_, each_, begin_, commit_, rollback_;
};

}  // namespace rxsync
