// rxsync/schedulers/virtual_time_scheduler.hpp - deterministic time for tests and simulations.
//
// Time moves only when advance_by/advance_to/run is called; actions run in order of (due time,
// order of scheduling). Scheduling and cancelling are thread-safe; time should be advanced from
// one thread at a time (actions run on the thread that advances).
#pragma once

#include <atomic>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/schedulers/detail/timed_queue.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// VirtualTimeScheduler's members, in a class template so that they (and the queue code they
// use) are compiled only in a program that uses the scheduler, not in every one that includes
// this header.
template <class V = void>
class VirtualTimeSchedulerImpl {
 public:
  VirtualTimeSchedulerImpl() = default;
  explicit VirtualTimeSchedulerImpl(TimePoint start) : now_ns_(start.time_since_epoch().count()) {}
  VirtualTimeSchedulerImpl(const VirtualTimeSchedulerImpl&) = delete;
  VirtualTimeSchedulerImpl& operator=(const VirtualTimeSchedulerImpl&) = delete;

  TimePoint now() const noexcept {
    return TimePoint(Duration(now_ns_.load(std::memory_order_acquire)));
  }

  // Runs at the current time, after everything already due now.
  template <class F>
  Subscription schedule(F&& action) {
    return queue_->push(now(), std::forward<F>(action));
  }
  // A time in the past is treated as now: the action runs as soon as time is next advanced
  // (or run() is called), after actions already due.
  template <class F>
  Subscription schedule_at(TimePoint due, F&& action) {
    return queue_->push(std::max(due, now()), std::forward<F>(action));
  }
  // A negative delay is treated as zero.
  template <class F>
  Subscription schedule_after(Duration delay, F&& action) {
    return schedule_at(detail::add_saturated(now(), std::max(delay, Duration::zero())),
                       std::forward<F>(action));
  }

  // Runs `action` at `due` like schedule_at(); while it returns a time point (a
  // std::optional<TimePoint>), runs it again then (a time in the past counts as now), through
  // the same handle. For a timer whose deadline keeps moving: one queued action, re-armed in
  // place, instead of one per move.
  template <class F>
  Subscription schedule_rearming(TimePoint due, F&& action) {
    return queue_->push_rearming(std::max(due, now()), std::forward<F>(action));
  }

  // Runs every action due up to and including now() + delta, then sets now() to that time.
  // Actions scheduled while running are run in the same call when they fall due by then.
  void advance_by(Duration delta) {
    if (delta < Duration::zero()) {
      throw std::invalid_argument("VirtualTimeScheduler::advance_by: delta must be >= 0, got " +
                                  std::to_string(delta.count()) + "ns");
    }
    advance_to(detail::add_saturated(now(), delta));
  }

  void advance_to(TimePoint target) {
    if (target >= now() && !queue_->may_have_due(target)) {
      set_now(target);  // nothing due on the way: no lock to take
      return;
    }
    advance_through(target);
  }

  // Runs actions until none is queued, moving time forward to each one's due time. Returns the
  // number run. A periodic source (interval) never lets the queue empty: pass `max_actions`, or
  // use advance_by, to bound the run.
  std::size_t run(std::size_t max_actions = std::numeric_limits<std::size_t>::max()) {
    std::size_t count = 0;
    while (count < max_actions && run_next(TimePoint::max())) ++count;
    return count;
  }

  // Actions scheduled and neither run nor cancelled.
  std::size_t pending() const { return queue_->live(); }
  std::optional<TimePoint> next_due() const { return queue_->next_due(); }

 private:
  void advance_through(TimePoint target) {
    if (target < now()) {
      throw std::invalid_argument("VirtualTimeScheduler::advance_to: target " +
                                  std::to_string(target.time_since_epoch().count()) +
                                  "ns is before now() " +
                                  std::to_string(now().time_since_epoch().count()) + "ns");
    }
    while (run_next(target)) {
    }
    if (target > now()) set_now(target);  // a nested advance may have gone further
  }

  bool run_next(TimePoint limit) {
    if (!queue_->may_have_due(limit)) return false;
    auto ready = queue_->pop_due(limit);
    if (!ready) return false;
    if (ready->due > now()) set_now(ready->due);
    if (auto again = ready->entry->run()) {
      queue_->requeue(std::move(ready->entry), std::max(*again, now()));
    }
    return true;
  }
  void set_now(TimePoint t) noexcept {
    now_ns_.store(t.time_since_epoch().count(), std::memory_order_release);
  }

  std::atomic<Duration::rep> now_ns_{0};
  using Queue = BasicTimedQueue<V>;
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
};

}  // namespace detail

class VirtualTimeScheduler : public detail::VirtualTimeSchedulerImpl<> {
 public:
  using VirtualTimeSchedulerImpl::VirtualTimeSchedulerImpl;
};

static_assert(Scheduler<VirtualTimeScheduler>);

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
