// rxsync/rx/operators/combining.hpp - operators over several sources: start_with, merge,
// combine_latest, with_latest_from.
//
// The sources share one downstream sink, so their events must not overlap: sources on
// different threads must be brought onto one first (observe_on), as the Rx contract requires.
// Each subscription allocates one shared state; no allocation per value.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class Src, class T, std::size_t N>
struct StartWithStrategy {
  static constexpr bool completes_in_subscribe = detail::completes_in_subscribe<Src>;
  Src src;
  std::array<T, N> values;
  template <class O>
  void subscribe(O obs) const {
    for (const T& v : values) {
      if (obs.is_disposed()) return;
      obs.on_next(v);
    }
    if (!obs.is_disposed()) src.subscribe_observer(std::move(obs));
  }
};

// A sink of one of several sources sharing `State` (which holds the downstream as `down`).
template <class State>
class SharedSinkBase {
 public:
  explicit SharedSinkBase(std::shared_ptr<State> s) : state_(std::move(s)) {}
  bool is_disposed() const noexcept { return state_->down.is_disposed(); }
  void add(Subscription s) { state_->down.add(std::move(s)); }
  void on_error(std::exception_ptr e) { state_->down.on_error(std::move(e)); }

 protected:
  std::shared_ptr<State> state_;
};

template <class O>
struct MergeState {
  MergeState(O d, std::size_t n) : down(std::move(d)), active(n) {}
  O down;
  std::size_t active;
};

template <class State>
class MergeSink : public SharedSinkBase<State> {
 public:
  using SharedSinkBase<State>::SharedSinkBase;
  template <class V>
  void on_next(const V& v) {
    this->state_->down.on_next(v);
  }
  void on_completed() {
    if (--this->state_->active == 0) this->state_->down.on_completed();
  }
};

template <class Src, class... Others>
struct MergeStrategy {
  Src src;
  std::tuple<Others...> others;
  template <class O>
  void subscribe(O obs) const {
    auto state = std::make_shared<MergeState<O>>(std::move(obs), 1 + sizeof...(Others));
    src.subscribe_observer(MergeSink<MergeState<O>>(state));
    std::apply([&](const auto&... o) { (subscribe_one(o, state), ...); }, others);
  }
  template <class S, class St>
  static void subscribe_one(const S& s, const std::shared_ptr<St>& state) {
    if (!state->down.is_disposed()) s.subscribe_observer(MergeSink<St>(state));
  }
};

template <class O, class... Ts>
struct CombineState {
  explicit CombineState(O d) : down(std::move(d)) {}
  O down;
  std::tuple<std::optional<Ts>...> latest;
  std::size_t with_value = 0;
  std::size_t active = sizeof...(Ts);
};

template <class State, std::size_t I>
class CombineSink : public SharedSinkBase<State> {
 public:
  using SharedSinkBase<State>::SharedSinkBase;
  template <class V>
  void on_next(const V& v) {
    auto& st = *this->state_;
    auto& slot = std::get<I>(st.latest);
    if (!slot) ++st.with_value;
    slot = v;
    if (st.with_value == std::tuple_size_v<decltype(st.latest)>) {
      auto out = std::apply([](const auto&... o) { return std::make_tuple(*o...); }, st.latest);
      st.down.on_next(out);
    }
  }
  void on_completed() {
    if (--this->state_->active == 0) this->state_->down.on_completed();
  }
};

template <class... Srcs>
struct CombineLatestStrategy {
  std::tuple<Srcs...> srcs;
  template <class O>
  void subscribe(O obs) const {
    using State = CombineState<O, typename Srcs::value_type...>;
    auto state = std::make_shared<State>(std::move(obs));
    subscribe_all(state, std::index_sequence_for<Srcs...>{});
  }
  template <class State, std::size_t... I>
  void subscribe_all(const std::shared_ptr<State>& state, std::index_sequence<I...>) const {
    ((state->down.is_disposed()
          ? void()
          : std::get<I>(srcs).subscribe_observer(CombineSink<State, I>(state))),
     ...);
  }
};

template <class O, class U>
struct WithLatestState {
  explicit WithLatestState(O d) : down(std::move(d)) {}
  O down;
  std::optional<U> latest;
};

template <class State>
class WithLatestMainSink : public SharedSinkBase<State> {
 public:
  using SharedSinkBase<State>::SharedSinkBase;
  template <class V>
  void on_next(const V& v) {
    auto& st = *this->state_;
    if (st.latest) st.down.on_next(std::make_tuple(v, *st.latest));
  }
  void on_completed() { this->state_->down.on_completed(); }
};

template <class State>
class WithLatestOtherSink : public SharedSinkBase<State> {
 public:
  using SharedSinkBase<State>::SharedSinkBase;
  template <class V>
  void on_next(const V& v) {
    this->state_->latest = v;
  }
  void on_completed() {}  // the last value stays usable
};

