// rxsync/sync/server_core.hpp - the logic of a sync server: apply, merge, sequence, pull.
//
// Every server runs this code, the in-memory SimNetwork included, so simulation tests exercise
// the real server logic. It works on encoded bytes (keys and values as the clients' codec wrote
// them) with a ValueMerger that decodes, merges and re-encodes: the network layer above needs no
// template parameter. Thread-safe: pushes are serialized (one transaction at a time, so commit
// order is sequence order), pulls read committed state concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/sync/digest.hpp>
#include <rxsync/sync/server_store.hpp>
#include <rxsync/sync/sync_types.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// One pushed change, encoded. (key, origin, version) identifies it; `encoding` 0 is a whole
// value (other encodings are reserved for deltas and rejected by this version).
struct ServerChange {
  std::string key;
  std::string value;
  std::string origin;
  std::uint64_t version = 0;
  std::uint8_t encoding = 0;
};

struct ServerOutcome {
  ItemOutcome kind = ItemOutcome::ok;
  std::string reason;  // why, for reject and retry

  friend bool operator==(const ServerOutcome&, const ServerOutcome&) = default;
};

// A page of a pull: keys changed after the cursor (each with its current value, in sequence
// order), the cursor to continue from, whether more pages follow, and whether the client's
// cursor was refused (another epoch, or ahead of this store) so the page starts from scratch.
struct ServerPage {
  std::vector<std::pair<std::string, std::string>> changes;
  std::uint64_t cursor = 0;
  bool more = false;
  bool reset = false;
};

struct ServerCoreStats {
  std::uint64_t pushes = 0;
  std::uint64_t changes_applied = 0;   // merged into the state (whether or not it changed)
  std::uint64_t duplicates = 0;        // (key, origin) already at this version or newer
  std::uint64_t rejected = 0;          // undecodable values, unknown encodings
  std::uint64_t conflicts_merged = 0;  // the merge differed from both the state and the change
  std::uint64_t pulls = 0;
  std::uint64_t resets = 0;         // pulls whose cursor belonged to another epoch
  std::uint64_t push_failures = 0;  // transactions that threw (every change answered retry)
};

// Decodes the stored and the incoming value, merges them, and encodes the result. Throws for a
// value that does not decode (the change is rejected).
using ValueMerger = std::function<std::string(std::string_view current, std::string_view incoming)>;

// Also checks that a value decodes: the server refuses what its clients could not read.
using ValueValidator = std::function<void(std::string_view value)>;

// The merger of a typed value, as a server for `Value` needs it.
template <class Value, class Merge = CrdtMerge, class Codec = DefaultCodec>
ValueMerger typed_merger(Merge merge = {}) {
  static_assert(
      MergePolicy<Merge, Value>,
      "rxsync: typed_merger's Merge must be callable as Value(const Value&, const Value&)");
  return [merge = std::move(merge)](std::string_view current, std::string_view incoming) {
    const Value a = Codec::decode(current, static_cast<Value*>(nullptr));
    const Value b = Codec::decode(incoming, static_cast<Value*>(nullptr));
    return Codec::encode(static_cast<Value>(merge(a, b)));
  };
}
template <class Value, class Codec = DefaultCodec>
ValueValidator typed_validator() {
  return [](std::string_view v) { (void)Codec::decode(v, static_cast<Value*>(nullptr)); };
}

struct ServerCoreOptions {
  std::size_t default_page = 1000;  // changes per pull page when the client asks for 0
  std::size_t max_page = 10000;     // cap on what a client may ask for
};

// Cursors are opaque to clients: the high 20 bits tag the store's epoch, the low 44 bits are
// the sequence number (17.6 trillion changes). 0 means "from the beginning".
namespace detail {
inline constexpr unsigned kCursorSeqBits = 44;
inline constexpr std::uint64_t kCursorSeqMask = (std::uint64_t{1} << kCursorSeqBits) - 1;
inline std::uint64_t epoch_tag(std::uint64_t epoch) noexcept {
  return epoch % ((std::uint64_t{1} << (64 - kCursorSeqBits)) - 1) + 1;  // never 0
}

// ServerCore's members, in a class template so that their bodies (and the map, function and
// store instantiations they need) are compiled only in a program that runs a server, not in
// every one that includes the umbrella header.
template <class = void>
class ServerCoreImpl {
 public:
  ServerCoreImpl(ServerStore& store, ValueMerger merge, ValueValidator validate = nullptr,
                 ServerCoreOptions options = {})
      : store_(store),
        merge_(std::move(merge)),
        validate_(std::move(validate)),
        options_(checked(options)),
        tag_(detail::epoch_tag(store.epoch())) {
    if (!merge_) throw std::invalid_argument("ServerCore: the ValueMerger must not be empty");
  }
  ServerCoreImpl(const ServerCoreImpl&) = delete;
  ServerCoreImpl& operator=(const ServerCoreImpl&) = delete;

