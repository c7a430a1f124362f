// rxsync/rx/operators/share.hpp - one subscription to the source for many subscribers:
// share(), share(ShareConfig{...}), share(ShareConfig{...}, connector).
//
// RxJS share: the first subscriber connects a subject (a PublishSubject, or what connector()
// returns) to the source; later ones subscribe to that subject. The state lives in the
// observable `src | share()` returns, so its copies (and Observable<T> made from them) share one
// connection; applying share() again makes another. The reset options say when the subject and
// the connection are dropped, so that the next subscriber starts afresh (a new subject, a new
// subscription to the source): after the source's error (reset_on_error), after its completion
// (reset_on_complete), or once the last subscriber has gone (reset_on_ref_count_zero, which also
// unsubscribes from the source). Without a reset, late subscribers get what the subject gives
// them (for a PublishSubject after the end, only the terminal event).
//
// Threading: the bookkeeping (subscriber count, connection) is locked, so unsubscribing from
// another thread is safe; the source and the subject follow their own rules (a plain subject
// wants its events from one thread). The connector is called under that lock: it must not
// subscribe to this observable. Lifetime: the connection holds the subject only until it is
// cut; the source holds the connection, never the other way round (this state only observes
// both while connected), so a subscriber that never unsubscribes is freed with the source, and
// nothing here keeps a subject source alive once every subscriber has gone and the observable
// is dropped.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace ops {

// When share() drops its subject and connection (RxJS ShareConfig, without the delayed-reset
// form that takes a notifier).
struct ShareConfig {
  bool reset_on_error = true;
  bool reset_on_complete = true;
  bool reset_on_ref_count_zero = true;
};

}  // namespace ops

namespace detail {

template <class T>
struct PublishConnector {
  PublishSubject<T> operator()() const { return PublishSubject<T>(); }
};

template <class Subject, class Connector>
struct ShareState {
  ShareState(ops::ShareConfig c, Connector k) : config(c), connector(std::move(k)) {}

  // What a reset took out, destroyed after the lock is released: dropping the last handle to a
  // subject runs its observers' destructors, which are not ours to run under the lock.
  struct Taken {
    std::shared_ptr<Subject> subject;
    std::shared_ptr<DisposableList> connection;
  };
  Taken reset_locked() {
    Taken out{std::move(kept), connection.lock()};
    kept.reset();
    subject.reset();
    connection.reset();
    connected = false;
    has_completed = has_errored = false;
    return out;
  }

  void release_ref() {
    Taken taken;
    {
      std::lock_guard lock(mutex);
      --ref_count;
      if (ref_count == 0 && !has_errored && !has_completed && config.reset_on_ref_count_zero) {
        taken = reset_locked();
      }
    }
    if (taken.connection) taken.connection->unsubscribe();
  }
  // The source ended the connection `conn`; called before the subject hears of it, so that a
  // subscriber that resubscribes from inside its terminal callback finds the reset done.
  void source_ended(const std::shared_ptr<DisposableList>& conn, bool failed) {
    Taken taken;
    std::lock_guard lock(mutex);
    if (connection.lock() != conn) return;
    (failed ? has_errored : has_completed) = true;
    if (failed ? config.reset_on_error : config.reset_on_complete) {
      taken = reset_locked();
    } else {
      kept = subject.lock();  // the connection lets go of it: late subscribers still need it
    }
  }
  // Under the lock: the current subject, made by the connector if there is none.
  std::shared_ptr<Subject> current_subject() {
    std::shared_ptr<Subject> s = subject.lock();
    if (!s) {
      s = std::make_shared<Subject>(connector());
      subject = s;
      kept = s;
    }
    return s;
  }

  std::mutex mutex;
  const ops::ShareConfig config;
  Connector connector;
  // The subject is owned by the live connection (the source's sink), and by `kept` only while
  // there is none (before connecting, after a terminal event without reset). Were it owned here
  // while connected, a subscriber that never unsubscribes would keep it, it the subscriber, and
  // the subscriber this state (to count itself out) for good, even once the source is
  // destroyed.
  std::weak_ptr<Subject> subject;
  std::shared_ptr<Subject> kept;
  // The subscription to the source. Observed only: the source's sink owns it (and through it
  // the subject), for the same reason as above.
  std::weak_ptr<DisposableList> connection;
  bool connected = false;  // stays true after a terminal event without reset, as in RxJS
  std::size_t ref_count = 0;
  bool has_completed = false;
  bool has_errored = false;
};

// What the source is subscribed with: it forwards to the subject of its connection. `dest` is
// dropped when the connection is cut, and the state is only observed, so a source that keeps
// this sink (a subject flags an unsubscribed node until its next emission) keeps neither.
template <class Subject, class State>
class ShareConnectionSink {
 public:
  ShareConnectionSink(std::shared_ptr<SerialSlot<Subject>> dest,
                      std::shared_ptr<DisposableList> own, std::weak_ptr<State> state)
      : dest_(std::move(dest)), own_(std::move(own)), state_(std::move(state)) {}
  template <class V>
  void on_next(const V& v) {
    if (own_->is_stopped()) return;
    if (const std::shared_ptr<Subject> d = dest_->get()) d->on_next(v);
  }
  void on_error(std::exception_ptr e) {
    end([&](Subject& d) { d.on_error(std::move(e)); }, true);
  }
  void on_completed() {
    end([](Subject& d) { d.on_completed(); }, false);
  }
  bool is_disposed() const noexcept { return own_->is_stopped(); }
  void add(Subscription s) { own_->add(std::move(s)); }

