// rxsync/rx/detail/timed_operator.hpp - the scaffolding the timed operators share (internal):
// the state base (serialized downstream, scheduler, one timer), the upstream sink that forwards
// to a shared state, and the strategy that builds the state per subscription.
//
// A timed operator's state is shared by its upstream sink and its scheduled actions, so it
// lives in a shared_ptr; its mutex (the SerialEmitter's) is never held while the downstream
// runs, so the scheduler may run on another thread and the downstream may feed the chain.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/detail/operator_timer.hpp>
#include <rxsync/rx/detail/serial_emitter.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// What every timed operator's state shares: the serialized downstream (whose mutex guards the
// whole state), the scheduler and the one timer. Derived names its teardown cancel() and its
// timer action on_timer(token), which returns when to run again (after timer.rearm(token)) or
// std::nullopt.
template <class Derived, class Out, class O, class S>
struct TimedStateBase : std::enable_shared_from_this<Derived> {
  using Token = OperatorTimer::Token;
  TimedStateBase(O d, S* s, Duration dur) : em(std::move(d)), sched(s), duration(dur) {}

  // Before subscribing upstream: unsubscribing must cancel what is armed. Held weakly, so the
  // subscriber does not keep a finished state alive.
  void start() {
    std::weak_ptr<Derived> weak = this->shared_from_this();
    em.add(Subscription::create([weak] {
      if (auto self = weak.lock()) self->cancel();
    }));
  }
  void cancel() {
    auto l = em.lock();
    l.close();
    l.cancel_after(timer.disarm());
  }
  // Schedules the action for `token` (from timer.arm() under the lock); call it unlocked. A
  // re-arming scheduler puts the same action back when it asks to run again; any other gets a
  // new action for the same token.
  void arm(Token token, TimePoint due) {
    auto self = this->shared_from_this();
    Subscription handle;
    if constexpr (SchedulerCanRearm<S>) {
      handle = sched->schedule_rearming(due, [self, token] { return self->on_timer(token); });
    } else {
      handle = sched->schedule_at(due, [self, token] {
        if (auto again = self->on_timer(token)) self->arm(token, *again);
      });
    }
    auto l = em.lock();
    l.cancel_after(timer.attach(token, std::move(handle)));
  }

  // on_timer() of an operator whose values move its deadline (Derived::due(), readable without
  // the lock): waits for what remains while the deadline lies ahead, and calls expired(lock)
  // once it has passed and `token` is still the live timer. Seeing a moved deadline before
  // taking the lock keeps the common case (values still coming) lock-free. If this action was
  // cancelled or replaced meanwhile, its handle was (or is about to be) cancelled, which stops
  // the re-arm.
  template <class F>
  std::optional<TimePoint> on_deadline(Token token, F&& expired) {
    auto& self = static_cast<Derived&>(*this);
    if (const TimePoint d = self.due(); sched->now() < d) return d;
    auto l = em.lock();
    if (!timer.fire(token)) return std::nullopt;
    if (const TimePoint d = self.due(); sched->now() < d) {  // a value came just now
      timer.rearm(token);
      return d;
    }
    expired(l);
    return std::nullopt;
  }

  SerialEmitter<Out, O> em;
  S* sched;
  Duration duration;
  OperatorTimer timer;  // guarded by em's lock
};

// The upstream sink of a timed operator: forwards to a shared state.
template <class State, class T>
class StateSink {
 public:
  explicit StateSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void on_next(const T& v) { st_->on_next(v); }
  void on_error(std::exception_ptr e) { st_->on_error(std::move(e)); }
  void on_completed() { st_->on_completed(); }
  bool is_disposed() const noexcept {
    if constexpr (requires { st_->upstream_disposed(); }) {
      return st_->upstream_disposed();
    } else {
      return st_->em.is_disposed();
    }
  }
  void add(Subscription s) {
    if constexpr (requires { st_->add_upstream(std::move(s)); }) {
      st_->add_upstream(std::move(s));
    } else {
      st_->em.add(std::move(s));
    }
  }

 private:
  std::shared_ptr<State> st_;
};

// Builds State(down, args...) at subscribe time and subscribes src with a StateSink. start()
// runs before subscribing (the teardown; buffer_time's first period), started() after.
template <template <class, class, class> class StateT, class Src, class S, class... Args>
struct TimedStrategy {
  Src src;
  S* sched;
  Duration duration;
  std::tuple<Args...> args;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using State = StateT<O, T, S>;
    auto state = std::apply(
        [&](const Args&... a) {
          return std::make_shared<State>(std::move(obs), sched, duration, a...);
        },
        args);
    if (state->em.is_disposed()) return;
    state->start();
    if constexpr (requires { state->started(); }) {
      // e.g. timeout's first timer, armed after subscribing (as RxJS does), so a source event
      // queued for the deadline's frame at subscription comes first.
      src.subscribe_observer(StateSink<State, T>(state));
      state->started();
    } else {
      src.subscribe_observer(StateSink<State, T>(std::move(state)));
    }
  }
};

template <template <class, class, class> class StateT, class S, class... Args>
struct TimedOperator : OperatorBase {
  S* sched;
  Duration duration;
  std::tuple<Args...> args;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using St = TimedStrategy<StateT, std::remove_cvref_t<Src>, S, Args...>;
    return make_static_observable<T>(St{std::forward<Src>(src), sched, duration, args});
  }
};

// The operator, or (once check_scheduler's static_assert has said what S lacks) one that adds
// no further errors.
template <template <class, class, class> class StateT, class S, class... Args>
auto timed_operator(S& scheduler, Duration d, Args... args) {
  if constexpr (!Scheduler<S>) {
    return InvalidOperator{};
  } else {
    return TimedOperator<StateT, S, Args...>{{}, &scheduler, d, std::tuple<Args...>(args...)};
  }
}

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
