// rxsync/rx/operators/sample_audit.hpp - emit the latest value at times chosen elsewhere:
// sample(notifier), sample_time(d, scheduler), audit(duration_selector), audit_time(d, scheduler)
// (RxJS sample, sampleTime, audit, auditTime).
//
// sample emits the latest value, if a new one arrived, whenever the notifier emits (sample_time:
// every d from the subscription); the source's completion completes at once, dropping a value
// not yet sampled. audit, at a value that finds no window open, opens one (a timer of d, or the
// observable duration_selector(v) until it emits or completes) and emits the latest value when it
// closes; a completion during a window waits for it and the last value, as in RxJS 7.
//
// The timed ones keep one scheduler action per subscription, on the shared timed-operator state
// (detail/timed_operator.hpp): the mutex is never held while the downstream runs, so the
// scheduler may run on another thread; the scheduler must outlive the subscription. sample and
// audit share a state between the source and the notifier or duration observables, like merge:
// those must emit on one thread. Everything they subscribe is released with the subscription, and
// audit drops its duration_selector then too (it may hold a subject that holds the subscriber).
#pragma once

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
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

namespace detail {

// ---- sample(notifier) --------------------------------------------------------------------------

template <class O, class T>
struct SampleState {
  explicit SampleState(O d) : down(std::move(d)) {}
  O down;
  std::optional<T> latest;  // a value not sampled yet

  void emit() {
    if (!latest) return;
    const T v = std::move(*latest);
    latest.reset();
    down.on_next(v);
  }
};

template <class State>
class SharedDownSink {  // forwards the terminal events and the resources to the shared downstream
 public:
  explicit SharedDownSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void on_error(std::exception_ptr e) { st_->down.on_error(std::move(e)); }
  bool is_disposed() const noexcept { return st_->down.is_disposed(); }
  void add(Subscription s) { st_->down.add(std::move(s)); }

 protected:
  std::shared_ptr<State> st_;
};

template <class State, class T>
class SampleSourceSink : public SharedDownSink<State> {
 public:
  using SharedDownSink<State>::SharedDownSink;
  void on_next(const T& v) { this->st_->latest = v; }
  void on_completed() { this->st_->down.on_completed(); }
};

template <class State>
class SampleNotifierSink : public SharedDownSink<State> {
 public:
  using SharedDownSink<State>::SharedDownSink;
  template <class V>
  void on_next(const V&) {
    this->st_->emit();
  }
  void on_completed() {}  // RxJS: the notifier's completion ends nothing
};

template <class Src, class N>
struct SampleStrategy {
  Src src;
  N notifier;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using State = SampleState<O, T>;
    auto state = std::make_shared<State>(std::move(obs));
    if (state->down.is_disposed()) return;
    src.subscribe_observer(SampleSourceSink<State, T>(state));  // the source first, as in RxJS
    if (state->down.is_disposed()) return;
    notifier.subscribe_observer(SampleNotifierSink<State>(std::move(state)));
  }
};

template <class N>
struct SampleOperator : OperatorBase {
  N notifier;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return make_static_observable<T>(
        SampleStrategy<std::remove_cvref_t<Src>, N>{std::forward<Src>(src), notifier});
  }
};

// ---- sample_time -------------------------------------------------------------------------------

// RxJS sampleTime is sample(interval(d)): ticks at subscription + k * d (absolute, no drift),
// armed after the source is subscribed, as RxJS subscribes the notifier after the source.
template <class O, class T, class S>
struct SampleTimeState : TimedStateBase<SampleTimeState<O, T, S>, T, O, S> {
  using Base = TimedStateBase<SampleTimeState, T, O, S>;
  using Token = typename Base::Token;
  using Base::Base;
  TimePoint start_time{};
  Duration::rep ticks = 0;
  std::optional<T> latest;

