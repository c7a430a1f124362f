// rxsync/rx/operators/delay_timeout.hpp - operators that move events in time or across threads:
// delay, timeout, observe_on.
//
// delay shifts every value by d (completion follows the last delayed value; errors are not
// delayed, as in RxJS). A negative d counts as zero: RxJS builds delay on timer, which clamps
// it. timeout errors with rxsync::TimeoutError when no value arrives within d of the
// subscription or of the previous value; with d <= 0 only the first value has a deadline (as in
// RxJS, which re-arms its timer after a value only for a positive d). observe_on re-emits every
// event from actions on the given scheduler, in order. All timers go through the scheduler, which
// must outlive the subscription; unsubscribing cancels them. State is guarded by a mutex.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// The error timeout() sends.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("rxsync::ops::timeout: no value within the timeout") {}
};

namespace detail {

template <class O, class T, class S>
struct DelayState : std::enable_shared_from_this<DelayState<O, T, S>> {
  DelayState(O d, S* s, Duration dur) : down(std::move(d)), sched(s), duration(dur) {}

  void on_next(const T& v) {
    std::lock_guard lock(mutex);
    if (done) return;
    if (!registered) {  // first value: make unsubscribe cancel every pending timer
      registered = true;
      std::weak_ptr<DelayState> weak = this->shared_from_this();
      down.add(Subscription::create([weak] {
        if (auto self = weak.lock()) self->cancel_all();
      }));
    }
    queue.push_back(v);
    auto self = this->shared_from_this();
    timers.push_back(sched->schedule_after(duration, [self] { self->fire(); }));
  }
  void fire() {  // every value has the same delay, so timers fire in arrival order
    std::lock_guard lock(mutex);
    if (done || queue.empty()) return;
    T v = std::move(queue.front());
    queue.pop_front();
    timers.pop_front();
    down.on_next(v);
    if (completed && queue.empty() && !std::exchange(done, true)) down.on_completed();
  }
  void on_error(std::exception_ptr e) {
    std::lock_guard lock(mutex);
    if (std::exchange(done, true)) return;
    cancel_all();
    down.on_error(std::move(e));
  }
  void on_completed() {
    std::lock_guard lock(mutex);
    if (done) return;
    completed = true;
    if (queue.empty()) {
      done = true;
      down.on_completed();
    }
  }
  void cancel_all() {
    std::lock_guard lock(mutex);
    done = true;
    for (auto& t : timers) t.unsubscribe();
    timers.clear();
    queue.clear();
  }

  std::recursive_mutex mutex;
  O down;
  S* sched;
  Duration duration;
  std::deque<T> queue;
  std::deque<Subscription> timers;
  bool registered = false;
  bool completed = false;
  bool done = false;
};

template <class O, class T, class S>
struct TimeoutState : TimedStateBase<O, S>, std::enable_shared_from_this<TimeoutState<O, T, S>> {
  using TimedStateBase<O, S>::TimedStateBase;
  std::uint64_t generation = 0;

