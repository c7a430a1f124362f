// rxsync/rx/operators/reduce.hpp - operators that emit one value for the whole source: reduce,
// first, last (RxJS reduce, first, last), and rxsync::EmptyError.
//
// reduce and last emit when the source completes, so they hold one value until then (nothing per
// value is allocated); first emits the first match, then completes and unsubscribes the upstream
// at once, as take(1) does. When nothing matches and no default was given, first and last error
// with rxsync::EmptyError, as RxJS does. Single sink per subscription, wrapped by value like map:
// events must be serialized (the Rx contract), nothing is locked.
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// What first() and last() send when the source completes with no (matching) value and no default
// was given: RxJS's EmptyError, with its message.
class EmptyError : public std::runtime_error {
 public:
  EmptyError() : std::runtime_error("rxsync: no elements in sequence") {}
};

namespace detail {

// reduce: the accumulator is kept (never emitted) until completion. Without a seed, Acc is the
// element type and the first value becomes the accumulator without a call to f.
template <class Down, class Acc, class F, bool Seeded>
class ReduceSink : public ForwardingSink<Down> {
 public:
  ReduceSink(Down d, std::optional<Acc> seed, const F& f)
      : ForwardingSink<Down>(std::move(d)), acc_(std::move(seed)), f_(f) {}
  template <class V>
  void on_next(const V& v) {
    if (failed_) return;
    if constexpr (!Seeded) {
      if (!acc_) {
        acc_.emplace(v);
        return;
      }
    }
    try {
      *acc_ = f_(std::as_const(*acc_), v);
    } catch (...) {
      failed_ = true;
      this->down_.on_error(std::current_exception());
    }
  }
  void on_completed() {
    if (failed_) return;
    if (acc_) this->down_.on_next(*acc_);
    if (!this->down_.is_disposed()) this->down_.on_completed();
  }

 private:
  std::optional<Acc> acc_;
  [[no_unique_address]] F f_;
  bool failed_ = false;
};

struct AnyValue {
  template <class V>
  bool operator()(const V&) const noexcept {
    return true;
  }
};

// No default: EmptyError on an empty match.
struct NoDefault {};

template <class T, class D>
void emit_default_or_empty(auto& down, const D& fallback) {
  if constexpr (std::is_same_v<D, NoDefault>) {
    down.on_error(std::make_exception_ptr(EmptyError()));
  } else {
    std::optional<T> v;
    try {
      v.emplace(fallback);
    } catch (...) {
      down.on_error(std::current_exception());
      return;
    }
    down.on_next(*v);
    if (!down.is_disposed()) down.on_completed();
  }
}

template <class Down, class T, class F, class D>
class FirstSink : public CutSinkBase<Down> {
 public:
  FirstSink(Down d, const F& f, const D& fallback)
      : CutSinkBase<Down>(std::move(d)), f_(f), default_(fallback) {}
  void on_next(const T& v) {
    if (this->is_cut()) return;
    bool match = false;
    try {
      match = static_cast<bool>(f_(v));
    } catch (...) {
      this->on_error(std::current_exception());
      return;
    }
    if (!match) return;
    this->cut_with([&] {
      this->down_.on_next(v);
      if (!this->down_.is_disposed()) this->down_.on_completed();
    });
  }
  void on_completed() {
    this->cut_with([&] { emit_default_or_empty<T>(this->down_, default_); });
  }

 private:
  [[no_unique_address]] F f_;
  [[no_unique_address]] D default_;
};

template <class Down, class T, class F, class D>
class LastSink : public ForwardingSink<Down> {
 public:
  LastSink(Down d, const F& f, const D& fallback)
      : ForwardingSink<Down>(std::move(d)), f_(f), default_(fallback) {}
  void on_next(const T& v) {
    if (failed_) return;
    bool match = false;
    try {
      match = static_cast<bool>(f_(v));
    } catch (...) {
      failed_ = true;
      this->down_.on_error(std::current_exception());
      return;
    }
    if (match) last_ = v;
  }
  void on_completed() {
    if (failed_) return;
    if (!last_) {
      emit_default_or_empty<T>(this->down_, default_);
      return;
    }
    this->down_.on_next(*last_);
    if (!this->down_.is_disposed()) this->down_.on_completed();
  }

