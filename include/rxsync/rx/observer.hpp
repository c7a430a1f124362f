// rxsync/rx/observer.hpp - the observer protocol and the observers rxsync builds chains from.
//
// An observer receives on_next(const T&)*, then at most one of on_error / on_completed. Inside a
// chain every observer is also a *sink*: is_disposed() tells a source to stop, add(Subscription)
// hands it a resource to cancel when the subscriber goes away. Operators wrap their downstream
// sink by value, so a static chain is one object whose on_next calls inline into each other.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <rxsync/core/detail/force_inline.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/detail/disposables.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// What user code may pass to subscribe(): anything with the three callbacks.
template <class O, class T>
concept Observer = requires(O& o, const T& v, std::exception_ptr e) {
  o.on_next(v);
  o.on_error(e);
  o.on_completed();
};

namespace detail {

// What operators and sources talk to: an Observer that also reports disposal and collects the
// resources (upstream subscriptions, timers) to cancel when it is disposed.
template <class O, class T>
concept Sink = Observer<O, T> && requires(O& o, const O& co, Subscription s) {
  { co.is_disposed() } -> std::convertible_to<bool>;
  o.add(std::move(s));
};

}  // namespace detail

// ---- unhandled errors --------------------------------------------------------------------------

using UnhandledErrorHandler = void (*)(std::exception_ptr) noexcept;

namespace detail {
inline void default_unhandled_error(std::exception_ptr e) noexcept {
  const char* what = "unknown exception";
  try {
    if (e) std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
  }
  std::fprintf(stderr, "rxsync: on_error reached a subscriber without an error handler: %s\n",
               what);
  std::terminate();
}
inline std::atomic<UnhandledErrorHandler>& unhandled_error_handler_slot() noexcept {
  static std::atomic<UnhandledErrorHandler> slot{&default_unhandled_error};
  return slot;
}
}  // namespace detail

// An error that reaches a subscriber which gave no on_error callback is never dropped: it goes
// to this process-wide hook. The default prints the error and calls std::terminate() (RxJS
// rethrows it asynchronously, which is as fatal). Returns the previous handler.
inline UnhandledErrorHandler set_unhandled_error_handler(UnhandledErrorHandler h) noexcept {
  return detail::unhandled_error_handler_slot().exchange(h ? h : &detail::default_unhandled_error);
}
inline void report_unhandled_error(std::exception_ptr e) noexcept {
  detail::unhandled_error_handler_slot().load()(std::move(e));
}

namespace detail {

struct ReportUnhandled {
  void operator()(std::exception_ptr e) const noexcept { report_unhandled_error(std::move(e)); }
};
struct NoopCompleted {
  void operator()() const noexcept {}
};

// Whether a sink belongs to a chain rooted in LocalDisposables (see there). Sinks say so with
// `static constexpr bool local_chain`; any sink that does not is treated as not local.
template <class S>
inline constexpr bool sink_is_local = false;
template <class S>
  requires requires { S::local_chain; }
inline constexpr bool sink_is_local<S> = S::local_chain;

// The end of a chain: user callbacks plus the subscriber's DisposableList (whose Subscription
// is what subscribe() returns), or a LocalDisposables on subscribe()'s stack. Enforces the
// contract: nothing after a terminal event or after unsubscribe; a terminal event releases every
// upstream resource after its callback ran.
template <class T, class OnNext, class OnError, class OnCompleted, class State = DisposableList>
class RootObserver {
 public:
  using StateHandle = std::conditional_t<std::is_same_v<State, DisposableList>,
                                         std::shared_ptr<DisposableList>, State*>;
  static constexpr bool local_chain = std::is_same_v<State, LocalDisposables>;

  RXSYNC_FORCE_INLINE RootObserver(StateHandle state, OnNext n, OnError e, OnCompleted c)
      : state_(std::move(state)), fns_(make_fns(std::move(n), std::move(e), std::move(c))) {}

