// rxsync/sync/batch_types.hpp - the vocabulary of batched delivery: items, outcomes, the
// transport concept, merge policies, options and statistics.
//
// Kept apart from BatchOrchestrator so transports (SimNetwork, an HTTP adapter) can implement
// the concept without pulling in the orchestrator. Plain value types; no thread-safety concerns.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/core/time.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class ItemOutcome { ok, retry, reject };

// One request as handed to a transport. `attempts` counts earlier sends of this item (0 on the
// first send), so a server or a log can tell retries apart.
template <class Key, class Req>
struct BatchItem {
  Key key;
  Req request;
  std::uint32_t attempts = 0;

  friend bool operator==(const BatchItem&, const BatchItem&) = default;
};

// What happened to an item, as reported by BatchOrchestrator::events(): `sent` (handed to the
// transport; item.attempts = earlier sends), `delivered`, `retrying` (item.attempts = sends so
// far; sent again after `retry_in`), `dead_lettered`.
enum class BatchEventKind { sent, delivered, retrying, dead_lettered };

template <class Key, class Req>
struct BatchEvent {
  BatchEventKind kind;
  BatchItem<Key, Req> item;
  Duration retry_in{};    // for `retrying`
  bool rejected = false;  // for `dead_lettered`: the server answered reject (not out of attempts)
  // For `retrying` and `dead_lettered`: the batch never got an answer (the transport reported
  // an empty outcome list or threw: offline, timeout, connection lost).
  bool network = false;
};

// How a transport answers a batch: one outcome per item, in order (empty: no answer).
using BatchReply = std::function<void(std::vector<ItemOutcome>)>;
// The same type; the parameters only document which batch it answers (kept for code that names
// them).
template <class Key, class Req>
using BatchDone = BatchReply;

template <class T, class Key, class Req>
concept BatchTransportHasSend =
    requires(T& t, std::vector<BatchItem<Key, Req>> batch, BatchReply done) {
      t.send(std::move(batch), std::move(done));
    };

// Sends a batch and reports, through `done`, one outcome per item in the same order. `done` may
// be called from inside send() or later from any thread. A batch that never reached the server
// (offline, timeout, connection lost) is reported with an empty outcome list: every item is then
// retried, and BatchOptions::count_network_failures decides whether that counts as an attempt.
template <class T, class Key, class Req>
concept BatchTransport = BatchTransportHasSend<T, Key, Req>;

template <class T, class Key, class Req>
consteval bool check_batch_transport() {
  static_assert(BatchTransportHasSend<T, Key, Req>,
                "rxsync: this BatchTransport needs `send(std::vector<rxsync::BatchItem<Key, Req>> "
                "batch, std::function<void(std::vector<rxsync::ItemOutcome>)> done)`");
  return true;
}

// Merge policies fold a newer request for a key into the one already queued for it.
struct ReplaceMerge {  // latest wins
  template <class Req>
  void operator()(Req& existing, Req&& incoming) const {
    existing = std::move(incoming);
  }
};
struct AppendMerge {  // containers: the queued request gains the newer elements, in order
  template <class Container>
  void operator()(Container& existing, Container&& incoming) const {
    existing.insert(existing.end(), std::make_move_iterator(incoming.begin()),
                    std::make_move_iterator(incoming.end()));
  }
};

// For BatchOptions::max_attempts (and SweeperOptions::max_attempts): never give up.
inline constexpr std::uint32_t unlimited_attempts = UINT32_MAX;

struct BatchOptions {
  Duration window = std::chrono::milliseconds(100);  // opened by the first request of a batch
  std::size_t max_batch = 50;    // distinct keys per send; a full batch goes at once
  std::size_t max_attempts = 3;  // sends per item, the first included (unlimited_attempts: never)
  // Whether a send that got no answer at all (network failure: an empty outcome list, or send()
  // threw) counts toward max_attempts. When it does not, such an item is retried until the
  // network is back however long that takes, after at most `backoff.max` between tries (the
  // backoff's own max_retries does not end it either), and retry_now() sends it at once.
  bool count_network_failures = true;
  BackoffOptions backoff{};       // delay before an item marked `retry` is sent again
  std::size_t max_in_flight = 1;  // batches awaiting a reply; 1 keeps every key's order trivially
  std::size_t dead_letter_replay = 1024;  // dead letters kept for late dead_letters() subscribers
  // With a priority function, the longest a queued item may be passed over for higher
  // priorities: once it has waited this long (since its window opened) it goes before every
  // item that has not, oldest first, so a stream of urgent items cannot starve the rest.
  // 0 = no bound. Without a priority function sends are oldest first and this never matters.
  Duration max_wait = std::chrono::seconds(5);
};

inline void validate_batch_options(const BatchOptions& o) {
  if (o.window < Duration::zero()) {
    throw std::invalid_argument("BatchOptions.window must be >= 0, got " +
                                detail::duration_text(o.window));
  }
  if (o.max_batch == 0) throw std::invalid_argument("BatchOptions.max_batch must be >= 1, got 0");
  if (o.max_attempts == 0)
    throw std::invalid_argument("BatchOptions.max_attempts must be >= 1, got 0");
  if (o.max_attempts > UINT32_MAX) {
    throw std::invalid_argument("BatchOptions.max_attempts must fit in 32 bits, got " +
                                std::to_string(o.max_attempts));
  }
  if (o.max_wait < Duration::zero()) {
    throw std::invalid_argument("BatchOptions.max_wait must be >= 0 (0 = no bound), got " +
                                detail::duration_text(o.max_wait));
  }
  if (o.max_in_flight == 0) {
    throw std::invalid_argument("BatchOptions.max_in_flight must be >= 1, got 0");
  }
  if (o.dead_letter_replay == 0) {
    throw std::invalid_argument("BatchOptions.dead_letter_replay must be >= 1, got 0");
  }
  validate_backoff_options(o.backoff);
}

struct BatchStats {
  std::uint64_t enqueued = 0;          // enqueue() calls
  std::uint64_t merged = 0;            // enqueue() calls folded into a queued or retrying item
  std::uint64_t merge_failures = 0;    // Merge threw folding a newer request into a retry
  std::uint64_t batches = 0;           // send() calls
  std::uint64_t items_sent = 0;        // items across all sends, retries included
  std::uint64_t delivered = 0;         // items acknowledged `ok`
  std::uint64_t retries = 0;           // items scheduled for another send
  std::uint64_t network_failures = 0;  // batches that got no answer (empty outcomes, or threw)
  std::uint64_t dead_letters = 0;      // items rejected or out of attempts
  std::uint64_t protocol_errors = 0;   // replies with the wrong number of outcomes (all retried)
  std::size_t queued = 0;              // waiting for a send (including retries now due)
  std::size_t waiting_retry = 0;       // waiting out a backoff delay
  std::size_t in_flight = 0;           // items sent and not yet answered
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