template <class Src, class Other>
struct WithLatestFromStrategy {
  Src src;
  Other other;
  template <class O>
  void subscribe(O obs) const {
    using State = WithLatestState<O, typename Other::value_type>;
    auto state = std::make_shared<State>(std::move(obs));
    other.subscribe_observer(WithLatestOtherSink<State>(state));  // first, as RxJS does
    if (!state->down.is_disposed()) src.subscribe_observer(WithLatestMainSink<State>(state));
  }
};

template <class... Vs>
struct StartWithOperator : OperatorBase {
  std::tuple<Vs...> values;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!(std::is_constructible_v<T, const Vs&> && ...)) {
      static_assert((std::is_constructible_v<T, const Vs&> && ...),
                    "rxsync::ops::start_with(values...): every value must convert to the "
                    "source's value_type");
      return invalid_observable();
    } else {
      using S = StartWithStrategy<std::remove_cvref_t<Src>, T, sizeof...(Vs)>;
      return std::apply(
          [&](const Vs&... v) {
            return make_static_observable<T>(S{std::forward<Src>(src), {{T(v)...}}});
          },
          values);
    }
  }
};

template <class... Others>
struct MergeOperator : OperatorBase {
  std::tuple<Others...> others;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!(IsObservable<Others> && ...)) {
      static_assert((IsObservable<Others> && ...),
                    "rxsync::ops::merge(others...): every argument must be an observable");
      return invalid_observable();
    } else if constexpr (!(std::is_same_v<T, typename Others::value_type> && ...)) {
      static_assert((std::is_same_v<T, typename Others::value_type> && ...),
                    "rxsync::ops::merge(others...): every observable must have the source's "
                    "value_type");
      return invalid_observable();
    } else {
      using S = MergeStrategy<std::remove_cvref_t<Src>, Others...>;
      return make_static_observable<T>(S{std::forward<Src>(src), others});
    }
  }
};

template <class... Others>
struct CombineLatestOperator : OperatorBase {
  std::tuple<Others...> others;
  template <class Src>
  auto operator()(Src&& src) const {
    if constexpr (!(IsObservable<Others> && ...)) {
      static_assert((IsObservable<Others> && ...),
                    "rxsync::ops::combine_latest(others...): every argument must be an "
                    "observable (to combine the values, follow it with ops::map)");
      return invalid_observable();
    } else {
      using Out = std::tuple<ValueOf<Src>, typename Others::value_type...>;
      using S = CombineLatestStrategy<std::remove_cvref_t<Src>, Others...>;
      return std::apply(
          [&](const Others&... o) {
            return make_static_observable<Out>(
                S{std::tuple<std::remove_cvref_t<Src>, Others...>(std::forward<Src>(src), o...)});
          },
          others);
    }
  }
};

template <class Other>
struct WithLatestFromOperator : OperatorBase {
  Other other;
  template <class Src>
  auto operator()(Src&& src) const {
    if constexpr (!IsObservable<Other>) {
      static_assert(IsObservable<Other>,
                    "rxsync::ops::with_latest_from(other): other must be an observable (to "
                    "combine the values, follow it with ops::map)");
      return invalid_observable();
    } else {
      using Out = std::tuple<ValueOf<Src>, typename Other::value_type>;
      using S = WithLatestFromStrategy<std::remove_cvref_t<Src>, Other>;
      return make_static_observable<Out>(S{std::forward<Src>(src), other});
    }
  }
};

}  // namespace detail

namespace ops {

// Emits `values` first, then the source's values.
template <class... Vs>
  requires(sizeof...(Vs) > 0)
auto start_with(Vs... values) {
  return detail::StartWithOperator<Vs...>{{}, std::tuple<Vs...>(std::move(values)...)};
}

// Emits the values of the source and of every other observable as they arrive; completes when
// all have completed; the first error ends everything.
template <class... Others>
  requires(sizeof...(Others) > 0)
auto merge(Others... others) {
  return detail::MergeOperator<Others...>{{}, std::tuple<Others...>(std::move(others)...)};
}

// Once every source has emitted, emits a std::tuple of the latest value of each whenever any
// emits. Completes when all have completed; the first error ends everything.
template <class... Others>
  requires(sizeof...(Others) > 0)
auto combine_latest(Others... others) {
  return detail::CombineLatestOperator<Others...>{{}, std::tuple<Others...>(std::move(others)...)};
}

// For each source value, emits std::tuple{value, latest value of other} once other has
// emitted (earlier source values are dropped). other's completion is ignored; its error ends
// everything. Completes with the source.
template <class Other>
detail::WithLatestFromOperator<Other> with_latest_from(Other other) {
  return {{}, std::move(other)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
