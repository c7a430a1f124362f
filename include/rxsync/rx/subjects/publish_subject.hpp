// rxsync/rx/subjects/publish_subject.hpp - a multicast observable you push values into.
//
// Every current observer receives each value; late subscribers get only what follows, or just
// the terminal event once the subject has ended. Copies share one subject. With the default
// SingleThreaded policy, calls must come from one thread at a time (unsubscribing is safe from
// any thread); PublishSubject<T, Synchronized> serializes producers on many threads.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include <rxsync/fwd/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/subject_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Default template arguments: in <rxsync/fwd/rx/subjects/publish_subject.hpp>.
template <class T, class Policy>
class PublishSubject : public detail::ObservableMixin<PublishSubject<T, Policy>, T> {
  using Core = detail::SubjectCore<T, Policy>;
  using Lock = std::lock_guard<typename Core::Mutex>;

 public:
  PublishSubject() : core_(std::make_shared<Core>()) {}

  void on_next(const T& v) const {
    Lock lock(core_->mutex());
    core_->next(v);
  }
  void on_error(std::exception_ptr e) const {
    Lock lock(core_->mutex());
    core_->fail(std::move(e));
  }
  void on_completed() const {
    Lock lock(core_->mutex());
    core_->complete();
  }
  // Observers that are subscribed and not yet unsubscribed; 0 once the subject has ended.
  std::size_t observer_count() const {
    Lock lock(core_->mutex());
    return core_->observer_count();
  }

  template <class O>
  void subscribe_observer(O obs) const {
    Lock lock(core_->mutex());
    if (core_->deliver_terminal(obs) || obs.is_disposed()) return;
    core_->add_node(std::move(obs));
  }

 private:
  std::shared_ptr<Core> core_;
};

template <class T>
using SynchronizedPublishSubject = PublishSubject<T, Synchronized>;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
