// rxsync/rx/operators/switch_map.hpp - map each value to an observable, following only the
// latest one.
//
// Each source value v subscribes f(v) and unsubscribes the previous inner observable (RxJS
// switchMap). Completes when the source and the current inner have both completed; any error
// ends everything. Events must be serialized (one thread, or observe_on first).
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class O, class F>
struct SwitchState {
  using Projection = F;
  SwitchState(O d, const F& fn)
      : down(std::move(d)), current(std::make_shared<SerialSlot<F>>(std::make_shared<F>(fn))) {
    down.add(Subscription(current));
  }
  O down;
  // The live inner subscription and the projection, both dropped when the downstream is
  // disposed: the projection may hold an inner source (a subject) that holds this state.
  std::shared_ptr<SerialSlot<F>> current;
  std::shared_ptr<DisposableList> inner;  // the live inner subscription, if any
  bool outer_done = false;
};

template <class State>
class SwitchInnerSink {
 public:
  SwitchInnerSink(std::shared_ptr<State> s, std::shared_ptr<DisposableList> own)
      : state_(std::move(s)), own_(std::move(own)) {}
  template <class V>
  void on_next(const V& v) {
    if (!own_->is_stopped()) state_->down.on_next(v);
  }
  void on_error(std::exception_ptr e) {
    if (own_->stop()) state_->down.on_error(std::move(e));
  }
  void on_completed() {
    if (!own_->stop()) return;
    own_->unsubscribe();
    if (state_->inner == own_) {
      state_->inner.reset();
      if (state_->outer_done) state_->down.on_completed();
    }
  }
  bool is_disposed() const noexcept { return own_->is_stopped() || state_->down.is_disposed(); }
  void add(Subscription s) { own_->add(std::move(s)); }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<DisposableList> own_;
};

template <class State>
class SwitchOuterSink {
 public:
  explicit SwitchOuterSink(std::shared_ptr<State> s) : state_(std::move(s)) {}
  template <class V>
  void on_next(const V& v) {
    auto& st = *state_;
    using F = typename State::Projection;
    using Inner = std::decay_t<std::invoke_result_t<F&, const V&>>;
    // The previous inner ends before f runs (RxJS order): its teardown comes first, and what
    // f does cannot reach the downstream through it.
    st.current->set(Subscription());
    const std::shared_ptr<F> f = st.current->get();
    if (!f) return;  // the subscription has ended
    std::optional<Inner> inner;
    try {
      inner.emplace((*f)(v));
    } catch (...) {
      st.down.on_error(std::current_exception());
      return;
    }
    auto own = std::make_shared<DisposableList>();
    st.inner = own;
    st.current->set(Subscription(own));
    inner->subscribe_observer(SwitchInnerSink<State>(state_, std::move(own)));
  }
  void on_error(std::exception_ptr e) { state_->down.on_error(std::move(e)); }
  void on_completed() {
    state_->outer_done = true;
    if (!state_->inner) state_->down.on_completed();
  }
  bool is_disposed() const noexcept { return state_->down.is_disposed(); }
  void add(Subscription s) { state_->down.add(std::move(s)); }

 private:
  std::shared_ptr<State> state_;
};

template <class Src, class F>
struct SwitchMapStrategy {
  Src src;
  F f;
  template <class O>
  void subscribe(O obs) const {
    using State = SwitchState<O, F>;
    auto state = std::make_shared<State>(std::move(obs), f);
    if (state->down.is_disposed()) return;
    src.subscribe_observer(SwitchOuterSink<State>(std::move(state)));
  }
};

template <class F>
struct SwitchMapOperator : OperatorBase {
  F f;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::switch_map(f): f cannot be called with the element type: it "
                    "must accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (!IsObservable<std::decay_t<std::invoke_result_t<F&, const T&>>>) {
      static_assert(IsObservable<std::decay_t<std::invoke_result_t<F&, const T&>>>,
                    "rxsync::ops::switch_map(f): f must return an observable (rxsync::just(v), "
                    "an Observable<U>, a subject...), not a plain value; for a plain value use "
                    "ops::map");
      return invalid_observable();
    } else {
      using Inner = std::decay_t<std::invoke_result_t<F&, const T&>>;
      using S = SwitchMapStrategy<std::remove_cvref_t<Src>, F>;
      return make_static_observable<typename Inner::value_type>(S{std::forward<Src>(src), f});
    }
  }
};

}  // namespace detail

namespace ops {

// f(v) must return an observable; its values are emitted until the next source value arrives.
template <class F>
detail::SwitchMapOperator<F> switch_map(F f) {
  return {{}, std::move(f)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