  TimePoint next_tick() {  // under the lock
    ++ticks;
    return add_saturated(start_time, times_saturated(this->duration, ticks));
  }
  void started() {
    Token token = 0;
    TimePoint due;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      start_time = this->sched->now();
      token = this->timer.arm();
      due = next_tick();
    }
    this->arm(token, due);
  }
  std::optional<TimePoint> on_timer(Token token) {
    auto l = this->em.lock();
    if (!this->timer.fire(token)) return std::nullopt;
    if (latest) {
      l.next(std::move(*latest));
      latest.reset();
    }
    this->timer.rearm(token);
    return next_tick();
  }
  void on_next(const T& v) {
    auto l = this->em.lock();
    if (!l.ended()) latest = v;
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    latest.reset();
    l.cancel_after(this->timer.disarm());
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    latest.reset();
    l.cancel_after(this->timer.disarm());
    l.complete();
  }
};

// ---- audit_time --------------------------------------------------------------------------------

// RxJS auditTime is audit(() => timer(d)): the first value of a window arms the one timer for
// now + d; when it runs, the latest value is emitted (and a completion that came meanwhile).
template <class O, class T, class S>
struct AuditTimeState : TimedStateBase<AuditTimeState<O, T, S>, T, O, S> {
  using Base = TimedStateBase<AuditTimeState, T, O, S>;
  using Token = typename Base::Token;
  using Base::Base;
  std::optional<T> latest;
  bool completed = false;

  void on_next(const T& v) {
    Token token = 0;
    {
      auto l = this->em.lock();
      if (l.ended()) return;
      latest = v;
      if (this->timer.armed()) return;
      token = this->timer.arm();
    }
    this->arm(token, add_saturated(this->sched->now(), this->duration));
  }
  std::optional<TimePoint> on_timer(Token token) {
    auto l = this->em.lock();
    if (!this->timer.fire(token)) return std::nullopt;
    if (latest) {
      l.next(std::move(*latest));
      latest.reset();
    }
    if (completed) l.complete();
    return std::nullopt;
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    latest.reset();
    l.cancel_after(this->timer.disarm());
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    completed = true;
    if (latest && this->timer.armed()) return;  // the window's end emits it, then completes
    l.cancel_after(this->timer.disarm());
    l.complete();
  }
  void cancel() {
    auto l = this->em.lock();
    l.close();
    latest.reset();
    l.cancel_after(this->timer.disarm());
  }
};

// ---- audit(duration_selector) ------------------------------------------------------------------

// The selector lives in a SerialSlot with the live duration subscription: both are dropped when
// the downstream is disposed, so a selector that captures a subject does not keep this state.
template <class O, class T, class F>
struct AuditState {
  AuditState(O d, const F& f)
      : down(std::move(d)), window(std::make_shared<SerialSlot<F>>(std::make_shared<F>(f))) {
    down.add(Subscription(window));
  }
  O down;
  std::shared_ptr<SerialSlot<F>> window;
  std::shared_ptr<DisposableList> open;  // the open window's own list, null when none is open
  std::optional<T> latest;
  bool completed = false;

  // RxJS endDuration / cleanupDuration: close the window, emit the latest value if `emit`, then
  // complete if the source has.
  void close(const std::shared_ptr<DisposableList>& which, bool emit) {
    if (open != which) return;
    open.reset();
    window->set(Subscription());
    if (emit && latest) {
      const T v = std::move(*latest);
      latest.reset();
      down.on_next(v);
    }
    if (completed && !down.is_disposed()) down.on_completed();
  }
};

template <class State>
class AuditDurationSink {
 public:
  AuditDurationSink(std::shared_ptr<State> s, std::shared_ptr<DisposableList> own)
      : st_(std::move(s)), own_(std::move(own)) {}
  template <class V>
  void on_next(const V&) {
    if (own_->stop()) st_->close(own_, true);
  }
  void on_error(std::exception_ptr e) {
    if (own_->stop()) st_->down.on_error(std::move(e));
  }
  void on_completed() {
    if (own_->stop()) st_->close(own_, false);
  }
  bool is_disposed() const noexcept { return own_->is_stopped() || st_->down.is_disposed(); }
  void add(Subscription s) { own_->add(std::move(s)); }

