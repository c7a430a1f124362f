// rxsync/sync/batch_orchestrator.hpp - batches keyed requests, merges repeats, retries with
// backoff and dead-letters what cannot be delivered.
//
// Public calls are thread-safe (one mutex); transport sends, retries and dead-letter emissions
// run on the scheduler, and the transport's `done` may be called from any thread. The scheduler
// and the transport must outlive the orchestrator.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/detail/callback_gate.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/fwd/sync/batch_orchestrator.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/subjects/replay_subject.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Batch rule: the window opens at the first request of a batch (it is not a debounce); a batch
// is sent when the window ends, at once when it holds `max_batch` distinct keys, or on
// flush()/stop(). Per key, a newer request is merged into the queued (or retrying) one and is
// never sent before an older one. Every item ends delivered or on dead_letters().
// Default template arguments: in <rxsync/fwd/sync/batch_orchestrator.hpp>.
template <class Key, class Req, class Transport, class Sched, class Merge, class Hash>
class BatchOrchestrator {
  static_assert(check_scheduler<Sched>());
  static_assert(check_batch_transport<Transport, Key, Req>());
  static_assert(std::is_copy_constructible_v<Req>,
                "rxsync: BatchOrchestrator's Req must be copyable: the orchestrator keeps each "
                "request until it is acknowledged, so it can be re-sent or dead-lettered");
  static_assert(
      std::is_invocable_v<Merge&, Req&, Req&&>,
      "rxsync: BatchOrchestrator's Merge must be callable as merge(Req& existing, Req&& incoming)");

 public:
  using Item = BatchItem<Key, Req>;
  using Event = BatchEvent<Key, Req>;
  // Optional: higher values are sent first. With a priority function a batch holds the
  // `max_batch` highest-priority sendable items (ties: oldest first), ordered by priority.
  using PriorityFn = std::function<int(const Key&, const Req&)>;

  BatchOrchestrator(Sched& scheduler, Transport& transport, BatchOptions options = {},
                    Merge merge = {}, PriorityFn priority = nullptr)
      : core_(std::make_shared<Core>(scheduler, transport, checked(std::move(options)),
                                     std::move(merge), std::move(priority))) {}

  BatchOrchestrator(const BatchOrchestrator&) = delete;
  BatchOrchestrator& operator=(const BatchOrchestrator&) = delete;

  // Items still queued are dropped with the orchestrator: call stop() and wait for pending() to
  // reach zero first (a durable Outbox in front makes this safe across crashes).
  ~BatchOrchestrator() { core_->shutdown(); }

  // Merges into the queued request for `key` if there is one. Thread-safe. Throws
  // std::logic_error after stop(). (Two overloads so that a hot loop re-enqueueing an existing
  // key copies nothing: the key is copied only when it is new.)
  void enqueue(const Key& key, Req request) { core_->enqueue(key, std::move(request)); }
  void enqueue(Key&& key, Req request) { core_->enqueue(std::move(key), std::move(request)); }

  // Sends everything queued now without waiting for the window (max_in_flight still applies:
  // further batches follow as replies arrive). Items waiting out a backoff keep waiting.
  void flush() { core_->flush(false); }
  // Sends the key's queued item now (an item waiting out a backoff goes at once), in a batch
  // with whatever else is queued, oldest first. False when the key holds nothing to send.
  bool flush(const Key& key) { return core_->flush_key(key); }

  // For when the network is back: items waiting out a backoff become due at once (their
  // backoff starts over) and everything queued is sent now, as by flush().
  void retry_now() { core_->retry_now(); }

  // Flushes and refuses later enqueue() with std::logic_error. Retries continue until every item
  // is delivered or dead-lettered; pending() tells when that is done.
  void stop() { core_->flush(true); }

