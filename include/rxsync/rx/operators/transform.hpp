// rxsync/rx/operators/transform.hpp - per-value operators: map, filter, tap, scan, pairwise.
//
// Each wraps the downstream sink by value, so in a static chain their on_next is a direct,
// inlinable call with no allocation. An exception thrown by a user function becomes on_error
// downstream (and the upstream is then unsubscribed by the subscriber).
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <rxsync/core/detail/force_inline.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class Down, class F>
class MapSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE MapSink(Down d, const F& f) : ForwardingSink<Down>(std::move(d)), f_(f) {}
  template <class V>
  void on_next(const V& v) {
    using R = std::decay_t<std::invoke_result_t<F&, const V&>>;
    if constexpr (std::is_trivially_copyable_v<R> && std::is_default_constructible_v<R>) {
      // No optional for plain values: its engaged flag was one more store per value.
      R out{};
      try {
        out = f_(v);
      } catch (...) {
        this->down_.on_error(std::current_exception());
        return;
      }
      this->down_.on_next(out);
    } else {
      std::optional<R> out;
      try {
        out.emplace(f_(v));
      } catch (...) {
        this->down_.on_error(std::current_exception());
        return;
      }
      this->down_.on_next(*out);
    }
  }

 private:
  [[no_unique_address]] F f_;
};

template <class Down, class F>
class FilterSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE FilterSink(Down d, const F& f) : ForwardingSink<Down>(std::move(d)), f_(f) {}
  template <class V>
  void on_next(const V& v) {
    bool pass = false;
    try {
      pass = static_cast<bool>(f_(v));
    } catch (...) {
      this->down_.on_error(std::current_exception());
      return;
    }
    if (pass) this->down_.on_next(v);
  }

 private:
  [[no_unique_address]] F f_;
};

template <class Down, class F>
class TapSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE TapSink(Down d, const F& f) : ForwardingSink<Down>(std::move(d)), f_(f) {}
  template <class V>
  void on_next(const V& v) {
    try {
      f_(v);
    } catch (...) {
      this->down_.on_error(std::current_exception());
      return;
    }
    this->down_.on_next(v);
  }

 private:
  [[no_unique_address]] F f_;
};

template <class Down, class Acc, class F>
class ScanSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE ScanSink(Down d, Acc seed, const F& f)
      : ForwardingSink<Down>(std::move(d)), acc_(std::move(seed)), f_(f) {}
  template <class V>
  void on_next(const V& v) {
    try {
      acc_ = f_(std::as_const(acc_), v);
    } catch (...) {
      this->down_.on_error(std::current_exception());
      return;
    }
    // A copy: if the downstream feeds the source again, the nested value updates acc_ while
    // this one is still being delivered.
    const Acc out = acc_;
    this->down_.on_next(out);
  }

 private:
  Acc acc_;
  [[no_unique_address]] F f_;
};

// scan without a seed: the first value becomes the accumulator and is emitted as it is.
template <class Down, class T, class F>
class SeedlessScanSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE SeedlessScanSink(Down d, const F& f)
      : ForwardingSink<Down>(std::move(d)), f_(f) {}
  void on_next(const T& v) {
    if (!acc_) {
      acc_.emplace(v);
    } else {
      try {
        *acc_ = f_(std::as_const(*acc_), v);
      } catch (...) {
        this->down_.on_error(std::current_exception());
        return;
      }
    }
    const T out = *acc_;  // a copy, as in ScanSink
    this->down_.on_next(out);
  }

 private:
  std::optional<T> acc_;
  [[no_unique_address]] F f_;
};

template <class Down, class T>
class PairwiseSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE explicit PairwiseSink(Down d) : ForwardingSink<Down>(std::move(d)) {}
  void on_next(const T& v) {
    if (prev_) {
      std::pair<T, T> out{std::move(*prev_), v};
      *prev_ = v;
      this->down_.on_next(out);
    } else {
      prev_.emplace(v);
    }
  }

 private:
  std::optional<T> prev_;
};

// Strategy for operators that only wrap the sink: Wrap(down) builds the upstream sink. `Keeps`
// is false for sinks that keep nothing beyond the call (no timer, no shared state), which
// carries a synchronous source's completes_in_subscribe through the operator.
template <class Src, class Wrap, bool Keeps = true>
struct WrapStrategy {
  static constexpr bool completes_in_subscribe = !Keeps && detail::completes_in_subscribe<Src>;
  Src src;
  Wrap wrap;
  template <class O>
  RXSYNC_FORCE_INLINE void subscribe(O obs) const {
    auto sink = wrap(std::move(obs));
    if (sink.is_disposed()) return;  // e.g. take(0): never subscribe upstream
    src.subscribe_observer(std::move(sink));
  }
};

template <class T, class Src, class Wrap>
auto wrap_observable(Src&& src, Wrap wrap) {
  return make_static_observable<T>(
      WrapStrategy<std::remove_cvref_t<Src>, Wrap>{std::forward<Src>(src), std::move(wrap)});
}
// The same for a sink that keeps nothing once its source returns (map, filter, take, ...).
template <class T, class Src, class Wrap>
RXSYNC_FORCE_INLINE auto plain_wrap_observable(Src&& src, Wrap wrap) {
  return make_static_observable<T>(
      WrapStrategy<std::remove_cvref_t<Src>, Wrap, false>{std::forward<Src>(src), std::move(wrap)});
}

