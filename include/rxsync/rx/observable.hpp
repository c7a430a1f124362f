// rxsync/rx/observable.hpp - static observable chains and the type-erased Observable<T>.
//
// `src | ops::map(f) | ops::filter(g)` builds a StaticObservable whose type records the whole
// chain; subscribing builds one nested sink object whose on_next calls are direct and inlinable.
// Observable<T> is the one erasure point: a copyable handle (a shared_ptr to the erased chain)
// that every static chain converts to implicitly or via as_observable(). Subscribing is
// thread-safe for the built-in sources; see docs/reactive.md for the threading model.
#pragma once

#include <concepts>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <rxsync/core/detail/force_inline.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class T>
class Observable;

namespace detail {

template <class S>
concept IsObservable = requires {
  typename S::value_type;
  requires S::is_rxsync_observable;
};

template <class Src>
using ValueOf = typename std::remove_cvref_t<Src>::value_type;

// Base of every rxsync operator object (what ops::map(f) and the others return). `source | op`
// checks only this tag, never whether op(source) compiles: a callable that does not fit the
// element type is then reported by the operator's own static_assert, as the first error,
// rather than by a failed constraint of operator| followed by the compiler's account of why.
struct OperatorBase {};

template <class Op>
concept IsOperator = std::derived_from<std::remove_cvref_t<Op>, OperatorBase>;

// The element type of what an operator returns after its static_assert reported a mistake.
// Later operators, subscribe() and the conversion to Observable<T> let it through without a
// word, so one mistake in a pipeline gives one error, not one per later step.
struct InvalidValue {};

// Callables as the operators call them: a mutable lambda is fine, so the check is on F&.
template <class F, class... Args>
concept CallableWith = std::is_invocable_v<F&, Args...>;
// A predicate's result goes through static_cast<bool>, so explicit conversions count too.
template <class F, class... Args>
concept PredicateWith =
    CallableWith<F, Args...> && std::is_constructible_v<bool, std::invoke_result_t<F&, Args...>>;

// A chain that delivers everything, terminal event included, before subscribe() returns, and
// whose parts keep no reference to the observer afterwards: synchronous sources (just, from,
// empty, error) through operators that only wrap the sink (map, filter, take, ...). Opt-in per
// strategy (`static constexpr bool completes_in_subscribe = true`): a wrong "true" would let
// the stack-allocated subscriber state escape, so anything unsure stays false.
template <class S>
inline constexpr bool completes_in_subscribe = false;
template <class S>
  requires requires { std::remove_cvref_t<S>::completes_in_subscribe; }
inline constexpr bool completes_in_subscribe<S> = std::remove_cvref_t<S>::completes_in_subscribe;

// What subscribe() takes as an observer object (on_next, on_error, on_completed members) rather
// than as an on_next callback.
template <class A, class T>
inline constexpr bool is_shared_observer = false;
template <class O, class T>
inline constexpr bool is_shared_observer<std::shared_ptr<O>, T> =
    Observer<O, T> && !std::invocable<O&, const T&>;
template <class A, class T>
concept ObserverArgument =
    (Observer<std::decay_t<A>, T> && !std::invocable<std::decay_t<A>&, const T&>) ||
    is_shared_observer<std::decay_t<A>, T>;

// Gives every observable type the user-facing subscribe() overloads and as_observable(). The
// derived type provides subscribe_observer(Sink) - the call operators use to chain.
template <class Derived, class T>
class ObservableMixin {
 public:
  using value_type = T;
  static constexpr bool is_rxsync_observable = true;