  // Whether read_ahead() helps with this store (see ServerStore::reads_ahead).
  bool reads_ahead() const { return store_.reads_ahead(); }

  // The first half of a push, safe to run on any thread concurrently with other pushes: reads
  // what the push will need from committed state. Hand the result to push(). Null when the
  // store does not read ahead, or failed to (the push then reads for itself).
  std::unique_ptr<ServerReadAhead> read_ahead(std::span<const ServerChange> changes) {
    if (!store_.reads_ahead()) return nullptr;
    try {
      return store_.read_ahead(keys_of(changes));
    } catch (const std::exception&) {
      return nullptr;  // only a head start: the transaction reads again, and reports failures
    }
  }

  // Applies one push in one transaction and answers one outcome per change, in order. A change
  // already applied (same or newer version from that origin) is a duplicate: ok, no effect. A
  // value that does not decode, or an unknown encoding, is rejected. If the store fails, nothing
  // of the push is kept and every change is answered retry. `ahead`: what read_ahead() returned
  // for these changes, which saves the serialized part of the push its reads.
  std::vector<ServerOutcome> push(std::span<const ServerChange> changes,
                                  std::unique_ptr<ServerReadAhead> ahead = nullptr) {
    std::vector<ServerOutcome> out;
    out.reserve(changes.size());
    ServerCoreStats delta;
    delta.pushes = 1;
    bool state_changed = false;
    std::uint64_t head = 0;
    {
      std::lock_guard lock(push_mutex_);
      try {
        {
          auto tx = store_.begin();  // a backend may hold its lock until the tx is gone
          const std::vector<std::string_view> keys = keys_of(changes);
          if (ahead) {
            tx->prefetch_with(std::move(ahead), keys);
          } else {
            tx->prefetch(keys);
          }
          for (const ServerChange& c : changes) out.push_back(apply(*tx, c, delta, state_changed));
          tx->commit();
        }
        head = store_.head();
      } catch (const std::exception& e) {
        out.assign(changes.size(),
                   ServerOutcome{ItemOutcome::retry, std::string("server storage: ") + e.what()});
        delta = ServerCoreStats{};
        delta.pushes = 1;
        delta.push_failures = 1;
        state_changed = false;
      }
    }
    add_stats(delta);
    if (state_changed) notify(cursor_of(head));
    return out;
  }

  // Keys changed after `cursor`, up to `limit` (0: the default page size), from committed state.
  ServerPage pull(std::uint64_t cursor, std::size_t limit = 0) const {
    ServerPage page;
    std::uint64_t after = 0;
    if (cursor != 0) {
      const std::uint64_t seq = cursor & detail::kCursorSeqMask;
      if ((cursor >> detail::kCursorSeqBits) != tag_ || seq > store_.head()) {
        page.reset = true;  // another store's cursor, or one from before a restore
      } else {
        after = seq;
      }
    }
    const std::size_t n = limit == 0 ? options_.default_page : std::min(limit, options_.max_page);
    // One more than asked for tells whether another page follows.
    std::vector<StoredChange> rows = store_.changes_after(after, n + 1);
    page.more = rows.size() > n;
    if (page.more) rows.resize(n);
    std::uint64_t last = after;
    for (StoredChange& r : rows) {
      last = r.seq;
      page.changes.emplace_back(std::move(r.key), std::move(r.value));
    }
    page.cursor = cursor_of(last);
    {
      std::lock_guard lock(stats_mutex_);
      ++stats_.pulls;
      stats_.resets += page.reset ? 1 : 0;
    }
    return page;
  }

  std::uint64_t head_cursor() const { return cursor_of(store_.head()); }
  std::uint64_t epoch() const { return store_.epoch(); }
  std::optional<std::string> value(std::string_view key) const { return store_.value(key); }

  // "digest: <hex>" of the committed state (the same line every converged replica prints).
  std::string digest_line() const {
    StateDigest d;
    store_.for_each([&](std::string_view k, std::string_view v) { d.add(k, v); });
    return d.digest_line();
  }