// The operator objects. Each checks its callable against the source's element type with a
// static_assert that says what to write; the failing case returns invalid_observable() so the
// rest of the chain adds no further errors.

template <class F>
struct MapOperator : OperatorBase {
  F f;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::map(f): f cannot be called with the element type: it must "
                    "accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (std::is_void_v<std::invoke_result_t<F&, const T&>>) {
      static_assert(!std::is_void_v<std::invoke_result_t<F&, const T&>>,
                    "rxsync::ops::map(f): f returns void, so there is nothing to emit: return "
                    "the new value (or use ops::tap for a side effect)");
      return invalid_observable();
    } else {
      using R = std::decay_t<std::invoke_result_t<F&, const T&>>;
      return plain_wrap_observable<R>(std::forward<Src>(src), [fn = f]<class O>(O down) {
        return MapSink<O, F>(std::move(down), fn);
      });
    }
  }
};

template <class F>
struct FilterOperator : OperatorBase {
  F pred;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::filter(pred): pred cannot be called with the element type: it "
                    "must accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (!PredicateWith<F, const T&>) {
      static_assert(std::is_constructible_v<bool, std::invoke_result_t<F&, const T&>>,
                    "rxsync::ops::filter(pred): pred must return bool (or a type convertible to "
                    "bool)");
      return invalid_observable();
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src), [fn = pred]<class O>(O down) {
        return FilterSink<O, F>(std::move(down), fn);
      });
    }
  }
};

template <class F>
struct TapOperator : OperatorBase {
  F f;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::tap(f): f cannot be called with the element type: it must "
                    "accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src), [fn = f]<class O>(O down) {
        return TapSink<O, F>(std::move(down), fn);
      });
    }
  }
};

template <class Acc, class F>
struct ScanOperator : OperatorBase {
  Acc seed;
  F f;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const Acc&, const T&>) {
      static_assert(std::is_invocable_v<F&, const Acc&, const T&>,
                    "rxsync::ops::scan(seed, f): f cannot be called as f(acc, value): it must "
                    "accept `(const Acc&, const T&)`, Acc being the seed's type and T the "
                    "source's value_type");
      return invalid_observable();
    } else if constexpr (!std::is_assignable_v<Acc&,
                                               std::invoke_result_t<F&, const Acc&, const T&>>) {
      static_assert(
          std::is_assignable_v<Acc&, std::invoke_result_t<F&, const Acc&, const T&>>,
          "rxsync::ops::scan(seed, f): f must return the new accumulator, a value assignable to "
          "the seed's type");
      return invalid_observable();
    } else {
      return plain_wrap_observable<Acc>(std::forward<Src>(src),
                                        [s = seed, fn = f]<class O>(O down) {
                                          return ScanSink<O, Acc, F>(std::move(down), s, fn);
                                        });
    }
  }
};

template <class F>
struct ScanOperator<void, F> : OperatorBase {
  F f;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&, const T&>,
                    "rxsync::ops::scan(f): f cannot be called as f(acc, value): without a seed "
                    "the accumulator has the element type, so f must accept "
                    "`(const T&, const T&)`; pass scan(seed, f) for another accumulator type");
      return invalid_observable();
    } else if constexpr (!std::is_assignable_v<T&, std::invoke_result_t<F&, const T&, const T&>>) {
      static_assert(std::is_assignable_v<T&, std::invoke_result_t<F&, const T&, const T&>>,
                    "rxsync::ops::scan(f): f must return the new accumulator, a value assignable "
                    "to the element type");
      return invalid_observable();
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src), [fn = f]<class O>(O down) {
        return SeedlessScanSink<O, T, F>(std::move(down), fn);
      });
    }
  }
};

struct PairwiseOperator : OperatorBase {
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return plain_wrap_observable<std::pair<T, T>>(std::forward<Src>(src), []<class O>(O down) {
      return PairwiseSink<O, T>(std::move(down));
    });
  }
};

}  // namespace detail

namespace ops {

// Emits f(v) for each value v.
template <class F>
detail::MapOperator<F> map(F f) {
  return {{}, std::move(f)};
}

// Emits the values for which pred(v) is true.
template <class F>
detail::FilterOperator<F> filter(F pred) {
  return {{}, std::move(pred)};
}

// Calls f(v) for its side effect, then passes v on.
template <class F>
detail::TapOperator<F> tap(F f) {
  return {{}, std::move(f)};
}

// Emits acc = f(acc, v) for each value, starting from `seed` (the seed itself is not emitted).
template <class Acc, class F>
detail::ScanOperator<Acc, F> scan(Acc seed, F f) {
  return {{}, std::move(seed), std::move(f)};
}

// Without a seed, the first value is the accumulator and is emitted as it is; f is called from
// the second value on (RxJS scan without a seed).
template <class F>
detail::ScanOperator<void, F> scan(F f) {
  return {{}, std::move(f)};
}

// Emits {previous, current} for every value after the first.
inline detail::PairwiseOperator pairwise() { return {}; }

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
