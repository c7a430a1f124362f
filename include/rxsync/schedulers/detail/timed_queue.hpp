// rxsync/schedulers/detail/timed_queue.hpp - the action queue shared by the built-in schedulers.
//
// Orders actions by (due time, order of scheduling) and cancels them lazily: a cancelled action
// releases its callable at once and its heap slot is skipped when it surfaces (or swept when
// cancelled slots dominate). Thread-safe; the owning scheduler decides when actions run.
// A re-arming action (push_rearming) returns when to run next; its entry goes back into the
// heap instead of a new one being made, so a timer whose deadline keeps moving (debounce,
// timeout) costs no allocation per move and keeps one handle.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <rxsync/core/function.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// A class template only so that its members are compiled in the TUs that run a scheduler, not in
// every one that includes a scheduler's header.
template <class V = void>
class BasicTimedQueue : public std::enable_shared_from_this<BasicTimedQueue<V>> {
 public:
  using Action = MoveOnlyFunction<void()>;

  class Entry final : public SubscriptionState {
   public:
    Entry(std::weak_ptr<BasicTimedQueue> owner, Action fn)
        : owner_(std::move(owner)), fn_(std::move(fn)) {}

    // Runs the action (the caller popped it, so nobody else touches fn_ now). Returns the time
    // a re-arming action asked to run again at: the caller then hands the entry to requeue().
    // Otherwise releases the callable and marks the handle finished.
    std::optional<TimePoint> run() {
      again_.reset();
      struct Finish {
        Entry* self;
        ~Finish() {
          if (self->again_) return;
          self->fn_.reset();
          self->mark_disposed();
        }
      } finish{this};
      fn_();
      return again_;
    }

   private:
    friend class BasicTimedQueue;
    // Called by the queue for actions it drops without running (close, destruction).
    void mark_finished() noexcept {
      fn_.reset();
      mark_disposed();
    }
    void dispose() noexcept override {
      Action released;
      if (auto owner = owner_.lock()) {
        {
          std::lock_guard lock(owner->mutex_);
          if (!queued_) return;  // running or done: the runner owns fn_
          queued_ = false;
          --owner->live_;
          ++owner->cancelled_in_heap_;
          released = std::move(fn_);
        }
        // A loop in run_until_idle() may be waiting for this very action.
        owner->wake_.notify_all();
      } else {
        return;  // queue destroyed: it already released everything
      }
      // `released` is destroyed here, outside the lock: its captures may unsubscribe other
      // actions of this same queue.
    }

    std::weak_ptr<BasicTimedQueue> owner_;
    Action fn_;
    std::optional<TimePoint> again_;  // set by a re-arming action, read by run()
    bool queued_ = false;             // in the heap; guarded by owner's mutex
  };

  BasicTimedQueue() = default;
  BasicTimedQueue(const BasicTimedQueue&) = delete;
  BasicTimedQueue& operator=(const BasicTimedQueue&) = delete;

  ~BasicTimedQueue() {
    for (auto& slot : heap_) slot.entry->mark_finished();
  }

  // Queues `fn` at `due`. Returns an empty Subscription if the queue is closed.
  Subscription push(TimePoint due, Action fn) {
    auto entry = std::make_shared<Entry>(this->weak_from_this(), std::move(fn));
    if (!insert(due, entry)) return {};
    return Subscription(std::move(entry));
  }

  // Queues `fn` (callable as std::optional<TimePoint>()) at `due`; each time it returns a time
  // point, the runner requeues the same entry for then. The handle stays live until it returns
  // std::nullopt or is cancelled.
  template <class F>
  Subscription push_rearming(TimePoint due, F fn) {
    auto entry = std::make_shared<Entry>(this->weak_from_this(), Action());
    // The entry owns the callable, so the raw pointer back to it cannot dangle.
    entry->fn_ = Action([f = std::move(fn), self = entry.get()]() mutable { self->again_ = f(); });
    if (!insert(due, entry)) return {};
    return Subscription(std::move(entry));
  }

  // Puts back an entry whose run() returned `due`, unless it was cancelled while it ran or the
  // queue closed: then it is finished here.
  void requeue(std::shared_ptr<Entry> entry, TimePoint due) {
    if (insert(due, std::move(entry))) return;
    entry->mark_finished();  // outside the lock: the callable's captures may re-enter
  }

  struct Ready {
    TimePoint due;
    std::shared_ptr<Entry> entry;
  };

  // False when nothing can be due at or before `limit`, without taking the lock: a virtual clock
  // advanced in small steps (one per event) then pays for the lock only when an action is due.
  // May say true for an action cancelled since; pop_due() then finds nothing.
  bool may_have_due(TimePoint limit) const noexcept {
    return earliest_.load(std::memory_order_acquire) <= limit.time_since_epoch().count();
  }