 private:
  std::shared_ptr<State> st_;
  std::shared_ptr<DisposableList> own_;
};

template <class State, class T, class F>
class AuditSourceSink : public SharedDownSink<State> {
 public:
  using SharedDownSink<State>::SharedDownSink;
  void on_next(const T& v) {
    auto& st = *this->st_;
    st.latest = v;
    if (st.open) return;
    const std::shared_ptr<F> f = st.window->get();
    if (!f) return;  // the subscription has ended
    using D = std::decay_t<std::invoke_result_t<F&, const T&>>;
    std::optional<D> duration;
    try {
      duration.emplace((*f)(v));
    } catch (...) {
      st.down.on_error(std::current_exception());
      return;
    }
    auto own = std::make_shared<DisposableList>();
    st.open = own;
    st.window->set(Subscription(own));
    duration->subscribe_observer(AuditDurationSink<State>(this->st_, std::move(own)));
  }
  void on_completed() {
    auto& st = *this->st_;
    st.completed = true;
    if (!st.latest || !st.open) st.down.on_completed();
  }
};

template <class Src, class F>
struct AuditStrategy {
  Src src;
  F f;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using State = AuditState<O, T, F>;
    auto state = std::make_shared<State>(std::move(obs), f);
    if (state->down.is_disposed()) return;
    src.subscribe_observer(AuditSourceSink<State, T, F>(std::move(state)));
  }
};

template <class F>
struct AuditOperator : OperatorBase {
  F f;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::audit(f): f cannot be called with the element type: it must "
                    "accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (!IsObservable<std::decay_t<std::invoke_result_t<F&, const T&>>>) {
      static_assert(IsObservable<std::decay_t<std::invoke_result_t<F&, const T&>>>,
                    "rxsync::ops::audit(f): f must return an observable whose first value (or "
                    "completion) ends the window, e.g. rxsync::timer(d, scheduler); for a fixed "
                    "duration use ops::audit_time");
      return invalid_observable();
    } else {
      using St = AuditStrategy<std::remove_cvref_t<Src>, F>;
      return make_static_observable<T>(St{std::forward<Src>(src), f});
    }
  }
};

}  // namespace detail

namespace ops {

// Emits the latest value, if one arrived since the last emission, whenever `notifier` emits.
// The notifier's completion is ignored, its error ends the chain (RxJS sample).
template <class N>
  requires detail::IsObservable<std::remove_cvref_t<N>>
detail::SampleOperator<std::remove_cvref_t<N>> sample(N&& notifier) {
  return {{}, std::forward<N>(notifier)};
}

// sample() at subscription + k * period (RxJS sampleTime). period <= 0 throws: RxJS would tick
// from one action after another at the same instant, forever.
template <class S>
auto sample_time(Duration period, S& scheduler) {
  static_assert(check_scheduler<S>());
  if (period <= Duration::zero()) {
    throw std::invalid_argument("rxsync::ops::sample_time: period must be > 0, got " +
                                std::to_string(period.count()) + "ns");
  }
  return detail::timed_operator<detail::SampleTimeState>(scheduler, period);
}

// A value that finds no window open opens one of `d`; when it closes, the latest value is
// emitted (RxJS auditTime). A negative `d` counts as zero, as in RxJS (whose window is a timer).
template <class S>
auto audit_time(Duration d, S& scheduler) {
  static_assert(check_scheduler<S>());
  return detail::timed_operator<detail::AuditTimeState>(scheduler, std::max(d, Duration::zero()));
}

// As audit_time, but the window is duration_selector(v), an observable, until its first value
// (which emits the latest value) or its completion (which does not), as in RxJS audit.
template <class F>
detail::AuditOperator<F> audit(F duration_selector) {
  return {{}, std::move(duration_selector)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
