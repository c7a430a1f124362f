// rxsync/resilience/circuit_breaker.hpp - stop calling a failing dependency for a while.
//
// After resilience4j's count-based circuit breaker: closed while the failure rate over the last
// `window_size` calls stays below the threshold (judged once `minimum_calls` were recorded);
// open for `open_duration` on the scheduler's clock, refusing calls; then half-open, letting
// `half_open_calls` trial calls through, whose failure rate decides between closed and open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class CircuitState { closed, open, half_open };

inline const char* to_string(CircuitState s) noexcept {
  switch (s) {
    case CircuitState::closed:
      return "closed";
    case CircuitState::open:
      return "open";
    case CircuitState::half_open:
      return "half_open";
  }
  return "?";
}

struct CircuitBreakerOptions {
  double failure_rate_threshold = 0.5;  // open when failures / calls >= this, in (0, 1]
  std::size_t window_size = 100;        // the last N calls are judged (>= 1)
  std::size_t minimum_calls = 10;       // no judgement before this many calls, in [1, window_size]
  Duration open_duration = std::chrono::seconds(60);  // > 0
  std::size_t half_open_calls = 10;  // trial calls let through when half-open (>= 1)
};

// Thrown by CircuitBreaker::execute when the breaker refuses a call.
class CircuitOpenError : public std::runtime_error {
 public:
  CircuitOpenError() : std::runtime_error("circuit breaker is open: call not permitted") {}
};

// Usage: `if (cb.try_acquire()) { ...call...; cb.on_success() or cb.on_failure(); }`, or
// execute(f) for synchronous calls. State changes are published to states() (an observable of
// the current state, then each new one) and to on_state_change listeners (from, to), outside
// the breaker's lock, on the thread that caused the change, one change at a time; a change
// overtaken by a later one (on another thread, or caused by a listener) is skipped rather than
// published out of order. A listener that throws does not stop the others or states(); the
// exception then reaches the caller that caused the change. Thread-safe.
template <class Sched>
class CircuitBreaker {
  static_assert(check_scheduler<Sched>());

 public:
  using Listener = std::function<void(CircuitState from, CircuitState to)>;

  explicit CircuitBreaker(Sched& scheduler, CircuitBreakerOptions options = {})
      : sched_(scheduler), opt_(options), shared_(std::make_shared<Shared>()) {
    validate();
    window_.assign(opt_.window_size, false);
    shared_->self = this;
  }
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;
  ~CircuitBreaker() {
    std::lock_guard lock(shared_->mutex);
    shared_->self = nullptr;
    open_timer_.unsubscribe();
  }

  // Asks to make a call. Closed: yes. Open: no (counted in not_permitted()). Half-open: yes for
  // the first `half_open_calls` callers, then no until their outcomes are in.
  bool try_acquire() {
    Transitions t;
    bool ok = false;
    {
      std::lock_guard lock(shared_->mutex);
      if (state_ == CircuitState::open && sched_.now() >= open_until_) to_half_open(t);
      if (state_ == CircuitState::closed) {
        ok = true;
      } else if (state_ == CircuitState::half_open && trials_issued_ < opt_.half_open_calls) {
        ++trials_issued_;
        ok = true;
      } else {
        ++not_permitted_;
      }
    }
    notify(t);
    return ok;
  }
  void on_success() { record(false); }
  void on_failure() { record(true); }
  // Gives back a permission whose call was not made (or whose outcome should not count).
  void release() {
    std::lock_guard lock(shared_->mutex);
    if (state_ == CircuitState::half_open && trials_issued_ > trials_done_) --trials_issued_;
  }

