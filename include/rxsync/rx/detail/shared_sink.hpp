// rxsync/rx/detail/shared_sink.hpp - the per-subscription state of an operator fed by several
// upstreams (a source plus inner observables or notifiers), and the sinks it gives them
// (internal).
//
// SharedState owns the downstream sink and one DisposableList nested in the downstream's: every
// upstream subscription of the operator hangs below it, so a terminal event cuts them all
// (after the downstream's terminal callback, as CuttableSink does), even when the operator sits
// in the middle of a chain whose end is still subscribed. Each upstream gets a ChildSink with a
// list of its own inside the state's, so the operator can also let go of one upstream alone (an
// inner observable that completed, a notifier that fired).
//
// Threading: the upstreams share one downstream, so their events must be serialized (one
// thread, or observe_on first), as for merge. is_disposed() and add() stay thread-safe.
// Lifetime: the state is held by the child sinks, which their sources hold; it holds no source.
#pragma once

#include <exception>
#include <memory>
#include <utility>

#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

template <class Down>
class SharedState : public CuttableSink<Down> {
 public:
  using CuttableSink<Down>::CuttableSink;

  // Nothing reaches the downstream once the state was cut (terminal event or unsubscribe).
  bool stopped() const noexcept { return this->is_disposed(); }
  template <class V>
  void next(const V& v) {
    if (!stopped()) this->down_.on_next(v);
  }
  void error(std::exception_ptr e) {
    this->cut_with([&] { this->down_.on_error(std::move(e)); });
  }
  void complete() {
    this->cut_with([&] { this->down_.on_completed(); });
  }
};

// The sink one upstream of a SharedState-based operator is subscribed with. Errors end the
// whole operator; the derived sink decides what its values and its completion mean.
template <class State>
class ChildSinkBase {
 public:
  explicit ChildSinkBase(std::shared_ptr<State> s)
      : state_(std::move(s)), own_(std::make_shared<DisposableList>()) {
    state_->add(Subscription(own_));
  }
  bool is_disposed() const noexcept { return own_->is_stopped() || state_->stopped(); }
  void add(Subscription s) { own_->add(std::move(s)); }
  void on_error(std::exception_ptr e) {
    if (own_->stop()) state_->error(std::move(e));
  }

 protected:
  // Ends this upstream alone: true for the call that ended it. Its resources are released
  // later, by release(), so that a teardown does not run in the middle of the event handling.
  bool stop() noexcept { return own_->stop(); }
  void release() noexcept { own_->unsubscribe(); }

  std::shared_ptr<State> state_;
  std::shared_ptr<DisposableList> own_;
};

// The sink of an upstream whose values go straight downstream and whose completion calls
// state->on_child_completed().
template <class State>
class ForwardChildSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V& v) {
    if (!this->own_->is_stopped()) this->state_->next(v);
  }
  void on_completed() {
    if (!this->stop()) return;
    this->release();
    this->state_->on_child_completed();
  }
};

// The sink of an upstream that stands for the operator's whole output: its values go
// downstream, its completion completes the operator.
template <class State>
class PassChildSink : public ChildSinkBase<State> {
 public:
  using ChildSinkBase<State>::ChildSinkBase;
  template <class V>
  void on_next(const V& v) {
    this->state_->next(v);
  }
  void on_completed() { this->state_->complete(); }
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
