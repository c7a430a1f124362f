// rxsync/sync/sync_service.hpp - offline-first sync of keyed state through a server.
//
// A local edit is merged into the local state and written, with an Outbox record, to storage
// before queue_for_sync returns; a BatchOrchestrator pushes it until the server answers; a poll
// loop (and the server's pokes, when the transport has them) pulls remote changes and merges them
// with the same policy, never overwriting an unsynced local edit. Status per key, the pending
// set, failed edits and values are observables. Public calls are thread-safe; network work and
// notifications run on the scheduler. The scheduler, the transport and the storage must outlive
// the service (see docs/first_sync_service.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/lifetime_guard.hpp>
#include <rxsync/fwd/sync/sync_service.hpp>
#include <rxsync/sync/detail/sync_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Default template arguments: in <rxsync/fwd/sync/sync_service.hpp>.
template <class Key, class Value, class Transport, class Store, class Sched, class Merge,
          class Codec, class Hash>
class SyncService {
  static_assert(check_sync_transport<Transport, Key, Value>());
  static_assert(
      MergePolicy<Merge, Value>,
      "rxsync: SyncService's Merge must be callable as Value(const Value&, const Value&)");
  static_assert(std::equality_comparable<Value>,
                "rxsync: SyncService's Value needs operator== (to tell real changes)");

  using Core = detail::SyncCore<Key, Value, Transport, Store, Sched, Merge, Codec, Hash>;

 public:
  using Failure = FailedEdit<Key, Value>;

  SyncService(Sched& scheduler, Transport& transport, Store& storage, SyncServiceOptions options,
              Merge merge = {})
      : store_lease_(lease_lifetime(storage)),
        core_(std::make_shared<Core>(scheduler, transport, storage, checked(std::move(options)),
                                     std::move(merge))) {
    core_->init();
  }
  // The same arguments in the order of the template parameters (Transport, Store, Sched).
  SyncService(Transport& transport, Store& storage, Sched& scheduler, SyncServiceOptions options,
              Merge merge = {})
    requires(!std::is_same_v<Transport, Sched>)
      : SyncService(scheduler, transport, storage, std::move(options), std::move(merge)) {}
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;
  SyncService(SyncService&& other) noexcept = default;
  SyncService& operator=(SyncService&& other) noexcept {
    if (this != &other) {
      if (core_) core_->shutdown();
      core_ = std::move(other.core_);
      store_lease_ = std::move(other.store_lease_);
    }
    return *this;
  }
  ~SyncService() {
    if (core_) core_->shutdown();
  }

  // Re-queues every edit recovered from the outbox, then starts pulling (at the adaptive
  // poller's interval: shorter with local activity and a deep queue) and sweeping. Idempotent.
  void start() { core_->start(); }
  // Stops pulling and sweeping and drains the push queue (retries still run until each edit is
  // delivered or failed). Later queue_for_sync calls throw std::logic_error. Unsynced edits stay
  // in the outbox for the next start().
  void stop() { core_->stop(); }

  // Merges `value` into the key's local state, makes it durable with an outbox record, marks the
  // key pending and queues the push. Returns the edit's version. Throws (with nothing changed)
  // only when the outbox record cannot be written, or after stop().
  std::uint64_t queue_for_sync(const Key& key, const Value& value) {
    return core_->queue_for_sync(key, value);
  }
  // Read, modify, queue as one step: `f` gets the key's current local value (a default Value if
  // there is none) either as `Value&` to modify in place or as `const Value&` returning the new
  // value; the result is queued like queue_for_sync. No other edit of the service can come in
  // between. `f` runs under the service's lock: it must not call back into the service.
  template <class F>
  std::uint64_t update(const Key& key, F&& f) {
    static_assert(std::is_invocable_v<F&, Value&>,
                  "rxsync: SyncService::update(key, f) needs f callable as `void(Value&)` (modify "
                  "in place) or `Value(const Value&)` (return the new value)");
    return core_->update(key, std::forward<F>(f));
  }

  // Sends the key's edit now instead of waiting for the batch window (an edit waiting out a
  // retry delay goes at once; other queued edits may go in the same batch). False when nothing
  // of the key is waiting to be sent.
  bool sync_now(const Key& key) { return core_->orchestrator().flush(key); }
  // Sends everything queued now.
  void sync_now() { core_->orchestrator().flush(); }
  // Pulls remote changes now (also done at every poll interval once started, and on each poke).
  void pull_now() { core_->request_pull(nullptr); }
  // The pull cadence: current interval on subscribe, then each change.
  Observable<Duration> poll_intervals() const { return core_->poller().intervals(); }

  // Whether the server is reachable. Follows the transport when it reports connectivity;
  // otherwise the app tells (a platform connectivity callback, or a ResilientClient:
  // `follow_online(client.online())`). Going online sends every waiting edit at once (retry
  // delays are cut short) and pulls at once.
  void set_online(bool online) { core_->set_online(online); }
  void follow_online(Observable<bool> online) { core_->follow_online(std::move(online)); }
  bool is_online() const { return core_->is_online(); }
  Observable<bool> online() const { return core_->online(); }

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

  // Edits that ended `failed` (rejected by the server, or past a retry cap the options set),
  // oldest first: the list now, then after every change. They stay in the outbox until a newer
  // edit of the key or retry_failed() sends them again.
  Observable<std::vector<Failure>> failures() const { return core_->failures(); }
  std::vector<Failure> failed() const { return core_->failed(); }
  // Queues every failed edit again (as a new version of the key's local value); returns how
  // many. The one-key form returns false when the key has no failed edit.
  std::size_t retry_failed() { return core_->retry_failed(); }
  bool retry_failed(const Key& key) { return core_->retry_failed(key); }

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

  // The storage must outlive the service. rxsync's storages check it: destroying one first
  // aborts with a message saying so, instead of a use-after-free later.
  LifetimeGuard::Lease store_lease_;
  std::shared_ptr<Core> core_;
};

// With a transport that names its key and value types (key_type, value_type: NetTransport and
// SimNetwork's clients do), everything is deduced:
//   rxsync::SyncService phone(loop, transport, storage, {.origin = "phone"});
template <class Transport>
concept TransportNamesTypes = requires {
  typename Transport::key_type;
  typename Transport::value_type;
};
template <class Sched, TransportNamesTypes Transport, class Store>
SyncService(Sched&, Transport&, Store&, SyncServiceOptions)
    -> SyncService<typename Transport::key_type, typename Transport::value_type, Transport, Store,
                   Sched>;
template <class Sched, TransportNamesTypes Transport, class Store, class Merge>
SyncService(Sched&, Transport&, Store&, SyncServiceOptions, Merge)
    -> SyncService<typename Transport::key_type, typename Transport::value_type, Transport, Store,
                   Sched, Merge>;

// A service in one line, with Sched, Transport and Store deduced from the arguments:
//   auto phone = rxsync::make_sync_service<std::string, Note>(loop, transport, storage,
//                                                              {.origin = "phone"});
template <class Key, class Value, class Sched, class Transport, class Store,
          class Merge = CrdtMerge>
SyncService<Key, Value, Transport, Store, Sched, Merge> make_sync_service(
    Sched& scheduler, Transport& transport, Store& storage, SyncServiceOptions options,
    Merge merge = {}) {
  return SyncService<Key, Value, Transport, Store, Sched, Merge>(
      scheduler, transport, storage, std::move(options), std::move(merge));
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
