// rxsync/rx/operators/timeout.hpp - timeout: error with rxsync::TimeoutError when a value does
// not come in time (RxJS timeout).
//
// timeout(d) errors when no value arrives within d of the subscription or of the previous value;
// with d <= 0 only the first value has a deadline (as in RxJS, which re-arms its timer after a
// value only for a positive d). One scheduler action per subscription, re-armed as the deadline
// moves (detail/timed_operator.hpp); the scheduler must outlive the subscription and
// unsubscribing cancels it. State is guarded by a mutex that is never held while the downstream
// runs (detail/serial_emitter.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
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

// The error timeout() sends.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("rxsync::ops::timeout: no value within the timeout") {}
};
namespace detail {

// One timer for a deadline that every value moves: a value only stores now + d; the timer,
// when it runs before the deadline, re-arms itself for what remains.
template <class O, class T, class S>
struct TimeoutState : TimedStateBase<TimeoutState<O, T, S>, T, O, S> {
  using Base = TimedStateBase<TimeoutState, T, O, S>;
  using Token = typename Base::Token;
  using Base::Base;
  // Written under the lock; an atomic so that the timer can see without the lock that it only
  // has to re-arm, the common case while values keep coming.
  std::atomic<Duration::rep> deadline{0};
  bool seen_value = false;

  TimePoint due() const noexcept {
    return TimePoint(Duration(deadline.load(std::memory_order_relaxed)));
  }
  void set_due(TimePoint t) noexcept {
    deadline.store(t.time_since_epoch().count(), std::memory_order_relaxed);
  }
  void started() {  // after subscribing: not if the source already emitted or ended synchronously
    Token token = 0;
    {
      auto l = this->em.lock();
      if (l.ended() || seen_value) return;
      set_due(add_saturated(this->sched->now(), this->duration));
      token = this->timer.arm();
    }
    this->arm(token, due());
  }
  std::optional<TimePoint> on_timer(Token token) {
    return this->on_deadline(token,
                             [](auto& l) { l.error(std::make_exception_ptr(TimeoutError())); });
  }
  void on_next(const T& v) {
    Token token = 0;
    TimePoint until;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      seen_value = true;
      if (this->duration > Duration::zero()) {
        until = add_saturated(this->sched->now(), this->duration);
        set_due(until);
        // Only a value sent during subscribe, before started(), finds no timer armed.
        if (!this->timer.armed()) token = this->timer.arm();
      } else {  // the first value met the deadline, and there is none for the values after it
        l.cancel_after(this->timer.disarm());
      }
      l.next(v);
    }
    if (token != 0) this->arm(token, until);
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    l.cancel_after(this->timer.disarm());
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    l.cancel_after(this->timer.disarm());
    l.complete();
  }
};
}  // namespace detail

namespace ops {

// Errors with TimeoutError if `d` passes without a value (measured from the subscription, then
// from each value), like RxJS timeout(d). With `d` zero (a negative `d` counts as zero, as RxJS's
// scheduling treats it), the error comes from an action scheduled at the subscription unless a
// value arrives first, e.g. synchronously during subscribe; after a value it never comes.
template <class S>
auto timeout(Duration d, S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::TimeoutState>(scheduler, std::max(d, Duration::zero()));
}
}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