  // Items neither delivered nor dead-lettered: queued, in flight, or waiting to retry.
  std::size_t pending() const { return core_->pending(); }
  // Whether `key` has an item queued, in flight or waiting to retry. Thread-safe.
  bool holds(const Key& key) const { return core_->holds(key); }
  BatchStats stats() const { return core_->stats(); }

  // Items rejected or out of attempts, emitted on the scheduler. A subscriber also receives the
  // last BatchOptions.dead_letter_replay dead letters from before it subscribed (the count of all
  // of them is in stats()), so an item that dies before anyone listens is not lost unseen.
  Observable<Item> dead_letters() const { return core_->dead_letters(); }

  // Every item's progress (sent, delivered, retrying, dead_lettered), on the scheduler; what a
  // sync service turns into per-key status. Events before subscription are not replayed.
  Observable<Event> events() const { return core_->events(); }

 private:
  static BatchOptions checked(BatchOptions o) {
    validate_batch_options(o);
    return o;
  }

  struct Pending {
    Req request;
    std::uint32_t attempts = 0;  // earlier sends
    std::uint32_t counted = 0;   // earlier sends that count toward max_attempts
    std::uint64_t seq = 0;       // position in the send order
    TimePoint since{};           // when its window opened (enqueue, or retry due time - window)
    std::optional<ExponentialBackoff<>> backoff;  // created at the first retry
    bool waiting_retry = false;
    Subscription retry_timer;
  };
  struct Slot {
    std::optional<Pending> pending;  // the next thing to send for this key
    std::optional<Pending> in_flight;
  };
  struct OrderEntry {
    std::uint64_t seq;
    Key key;
  };

  class Core : public std::enable_shared_from_this<Core> {
   public:
    Core(Sched& s, Transport& t, BatchOptions o, Merge m, PriorityFn priority)
        : sched_(s),
          transport_(t),
          options_(std::move(o)),
          merge_(std::move(m)),
          priority_(std::move(priority)) {}

    template <class K>
    void enqueue(K&& key, Req request) {
      std::unique_lock lock(mutex_);
      if (stopped_) throw std::logic_error("BatchOrchestrator::enqueue called after stop()");
      ++stats_.enqueued;
      auto [it, inserted] = slots_.try_emplace(std::forward<K>(key));
      Slot& slot = it->second;
      if (slot.pending) {
        merge_(slot.pending->request, std::move(request));
        ++stats_.merged;
        return;
      }
      slot.pending.emplace(
          Pending{std::move(request), 0, 0, next_seq_++, sched_.now(), std::nullopt, false, {}});
      ++live_items_;
      make_ready(it->first, slot);
      request_pump_locked();
    }

    void flush(bool stop) {
      std::unique_lock lock(mutex_);
      if (stop) stopped_ = true;
      flush_before_seq_ = next_seq_;
      request_pump_now_locked();
    }

    bool flush_key(const Key& key) {
      std::unique_lock lock(mutex_);
      auto it = slots_.find(key);
      if (it == slots_.end() || !it->second.pending) return false;
      if (it->second.pending->waiting_retry) make_due_locked(it->first, it->second);
      flush_before_seq_ = std::max(flush_before_seq_, it->second.pending->seq + 1);
      request_pump_now_locked();
      return true;
    }

    void retry_now() {
      std::unique_lock lock(mutex_);
      for (auto& [key, slot] : slots_) {
        if (!slot.pending || !slot.pending->waiting_retry) continue;
        if (slot.pending->backoff) slot.pending->backoff->reset();
        make_due_locked(key, slot);
      }
      flush_before_seq_ = next_seq_;
      request_pump_now_locked();
    }

    std::size_t pending() const {
      std::lock_guard lock(mutex_);
      return live_items_;
    }
    bool holds(const Key& key) const {
      std::lock_guard lock(mutex_);
      return slots_.find(key) != slots_.end();  // a slot is erased once it holds nothing
    }

