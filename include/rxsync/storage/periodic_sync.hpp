// rxsync/storage/periodic_sync.hpp - group commit by time: sync() a storage on a Scheduler.
//
// FileStorage never reads a clock. With sync_every_writes = 0 (or a large N) the caller bounds
// how long an acknowledged write may stay unsynced by calling sync() on a timer; this is that
// timer, on any Scheduler, so it runs in virtual time in tests.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class Sched, class Target>
class PeriodicSyncState : public std::enable_shared_from_this<PeriodicSyncState<Sched, Target>> {
 public:
  PeriodicSyncState(Sched& scheduler, Target& target, Duration interval,
                    std::function<void(std::exception_ptr)> on_error)
      : scheduler_(scheduler),
        target_(target),
        interval_(interval),
        on_error_(std::move(on_error)) {}

  void start() {
    std::lock_guard lock(mu_);
    arm_locked();
  }

  // Holds the mutex across target.sync(), so once stop() returns the target is not touched
  // again and may be destroyed.
  void stop() noexcept {
    Subscription timer;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      timer = std::move(timer_);
    }
    timer.unsubscribe();
  }

 private:
  void arm_locked() {
    if (!stopped_) {
      timer_ =
          scheduler_.schedule_after(interval_, [self = this->shared_from_this()] { self->tick(); });
    }
  }

  void tick() {
    std::exception_ptr error;
    {
      std::lock_guard lock(mu_);
      if (stopped_) {
        return;
      }
      try {
        target_.sync();
        arm_locked();
      } catch (...) {
        // A failed sync poisons a FileStorage, so retrying cannot help; every later write
        // reports the same error to its caller, so stopping here loses nothing.
        error = std::current_exception();
        stopped_ = true;
        timer_ = Subscription();
      }
    }
    if (error && on_error_) {
      on_error_(error);
    }
  }

  Sched& scheduler_;
  Target& target_;
  const Duration interval_;
  const std::function<void(std::exception_ptr)> on_error_;
  std::mutex mu_;
  Subscription timer_;
  bool stopped_ = false;
};

}  // namespace detail

// Calls target.sync() every `interval` on `scheduler` until the returned Subscription is
// unsubscribed (dropping the handle does not stop it). If sync() throws, on_error (when given)
// receives the exception and the timer stops. Unsubscribe before destroying `target`; after
// unsubscribe() returns no sync() is running or will run.
template <class Sched, class Target>
[[nodiscard]] Subscription sync_periodically(
    Sched& scheduler, Target& target, Duration interval,
    std::function<void(std::exception_ptr)> on_error = {}) {
  static_assert(check_scheduler<Sched>());
  static_assert(
      requires { target.sync(); }, "rxsync: sync_periodically needs a target with sync()");
  if (interval <= Duration::zero()) {
    throw std::invalid_argument("sync_periodically: interval must be > 0, got " +
                                std::to_string(interval.count()) + "ns");
  }
  auto state = std::make_shared<detail::PeriodicSyncState<Sched, Target>>(
      scheduler, target, interval, std::move(on_error));
  state->start();
  return Subscription::create([state] { state->stop(); });
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