  // An exception escaping a user callback is reported to the unhandled-error hook, as RxJS
  // reports it, rather than unwinding into the producer (a subject, a scheduler's loop).
  RXSYNC_FORCE_INLINE void on_next(const T& v) {
    if (state_->is_stopped()) return;
    on_next_unguarded(v);
  }
  // For an emitter that checked already: a subject checks its node's flag, which unsubscribe
  // and every terminal event of this observer raise too.
  RXSYNC_FORCE_INLINE void on_next_unguarded(const T& v) {
    if constexpr (kReleases) ++depth_;
    try {
      fns().on_next(v);
    } catch (...) {
      report_unhandled_error(std::current_exception());
    }
    // A terminal event delivered from inside on_next left the callbacks to us.
    if constexpr (kReleases) {
      if (--depth_ == 0 && release_pending_) fns_.reset();
    }
  }
  void on_error(std::exception_ptr e) {
    if (!state_->stop()) return;
    Finish finish{this};
    try {
      fns().on_error(std::move(e));
    } catch (...) {
      report_unhandled_error(std::current_exception());
    }
  }
  RXSYNC_FORCE_INLINE void on_completed() {
    if (!state_->stop()) return;
    Finish finish{this};
    try {
      fns().on_completed();
    } catch (...) {
      report_unhandled_error(std::current_exception());
    }
  }
  RXSYNC_FORCE_INLINE bool is_disposed() const noexcept { return state_->is_stopped(); }
  // What is_disposed() reads, for an AnyObserver that wraps this observer.
  const std::atomic<bool>* stop_flag() const noexcept
    requires(std::is_same_v<State, DisposableList>)
  {
    return &state_->stopped_flag();
  }
  void add(Subscription s) { state_->add(std::move(s)); }

 private:
  struct Fns {
    Fns(OnNext n, OnError e, OnCompleted c)
        : on_next(std::move(n)), on_error(std::move(e)), on_completed(std::move(c)) {}
    [[no_unique_address]] OnNext on_next;
    [[no_unique_address]] OnError on_error;
    [[no_unique_address]] OnCompleted on_completed;
  };
  // After a terminal event the callbacks are destroyed (on the delivering thread: nothing can
  // call them any more), so what they captured cannot keep a cycle alive through an upstream
  // that holds this observer (e.g. a subject node that is only flagged until its next prune).
  // Callbacks that own nothing (capture by reference, or nothing) have nothing to release:
  // they skip the bookkeeping, which a subject's fan-out would pay on every observer.
  static constexpr bool kReleases =
      !(std::is_trivially_destructible_v<OnNext> && std::is_trivially_destructible_v<OnError> &&
        std::is_trivially_destructible_v<OnCompleted>);
  struct Finish {
    RootObserver* self;
    ~Finish() {
      self->state_->unsubscribe();
      if constexpr (kReleases) {
        if (self->depth_ == 0) {
          self->fns_.reset();
        } else {
          self->release_pending_ = true;  // on_next is still running them
        }
      }
    }
  };
  // Callbacks with nothing to release are held plainly: an optional's union would keep the
  // compiler from putting a static chain's observer in registers.
  using FnsSlot = std::conditional_t<kReleases, std::optional<Fns>, Fns>;
  static FnsSlot make_fns(OnNext n, OnError e, OnCompleted c) {
    if constexpr (kReleases) {
      return FnsSlot(std::in_place, std::move(n), std::move(e), std::move(c));
    } else {
      return Fns(std::move(n), std::move(e), std::move(c));
    }
  }
  Fns& fns() noexcept {
    if constexpr (kReleases) {
      return *fns_;
    } else {
      return fns_;
    }
  }

  StateHandle state_;
  FnsSlot fns_;
  int depth_ = 0;  // on_next calls in progress (re-entrant ones included)
  bool release_pending_ = false;
};

// Base for operator sinks that forward everything except on_next to the downstream sink.
template <class Down>
class ForwardingSink {
 public:
  static constexpr bool local_chain = sink_is_local<Down>;
  RXSYNC_FORCE_INLINE explicit ForwardingSink(Down down) : down_(std::move(down)) {}
  RXSYNC_FORCE_INLINE void on_error(std::exception_ptr e) { down_.on_error(std::move(e)); }
  RXSYNC_FORCE_INLINE void on_completed() { down_.on_completed(); }
  RXSYNC_FORCE_INLINE bool is_disposed() const noexcept { return down_.is_disposed(); }
  void add(Subscription s) { down_.add(std::move(s)); }

