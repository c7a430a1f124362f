// rxsync/rx/operators/rate_limiting.hpp - debounce and throttle (RxJS debounceTime and
// throttleTime).
//
// debounce emits a value once `d` has passed without another; on completion it emits the
// pending value first, on error it drops it. throttle emits a value, then ignores values for
// `d` (the window covers [t, t + d]: an event at exactly t + d that was scheduled before the
// window's end timer is still inside it), with RxJS's leading/trailing options. Timers go
// through the scheduler, which must outlive the subscription; unsubscribing cancels them. State
// is guarded by a mutex, so the scheduler may run on another thread.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
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

// Shared by the timed operators: the downstream sink, a mutex, and the one live timer.
template <class O, class S>
struct TimedStateBase {
  TimedStateBase(O d, S* s, Duration dur) : down(std::move(d)), sched(s), duration(dur) {
    down.add(Subscription(timer));
  }
  std::recursive_mutex mutex;
  O down;
  S* sched;
  Duration duration;
  std::shared_ptr<SerialSubscription> timer = std::make_shared<SerialSubscription>();
  bool done = false;
};

template <class O, class T, class S>
struct DebounceState : TimedStateBase<O, S>, std::enable_shared_from_this<DebounceState<O, T, S>> {
  using TimedStateBase<O, S>::TimedStateBase;
  std::optional<T> pending;
  std::uint64_t generation = 0;

  void on_next(const T& v) {
    std::lock_guard lock(this->mutex);
    if (this->done) return;
    pending = v;
    const std::uint64_t gen = ++generation;
    auto self = this->shared_from_this();
    this->timer->set(this->sched->schedule_after(this->duration, [self, gen] { self->fire(gen); }));
  }
  void fire(std::uint64_t gen) {
    std::lock_guard lock(this->mutex);
    if (gen != generation || !pending || this->done) return;
    T v = std::move(*pending);
    pending.reset();
    this->down.on_next(v);
  }
  void on_error(std::exception_ptr e) {
    std::lock_guard lock(this->mutex);
    if (std::exchange(this->done, true)) return;
    this->timer->unsubscribe();
    pending.reset();
    this->down.on_error(std::move(e));
  }
  void on_completed() {
    std::lock_guard lock(this->mutex);
    if (std::exchange(this->done, true)) return;
    this->timer->unsubscribe();
    if (pending) {
      T v = std::move(*pending);
      pending.reset();
      this->down.on_next(v);
    }
    if (!this->down.is_disposed()) this->down.on_completed();
  }
};

template <class O, class T, class S>
struct ThrottleState : TimedStateBase<O, S>, std::enable_shared_from_this<ThrottleState<O, T, S>> {
  ThrottleState(O d, S* s, Duration dur, ops::ThrottleConfig c)
      : TimedStateBase<O, S>(std::move(d), s, dur), config(c) {}
  ops::ThrottleConfig config;
  std::optional<T> send_value;
  bool throttled = false;
  bool complete = false;
  std::uint64_t generation = 0;

  void on_next(const T& v) {
    std::lock_guard lock(this->mutex);
    if (this->done) return;
    send_value = v;
    if (throttled) return;
    if (config.leading) {
      send();
    } else {
      start_throttle();
    }
  }
  void send() {
    if (!send_value) return;
    T v = std::move(*send_value);
    send_value.reset();
    this->down.on_next(v);
    if (!complete && !this->done) start_throttle();
  }
  void start_throttle() {
    throttled = true;
    const std::uint64_t gen = ++generation;
    auto self = this->shared_from_this();
    this->timer->set(
        this->sched->schedule_after(this->duration, [self, gen] { self->end_throttle(gen); }));
  }
  void end_throttle(std::uint64_t gen) {
    std::lock_guard lock(this->mutex);
    if (gen != generation || this->done) return;
    throttled = false;
    if (config.trailing) {
      send();
      if (complete && !std::exchange(this->done, true)) this->down.on_completed();
    }
  }
  void on_error(std::exception_ptr e) {
    std::lock_guard lock(this->mutex);
    if (std::exchange(this->done, true)) return;
    this->timer->unsubscribe();
    this->down.on_error(std::move(e));
  }
  void on_completed() {
    std::lock_guard lock(this->mutex);
    if (this->done) return;
    complete = true;
    if (config.trailing && send_value && throttled) return;  // the window's end sends and completes
    this->done = true;
    this->timer->unsubscribe();
    this->down.on_completed();
  }
};