    BatchStats stats() const {
      std::lock_guard lock(mutex_);
      BatchStats s = stats_;
      s.queued = ready_count_;
      s.waiting_retry = waiting_count_;
      s.in_flight = in_flight_items_;
      return s;
    }

    Observable<Item> dead_letters() const { return dead_.as_observable(); }
    Observable<Event> events() const { return events_.as_observable(); }

    // Cancels the timers, then waits for a pump or a reply running on another thread: it may be
    // calling the transport, which the owner may destroy right after the orchestrator.
    void shutdown() {
      {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        timer_.unsubscribe();
        pump_.unsubscribe();
        for (auto& [key, slot] : slots_) {
          if (slot.pending) slot.pending->retry_timer.unsubscribe();
        }
      }
      gate_.close();
    }

   private:
    // ---- scheduling of sends (all *_locked functions run with mutex_ held) ----

    void make_ready(const Key& key, Slot& slot) {
      Pending& p = *slot.pending;
      p.waiting_retry = false;
      ++ready_count_;
      if (slot.in_flight) ++blocked_count_;
      order_.push_back(OrderEntry{p.seq, key});
    }

    // Queued items whose key is not in flight: only these can go into the next batch.
    std::size_t sendable_locked() const { return ready_count_ - blocked_count_; }

    // A full batch goes now; otherwise make sure a timer is armed for the oldest window.
    void request_pump_locked() {
      if (sendable_locked() >= options_.max_batch) {
        request_pump_now_locked();
      } else {
        arm_window_timer_locked();
      }
    }

    void request_pump_now_locked() {
      if (pump_.is_subscribed()) return;
      pump_ = sched_.schedule([weak = this->weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        detail::CallbackGate::Pass pass(self->gate_);
        if (pass) {
          {
            // From here on a new request for a pump (a batch filled up on another thread
            // while this one runs) schedules another pass instead of being absorbed by it.
            std::lock_guard lock(self->mutex_);
            self->pump_ = Subscription();
          }
          self->pump();
        }
      });
    }

    // Items whose key is in flight are not timed: the reply to that key re-runs the pump.
    void arm_window_timer_locked() {
      const Pending* oldest = oldest_sendable_locked();
      if (oldest == nullptr) return;
      const TimePoint due = detail::add_saturated(oldest->since, options_.window);
      if (due <= sched_.now()) {
        request_pump_now_locked();
        return;
      }
      if (timer_.is_subscribed() && timer_due_ <= due) return;
      timer_.unsubscribe();
      timer_due_ = due;
      timer_ = sched_.schedule_at(due, [weak = this->weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        detail::CallbackGate::Pass pass(self->gate_);
        if (pass) self->pump();
      });
    }

    // The item the next batch starts with. Entries that no longer describe a queued item
    // (merged into a retry, or sent) are dropped on the way; blocked ones are kept.
    Pending* oldest_sendable_locked() {
      for (auto it = order_.begin(); it != order_.end();) {
        Pending* p = ready_entry(*it);
        if (p == nullptr) {
          it = order_.erase(it);
        } else if (slots_.find(it->key)->second.in_flight) {
          ++it;
        } else {
          return p;
        }
      }
      return nullptr;
    }

    Pending* ready_entry(const OrderEntry& e) {
      auto it = slots_.find(e.key);
      if (it == slots_.end() || !it->second.pending) return nullptr;
      Pending& p = *it->second.pending;
      return (p.seq == e.seq && !p.waiting_retry) ? &p : nullptr;
    }

    // Runs on the scheduler: sends batches while one is due and a send slot is free.
    void pump() {
      for (;;) {
        std::vector<Item> batch;
        std::uint64_t batch_id = 0;
        {
          std::lock_guard lock(mutex_);
          if (!batch_due_locked()) {
            // At the in-flight limit a reply re-runs the pump; arming the window timer here
            // would, with the oldest window already passed, reschedule this pump forever.
            if (in_flight_batches_ < options_.max_in_flight) arm_window_timer_locked();
            return;
          }
          batch_id = take_batch_locked(batch);
        }
        if (events_.observer_count() > 0) {
          for (const Item& item : batch)
            events_.on_next(Event{BatchEventKind::sent, item, {}, false, false});
        }
        send(batch_id, std::move(batch));  // outside the lock: the transport may reply inline
      }
    }

