// rxsync/schedulers/run_loop.hpp - a real-time scheduler driven by the thread that runs it.
//
// schedule*() may be called from any thread; actions run on the thread inside run(),
// run_for() or run_until_idle(), in order of (due time, order of scheduling). The clock is
// std::chrono::steady_clock. stop() makes the running call return; shutdown() retires the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/schedulers/detail/timed_queue.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// RunLoop's members, in a class template so that they (and the queue code they use) are compiled
// only in a program that runs a loop, not in every one that includes this header.
template <class V = void>
class RunLoopImpl {
 public:
  RunLoopImpl() = default;
  RunLoopImpl(const RunLoopImpl&) = delete;
  RunLoopImpl& operator=(const RunLoopImpl&) = delete;

  static TimePoint clock_now() noexcept {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
  TimePoint now() const noexcept { return clock_now(); }

  // After shutdown() these return an empty Subscription (is_subscribed() == false) and the
  // action is destroyed without running. Before that, actions queued while the loop is not
  // running (never started, or stopped) wait for the next run*() call.
  template <class F>
  Subscription schedule(F&& action) {
    return queue_->push(now(), std::forward<F>(action));
  }
  // A time in the past runs as soon as possible, after actions already due.
  template <class F>
  Subscription schedule_at(TimePoint due, F&& action) {
    return queue_->push(std::max(due, now()), std::forward<F>(action));
  }
  // A negative delay is treated as zero.
  template <class F>
  Subscription schedule_after(Duration delay, F&& action) {
    return queue_->push(detail::add_saturated(now(), std::max(delay, Duration::zero())),
                        std::forward<F>(action));
  }

  // Runs `action` at `due` like schedule_at(); while it returns a time point (a
  // std::optional<TimePoint>), runs it again then (a time in the past runs as soon as
  // possible), through the same handle: one queued action for a timer whose deadline keeps
  // moving, instead of one per move.
  template <class F>
  Subscription schedule_rearming(TimePoint due, F&& action) {
    return queue_->push_rearming(std::max(due, now()), std::forward<F>(action));
  }

  // Runs actions as they fall due until stop() or shutdown().
  void run() { loop(TimePoint::max(), false); }

  // Runs actions as they fall due for `duration` of real time, or until stop()/shutdown().
  void run_for(Duration duration) {
    loop(detail::add_saturated(now(), std::max(duration, Duration::zero())), false);
  }

  // Runs until no action is queued (sleeping until timed ones are due), or stop()/shutdown().
  void run_until_idle() { loop(TimePoint::max(), true); }

  // Makes the current (or, if none is running, the next) run*() call return after the action it
  // is running. Queued actions stay queued. Thread-safe.
  void stop() {
    queue_->notify([this] { stop_requested_ = true; });
  }

  // Retires the loop: later schedule*() calls are refused; a running run*() call runs the
  // actions already due, drops the rest and returns; later run*() calls return at once.
  // Thread-safe. Returns nothing; pending() tells what is still queued until the drain happens.
  void shutdown() {
    queue_->seal();
    queue_->notify([this] { shutdown_requested_ = true; });
  }
  bool is_shut_down() const { return queue_->closed(); }

  // Actions scheduled and neither run nor cancelled.
  std::size_t pending() const { return queue_->live(); }

 private:
  void loop(TimePoint deadline, bool until_idle) {
    for (;;) {
      bool stopping = false;
      bool shutting_down = false;
      auto ready = queue_->wait_pop(&RunLoopImpl::clock_now, deadline, [&] {
        shutting_down = shutdown_requested_;
        stopping = std::exchange(stop_requested_, false);
        return stopping || shutting_down || (until_idle && queue_->live_unlocked() == 0);
      });
      if (ready) {
        run_action(std::move(*ready));
        continue;
      }
      if (shutting_down) drain();
      return;
    }
  }

  // Runs what was due when shutdown began, then drops everything later.
  void drain() {
    const TimePoint cutoff = now();
    while (auto ready = queue_->pop_due(cutoff)) run_action(std::move(*ready));
    queue_->close();
  }

  using Queue = BasicTimedQueue<V>;

  void run_action(typename Queue::Ready ready) {
    if (auto again = ready.entry->run()) {
      queue_->requeue(std::move(ready.entry), std::max(*again, now()));
    }
  }

  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  // Guarded by the queue's lock (written through notify(), read in wait_pop's predicate).
  bool stop_requested_ = false;
  bool shutdown_requested_ = false;
};

}  // namespace detail

class RunLoop : public detail::RunLoopImpl<> {};

static_assert(Scheduler<RunLoop>);

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
