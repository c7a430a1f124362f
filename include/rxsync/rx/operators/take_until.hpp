// rxsync/rx/operators/take_until.hpp - let a second observable decide when the values start or
// stop: take_until(notifier), skip_until(notifier).
//
// Both subscribe to the notifier first, then to the source (RxJS order, so a notifier that
// emits while subscribing decides before the first source value). A notifier's value is only a
// signal: its type does not matter; its completion alone changes nothing; its error ends the
// subscription. Every upstream is released as soon as the operator has finished with it. The
// source and the notifier share one downstream, so their events must be serialized (one thread,
// or observe_on first). The per-subscription state holds no source, so a subject used as either
// is not kept alive by a subscription that ended.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <rxsync/rx/detail/shared_sink.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class O>
struct SkipUntilState : SharedState<O> {
  using SharedState<O>::SharedState;
  bool taking = false;
};

template <class State>
class TakeUntilNotifierSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V&) {
    if (this->stop()) this->state_->complete();
  }
  void on_completed() {
    if (this->stop()) this->release();
  }
};

template <class State>
class SkipUntilSourceSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V& v) {
    if (this->state_->taking) this->state_->next(v);
  }
  void on_completed() { this->state_->complete(); }
};

template <class State>
class SkipUntilNotifierSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V&) {
    if (!this->stop()) return;
    this->state_->taking = true;
    this->release();  // one value is all skip_until needs from it
  }
  void on_completed() {
    if (this->stop()) this->release();
  }
};

template <template <class> class StateT, template <class> class SourceSink,
          template <class> class NotifierSink, class Src, class Notifier>
struct UntilStrategy {
  Src src;
  Notifier notifier;
  template <class O>
  void subscribe(O obs) const {
    using State = StateT<O>;
    auto state = std::make_shared<State>(std::move(obs));
    if (state->stopped()) return;
    notifier.subscribe_observer(NotifierSink<State>(state));
    if (!state->stopped()) src.subscribe_observer(SourceSink<State>(std::move(state)));
  }
};

template <class O>
using TakeUntilState = SharedState<O>;

template <bool Take, class Notifier>
struct UntilOperator : OperatorBase {
  Notifier notifier;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using S = std::remove_cvref_t<Src>;
    if constexpr (Take) {
      using St = UntilStrategy<TakeUntilState, PassChildSink, TakeUntilNotifierSink, S, Notifier>;
      return make_static_observable<T>(St{std::forward<Src>(src), notifier});
    } else {
      using St =
          UntilStrategy<SkipUntilState, SkipUntilSourceSink, SkipUntilNotifierSink, S, Notifier>;
      return make_static_observable<T>(St{std::forward<Src>(src), notifier});
    }
  }
};

}  // namespace detail

namespace ops {

// Emits the source's values until `notifier` emits its first value, then completes (and
// unsubscribes both). The notifier's completion changes nothing; its error is forwarded.
template <class Notifier>
auto take_until(Notifier notifier) {
  if constexpr (!detail::IsObservable<Notifier>) {
    static_assert(detail::IsObservable<Notifier>,
                  "rxsync::ops::take_until(notifier): notifier must be an observable (a subject, "
                  "rxsync::timer(d, scheduler), an Observable<U>...); its values only signal");
    return detail::InvalidOperator{};
  } else {
    return detail::UntilOperator<true, Notifier>{{}, std::move(notifier)};
  }
}

// Drops the source's values until `notifier` emits its first value, then passes them on. The
// source's completion and errors are forwarded at any time, as is the notifier's error.
template <class Notifier>
auto skip_until(Notifier notifier) {
  if constexpr (!detail::IsObservable<Notifier>) {
    static_assert(detail::IsObservable<Notifier>,
                  "rxsync::ops::skip_until(notifier): notifier must be an observable (a subject, "
                  "rxsync::timer(d, scheduler), an Observable<U>...); its values only signal");
    return detail::InvalidOperator{};
  } else {
    return detail::UntilOperator<false, Notifier>{{}, std::move(notifier)};
  }
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