    bool batch_due_locked() {
      if (in_flight_batches_ >= options_.max_in_flight) return false;
      const Pending* oldest = oldest_sendable_locked();
      if (oldest == nullptr) return false;
      return sendable_locked() >= options_.max_batch || oldest->seq < flush_before_seq_ ||
             detail::add_saturated(oldest->since, options_.window) <= sched_.now();
    }

    // Moves up to max_batch sendable items into `batch`: oldest first, or by priority when a
    // priority function is set. Keys already in flight wait (their reply decides whether the
    // queued request merges into a retry) and keep their place.
    std::uint64_t take_batch_locked(std::vector<Item>& batch) {
      std::vector<OrderEntry> chosen =
          priority_ ? choose_by_priority_locked() : choose_oldest_locked();
      const std::uint64_t id = next_batch_id_++;
      std::vector<Key>& keys = in_flight_keys_[id];
      for (OrderEntry& entry : chosen) {
        auto it = slots_.find(entry.key);
        Slot& slot = it->second;
        batch.push_back(Item{it->first, slot.pending->request, slot.pending->attempts});
        keys.push_back(it->first);
        slot.in_flight = std::move(slot.pending);
        slot.pending.reset();
        --ready_count_;
        ++in_flight_items_;
      }
      ++in_flight_batches_;
      ++stats_.batches;
      stats_.items_sent += batch.size();
      timer_.unsubscribe();
      return id;
    }

    bool is_blocked(const OrderEntry& e) const {
      return slots_.find(e.key)->second.in_flight.has_value();
    }

    std::vector<OrderEntry> choose_oldest_locked() {
      std::vector<OrderEntry> chosen;
      std::deque<OrderEntry> blocked;
      while (chosen.size() < options_.max_batch && !order_.empty()) {
        OrderEntry entry = std::move(order_.front());
        order_.pop_front();
        if (ready_entry(entry) == nullptr) continue;  // stale
        if (is_blocked(entry)) {
          blocked.push_back(std::move(entry));
        } else {
          chosen.push_back(std::move(entry));
        }
      }
      order_.insert(order_.begin(), std::make_move_iterator(blocked.begin()),
                    std::make_move_iterator(blocked.end()));
      return chosen;
    }

