// rxsync/sync/sync_service.hpp - offline-first sync of keyed state through a server.
//
// A local edit is merged into the local state and written, with an Outbox record, to storage
// before queue_for_sync returns; a BatchOrchestrator pushes it; a poll loop pulls remote changes
// and merges them with the same policy (never overwriting an unsynced local edit). Status per
// key, the pending set and values are observables. Public calls are thread-safe; all network
// work and notifications run on the scheduler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/set_subject.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/storage/serialized_storage.hpp>
#include <rxsync/sync/adaptive_poller.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>
#include <rxsync/sync/outbox.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>
#include <rxsync/sync/sync_status.hpp>
#include <rxsync/sync/sync_types.hpp>

namespace rxsync {

namespace detail {
// The newest change of a key replaces the queued one: it carries the full merged local state.
struct LatestChange {
  template <class V>
  void operator()(Change<V>& existing, Change<V>&& incoming) const {
    if (incoming.version >= existing.version) existing = std::move(incoming);
  }
};
}  // namespace detail

template <class Key, class Value, class Transport, class Store, class Sched,
          class Merge = CrdtMerge, class Codec = DefaultCodec, class Hash = std::hash<Key>>
class SyncService {
  static_assert(check_sync_transport<Transport, Key, Value>());
  static_assert(
      MergePolicy<Merge, Value>,
      "rxsync: SyncService's Merge must be callable as Value(const Value&, const Value&)");
  static_assert(std::equality_comparable<Value>,
                "rxsync: SyncService's Value needs operator== (to tell real changes)");

  using Orchestrator =
      BatchOrchestrator<Key, Change<Value>, Transport, Sched, detail::LatestChange, Hash>;
  // The service (on the caller's thread) and its outbox (on the scheduler's) share the store.
  using SharedStore = SerializedStorage<Store>;
  using OutboxT = Outbox<Key, Value, SharedStore, Codec, Hash>;
  using Sweeper = OutboxSweeper<OutboxT, Sched>;

 public:
  SyncService(Sched& scheduler, Transport& transport, Store& storage, SyncServiceOptions options,
              Merge merge = {})
      : core_(std::make_shared<Core>(scheduler, transport, storage, checked(std::move(options)),
                                     std::move(merge))) {
    core_->init();
  }
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;
  ~SyncService() { core_->shutdown(); }

  // Re-queues every edit recovered from the outbox, then starts pulling (at the adaptive
  // poller's interval: shorter with local activity and a deep queue) and sweeping. Idempotent.
  void start() { core_->start(); }
  // Stops pulling and sweeping and drains the push queue (retries still run until each edit is
  // delivered or failed). Later queue_for_sync calls throw std::logic_error. Unsynced edits stay
  // in the outbox for the next start().
  void stop() { core_->stop(); }

  // Merges `value` into the key's local state, makes it durable with an outbox record, marks the
  // key pending and queues the push. Returns the edit's version.
  std::uint64_t queue_for_sync(const Key& key, const Value& value) {
    return core_->queue_for_sync(key, value);
  }
  // Sends what is queued now instead of waiting for the batch window.
  void sync_now() { core_->orchestrator().flush(); }
  void sync_now(const Key&) { sync_now(); }
  // Pulls remote changes now (also done at every poll interval once started).
  void pull_now() { core_->pull(nullptr); }
  // The pull cadence: current interval on subscribe, then each change.
  Observable<Duration> poll_intervals() const { return core_->poller().intervals(); }

  std::optional<Value> value(const Key& key) const { return core_->value(key); }
  std::vector<std::pair<Key, Value>> values() const { return core_->values(); }
  SyncStatus status(const Key& key) const { return core_->status(key); }

