// rxsync/adapters/sqlite_server_store.hpp - a sync server's state in one SQLite file (target
// rxsync::sqlite): the embedded default of rxsync-server.
//
// One transaction per push (BEGIN IMMEDIATE ... COMMIT); with synchronous=FULL (the default) a
// push is acknowledged only once its commit is durable. One row per key holds the value, its
// sequence number and the versions applied from each origin, so a change costs one read (the
// rows of a whole push are read in a few statements) and one write. `durable = false` selects
// synchronous=NORMAL in WAL mode: the last commits before a power failure (never a process
// crash) can be lost, and clients whose acknowledged edits were among them push them again only
// if they still hold them, so use it for benchmarks and caches, not for data of record.
// Thread-safety: all members may be called concurrently (one mutex around the connection; a
// transaction holds it from begin() to commit or destruction).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/adapters/detail/sqlite_db.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/sync/server_store.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

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
    // A statement that writes many rows keeps a statement journal (to undo itself alone if it
    // fails halfway); on disk that is a temporary file created and written on every push.
    db_.exec("PRAGMA temp_store=MEMORY");
    // applied: the highest version applied per origin, as varint count, then (origin bytes,
    // version varint) pairs in origin order.
    db_.exec(
        "CREATE TABLE IF NOT EXISTS rxsync_server_meta (name BLOB PRIMARY KEY, n INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS rxsync_server_values (key BLOB NOT NULL PRIMARY KEY, "
        "value BLOB NOT NULL, seq INTEGER NOT NULL, applied BLOB NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS rxsync_server_values_seq ON rxsync_server_values (seq);");
    db_.prepare(meta_get_, "SELECT n FROM rxsync_server_meta WHERE name = ?1");
    db_.prepare(meta_put_, "INSERT OR REPLACE INTO rxsync_server_meta (name, n) VALUES (?1, ?2)");
    db_.prepare(get_, "SELECT value, seq FROM rxsync_server_values WHERE key = ?1");
    db_.prepare(row_, "SELECT key, value, seq, applied FROM rxsync_server_values WHERE key = ?1");
    for (std::size_t l = 0; l < kLadder.size(); ++l) {
      std::string puts_sql =
          "INSERT OR REPLACE INTO rxsync_server_values (key, value, seq, applied) VALUES ";
      for (std::size_t i = 0; i < kLadder[l]; ++i) {
        const std::size_t b = 4 * i;
        puts_sql += (i == 0 ? "(?" : ", (?") + std::to_string(b + 1) + ", ?" +
                    std::to_string(b + 2) + ", ?" + std::to_string(b + 3) + ", ?" +
                    std::to_string(b + 4) + ")";
      }
      db_.prepare(write_rows_[l], puts_sql);
      std::string rows_sql =
          "SELECT key, value, seq, applied FROM rxsync_server_values WHERE key IN (?1";
      for (std::size_t i = 2; i <= kLadder[l]; ++i) rows_sql += ", ?" + std::to_string(i);
      db_.prepare(read_rows_[l], rows_sql + ")");
    }
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
  // Reads each row it touches once (a push's rows in chunks), keeps the changes in
  // memory and writes each changed row once, at commit.
  class Tx final : public ServerTransaction {
   public:
    explicit Tx(SqliteServerStore& s) : s_(s), lock_(s.mutex_), head_(s.head_) {
      s_.db_.step_done(s_.begin_, "BEGIN");
    }
    ~Tx() override {
      if (!done_) s_.rollback_locked();
    }
    void prefetch(std::span<const std::string_view> keys) override {
      std::vector<std::string_view> missing;
      for (std::string_view k : keys) {
        if (rows_.find(k) == rows_.end()) missing.push_back(k);
      }
      std::sort(missing.begin(), missing.end());
      missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
      for_chunks(
          missing.size(),
          [&](std::size_t at, std::size_t n, const detail::SqliteStatement& st) {
            detail::SqliteStatement::Use use{st.get()};
            for (std::size_t i = 0; i < n; ++i)
              s_.db_.bind(st, static_cast<int>(i + 1), missing[at + i]);
            int rc;
            while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) read_row(st.get());
            s_.db_.check_done(rc, "prefetch");
            for (std::size_t i = 0; i < n; ++i) {
              if (rows_.find(missing[at + i]) == rows_.end())
                rows_.try_emplace(std::string(missing[at + i]));
            }
          },
          s_.read_rows_);
    }
    std::optional<StoredValue> get(std::string_view key) override {
      Row& r = row(key);
      if (!r.value) return std::nullopt;
      return StoredValue{*r.value, r.seq};
    }
    std::uint64_t applied_version(std::string_view key, std::string_view origin) override {
      Row& r = row(key);
      return r.applied.get(origin);
    }
    void put(std::string_view key, std::string_view value, std::uint64_t seq) override {
      Row& r = row(key);
      r.value = std::string(value);
      r.seq = seq;
      r.dirty = true;
    }
    void set_applied(std::string_view key, std::string_view origin,
                     std::uint64_t version) override {
      Row& r = row(key);
      r.applied.set(origin, version);
      r.dirty = true;
    }
    std::uint64_t next_seq() override { return ++head_; }
    void commit() override {
      std::vector<std::pair<const std::string*, Row*>> dirty;
      for (auto& [key, r] : rows_) {
        if (!r.dirty) continue;
        if (!r.value) {
          throw std::logic_error("SqliteServerStore: a version applied to a key with no value");
        }
        r.applied_bytes = encode_applied(r.applied);
        dirty.emplace_back(&key, &r);
      }
      for_chunks(
          dirty.size(),
          [&](std::size_t at, std::size_t n, const detail::SqliteStatement& st) {
            detail::SqliteStatement::Use use{st.get()};
            for (std::size_t i = 0; i < n; ++i)
              bind_row(st, 4 * i, *dirty[at + i].first, *dirty[at + i].second);
            s_.db_.check_done(sqlite3_step(st.get()), "put");
          },
          s_.write_rows_);
      if (head_ != s_.head_) s_.put_meta_locked("head", head_);
      s_.db_.step_done(s_.commit_, "COMMIT");
      done_ = true;
      s_.head_ = head_;
    }

   private:
    // The highest version applied per origin, sorted by origin: a key has few writers, so a
    // flat vector beats a map (one allocation instead of one per origin).
    struct AppliedVersions {
      using Entry = std::pair<std::string, std::uint64_t>;
      std::vector<Entry> entries;

      std::uint64_t get(std::string_view origin) const {
        auto it = std::lower_bound(entries.begin(), entries.end(), origin, by_origin);
        return it != entries.end() && it->first == origin ? it->second : 0;
      }
      void set(std::string_view origin, std::uint64_t version) {
        auto it = std::lower_bound(entries.begin(), entries.end(), origin, by_origin);
        if (it != entries.end() && it->first == origin) {
          it->second = version;
        } else {
          entries.emplace(it, std::string(origin), version);
        }
      }
      static bool by_origin(const Entry& e, std::string_view origin) { return e.first < origin; }
    };
    struct Row {
      std::optional<std::string> value;
      std::uint64_t seq = 0;
      AppliedVersions applied;
      std::string applied_bytes;  // encoded at commit
      bool dirty = false;
    };

    static std::string encode_applied(const AppliedVersions& a) {
      BinaryWriter w;
      w.put_varint(a.entries.size());
      for (const auto& [origin, version] : a.entries) {
        w.put_bytes(origin);
        w.put_varint(version);
      }
      return std::move(w).take();
    }
    void bind_row(const detail::SqliteStatement& st, std::size_t base, const std::string& key,
                  const Row& r) {
      const int b = static_cast<int>(base);
      s_.db_.bind(st, b + 1, key);
      s_.db_.bind(st, b + 2, *r.value);
      s_.db_.bind(st, b + 3, r.seq);
      s_.db_.bind(st, b + 4, r.applied_bytes);
    }

    // The core asks about one key several times in a row: the last row found is kept at hand.
    Row& row(std::string_view key) {
      if (last_ != nullptr && last_->first == key) return last_->second;
      if (auto it = rows_.find(key); it != rows_.end()) {
        last_ = &*it;
        return it->second;
      }
      return load(key);
    }
    Row& load(std::string_view key) {
      auto& st = s_.row_;
      detail::SqliteStatement::Use use{st.get()};
      s_.db_.bind(st, 1, key);
      const int rc = sqlite3_step(st.get());
      if (rc == SQLITE_ROW) return read_row(st.get());
      s_.db_.check_done(rc, "read");
      auto it = rows_.try_emplace(std::string(key)).first;
      last_ = &*it;
      return it->second;
    }
    // A stored row; a damaged applied list throws DecodeError (the push then fails as a whole).
    Row& read_row(sqlite3_stmt* st) {
      Row r;
      r.value = std::string(detail::column_bytes(st, 1));
      r.seq = static_cast<std::uint64_t>(sqlite3_column_int64(st, 2));
      BinaryReader in(detail::column_bytes(st, 3));
      const std::size_t n = in.get_count(2);
      for (std::size_t i = 0; i < n; ++i) {
        const std::string_view origin = in.get_bytes();
        r.applied.set(origin, in.get_varint());
      }
      in.expect_end("applied versions");
      auto it =
          rows_.insert_or_assign(std::string(detail::column_bytes(st, 0)), std::move(r)).first;
      last_ = &*it;
      return it->second;
    }

    SqliteServerStore& s_;
    std::unique_lock<std::mutex> lock_;
    std::uint64_t head_;
    struct Hash {
      using is_transparent = void;
      std::size_t operator()(std::string_view k) const noexcept {
        return std::hash<std::string_view>{}(k);
      }
    };
    std::unordered_map<std::string, Row, Hash, std::equal_to<>> rows_;  // nodes: stable addresses
    std::pair<const std::string, Row>* last_ = nullptr;
    bool done_ = false;
  };

  // Rows are read and written many to a statement, in chunks of these sizes (largest first):
  // SQLite's per-statement cost is then paid once per chunk instead of once per row, and 128
  // rows of 4 parameters stay within the 999 parameters older SQLite builds allow.
  static constexpr std::array<std::size_t, 4> kLadder{128, 32, 8, 1};
  using Ladder = std::array<detail::SqliteStatement, kLadder.size()>;

  // Calls f(offset, count, statement) for consecutive chunks covering [0, n).
  template <class F>
  static void for_chunks(std::size_t n, F&& f, const Ladder& statements) {
    std::size_t at = 0;
    for (std::size_t l = 0; l < kLadder.size(); ++l) {
      for (; n - at >= kLadder[l]; at += kLadder[l]) f(at, kLadder[l], statements[l]);
    }
  }

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
  mutable detail::SqliteStatement meta_get_, meta_put_, get_, row_, after_, each_, begin_, commit_,
      rollback_;
  Ladder read_rows_, write_rows_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
