// rxsync/sync/sync_status.hpp - what a SyncService reports per key and in total.
//
// Plain value types (the Couchbase Lite replicator's status levels, per key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rxsync/core/time.hpp>
#include <rxsync/sync/adaptive_poller.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>

namespace rxsync {

enum class SyncState {
  unknown,  // never edited here, nothing heard
  pending,  // a local edit is durable in the outbox, waiting to be sent (or to be retried)
  syncing,  // sent, waiting for the server
  synced,   // the server acknowledged the latest local edit
  failed    // the last attempt failed permanently (dead letter or retry cap); still in the outbox
};

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

struct SyncServiceOptions {
  std::string origin;    // this replica's stable, unique id (required): part of every change's id
  BatchOptions batch{};  // push batching (the seeds: 100 ms window, 50 items)
  AdaptivePollerOptions poller{};  // pull cadence: 5 s when busy .. 60 s when idle
  SweeperOptions sweeper{};        // the fallback re-sender
  std::string prefix = "sync/";    // storage namespace
};

struct SyncStats {
  std::uint64_t enqueued = 0;            // queue_for_sync calls
  std::uint64_t succeeded = 0;           // keys whose latest edit the server acknowledged
  std::uint64_t failed = 0;              // edits that failed permanently (dead letters, cap)
  std::uint64_t retried = 0;             // sends scheduled again after a failure
  std::uint64_t conflicts_resolved = 0;  // remote changes merged into an unsynced local edit
  std::uint64_t pulls = 0;
  std::uint64_t pull_failures = 0;
  std::uint64_t changes_pulled = 0;
  std::uint64_t recovered = 0;  // outbox records re-queued at start()

  double success_rate() const noexcept {
    const auto done = succeeded + failed;
    return done == 0 ? 1.0 : static_cast<double>(succeeded) / static_cast<double>(done);
  }
};

}  // namespace rxsync