  // The key's status now, then every change. Emitted on the scheduler (or the calling thread
  // for queue_for_sync's `pending`).
  Observable<SyncStatus> observe_status(const Key& key) { return core_->observe_status(key); }
  // The set of keys with unsynced edits: now, then after every change.
  Observable<std::set<Key>> observe_pending() const { return core_->pending_set().observable(); }
  // The key's merged local value (nullopt while unknown): now, then after every change.
  Observable<std::optional<Value>> observe_value(const Key& key) {
    return core_->observe_value(key);
  }

  std::size_t pending() const { return core_->pending_set().size(); }
  SyncStats stats() const { return core_->stats(); }
  BatchStats batch_stats() const { return core_->orchestrator().stats(); }
  const OutboxRecoveryReport& outbox_recovery() const { return core_->outbox().recovery_report(); }
  // Local values found corrupt in storage at construction (skipped, left in place).
  const std::vector<OutboxCorruptRecord>& corrupt_values() const { return core_->corrupt_values(); }

 private:
  static SyncServiceOptions checked(SyncServiceOptions o) {
    if (o.origin.empty())
      throw std::invalid_argument("SyncServiceOptions.origin must not be empty, got \"\"");
    validate_adaptive_poller_options(o.poller);
    validate_batch_options(o.batch);
    validate_sweeper_options(o.sweeper);
    return o;
  }

  class Core : public std::enable_shared_from_this<Core> {
   public:
    Core(Sched& s, Transport& t, Store& st, SyncServiceOptions o, Merge m)
        : sched_(s),
          transport_(t),
          storage_(st),
          options_(std::move(o)),
          merge_(std::move(m)),
          outbox_(storage_, s, OutboxOptions{options_.prefix + "outbox/"}),
          orch_(s, t, options_.batch),
          poller_(s, options_.poller),
          sweeper_(
              outbox_, s, [this](const typename OutboxT::Record& r) { reoffer(r); },
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
      events_ = orch_.events().subscribe(
          [weak = this->weak_from_this()](const typename Orchestrator::Event& e) {
            if (auto self = weak.lock()) self->on_event(e);
          });
      failures_ = sweeper_.failures().subscribe(
          [weak = this->weak_from_this()](const typename OutboxT::Record& r) {
            if (auto self = weak.lock())
              self->set_status(r.key, SyncStatus{SyncState::failed, self->last_synced(r.key),
                                                 r.attempts, r.last_error, r.version});
          });
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
        if (auto self = weak.lock()) self->pull(std::move(done));
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

    void shutdown() {
      stop();
      events_.unsubscribe();
      failures_.unsubscribe();
    }

    std::uint64_t queue_for_sync(const Key& key, const Value& value) {
      Value merged;
      std::uint64_t version = 0;
      std::exception_ptr value_write_error;
      {
        std::lock_guard lock(mutex_);
        if (stopped_) throw std::logic_error("SyncService::queue_for_sync called after stop()");
        auto it = local_.find(key);
        merged = it == local_.end() ? value : merge_(it->second, value);
        // The outbox record first: if it cannot be written the edit is refused with nothing
        // changed; once it is written the edit will be pushed, whatever happens next.
        version = outbox_.put(key, merged);
        local_.insert_or_assign(key, merged);
        ++stats_.enqueued;
        try {
          storage_.put(value_key(key), Codec::encode(merged));
        } catch (...) {  // reported after the edit is announced and queued
          value_write_error = std::current_exception();
        }
      }
      emit_value(key, merged);
      enqueue(key, merged, version, 0, {});
      poller_.record_activity();  // a user at work: pull sooner
      if (value_write_error) std::rethrow_exception(value_write_error);
      return version;
    }

    // `done` (may be empty) is called once the answer was applied, or the pull failed.
    void pull(std::function<void()> done) {
      transport_.pull(cursor_snapshot(), [weak = this->weak_from_this(), done = std::move(done)](
                                             PullResult<Key, Value> result) mutable {
        auto self = weak.lock();
        if (!self) return;
        self->sched_.schedule([weak, result = std::move(result), done = std::move(done)]() mutable {
          if (auto s = weak.lock()) s->apply_pull(std::move(result));
          if (done) done();
        });
      });
    }

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
    const AdaptivePoller<Sched>& poller() const { return poller_; }
    const Orchestrator& orchestrator() const { return orch_; }
    const OutboxT& outbox() const { return outbox_; }
    const std::vector<OutboxCorruptRecord>& corrupt_values() const { return corrupt_values_; }

   private:
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
      // An edit whose outbox record was written but whose value write failed (or was cut off
      // by a crash) is still the latest local state.
      for (const auto& rec : outbox_.pending()) local_.try_emplace(rec.key, rec.value);
    }