  // `on_commit(head_cursor)` after every push that changed the state, outside the core's locks
  // (pokes, waking long polls). Returns an id for remove_listener. Thread-safe.
  std::uint64_t add_listener(std::function<void(std::uint64_t)> on_commit) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.emplace(++next_listener_, std::make_shared<Listener>(std::move(on_commit)));
    return next_listener_;
  }
  void remove_listener(std::uint64_t id) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.erase(id);
  }

  ServerCoreStats stats() const {
    std::lock_guard lock(stats_mutex_);
    return stats_;
  }
  ServerStore& store() noexcept { return store_; }

 private:
  using Listener = std::function<void(std::uint64_t)>;

  static ServerCoreOptions checked(ServerCoreOptions o) {
    if (o.default_page == 0)
      throw std::invalid_argument("ServerCoreOptions.default_page must be >= 1, got 0");
    if (o.max_page < o.default_page) {
      throw std::invalid_argument("ServerCoreOptions.max_page must be >= default_page (" +
                                  std::to_string(o.default_page) + "), got " +
                                  std::to_string(o.max_page));
    }
    return o;
  }

  static std::vector<std::string_view> keys_of(std::span<const ServerChange> changes) {
    std::vector<std::string_view> keys;
    keys.reserve(changes.size());
    for (const ServerChange& c : changes) keys.push_back(c.key);
    return keys;
  }

  std::uint64_t cursor_of(std::uint64_t seq) const noexcept {
    return (tag_ << detail::kCursorSeqBits) | (seq & detail::kCursorSeqMask);
  }

  ServerOutcome apply(ServerTransaction& tx, const ServerChange& c, ServerCoreStats& delta,
                      bool& state_changed) {
    if (c.encoding != 0) {
      ++delta.rejected;
      return {ItemOutcome::reject, "unsupported change encoding " + std::to_string(c.encoding) +
                                       " (this server reads 0)"};
    }
    if (tx.applied_version(c.key, c.origin) >= c.version) {
      ++delta.duplicates;  // a duplicate or a stale copy: acknowledged, no effect
      return {};
    }
    std::optional<StoredValue> current = tx.get(c.key);
    std::string merged;
    try {
      if (current) {
        merged = merge_(current->value, c.value);
      } else if (validate_) {
        validate_(c.value);
      }
    } catch (const std::exception& e) {
      ++delta.rejected;
      return {ItemOutcome::reject, std::string("value does not decode: ") + e.what()};
    }
    tx.set_applied(c.key, c.origin, c.version);
    ++delta.changes_applied;
    if (!current) {
      tx.put(c.key, c.value, tx.next_seq());  // a new key: the value as pushed, not copied
      state_changed = true;
    } else if (merged != current->value) {
      if (merged != c.value) ++delta.conflicts_merged;
      tx.put(c.key, merged, tx.next_seq());
      state_changed = true;
    }
    return {};
  }

  void add_stats(const ServerCoreStats& d) {
    std::lock_guard lock(stats_mutex_);
    stats_.pushes += d.pushes;
    stats_.changes_applied += d.changes_applied;
    stats_.duplicates += d.duplicates;
    stats_.rejected += d.rejected;
    stats_.conflicts_merged += d.conflicts_merged;
    stats_.push_failures += d.push_failures;
  }

  void notify(std::uint64_t head) {
    std::vector<std::shared_ptr<Listener>> listeners;
    {
      std::lock_guard lock(listeners_mutex_);
      for (auto& [id, l] : listeners_) listeners.push_back(l);
    }
    for (auto& l : listeners) (*l)(head);
  }

  ServerStore& store_;
  ValueMerger merge_;
  ValueValidator validate_;
  const ServerCoreOptions options_;
  const std::uint64_t tag_;
  std::mutex push_mutex_;
  mutable std::mutex stats_mutex_;
  mutable ServerCoreStats stats_;  // pulls count from const pull()
  std::mutex listeners_mutex_;
  std::map<std::uint64_t, std::shared_ptr<Listener>> listeners_;
  std::uint64_t next_listener_ = 0;
};
}  // namespace detail

// The server logic (see the top of this file). Thread-safe: pushes are serialized, pulls read
// committed state concurrently.
class ServerCore : public detail::ServerCoreImpl<> {
 public:
  using ServerCoreImpl::ServerCoreImpl;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
