// rxsync/rx/sources.hpp - observables that start a chain: just, from, empty, never, error,
// create, defer, interval, timer.
//
// Synchronous sources emit during subscribe() and check is_disposed() before every value, so
// take(n) or an unsubscribe from inside on_next stops them at once. Timed sources schedule
// every tick on the Scheduler they are given, which must outlive their subscriptions.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/detail/force_inline.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class T, std::size_t N>
struct JustStrategy {
  static constexpr bool completes_in_subscribe = true;
  std::array<T, N> values;
  template <class O>
  RXSYNC_FORCE_INLINE void subscribe(O obs) const {
    for (const T& v : values) {
      if (obs.is_disposed()) return;
      obs.on_next(v);
    }
    if (!obs.is_disposed()) obs.on_completed();
  }
};

template <class R>
struct FromStrategy {
  static constexpr bool completes_in_subscribe = true;
  R range;
  template <class O>
  RXSYNC_FORCE_INLINE void subscribe(O obs) const {
    for (const auto& v : range) {
      if (obs.is_disposed()) return;
      obs.on_next(v);
    }
    if (!obs.is_disposed()) obs.on_completed();
  }
};

struct EmptyStrategy {
  static constexpr bool completes_in_subscribe = true;
  template <class O>
  void subscribe(O obs) const {
    obs.on_completed();
  }
};

struct NeverStrategy {
  template <class O>
  void subscribe(O) const {}
};

struct ErrorStrategy {
  static constexpr bool completes_in_subscribe = true;
  std::exception_ptr error;
  template <class O>
  void subscribe(O obs) const {
    obs.on_error(error);
  }
};

template <class T, class F>
struct CreateStrategy {
  F fn;
  template <class O>
  void subscribe(O obs) const {
    Subscriber<T> sub{AnyObserver<T>(std::move(obs))};
    try {
      if constexpr (std::is_convertible_v<std::invoke_result_t<const F&, Subscriber<T>>,
                                          Subscription>) {
        sub.add(fn(sub));
      } else {
        fn(sub);
      }
    } catch (...) {
      sub.on_error(std::current_exception());
    }
  }
};

template <class F>
struct DeferStrategy {
  F factory;
  template <class O>
  void subscribe(O obs) const {
    using Inner = std::invoke_result_t<const F&>;
    std::optional<Inner> inner;
    try {
      inner.emplace(factory());
    } catch (...) {
      obs.on_error(std::current_exception());
      return;
    }
    inner->subscribe_observer(std::move(obs));
  }
};

// Ticks are scheduled at start + k * period (absolute times), so they do not drift.
template <class S, class O>
struct IntervalState : std::enable_shared_from_this<IntervalState<S, O>> {
  IntervalState(S* s, O o, Duration p) : sched(s), obs(std::move(o)), period(p) {}
  void schedule_tick() {
    auto self = this->shared_from_this();
    const auto n = static_cast<Duration::rep>(count + 1);
    timer->set(sched->schedule_at(detail::add_saturated(start, detail::times_saturated(period, n)),
                                  [self] { self->tick(); }));
  }
  void tick() {
    if (obs.is_disposed()) return;
    obs.on_next(count++);
    if (!obs.is_disposed()) schedule_tick();
  }
  S* sched;
  O obs;
  Duration period;
  TimePoint start{};
  std::size_t count = 0;
  std::shared_ptr<SerialSubscription> timer = std::make_shared<SerialSubscription>();
};

template <class S>
struct IntervalStrategy {
  S* sched;
  Duration period;
  template <class O>
  void subscribe(O obs) const {
    auto state = std::make_shared<IntervalState<S, O>>(sched, std::move(obs), period);
    state->obs.add(Subscription(state->timer));
    state->start = sched->now();
    state->schedule_tick();
  }
};

template <class S>
struct TimerStrategy {
  S* sched;
  Duration delay;
  template <class O>
  void subscribe(O obs) const {
    auto holder = std::make_shared<O>(std::move(obs));
    holder->add(sched->schedule_after(delay, [holder] {
      if (holder->is_disposed()) return;
      holder->on_next(std::size_t{0});
      if (!holder->is_disposed()) holder->on_completed();
    }));
  }
};

}  // namespace detail

