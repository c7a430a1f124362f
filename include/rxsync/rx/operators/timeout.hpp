// rxsync/rx/operators/timeout.hpp - timeout: error (rxsync::TimeoutError) or switch to a fallback
// observable when a value does not come in time (RxJS timeout).
//
// timeout(d) errors when no value arrives within d of the subscription or of the previous value;
// with d <= 0 only the first value has a deadline (as in RxJS, which re-arms its timer after a
// value only for a positive d). TimeoutConfig sets the first value's deadline apart from the
// others' (RxJS timeout({first, each})); with a fallback, the deadline unsubscribes the source
// and subscribes the fallback in its place (RxJS's `with`). One scheduler action per
// subscription, re-armed as the deadline moves (detail/timed_operator.hpp); the scheduler must
// outlive the subscription and unsubscribing cancels it. State is guarded by a mutex that is
// never held while the downstream runs (detail/serial_emitter.hpp). The fallback is held only
// until it is subscribed or the subscription ends.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
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

namespace ops {
// RxJS timeout's config: the deadline of the first value, counted from the subscription, and of
// each later one, counted from the value before. Unset `first` means `each`.
struct TimeoutConfig {
  std::optional<Duration> first;
  std::optional<Duration> each;
};
}  // namespace ops

namespace detail {

// What timeout(..., fallback) switches to; NoFallback: it errors with TimeoutError instead.
struct NoFallback {};

// One timer for a deadline that every value moves: a value only stores now + each; the timer,
// when it runs before the deadline, re-arms itself for what remains. The first deadline is
// `first` after the subscription. With a fallback, the source has its own list, so that the
// deadline can unsubscribe it alone before subscribing the fallback (RxJS timeout's `with`).
template <class O, class T, class S, class Fb>
struct TimeoutState : TimedStateBase<TimeoutState<O, T, S, Fb>, T, O, S> {
  using Base = TimedStateBase<TimeoutState, T, O, S>;
  using Token = typename Base::Token;
  static constexpr bool kFallback = !std::is_same_v<Fb, NoFallback>;
  using FallbackPtr = std::conditional_t<kFallback, std::shared_ptr<const Fb>, NoFallback>;

  // timeout(d): the deadline is d after the subscription and after each value, if d > 0.
  TimeoutState(O d, S* s, Duration each) : TimeoutState(std::move(d), s, each, each, true, {}) {}
  TimeoutState(O d, S* s, Duration each, Duration first_deadline, bool has_each, FallbackPtr fb)
      : Base(std::move(d), s, each),
        first(first_deadline),
        rearm(has_each && each > Duration::zero()),
        fallback(std::move(fb)) {
    if constexpr (kFallback) {
      upstream = std::make_shared<DisposableList>();
      this->em.add(Subscription(upstream));
    }
  }

  Duration first;
  bool rearm;
  // Written under the lock; an atomic so that the timer can see without the lock that it only
  // has to re-arm, the common case while values keep coming.
  std::atomic<Duration::rep> deadline{0};
  bool seen_value = false;
  bool switched = false;  // the fallback took over: the source's events are stale
  // Dropped at the end of the subscription: it may be a subject holding this state.
  [[no_unique_address]] FallbackPtr fallback;
  [[no_unique_address]] std::conditional_t<kFallback, std::shared_ptr<DisposableList>, NoFallback>
      upstream{};

