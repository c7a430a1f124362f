// rxsync/sync/adaptive_poller.hpp - a poll interval between `base` and `max` that shortens with
// user activity (decaying over time) and with queue depth, and a loop that polls with it.
//
// Public calls are thread-safe (one mutex); poll callbacks and intervals() emissions run on the
// scheduler. The scheduler must outlive the poller.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/detail/callback_gate.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// The formula (docs/client.md has a table of examples). With L the activity level now, d the
// queue depth, and h the activity half-life:
//   L(t)  = sum of record_activity(w) weights, each multiplied by 2^(-(t - t_w) / h)
//   A     = L / (L + activity_half_level)                       activity factor in [0, 1)
//   Q     = 0 if d == 0;  1 if d > busy_depth;  d / (2 * busy_depth) otherwise   (queue factor)
//   a     = 1 - (1 - A) * (1 - Q)                               either one speeds polling up
//   interval = max - (max - base) * a, rounded to `resolution`, clamped to [base, max]
struct AdaptivePollerOptions {
  Duration base = std::chrono::seconds(5);
  Duration max = std::chrono::seconds(60);
  Duration activity_half_life = std::chrono::seconds(30);
  double activity_half_level = 1.0;  // the level at which activity alone gives a = 0.5
  std::size_t busy_depth = 10;       // more pending than this polls at `base`
  Duration resolution = std::chrono::milliseconds(100);
};

namespace detail {
inline std::string poller_ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}
}  // namespace detail

// Throws std::invalid_argument naming the first bad option and its value.
inline void validate_adaptive_poller_options(const AdaptivePollerOptions& o) {
  using detail::poller_ms_text;
  if (o.base <= Duration::zero()) {
    throw std::invalid_argument("AdaptivePollerOptions.base must be > 0, got " +
                                poller_ms_text(o.base));
  }
  if (o.max < o.base) {
    throw std::invalid_argument("AdaptivePollerOptions.max must be >= base (" +
                                poller_ms_text(o.base) + "), got " + poller_ms_text(o.max));
  }
  if (o.activity_half_life <= Duration::zero()) {
    throw std::invalid_argument("AdaptivePollerOptions.activity_half_life must be > 0, got " +
                                poller_ms_text(o.activity_half_life));
  }
  if (!(o.activity_half_level > 0.0) || std::isinf(o.activity_half_level)) {
    throw std::invalid_argument(
        "AdaptivePollerOptions.activity_half_level must be > 0 and finite, got " +
        std::to_string(o.activity_half_level));
  }
  if (o.busy_depth == 0) {
    throw std::invalid_argument("AdaptivePollerOptions.busy_depth must be >= 1, got 0");
  }
  if (o.resolution <= Duration::zero()) {
    throw std::invalid_argument("AdaptivePollerOptions.resolution must be > 0, got " +
                                std::to_string(o.resolution.count()) + "ns");
  }
}

// Decides how often to poll a server and runs the poll loop (formula above). Public calls are
// thread-safe; poll_fn and intervals() emissions run on the scheduler.
template <class Sched>
class AdaptivePoller {
  static_assert(check_scheduler<Sched>());

 public:
  using PollFn = std::function<void()>;
  // An asynchronous poll: calls done() once when finished, from any thread.
  using AsyncPollFn = std::function<void(std::function<void()> done)>;

  explicit AdaptivePoller(Sched& scheduler, AdaptivePollerOptions options = {})
      : core_(std::make_shared<Core>(scheduler, checked(options))) {}
  AdaptivePoller(const AdaptivePoller&) = delete;
  AdaptivePoller& operator=(const AdaptivePoller&) = delete;
  // Waits for a poll or an emission running on another thread to finish.
  ~AdaptivePoller() {
    core_->stop();
    core_->gate.close();
  }

  // Adds `weight` (>= 0, finite) to the activity level. Thread-safe.
  void record_activity(double weight = 1.0) { core_->record_activity(weight); }
  // The number of items waiting to sync. Thread-safe.
  void set_queue_depth(std::size_t depth) { core_->set_queue_depth(depth); }

  Duration interval() const { return core_->interval(); }
  double activity_level() const { return core_->activity_level(); }
  std::size_t queue_depth() const { return core_->queue_depth(); }
  const AdaptivePollerOptions& options() const noexcept { return core_->options; }