 private:
  template <class F>
  void end(F&& deliver, bool failed) {
    if (!own_->stop()) return;
    const std::shared_ptr<Subject> d = dest_->get();
    if (const std::shared_ptr<State> st = state_.lock()) st->source_ended(own_, failed);
    if (d) std::forward<F>(deliver)(*d);
    own_->unsubscribe();
  }

  std::shared_ptr<SerialSlot<Subject>> dest_;
  std::shared_ptr<DisposableList> own_;
  std::weak_ptr<State> state_;
};

template <class Src, class Subject, class Connector>
struct ShareStrategy {
  using State = ShareState<Subject, Connector>;
  Src src;
  std::shared_ptr<State> state;

  template <class O>
  void subscribe(O obs) const {
    if (obs.is_disposed()) return;
    std::shared_ptr<Subject> dest;
    std::exception_ptr failed;
    {
      std::lock_guard lock(state->mutex);
      try {
        dest = state->current_subject();
        ++state->ref_count;
      } catch (...) {
        failed = std::current_exception();
      }
    }
    if (failed) {
      obs.on_error(std::move(failed));
      return;
    }
    // The subscriber holds the state until it goes: a connection must not outlive its count.
    obs.add(Subscription::create([st = state]() noexcept { st->release_ref(); }));
    dest->subscribe_observer(std::move(obs));

    std::shared_ptr<DisposableList> conn;
    std::shared_ptr<Subject> handed_over;  // released after the lock
    {
      std::lock_guard lock(state->mutex);
      if (!state->connected && state->ref_count > 0) {
        conn = std::make_shared<DisposableList>();
        state->connection = conn;
        state->connected = true;
        if (state->kept == dest) handed_over = std::move(state->kept);
      }
    }
    if (!conn) return;
    auto slot = std::make_shared<SerialSlot<Subject>>(std::move(dest));
    conn->add(Subscription(slot));
    src.subscribe_observer(
        ShareConnectionSink<Subject, State>(std::move(slot), std::move(conn), state));
  }
};

template <class Connector>
struct ShareOperator : OperatorBase {
  ops::ShareConfig config;
  Connector connector;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    if constexpr (!std::is_invocable_v<const Connector&>) {
      static_assert(std::is_invocable_v<const Connector&>,
                    "rxsync::ops::share(config, connector): connector must be callable with no "
                    "arguments (and when const), returning a new subject");
      return invalid_observable();
    } else if constexpr (!(Observer<std::decay_t<std::invoke_result_t<const Connector&>>, T> &&
                           IsObservable<std::decay_t<std::invoke_result_t<const Connector&>>>)) {
      static_assert(Observer<std::decay_t<std::invoke_result_t<const Connector&>>, T> &&
                        IsObservable<std::decay_t<std::invoke_result_t<const Connector&>>>,
                    "rxsync::ops::share(config, connector): connector() must return a subject of "
                    "the source's value_type (e.g. rxsync::ReplaySubject<T>(1)), by value");
      return invalid_observable();
    } else {
      using Subject = std::decay_t<std::invoke_result_t<const Connector&>>;
      using S = ShareStrategy<std::remove_cvref_t<Src>, Subject, Connector>;
      auto state = std::make_shared<typename S::State>(config, connector);
      return make_static_observable<T>(S{std::forward<Src>(src), std::move(state)});
    }
  }
};

// share() without a connector: a PublishSubject of the source's value_type.

template <>
struct ShareOperator<void> : OperatorBase {
  ops::ShareConfig config;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using K = PublishConnector<T>;
    using S = ShareStrategy<std::remove_cvref_t<Src>, PublishSubject<T>, K>;
    auto state = std::make_shared<typename S::State>(config, K{});
    return make_static_observable<T>(S{std::forward<Src>(src), std::move(state)});
  }
};

}  // namespace detail

namespace ops {

// Shares one subscription to the source among all subscribers, through a PublishSubject;
// resets (see ShareConfig) after an error, a completion, and when the last subscriber goes.
inline detail::ShareOperator<void> share(ShareConfig config = {}) { return {{}, config}; }

// As share(config), with a subject made by connector() for each connection: a
// ReplaySubject<T>(n) gives late subscribers the last n values (RxJS shareReplay-like).
template <class Connector>
detail::ShareOperator<Connector> share(ShareConfig config, Connector connector) {
  return {{}, config, std::move(connector)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