  bool upstream_disposed() const noexcept
    requires kFallback
  {
    return upstream->is_stopped() || this->em.is_disposed();
  }
  void add_upstream(Subscription s)
    requires kFallback
  {
    upstream->add(std::move(s));
  }

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
      set_due(add_saturated(this->sched->now(), first));
      token = this->timer.arm();
    }
    this->arm(token, due());
  }
  std::optional<TimePoint> on_timer(Token token) {
    bool expired = false;
    auto again = this->on_deadline(token, [&](auto& l) {
      if constexpr (kFallback) {
        switched = expired = true;
      } else {
        l.error(std::make_exception_ptr(TimeoutError()));
      }
    });
    if constexpr (kFallback) {
      if (expired) switch_to_fallback();
    }
    return again;
  }
  void switch_to_fallback()
    requires kFallback
  {
    upstream->unsubscribe();  // first, as RxJS does
    std::shared_ptr<const Fb> fb;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      fb = std::move(fallback);
      fallback = nullptr;
    }
    if (fb) fb->subscribe_observer(FallbackSink{this->shared_from_this()});
  }
  void on_next(const T& v) {
    Token token = 0;
    TimePoint until;
    {
      auto l = this->em.lock();
      if (l.ended() || switched) return;
      seen_value = true;
      if (rearm) {
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
    end([&](auto& l) { l.error(std::move(e)); });
  }
  void on_completed() {
    end([](auto& l) { l.complete(); });
  }
  void cancel() {
    FallbackPtr dropped{};  // released after the lock
    auto l = this->em.lock();
    l.close();
    l.cancel_after(this->timer.disarm());
    if constexpr (kFallback) dropped = std::exchange(fallback, nullptr);
  }

  // The fallback's events go straight downstream, through the same serialized emitter.
  class FallbackSink {
   public:
    explicit FallbackSink(std::shared_ptr<TimeoutState> s) : st_(std::move(s)) {}
    void on_next(const T& v) { st_->em.lock().next(v); }
    void on_error(std::exception_ptr e) { st_->em.lock().error(std::move(e)); }
    void on_completed() { st_->em.lock().complete(); }
    bool is_disposed() const noexcept { return st_->em.is_disposed(); }
    void add(Subscription s) { st_->em.add(std::move(s)); }

   private:
    std::shared_ptr<TimeoutState> st_;
  };

 private:
  template <class F>
  void end(F&& event) {
    FallbackPtr dropped{};  // released after the lock
    auto l = this->em.lock();
    if (l.ended() || switched) return;
    l.cancel_after(this->timer.disarm());
    if constexpr (kFallback) dropped = std::exchange(fallback, nullptr);
    event(l);
  }
};

template <class Fb>
struct TimeoutWith {
  template <class O, class T, class S>
  using State = TimeoutState<O, T, S, Fb>;
};

// Checks the fallback's element type, then is the timed operator.
template <class S, class Fb>
struct TimeoutFallbackOperator : OperatorBase {
  S* sched;
  Duration each;
  Duration first;
  bool has_each;
  std::shared_ptr<const Fb> fallback;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!std::is_same_v<T, typename Fb::value_type>) {
      static_assert(std::is_same_v<T, typename Fb::value_type>,
                    "rxsync::ops::timeout(..., fallback): the fallback must emit the source's "
                    "value_type (convert it with ops::map first)");
      return invalid_observable();
    } else {
      return timed_operator<TimeoutWith<Fb>::template State>(*sched, each, first, has_each,
                                                             fallback)(std::forward<Src>(src));
    }
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
  return detail::timed_operator<detail::TimeoutWith<detail::NoFallback>::State>(
      scheduler, std::max(d, Duration::zero()));
}

// As timeout(config, scheduler), but at the deadline the source is unsubscribed and `fallback`
// (an observable of the same element type) subscribed in its place (RxJS timeout({..., with})).
template <class S, class Fb>
  requires detail::IsObservable<std::remove_cvref_t<Fb>>
auto timeout(TimeoutConfig config, S& scheduler, Fb&& fallback) {
  static_assert(check_scheduler<S>());
  if (!config.first && !config.each) {
    throw std::invalid_argument("rxsync::ops::timeout: config must set first or each, got neither");
  }
  using F = std::remove_cvref_t<Fb>;
  const Duration each = std::max(config.each.value_or(Duration::zero()), Duration::zero());
  const Duration first = std::max(config.first.value_or(each), Duration::zero());
  if constexpr (!Scheduler<S>) {
    return detail::InvalidOperator{};
  } else {
    return detail::TimeoutFallbackOperator<S, F>{
        {},
        &scheduler,
        each,
        first,
        config.each.has_value(),
        std::make_shared<const F>(std::forward<Fb>(fallback))};
  }
}

// timeout(d) switching to `fallback` instead of erroring (RxJS timeout({each: d, with})).
template <class S, class Fb>
  requires detail::IsObservable<std::remove_cvref_t<Fb>>
auto timeout(Duration d, S& scheduler, Fb&& fallback) {
  return ops::timeout(TimeoutConfig{std::nullopt, d}, scheduler, std::forward<Fb>(fallback));
}

// RxJS timeout({first, each}): TimeoutError unless the first value comes within `first` of the
// subscription (`each` when `first` is not set) and each later one within `each` of the value
// before (no deadline after the first value when `each` is not set or not positive). Negative
// durations count as zero; setting neither throws std::invalid_argument.
template <class S>
auto timeout(TimeoutConfig config, S& scheduler) {
  static_assert(check_scheduler<S>());
  if (!config.first && !config.each) {
    throw std::invalid_argument("rxsync::ops::timeout: config must set first or each, got neither");
  }
  const Duration each = std::max(config.each.value_or(Duration::zero()), Duration::zero());
  const Duration first = std::max(config.first.value_or(each), Duration::zero());
  return detail::timed_operator<detail::TimeoutWith<detail::NoFallback>::State>(
      scheduler, each, first, config.each.has_value(), detail::NoFallback{});
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
