// rxsync/sync/sync_status.hpp - what a SyncService reports per key and in total.
//
// Plain value types (the Couchbase Lite replicator's status levels, per key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <rxsync/core/time.hpp>
#include <rxsync/sync/adaptive_poller.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class SyncState {
  unknown,  // never edited here, nothing heard
  pending,  // a local edit is durable in the outbox, waiting to be sent (or to be retried)
  syncing,  // sent, waiting for the server
  synced,   // the server acknowledged the latest local edit
  failed    // the server rejected the edit, or a retry cap set in the options was reached;
            // still in the outbox, listed by SyncService::failures()
};

// "unknown", "pending", "syncing", "synced" or "failed" (for logs and UIs).
inline const char* to_string(SyncState s) noexcept {
  switch (s) {
    case SyncState::unknown:
      return "unknown";
    case SyncState::pending:
      return "pending";
    case SyncState::syncing:
      return "syncing";
    case SyncState::synced:
      return "synced";
    case SyncState::failed:
      return "failed";
  }
  return "?";
}

struct SyncStatus {
  SyncState state = SyncState::unknown;
  std::optional<TimePoint> last_synced;  // when the server last acknowledged this key
  std::uint32_t attempts = 0;            // failed sends of the current local edit
  std::string last_error;
  std::uint64_t version = 0;  // outbox version of the latest local edit (0: none)

  friend bool operator==(const SyncStatus&, const SyncStatus&) = default;
};

// The push defaults of a SyncService: offline first. An edit is retried until the server
// answers it: sends that got no answer (offline, timeout) never count, the backoff (1 s doubling
// to 60 s, with jitter) never runs out, and only a server's reject makes an edit `failed`.
inline BatchOptions offline_first_batch_options() {
  BatchOptions b;
  b.max_attempts = unlimited_attempts;
  b.count_network_failures = false;
  b.backoff.max_retries = SIZE_MAX;
  return b;
}
inline SweeperOptions offline_first_sweeper_options() {
  SweeperOptions s;
  s.max_attempts = unlimited_attempts;
  return s;
}

struct SyncServiceOptions {
  std::string origin;  // this replica's stable, unique id (required): part of every change's id
  BatchOptions batch = offline_first_batch_options();  // push batching: 100 ms window, 50 keys
  AdaptivePollerOptions poller{};  // pull cadence: 5 s when busy .. 60 s when idle
  SweeperOptions sweeper = offline_first_sweeper_options();  // the fallback re-sender
  std::string prefix = "sync/";                              // storage namespace

  // The stricter preset: an edit is `failed` after 3 sends that failed for any reason (network
  // failures included), and the sweeper gives it up after 5 recorded failures.
  static SyncServiceOptions strict(std::string origin) {
    SyncServiceOptions o;
    o.origin = std::move(origin);
    o.batch = BatchOptions{};
    o.sweeper = SweeperOptions{};
    return o;
  }
};

// An edit that ended `failed`, as listed by SyncService::failures(): the key's local value
// (which still holds the edit), the version that failed, and why.
template <class Key, class Value>
struct FailedEdit {
  Key key;
  Value value;
  std::uint64_t version = 0;
  std::uint32_t attempts = 0;
  std::string error;

  friend bool operator==(const FailedEdit&, const FailedEdit&) = default;
};

struct SyncStats {
  std::uint64_t enqueued = 0;   // queue_for_sync calls
  std::uint64_t succeeded = 0;  // keys whose latest edit the server acknowledged
  std::uint64_t failed = 0;     // edits that failed permanently (dead letters, cap)
  std::uint64_t retried = 0;    // sends scheduled again after a failure
  // Pulled changes that changed the local value of a key also edited here since the previous
  // pull (or still unsynced): both sides had changed it, and the merge policy combined them.
  std::uint64_t conflicts_resolved = 0;
  std::uint64_t pulls = 0;
  std::uint64_t pull_failures = 0;
  std::uint64_t changes_pulled = 0;
  std::uint64_t recovered = 0;       // outbox records re-queued at start()
  std::uint64_t reconnects = 0;      // offline -> online transitions (everything resent at once)
  std::uint64_t pokes = 0;           // "something new" signals from the server
  std::uint64_t resets = 0;          // pulls answered `reset`: the local state was pushed again
  std::uint64_t storage_errors = 0;  // local value or cursor writes that failed (retried later)

  double success_rate() const noexcept {
    const auto done = succeeded + failed;
    return done == 0 ? 1.0 : static_cast<double>(succeeded) / static_cast<double>(done);
  }
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
