// rxsync/rx/operators/distinct.hpp - distinct: drop every value whose key was seen before (RxJS
// distinct(keySelector, flushes)).
//
// The keys seen are kept for the whole subscription (an unordered set for hashable keys, else an
// ordered one: detail/key_containers.hpp), so the memory grows with the number of distinct keys;
// a `flushes` notifier clears them on each of its values. Without a notifier the sink is wrapped
// by value like map; with one, the source and the notifier share a state and must emit on one
// thread (like merge). The notifier's completion is ignored, its error ends the chain; it is
// subscribed after the source, as in RxJS, and released with the subscription.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <rxsync/rx/detail/key_containers.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

struct Identity {
  template <class V>
  const V& operator()(const V& v) const noexcept {
    return v;
  }
};

// The seen keys and the key function: what the by-value sink and the shared state both hold.
template <class T, class K, class KeyF>
struct DistinctKeys {
  explicit DistinctKeys(const KeyF& f) : key(f) {}
  KeySet<K> seen;
  [[no_unique_address]] KeyF key;
  bool failed = false;

  // Whether v is to be emitted; throws what key() or the set throws.
  bool admit(const T& v) { return seen.insert(K(key(v))).second; }
};

template <class Down, class T, class K, class KeyF>
class DistinctSetSink : public ForwardingSink<Down> {
 public:
  DistinctSetSink(Down d, const KeyF& f) : ForwardingSink<Down>(std::move(d)), keys_(f) {}
  void on_next(const T& v) {
    if (keys_.failed) return;
    bool fresh = false;
    try {
      fresh = keys_.admit(v);
    } catch (...) {
      keys_.failed = true;
      this->down_.on_error(std::current_exception());
      return;
    }
    if (fresh) this->down_.on_next(v);
  }

 private:
  DistinctKeys<T, K, KeyF> keys_;
};

template <class O, class T, class K, class KeyF>
struct DistinctFlushState {
  DistinctFlushState(O d, const KeyF& f) : down(std::move(d)), keys(f) {}
  O down;
  DistinctKeys<T, K, KeyF> keys;
};

template <class State, class T>
class DistinctSourceSink {
 public:
  explicit DistinctSourceSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void on_next(const T& v) {
    auto& st = *st_;
    if (st.keys.failed) return;
    bool fresh = false;
    try {
      fresh = st.keys.admit(v);
    } catch (...) {
      st.keys.failed = true;
      st.down.on_error(std::current_exception());
      return;
    }
    if (fresh) st.down.on_next(v);
  }
  void on_error(std::exception_ptr e) { st_->down.on_error(std::move(e)); }
  void on_completed() { st_->down.on_completed(); }
  bool is_disposed() const noexcept { return st_->down.is_disposed(); }
  void add(Subscription s) { st_->down.add(std::move(s)); }

 private:
  std::shared_ptr<State> st_;
};

template <class State>
class DistinctFlushSink {
 public:
  explicit DistinctFlushSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  template <class V>
  void on_next(const V&) {
    st_->keys.seen.clear();
  }
  void on_error(std::exception_ptr e) { st_->down.on_error(std::move(e)); }
  void on_completed() {}
  bool is_disposed() const noexcept { return st_->down.is_disposed(); }
  void add(Subscription s) { st_->down.add(std::move(s)); }

 private:
  std::shared_ptr<State> st_;
};

template <class Src, class KeyF, class Flushes>
struct DistinctFlushStrategy {
  Src src;
  KeyF key;
  Flushes flushes;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using K = std::decay_t<std::invoke_result_t<const KeyF&, const T&>>;
    using State = DistinctFlushState<O, T, K, KeyF>;
    auto state = std::make_shared<State>(std::move(obs), key);
    if (state->down.is_disposed()) return;
    src.subscribe_observer(DistinctSourceSink<State, T>(state));
    if (state->down.is_disposed()) return;
    flushes.subscribe_observer(DistinctFlushSink<State>(std::move(state)));
  }
};

struct NoFlushes {};

template <class KeyF, class Flushes>
struct DistinctSetOperator : OperatorBase {
  KeyF key;
  Flushes flushes;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<KeyF, const T&>) {
      static_assert(std::is_invocable_v<KeyF&, const T&>,
                    "rxsync::ops::distinct(key): key cannot be called with the element type: it "
                    "must accept `const T&` and return the key, T being the source's value_type");
      return invalid_observable();
    } else if constexpr (!UsableKey<std::decay_t<std::invoke_result_t<KeyF&, const T&>>>) {
      static_assert(UsableKey<std::decay_t<std::invoke_result_t<KeyF&, const T&>>>,
                    "rxsync::ops::distinct: the key (the element itself, without a key "
                    "function) needs std::hash and ==, or <, to be kept in a set: give it one, "
                    "or pass distinct(key) returning a key that has");
      return invalid_observable();
    } else if constexpr (std::is_same_v<Flushes, NoFlushes>) {
      using K = std::decay_t<std::invoke_result_t<KeyF&, const T&>>;
      return plain_wrap_observable<T>(std::forward<Src>(src), [k = key]<class O>(O down) {
        return DistinctSetSink<O, T, K, KeyF>(std::move(down), k);
      });
    } else {
      using St = DistinctFlushStrategy<std::remove_cvref_t<Src>, KeyF, Flushes>;
      return make_static_observable<T>(St{std::forward<Src>(src), key, flushes});
    }
  }
};

}  // namespace detail

namespace ops {

// Emits each value whose key (the value itself, or key(v)) was not seen before in this
// subscription (RxJS distinct).
inline detail::DistinctSetOperator<detail::Identity, detail::NoFlushes> distinct() { return {}; }
template <class KeyF>
detail::DistinctSetOperator<KeyF, detail::NoFlushes> distinct(KeyF key) {
  return {{}, std::move(key), {}};
}

// As distinct(key), and every value of `flushes` forgets the keys seen so far. Any observable;
// its completion is ignored, its error ends the chain.
template <class KeyF, class Flushes>
  requires detail::IsObservable<std::remove_cvref_t<Flushes>>
detail::DistinctSetOperator<KeyF, std::remove_cvref_t<Flushes>> distinct(KeyF key,
                                                                         Flushes&& flushes) {
  return {{}, std::move(key), std::forward<Flushes>(flushes)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