  // Removes and returns the earliest live action due at or before `limit`.
  std::optional<Ready> pop_due(TimePoint limit) {
    std::lock_guard lock(mutex_);
    return pop_due_locked(limit);
  }

  std::optional<TimePoint> next_due() {
    std::lock_guard lock(mutex_);
    drop_cancelled_top();
    publish_earliest();
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
  }

  std::size_t live() const {
    std::lock_guard lock(mutex_);
    return live_;
  }
  // For predicates evaluated inside wait_pop(), which already holds the lock.
  std::size_t live_unlocked() const noexcept { return live_; }

  // Refuses further pushes and cancels everything queued. Returns how many live actions were
  // dropped.
  std::size_t close() {
    std::vector<Slot> dropped;
    std::size_t count = 0;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      dropped.swap(heap_);
      for (auto& slot : dropped) {
        if (slot.entry->queued_) {
          slot.entry->queued_ = false;
          ++count;
        }
      }
      live_ = 0;
      cancelled_in_heap_ = 0;
      publish_earliest();
    }
    wake_.notify_all();
    for (auto& slot : dropped) slot.entry->mark_finished();
    return count;
  }
  // Refuses further pushes but keeps what is queued (a loop shutting down drains it).
  void seal() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    wake_.notify_all();
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  // For real-time loops: blocks until an action is due at `clock_now()` or `wake_if()` holds
  // (checked under the queue's lock whenever notify() is called), or `deadline` passes.
  template <class Clock, class Pred>
  std::optional<Ready> wait_pop(Clock clock_now, TimePoint deadline, Pred wake_if) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (wake_if()) return std::nullopt;
      const TimePoint now = clock_now();
      if (auto ready = pop_due_locked(now)) return ready;
      if (now >= deadline) return std::nullopt;
      TimePoint until = deadline;
      if (!heap_.empty()) until = std::min(until, heap_.front().due);
      wake_.wait_until(lock, std::chrono::steady_clock::time_point(until.time_since_epoch()));
    }
  }

  // Wakes wait_pop() so it re-checks its predicate. `change` runs under the queue's lock.
  template <class F>
  void notify(F change) {
    {
      std::lock_guard lock(mutex_);
      change();
    }
    wake_.notify_all();
  }

 private:
  friend class Entry;

  struct Slot {
    TimePoint due;
    std::uint64_t seq;
    std::shared_ptr<Entry> entry;
  };

  // False if closed, or (for a requeued entry) cancelled while it ran: a cancellation checks
  // queued_ under this lock, so it either sees the entry queued or happened before this check.
  // Moves from `entry` only when it returns true.
  template <class EntryPtr>
  bool insert(TimePoint due, EntryPtr&& entry) {
    Entry* const raw = entry.get();
    bool earliest = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || raw->is_disposed()) return false;
      raw->queued_ = true;
      heap_.push_back(Slot{due, next_seq_++, std::forward<EntryPtr>(entry)});
      std::push_heap(heap_.begin(), heap_.end(), later);
      ++live_;
      earliest = heap_.front().entry.get() == raw;
      publish_earliest();
    }
    if (earliest) wake_.notify_all();
    return true;
  }

  // std::push_heap builds a max-heap; "later" as the less-than puts the earliest slot on top.
  static bool later(const Slot& a, const Slot& b) noexcept {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }

  void drop_cancelled_top() {
    while (!heap_.empty() && !heap_.front().entry->queued_) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
      --cancelled_in_heap_;
    }
    // A scheduler that keeps re-arming a far-away timer (debounce) would otherwise accumulate
    // dead slots until time reaches them.
    if (cancelled_in_heap_ > 64 && cancelled_in_heap_ > live_) {
      std::erase_if(heap_, [](const Slot& s) { return !s.entry->queued_; });
      std::make_heap(heap_.begin(), heap_.end(), later);
      cancelled_in_heap_ = 0;
    }
  }

  std::optional<Ready> pop_due_locked(TimePoint limit) {
    drop_cancelled_top();
    if (heap_.empty() || heap_.front().due > limit) {
      publish_earliest();
      return std::nullopt;
    }
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Slot slot = std::move(heap_.back());
    heap_.pop_back();
    slot.entry->queued_ = false;
    --live_;
    publish_earliest();
    return Ready{slot.due, std::move(slot.entry)};
  }

  // Under the lock, after the heap's top may have changed.
  void publish_earliest() noexcept {
    earliest_.store(heap_.empty() ? TimePoint::max().time_since_epoch().count()
                                  : heap_.front().due.time_since_epoch().count(),
                    std::memory_order_release);
  }

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Slot> heap_;
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;
  std::size_t cancelled_in_heap_ = 0;
  bool closed_ = false;
  // The top slot's due time (TimePoint::max() when empty); written under the lock.
  std::atomic<Duration::rep> earliest_{TimePoint::max().time_since_epoch().count()};
};

using TimedQueue = BasicTimedQueue<>;

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
