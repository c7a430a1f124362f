// rxsync/rx/operators/merge_map.hpp - map each value to an observable and flatten them all:
// merge_map(f[, concurrent]), concat_map(f), exhaust_map(f).
//
// merge_map subscribes f(v) for each source value and emits the values of every inner observable
// as they come, with at most `concurrent` inners subscribed at once: a value that finds them all
// busy waits in a buffer, and f is called for it only when an inner completes, oldest first
// (RxJS mergeMap). concat_map is merge_map with one inner at a time; exhaust_map drops the
// values that arrive while its inner is busy. All complete once the source and every inner
// (and, for merge_map, the buffer) are done; any error ends everything and releases every
// upstream. Events must be serialized (one thread, or observe_on first). The projection is kept
// only while the subscription lasts, so a subject it captures is not kept alive afterwards.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <rxsync/rx/detail/shared_sink.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class O, class F, class T>
struct MergeMapState : SharedState<O>, std::enable_shared_from_this<MergeMapState<O, F, T>> {
  MergeMapState(O d, const F& f, std::size_t limit, bool drop)
      : SharedState<O>(std::move(d)),
        project(std::make_shared<SerialSlot<F>>(std::make_shared<F>(f))),
        concurrent(limit),
        drop_when_busy(drop) {
    this->add(Subscription(project));
  }

  void outer_next(const T& v) {
    // A value never overtakes buffered ones, even while a drain is between two of them.
    if (active < concurrent && buffer.empty()) {
      subscribe_inner(v);
    } else if (!drop_when_busy) {
      buffer.push_back(v);
    }
  }
  void outer_completed() {
    outer_done = true;
    check_complete();
  }
  void on_child_completed() {
    --active;
    // An inner that completes while the loop below subscribes the next one (synchronously)
    // leaves the rest to that loop, so a long buffer of synchronous inners does not recurse.
    if (draining) return;
    draining = true;
    while (!buffer.empty() && active < concurrent && !this->stopped()) {
      const T v = std::move(buffer.front());
      buffer.pop_front();
      subscribe_inner(v);
    }
    draining = false;
    check_complete();
  }

 private:
  void subscribe_inner(const T& v) {
    const std::shared_ptr<F> f = project->get();
    if (!f) return;  // the subscription has ended
    using Inner = std::decay_t<std::invoke_result_t<F&, const T&>>;
    // Counted before f runs (RxJS order): a value f feeds back into the source finds the slot
    // taken.
    ++active;
    std::optional<Inner> inner;
    try {
      inner.emplace((*f)(v));
    } catch (...) {
      this->error(std::current_exception());
      return;
    }
    inner->subscribe_observer(ForwardChildSink<MergeMapState>(this->shared_from_this()));
  }
  void check_complete() {
    if (outer_done && active == 0 && buffer.empty()) this->complete();
  }

  // Dropped when the subscription ends: it may hold an inner source (a subject) that holds an
  // inner sink, which holds this state.
  std::shared_ptr<SerialSlot<F>> project;
  std::deque<T> buffer;
  std::size_t active = 0;
  std::size_t concurrent;
  bool drop_when_busy;
  bool outer_done = false;
  bool draining = false;
};

template <class State>
class MergeMapOuterSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V& v) {
    if (!this->own_->is_stopped()) this->state_->outer_next(v);
  }
  void on_completed() {
    if (!this->stop()) return;
    this->release();
    this->state_->outer_completed();
  }
};

template <class Src, class F>
struct MergeMapStrategy {
  Src src;
  F f;
  std::size_t concurrent;
  bool drop_when_busy;
  template <class O>
  void subscribe(O obs) const {
    using State = MergeMapState<O, F, ValueOf<Src>>;
    auto state = std::make_shared<State>(std::move(obs), f, concurrent, drop_when_busy);
    if (state->stopped()) return;
    src.subscribe_observer(MergeMapOuterSink<State>(std::move(state)));
  }
};

enum class FlattenKind { merge, concat, exhaust };

// The static_assert of each operator names that operator.
template <FlattenKind K, class F, class T>
constexpr bool check_projection() {
  constexpr bool callable = CallableWith<F, const T&>;
  constexpr bool observable = [] {
    if constexpr (callable) {
      return IsObservable<std::decay_t<std::invoke_result_t<F&, const T&>>>;
    } else {
      return false;
    }
  }();
  if constexpr (K == FlattenKind::merge) {
    static_assert(callable,
                  "rxsync::ops::merge_map(f): f cannot be called with the element type: it must "
                  "accept `const T&`, T being the source's value_type");
    static_assert(!callable || observable,
                  "rxsync::ops::merge_map(f): f must return an observable (rxsync::just(v), an "
                  "Observable<U>, a subject...), not a plain value; for a plain value use "
                  "ops::map");
  } else if constexpr (K == FlattenKind::concat) {
    static_assert(callable,
                  "rxsync::ops::concat_map(f): f cannot be called with the element type: it "
                  "must accept `const T&`, T being the source's value_type");
    static_assert(!callable || observable,
                  "rxsync::ops::concat_map(f): f must return an observable (rxsync::just(v), an "
                  "Observable<U>, a subject...), not a plain value; for a plain value use "
                  "ops::map");
  } else {
    static_assert(callable,
                  "rxsync::ops::exhaust_map(f): f cannot be called with the element type: it "
                  "must accept `const T&`, T being the source's value_type");
    static_assert(!callable || observable,
                  "rxsync::ops::exhaust_map(f): f must return an observable (rxsync::just(v), "
                  "an Observable<U>, a subject...), not a plain value; for a plain value use "
                  "ops::map");
  }
  return callable && observable;
}

template <FlattenKind K, class F>
struct MergeMapOperator : OperatorBase {
  F f;
  std::size_t concurrent;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!check_projection<K, F, T>()) {
      return invalid_observable();
    } else {
      using Inner = std::decay_t<std::invoke_result_t<F&, const T&>>;
      using S = MergeMapStrategy<std::remove_cvref_t<Src>, F>;
      return make_static_observable<typename Inner::value_type>(
          S{std::forward<Src>(src), f, concurrent, K == FlattenKind::exhaust});
    }
  }
};

}  // namespace detail

namespace ops {

// f(v) must return an observable; the values of all of them are emitted as they come. With
// `concurrent`, at most that many are subscribed at once and the other source values wait, in
// order, for one to complete; 0 throws std::invalid_argument.
template <class F>
detail::MergeMapOperator<detail::FlattenKind::merge, F> merge_map(
    F f, std::size_t concurrent = std::numeric_limits<std::size_t>::max()) {
  if (concurrent == 0) {
    throw std::invalid_argument("rxsync::ops::merge_map: concurrent must be > 0, got 0");
  }
  return {{}, std::move(f), concurrent};
}

// f(v) must return an observable; each is subscribed once the previous one has completed, so
// their values come in source order.
template <class F>
detail::MergeMapOperator<detail::FlattenKind::concat, F> concat_map(F f) {
  return {{}, std::move(f), 1};
}

// f(v) must return an observable; a source value that arrives while the current one is still
// running is dropped (f is not called for it).
template <class F>
detail::MergeMapOperator<detail::FlattenKind::exhaust, F> exhaust_map(F f) {
  return {{}, std::move(f), 1};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
