// rxsync/sync/server_store.hpp - where a sync server keeps its state: the backend interface and
// the in-memory backend.
//
// A server's state is, per key, the merged value and the sequence number of its last change;
// per (key, origin), the highest version applied; and the head (the last sequence number
// handed out). ServerCore reads and writes it through ServerStore, one transaction per push.
// Backends: MemoryServerStore (here: tests, SimNetwork), SqliteServerStore (rxsync::sqlite) and,
// later, PostgreSQL. A runtime interface rather than a template parameter: a server picks its
// backend from the command line, and the network layer above is compiled once for all of them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct StoredValue {
  std::string value;
  std::uint64_t seq = 0;
};

struct StoredChange {
  std::string key;
  std::string value;
  std::uint64_t seq = 0;

  friend bool operator==(const StoredChange&, const StoredChange&) = default;
};

// What a backend read for a push before its transaction began (ServerStore::read_ahead): opaque
// to everyone but the backend that made it.
class ServerReadAhead {
 public:
  virtual ~ServerReadAhead() = default;
};

// The writes of one push, all or nothing. Reads see the transaction's own writes. Destroying a
// transaction that was not committed rolls it back. Used by one thread at a time.
class ServerTransaction {
 public:
  virtual ~ServerTransaction() = default;
  // A hint: these keys are about to be read (a push's keys). A backend may read them in bulk.
  virtual void prefetch(std::span<const std::string_view> keys) { (void)keys; }
  // The same, with what this store's read_ahead() returned for them. The backend keeps only
  // what no commit since has changed and reads the rest; a read-ahead it does not recognise (or
  // null) is ignored.
  virtual void prefetch_with(std::unique_ptr<ServerReadAhead> ahead,
                             std::span<const std::string_view> keys) {
    (void)ahead;
    prefetch(keys);
  }
  virtual std::optional<StoredValue> get(std::string_view key) = 0;
  // The highest version applied for (key, origin); 0 when none.
  virtual std::uint64_t applied_version(std::string_view key, std::string_view origin) = 0;
  virtual void put(std::string_view key, std::string_view value, std::uint64_t seq) = 0;
  virtual void set_applied(std::string_view key, std::string_view origin,
                           std::uint64_t version) = 0;
  // The next sequence number (head + 1 at the first call, then one more per call). Numbers are
  // handed out in commit order: a backend shared by several servers takes a lock here that it
  // holds until commit, so no reader can see a later number before an earlier one commits.
  virtual std::uint64_t next_seq() = 0;
  // Durable when it returns (unless the backend was opened in a relaxed mode, which says so).
  virtual void commit() = 0;
};

class ServerStore {
 public:
  virtual ~ServerStore() = default;
  // A random non-zero id fixed when the store is created: cursors carry it, so a client whose
  // cursor came from another store (replaced, or restored from a backup) is told to start over.
  virtual std::uint64_t epoch() const = 0;
  // The last committed sequence number (0: nothing yet).
  virtual std::uint64_t head() const = 0;
  virtual std::unique_ptr<ServerTransaction> begin() = 0;
  // Whether read_ahead() does anything. Pushes are serialized, and reading a push's rows is part
  // of the work; a backend that can read them beforehand, concurrently with other pushes (on
  // another connection), takes that part off the serialized path.
  virtual bool reads_ahead() const { return false; }
  // Reads what a push of these keys will need from committed state, for prefetch_with(). Safe to
  // call from any thread at any time, also while a transaction runs. May return null.
  virtual std::unique_ptr<ServerReadAhead> read_ahead(std::span<const std::string_view> keys) {
    (void)keys;
    return nullptr;
  }
  // Up to `limit` keys whose sequence number is greater than `after`, by sequence number, read
  // from committed state.
  virtual std::vector<StoredChange> changes_after(std::uint64_t after, std::size_t limit) const = 0;
  virtual std::optional<std::string> value(std::string_view key) const = 0;
  // Every key and value, in ascending unsigned-byte order of keys (for the digest).
  virtual void for_each(
      const std::function<void(std::string_view, std::string_view)>& visit) const = 0;
};

namespace detail {
inline std::uint64_t random_epoch() {
  std::random_device rd;
  std::uint64_t e = 0;
  while (e == 0) e = (std::uint64_t{rd()} << 32) ^ rd();
  return e;
}

// MemoryServerStore's members, in a class template so that their bodies (and the map
// instantiations they need) are compiled only in a program that uses the store, not in every
// one that includes this header.
template <class = void>
class MemoryServerStoreImpl : public ServerStore {
 public:
  explicit MemoryServerStoreImpl(std::uint64_t epoch = random_epoch()) : epoch_(epoch) {
    if (epoch == 0) throw std::invalid_argument("MemoryServerStore: epoch must not be 0");
  }

