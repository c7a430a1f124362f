// rxsync/sync/sync_types.hpp - the wire contract between a SyncService and a server: pushed
// changes with idempotency ids, pulled change sets with a cursor, and the merge policy concept.
//
// Plain value types. docs/sync.md describes the contract a real server implements.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/crdt/merge.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// One pushed change. (key, origin, version) identifies it: a server applies each at most once,
// and since a client never sends an older version of a key after a newer one, keeping the
// highest applied version per (key, origin) is enough to drop duplicates and stale copies.
template <class Value>
struct Change {
  Value value;
  std::uint64_t version = 0;  // the client's Outbox version: grows per client, across restarts
  std::string origin;         // the client's stable id

  friend bool operator==(const Change&, const Change&) = default;
};

// A pull answer: keys changed since `cursor`, with the server's current value, and the cursor
// to ask from next time. ok = false (with an error) when the pull failed. A server may answer
// page by page: `more` says that further changes follow from `cursor` (the client pulls again at
// once). `reset` says that the cursor sent belonged to another server state (a replaced or
// restored store): the page starts from the beginning, and the client pushes its whole local
// state again, which is safe because merges are joins.
template <class Key, class Value>
struct PullResult {
  bool ok = true;
  std::string error;
  std::vector<std::pair<Key, Value>> changes;
  std::uint64_t cursor = 0;
  bool more = false;
  bool reset = false;
};

template <class Key, class Value>
using PullDone = std::function<void(PullResult<Key, Value>)>;

template <class T, class Key, class Value>
concept SyncTransportHasPull = requires(T& t, std::uint64_t cursor, PullDone<Key, Value> done) {
  t.pull(cursor, std::move(done));
};

// Push side: a BatchTransport of Change<Value>; pull side: pull(cursor, done). A pull must always
// answer, with ok = false when it fails (a transport puts its own timeout on it).
template <class T, class Key, class Value>
concept SyncTransport =
    BatchTransport<T, Key, Change<Value>> && SyncTransportHasPull<T, Key, Value>;

// Optional, detected by SyncService: the transport tells whether it can reach the server (the
// current state on subscribe, then each change). A service follows it: going online sends every
// waiting edit and pulls at once.
template <class T>
concept ReportsConnectivity = requires(T& t) {
  { t.connectivity() } -> std::convertible_to<Observable<bool>>;
};
// Optional, detected by SyncService: the server says "there is something new" (a WebSocket or
// SSE poke, with the server's head cursor), and the service pulls at once instead of waiting
// for its next poll.
template <class T>
concept ReportsPokes = requires(T& t) {
  { t.pokes() } -> std::convertible_to<Observable<std::uint64_t>>;
};

template <class T, class Key, class Value>
consteval bool check_sync_transport() {
  static_assert(
      BatchTransportHasSend<T, Key, Change<Value>>,
      "rxsync: this SyncTransport needs `send(std::vector<rxsync::BatchItem<Key, "
      "rxsync::Change<Value>>> batch, std::function<void(std::vector<rxsync::ItemOutcome>)> "
      "done)`");
  static_assert(SyncTransportHasPull<T, Key, Value>,
                "rxsync: this SyncTransport needs `pull(std::uint64_t cursor, "
                "std::function<void(rxsync::PullResult<Key, Value>)> done)`");
  return true;
}

// Merges two versions of a value into one. Must be commutative, associative and idempotent
// (a CRDT join) for replicas to converge whatever the delivery order.
template <class M, class V>
concept MergePolicy = requires(const M& m, const V& a, const V& b) {
  { m(a, b) } -> std::convertible_to<V>;
};

// The merge policy of any type with a member `merge(const V&)` (every rxsync CRDT and
// Versioned record).
struct CrdtMerge {
  template <class V>
  V operator()(const V& local, const V& remote) const {
    V merged = local;
    merged.merge(remote);
    return merged;
  }
};

// The merge policy of Versioned<T> plain records: if one clock dominates take that version,
// else merge field-wise with `fields` (e.g. conversation_merger()) and merge the clocks.
template <class FieldMerge>
struct VersionedMerge {
  FieldMerge fields;
  template <class T, class Actor>
  Versioned<T, Actor> operator()(const Versioned<T, Actor>& local,
                                 const Versioned<T, Actor>& remote) const {
    return resolve(local, remote, fields).value;
  }
};
template <class FieldMerge>
VersionedMerge(FieldMerge) -> VersionedMerge<FieldMerge>;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
