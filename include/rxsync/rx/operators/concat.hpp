// rxsync/rx/operators/concat.hpp - one source after another: ops::concat(other...) and the
// source rxsync::concat(first, rest...).
//
// Subscribes to each observable only once the one before it has completed, so values come in
// source order; completes after the last; the first error ends everything (RxJS concat). A
// source that completes while being subscribed (just, from) is followed by a loop, not by
// recursion, so a long run of synchronous sources does not grow the stack. The sources are kept
// by the subscription only while it lasts: a subject among them, which keeps its subscriber
// until its next emission, is not kept alive by a subscription that ended.
#pragma once

#include <cstddef>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include <rxsync/rx/detail/shared_sink.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class O, class Sources>
struct ConcatState : SharedState<O>, std::enable_shared_from_this<ConcatState<O, Sources>> {
  static constexpr std::size_t count = std::tuple_size_v<Sources>;

  ConcatState(O d, std::shared_ptr<const Sources> s)
      : SharedState<O>(std::move(d)),
        sources(std::make_shared<SerialSlot<const Sources>>(std::move(s))) {
    this->add(Subscription(sources));
  }

  void subscribe_next() {
    if (subscribing) {  // the source being subscribed completed at once: the loop goes on
      again = true;
      return;
    }
    do {
      again = false;
      if (this->stopped()) return;
      if (next_index == count) {
        this->complete();
        return;
      }
      const std::shared_ptr<const Sources> srcs = sources->get();
      if (!srcs) return;
      subscribing = true;
      subscribe_at(*srcs, next_index++, std::make_index_sequence<count>{});
      subscribing = false;
    } while (again);
  }
  void on_child_completed() { subscribe_next(); }

 private:
  template <std::size_t... I>
  void subscribe_at(const Sources& srcs, std::size_t index, std::index_sequence<I...>) {
    ((index == I ? std::get<I>(srcs).subscribe_observer(
                       ForwardChildSink<ConcatState>(this->shared_from_this()))
                 : void()),
     ...);
  }

  std::shared_ptr<SerialSlot<const Sources>> sources;
  std::size_t next_index = 0;
  bool subscribing = false;
  bool again = false;
};

// The sources are shared by the subscriptions (subscribing does not modify them), so each can
// hold them, and let go of them, without a copy.
template <class... Srcs>
struct ConcatStrategy {
  std::shared_ptr<const std::tuple<Srcs...>> srcs;
  template <class O>
  void subscribe(O obs) const {
    auto state = std::make_shared<ConcatState<O, std::tuple<Srcs...>>>(std::move(obs), srcs);
    state->subscribe_next();
  }
};

template <class T, class... Srcs>
auto make_concat(Srcs&&... srcs) {
  using Tuple = std::tuple<std::remove_cvref_t<Srcs>...>;
  return make_static_observable<T>(ConcatStrategy<std::remove_cvref_t<Srcs>...>{
      std::make_shared<const Tuple>(std::forward<Srcs>(srcs)...)});
}

template <class... Others>
struct ConcatOperator : OperatorBase {
  std::tuple<Others...> others;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!(IsObservable<Others> && ...)) {
      static_assert((IsObservable<Others> && ...),
                    "rxsync::ops::concat(others...): every argument must be an observable");
      return invalid_observable();
    } else if constexpr (!(std::is_same_v<T, typename Others::value_type> && ...)) {
      static_assert((std::is_same_v<T, typename Others::value_type> && ...),
                    "rxsync::ops::concat(others...): every observable must have the source's "
                    "value_type");
      return invalid_observable();
    } else {
      return std::apply(
          [&](const Others&... o) { return make_concat<T>(std::forward<Src>(src), o...); }, others);
    }
  }
};

}  // namespace detail

// Emits the values of `first`, then, once it has completed, those of each of `rest` in turn;
// completes after the last. Every argument must be an observable of the same value_type.
template <class First, class... Rest>
auto concat(First first, Rest... rest) {
  if constexpr (!(detail::IsObservable<First> && ... && detail::IsObservable<Rest>)) {
    static_assert((detail::IsObservable<First> && ... && detail::IsObservable<Rest>),
                  "rxsync::concat(observables...): every argument must be an observable");
    return detail::invalid_observable();
  } else if constexpr (!(std::is_same_v<typename First::value_type, typename Rest::value_type> &&
                         ...)) {
    static_assert((std::is_same_v<typename First::value_type, typename Rest::value_type> && ...),
                  "rxsync::concat(observables...): every observable must have the same value_type");
    return detail::invalid_observable();
  } else {
    return detail::make_concat<typename First::value_type>(std::move(first), std::move(rest)...);
  }
}

namespace ops {

// Emits the source's values, then, once it has completed, those of each of `others` in turn.
template <class... Others>
  requires(sizeof...(Others) > 0)
auto concat(Others... others) {
  return detail::ConcatOperator<Others...>{{}, std::tuple<Others...>(std::move(others)...)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
