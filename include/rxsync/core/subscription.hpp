// rxsync/core/subscription.hpp - handles to things that can be cancelled.
//
// A Subscription is a copyable handle shared by whoever may cancel the work: the subscriber,
// the operator that owns an inner subscription, a timer. unsubscribe() is idempotent and safe
// from any thread and from inside the callback it cancels; the teardown runs exactly once.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// std::erase_if for a vector, by index: std::erase_if instantiates remove_if, find_if, an
// iterator predicate wrapper and a range erase per element type, which every TU that includes
// rxsync headers compiled for the subscription containers below.
template <class T, class Pred>
void erase_where(std::vector<T>& v, Pred pred) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (pred(v[i])) continue;
    if (kept != i) v[kept] = std::move(v[i]);
    ++kept;
  }
  while (v.size() > kept) v.pop_back();
}

// Base of everything a Subscription can point at. The atomic flag makes the teardown run once
// even when two threads unsubscribe at the same moment.
class SubscriptionState {
 public:
  SubscriptionState() = default;
  SubscriptionState(const SubscriptionState&) = delete;
  SubscriptionState& operator=(const SubscriptionState&) = delete;
  virtual ~SubscriptionState() = default;

  void unsubscribe() noexcept {
    if (!disposed_.exchange(true, std::memory_order_acq_rel)) {
      dispose();
    }
  }
  bool is_disposed() const noexcept { return disposed_.load(std::memory_order_acquire); }

 protected:
  // Called once, by the first unsubscribe(). Must not throw.
  virtual void dispose() noexcept = 0;
  // Marks the state finished without running dispose(): for work that completed by itself
  // (a timer that fired), so is_subscribed() turns false. Returns false if already disposed.
  bool mark_disposed() noexcept { return !disposed_.exchange(true, std::memory_order_acq_rel); }

 private:
  std::atomic<bool> disposed_{false};
};

template <class F>
class CallbackSubscriptionState final : public SubscriptionState {
 public:
  explicit CallbackSubscriptionState(F f) : teardown_(std::move(f)) {}

 private:
  void dispose() noexcept override {
    F teardown = std::move(teardown_);  // release captures as soon as the work is cancelled
    teardown();
  }
  F teardown_;
};

class EmptyTeardownState final : public SubscriptionState {
  void dispose() noexcept override {}
};

}  // namespace detail

// A copyable handle to something cancellable. Copies share the state: unsubscribing one
// unsubscribes all. A default-constructed Subscription refers to nothing.
class Subscription {
 public:
  Subscription() noexcept = default;
  explicit Subscription(std::shared_ptr<detail::SubscriptionState> state) noexcept
      : state_(std::move(state)) {}

  // A subscription whose unsubscribe() runs `teardown` once. The teardown must not throw.
  template <class F>
    requires std::is_invocable_v<std::decay_t<F>&>
  static Subscription create(F&& teardown) {
    return Subscription(std::make_shared<detail::CallbackSubscriptionState<std::decay_t<F>>>(
        std::forward<F>(teardown)));
  }
  // A live subscription with nothing to tear down; useful as a cancellation flag.
  static Subscription create() {
    return Subscription(std::make_shared<detail::EmptyTeardownState>());
  }

  void unsubscribe() const noexcept {
    if (state_) state_->unsubscribe();
  }
  bool is_subscribed() const noexcept { return state_ && !state_->is_disposed(); }

  friend bool operator==(const Subscription& a, const Subscription& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  std::shared_ptr<detail::SubscriptionState> state_;
};

// Move-only owner: unsubscribes what it holds when destroyed or reassigned.
class ScopedSubscription {
 public:
  ScopedSubscription() noexcept = default;
  ScopedSubscription(Subscription s) noexcept : sub_(std::move(s)) {}  // NOLINT: RAII adoption
  ScopedSubscription(ScopedSubscription&& other) noexcept : sub_(std::exchange(other.sub_, {})) {}
  ScopedSubscription& operator=(ScopedSubscription&& other) noexcept {
    if (this != &other) {
      sub_.unsubscribe();
      sub_ = std::exchange(other.sub_, {});
    }
    return *this;
  }
  ScopedSubscription(const ScopedSubscription&) = delete;
  ScopedSubscription& operator=(const ScopedSubscription&) = delete;
  ~ScopedSubscription() { sub_.unsubscribe(); }

  void reset(Subscription s = {}) noexcept {
    sub_.unsubscribe();
    sub_ = std::move(s);
  }
  // Gives up ownership without unsubscribing.
  Subscription release() noexcept { return std::exchange(sub_, {}); }
  const Subscription& get() const noexcept { return sub_; }
  void unsubscribe() noexcept { sub_.unsubscribe(); }
  bool is_subscribed() const noexcept { return sub_.is_subscribed(); }

 private:
  Subscription sub_;
};

namespace detail {

// CompositeSubscription's members, in a class template so that they (and the shared state and
// vector code they instantiate) are compiled only in a program that uses a composite, not in
// every one that includes an rxsync header.
template <class = void>
class CompositeSubscriptionImpl {
  struct State final : SubscriptionState {
    std::mutex mutex;
    std::vector<Subscription> children;
    std::size_t prune_at = 16;
    void dispose() noexcept override {
      std::vector<Subscription> taken;
      {
        std::lock_guard lock(mutex);
        taken.swap(children);
      }
      for (auto& child : taken) child.unsubscribe();  // outside the lock: teardowns may re-enter
    }
  };

 public:
  CompositeSubscriptionImpl() : state_(std::make_shared<State>()) {}

  void add(Subscription child) const {
    if (!child.is_subscribed()) return;
    {
      std::lock_guard lock(state_->mutex);
      if (!state_->is_disposed()) {
        // Children that finished on their own are dropped now and then so that a long-lived
        // group holding many short-lived children does not grow without bound.
        auto& kids = state_->children;
        if (kids.size() >= state_->prune_at) {
          erase_where(kids, [](const Subscription& s) { return !s.is_subscribed(); });
          state_->prune_at = std::max<std::size_t>(16, kids.size() * 2);
        }
        kids.push_back(std::move(child));
        return;
      }
    }
    child.unsubscribe();
  }
  // Forgets a child without unsubscribing it (it finished, or ownership moved elsewhere).
  void remove(const Subscription& child) const {
    std::lock_guard lock(state_->mutex);
    auto& kids = state_->children;
    for (auto& kid : kids) {
      if (kid == child) {
        kid = std::move(kids.back());
        kids.pop_back();
        return;
      }
    }
  }
  void unsubscribe() const noexcept { state_->unsubscribe(); }
  bool is_subscribed() const noexcept { return !state_->is_disposed(); }
  std::size_t size() const {
    std::lock_guard lock(state_->mutex);
    return state_->children.size();
  }

  Subscription subscription() const { return Subscription(state_); }
  operator Subscription() const { return subscription(); }  // NOLINT: a composite is a subscription

 private:
  std::shared_ptr<State> state_;
};

}  // namespace detail

// A group cancelled together. Once unsubscribed, anything added later is cancelled at once,
// so a late inner subscription cannot outlive its owner. Thread-safe.
class CompositeSubscription : public detail::CompositeSubscriptionImpl<> {};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