// Emits each argument in order, then completes.
template <class... Ts>
  requires(sizeof...(Ts) > 0)
auto just(Ts&&... values) {
  using T = std::common_type_t<std::decay_t<Ts>...>;
  using S = detail::JustStrategy<T, sizeof...(Ts)>;
  return make_static_observable<T>(S{{{T(std::forward<Ts>(values))...}}});
}

// Emits every element of a range (held by value), then completes.
template <class R>
  requires requires(const std::remove_cvref_t<R>& r) {
    std::begin(r);
    std::end(r);
  }
auto from(R&& range) {
  using Range = std::remove_cvref_t<R>;
  using T = std::remove_cvref_t<decltype(*std::begin(std::declval<const Range&>()))>;
  return make_static_observable<T>(detail::FromStrategy<Range>{std::forward<R>(range)});
}
template <class T>
auto from(std::initializer_list<T> values) {
  return from(std::vector<T>(values));
}

template <class T>
auto empty() {
  return make_static_observable<T>(detail::EmptyStrategy{});
}

template <class T>
auto never() {
  return make_static_observable<T>(detail::NeverStrategy{});
}

template <class T>
auto error(std::exception_ptr e) {
  if (!e) throw std::invalid_argument("rxsync::error: the exception_ptr must not be null");
  return make_static_observable<T>(detail::ErrorStrategy{std::move(e)});
}

// Runs fn(Subscriber<T>) for each subscriber. fn may emit synchronously, keep the subscriber to
// emit later, register teardowns with subscriber.add(...), or return a Subscription that is
// cancelled on unsubscribe. An exception thrown by fn becomes on_error.
// (Not constrained: a function of the wrong signature reaches the static_assert, which says
// what to write, instead of a bare "no matching function".)
template <class T, class F>
auto create(F&& fn) {
  using Fn = std::decay_t<F>;
  if constexpr (!std::is_invocable_v<const Fn&, Subscriber<T>>) {
    static_assert(std::is_invocable_v<const Fn&, Subscriber<T>>,
                  "rxsync::create<T>(fn): fn cannot be called with the subscriber: it must accept "
                  "`rxsync::Subscriber<T>` (by value or by const&), and be callable when const");
    return detail::invalid_observable();
  } else {
    return make_static_observable<T>(detail::CreateStrategy<T, Fn>{std::forward<F>(fn)});
  }
}

// Calls factory() at each subscription and subscribes to the observable it returns.
template <class F>
auto defer(F&& factory) {
  using Fn = std::decay_t<F>;
  if constexpr (!std::is_invocable_v<const Fn&>) {
    static_assert(std::is_invocable_v<const Fn&>,
                  "rxsync::defer(factory): factory must be callable with no arguments (and when "
                  "const)");
    return detail::invalid_observable();
  } else if constexpr (!detail::IsObservable<std::invoke_result_t<const Fn&>>) {
    static_assert(detail::IsObservable<std::invoke_result_t<const Fn&>>,
                  "rxsync::defer(factory): factory() must return an observable (by value)");
    return detail::invalid_observable();
  } else {
    using T = detail::ValueOf<std::invoke_result_t<const Fn&>>;
    return make_static_observable<T>(detail::DeferStrategy<Fn>{std::forward<F>(factory)});
  }
}

// Emits 0, 1, 2, ... at now + period, now + 2 * period, ... Never completes. A period of zero
// (a negative one counts as zero, as in RxJS) ticks from one scheduler action after another as
// fast as the scheduler runs them; in virtual time every tick falls on the same instant, so
// bound it (take) or time never moves past it.
template <class S>
auto interval(Duration period, S& scheduler) {
  static_assert(check_scheduler<S>());
  return make_static_observable<std::size_t>(
      detail::IntervalStrategy<S>{&scheduler, std::max(period, Duration::zero())});
}

// Emits 0 after `delay` (a negative delay counts as zero), then completes.
template <class S>
auto timer(Duration delay, S& scheduler) {
  static_assert(check_scheduler<S>());
  return make_static_observable<std::size_t>(detail::TimerStrategy<S>{&scheduler, delay});
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
