// rxsync/rx/operators/delay_timeout.hpp - operators that move events in time or across threads:
// delay, observe_on, and timeout (in <rxsync/rx/operators/timeout.hpp>, included here).
//
// delay shifts every value by d (completion follows the last delayed value; errors are not
// delayed, as in RxJS). A negative d counts as zero: RxJS builds delay on timer, which clamps
// it. observe_on re-emits every event from actions on the given scheduler, in order. All timers go
// through the scheduler, which must outlive the subscription; unsubscribing cancels them. State
// is guarded by a mutex that is never held while the downstream runs (detail/serial_emitter.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <deque>
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
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/operators/timeout.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// One scheduler action per value, armed on arrival as RxJS arms each value's timer. One action
// for the head of a queue of values would be armed only when the one before it ran, so at an
// instant shared with other actions a delayed value would move after actions armed in between
// (docs/reactive.md, "Timed operators").
template <class O, class T, class S>
struct DelayState : std::enable_shared_from_this<DelayState<O, T, S>> {
  DelayState(O d, S* s, Duration dur) : em(std::move(d)), sched(s), duration(dur) {}

  void start() {
    std::weak_ptr<DelayState> weak = this->shared_from_this();
    em.add(Subscription::create([weak] {
      if (auto self = weak.lock()) self->cancel();
    }));
  }
  void on_next(const T& v) {
    {
      auto l = em.lock();
      if (l.ended()) return;
      values.push_back(v);
    }
    auto self = this->shared_from_this();
    Subscription timer = sched->schedule_after(duration, [self] { self->fire(); });
    auto l = em.lock();
    if (l.ended()) {
      l.cancel_after(std::move(timer));
      return;
    }
    // Timers run in the order they were armed: the spent ones are at the front.
    while (!timers.empty() && !timers.front().is_subscribed()) timers.pop_front();
    timers.push_back(std::move(timer));
  }
  void fire() {  // every value has the same delay, so timers fire in arrival order
    auto l = em.lock();
    if (l.ended() || values.empty()) return;
    l.next(std::move(values.front()));
    values.pop_front();
    if (completed && values.empty()) l.complete();
  }
  void on_error(std::exception_ptr e) {
    std::deque<Subscription> doomed;
    {
      auto l = em.lock();
      if (l.ended()) return;
      doomed.swap(timers);
      values.clear();
      l.error(std::move(e));
    }
    for (auto& t : doomed) t.unsubscribe();
  }
  void on_completed() {
    auto l = em.lock();
    if (l.ended()) return;
    completed = true;
    if (values.empty()) l.complete();
  }
  void cancel() {
    std::deque<Subscription> doomed;
    {
      auto l = em.lock();
      l.close();
      doomed.swap(timers);
      values.clear();
    }
    for (auto& t : doomed) t.unsubscribe();
  }

  SerialEmitter<T, O> em;
  S* sched;
  Duration duration;
  std::deque<T> values;  // guarded by em's lock
  std::deque<Subscription> timers;
  bool completed = false;
};

// Queues events and delivers them from one scheduled action at a time, so delivery is
// serialized and in order whatever thread the events come from; events that arrive while that
// action is queued or running join it.
template <class O, class T, class S>
struct ObserveOnState : TimedStateBase<ObserveOnState<O, T, S>, T, O, S> {
  using Base = TimedStateBase<ObserveOnState, T, O, S>;
  using Token = typename Base::Token;
  ObserveOnState(O d, S* s, Duration dur) : Base(std::move(d), s, dur) {
    this->em.add(Subscription(upstream));
  }
  // The upstream has its own list: a terminal event is delivered later, from the scheduler,
  // but the upstream is released as soon as it is queued (RxJS observeOn does the same).
  std::shared_ptr<DisposableList> upstream = std::make_shared<DisposableList>();
  bool upstream_disposed() const noexcept {
    return upstream->is_stopped() || this->em.is_disposed();
  }
  void add_upstream(Subscription s) { upstream->add(std::move(s)); }

  template <class Push>
  void push(Push&& push_event, bool terminal) {
    Token token = 0;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      push_event(l);
      if (l.reserve()) token = this->timer.arm();
    }
    if (token != 0) schedule_delivery(token);
    if (terminal) upstream->unsubscribe();
  }
  void schedule_delivery(Token token) {
    auto self = this->shared_from_this();
    Subscription handle = this->sched->schedule([self, token] { self->on_timer(token); });
    auto l = this->em.lock();
    l.cancel_after(this->timer.attach(token, std::move(handle)));
  }
  std::optional<TimePoint> on_timer(Token token) {
    {
      auto l = this->em.lock();
      if (!this->timer.fire(token)) return std::nullopt;
    }
    this->em.deliver_reserved();
    return std::nullopt;
  }
  void on_next(const T& v) {
    push([&](auto& l) { l.next(v); }, false);
  }
  void on_error(std::exception_ptr e) {
    push([&](auto& l) { l.error(std::move(e)); }, true);
  }
  void on_completed() {
    push([](auto& l) { l.complete(); }, true);
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

// Delivers every event from an action on `scheduler` (in order, serialized).
template <class S>
auto observe_on(S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::ObserveOnState>(scheduler, Duration::zero());
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