  // Runs f() if permitted: a normal return is a success, an exception a failure (rethrown).
  template <class F>
  decltype(auto) execute(F&& f) {
    if (!try_acquire()) throw CircuitOpenError();
    bool returned = false;  // an exception after f returned (a listener's) is not f's failure
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        f();
        returned = true;
        on_success();
      } else {
        decltype(auto) r = f();
        returned = true;
        on_success();
        return r;
      }
    } catch (...) {
      if (!returned) on_failure();
      throw;
    }
  }

  CircuitState state() const {
    std::lock_guard lock(shared_->mutex);
    return state_;
  }
  // Failure rate over the calls in the window (closed) or the trials so far (half-open).
  double failure_rate() const {
    std::lock_guard lock(shared_->mutex);
    if (state_ == CircuitState::half_open) {
      return trials_done_ == 0
                 ? 0.0
                 : static_cast<double>(trial_failures_) / static_cast<double>(trials_done_);
    }
    return count_ == 0 ? 0.0 : static_cast<double>(failures_) / static_cast<double>(count_);
  }
  std::uint64_t not_permitted() const {
    std::lock_guard lock(shared_->mutex);
    return not_permitted_;
  }

  // The current state on subscribe, then every change (a synchronized BehaviorSubject).
  Observable<CircuitState> states() const { return shared_->subject.as_observable(); }

  // Registers a listener; unsubscribe the handle to remove it.
  Subscription on_state_change(Listener listener) {
    std::lock_guard lock(shared_->mutex);
    const std::uint64_t id = shared_->next_id++;
    shared_->listeners.emplace(id, std::make_shared<Listener>(std::move(listener)));
    return Subscription::create([weak = std::weak_ptr<Shared>(shared_), id] {
      if (auto s = weak.lock()) {
        std::lock_guard l(s->mutex);
        s->listeners.erase(id);
      }
    });
  }

  // Back to closed with an empty window (an operator's manual override).
  void reset() {
    Transitions t;
    {
      std::lock_guard lock(shared_->mutex);
      to_closed(t);
    }
    notify(t);
  }

 private:
  struct Transition {
    CircuitState from;
    CircuitState to;
    std::uint64_t seq;
  };
  using Transitions = std::vector<Transition>;
  struct Shared {
    std::mutex mutex;  // the breaker's state
    std::map<std::uint64_t, std::shared_ptr<Listener>> listeners;
    std::uint64_t next_id = 0;
    CircuitBreaker* self = nullptr;
    std::uint64_t next_seq = 0;  // guarded by mutex
    // Serialises publishing (taken before `mutex`, never under it). Recursive: a listener may
    // cause another change on its own thread.
    std::recursive_mutex emit_mutex;
    std::uint64_t last_published = 0;  // guarded by emit_mutex
    BehaviorSubject<CircuitState, Synchronized> subject{CircuitState::closed};
  };

  void validate() const {
    const auto& o = opt_;
    if (!(o.failure_rate_threshold > 0 && o.failure_rate_threshold <= 1)) {
      throw std::invalid_argument(
          "CircuitBreakerOptions.failure_rate_threshold must be in (0, 1], got " +
          detail::double_text(o.failure_rate_threshold));
    }
    if (o.window_size == 0) {
      throw std::invalid_argument("CircuitBreakerOptions.window_size must be >= 1, got 0");
    }
    if (o.minimum_calls == 0 || o.minimum_calls > o.window_size) {
      throw std::invalid_argument(
          "CircuitBreakerOptions.minimum_calls must be in [1, window_size " +
          std::to_string(o.window_size) + "], got " + std::to_string(o.minimum_calls));
    }
    if (o.open_duration <= Duration::zero()) {
      throw std::invalid_argument("CircuitBreakerOptions.open_duration must be > 0, got " +
                                  detail::duration_text(o.open_duration));
    }
    if (o.half_open_calls == 0) {
      throw std::invalid_argument("CircuitBreakerOptions.half_open_calls must be >= 1, got 0");
    }
  }

  void record(bool failed) {
    Transitions t;
    {
      std::lock_guard lock(shared_->mutex);
      if (state_ == CircuitState::closed) {
        if (count_ == opt_.window_size) {
          if (window_[next_]) --failures_;
        } else {
          ++count_;
        }
        window_[next_] = failed;
        if (failed) ++failures_;
        next_ = (next_ + 1) % opt_.window_size;
        if (count_ >= opt_.minimum_calls && rate_reached(failures_, count_)) to_open(t);
      } else if (state_ == CircuitState::half_open && trials_done_ < trials_issued_) {
        ++trials_done_;
        if (failed) ++trial_failures_;
        if (trials_done_ == opt_.half_open_calls) {
          if (rate_reached(trial_failures_, trials_done_)) {
            to_open(t);
          } else {
            to_closed(t);
          }
        }
      }
      // Outcomes arriving while open (calls permitted before it opened) are ignored.
    }
    notify(t);
  }
  bool rate_reached(std::size_t failures, std::size_t calls) const {
    return static_cast<double>(failures) >=
           opt_.failure_rate_threshold * static_cast<double>(calls);
  }

  void to_open(Transitions& t) {
    t.push_back(Transition{state_, CircuitState::open, ++shared_->next_seq});
    state_ = CircuitState::open;
    open_until_ = detail::add_saturated(sched_.now(), opt_.open_duration);
    open_timer_.unsubscribe();
    // Move to half-open on time even if nobody asks, so listeners see it; try_acquire() also
    // checks the clock in case the scheduler runs late.
    std::weak_ptr<Shared> weak = shared_;
    open_timer_ = sched_.schedule_at(open_until_, [weak] {
      auto s = weak.lock();
      if (!s) return;
      Transitions tt;
      CircuitBreaker* self = nullptr;
      {
        std::lock_guard lock(s->mutex);
        self = s->self;
        if (self == nullptr) return;
        if (self->state_ == CircuitState::open && self->sched_.now() >= self->open_until_) {
          self->to_half_open(tt);
        }
      }
      notify_shared(*s, tt);
    });
  }
  void to_half_open(Transitions& t) {
    t.push_back(Transition{state_, CircuitState::half_open, ++shared_->next_seq});
    state_ = CircuitState::half_open;
    trials_issued_ = trials_done_ = trial_failures_ = 0;
  }
  void to_closed(Transitions& t) {
    if (state_ != CircuitState::closed) {
      t.push_back(Transition{state_, CircuitState::closed, ++shared_->next_seq});
    }
    state_ = CircuitState::closed;
    open_timer_.unsubscribe();
    count_ = failures_ = next_ = 0;
    window_.assign(opt_.window_size, false);
  }

  void notify(const Transitions& t) { notify_shared(*shared_, t); }
  static void notify_shared(Shared& s, const Transitions& t) {
    if (t.empty()) return;
    std::lock_guard emit(s.emit_mutex);
    for (const Transition& tr : t) {
      if (tr.seq <= s.last_published) continue;  // overtaken by a later change
      s.last_published = tr.seq;
      std::vector<std::shared_ptr<Listener>> snapshot;
      {
        std::lock_guard lock(s.mutex);
        for (auto& [id, l] : s.listeners) snapshot.push_back(l);
      }
      // A listener may cause a later change (reset() from inside it, say), which is delivered
      // in full by the nested call; this one is then stale and delivered no further, so the
      // last state published is always the current one. A throwing listener does not stop
      // the others or the subject; the first exception is rethrown at the end.
      std::exception_ptr first_error;
      for (auto& l : snapshot) {
        if (s.last_published != tr.seq) break;
        try {
          (*l)(tr.from, tr.to);
        } catch (...) {
          if (!first_error) first_error = std::current_exception();
        }
      }
      if (s.last_published == tr.seq) s.subject.on_next(tr.to);
      if (first_error) std::rethrow_exception(first_error);
    }
  }

  Sched& sched_;
  CircuitBreakerOptions opt_;
  std::shared_ptr<Shared> shared_;
  CircuitState state_ = CircuitState::closed;
  std::vector<bool> window_;  // ring of outcomes, true = failure
  std::size_t count_ = 0;
  std::size_t failures_ = 0;
  std::size_t next_ = 0;
  TimePoint open_until_{};
  std::size_t trials_issued_ = 0;
  std::size_t trials_done_ = 0;
  std::size_t trial_failures_ = 0;
  std::uint64_t not_permitted_ = 0;
  Subscription open_timer_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