 protected:
  Down down_;
};

// A sink with its own DisposableList nested inside the downstream's: what an operator gives its
// upstream when it must be able to cut that upstream off alone (take, switch_map's inner
// source, one attempt of retry). Disposed when the downstream is, or by cut().
template <class Down, bool Local = sink_is_local<Down>>
class CuttableSink {
 public:
  static constexpr bool local_chain = false;
  explicit CuttableSink(Down down)
      : down_(std::move(down)), own_(std::make_shared<DisposableList>()) {
    down_.add(Subscription(own_));
  }
  bool is_disposed() const noexcept { return own_->is_stopped() || down_.is_disposed(); }
  void add(Subscription s) { own_->add(std::move(s)); }
  const std::shared_ptr<DisposableList>& upstream_list() const noexcept { return own_; }
  // Stops and unsubscribes the upstream. Returns false if it was already cut.
  bool cut() noexcept {
    bool first = own_->stop();
    own_->unsubscribe();
    return first;
  }
  // Ends the chain with `deliver` (the downstream's terminal event) between stopping the
  // upstream and releasing it, so upstream teardown such as finalize runs after the terminal
  // callback, as in RxJS. Returns false, delivering nothing, if it was already cut.
  template <class F>
  bool cut_with(F&& deliver) {
    if (!own_->stop()) return false;
    struct Release {
      DisposableList* list;
      ~Release() { list->unsubscribe(); }
    } release{own_.get()};
    std::forward<F>(deliver)();
    return true;
  }

 protected:
  bool is_cut() const noexcept { return own_->is_stopped(); }

  Down down_;
  std::shared_ptr<DisposableList> own_;
};

// In a chain that is over when subscribe() returns (LocalDisposables at its root) the upstream
// is a synchronous source that checks is_disposed() on this very object and registers nothing,
// so a flag does what the nested DisposableList does above, without allocating.
template <class Down>
class CuttableSink<Down, true> {
 public:
  static constexpr bool local_chain = true;
  RXSYNC_FORCE_INLINE explicit CuttableSink(Down down) : down_(std::move(down)) {}
  RXSYNC_FORCE_INLINE bool is_disposed() const noexcept { return cut_ || down_.is_disposed(); }
  void add(Subscription s) {
    if (cut_) {
      s.unsubscribe();
    } else {
      down_.add(std::move(s));
    }
  }
  bool cut() noexcept { return !std::exchange(cut_, true); }
  template <class F>
  RXSYNC_FORCE_INLINE bool cut_with(F&& deliver) {
    if (std::exchange(cut_, true)) return false;
    std::forward<F>(deliver)();
    return true;
  }

 protected:
  bool is_cut() const noexcept { return cut_; }

  Down down_;
  bool cut_ = false;
};

}  // namespace detail

// An Observer made of callables, for code that wants an observer object rather than passing the
// callbacks to subscribe() directly: `src.subscribe(make_observer<int>(on_next, on_error))`.
// Not thread-safe by itself (the Rx contract serializes calls).
template <class T, class OnNext, class OnError = detail::ReportUnhandled,
          class OnCompleted = detail::NoopCompleted>
class LambdaObserver {
 public:
  LambdaObserver(OnNext n, OnError e, OnCompleted c)
      : on_next_(std::move(n)), on_error_(std::move(e)), on_completed_(std::move(c)) {}
  void on_next(const T& v) { on_next_(v); }
  void on_error(std::exception_ptr e) { on_error_(std::move(e)); }
  void on_completed() { on_completed_(); }

 private:
  [[no_unique_address]] OnNext on_next_;
  [[no_unique_address]] OnError on_error_;
  [[no_unique_address]] OnCompleted on_completed_;
};

namespace detail {
struct IgnoreValue {
  template <class V>
  void operator()(const V&) const noexcept {}
};
}  // namespace detail

// Returns LambdaObserver<T, OnNext, OnError, OnCompleted>. Checked here rather than constrained,
// so a wrong callback is named instead of "no matching function"; after that error it returns an
// observer that adds no further ones.
template <class T, class OnNext, class OnError = detail::ReportUnhandled,
          class OnCompleted = detail::NoopCompleted>