  // The current interval on subscribe, then each different value. Decay is continuous, so it is
  // re-evaluated where the poller looks: each activity, queue depth change and poll.
  Observable<Duration> intervals() const { return core_->subject.as_observable(); }

  // Calls poll_fn on the scheduler every interval() (re-read after each poll). Throws
  // std::logic_error if already started, std::invalid_argument if poll_fn is empty.
  void start(PollFn poll_fn) {
    if (!poll_fn) throw std::invalid_argument("AdaptivePoller::start: poll_fn must not be empty");
    core_->start([fn = std::move(poll_fn)](const std::function<void()>& done) {
      fn();
      done();
    });
  }
  // As start(), but the next poll is timed from when `done` is called, so polls never overlap.
  void start_async(AsyncPollFn poll_fn) {
    if (!poll_fn) throw std::invalid_argument("AdaptivePoller::start: poll_fn must not be empty");
    core_->start(std::move(poll_fn));
  }
  // Cancels the pending poll; a poll already running finishes. start() may be called again.
  void stop() { core_->stop(); }
  bool running() const { return core_->running(); }
  // Polls as soon as the scheduler runs (after the running one, for start_async), then continues
  // from there. Throws std::logic_error when not started.
  void poll_now() { core_->poll_now(); }

 private:
  static AdaptivePollerOptions checked(AdaptivePollerOptions o) {
    validate_adaptive_poller_options(o);
    return o;
  }

  struct Core : std::enable_shared_from_this<Core> {
    Core(Sched& s, AdaptivePollerOptions o)
        : sched(s), options(o), subject(o.max), published(o.max), level_time(s.now()) {}

    void record_activity(double weight) {
      if (!(weight >= 0.0) || std::isinf(weight)) {
        throw std::invalid_argument(
            "AdaptivePoller::record_activity: weight must be >= 0 and finite, got " +
            std::to_string(weight));
      }
      std::lock_guard lock(mutex);
      decay_locked(sched.now());
      level += weight;
      changed_locked();
    }

    void set_queue_depth(std::size_t d) {
      std::lock_guard lock(mutex);
      if (d == depth) return;
      depth = d;
      changed_locked();
    }

    Duration interval() const {
      std::lock_guard lock(mutex);
      return interval_locked(sched.now());
    }
    double activity_level() const {
      std::lock_guard lock(mutex);
      return level_at_locked(sched.now());
    }
    std::size_t queue_depth() const {
      std::lock_guard lock(mutex);
      return depth;
    }
    bool running() const {
      std::lock_guard lock(mutex);
      return static_cast<bool>(poll_fn);
    }

    void start(AsyncPollFn fn) {
      std::lock_guard lock(mutex);
      if (poll_fn) throw std::logic_error("AdaptivePoller::start called while already started");
      poll_fn = std::make_shared<AsyncPollFn>(std::move(fn));
      last_poll = sched.now();
      arm_locked(detail::add_saturated(last_poll, interval_locked(last_poll)));
    }

    void stop() {
      std::lock_guard lock(mutex);
      timer.unsubscribe();
      ++timer_gen;
      poll_fn.reset();
      poll_running = repoll = false;  // a poll still running belongs to the old loop
    }

    void poll_now() {
      std::lock_guard lock(mutex);
      if (!poll_fn) throw std::logic_error("AdaptivePoller::poll_now called before start()");
      arm_locked(sched.now());
    }

    // ---- internals (mutex held where named _locked) ----
    double level_at_locked(TimePoint t) const {
      const double dt = std::chrono::duration<double>(t - level_time).count();
      const double h = std::chrono::duration<double>(options.activity_half_life).count();
      return dt <= 0.0 ? level : level * std::exp2(-dt / h);
    }
    void decay_locked(TimePoint t) {
      level = level_at_locked(t);
      if (level < 1e-12) level = 0.0;  // keeps an idle poller exactly at max
      level_time = t;
    }

