// rxsync/sync/optimistic.hpp - optimistic updates: show the new value at once, persist it in
// the background, confirm on success or roll back (and say so on rollbacks()) on failure.
//
// Public calls are thread-safe (one mutex). `update` functions run under that mutex and must
// not call back into the object; persist, rollback observers and when_idle callbacks run
// without it, on the thread that called apply() or the persist's `done`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/fwd/sync/optimistic.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class Key, class Value>
struct Rollback {
  Key key;
  Value original;   // the confirmed value the failed update was applied to
  Value attempted;  // what the failed update tried to persist
  std::string error;
  Value current;  // the key's value now: `original` with any later pending updates re-applied
};

struct OptimisticStats {
  std::uint64_t applied = 0;
  std::uint64_t confirmed = 0;
  std::uint64_t rolled_back = 0;
  std::uint64_t ignored_replies = 0;  // a second `done` for the same update
};

// Shows edits at once and undoes the ones the backend refuses. Public calls are thread-safe;
// callbacks run on the thread of apply() or of the persist's `done` (see the file comment).
// Overlap rule: per key, persists run one at a time in apply order, each with the value its
// update produces on top of the confirmed value. A failure restores the confirmed value and
// re-applies (rebases) the later pending updates on it, so their effects survive; an update
// that throws while being rebased is rolled back too. See docs/client.md.
// Default template arguments: in <rxsync/fwd/sync/optimistic.hpp>.
template <class Key, class Value, class Hash>
class OptimisticUpdates {
  static_assert(std::is_copy_constructible_v<Value>,
                "rxsync: OptimisticUpdates needs a copyable Value (it keeps the original to "
                "roll back to)");

 public:
  using UpdateFn = std::function<Value(const Value&)>;
  // done(true, "") when stored, done(false, reason) when not. Call it once, from any thread.
  using DoneFn = std::function<void(bool ok, std::string error)>;
  using PersistFn = std::function<void(const Value& optimistic, DoneFn done)>;
  using RollbackEvent = Rollback<Key, Value>;

  OptimisticUpdates() : core_(std::make_shared<Core>()) {}
  OptimisticUpdates(const OptimisticUpdates&) = delete;
  OptimisticUpdates& operator=(const OptimisticUpdates&) = delete;

  // Returns update(v) at once, where v is `current` when no update of `key` is pending and the
  // key's optimistic value otherwise (so overlapping updates compose). An exception from
  // `update` propagates and nothing is recorded. Persisting starts now if no earlier update of
  // the key is in flight, else after it settles.
  Value apply(const Key& key, const Value& current, UpdateFn update, PersistFn persist) {
    if (!update || !persist) {
      throw std::invalid_argument("OptimisticUpdates::apply: update and persist must not be empty");
    }
    return core_->apply(key, current, std::move(update), std::move(persist));
  }

  // The optimistic value while an update of `key` is pending; nullopt when none is.
  std::optional<Value> value(const Key& key) const { return core_->value(key); }
  bool has_pending() const { return pending_count() > 0; }
  std::size_t pending_count() const { return core_->pending_count(); }
  std::size_t pending_count(const Key& key) const { return core_->pending_count(key); }
  OptimisticStats stats() const { return core_->stats_snapshot(); }

  // Calls `callback` once no update is pending: now if none is, else when the last settles.
  void when_idle(std::function<void()> callback) {
    if (!callback) throw std::invalid_argument("OptimisticUpdates::when_idle: callback is empty");
    core_->when_idle(std::move(callback));
  }

  // Each rolled-back update. Not replayed: subscribe before applying (stats() counts them all).
  Observable<RollbackEvent> rollbacks() const { return core_->subject.as_observable(); }

 private:
  struct Update {
    std::uint64_t id;
    UpdateFn fn;
    PersistFn persist;
    Value attempted;
  };
  struct Entry {
    Value confirmed;           // before the oldest pending update
    Value optimistic;          // every pending update applied, in order
    std::deque<Update> queue;  // pending; the front one is being persisted
  };
  struct Launch {
    Key key;
    std::uint64_t id;
    Value value;
    PersistFn persist;
  };

