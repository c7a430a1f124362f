// rxsync/rx/operators/catch_error.hpp - replace a failed source by another observable:
// catch_error(f).
//
// When the source errors, it is unsubscribed, f(error) is called and the observable it returns
// is subscribed in its place: its values, completion and error go downstream (RxJS catchError).
// Completion and values of the source pass unchanged. An exception thrown by f is forwarded
// instead of the source's error. Events must be serialized (one thread, or observe_on first).
// f is kept only while the subscription lasts, so a subject it captures is not kept alive by a
// subscription that ended.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <rxsync/rx/detail/shared_sink.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class O, class F>
struct CatchState : SharedState<O>, std::enable_shared_from_this<CatchState<O, F>> {
  CatchState(O d, const F& f)
      : SharedState<O>(std::move(d)),
        handler(std::make_shared<SerialSlot<F>>(std::make_shared<F>(f))) {
    this->add(Subscription(handler));
  }

  // RxJS order: f runs first, then the failed source is released (its teardown, a finalize,
  // runs), then the replacement is subscribed.
  void source_failed(std::exception_ptr e, DisposableList& failed) {
    const std::shared_ptr<F> f = handler->get();
    if (!f || this->stopped()) return;
    using Next = std::decay_t<std::invoke_result_t<F&, std::exception_ptr>>;
    std::optional<Next> next;
    try {
      next.emplace((*f)(std::move(e)));
    } catch (...) {
      this->error(std::current_exception());
      return;
    }
    failed.unsubscribe();
    if (!this->stopped()) {
      next->subscribe_observer(PassChildSink<CatchState>(this->shared_from_this()));
    }
  }

  // Dropped when the subscription ends: it may hold a subject that holds our sink.
  std::shared_ptr<SerialSlot<F>> handler;
};

template <class State>
class CatchSourceSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V& v) {
    this->state_->next(v);
  }
  void on_completed() { this->state_->complete(); }
  void on_error(std::exception_ptr e) {
    if (this->stop()) this->state_->source_failed(std::move(e), *this->own_);
  }
};

template <class Src, class F>
struct CatchErrorStrategy {
  Src src;
  F f;
  template <class O>
  void subscribe(O obs) const {
    using State = CatchState<O, F>;
    auto state = std::make_shared<State>(std::move(obs), f);
    if (state->stopped()) return;
    src.subscribe_observer(CatchSourceSink<State>(std::move(state)));
  }
};

template <class F>
struct CatchErrorOperator : OperatorBase {
  F f;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, std::exception_ptr>) {
      static_assert(std::is_invocable_v<F&, std::exception_ptr>,
                    "rxsync::ops::catch_error(f): f cannot be called with the error: it must "
                    "accept `std::exception_ptr`");
      return invalid_observable();
    } else if constexpr (!IsObservable<
                             std::decay_t<std::invoke_result_t<F&, std::exception_ptr>>>) {
      static_assert(IsObservable<std::decay_t<std::invoke_result_t<F&, std::exception_ptr>>>,
                    "rxsync::ops::catch_error(f): f must return the observable to continue with "
                    "(rxsync::just(fallback), rxsync::empty<T>(), rxsync::error<T>(e)...), not a "
                    "plain value");
      return invalid_observable();
    } else if constexpr (!std::is_same_v<ValueOf<std::invoke_result_t<F&, std::exception_ptr>>,
                                         T>) {
      static_assert(std::is_same_v<ValueOf<std::invoke_result_t<F&, std::exception_ptr>>, T>,
                    "rxsync::ops::catch_error(f): the observable f returns must have the source's "
                    "value_type");
      return invalid_observable();
    } else {
      using S = CatchErrorStrategy<std::remove_cvref_t<Src>, F>;
      return make_static_observable<T>(S{std::forward<Src>(src), f});
    }
  }
};

}  // namespace detail

namespace ops {

// On the source's error e, continues with the observable f(e) returns (rxsync::empty<T>() to
// end quietly, rxsync::just(fallback), or rxsync::error<T>(e) to rethrow after a side effect).
template <class F>
detail::CatchErrorOperator<F> catch_error(F f) {
  return {{}, std::move(f)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