    Duration interval_locked(TimePoint t) const {
      const double l = level_at_locked(t);
      const double activity = l / (l + options.activity_half_level);
      double queue = 0.0;
      if (depth > options.busy_depth) {
        queue = 1.0;
      } else if (depth > 0) {
        queue = static_cast<double>(depth) / (2.0 * static_cast<double>(options.busy_depth));
      }
      const double a = 1.0 - (1.0 - activity) * (1.0 - queue);
      const double span = static_cast<double>((options.max - options.base).count());
      const double raw = static_cast<double>(options.max.count()) - span * a;
      const double res = static_cast<double>(options.resolution.count());
      const auto rounded = Duration(static_cast<Duration::rep>(std::llround(raw / res)) *
                                    options.resolution.count());
      return std::clamp(rounded, options.base, options.max);
    }

    // After an input changed: an earlier due time moves a pending poll forward; the new value
    // is published from the scheduler so that emissions never overlap.
    void changed_locked() {
      const TimePoint now = sched.now();
      if (poll_fn && timer.is_subscribed() && !poll_running) {
        const TimePoint due = detail::add_saturated(last_poll, interval_locked(now));
        if (due < next_due) arm_locked(std::max(due, now));
      }
      request_publish_locked();
    }

    // The generation check stops a timer that was cancelled while already starting to run on a
    // real-time loop from polling (and from arming a second chain).
    void arm_locked(TimePoint due) {
      timer.unsubscribe();
      next_due = due;
      timer = sched.schedule_at(due, [weak = this->weak_from_this(), gen = ++timer_gen] {
        auto self = weak.lock();
        if (!self) return;
        detail::CallbackGate::Pass pass(self->gate);
        if (pass) self->fire(gen);
      });
    }

    void fire(std::uint64_t gen) {
      std::shared_ptr<AsyncPollFn> fn;
      {
        std::lock_guard lock(mutex);
        if (!poll_fn || gen != timer_gen) return;
        timer = Subscription();
        if (poll_running) {  // poll_now() during an asynchronous poll: poll again after it
          repoll = true;
          return;
        }
        fn = poll_fn;
        poll_running = true;
      }
      auto finished = std::make_shared<std::atomic<bool>>(false);
      std::function<void()> done = [weak = this->weak_from_this(), fn, finished] {
        if (finished->exchange(true)) return;  // done() called twice
        if (auto self = weak.lock()) self->finish_poll(fn);
      };
      try {
        (*fn)(done);
      } catch (...) {
        done();
        throw;  // the scheduler reports it; the loop is already re-armed
      }
    }

    void finish_poll(const std::shared_ptr<AsyncPollFn>& fn) {
      {
        std::lock_guard lock(mutex);
        // stop() (and maybe a new start()) ran during the poll: that loop owns the timer now.
        if (poll_fn != fn) return;
        poll_running = false;
        const TimePoint now = sched.now();
        decay_locked(now);
        last_poll = now;
        if (repoll) {
          repoll = false;
          arm_locked(now);
        } else if (!timer.is_subscribed()) {
          arm_locked(detail::add_saturated(now, interval_locked(now)));
        }
        request_publish_locked();  // done() may come from any thread: emit on the scheduler
      }
    }

    void request_publish_locked() {
      if (publish_queued) return;
      publish_queued = true;
      sched.schedule([weak = this->weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        detail::CallbackGate::Pass pass(self->gate);
        if (pass) self->publish();
      });
    }

    void publish() {
      Duration value;
      {
        std::lock_guard lock(mutex);
        publish_queued = false;
        value = interval_locked(sched.now());
        if (value == published) return;
        published = value;
      }
      subject.on_next(value);
    }

    Sched& sched;
    const AdaptivePollerOptions options;
    BehaviorSubject<Duration, Synchronized> subject;

    mutable std::mutex mutex;
    Duration published;
    double level = 0.0;
    TimePoint level_time;
    std::size_t depth = 0;
    std::shared_ptr<AsyncPollFn> poll_fn;  // set while started; identity tells loops apart
    Subscription timer;
    std::uint64_t timer_gen = 0;
    TimePoint next_due{};
    TimePoint last_poll{};
    bool poll_running = false;
    bool repoll = false;  // poll_now() arrived while a poll was running
    bool publish_queued = false;
    detail::CallbackGate gate;  // the destructor waits for actions running on other threads
  };

  std::shared_ptr<Core> core_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