  // subscribe(on_next[, on_error[, on_completed]]). Without on_error, an error goes to the
  // unhandled-error hook (see set_unhandled_error_handler), never nowhere.
  // Callbacks of the wrong signature are not constrained away (that would only say "no
  // matching function"): they reach a static_assert that says which one is wrong.
  template <class OnNext, class OnError = ReportUnhandled, class OnCompleted = NoopCompleted>
    requires(!ObserverArgument<OnNext, T>)
  RXSYNC_FORCE_INLINE Subscription subscribe(OnNext on_next, OnError on_error = {},
                                             OnCompleted on_completed = {}) const {
    if constexpr (std::is_same_v<T, InvalidValue>) {
      return Subscription();  // an operator upstream already reported an error
    } else if constexpr (!std::is_invocable_v<OnNext&, const T&>) {
      static_assert(std::is_invocable_v<OnNext&, const T&>,
                    "rxsync: subscribe(on_next, ...): on_next cannot be called with the element "
                    "type: it must accept `const T&`, T being the observable's value_type (or "
                    "pass an observer object with on_next, on_error and on_completed)");
      return Subscription();
    } else if constexpr (!std::is_invocable_v<OnError&, std::exception_ptr>) {
      static_assert(std::is_invocable_v<OnError&, std::exception_ptr>,
                    "rxsync: subscribe(on_next, on_error, ...): on_error must accept "
                    "`std::exception_ptr`");
      return Subscription();
    } else if constexpr (!std::is_invocable_v<OnCompleted&>) {
      static_assert(std::is_invocable_v<OnCompleted&>,
                    "rxsync: subscribe(on_next, on_error, on_completed): on_completed must be "
                    "callable with no arguments");
      return Subscription();
    } else if constexpr (completes_in_subscribe<Derived>) {
      // Over before subscribe() returns, and nothing in the chain keeps the observer: its
      // state can live here, and the Subscription has nothing left to cancel.
      LocalDisposables state;
      self().subscribe_observer(RootObserver<T, OnNext, OnError, OnCompleted, LocalDisposables>(
          &state, std::move(on_next), std::move(on_error), std::move(on_completed)));
      return Subscription();
    } else {
      auto state = std::make_shared<DisposableList>();
      self().subscribe_observer(RootObserver<T, OnNext, OnError, OnCompleted>(
          state, std::move(on_next), std::move(on_error), std::move(on_completed)));
      return Subscription(std::move(state));
    }
  }

  // subscribe(observer) for an object with on_next / on_error / on_completed members. The
  // object is shared, not copied, so the caller may keep a pointer to it.
  template <class O>
    requires Observer<O, T> && (!std::invocable<O&, const T&>)
  Subscription subscribe(std::shared_ptr<O> obs) const {
    return subscribe([obs](const T& v) { obs->on_next(v); },
                     [obs](std::exception_ptr e) { obs->on_error(std::move(e)); },
                     [obs] { obs->on_completed(); });
  }
  template <class O>
    requires Observer<std::decay_t<O>, T> && (!std::invocable<std::decay_t<O>&, const T&>) &&
             (!Sink<std::decay_t<O>, T>)
  Subscription subscribe(O&& obs) const {
    return subscribe(std::make_shared<std::decay_t<O>>(std::forward<O>(obs)));
  }

  Observable<T> as_observable() const { return Observable<T>(self()); }

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
};

}  // namespace detail

// A chain whose type is known at compile time. `Strategy` holds the upstream chain by value
// and has `template <class Sink> void subscribe(Sink) const`. Copyable when its parts are;
// subscribing does not modify it, so one chain may be subscribed many times.
template <class T, class Strategy>
class StaticObservable : public detail::ObservableMixin<StaticObservable<T, Strategy>, T> {
 public:
  static constexpr bool completes_in_subscribe = detail::completes_in_subscribe<Strategy>;

  RXSYNC_FORCE_INLINE explicit StaticObservable(Strategy s) : strategy_(std::move(s)) {}

  template <class O>
  RXSYNC_FORCE_INLINE void subscribe_observer(O obs) const {
    static_assert(detail::Sink<O, T>, "rxsync: subscribe_observer needs a sink of the value type");
    strategy_.subscribe(std::move(obs));
  }

 private:
  Strategy strategy_;
};