 private:
  [[no_unique_address]] F f_;
  [[no_unique_address]] D default_;
  std::optional<T> last_;
  bool failed_ = false;
};

// Acc is void for reduce(f): the element type, known only when applied.
template <class Acc, class F>
struct ReduceOperator : OperatorBase {
  std::optional<Acc> seed;
  F f;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const Acc&, const T&>) {
      static_assert(std::is_invocable_v<F&, const Acc&, const T&>,
                    "rxsync::ops::reduce(seed, f): f cannot be called as f(acc, value): it must "
                    "accept `(const Acc&, const T&)`, Acc being the seed's type and T the "
                    "source's value_type");
      return invalid_observable();
    } else if constexpr (!std::is_assignable_v<Acc&,
                                               std::invoke_result_t<F&, const Acc&, const T&>>) {
      static_assert(
          std::is_assignable_v<Acc&, std::invoke_result_t<F&, const Acc&, const T&>>,
          "rxsync::ops::reduce(seed, f): f must return the new accumulator, a value assignable "
          "to the seed's type");
      return invalid_observable();
    } else {
      return plain_wrap_observable<Acc>(
          std::forward<Src>(src), [s = seed, fn = f]<class O>(O down) {
            return ReduceSink<O, Acc, F, true>(std::move(down), s, fn);
          });
    }
  }
};

template <class F>
struct ReduceOperator<void, F> : OperatorBase {
  F f;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&, const T&>,
                    "rxsync::ops::reduce(f): f cannot be called as f(acc, value): without a "
                    "seed the accumulator has the element type, so f must accept "
                    "`(const T&, const T&)`; pass reduce(seed, f) for another accumulator type");
      return invalid_observable();
    } else if constexpr (!std::is_assignable_v<T&, std::invoke_result_t<F&, const T&, const T&>>) {
      static_assert(std::is_assignable_v<T&, std::invoke_result_t<F&, const T&, const T&>>,
                    "rxsync::ops::reduce(f): f must return the new accumulator, a value "
                    "assignable to the element type");
      return invalid_observable();
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src), [fn = f]<class O>(O down) {
        return ReduceSink<O, T, F, false>(std::move(down), std::nullopt, fn);
      });
    }
  }
};

// IsLast selects last() over first().
template <bool IsLast, class F, class D>
struct FirstLastOperator : OperatorBase {
  F pred;
  D fallback;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::first(pred) / last(pred): pred cannot be called with the "
                    "element type: it must accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (!PredicateWith<F, const T&>) {
      static_assert(std::is_constructible_v<bool, std::invoke_result_t<F&, const T&>>,
                    "rxsync::ops::first(pred) / last(pred): pred must return bool (or a type "
                    "convertible to bool)");
      return invalid_observable();
    } else if constexpr (!std::is_same_v<D, NoDefault> && !std::is_constructible_v<T, const D&>) {
      static_assert(std::is_constructible_v<T, const D&>,
                    "rxsync::ops::first(pred, default) / last(pred, default): the element type "
                    "cannot be made from the default: pass a value of the source's value_type");
      return invalid_observable();
    } else if constexpr (IsLast) {
      return plain_wrap_observable<T>(std::forward<Src>(src),
                                      [fn = pred, d = fallback]<class O>(O down) {
                                        return LastSink<O, T, F, D>(std::move(down), fn, d);
                                      });
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src),
                                      [fn = pred, d = fallback]<class O>(O down) {
                                        return FirstSink<O, T, F, D>(std::move(down), fn, d);
                                      });
    }
  }
};

}  // namespace detail

namespace ops {

// Emits the final acc = f(acc, v), starting from `seed`, when the source completes: the seed
// itself if the source was empty (RxJS reduce with a seed).
template <class Acc, class F>
detail::ReduceOperator<Acc, F> reduce(Acc seed, F f) {
  return {{}, std::optional<Acc>(std::move(seed)), std::move(f)};
}

// Without a seed, the first value is the accumulator (f is first called with the second value);
// an empty source completes without emitting (RxJS reduce without a seed).
template <class F>
detail::ReduceOperator<void, F> reduce(F f) {
  return {{}, std::move(f)};
}

// Emits the first value (for which pred(v) holds), then completes and unsubscribes the upstream.
// If the source completes before that: emits `default_value` then completes, or, without a
// default, errors with rxsync::EmptyError.
inline detail::FirstLastOperator<false, detail::AnyValue, detail::NoDefault> first() { return {}; }
template <class F>
detail::FirstLastOperator<false, F, detail::NoDefault> first(F pred) {
  return {{}, std::move(pred), {}};
}
template <class F, class D>
detail::FirstLastOperator<false, F, D> first(F pred, D default_value) {
  return {{}, std::move(pred), std::move(default_value)};
}

// Emits the last value (for which pred(v) holds) when the source completes; if there is none,
// `default_value`, or, without a default, an rxsync::EmptyError.
inline detail::FirstLastOperator<true, detail::AnyValue, detail::NoDefault> last() { return {}; }
template <class F>
detail::FirstLastOperator<true, F, detail::NoDefault> last(F pred) {
  return {{}, std::move(pred), {}};
}
template <class F, class D>
detail::FirstLastOperator<true, F, D> last(F pred, D default_value) {
  return {{}, std::move(pred), std::move(default_value)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