// The upstream sink of a timed operator: forwards to a shared state.
template <class State, class T>
class StateSink {
 public:
  explicit StateSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void on_next(const T& v) { st_->on_next(v); }
  void on_error(std::exception_ptr e) { st_->on_error(std::move(e)); }
  void on_completed() { st_->on_completed(); }
  bool is_disposed() const noexcept {
    if constexpr (requires { st_->upstream_disposed(); }) {
      return st_->upstream_disposed();
    } else {
      return st_->down.is_disposed();
    }
  }
  void add(Subscription s) {
    if constexpr (requires { st_->add_upstream(std::move(s)); }) {
      st_->add_upstream(std::move(s));
    } else {
      st_->down.add(std::move(s));
    }
  }

 private:
  std::shared_ptr<State> st_;
};

// Builds State(down, args...) at subscribe time and subscribes src with a StateSink.
template <template <class, class, class> class StateT, class Src, class S, class... Args>
struct TimedStrategy {
  Src src;
  S* sched;
  Duration duration;
  std::tuple<Args...> args;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using State = StateT<O, T, S>;
    auto state = std::apply(
        [&](const Args&... a) {
          return std::make_shared<State>(std::move(obs), sched, duration, a...);
        },
        args);
    if (state->down.is_disposed()) return;
    if constexpr (requires { state->start(); }) {
      // e.g. timeout's first timer, armed after subscribing (as RxJS does), so a source event
      // queued for the deadline's frame at subscription comes first.
      src.subscribe_observer(StateSink<State, T>(state));
      state->start();
    } else {
      src.subscribe_observer(StateSink<State, T>(std::move(state)));
    }
  }
};

template <template <class, class, class> class StateT, class S, class... Args>
struct TimedOperator : OperatorBase {
  S* sched;
  Duration duration;
  std::tuple<Args...> args;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using St = TimedStrategy<StateT, std::remove_cvref_t<Src>, S, Args...>;
    return make_static_observable<T>(St{std::forward<Src>(src), sched, duration, args});
  }
};

// The operator, or (once check_scheduler's static_assert has said what S lacks) one that adds
// no further errors.
template <template <class, class, class> class StateT, class S, class... Args>
auto timed_operator(S& scheduler, Duration d, Args... args) {
  if constexpr (!Scheduler<S>) {
    return InvalidOperator{};
  } else {
    return TimedOperator<StateT, S, Args...>{{}, &scheduler, d, std::tuple<Args...>(args...)};
  }
}

inline void check_non_negative(const char* what, Duration d) {
  if (d < Duration::zero()) {
    throw std::invalid_argument(std::string(what) + " must be >= 0, got " +
                                std::to_string(d.count()) + "ns");
  }
}

}  // namespace detail

namespace ops {

// Emits a value after `d` has passed without another value (RxJS debounceTime).
template <class S>
auto debounce(Duration d, S& scheduler) {
  static_assert(check_scheduler<S>());
  detail::check_non_negative("rxsync::ops::debounce: duration", d);
  return detail::timed_operator<detail::DebounceState>(scheduler, d);
}

// Emits at most one value per window of `d` (RxJS throttleTime, same leading/trailing rules).
template <class S>
auto throttle(Duration d, S& scheduler, ThrottleConfig config = {}) {
  static_assert(check_scheduler<S>());
  detail::check_non_negative("rxsync::ops::throttle: duration", d);
  return detail::timed_operator<detail::ThrottleState>(scheduler, d, config);
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
