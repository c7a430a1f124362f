// rxsync/rx/operators/repeat.hpp - resubscribe to the source when it completes: repeat(),
// repeat(count), repeat(RepeatConfig{count, delay}, scheduler).
//
// `count` is the number of subscriptions in all, as in RxJS: repeat(3) runs the source three
// times, repeat(0) completes without subscribing, repeat() never stops resubscribing (bound it
// downstream, e.g. with take). Errors are forwarded at once. Without a delay the next
// subscription starts as soon as the previous one completed (a source that completes while being
// subscribed is followed by a loop, not by recursion); with one it starts `delay` later, from a
// scheduler action (delay 0 included, as RxJS's timer(0)), and the scheduler must outlive the
// subscription. The source is kept only while the subscription lasts: a subject used as the
// source is not kept alive by a subscription that ended.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/detail/shared_sink.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace ops {

// RxJS RepeatConfig with a fixed delay: how many subscriptions in all (unbounded by default),
// and how long to wait after each completion before the next.
struct RepeatConfig {
  std::size_t count = std::numeric_limits<std::size_t>::max();
  Duration delay{};
};

}  // namespace ops

namespace detail {

struct RepeatAtOnce {
  template <class State>
  void next_round(State& st) {
    st.subscribe_round();
  }
};

template <class S>
struct RepeatAfterDelay {
  S* sched;
  Duration delay;
  template <class State>
  void next_round(State& st) {
    auto self = st.shared_from_this();
    st.source->set(sched->schedule_after(delay, [self] { self->subscribe_round(); }));
  }
};

template <class Src, class O, class Policy>
struct RepeatState : SharedState<O>, std::enable_shared_from_this<RepeatState<Src, O, Policy>> {
  RepeatState(std::shared_ptr<const Src> s, O d, std::size_t n, Policy p)
      : SharedState<O>(std::move(d)),
        source(std::make_shared<SerialSlot<const Src>>(std::move(s))),
        remaining(n),
        policy(std::move(p)) {
    this->add(Subscription(source));
  }

  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  void subscribe_round() {
    if (subscribing) {  // the round being subscribed completed at once: the loop goes on
      again = true;
      return;
    }
    do {
      again = false;
      if (this->stopped()) return;
      const std::shared_ptr<const Src> src = source->get();
      if (!src) return;
      if (remaining != kUnbounded) --remaining;
      subscribing = true;
      src->subscribe_observer(ForwardChildSink<RepeatState>(this->shared_from_this()));
      subscribing = false;
    } while (again);
  }
  void on_child_completed() {
    if (remaining == 0) {
      this->complete();
    } else {
      policy.next_round(*this);
    }
  }

  // The source, and the pending delayed round if any; dropped when the subscription ends.
  std::shared_ptr<SerialSlot<const Src>> source;
  std::size_t remaining;  // subscriptions still to make; max() means without end
  Policy policy;
  bool subscribing = false;
  bool again = false;
};

template <class Src, class Policy>
struct RepeatStrategy {
  std::shared_ptr<const Src> src;
  std::size_t count;
  Policy policy;
  template <class O>
  void subscribe(O obs) const {
    if (count == 0) {
      if (!obs.is_disposed()) obs.on_completed();
      return;
    }
    auto state = std::make_shared<RepeatState<Src, O, Policy>>(src, std::move(obs), count, policy);
    state->subscribe_round();
  }
};

template <class Policy>
struct RepeatOperator : OperatorBase {
  std::size_t count;
  Policy policy;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using S = std::remove_cvref_t<Src>;
    return make_static_observable<T>(RepeatStrategy<S, Policy>{
        std::make_shared<const S>(std::forward<Src>(src)), count, policy});
  }
};

}  // namespace detail

namespace ops {

// Resubscribes to the source each time it completes, without end.
inline detail::RepeatOperator<detail::RepeatAtOnce> repeat() {
  return {{}, std::numeric_limits<std::size_t>::max(), {}};
}

// Subscribes to the source `count` times in all, one after the other; 0 completes at once.
inline detail::RepeatOperator<detail::RepeatAtOnce> repeat(std::size_t count) {
  return {{}, count, {}};
}

// As repeat(config.count), waiting config.delay on `scheduler` before each resubscription (a
// negative delay counts as zero, as for timer).
template <class S>
auto repeat(RepeatConfig config, S& scheduler) {
  static_assert(check_scheduler<S>());
  if constexpr (!Scheduler<S>) {
    return detail::InvalidOperator{};
  } else {
    return detail::RepeatOperator<detail::RepeatAfterDelay<S>>{
        {},
        config.count,
        detail::RepeatAfterDelay<S>{&scheduler, std::max(config.delay, Duration::zero())}};
  }
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