    std::vector<OrderEntry> choose_by_priority_locked() {
      struct Candidate {
        bool overdue;  // waited max_wait: goes first, whatever its priority
        int priority;
        std::size_t index;  // into order_, which is oldest first
      };
      const bool bounded = options_.max_wait > Duration::zero();
      const TimePoint now = sched_.now();
      std::vector<Candidate> candidates;
      for (std::size_t i = 0; i < order_.size(); ++i) {
        const Pending* p = ready_entry(order_[i]);
        if (p == nullptr || is_blocked(order_[i])) continue;
        const bool overdue = bounded && now - p->since >= options_.max_wait;
        // Computed before anything is moved, so a throwing priority function changes nothing.
        candidates.push_back({overdue, priority_(order_[i].key, p->request), i});
      }
      const std::size_t n = std::min(candidates.size(), options_.max_batch);
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n),
                        candidates.end(), [](const Candidate& a, const Candidate& b) {
                          if (a.overdue != b.overdue) return a.overdue;
                          if (!a.overdue && a.priority != b.priority)
                            return a.priority > b.priority;
                          return a.index < b.index;
                        });
      std::vector<bool> taken(order_.size(), false);
      std::vector<OrderEntry> chosen;
      for (std::size_t c = 0; c < n; ++c) {
        taken[candidates[c].index] = true;
        chosen.push_back(order_[candidates[c].index]);
      }
      std::deque<OrderEntry> rest;
      for (std::size_t i = 0; i < order_.size(); ++i) {
        if (!taken[i] && ready_entry(order_[i]) != nullptr) rest.push_back(std::move(order_[i]));
      }
      order_ = std::move(rest);
      return chosen;
    }

    void send(std::uint64_t batch_id, std::vector<Item> batch) {
      auto once = std::make_shared<std::atomic<bool>>(false);
      BatchReply done = [weak = this->weak_from_this(), batch_id,
                         once](std::vector<ItemOutcome> outcomes) {
        if (once->exchange(true)) return;  // a second reply to the same batch is ignored
        auto self = weak.lock();
        if (!self) return;
        self->sched_.schedule([weak, batch_id, outcomes = std::move(outcomes)]() mutable {
          auto s = weak.lock();
          if (!s) return;
          detail::CallbackGate::Pass pass(s->gate_);
          if (pass) s->complete(batch_id, std::move(outcomes));
        });
      };
      try {
        transport_.send(std::move(batch), done);
      } catch (...) {
        // A transport that throws instead of replying failed the whole batch.
        done(std::vector<ItemOutcome>{});
      }
    }

    // ---- replies ----

    void complete(std::uint64_t batch_id, std::vector<ItemOutcome> outcomes) {
      std::vector<Event> events;
      {
        std::lock_guard lock(mutex_);
        auto node = in_flight_keys_.extract(batch_id);
        if (node.empty()) return;
        std::vector<Key>& keys = node.mapped();
        const bool network = outcomes.empty();
        if (outcomes.size() != keys.size()) {
          // A whole-batch failure (no answer) or a transport bug: retry every item.
          if (network) {
            ++stats_.network_failures;
          } else {
            ++stats_.protocol_errors;
          }
          outcomes.assign(keys.size(), ItemOutcome::retry);
        }
        --in_flight_batches_;
        for (std::size_t i = 0; i < keys.size(); ++i)
          settle_locked(keys[i], outcomes[i], network, events);
        request_pump_now_locked();
      }
      const bool observed = events_.observer_count() > 0;
      for (const Event& e : events) {
        if (e.kind == BatchEventKind::dead_lettered) dead_.on_next(e.item);
        if (observed) events_.on_next(e);
      }
    }

    void settle_locked(const Key& key, ItemOutcome outcome, bool network,
                       std::vector<Event>& events) {
      auto it = slots_.find(key);
      Slot& slot = it->second;
      Pending sent = std::move(*slot.in_flight);
      slot.in_flight.reset();
      --in_flight_items_;
      if (slot.pending) --blocked_count_;  // a newer request for the key was waiting for this reply

      std::optional<Duration> delay;
      if (outcome == ItemOutcome::ok) {
        ++stats_.delivered;
        --live_items_;
        events.push_back(Event{BatchEventKind::delivered,
                               Item{key, std::move(sent.request), sent.attempts},
                               {},
                               false,
                               false});
      } else {
        sent.attempts = saturating_increment(sent.attempts);
        // A send that never reached the server says nothing about the item: unless the options
        // say otherwise it is retried for as long as the network is away.
        const bool counted = !network || options_.count_network_failures;
        if (counted) sent.counted = saturating_increment(sent.counted);
        if (outcome == ItemOutcome::retry &&
            (!counted || options_.max_attempts == unlimited_attempts ||
             sent.counted < options_.max_attempts)) {
          if (!sent.backoff) sent.backoff.emplace(options_.backoff, DefaultRandom(rng_.next_u64()));
          delay = sent.backoff->next_delay();
          if (!delay && !counted) delay = options_.backoff.max;
        }
        if (!delay) {
          // Rejected or out of attempts. A newer request for the key stays queued on its own:
          // the server refused this data, not necessarily the newer one.
          events.push_back(Event{BatchEventKind::dead_lettered,
                                 Item{key, std::move(sent.request), sent.attempts}, Duration{},
                                 outcome == ItemOutcome::reject, network});
          ++stats_.dead_letters;
          --live_items_;
        }
      }
      if (delay && slot.pending) {
        // Fold the newer request into the one being retried, so the key's data goes out as
        // one item and a newer request is never sent before an older one. The newer one is
        // copied in, so a Merge that throws leaves it intact: the older one is then reported
        // as a dead letter and the newer stays queued on its own, instead of the exception
        // stranding the rest of this reply's items.
        bool folded = true;
        try {
          merge_(sent.request, Req(slot.pending->request));
        } catch (...) {
          folded = false;
        }
        if (folded) {
          slot.pending.reset();
          --ready_count_;
          --live_items_;
          ++stats_.merged;
        } else {
          events.push_back(Event{BatchEventKind::dead_lettered,
                                 Item{key, std::move(sent.request), sent.attempts}, Duration{},
                                 false, false});
          ++stats_.dead_letters;
          ++stats_.merge_failures;
          --live_items_;
          delay.reset();
        }
      }
      if (delay) {
        ++stats_.retries;
        ++waiting_count_;
        events.push_back(Event{BatchEventKind::retrying, Item{key, sent.request, sent.attempts},
                               *delay, false, network});
        sent.waiting_retry = true;
        slot.pending = std::move(sent);
        slot.pending->retry_timer =
            sched_.schedule_after(*delay, [weak = this->weak_from_this(), key] {
              auto self = weak.lock();
              if (!self) return;
              detail::CallbackGate::Pass pass(self->gate_);
              if (pass) self->retry_due(key);
            });
      }
      if (!slot.pending && !slot.in_flight) slots_.erase(it);
    }

    void retry_due(const Key& key) {
      std::lock_guard lock(mutex_);
      auto it = slots_.find(key);
      if (it == slots_.end() || !it->second.pending || !it->second.pending->waiting_retry) return;
      make_due_locked(it->first, it->second);
      request_pump_now_locked();
    }

    // A retry whose delay is over (or cut short): queued again, due at once.
    void make_due_locked(const Key& key, Slot& slot) {
      Pending& p = *slot.pending;
      p.retry_timer.unsubscribe();
      --waiting_count_;
      p.seq = next_seq_++;
      p.since = sched_.now() - options_.window;  // its window has long passed: due at once
      make_ready(key, slot);
    }

    static std::uint32_t saturating_increment(std::uint32_t n) {
      return n == UINT32_MAX ? n : n + 1;
    }

    Sched& sched_;
    Transport& transport_;
    const BatchOptions options_;
    Merge merge_;
    PriorityFn priority_;

    mutable std::mutex mutex_;
    std::unordered_map<Key, Slot, Hash> slots_;
    std::deque<OrderEntry> order_;  // ready items by seq; stale entries skipped lazily
    std::unordered_map<std::uint64_t, std::vector<Key>> in_flight_keys_;
    ReplaySubject<Item, Synchronized> dead_{options_.dead_letter_replay};
    PublishSubject<Event, Synchronized> events_;
    BatchStats stats_;
    DefaultRandom rng_;
    Subscription timer_;
    TimePoint timer_due_{};
    Subscription pump_;
    std::uint64_t next_seq_ = 0;
    std::uint64_t flush_before_seq_ = 0;
    std::uint64_t next_batch_id_ = 0;
    std::size_t ready_count_ = 0;    // queued items (blocked ones included)
    std::size_t blocked_count_ = 0;  // queued items whose key is in flight
    std::size_t waiting_count_ = 0;
    std::size_t in_flight_items_ = 0;
    std::size_t in_flight_batches_ = 0;
    std::size_t live_items_ = 0;
    bool stopped_ = false;
    detail::CallbackGate gate_;
  };

  std::shared_ptr<Core> core_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