  std::uint64_t epoch() const override { return epoch_; }
  std::uint64_t head() const override {
    std::lock_guard lock(mutex_);
    return head_;
  }

  std::unique_ptr<ServerTransaction> begin() override { return std::make_unique<Tx>(*this); }

  std::vector<StoredChange> changes_after(std::uint64_t after, std::size_t limit) const override {
    std::lock_guard lock(mutex_);
    std::vector<StoredChange> out;
    for (auto it = by_seq_.upper_bound(after); it != by_seq_.end() && out.size() < limit; ++it) {
      out.push_back({it->second, values_.at(it->second).value, it->first});
    }
    return out;
  }
  std::optional<std::string> value(std::string_view key) const override {
    std::lock_guard lock(mutex_);
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second.value;
  }
  void for_each(
      const std::function<void(std::string_view, std::string_view)>& visit) const override {
    std::lock_guard lock(mutex_);
    for (const auto& [key, stored] : values_) visit(key, stored.value);
  }

 private:
  // Writes go to a private copy of what they touch and are published by commit().
  class Tx final : public ServerTransaction {
   public:
    explicit Tx(MemoryServerStoreImpl& s) : store_(s), lock_(s.tx_mutex_), head_(s.head()) {}

    std::optional<StoredValue> get(std::string_view key) override {
      if (auto it = values_.find(key); it != values_.end()) return it->second;
      std::lock_guard lock(store_.mutex_);
      if (auto it = store_.values_.find(key); it != store_.values_.end()) return it->second;
      return std::nullopt;
    }
    std::uint64_t applied_version(std::string_view key, std::string_view origin) override {
      const auto id = applied_id(key, origin);
      if (auto it = applied_.find(id); it != applied_.end()) return it->second;
      std::lock_guard lock(store_.mutex_);
      auto it = store_.applied_.find(id);
      return it == store_.applied_.end() ? 0 : it->second;
    }
    void put(std::string_view key, std::string_view value, std::uint64_t seq) override {
      values_.insert_or_assign(std::string(key), StoredValue{std::string(value), seq});
    }
    void set_applied(std::string_view key, std::string_view origin,
                     std::uint64_t version) override {
      applied_.insert_or_assign(applied_id(key, origin), version);
    }
    std::uint64_t next_seq() override { return ++head_; }
    void commit() override {
      std::lock_guard lock(store_.mutex_);
      for (auto& [key, v] : values_) {
        auto it = store_.values_.find(key);
        if (it != store_.values_.end()) {
          store_.by_seq_.erase(it->second.seq);
          it->second = std::move(v);
        } else {
          it = store_.values_.emplace(key, std::move(v)).first;
        }
        store_.by_seq_.insert_or_assign(it->second.seq, key);
      }
      for (auto& [id, version] : applied_) store_.applied_.insert_or_assign(id, version);
      store_.head_ = head_;
      values_.clear();
      applied_.clear();
    }

   private:
    // Length-prefixed so that no (key, origin) pair can collide with another.
    static std::string applied_id(std::string_view key, std::string_view origin) {
      std::string id = std::to_string(key.size());
      id += ':';
      id += key;
      id += origin;
      return id;
    }

    MemoryServerStoreImpl& store_;
    std::unique_lock<std::mutex> lock_;
    std::uint64_t head_;
    std::map<std::string, StoredValue, std::less<>> values_;
    std::map<std::string, std::uint64_t, std::less<>> applied_;
  };

  const std::uint64_t epoch_;
  std::mutex tx_mutex_;  // one transaction at a time
  mutable std::mutex mutex_;
  std::map<std::string, StoredValue, std::less<>> values_;
  std::map<std::uint64_t, std::string> by_seq_;
  std::map<std::string, std::uint64_t, std::less<>> applied_;
  std::uint64_t head_ = 0;
};

}  // namespace detail

// The state in memory: for tests and SimNetwork, and for a server that may lose everything on
// restart (its clients then see a new epoch and push their state again). Thread-safe: one mutex;
// a transaction holds it from begin() to commit or destruction, so transactions run one at a time.
class MemoryServerStore final : public detail::MemoryServerStoreImpl<> {
 public:
  using MemoryServerStoreImpl::MemoryServerStoreImpl;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
