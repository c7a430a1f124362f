// rxsync/rx/operators/filtering.hpp - operators that pass some values on: take, skip,
// take_while, distinct_until_changed, distinct_until_key_changed.
//
// take and take_while cut their upstream off (unsubscribe it) the moment they complete, as in
// RxJS, even if something downstream is still busy. No allocation per value, except what a
// distinct_until_key_changed key (a std::string, say) allocates itself.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <rxsync/core/detail/force_inline.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// A sink that can cut its upstream and then ignores it.
template <class Down>
class CutSinkBase : public CuttableSink<Down> {
 public:
  using CuttableSink<Down>::CuttableSink;
  void on_error(std::exception_ptr e) {
    this->cut_with([&] { this->down_.on_error(std::move(e)); });
  }
  RXSYNC_FORCE_INLINE void on_completed() { finish(); }

 protected:
  RXSYNC_FORCE_INLINE void finish() {
    this->cut_with([&] { this->down_.on_completed(); });
  }
};

template <class Down>
class TakeSink : public CutSinkBase<Down> {
 public:
  RXSYNC_FORCE_INLINE TakeSink(Down d, std::size_t n)
      : CutSinkBase<Down>(std::move(d)), remaining_(n) {}
  template <class V>
  void on_next(const V& v) {
    if (remaining_ == 0) return;
    --remaining_;
    this->down_.on_next(v);
    if (remaining_ == 0) this->finish();
  }

 private:
  std::size_t remaining_;
};

template <class Down, class F>
class TakeWhileSink : public CutSinkBase<Down> {
 public:
  RXSYNC_FORCE_INLINE TakeWhileSink(Down d, const F& f, bool inclusive)
      : CutSinkBase<Down>(std::move(d)), f_(f), inclusive_(inclusive) {}
  template <class V>
  void on_next(const V& v) {
    if (this->is_cut()) return;
    bool keep = false;
    try {
      keep = static_cast<bool>(f_(v));
    } catch (...) {
      this->on_error(std::current_exception());
      return;
    }
    if (keep) {
      this->down_.on_next(v);
    } else if (inclusive_) {
      this->cut_with([&] {
        this->down_.on_next(v);
        if (!this->down_.is_disposed()) this->down_.on_completed();
      });
    } else {
      this->finish();
    }
  }

 private:
  [[no_unique_address]] F f_;
  bool inclusive_;
};

template <class Down>
class SkipSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE SkipSink(Down d, std::size_t n)
      : ForwardingSink<Down>(std::move(d)), remaining_(n) {}
  template <class V>
  void on_next(const V& v) {
    if (remaining_ > 0) {
      --remaining_;
      return;
    }
    this->down_.on_next(v);
  }

 private:
  std::size_t remaining_;
};

struct EqualTo {
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return a == b;
  }
};

template <class T>
concept EqualityComparableToBool = requires(const T& a, const T& b) {
  { a == b } -> std::convertible_to<bool>;
};

template <class Down, class T, class Eq>
class DistinctSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE DistinctSink(Down d, const Eq& eq)
      : ForwardingSink<Down>(std::move(d)), eq_(eq) {}
  void on_next(const T& v) {
    if (last_) {
      bool same = false;
      try {
        same = static_cast<bool>(eq_(std::as_const(*last_), v));
      } catch (...) {
        this->down_.on_error(std::current_exception());
        return;
      }
      if (same) return;
      *last_ = v;  // the key moves only when a value is emitted
    } else {
      last_.emplace(v);
    }
    this->down_.on_next(v);
  }

 private:
  std::optional<T> last_;
  [[no_unique_address]] Eq eq_;
};

// distinct_until_changed on a key: what is kept and compared is key(v), not v.
template <class Down, class T, class K, class Eq, class KeyF>
class KeyDistinctSink : public ForwardingSink<Down> {
 public:
  RXSYNC_FORCE_INLINE KeyDistinctSink(Down d, const Eq& eq, const KeyF& key)
      : ForwardingSink<Down>(std::move(d)), eq_(eq), key_(key) {}
  void on_next(const T& v) {
    if (failed_) return;
    try {
      K k = key_(v);
      if (last_ && static_cast<bool>(eq_(std::as_const(*last_), std::as_const(k)))) return;
      last_.emplace(std::move(k));  // the key moves only when a value is emitted
    } catch (...) {
      failed_ = true;
      this->down_.on_error(std::current_exception());
      return;
    }
    this->down_.on_next(v);
  }

 private:
  std::optional<K> last_;
  [[no_unique_address]] Eq eq_;
  [[no_unique_address]] KeyF key_;
  bool failed_ = false;
};

struct TakeOperator : OperatorBase {
  std::size_t n;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return plain_wrap_observable<T>(std::forward<Src>(src), [count = n]<class O>(O down) {
      if (count == 0) down.on_completed();  // the sink then reports disposed: upstream sees nothing
      return TakeSink<O>(std::move(down), count);
    });
  }
};

struct SkipOperator : OperatorBase {
  std::size_t n;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return plain_wrap_observable<T>(std::forward<Src>(src), [count = n]<class O>(O down) {
      return SkipSink<O>(std::move(down), count);
    });
  }
};