  struct Core : std::enable_shared_from_this<Core> {
    Value apply(const Key& key, const Value& current, UpdateFn fn, PersistFn persist) {
      std::optional<Launch> launch;
      std::optional<Value> result;
      {
        std::lock_guard lock(mutex);
        auto found = entries.find(key);
        const Value& base = found != entries.end() ? found->second.optimistic : current;
        result.emplace(fn(base));  // may throw: nothing recorded yet
        if (found == entries.end()) found = entries.emplace(key, Entry{current, current, {}}).first;
        Entry& e = found->second;
        const std::uint64_t id = ++next_id;
        e.optimistic = *result;
        e.queue.push_back(Update{id, std::move(fn), persist, *result});
        ++pending;
        ++stats.applied;
        if (e.queue.size() == 1) launch.emplace(Launch{key, id, *result, std::move(persist)});
      }
      if (launch) run(std::move(*launch));
      return std::move(*result);
    }

    void run(Launch l) {
      auto done = [weak = this->weak_from_this(), key = l.key, id = l.id](bool ok,
                                                                          std::string err) {
        if (auto self = weak.lock()) self->settle(key, id, ok, std::move(err));
      };
      try {
        l.persist(l.value, std::move(done));
      } catch (...) {
        settle(l.key, l.id, false, exception_text("persist threw: "));
      }
    }

    void settle(const Key& key, std::uint64_t id, bool ok, std::string error) {
      std::vector<RollbackEvent> events;
      std::optional<Launch> next;
      std::vector<std::function<void()>> idle;
      {
        std::lock_guard lock(mutex);
        auto it = entries.find(key);
        if (it == entries.end() || it->second.queue.empty() || it->second.queue.front().id != id) {
          ++stats.ignored_replies;
          return;
        }
        Entry& e = it->second;
        Update u = std::move(e.queue.front());
        e.queue.pop_front();
        --pending;
        if (ok) {
          ++stats.confirmed;
          e.confirmed = u.attempted;
        } else {
          events.push_back(RollbackEvent{key, e.confirmed, std::move(u.attempted), std::move(error),
                                         e.confirmed});
          rebase_locked(key, e, events);
        }
        if (e.queue.empty()) {
          entries.erase(it);
        } else {
          const Update& front = e.queue.front();
          next.emplace(Launch{key, front.id, front.attempted, front.persist});
        }
        if (pending == 0) idle.swap(idle_callbacks);
      }
      for (const auto& ev : events) subject.on_next(ev);
      if (next) run(std::move(*next));
      for (auto& cb : idle) cb();
    }

    // After a rollback: re-applies the later updates on the confirmed value. events[0] is the
    // rollback that caused it; its `current` becomes the rebased value.
    void rebase_locked(const Key& key, Entry& e, std::vector<RollbackEvent>& events) {
      Value v = e.confirmed;
      for (auto it = e.queue.begin(); it != e.queue.end();) {
        try {
          it->attempted = it->fn(v);
          v = it->attempted;
          ++it;
        } catch (...) {
          events.push_back(RollbackEvent{key, v, it->attempted,
                                         exception_text("update threw while rebased: "), v});
          it = e.queue.erase(it);
          --pending;
        }
      }
      e.optimistic = v;
      stats.rolled_back += events.size();
      for (auto& ev : events) ev.current = v;
    }

    static std::string exception_text(const std::string& prefix) {
      try {
        throw;
      } catch (const std::exception& ex) {
        return prefix + ex.what();
      } catch (...) {
        return prefix + "a non-standard exception";
      }
    }

    std::optional<Value> value(const Key& key) const {
      std::lock_guard lock(mutex);
      auto it = entries.find(key);
      if (it == entries.end()) return std::nullopt;
      return it->second.optimistic;
    }
    std::size_t pending_count() const {
      std::lock_guard lock(mutex);
      return pending;
    }
    std::size_t pending_count(const Key& key) const {
      std::lock_guard lock(mutex);
      auto it = entries.find(key);
      return it == entries.end() ? 0 : it->second.queue.size();
    }
    OptimisticStats stats_snapshot() const {
      std::lock_guard lock(mutex);
      return stats;
    }
    void when_idle(std::function<void()> cb) {
      {
        std::lock_guard lock(mutex);
        if (pending > 0) {
          idle_callbacks.push_back(std::move(cb));
          return;
        }
      }
      cb();
    }

    mutable std::mutex mutex;
    std::unordered_map<Key, Entry, Hash> entries;
    std::size_t pending = 0;
    std::uint64_t next_id = 0;
    std::vector<std::function<void()>> idle_callbacks;
    OptimisticStats stats;
    PublishSubject<RollbackEvent, Synchronized> subject;
  };

  std::shared_ptr<Core> core_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
