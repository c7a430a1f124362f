// rxsync/sync/detail/sync_core.hpp - the state machine behind SyncService (internal).
//
// Owns the local state, the outbox, the push orchestrator, the poller and the sweeper, and
// turns their events into per-key status. Shared (enable_shared_from_this) so that callbacks
// still queued on the scheduler after the service is gone find it expired and do nothing.
// Thread-safety: one mutex for the local state and bookkeeping, never held while observers or
// the transport run; the outbox and the orchestrator have their own locks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/core/detail/callback_gate.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/set_subject.hpp>
#include <rxsync/storage/serialized_storage.hpp>
#include <rxsync/sync/adaptive_poller.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>
#include <rxsync/sync/detail/sync_pull.hpp>
#include <rxsync/sync/outbox.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>
#include <rxsync/sync/sync_status.hpp>
#include <rxsync/sync/sync_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// The newest change of a key replaces the queued one: it carries the full merged local state.
struct LatestChange {
  template <class V>
  void operator()(Change<V>& existing, Change<V>&& incoming) const {
    if (incoming.version >= existing.version) existing = std::move(incoming);
  }
};

template <class Key, class Value, class Transport, class Store, class Sched, class Merge,
          class Codec, class Hash>
class SyncCore : public std::enable_shared_from_this<
                     SyncCore<Key, Value, Transport, Store, Sched, Merge, Codec, Hash>> {
  using Orchestrator = BatchOrchestrator<Key, Change<Value>, Transport, Sched, LatestChange, Hash>;
  // The service (on the caller's thread) and its outbox (on the scheduler's) share the store.
  using SharedStore = SerializedStorage<Store>;
  using OutboxT = Outbox<Key, Value, SharedStore, Codec, Hash>;
  using Record = typename OutboxT::Record;
  using Sweeper = OutboxSweeper<OutboxT, Sched>;
  using Failure = FailedEdit<Key, Value>;
  template <class T>
  using Subject = BehaviorSubject<T, Synchronized>;

 public:
  SyncCore(Sched& s, Transport& t, Store& st, SyncServiceOptions o, Merge m)
      : sched_(s),
        transport_(t),
        storage_(st),
        options_(std::move(o)),
        merge_(std::move(m)),
        outbox_(storage_, s, OutboxOptions{options_.prefix + "outbox/"}),
        orch_(s, t, options_.batch),
        poller_(s, options_.poller),
        sweeper_(
            outbox_, s,
            [this](const Record& r) {
              detail::CallbackGate::Pass pass(gate_);  // the sweeper's own gate keeps `this`
              if (pass) reoffer(r);
            },
            options_.sweeper) {}

  void init() {
    load_local_state();
    // Unsynced edits recovered from storage are pending (or failed) from the start, not only
    // once start() re-queues them: status() and pending() must not hide them meanwhile.
    for (const auto& rec : outbox_.pending()) {
      set_status(rec.key,
                 SyncStatus{rec.failed ? SyncState::failed : SyncState::pending,
                            last_synced(rec.key), rec.attempts, rec.last_error, rec.version});
      pending_.add(rec.key);
    }
    auto weak = this->weak_from_this();
    keep(orch_.events().subscribe([weak](const auto& e) {
      if (auto self = weak.lock())
        if (detail::CallbackGate::Pass p(self->gate_); p) self->on_event(e);
    }));
    keep(sweeper_.failures().subscribe([weak](const Record& r) {
      if (auto self = weak.lock())
        if (detail::CallbackGate::Pass p(self->gate_); p)
          self->set_status(r.key, SyncStatus{SyncState::failed, self->last_synced(r.key),
                                             r.attempts, r.last_error, r.version});
    }));
    if constexpr (ReportsConnectivity<Transport>) {
      follow_online(transport_.connectivity());
    }
    if constexpr (ReportsPokes<Transport>) {
      keep(transport_.pokes().subscribe([weak](std::uint64_t) {
        if (auto self = weak.lock())
          if (detail::CallbackGate::Pass p(self->gate_); p) self->on_poke();
      }));
    }
  }

  void start() {
    {
      std::lock_guard lock(mutex_);
      if (started_) return;
      started_ = true;
      stopped_ = false;
    }
    for (const auto& rec : outbox_.pending()) {
      if (rec.failed) continue;  // reported as failed and pending since construction
      {
        std::lock_guard lock(mutex_);
        ++stats_.recovered;
      }
      enqueue(rec.key, rec.value, rec.version, rec.attempts, rec.last_error);
    }
    sweeper_.start();
    poller_.set_queue_depth(pending_.size());
    poller_.start_async([weak = this->weak_from_this()](std::function<void()> done) {
      if (auto self = weak.lock())
        if (detail::CallbackGate::Pass p(self->gate_); p) self->request_pull(std::move(done));
    });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      started_ = false;
    }
    poller_.stop();
    sweeper_.stop();
    orch_.flush();
  }

  // After this no callback enters the service, and those running on other threads have
  // finished (they may be calling the transport or the storage, destroyed next by the owner).
  void shutdown() {
    stop();
    std::vector<Subscription> subs;
    {
      std::lock_guard lock(mutex_);
      subs.swap(subscriptions_);
    }
    for (auto& s : subs) s.unsubscribe();
    gate_.close();
  }

  std::uint64_t queue_for_sync(const Key& key, const Value& value) {
    return commit(key, [&](const Value* current) {
      return current == nullptr ? value : merge_(*current, value);
    });
  }

  template <class F>
  std::uint64_t update(const Key& key, F&& f) {
    return commit(key, [&](const Value* current) {
      Value edited = current == nullptr ? Value{} : *current;
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Value&>>) {
        f(edited);
      } else {
        edited = f(std::as_const(edited));
      }
      return current == nullptr ? edited : merge_(*current, edited);
    });
  }

  // ---- online state and pulls ----

  void set_online(bool online) {
    {
      std::lock_guard lock(mutex_);
      if (online_now_ == online) return;
      online_now_ = online;
      if (online) ++stats_.reconnects;
    }
    online_.on_next(online);
    if (online) {
      sched_.schedule([weak = this->weak_from_this()] {
        if (auto self = weak.lock())
          if (detail::CallbackGate::Pass p(self->gate_); p) self->on_reconnect();
      });
    }
  }
  void follow_online(Observable<bool> source) {
    keep(source.subscribe([weak = this->weak_from_this()](bool up) {
      if (auto self = weak.lock())
        if (detail::CallbackGate::Pass p(self->gate_); p) self->set_online(up);
    }));
  }
  bool is_online() const {
    std::lock_guard lock(mutex_);
    return online_now_;
  }
  Observable<bool> online() const { return online_.as_observable(); }

  // `done` (may be empty) is called once a pull that started at or after this call finished.
  void request_pull(std::function<void()> done) {
    if (pulls_.request(std::move(done))) start_pull();
  }

  // ---- failed edits ----

  Observable<std::vector<Failure>> failures() const { return failures_.as_observable(); }
  std::vector<Failure> failed() const { return failures_.value(); }
  std::size_t retry_failed() {
    std::size_t n = 0;
    for (const Failure& f : failed()) n += retry_failed(f.key) ? 1U : 0U;
    return n;
  }
  bool retry_failed(const Key& key) {
    {
      std::lock_guard lock(mutex_);
      if (failed_.find(key) == failed_.end()) return false;
    }
    const std::optional<Record> rec = outbox_.get(key);
    commit(key, [&](const Value* current) -> Value {
      if (current != nullptr) return *current;
      if (rec) return rec->value;
      throw std::logic_error("SyncService::retry_failed: the key has no local value to send");
    });
    return true;
  }

  // ---- reads ----

  std::optional<Value> value(const Key& key) const {
    std::lock_guard lock(mutex_);
    auto it = local_.find(key);
    if (it == local_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::pair<Key, Value>> values() const {
    std::lock_guard lock(mutex_);
    return {local_.begin(), local_.end()};
  }
  SyncStatus status(const Key& key) const {
    std::lock_guard lock(mutex_);
    auto it = status_.find(key);
    return it == status_.end() ? SyncStatus{} : it->second.value();
  }
  Observable<SyncStatus> observe_status(const Key& key) {
    std::lock_guard lock(mutex_);
    return status_subject_locked(key).as_observable();
  }
  Observable<std::optional<Value>> observe_value(const Key& key) {
    std::lock_guard lock(mutex_);
    return value_subject_locked(key).as_observable();
  }
  SyncStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }
  const SetSubject<Key, Synchronized>& pending_set() const { return pending_; }
  Orchestrator& orchestrator() { return orch_; }
  const Orchestrator& orchestrator() const { return orch_; }
  const AdaptivePoller<Sched>& poller() const { return poller_; }
  const OutboxT& outbox() const { return outbox_; }
  const std::vector<OutboxCorruptRecord>& corrupt_values() const { return corrupt_values_; }

 private:
  // Subscribing may call back into the core at once, so the lock is taken only afterwards.
  void keep(Subscription s) {
    std::lock_guard lock(mutex_);
    subscriptions_.push_back(std::move(s));
  }

  std::string value_key(const Key& key) const {
    return options_.prefix + "v/" + Codec::encode(key);
  }
  std::string cursor_key() const { return options_.prefix + "cursor"; }

  void load_local_state() {
    const std::string prefix = options_.prefix + "v/";
    const std::string cursor = cursor_key();
    storage_.for_each([&](std::string_view k, std::string_view v) {
      try {
        if (k == cursor) {
          cursor_ = DefaultCodec::decode(v, static_cast<std::uint64_t*>(nullptr));
        } else if (k.substr(0, prefix.size()) == prefix) {
          local_.insert_or_assign(
              Codec::decode(k.substr(prefix.size()), static_cast<Key*>(nullptr)),
              Codec::decode(v, static_cast<Value*>(nullptr)));
        }
      } catch (const std::exception& e) {
        corrupt_values_.push_back({std::string(k), e.what()});
      }
    });
    // An edit whose value write failed (or was cut off by a crash) is still the latest local
    // state: its outbox record has it.
    for (const auto& rec : outbox_.pending()) {
      auto [it, inserted] = local_.try_emplace(rec.key, rec.value);
      if (!inserted && !(it->second == rec.value)) it->second = merge_(it->second, rec.value);
    }
  }

  // One local edit: `produce(current or nullptr)` gives the new local value under the lock.
  // The outbox record is written first: if that throws, the edit is refused with nothing
  // changed; once it is written the edit will be pushed whatever happens next.
  template <class Produce>
  std::uint64_t commit(const Key& key, Produce&& produce) {
    Value merged;
    std::uint64_t version = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) throw std::logic_error("SyncService: edit after stop()");
      auto it = local_.find(key);
      merged = produce(it == local_.end() ? nullptr : &it->second);
      version = outbox_.put(key, merged);
      local_.insert_or_assign(key, merged);
      ++stats_.enqueued;
      edited_since_pull_[key] = ++edit_seq_;
      write_value_locked(key, merged);
    }
    emit_value(key, merged);
    enqueue(key, merged, version, 0, {});
    poller_.record_activity();  // a user at work: pull sooner
    return version;
  }

  // A failed value write loses nothing (the outbox record holds the edit, and a restart
  // rebuilds the value from it); the key stays dirty, and its record is kept until the value
  // is written.
  void write_value_locked(const Key& key, const Value& v) {
    try {
      storage_.put(value_key(key), Codec::encode(v));
      dirty_values_.erase(key);
    } catch (const std::exception&) {
      dirty_values_.insert(key);
      ++stats_.storage_errors;
    }
  }
  void count_storage_error() {
    std::lock_guard lock(mutex_);
    ++stats_.storage_errors;
  }
  // Bookkeeping writes of push outcomes (attempt counts, failed marks) run on the scheduler: a
  // storage that refuses them must not take the scheduler down. The in-memory status is still
  // right; the record keeps its older bookkeeping and is sent again.
  template <class F>
  void record_in_outbox(F&& write) {
    try {
      write();
    } catch (const std::exception&) {
      count_storage_error();
    }
  }

  bool value_is_durable(const Key& key) {
    std::lock_guard lock(mutex_);
    if (dirty_values_.count(key) == 0) return true;
    auto it = local_.find(key);
    if (it != local_.end()) write_value_locked(key, it->second);
    return dirty_values_.count(key) == 0;
  }

  void enqueue(const Key& key, const Value& value, std::uint64_t version, std::uint32_t attempts,
               std::string error) {
    pending_.add(key);
    poller_.set_queue_depth(pending_.size());
    set_status(
        key, SyncStatus{SyncState::pending, last_synced(key), attempts, std::move(error), version});
    orch_.enqueue(key, Change<Value>{value, version, options_.origin});
  }

  // The sweeper's offer: queue the record again, unless the orchestrator still holds the key.
  // It then has this version or a newer one queued, in flight or waiting to retry; a second
  // copy would only be sent again after the ack and leave the status at syncing.
  void reoffer(const Record& rec) {
    if (orch_.holds(rec.key)) return;
    enqueue(rec.key, rec.value, rec.version, rec.attempts, rec.last_error);
  }

  void on_reconnect() {
    orch_.retry_now();
    for (const Record& rec : outbox_.pending()) {
      if (!rec.failed) reoffer(rec);
    }
    orch_.flush();
    request_pull(nullptr);
  }

  void on_poke() {
    {
      std::lock_guard lock(mutex_);
      ++stats_.pokes;
    }
    sched_.schedule([weak = this->weak_from_this()] {
      if (auto self = weak.lock())
        if (detail::CallbackGate::Pass p(self->gate_); p) self->request_pull(nullptr);
    });
  }

  void on_event(const typename Orchestrator::Event& e);  // below: status from push progress

  void start_pull() {
    std::uint64_t cursor = 0;
    std::uint64_t edits = 0;
    {
      std::lock_guard lock(mutex_);
      cursor = cursor_;
      edits = edit_seq_;
    }
    auto weak = this->weak_from_this();
    auto answer = [weak, edits](PullResult<Key, Value> result) {
      auto self = weak.lock();
      if (!self) return;
      self->sched_.schedule([weak, edits, result = std::move(result)]() mutable {
        if (auto s = weak.lock())
          if (detail::CallbackGate::Pass p(s->gate_); p) s->finish_pull(std::move(result), edits);
      });
    };
    try {
      transport_.pull(cursor, answer);
    } catch (const std::exception& e) {
      PullResult<Key, Value> failed;
      failed.ok = false;
      failed.error = e.what();
      failed.cursor = cursor;
      answer(std::move(failed));
    }
  }

  void finish_pull(PullResult<Key, Value> result, std::uint64_t edits_at_send) {
    const bool more = apply_pull(std::move(result), edits_at_send);
    if (pulls_.finish(more)) start_pull();
  }

  bool apply_pull(PullResult<Key, Value> result, std::uint64_t edits_at_send);  // below

  std::optional<TimePoint> last_synced(const Key& key) const { return status(key).last_synced; }

  Subject<SyncStatus>& status_subject_locked(const Key& key) {
    auto it = status_.find(key);
    if (it == status_.end()) it = status_.emplace(key, Subject<SyncStatus>(SyncStatus{})).first;
    return it->second;
  }
  Subject<std::optional<Value>>& value_subject_locked(const Key& key) {
    auto it = value_subjects_.find(key);
    if (it == value_subjects_.end()) {
      auto local = local_.find(key);
      std::optional<Value> current;
      if (local != local_.end()) current = local->second;
      it = value_subjects_.emplace(key, Subject<std::optional<Value>>(std::move(current))).first;
    }
    return it->second;
  }

  // Subjects are emitted outside the service's lock, so an observer may call back into it.
  void set_status(const Key& key, SyncStatus s);  // below: also keeps the failed list
  void emit_value(const Key& key, const Value& v) {
    std::optional<Subject<std::optional<Value>>> subject;
    {
      std::lock_guard lock(mutex_);
      if (auto it = value_subjects_.find(key); it != value_subjects_.end()) subject = it->second;
    }
    if (subject) subject->on_next(std::optional<Value>(v));
  }

  detail::CallbackGate gate_;  // shutdown() waits for callbacks running on other threads
  Sched& sched_;
  Transport& transport_;
  SharedStore storage_;
  const SyncServiceOptions options_;
  Merge merge_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, Value, Hash> local_;
  std::unordered_map<Key, Subject<SyncStatus>, Hash> status_;
  std::unordered_map<Key, Subject<std::optional<Value>>, Hash> value_subjects_;
  SetSubject<Key, Synchronized> pending_;
  std::unordered_map<Key, Failure, Hash> failed_;
  Subject<std::vector<Failure>> failures_{std::vector<Failure>{}};
  Subject<bool> online_{true};
  bool online_now_ = true;
  std::unordered_set<Key, Hash> dirty_values_;
  // Keys edited here, with the edit count at their latest edit, until a pull sent after it.
  std::unordered_map<Key, std::uint64_t, Hash> edited_since_pull_;
  std::uint64_t edit_seq_ = 0;
  PullCoalescer pulls_;
  std::vector<OutboxCorruptRecord> corrupt_values_;
  SyncStats stats_;
  std::uint64_t cursor_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  OutboxT outbox_;
  Orchestrator orch_;
  AdaptivePoller<Sched> poller_;
  Sweeper sweeper_;
  std::vector<Subscription> subscriptions_;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

#include <rxsync/sync/detail/sync_core_events.hpp>
