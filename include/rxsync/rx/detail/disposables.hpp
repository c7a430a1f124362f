// rxsync/rx/detail/disposables.hpp - the resource holders subscribers and operators are built
// on: a subscriber's list of resources (DisposableList, or LocalDisposables on the stack for a
// chain that ends inside subscribe()), and a replaceable slot for one resource at a time
// (SerialSubscription, SerialSlot). Internal.
//
// Thread-safety is stated per class: DisposableList and the slots may be used from any thread;
// LocalDisposables belongs to the thread that subscribes.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <rxsync/core/detail/force_inline.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// A set of resources cancelled together, plus a `stopped` flag that is raised first (by a
// terminal event or by unsubscribe) so that emitters stop before resources are released.
// add() and unsubscribe() are thread-safe; is_stopped() is one atomic load.
class DisposableList final : public SubscriptionState {
 public:
  bool is_stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  // The flag itself, for a holder that checks it without a call (AnyObserver).
  const std::atomic<bool>& stopped_flag() const noexcept { return stopped_; }
  // Raises the flag; true for the caller that raised it (the one that owns the terminal event).
  bool stop() noexcept { return !stopped_.exchange(true, std::memory_order_acq_rel); }

  void add(Subscription s) {
    if (!s.is_subscribed()) return;
    {
      std::lock_guard lock(mutex_);
      if (!is_disposed()) {
        if (!first_.is_subscribed()) {
          first_ = std::move(s);
          return;
        }
        // Resources that finished on their own (a fired timer, a completed inner source) are
        // dropped now and then, so a long-lived subscriber does not grow without bound.
        if (rest_.size() >= prune_at_) {
          erase_where(rest_, [](const Subscription& r) { return !r.is_subscribed(); });
          prune_at_ = std::max<std::size_t>(8, rest_.size() * 2);
        }
        rest_.push_back(std::move(s));
        return;
      }
    }
    s.unsubscribe();
  }

 private:
  void dispose() noexcept override {
    stopped_.store(true, std::memory_order_release);
    Subscription first;
    std::vector<Subscription> rest;
    {
      std::lock_guard lock(mutex_);
      first = std::move(first_);
      rest.swap(rest_);
    }
    // Outside the lock: a teardown may re-enter (e.g. complete another subscriber).
    first.unsubscribe();
    for (auto& s : rest) s.unsubscribe();
  }

  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  Subscription first_;  // most subscribers own exactly one upstream: keep it out of the vector
  std::vector<Subscription> rest_;
  std::size_t prune_at_ = 8;
};

// The subscriber state of a chain that is over when subscribe() returns (a synchronous source
// and operators that keep nothing): it lives on subscribe()'s stack, so such a subscribe costs
// no allocation. One thread only, by construction.
class LocalDisposables {
 public:
  LocalDisposables() = default;
  LocalDisposables(const LocalDisposables&) = delete;
  LocalDisposables& operator=(const LocalDisposables&) = delete;
  ~LocalDisposables() { unsubscribe(); }

  bool is_stopped() const noexcept { return stopped_; }
  bool stop() noexcept { return !std::exchange(stopped_, true); }
  void add(Subscription s) {
    if (stopped_) {
      s.unsubscribe();
      return;
    }
    if (!held_) held_ = std::make_unique<std::vector<Subscription>>();
    held_->push_back(std::move(s));
  }
  // Inline and branch-free when nothing was added (the usual case: synchronous sources and
  // per-value operators register nothing), so a static chain's subscribe folds to its loop.
  RXSYNC_FORCE_INLINE void unsubscribe() noexcept {
    stopped_ = true;
    if (held_) release_held();
  }

 private:
  void release_held() noexcept {
    const std::unique_ptr<std::vector<Subscription>> held = std::move(held_);
    for (auto& s : *held) s.unsubscribe();
  }

  bool stopped_ = false;
  std::unique_ptr<std::vector<Subscription>> held_;  // allocated by the first add()
};

// A replaceable slot for one resource (the current timer of debounce, interval's next tick).
// set() cancels what it replaces; once disposed, whatever is set is cancelled at once.
// Thread-safe.
class SerialSubscription : public SubscriptionState {
 public:
  void set(Subscription s) {
    Subscription old;
    {
      std::lock_guard lock(mutex_);
      if (!is_disposed()) {
        old = std::exchange(current_, std::move(s));
        s = Subscription();
      }
    }
    old.unsubscribe();
    s.unsubscribe();  // non-empty only when we were already disposed
  }

 protected:
  void dispose() noexcept override {
    Subscription taken;
    {
      std::lock_guard lock(mutex_);
      taken = std::move(current_);
    }
    taken.unsubscribe();
  }
  mutable std::mutex mutex_;

 private:
  Subscription current_;
};

// A SerialSubscription that also keeps what the operator needs to start the next resource
// (retry's source, switch_map's projection) and drops it when disposed. Operators whose sinks
// own their state must not keep such a thing once the subscription is over: a source that keeps
// its subscribers (a subject only flags an unsubscribed node until its next emission) would
// hold the state, the state would hold the source, and neither would ever be freed. get() hands
// out a shared reference, used without the lock: the call may re-enter (unsubscribe, dispose
// this slot) and must not see the value destroyed under it. Thread-safe.
template <class V>
class SerialSlot final : public SerialSubscription {
 public:
  explicit SerialSlot(std::shared_ptr<V> value) noexcept : value_(std::move(value)) {}

  // Null once disposed.
  std::shared_ptr<V> get() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

 private:
  void dispose() noexcept override {
    std::shared_ptr<V> dropped;
    {
      std::lock_guard lock(mutex_);
      dropped = std::move(value_);
    }
    SerialSubscription::dispose();
    // `dropped` is released last and outside the lock: it may be what frees a whole chain.
  }
  std::shared_ptr<V> value_;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
