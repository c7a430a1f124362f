// rxsync/rx/subjects/set_subject.hpp - an observable set ("pending items", "unread threads").
//
// observable() emits the current set to each new subscriber, then the whole set after every
// change that really changed it; add/erase/clear calls that change nothing emit nothing. Each
// emission sends a snapshot, so observers may modify the set re-entrantly. Copies share one
// set. Thread-safety as PublishSubject (policy SingleThreaded or Synchronized).
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include <rxsync/fwd/rx/subjects/set_subject.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/subject_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Default template arguments: in <rxsync/fwd/rx/subjects/set_subject.hpp>.
template <class T, class Policy>
class SetSubject : public detail::ObservableMixin<SetSubject<T, Policy>, std::set<T>> {
  using Set = std::set<T>;
  struct State final : detail::SubjectCore<Set, Policy> {
    Set items;
    void publish() {
      // The snapshot is O(size): skip it when nobody listens (a sync service's pending set
      // changes on every edit and is often unobserved).
      if (this->observer_count() == 0) return;
      const Set snapshot = items;
      this->next(snapshot);
    }
  };
  using Lock = std::lock_guard<typename State::Mutex>;

 public:
  SetSubject() : state_(std::make_shared<State>()) {}

  // True if `v` was not there (and observers were told).
  bool add(const T& v) const {
    Lock lock(state_->mutex());
    if (state_->is_stopped() || !state_->items.insert(v).second) return false;
    state_->publish();
    return true;
  }
  // True if `v` was there (and observers were told).
  bool erase(const T& v) const {
    Lock lock(state_->mutex());
    if (state_->is_stopped() || state_->items.erase(v) == 0) return false;
    state_->publish();
    return true;
  }
  bool contains(const T& v) const {
    Lock lock(state_->mutex());
    return state_->items.count(v) != 0;
  }
  void clear() const {
    Lock lock(state_->mutex());
    if (state_->is_stopped() || state_->items.empty()) return;
    state_->items.clear();
    state_->publish();
  }
  std::size_t size() const {
    Lock lock(state_->mutex());
    return state_->items.size();
  }
  Set snapshot() const {
    Lock lock(state_->mutex());
    return state_->items;
  }

  // Replaces the whole set; emits only if the contents differ.
  void on_next(const Set& items) const {
    Lock lock(state_->mutex());
    if (state_->is_stopped() || state_->items == items) return;
    state_->items = items;
    state_->publish();
  }
  void on_error(std::exception_ptr e) const {
    Lock lock(state_->mutex());
    state_->fail(std::move(e));
  }
  void on_completed() const {
    Lock lock(state_->mutex());
    state_->complete();
  }
  std::size_t observer_count() const {
    Lock lock(state_->mutex());
    return state_->observer_count();
  }

  Observable<Set> observable() const { return this->as_observable(); }

  template <class O>
  void subscribe_observer(O obs) const {
    Lock lock(state_->mutex());
    if (state_->deliver_terminal(obs) || obs.is_disposed()) return;
    auto node = state_->add_node(std::move(obs));
    const Set current = state_->items;
    if (!node->is_disposed()) node->on_next(current);
  }

 private:
  std::shared_ptr<State> state_;
};

template <class T>
using SynchronizedSetSubject = SetSubject<T, Synchronized>;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