  void start() {  // after subscribing: not if the source already emitted or ended synchronously
    std::lock_guard lock(this->mutex);
    if (this->done || generation != 0 || this->down.is_disposed()) return;
    arm();
  }
  void arm() {
    const std::uint64_t gen = ++generation;
    auto self = this->shared_from_this();
    this->timer->set(this->sched->schedule_after(this->duration, [self, gen] { self->fire(gen); }));
  }
  void fire(std::uint64_t gen) {
    std::lock_guard lock(this->mutex);
    if (gen != generation || std::exchange(this->done, true)) return;
    this->down.on_error(std::make_exception_ptr(TimeoutError()));
  }
  void on_next(const T& v) {
    std::lock_guard lock(this->mutex);
    if (this->done) return;
    if (this->duration > Duration::zero()) {
      arm();
    } else {  // the first value met the deadline, and there is none for the values after it
      ++generation;
      this->timer->set(Subscription());
    }
    this->down.on_next(v);
  }
  void on_error(std::exception_ptr e) {
    std::lock_guard lock(this->mutex);
    if (std::exchange(this->done, true)) return;
    this->timer->unsubscribe();
    this->down.on_error(std::move(e));
  }
  void on_completed() {
    std::lock_guard lock(this->mutex);
    if (std::exchange(this->done, true)) return;
    this->timer->unsubscribe();
    this->down.on_completed();
  }
};

struct CompletedEvent {};

// Queues events and drains them from one scheduled action at a time, so delivery is serialized
// and in order whatever thread the events come from; the lock is not held while delivering.
template <class O, class T, class S>
struct ObserveOnState : TimedStateBase<O, S>,
                        std::enable_shared_from_this<ObserveOnState<O, T, S>> {
  using Event = std::variant<T, std::exception_ptr, CompletedEvent>;
  ObserveOnState(O d, S* s, Duration dur) : TimedStateBase<O, S>(std::move(d), s, dur) {
    this->down.add(Subscription(upstream));
  }
  // The upstream has its own list: a terminal event is delivered later, from the scheduler,
  // but the upstream is released as soon as it is queued (RxJS observeOn does the same).
  std::shared_ptr<DisposableList> upstream = std::make_shared<DisposableList>();
  bool upstream_disposed() const noexcept {
    return upstream->is_stopped() || this->down.is_disposed();
  }
  void add_upstream(Subscription s) { upstream->add(std::move(s)); }

  std::mutex queue_mutex;
  std::vector<Event> queue;
  std::vector<Event> draining;
  bool scheduled = false;

  template <class E>
  void push(E&& e) {
    constexpr bool terminal = !std::is_same_v<std::decay_t<E>, T>;
    {
      std::lock_guard lock(queue_mutex);
      if (this->done) return;
      if constexpr (terminal) this->done = true;
      queue.emplace_back(std::forward<E>(e));
      if (!std::exchange(scheduled, true)) {
        auto self = this->shared_from_this();
        this->timer->set(this->sched->schedule([self] { self->drain(); }));
      }
    }
    if constexpr (terminal) upstream->unsubscribe();
  }
  void on_next(const T& v) { push(v); }
  void on_error(std::exception_ptr e) { push(std::move(e)); }
  void on_completed() { push(CompletedEvent{}); }

  void drain() {
    for (;;) {
      {
        std::lock_guard lock(queue_mutex);
        if (queue.empty()) {
          scheduled = false;
          return;
        }
        std::swap(queue, draining);
      }
      for (auto& ev : draining) {
        if (this->down.is_disposed()) break;
        if (auto* v = std::get_if<T>(&ev)) {
          this->down.on_next(*v);
        } else if (auto* e = std::get_if<std::exception_ptr>(&ev)) {
          this->down.on_error(*e);
        } else {
          this->down.on_completed();
        }
      }
      draining.clear();
    }
  }
};

}  // namespace detail

namespace ops {

// Emits each value `d` later, from a scheduler action even when `d` is zero or negative (which
// counts as zero, like rxsync::timer and RxJS).
template <class S>
auto delay(Duration d, S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::DelayState>(scheduler, std::max(d, Duration::zero()));
}

// Errors with TimeoutError if `d` passes without a value (measured from the subscription, then
// from each value), like RxJS timeout(d). With `d` zero (a negative `d` counts as zero, as RxJS's
// scheduling treats it), the error comes from an action scheduled at the subscription unless a
// value arrives first, e.g. synchronously during subscribe; after a value it never comes.
template <class S>
auto timeout(Duration d, S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::TimeoutState>(scheduler, std::max(d, Duration::zero()));
}

// Delivers every event from an action on `scheduler` (in order, serialized).
template <class S>
auto observe_on(S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::ObserveOnState>(scheduler, Duration::zero());
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
