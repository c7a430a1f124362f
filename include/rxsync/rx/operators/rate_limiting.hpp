// rxsync/rx/operators/rate_limiting.hpp - debounce and throttle (RxJS debounceTime and
// throttleTime).
//
// debounce emits a value once `d` has passed without another; on completion it emits the
// pending value first, on error it drops it. throttle emits a value, then ignores values for
// `d` (the window covers [t, t + d]: an event at exactly t + d that was scheduled before the
// window's end timer is still inside it), with RxJS's leading/trailing options. A negative `d`
// counts as zero, as in RxJS. Timers go through the scheduler, which must outlive the
// subscription; unsubscribing cancels them. State is guarded by a mutex, so the scheduler may
// run on another thread; the mutex is never held while the downstream runs
// (detail/serial_emitter.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/detail/serial_emitter.hpp>
#include <rxsync/rx/detail/timed_operator.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace ops {
// RxJS throttle config: emit the first value of a window (leading) and/or the last value seen
// during it when it closes (trailing).
struct ThrottleConfig {
  bool leading = true;
  bool trailing = false;
};
}  // namespace ops

namespace detail {

// RxJS debounceTime: a value only records itself and the time; one timer, armed by the first
// value of a burst, runs at first + d and re-arms itself for last + d until that has passed.
template <class O, class T, class S>
struct DebounceState : TimedStateBase<DebounceState<O, T, S>, T, O, S> {
  using Base = TimedStateBase<DebounceState, T, O, S>;
  using Base::Base;
  std::optional<T> pending;  // set exactly while the timer is armed
  // The last value's time. Written under the lock; an atomic so that the timer can see without
  // the lock that it only has to re-arm, the common case while values keep coming.
  std::atomic<Duration::rep> last{0};

  TimePoint due() const noexcept {
    return add_saturated(TimePoint(Duration(last.load(std::memory_order_relaxed))), this->duration);
  }
  void on_next(const T& v) {
    typename Base::Token token = 0;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      pending = v;
      last.store(this->sched->now().time_since_epoch().count(), std::memory_order_relaxed);
      if (this->timer.armed()) return;
      token = this->timer.arm();
    }
    this->arm(token, due());
  }
  std::optional<TimePoint> on_timer(typename Base::Token token) {
    return this->on_deadline(token, [this](auto& l) {
      if (pending) {
        l.next(std::move(*pending));
        pending.reset();
      }
    });
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    pending.reset();
    l.cancel_after(this->timer.disarm());
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    if (pending) {
      l.next(std::move(*pending));
      pending.reset();
    }
    l.cancel_after(this->timer.disarm());
    l.complete();
  }
  void cancel() {
    auto l = this->em.lock();
    l.close();
    pending.reset();
    l.cancel_after(this->timer.disarm());
  }
};

// RxJS throttleTime: the window is the armed timer. RxJS opens it only after the value that
// opens it has been delivered, so a value the downstream sends back from inside that call finds
// no window and is sent too; `opening` counts such values still being delivered, and only
// re-entrant calls (from the delivering thread) look at it: for another thread the window opened
// with the decision to send.
template <class O, class T, class S>
struct ThrottleState : TimedStateBase<ThrottleState<O, T, S>, T, O, S> {
  using Base = TimedStateBase<ThrottleState, T, O, S>;
  using Token = typename Base::Token;
  ThrottleState(O d, S* s, Duration dur, ops::ThrottleConfig c)
      : Base(std::move(d), s, dur), config(c) {}
  ops::ThrottleConfig config;
  std::optional<T> send_value;
  bool complete = false;
  int opening = 0;

  void on_next(const T& v) {
    Token token = 0;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      send_value = v;
      const bool throttled = this->timer.armed() && !(opening > 0 && l.reentrant());
      if (throttled || (config.leading && !send(l))) return;
      if (!this->timer.armed()) token = this->timer.arm();
    }
    if (token != 0) this->arm(token, add_saturated(this->sched->now(), this->duration));
  }
  // RxJS send(): queues the value, if any; true if a window opens after it.
  bool send(typename SerialEmitter<T, O>::Lock& l) {
    if (!send_value) return false;
    l.next(std::move(*send_value));
    send_value.reset();
    if (complete) return false;
    ++opening;
    l.then(&ThrottleState::opened, this);
    return true;
  }
  static void opened(void* self) {
    auto* st = static_cast<ThrottleState*>(self);
    auto l = st->em.lock();
    --st->opening;
  }
  std::optional<TimePoint> on_timer(Token token) {  // the window closes
    auto l = this->em.lock();
    if (!this->timer.fire(token)) return std::nullopt;
    if (!config.trailing) return std::nullopt;
    if (send(l)) {
      this->timer.rearm(token);
      return add_saturated(this->sched->now(), this->duration);
    }
    if (complete) l.complete();
    return std::nullopt;
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    send_value.reset();
    l.cancel_after(this->timer.disarm());
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    complete = true;
    // The window's end sends the trailing value, then completes.
    if (config.trailing && send_value && this->timer.armed()) return;
    l.cancel_after(this->timer.disarm());
    l.complete();
  }
};

}  // namespace detail

namespace ops {

// Emits a value after `d` has passed without another value (RxJS debounceTime). A negative `d`
// counts as zero, as in RxJS: the value is emitted from a scheduler action at the same instant,
// unless another value arrives first.
template <class S>
auto debounce(Duration d, S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::DebounceState>(scheduler, std::max(d, Duration::zero()));
}

// Emits at most one value per window of `d` (RxJS throttleTime, same leading/trailing rules). A
// negative `d` counts as zero, as in RxJS (whose window is a timer(d), which clamps it).
template <class S>
auto throttle(Duration d, S& scheduler, ThrottleConfig config = {}) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::ThrottleState>(scheduler, std::max(d, Duration::zero()),
                                                       config);
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