    void enqueue(const Key& key, const Value& value, std::uint64_t version, std::uint32_t attempts,
                 std::string error) {
      pending_.add(key);
      poller_.set_queue_depth(pending_.size());
      set_status(key, SyncStatus{SyncState::pending, last_synced(key), attempts, std::move(error),
                                 version});
      orch_.enqueue(key, Change<Value>{value, version, options_.origin});
    }

    // The sweeper's offer: queue the record again, unless the orchestrator still holds the key.
    // It then has this version or a newer one queued, in flight or waiting to retry; a second
    // copy would only be sent again after the ack and leave the status at syncing.
    void reoffer(const typename OutboxT::Record& rec) {
      if (orch_.holds(rec.key)) return;
      enqueue(rec.key, rec.value, rec.version, rec.attempts, rec.last_error);
    }

    void on_event(const typename Orchestrator::Event& e) {
      const Key& key = e.item.key;
      const std::uint64_t version = e.item.request.version;
      const SyncStatus current = status(key);
      const bool latest = current.version == version;
      switch (e.kind) {
        case BatchEventKind::sent:
          // Not for a copy of a version already acknowledged (its record is gone).
          if (latest && outbox_.holds(key, version))
            set_status(key, SyncStatus{SyncState::syncing, current.last_synced, current.attempts,
                                       current.last_error, version});
          break;
        case BatchEventKind::delivered:
          if (outbox_.mark_synced(key, version)) {
            {
              std::lock_guard lock(mutex_);
              ++stats_.succeeded;
            }
            // Out of the pending set before observers hear `synced`, and only while no newer
            // edit has a record: an observer, or another thread, may queue one at any moment,
            // and its add always follows its outbox record.
            if (!outbox_.contains(key)) {
              pending_.erase(key);
              if (outbox_.contains(key)) pending_.add(key);
            }
            poller_.set_queue_depth(pending_.size());
            set_status(key, SyncStatus{SyncState::synced, sched_.now(), 0, {}, version});
          }
          break;
        case BatchEventKind::retrying:
          outbox_.record_failure(key, version, "send failed; retrying");
          {
            std::lock_guard lock(mutex_);
            ++stats_.retried;
          }
          if (latest)
            set_status(key, SyncStatus{SyncState::pending, current.last_synced, e.item.attempts,
                                       "send failed; retrying", version});
          break;
        case BatchEventKind::dead_lettered: {
          std::lock_guard lock(mutex_);
          ++stats_.failed;
        }
          if (e.rejected) {
            // Data the server will never accept: failed for good (kept in the outbox and
            // reported), not retried by the sweeper. A newer edit of the key starts over.
            outbox_.mark_failed(key, version, "rejected by the server");
            if (latest)
              set_status(key, SyncStatus{SyncState::failed, current.last_synced, e.item.attempts,
                                         "rejected by the server", version});
            break;
          }
          outbox_.record_failure(key, version,
                                 "gave up after " + std::to_string(e.item.attempts) + " sends");
          if (latest)
            set_status(key, SyncStatus{SyncState::failed, current.last_synced, e.item.attempts,
                                       "gave up after " + std::to_string(e.item.attempts) +
                                           " sends; the sweeper retries it",
                                       version});
          break;
      }
    }