auto make_observer(OnNext n, OnError e = {}, OnCompleted c = {}) {
  using Ignored = LambdaObserver<T, detail::IgnoreValue>;
  if constexpr (!std::is_invocable_v<OnNext&, const T&>) {
    static_assert(std::is_invocable_v<OnNext&, const T&>,
                  "rxsync::make_observer<T>(on_next, ...): on_next cannot be called with the "
                  "element type: it must accept `const T&`");
    return Ignored({}, {}, {});
  } else if constexpr (!std::is_invocable_v<OnError&, std::exception_ptr>) {
    static_assert(std::is_invocable_v<OnError&, std::exception_ptr>,
                  "rxsync::make_observer<T>(on_next, on_error, ...): on_error must accept "
                  "`std::exception_ptr`");
    return Ignored({}, {}, {});
  } else if constexpr (!std::is_invocable_v<OnCompleted&>) {
    static_assert(std::is_invocable_v<OnCompleted&>,
                  "rxsync::make_observer<T>(on_next, on_error, on_completed): on_completed must "
                  "be callable with no arguments");
    return Ignored({}, {}, {});
  } else {
    return LambdaObserver<T, OnNext, OnError, OnCompleted>(std::move(n), std::move(e),
                                                           std::move(c));
  }
}

// A type-erased, copyable sink: the one observer type that crosses the Observable<T> boundary
// and that create() hands to user code. Copies share one observer. Calls must be serialized
// (the Rx contract); is_disposed() and add() are thread-safe.
template <class T>
class AnyObserver {
  struct Base {
    Base() = default;
    Base(const Base&) = delete;
    Base& operator=(const Base&) = delete;
    virtual ~Base() = default;
    virtual void on_next(const T& v) = 0;
    virtual void on_error(std::exception_ptr e) = 0;
    virtual void on_completed() = 0;
    virtual bool is_disposed() const noexcept = 0;
    virtual void add(Subscription s) = 0;
  };
  template <class O>
  struct Impl final : Base {
    explicit Impl(O o) : obs(std::move(o)) {}
    void on_next(const T& v) override { obs.on_next(v); }
    void on_error(std::exception_ptr e) override { obs.on_error(std::move(e)); }
    void on_completed() override { obs.on_completed(); }
    bool is_disposed() const noexcept override { return obs.is_disposed(); }
    void add(Subscription s) override { obs.add(std::move(s)); }
    O obs;
  };

 public:
  using value_type = T;

  template <class O>
    requires(!std::is_same_v<std::remove_cvref_t<O>, AnyObserver> &&
             detail::Sink<std::decay_t<O>, T>)
  explicit AnyObserver(O&& obs) {
    auto impl = std::make_shared<Impl<std::decay_t<O>>>(std::forward<O>(obs));
    // A source asks is_disposed() before every value: where the observer's answer is one flag
    // (a subscriber's root observer), read the flag here instead of making a virtual call.
    if constexpr (requires { impl->obs.stop_flag(); }) stop_flag_ = impl->obs.stop_flag();
    impl_ = std::move(impl);
  }

  void on_next(const T& v) const { impl_->on_next(v); }
  void on_error(std::exception_ptr e) const { impl_->on_error(std::move(e)); }
  void on_completed() const { impl_->on_completed(); }
  bool is_disposed() const noexcept {
    return stop_flag_ != nullptr ? stop_flag_->load(std::memory_order_acquire)
                                 : impl_->is_disposed();
  }
  // Registers a teardown to run when the subscriber unsubscribes or terminates (RxJS add()).
  void add(Subscription s) const { impl_->add(std::move(s)); }

 private:
  std::shared_ptr<Base> impl_;
  const std::atomic<bool>* stop_flag_ = nullptr;  // in *impl_, when the observer has one
};

// The user-facing observer handed to create(): an AnyObserver that also drops events sent
// after a terminal event, so a misbehaving producer cannot break the contract downstream.
template <class T>
class Subscriber {
 public:
  using value_type = T;
  explicit Subscriber(AnyObserver<T> down) : down_(std::move(down)) {}

  void on_next(const T& v) const {
    if (!down_.is_disposed()) down_.on_next(v);
  }
  void on_error(std::exception_ptr e) const {
    if (!down_.is_disposed()) down_.on_error(std::move(e));
  }
  void on_completed() const {
    if (!down_.is_disposed()) down_.on_completed();
  }
  bool is_disposed() const noexcept { return down_.is_disposed(); }
  void add(Subscription s) const { down_.add(std::move(s)); }

 private:
  AnyObserver<T> down_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
