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
//
// Two connections: the writer runs the transactions; a reader serves pulls, digests and
// read-aheads (a push's rows read before its turn, see ServerStore::read_ahead), so those never
// wait behind a commit. A row read ahead is used only if no commit since wrote its key (a log of
// the keys of recent commits tells); the others are read again inside the transaction.
// Thread-safety: all members may be called concurrently (a mutex per connection; a transaction
// holds the writer's from begin() to commit or destruction).
#pragma once

#include <algorithm>
#include <atomic>
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
#include <utility>
#include <vector>

#include <rxsync/adapters/detail/sqlite_db.hpp>
#include <rxsync/adapters/detail/sqlite_server_rows.hpp>
#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/sync/server_store.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct SqliteServerStoreOptions {
  bool durable = true;  // synchronous=FULL; false: NORMAL (see above)
  bool create_if_missing = true;
  bool read_ahead = true;  // false: reads_ahead() is false, pushes read their rows themselves
};

// How read-aheads fared: rows taken from them, rows dropped because a commit since wrote their
// key, and read-aheads refused whole (older than the log of recent writes, or another store's).
struct SqliteServerStoreStats {
  std::uint64_t rows_read_ahead = 0;
  std::uint64_t rows_read_ahead_stale = 0;
  std::uint64_t read_aheads_refused = 0;
};

class SqliteServerStore final : public ServerStore {
 private:
  struct Statements {
    detail::SqliteStatement get, after, each;
    void prepare(detail::SqliteDb& db) {
      db.prepare(get, "SELECT value FROM rxsync_server_values WHERE key = ?1");
      db.prepare(after,
                 "SELECT key, value, seq FROM rxsync_server_values WHERE seq > ?1 ORDER BY seq "
                 "LIMIT ?2");
      db.prepare(each, "SELECT key, value FROM rxsync_server_values ORDER BY key");
    }
  };
  struct Reader {
    explicit Reader(const std::filesystem::path& path)
        : db("SqliteServerStore", path, false, true, SqliteSynchronous::normal) {
      db.exec("PRAGMA query_only=1");
      // A reader can meet SQLITE_BUSY for a moment while the writer resets the WAL.
      sqlite3_busy_timeout(db.handle(), 5000);
      detail::prepare_row_reads(db, reads);
      statements.prepare(db);
    }
    detail::SqliteDb db;  // before the statements: they are finalized first
    detail::RowLadder reads;
    Statements statements;
    std::mutex mutex;
  };

  // Runs f(db, statements) on the reader, or on the writer where there is no reader.
  template <class F>
  auto with_reads(F&& f) const {
    if (reader_) {
      std::lock_guard lock(reader_->mutex);
      return f(reader_->db, reader_->statements);
    }
    std::lock_guard lock(mutex_);
    return f(db_, writer_reads_);
  }

