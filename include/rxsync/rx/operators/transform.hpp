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

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>

namespace rxsync {

namespace detail {

template <class Down, class F>
class MapSink : public ForwardingSink<Down> {
 public:
  MapSink(Down d, const F& f) : ForwardingSink<Down>(std::move(d)), f_(f) {}
  template <class V>
  void on_next(const V& v) {
    using R = std::decay_t<std::invoke_result_t<F&, const V&>>;
    std::optional<R> out;
    try {
      out.emplace(f_(v));
    } catch (...) {
      this->down_.on_error(std::current_exception());
      return;
    }
    this->down_.on_next(*out);
  }

 private:
  [[no_unique_address]] F f_;
};

template <class Down, class F>
class FilterSink : public ForwardingSink<Down> {
 public:
  FilterSink(Down d, const F& f) : ForwardingSink<Down>(std::move(d)), f_(f) {}
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
  TapSink(Down d, const F& f) : ForwardingSink<Down>(std::move(d)), f_(f) {}
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
  ScanSink(Down d, Acc seed, const F& f)
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

template <class Down, class T>
class PairwiseSink : public ForwardingSink<Down> {
 public:
  explicit PairwiseSink(Down d) : ForwardingSink<Down>(std::move(d)) {}
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

// Strategy for operators that only wrap the sink: Wrap(down) builds the upstream sink.
template <class Src, class Wrap>
struct WrapStrategy {
  Src src;
  Wrap wrap;
  template <class O>
  void subscribe(O obs) const {
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

}  // namespace detail

namespace ops {

// Emits f(v) for each value v.
template <class F>
auto map(F f) {
  return [f = std::move(f)]<class Src>(Src&& src) {
    using T = detail::ValueOf<Src>;
    using R = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return detail::wrap_observable<R>(std::forward<Src>(src), [f]<class O>(O down) {
      return detail::MapSink<O, F>(std::move(down), f);
    });
  };
}

// Emits the values for which pred(v) is true.
template <class F>
auto filter(F pred) {
  return [pred = std::move(pred)]<class Src>(Src&& src) {
    using T = detail::ValueOf<Src>;
    static_assert(std::is_invocable_v<F&, const T&>,
                  "rxsync::ops::filter: pred must take the value");
    return detail::wrap_observable<T>(std::forward<Src>(src), [pred]<class O>(O down) {
      return detail::FilterSink<O, F>(std::move(down), pred);
    });
  };
}

// Calls f(v) for its side effect, then passes v on.
template <class F>
auto tap(F f) {
  return [f = std::move(f)]<class Src>(Src&& src) {
    using T = detail::ValueOf<Src>;
    return detail::wrap_observable<T>(std::forward<Src>(src), [f]<class O>(O down) {
      return detail::TapSink<O, F>(std::move(down), f);
    });
  };
}

// Emits acc = f(acc, v) for each value, starting from `seed` (the seed itself is not emitted).
template <class Acc, class F>
auto scan(Acc seed, F f) {
  return [seed = std::move(seed), f = std::move(f)]<class Src>(Src&& src) {
    return detail::wrap_observable<Acc>(std::forward<Src>(src), [seed, f]<class O>(O down) {
      return detail::ScanSink<O, Acc, F>(std::move(down), seed, f);
    });
  };
}

// Emits {previous, current} for every value after the first.
inline auto pairwise() {
  return []<class Src>(Src&& src) {
    using T = detail::ValueOf<Src>;
    return detail::wrap_observable<std::pair<T, T>>(std::forward<Src>(src), []<class O>(O down) {
      return detail::PairwiseSink<O, T>(std::move(down));
    });
  };
}

}  // namespace ops

}  // namespace rxsync
