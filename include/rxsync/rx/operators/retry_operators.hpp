// rxsync/rx/operators/retry_operators.hpp - resubscribe to the source after an error: retry(n) and
// retry_with_backoff(policy, scheduler).
//
// Each attempt is a separate subscription to the source. The subscriber keeps the source only
// while its subscription lasts: a source that keeps its subscribers (a subject) would otherwise
// keep the subscriber, and the subscriber the source, alive for good. retry(n) resubscribes at
// once, up to n times (a synchronous failure loops instead of recursing). retry_with_backoff waits
// policy.next_delay() on the scheduler before each new attempt and gives up (forwarding the error)
// when it returns nullopt; the policy is copied per subscription and reset() whenever a value
// arrives, so delays grow only over consecutive failures. The scheduler must outlive the
// subscription; unsubscribing cancels a pending retry.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// What a retry policy decides after a failed attempt.
enum class RetryDecision { give_up, now, scheduled };

// One subscriber's retry loop. After a failed attempt, Policy::on_error(state) decides: give
// up, retry now (the state does it, outside the policy), or it scheduled the next attempt.
// The attempt's sink owns this state, so the source is held in `attempt`, which drops it when
// the downstream is disposed (unsubscribe or terminal event).
template <class Src, class O, class Policy>
struct RetryState : std::enable_shared_from_this<RetryState<Src, O, Policy>> {
  RetryState(std::shared_ptr<const Src> s, O d, Policy p)
      : down(std::move(d)),
        policy(std::move(p)),
        attempt(std::make_shared<SerialSlot<const Src>>(std::move(s))) {
    down.add(Subscription(attempt));
  }

  void subscribe_attempt() {
    do {
      again = false;
      if (down.is_disposed()) return;
      std::shared_ptr<const Src> src = attempt->get();
      if (!src) return;
      auto own = std::make_shared<DisposableList>();
      attempt->set(Subscription(own));
      subscribing = true;
      src->subscribe_observer(AttemptSink{this->shared_from_this(), std::move(own)});
      subscribing = false;
    } while (again);
  }
  // A retry now (from inside an attempt, this loops rather than recurses).
  void retry_now() {
    if (subscribing) {
      again = true;
    } else {
      subscribe_attempt();
    }
  }

  class AttemptSink {
   public:
    AttemptSink(std::shared_ptr<RetryState> s, std::shared_ptr<DisposableList> own)
        : st_(std::move(s)), own_(std::move(own)) {}
    template <class V>
    void on_next(const V& v) {
      if (own_->is_stopped()) return;
      try {
        st_->policy.on_value();
      } catch (...) {  // a user BackoffPolicy's reset(): user code, so it becomes on_error
        if (own_->stop()) {
          own_->unsubscribe();
          st_->down.on_error(std::current_exception());
        }
        return;
      }
      st_->down.on_next(v);
    }
    void on_error(std::exception_ptr e) {
      if (!own_->stop()) return;
      own_->unsubscribe();
      RetryDecision next = RetryDecision::give_up;
      try {
        next = st_->policy.on_error(*st_);
      } catch (...) {  // next_delay() or the scheduler threw: report that, not the source error
        e = std::current_exception();
      }
      if (next == RetryDecision::now) {
        st_->retry_now();
      } else if (next == RetryDecision::give_up) {
        st_->down.on_error(std::move(e));
      }
    }
    void on_completed() {
      if (own_->stop()) st_->down.on_completed();
    }
    bool is_disposed() const noexcept { return own_->is_stopped() || st_->down.is_disposed(); }
    void add(Subscription s) { own_->add(std::move(s)); }

   private:
    std::shared_ptr<RetryState> st_;
    std::shared_ptr<DisposableList> own_;
  };

  O down;
  Policy policy;
  std::shared_ptr<SerialSlot<const Src>> attempt;  // the live attempt or pending retry
  bool subscribing = false;
  bool again = false;
};

struct CountedRetry {
  std::size_t remaining;
  void on_value() noexcept {}
  template <class State>
  RetryDecision on_error(State&) noexcept {
    if (remaining == 0) return RetryDecision::give_up;
    --remaining;
    return RetryDecision::now;
  }
};

template <class P, class S>
struct BackoffRetry {
  P backoff;
  S* sched;
  void on_value() { backoff.reset(); }
  template <class State>
  RetryDecision on_error(State& st) {
    std::optional<Duration> d = backoff.next_delay();
    if (!d) return RetryDecision::give_up;
    auto self = st.shared_from_this();
    st.attempt->set(sched->schedule_after(*d, [self] { self->subscribe_attempt(); }));
    return RetryDecision::scheduled;
  }
};

// The source is shared by the subscriptions (subscribing to it does not modify it), so each one
// can hold it, and let go of it, without a copy.
template <class Src, class Policy>
struct RetryStrategy {
  std::shared_ptr<const Src> src;
  Policy policy;
  template <class O>
  void subscribe(O obs) const {
    auto state = std::make_shared<RetryState<Src, O, Policy>>(src, std::move(obs), policy);
    state->subscribe_attempt();
  }
};

template <class Policy>
struct RetryOperator : OperatorBase {
  Policy policy;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using St = RetryStrategy<std::remove_cvref_t<Src>, Policy>;
    return make_static_observable<T>(
        St{std::make_shared<const std::remove_cvref_t<Src>>(std::forward<Src>(src)), policy});
  }
};

}  // namespace detail

namespace ops {

// On error, resubscribes to the source, at most n times; then forwards the error.
inline detail::RetryOperator<detail::CountedRetry> retry(std::size_t n) {
  return {{}, detail::CountedRetry{n}};
}

// On error, waits policy.next_delay() and resubscribes; forwards the error once the policy
// returns nullopt. P satisfies rxsync::BackoffPolicy.
template <class P, class S>
auto retry_with_backoff(P policy, S& scheduler) {
  static_assert(check_backoff_policy<P>());
  static_assert(check_scheduler<S>());
  if constexpr (!(BackoffPolicy<P> && Scheduler<S>)) {
    return detail::InvalidOperator{};
  } else {
    return detail::RetryOperator<detail::BackoffRetry<P, S>>{
        {}, detail::BackoffRetry<P, S>{std::move(policy), &scheduler}};
  }
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