 public:
 public:
  explicit SqliteServerStore(const std::filesystem::path& path,
                             SqliteServerStoreOptions options = {})
      : options_(options),
        db_("SqliteServerStore", path, options.create_if_missing, true,
            options.durable ? SqliteSynchronous::full : SqliteSynchronous::normal) {
    // A statement that writes many rows keeps a statement journal (to undo itself alone if it
    // fails halfway); on disk that is a temporary file created and written on every push.
    db_.exec("PRAGMA temp_store=MEMORY");
    // applied: see detail::encode_applied.
    db_.exec(
        "CREATE TABLE IF NOT EXISTS rxsync_server_meta (name BLOB PRIMARY KEY, n INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS rxsync_server_values (key BLOB NOT NULL PRIMARY KEY, "
        "value BLOB NOT NULL, seq INTEGER NOT NULL, applied BLOB NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS rxsync_server_values_seq ON rxsync_server_values (seq);");
    db_.prepare(meta_get_, "SELECT n FROM rxsync_server_meta WHERE name = ?1");
    db_.prepare(meta_put_, "INSERT OR REPLACE INTO rxsync_server_meta (name, n) VALUES (?1, ?2)");
    db_.prepare(row_, "SELECT key, value, seq, applied FROM rxsync_server_values WHERE key = ?1");
    for (std::size_t l = 0; l < detail::kRowLadder.size(); ++l) {
      std::string sql =
          "INSERT OR REPLACE INTO rxsync_server_values (key, value, seq, applied) VALUES ";
      for (std::size_t i = 0; i < detail::kRowLadder[l]; ++i) {
        const std::size_t b = 4 * i;
        sql += (i == 0 ? "(?" : ", (?") + std::to_string(b + 1) + ", ?" + std::to_string(b + 2) +
               ", ?" + std::to_string(b + 3) + ", ?" + std::to_string(b + 4) + ")";
      }
      db_.prepare(write_rows_[l], sql);
    }
    detail::prepare_row_reads(db_, read_rows_);
    writer_reads_.prepare(db_);
    db_.prepare(begin_, "BEGIN IMMEDIATE");
    db_.prepare(commit_, "COMMIT");
    db_.prepare(rollback_, "ROLLBACK");
    {
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
    // A second connection to an in-memory database would open another, empty one.
    const std::string p = path.string();
    if (!p.empty() && p != ":memory:" && p.rfind("file:", 0) != 0) reader_.emplace(path);
  }
  SqliteServerStore(const SqliteServerStore&) = delete;
  SqliteServerStore& operator=(const SqliteServerStore&) = delete;

  std::uint64_t epoch() const override { return epoch_; }
  std::uint64_t head() const override {
    std::lock_guard lock(mutex_);
    return head_;
  }

  std::unique_ptr<ServerTransaction> begin() override { return std::make_unique<Tx>(*this); }

  bool reads_ahead() const override { return options_.read_ahead && reader_; }
  std::unique_ptr<ServerReadAhead> read_ahead(std::span<const std::string_view> keys) override {
    if (!reads_ahead()) return nullptr;
    auto ahead = std::make_unique<ReadAhead>();
    ahead->owner = this;
    // Read before the rows: every commit counted here is in what the reads see.
    ahead->seen = commits_.load(std::memory_order_acquire);
    {
      std::lock_guard lock(reader_->mutex);
      detail::read_server_rows(reader_->db, reader_->reads, keys, ahead->rows);
    }
    // Hashed here, off the serialized path: the transaction compares them with the log and
    // records them when it writes these rows.
    ahead->by_hash.reserve(ahead->rows.size());
    for (auto& [key, row] : ahead->rows) {
      row.key_hash = detail::key_hash(key);
      row.hashed = true;
      ahead->by_hash.emplace_back(row.key_hash, &key);
    }
    std::sort(ahead->by_hash.begin(), ahead->by_hash.end());
    return ahead;
  }

  std::vector<StoredChange> changes_after(std::uint64_t after, std::size_t limit) const override {
    return with_reads([&](const detail::SqliteDb& db, Statements& st) {
      std::vector<StoredChange> out;
      detail::SqliteStatement::Use use{st.after.get()};
      db.bind(st.after, 1, after);
      db.bind(st.after, 2, static_cast<std::uint64_t>(limit));
      int rc;
      while ((rc = sqlite3_step(st.after.get())) == SQLITE_ROW) {
        out.push_back({std::string(detail::column_bytes(st.after.get(), 0)),
                       std::string(detail::column_bytes(st.after.get(), 1)),
                       static_cast<std::uint64_t>(sqlite3_column_int64(st.after.get(), 2))});
      }
      db.check_done(rc, "changes_after");
      return out;
    });
  }
  std::optional<std::string> value(std::string_view key) const override {
    return with_reads([&](const detail::SqliteDb& db, Statements& st) {
      detail::SqliteStatement::Use use{st.get.get()};
      db.bind(st.get, 1, key);
      const int rc = sqlite3_step(st.get.get());
      if (rc == SQLITE_ROW)
        return std::optional<std::string>(detail::column_bytes(st.get.get(), 0));
      db.check_done(rc, "get");
      return std::optional<std::string>();
    });
  }
  void for_each(
      const std::function<void(std::string_view, std::string_view)>& visit) const override {
    with_reads([&](const detail::SqliteDb& db, Statements& st) {
      detail::SqliteStatement::Use use{st.each.get()};
      int rc;
      while ((rc = sqlite3_step(st.each.get())) == SQLITE_ROW) {
        visit(detail::column_bytes(st.each.get(), 0), detail::column_bytes(st.each.get(), 1));
      }
      db.check_done(rc, "for_each");
      return 0;
    });
  }

  const std::filesystem::path& path() const noexcept { return db_.path(); }
  SqliteServerStoreStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  struct ReadAhead final : ServerReadAhead {
    const SqliteServerStore* owner = nullptr;
    std::uint64_t seen = 0;  // commits counted before the rows were read
    detail::ServerRows rows;
    std::vector<std::pair<std::uint64_t, const std::string*>> by_hash;  // keys of `rows`, sorted
  };

  // Reads each row it touches once (a push's rows in chunks, or from a read-ahead), keeps the
  // changes in memory and writes each changed row once, at commit.
  class Tx final : public ServerTransaction {
   public:
    explicit Tx(SqliteServerStore& s) : s_(s), lock_(s.mutex_), head_(s.head_) {
      s_.db_.step_done(s_.begin_, "BEGIN");
    }
    ~Tx() override {
      if (!done_) s_.rollback_locked();
    }
    void prefetch(std::span<const std::string_view> keys) override {
      detail::read_server_rows(s_.db_, s_.read_rows_, keys, rows_);
    }
    void prefetch_with(std::unique_ptr<ServerReadAhead> ahead,
                       std::span<const std::string_view> keys) override {
      auto* mine = dynamic_cast<ReadAhead*>(ahead.get());
      std::optional<std::vector<std::uint64_t>> written;
      if (mine != nullptr && mine->owner == &s_ && rows_.empty())
        written = s_.recent_.written_after(mine->seen);
      if (!written) {
        ++s_.stats_.read_aheads_refused;
      } else {
        rows_ = std::move(mine->rows);  // nodes move with the map: by_hash stays valid
        last_ = nullptr;
        std::size_t stale = 0;
        auto& by_hash = mine->by_hash;
        for (std::uint64_t h : *written) {
          auto it = std::lower_bound(by_hash.begin(), by_hash.end(),
                                     std::pair<std::uint64_t, const std::string*>(h, nullptr));
          for (; it != by_hash.end() && it->first == h; ++it) {
            if (it->second == nullptr) continue;   // already dropped
            rows_.erase(rows_.find(*it->second));  // by iterator: the key lives in the node
            it->second = nullptr;
            ++stale;
          }
        }
        s_.stats_.rows_read_ahead += rows_.size();
        s_.stats_.rows_read_ahead_stale += stale;
      }
      prefetch(keys);  // whatever was not read ahead, or went stale
    }
    std::optional<StoredValue> get(std::string_view key) override {
      detail::ServerRow& r = row(key);
      if (!r.value) return std::nullopt;
      return StoredValue{*r.value, r.seq};
    }
    std::uint64_t applied_version(std::string_view key, std::string_view origin) override {
      return row(key).applied.get(origin);
    }
    void put(std::string_view key, std::string_view value, std::uint64_t seq) override {
      detail::ServerRow& r = row(key);
      r.value = std::string(value);
      r.seq = seq;
      r.dirty = true;
    }
    void set_applied(std::string_view key, std::string_view origin,
                     std::uint64_t version) override {
      detail::ServerRow& r = row(key);
      r.applied.set(origin, version);
      r.dirty = true;
    }
    std::uint64_t next_seq() override { return ++head_; }
    void commit() override {
      std::vector<std::pair<const std::string*, detail::ServerRow*>> dirty;
      std::vector<std::uint64_t> written;
      for (auto& [key, r] : rows_) {
        if (!r.dirty) continue;
        if (!r.value) {
          throw std::logic_error("SqliteServerStore: a version applied to a key with no value");
        }
        r.applied_bytes = detail::encode_applied(r.applied);
        dirty.emplace_back(&key, &r);
        written.push_back(r.hashed ? r.key_hash : detail::key_hash(key));
      }
      detail::for_row_chunks(
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
      if (!written.empty()) {
        const std::uint64_t n = s_.commits_.load(std::memory_order_relaxed) + 1;
        s_.recent_.record(n, std::move(written));
        s_.commits_.store(n, std::memory_order_release);  // after COMMIT: see read_ahead()
      }
    }

   private:
    void bind_row(const detail::SqliteStatement& st, std::size_t base, const std::string& key,
                  const detail::ServerRow& r) {
      const int b = static_cast<int>(base);
      s_.db_.bind(st, b + 1, key);
      s_.db_.bind(st, b + 2, *r.value);
      s_.db_.bind(st, b + 3, r.seq);
      s_.db_.bind(st, b + 4, r.applied_bytes);
    }

    // The core asks about one key several times in a row: the last row found is kept at hand.
    detail::ServerRow& row(std::string_view key) {
      if (last_ != nullptr && last_->first == key) return last_->second;
      if (auto it = rows_.find(key); it != rows_.end()) {
        last_ = &*it;
        return it->second;
      }
      auto& st = s_.row_;
      detail::SqliteStatement::Use use{st.get()};
      s_.db_.bind(st, 1, key);
      const int rc = sqlite3_step(st.get());
      if (rc == SQLITE_ROW) {
        last_ = &detail::read_server_row(st.get(), rows_);
      } else {
        s_.db_.check_done(rc, "read");
        last_ = &*rows_.try_emplace(std::string(key)).first;
      }
      return last_->second;
    }

    SqliteServerStore& s_;
    std::unique_lock<std::mutex> lock_;
    std::uint64_t head_;
    detail::ServerRows rows_;
    detail::ServerRows::value_type* last_ = nullptr;
    bool done_ = false;
  };

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
  mutable detail::SqliteStatement meta_get_, meta_put_, row_, begin_, commit_, rollback_;
  detail::RowLadder read_rows_, write_rows_;
  mutable Statements writer_reads_;
  std::atomic<std::uint64_t> commits_{0};  // commits that wrote rows
  detail::RecentWrites recent_;            // guarded by mutex_
  SqliteServerStoreStats stats_;           // guarded by mutex_
  mutable std::optional<Reader> reader_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