template <class F>
struct TakeWhileOperator : OperatorBase {
  F pred;
  bool inclusive = false;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<F, const T&>) {
      static_assert(std::is_invocable_v<F&, const T&>,
                    "rxsync::ops::take_while(pred): pred cannot be called with the element type: "
                    "it must accept `const T&`, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (!PredicateWith<F, const T&>) {
      static_assert(std::is_constructible_v<bool, std::invoke_result_t<F&, const T&>>,
                    "rxsync::ops::take_while(pred): pred must return bool (or a type convertible "
                    "to bool)");
      return invalid_observable();
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src),
                                      [fn = pred, incl = inclusive]<class O>(O down) {
                                        return TakeWhileSink<O, F>(std::move(down), fn, incl);
                                      });
    }
  }
};

template <class Eq>
struct DistinctOperator : OperatorBase {
  Eq eq;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (std::is_same_v<Eq, EqualTo> && !EqualityComparableToBool<T>) {
      static_assert(EqualityComparableToBool<T>,
                    "rxsync::ops::distinct_until_changed(): the element type has no `==` giving "
                    "bool: define `bool operator==(const T&, const T&)`, or pass "
                    "distinct_until_changed(eq) with eq(const T&, const T&) -> bool");
      return invalid_observable();
    } else if constexpr (!CallableWith<Eq, const T&, const T&>) {
      static_assert(std::is_invocable_v<Eq&, const T&, const T&>,
                    "rxsync::ops::distinct_until_changed(eq): eq cannot be called as "
                    "eq(previous, current): it must accept `(const T&, const T&)`, T being the "
                    "source's value_type");
      return invalid_observable();
    } else if constexpr (!PredicateWith<Eq, const T&, const T&>) {
      static_assert(std::is_constructible_v<bool, std::invoke_result_t<Eq&, const T&, const T&>>,
                    "rxsync::ops::distinct_until_changed(eq): eq must return bool (or a type "
                    "convertible to bool)");
      return invalid_observable();
    } else {
      return plain_wrap_observable<T>(std::forward<Src>(src), [fn = eq]<class O>(O down) {
        return DistinctSink<O, T, Eq>(std::move(down), fn);
      });
    }
  }
};

template <class Eq, class KeyF>
struct KeyDistinctOperator : OperatorBase {
  Eq eq;
  KeyF key;
  template <class Src>
  RXSYNC_FORCE_INLINE auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<KeyF, const T&>) {
      static_assert(std::is_invocable_v<KeyF&, const T&>,
                    "rxsync::ops::distinct_until_key_changed(key) / distinct_until_changed(eq, "
                    "key): key cannot be called with the element type: it must accept "
                    "`const T&` and return the key to compare, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (std::is_void_v<std::invoke_result_t<KeyF&, const T&>>) {
      static_assert(!std::is_void_v<std::invoke_result_t<KeyF&, const T&>>,
                    "rxsync::ops::distinct_until_key_changed(key) / distinct_until_changed(eq, "
                    "key): key returns void: return the key to compare");
      return invalid_observable();
    } else {
      using K = std::decay_t<std::invoke_result_t<KeyF&, const T&>>;
      if constexpr (std::is_same_v<Eq, EqualTo> && !EqualityComparableToBool<K>) {
        static_assert(EqualityComparableToBool<K>,
                      "rxsync::ops::distinct_until_key_changed(key): the key type has no `==` "
                      "giving bool: define one, or pass an eq(const K&, const K&) -> bool");
        return invalid_observable();
      } else if constexpr (!PredicateWith<Eq, const K&, const K&>) {
        static_assert(PredicateWith<Eq, const K&, const K&>,
                      "rxsync::ops::distinct_until_changed(eq, key): eq must be callable as "
                      "eq(previous_key, current_key) with `(const K&, const K&)`, K being what "
                      "key returns, and return bool");
        return invalid_observable();
      } else {
        return plain_wrap_observable<T>(std::forward<Src>(src), [e = eq, k = key]<class O>(O down) {
          return KeyDistinctSink<O, T, K, Eq, KeyF>(std::move(down), e, k);
        });
      }
    }
  }
};

}  // namespace detail

namespace ops {

// Emits the first n values, then completes and unsubscribes the upstream. take(0) completes
// at once without subscribing.
inline detail::TakeOperator take(std::size_t n) { return {{}, n}; }

// Drops the first n values.
inline detail::SkipOperator skip(std::size_t n) { return {{}, n}; }

// Emits values while pred(v) holds; completes (without emitting) at the first that fails.
// With `inclusive`, the first value that fails is emitted before completing (RxJS
// takeWhile(pred, true)).
template <class F>
detail::TakeWhileOperator<F> take_while(F pred, bool inclusive = false) {
  return {{}, std::move(pred), inclusive};
}

// Drops a value equal to the last one emitted. eq(previous, current) -> bool.
template <class Eq = detail::EqualTo>
detail::DistinctOperator<Eq> distinct_until_changed(Eq eq = {}) {
  return {{}, std::move(eq)};
}

// Compares keys: drops a value whose key(v) is eq to the key of the last value emitted (RxJS
// distinctUntilChanged(comparator, keySelector)). The key is computed once per value and kept.
template <class Eq, class KeyF>
detail::KeyDistinctOperator<Eq, KeyF> distinct_until_changed(Eq eq, KeyF key) {
  return {{}, std::move(eq), std::move(key)};
}

// distinct_until_changed on key(v), compared with == or eq (RxJS distinctUntilKeyChanged, with a
// key function for the property name).
template <class KeyF, class Eq = detail::EqualTo>
detail::KeyDistinctOperator<Eq, KeyF> distinct_until_key_changed(KeyF key, Eq eq = {}) {
  return {{}, std::move(eq), std::move(key)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
