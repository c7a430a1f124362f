// rxsync/rx/operators/group_by.hpp - group_by: split a source into one observable per key (RxJS
// groupBy(keySelector)), and GroupedObservable<K, T>, what it emits.
//
// The first value of each key emits a GroupedObservable (key() and the group's values), then the
// value goes into the group; later values of that key go only into the group. A group is a
// PublishSubject: subscribe to it from inside the on_next that delivers it to get every value. The
// source's completion or error (or an exception from the key function) goes to every group, then
// to the outer subscriber, as in RxJS. As in RxJS too, unsubscribing the outer subscriber keeps
// the source subscribed while any group has a subscriber; the source is released once the last
// one goes. Groups hold the operator's state weakly, so a subscriber that keeps its group does not
// keep the source.
//
// Threading: one state per subscription, shared by the source and the groups' subscriptions, with
// no lock (like merge): the source must emit on one thread; groups may be unsubscribed from any.
// Keys are kept in an unordered map when hashable, else an ordered one
// (detail/key_containers.hpp), for the subscription's lifetime (RxJS's duration selector, which
// would end groups early, is not offered).
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/detail/key_containers.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// One group of group_by: its key and an observable of its values. Copyable and cheap (the key and
// one Observable<T>); pipe operators onto it or subscribe to it like any observable.
template <class K, class T>
class GroupedObservable : public detail::ObservableMixin<GroupedObservable<K, T>, T> {
 public:
  using key_type = K;
  GroupedObservable(K key, Observable<T> values)
      : key_(std::move(key)), values_(std::move(values)) {}

  const K& key() const noexcept { return key_; }
  // The group's values as the type-erased handle (no further allocation).
  const Observable<T>& observable() const noexcept { return values_; }

  template <class O>
  void subscribe_observer(O obs) const {
    values_.subscribe_observer(std::move(obs));
  }

 private:
  K key_;
  Observable<T> values_;
};

namespace detail {

template <class O, class K, class T, class KeyF>
struct GroupByState : std::enable_shared_from_this<GroupByState<O, K, T, KeyF>> {
  GroupByState(O d, const KeyF& f) : down(std::move(d)), key(f) {}

  O down;
  [[no_unique_address]] KeyF key;
  KeyMap<K, PublishSubject<T>> groups;
  std::vector<PublishSubject<T>> created;  // the groups in the order they were created
  // The source's own list: it outlives the outer subscriber while groups are subscribed.
  std::shared_ptr<DisposableList> upstream = std::make_shared<DisposableList>();
  std::atomic<std::size_t> active{0};  // subscriptions to groups
  std::atomic<bool> outer_gone{false};
  bool ended = false;

  // The outer subscriber's teardown, held weakly: a finished state is not kept for it.
  void start() {
    std::weak_ptr<GroupByState> weak = this->shared_from_this();
    down.add(Subscription::create([weak] {
      if (auto self = weak.lock()) {
        self->outer_gone.store(true);
        if (self->active.load() == 0) self->upstream->unsubscribe();
      }
    }));
  }
  void group_subscribed() { ++active; }
  void group_unsubscribed() {
    if (--active == 0 && outer_gone.load()) upstream->unsubscribe();
  }

  // Every group, in the order they were created (RxJS iterates its Map so), then the outer
  // subscriber gets the terminal event. The subjects are taken out first: a subscriber may
  // re-enter.
  template <class F>
  void end(F&& event) {
    if (std::exchange(ended, true)) return;
    std::vector<PublishSubject<T>> subjects = std::move(created);
    created.clear();
    groups.clear();
    for (auto& s : subjects) event(s);
    event(down);
    upstream->unsubscribe();
  }

  void on_next(const T& v);
};

template <class State, class T>
struct GroupStrategy {
  std::weak_ptr<State> state;
  PublishSubject<T> subject;
  template <class Obs>
  void subscribe(Obs obs) const {
    if (auto st = state.lock()) {
      st->group_subscribed();
      obs.add(Subscription::create([weak = state] {
        if (auto s = weak.lock()) s->group_unsubscribed();
      }));
    }
    subject.subscribe_observer(std::move(obs));
  }
};

template <class O, class K, class T, class KeyF>
void GroupByState<O, K, T, KeyF>::on_next(const T& v) {
  if (ended) return;
  std::optional<K> k;
  try {
    k.emplace(key(v));
  } catch (...) {
    const std::exception_ptr e = std::current_exception();
    end([&](auto& target) { target.on_error(e); });
    return;
  }
  // A copy of the handle: the calls below may re-enter and change the map.
  std::optional<PublishSubject<T>> subject;
  if (auto it = groups.find(*k); it != groups.end()) {
    subject = it->second;
  } else {
    subject = groups.emplace(*k, PublishSubject<T>()).first->second;
    created.push_back(*subject);
    using Strategy = GroupStrategy<GroupByState, T>;
    const GroupedObservable<K, T> group(
        std::move(*k),
        Observable<T>(make_static_observable<T>(Strategy{this->weak_from_this(), *subject})));
    down.on_next(group);  // nowhere once the outer subscriber is gone, as in RxJS
  }
  subject->on_next(v);
}

template <class State, class T>
class GroupBySourceSink {
 public:
  explicit GroupBySourceSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void on_next(const T& v) { st_->on_next(v); }
  void on_error(std::exception_ptr e) {
    st_->end([&](auto& target) { target.on_error(e); });
  }
  void on_completed() {
    st_->end([](auto& target) { target.on_completed(); });
  }
  bool is_disposed() const noexcept { return st_->upstream->is_stopped(); }
  void add(Subscription s) { st_->upstream->add(std::move(s)); }

 private:
  std::shared_ptr<State> st_;
};

template <class Src, class KeyF>
struct GroupByStrategy {
  Src src;
  KeyF key;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using K = std::decay_t<std::invoke_result_t<const KeyF&, const T&>>;
    using State = GroupByState<O, K, T, KeyF>;
    auto state = std::make_shared<State>(std::move(obs), key);
    if (state->down.is_disposed()) return;
    state->start();
    src.subscribe_observer(GroupBySourceSink<State, T>(std::move(state)));
  }
};

template <class KeyF>
struct GroupByOperator : OperatorBase {
  KeyF key;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!CallableWith<KeyF, const T&>) {
      static_assert(std::is_invocable_v<KeyF&, const T&>,
                    "rxsync::ops::group_by(key): key cannot be called with the element type: it "
                    "must accept `const T&` and return the group's key, T being the source's "
                    "value_type");
      return invalid_observable();
    } else if constexpr (!UsableKey<std::decay_t<std::invoke_result_t<KeyF&, const T&>>>) {
      static_assert(UsableKey<std::decay_t<std::invoke_result_t<KeyF&, const T&>>>,
                    "rxsync::ops::group_by(key): the key type needs std::hash and ==, or <, to "
                    "be kept in a map: give it one, or return a key that has");
      return invalid_observable();
    } else {
      using K = std::decay_t<std::invoke_result_t<KeyF&, const T&>>;
      using St = GroupByStrategy<std::remove_cvref_t<Src>, KeyF>;
      return make_static_observable<GroupedObservable<K, T>>(St{std::forward<Src>(src), key});
    }
  }
};

}  // namespace detail

namespace ops {

// Emits a GroupedObservable<K, T> for each new key(v), K being what key returns, and sends each
// value into its key's group (RxJS groupBy(keySelector)).
template <class KeyF>
detail::GroupByOperator<KeyF> group_by(KeyF key) {
  return {{}, std::move(key)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
