// rxsync/rx/operators/zip.hpp - pair up the n-th values of several sources: zip(other...).
//
// Each source's values wait in a queue of their own; whenever every queue holds one, the first
// of each go out together as a std::tuple (as combine_latest emits). It completes as soon as a
// source has completed and has nothing left queued, since no further tuple can be made (RxJS
// zip): when that source completes, or after a tuple took its last queued value. The first
// error ends everything. The queues grow without bound if one source is much faster than
// another. The sources share one downstream, so their events must be serialized (one thread,
// or observe_on first); every upstream is released when it ends.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <exception>
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

template <class O, class... Ts>
struct ZipState : SharedState<O> {
  using SharedState<O>::SharedState;
  static constexpr std::size_t count = sizeof...(Ts);

  bool all_have_values() const {
    return std::apply([](const auto&... q) { return (!q.empty() && ...); }, queues);
  }
  // A completed source with an empty queue: no tuple can ever be made again.
  bool exhausted() const { return exhausted_at(std::index_sequence_for<Ts...>{}); }
  std::tuple<Ts...> pop_front() {
    return std::apply(
        [](auto&... q) {
          std::tuple<Ts...> out{std::move(q.front())...};
          (q.pop_front(), ...);
          return out;
        },
        queues);
  }

  std::tuple<std::deque<Ts>...> queues;
  std::array<bool, sizeof...(Ts)> completed{};

 private:
  template <std::size_t... I>
  bool exhausted_at(std::index_sequence<I...>) const {
    return ((completed[I] && std::get<I>(queues).empty()) || ...);
  }
};

template <class State, std::size_t I>
class ZipSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V& v) {
    if (this->own_->is_stopped()) return;
    State& st = *this->state_;
    std::get<I>(st.queues).push_back(v);
    if (!st.all_have_values()) return;
    // Taken out before the downstream runs: what it feeds back into a source queues behind.
    const auto out = st.pop_front();
    st.next(out);
    if (st.exhausted()) st.complete();
  }
  void on_completed() {
    if (!this->stop()) return;
    this->release();
    State& st = *this->state_;
    st.completed[I] = true;
    if (std::get<I>(st.queues).empty()) st.complete();
  }
};

template <class... Srcs>
struct ZipStrategy {
  std::tuple<Srcs...> srcs;
  template <class O>
  void subscribe(O obs) const {
    using State = ZipState<O, typename Srcs::value_type...>;
    auto state = std::make_shared<State>(std::move(obs));
    subscribe_all(state, std::index_sequence_for<Srcs...>{});
  }
  template <class State, std::size_t... I>
  void subscribe_all(const std::shared_ptr<State>& state, std::index_sequence<I...>) const {
    ((state->stopped() ? void() : std::get<I>(srcs).subscribe_observer(ZipSink<State, I>(state))),
     ...);
  }
};

template <class... Others>
struct ZipOperator : OperatorBase {
  std::tuple<Others...> others;
  template <class Src>
  auto operator()(Src&& src) const {
    if constexpr (!(IsObservable<Others> && ...)) {
      static_assert((IsObservable<Others> && ...),
                    "rxsync::ops::zip(others...): every argument must be an observable (to "
                    "combine the values, follow it with ops::map)");
      return invalid_observable();
    } else {
      using Out = std::tuple<ValueOf<Src>, typename Others::value_type...>;
      using S = ZipStrategy<std::remove_cvref_t<Src>, Others...>;
      return std::apply(
          [&](const Others&... o) {
            return make_static_observable<Out>(
                S{std::tuple<std::remove_cvref_t<Src>, Others...>(std::forward<Src>(src), o...)});
          },
          others);
    }
  }
};

}  // namespace detail

namespace ops {

// Emits a std::tuple of the n-th value of the source and of every other observable, once each
// has sent its n-th. Completes when a source has completed and has no value left waiting; the
// first error ends everything.
template <class... Others>
  requires(sizeof...(Others) > 0)
auto zip(Others... others) {
  return detail::ZipOperator<Others...>{{}, std::tuple<Others...>(std::move(others)...)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