    void apply_pull(PullResult<Key, Value> result) {
      std::vector<std::pair<Key, Value>> changed;
      {
        std::lock_guard lock(mutex_);
        ++stats_.pulls;
        if (!result.ok) {
          ++stats_.pull_failures;
          return;
        }
        for (auto& [key, remote] : result.changes) {
          ++stats_.changes_pulled;
          auto it = local_.find(key);
          if (it != local_.end() && it->second == remote) continue;
          Value merged = it == local_.end() ? remote : merge_(it->second, remote);
          if (it != local_.end() && outbox_.get(key) && !(merged == remote) &&
              !(merged == it->second)) {
            ++stats_.conflicts_resolved;  // both sides changed: the merge policy combined them
          }
          if (it != local_.end() && merged == it->second) continue;
          storage_.put(value_key(key), Codec::encode(merged));
          local_.insert_or_assign(key, merged);
          changed.emplace_back(key, std::move(merged));
        }
        if (result.cursor > cursor_) {
          cursor_ = result.cursor;
          storage_.put(cursor_key(), DefaultCodec::encode(cursor_));
        }
      }
      for (auto& [key, value] : changed) emit_value(key, value);
    }

    std::uint64_t cursor_snapshot() const {
      std::lock_guard lock(mutex_);
      return cursor_;
    }
    std::optional<TimePoint> last_synced(const Key& key) const { return status(key).last_synced; }

    BehaviorSubject<SyncStatus, Synchronized>& status_subject_locked(const Key& key) {
      auto it = status_.find(key);
      if (it == status_.end())
        it = status_.emplace(key, BehaviorSubject<SyncStatus, Synchronized>(SyncStatus{})).first;
      return it->second;
    }
    BehaviorSubject<std::optional<Value>, Synchronized>& value_subject_locked(const Key& key) {
      auto it = value_subjects_.find(key);
      if (it == value_subjects_.end()) {
        auto local = local_.find(key);
        std::optional<Value> current;
        if (local != local_.end()) current = local->second;
        it = value_subjects_
                 .emplace(key,
                          BehaviorSubject<std::optional<Value>, Synchronized>(std::move(current)))
                 .first;
      }
      return it->second;
    }

    // Subjects are emitted outside the service's lock, so an observer may call back into it.
    void set_status(const Key& key, SyncStatus s) {
      BehaviorSubject<SyncStatus, Synchronized> subject = [&] {
        std::lock_guard lock(mutex_);
        return status_subject_locked(key);
      }();
      if (!(subject.value() == s)) subject.on_next(s);
    }
    void emit_value(const Key& key, const Value& v) {
      std::optional<BehaviorSubject<std::optional<Value>, Synchronized>> subject;
      {
        std::lock_guard lock(mutex_);
        if (auto it = value_subjects_.find(key); it != value_subjects_.end()) subject = it->second;
      }
      if (subject) subject->on_next(std::optional<Value>(v));
    }

    Sched& sched_;
    Transport& transport_;
    SharedStore storage_;
    const SyncServiceOptions options_;
    Merge merge_;
    mutable std::mutex mutex_;
    std::unordered_map<Key, Value, Hash> local_;
    std::unordered_map<Key, BehaviorSubject<SyncStatus, Synchronized>, Hash> status_;
    std::unordered_map<Key, BehaviorSubject<std::optional<Value>, Synchronized>, Hash>
        value_subjects_;
    SetSubject<Key, Synchronized> pending_;
    std::vector<OutboxCorruptRecord> corrupt_values_;
    SyncStats stats_;
    std::uint64_t cursor_ = 0;
    bool started_ = false;
    bool stopped_ = false;
    OutboxT outbox_;
    Orchestrator orch_;
    AdaptivePoller<Sched> poller_;
    Sweeper sweeper_;
    Subscription events_;
    Subscription failures_;
  };

  std::shared_ptr<Core> core_;
};

}  // namespace rxsync
