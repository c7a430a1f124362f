// rxsync/rx/subjects/behavior_subject.hpp - a subject that holds a current value.
//
// A subscriber first receives the current value, then every later one (RxJS BehaviorSubject).
// After completion a late subscriber gets only on_completed; after an error, only the error.
// Copies share one subject. Thread-safety as PublishSubject (policy SingleThreaded or
// Synchronized).
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include <rxsync/fwd/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/subject_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Default template arguments: in <rxsync/fwd/rx/subjects/behavior_subject.hpp>.
template <class T, class Policy>
class BehaviorSubject : public detail::ObservableMixin<BehaviorSubject<T, Policy>, T> {
  struct State final : detail::SubjectCore<T, Policy> {
    explicit State(T v) : value(std::move(v)) {}
    T value;
  };
  using Lock = std::lock_guard<typename State::Mutex>;

 public:
  explicit BehaviorSubject(T initial) : state_(std::make_shared<State>(std::move(initial))) {}

  void on_next(const T& v) const {
    Lock lock(state_->mutex());
    if (state_->is_stopped()) return;
    state_->value = v;
    state_->next(v);
  }
  void on_error(std::exception_ptr e) const {
    Lock lock(state_->mutex());
    state_->fail(std::move(e));
  }
  void on_completed() const {
    Lock lock(state_->mutex());
    state_->complete();
  }
  // The latest value (still readable after completion). After an error, rethrows it.
  T value() const {
    Lock lock(state_->mutex());
    state_->rethrow_if_failed();
    return state_->value;
  }
  std::size_t observer_count() const {
    Lock lock(state_->mutex());
    return state_->observer_count();
  }

  template <class O>
  void subscribe_observer(O obs) const {
    Lock lock(state_->mutex());
    if (state_->deliver_terminal(obs) || obs.is_disposed()) return;
    auto node = state_->add_node(std::move(obs));
    // A copy: the observer may call on_next re-entrantly, which reassigns `value`.
    T current = state_->value;
    if (!node->is_disposed()) node->on_next(current);
  }

 private:
  std::shared_ptr<State> state_;
};

template <class T>
using SynchronizedBehaviorSubject = BehaviorSubject<T, Synchronized>;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