template <class T, class Strategy>
RXSYNC_FORCE_INLINE StaticObservable<T, Strategy> make_static_observable(Strategy s) {
  return StaticObservable<T, Strategy>(std::move(s));
}

namespace detail {

struct InvalidStrategy {
  template <class O>
  void subscribe(O) const {}
};

// What an operator returns once its static_assert has fired (see InvalidValue).
inline StaticObservable<InvalidValue, InvalidStrategy> invalid_observable() {
  return StaticObservable<InvalidValue, InvalidStrategy>(InvalidStrategy{});
}

// What an operator factory returns once its static_assert has fired (a policy argument that
// does not fit): applying it adds no further errors.
struct InvalidOperator : OperatorBase {
  template <class Src>
  auto operator()(Src&&) const {
    return invalid_observable();
  }
};

}  // namespace detail

// The type-erased observable: copyable and cheap (one shared_ptr). Building one from a static
// chain allocates once; each subscribe allocates the erased sink once; each on_next costs one
// virtual call at the boundary. A default-constructed Observable never emits (like never()).
template <class T>
class Observable : public detail::ObservableMixin<Observable<T>, T> {
  struct Source {
    Source() = default;
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;
    virtual ~Source() = default;
    virtual void subscribe(AnyObserver<T> obs) const = 0;
  };
  template <class S>
  struct Impl final : Source {
    explicit Impl(S s) : src(std::move(s)) {}
    void subscribe(AnyObserver<T> obs) const override { src.subscribe_observer(std::move(obs)); }
    S src;
  };

 public:
  Observable() = default;

  template <class S>
    requires(!std::is_same_v<std::remove_cvref_t<S>, Observable> &&
             detail::IsObservable<std::remove_cvref_t<S>> &&
             (std::is_same_v<detail::ValueOf<S>, T> ||
              std::is_same_v<detail::ValueOf<S>, detail::InvalidValue>))
  Observable(S&& src)  // NOLINT(google-explicit-constructor): the one implicit erasure point
      : src_(erase(std::forward<S>(src))) {}

  template <class O>
  void subscribe_observer(O obs) const {
    if (!src_) return;
    if constexpr (std::is_same_v<O, AnyObserver<T>>) {
      src_->subscribe(std::move(obs));
    } else {
      src_->subscribe(AnyObserver<T>(std::move(obs)));
    }
  }

 private:
  template <class S>
  static std::shared_ptr<const Source> erase(S&& src) {
    if constexpr (std::is_same_v<detail::ValueOf<S>, detail::InvalidValue>) {
      return nullptr;  // an operator already reported an error: do not add another
    } else {
      return std::make_shared<const Impl<std::remove_cvref_t<S>>>(std::forward<S>(src));
    }
  }

  std::shared_ptr<const Source> src_;
};

// `observable | operator`: applies an rxsync operator. The constraint asks only "is this an
// operator?", so whatever is wrong with the operator's arguments is reported by the operator
// itself, and the chain's body is instantiated once, here, not inside a constraint check.
template <class Src, class Op>
  requires detail::IsObservable<std::remove_cvref_t<Src>> && detail::IsOperator<Op>
RXSYNC_FORCE_INLINE auto operator|(Src&& src, Op&& op) {
  if constexpr (std::is_same_v<detail::ValueOf<Src>, detail::InvalidValue>) {
    return detail::invalid_observable();  // the step before reported an error already
  } else {
    return std::forward<Op>(op)(std::forward<Src>(src));
  }
}

namespace detail {
template <class Op, class Src>
concept HandWrittenOperator = !IsOperator<Op> && std::invocable<Op, Src>;
}  // namespace detail

// `observable | f` for any other callable taking the observable (an operator of your own).
template <class Src, class Op>
  requires detail::IsObservable<std::remove_cvref_t<Src>> && detail::HandWrittenOperator<Op, Src>
auto operator|(Src&& src, Op&& op) {
  return std::forward<Op>(op)(std::forward<Src>(src));
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
