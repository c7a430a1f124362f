// rxsync/rx/subjects/replay_subject.hpp - a subject that replays recent values to new observers.
//
// Keeps the last `max_count` values, and with a window only those sent at t while
// now < t + window (the RxJS expiry rule), on the injected scheduler's clock. A late subscriber
// gets the kept values, then the terminal event if the subject has ended (RxJS ReplaySubject).
// Copies share one subject. Thread-safety as PublishSubject. The buffer is a deque, so on_next
// may allocate when it grows a block.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/fwd/rx/subjects/replay_subject.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/subject_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Default template arguments: in <rxsync/fwd/rx/subjects/replay_subject.hpp>.
template <class T, class Policy>
class ReplaySubject : public detail::ObservableMixin<ReplaySubject<T, Policy>, T> {
  struct Entry {
    T value;
    TimePoint sent;
  };
  struct State final : detail::SubjectCore<T, Policy> {
    std::size_t max_count = std::numeric_limits<std::size_t>::max();
    Duration window = Duration::max();
    // The scheduler's clock, without <functional>: null without a window.
    TimePoint (*now_fn)(const void*) = nullptr;
    const void* clock = nullptr;
    TimePoint now() const { return now_fn(clock); }
    std::deque<Entry> buffer;

    void trim() {
      while (buffer.size() > max_count) buffer.pop_front();
      if (!now_fn) return;
      const TimePoint t = now();
      // Expired when now >= sent + window, i.e. now - sent >= window (no overflow).
      while (!buffer.empty() && t - buffer.front().sent >= window) buffer.pop_front();
    }
  };
  using Lock = std::lock_guard<typename State::Mutex>;

 public:
  // Replays everything ever sent.
  ReplaySubject() : state_(std::make_shared<State>()) {}

  explicit ReplaySubject(std::size_t max_count) : ReplaySubject() {
    if (max_count == 0) throw std::invalid_argument("ReplaySubject max_count must be >= 1, got 0");
    state_->max_count = max_count;
  }

  // `scheduler` supplies now() and must outlive the subject.
  template <class S>
  ReplaySubject(std::size_t max_count, Duration window, S& scheduler) : ReplaySubject(max_count) {
    static_assert(check_scheduler<S>());
    if (window <= Duration::zero()) {
      throw std::invalid_argument("ReplaySubject window must be > 0, got " +
                                  std::to_string(window.count()) + "ns");
    }
    state_->window = window;
    state_->clock = &scheduler;
    if constexpr (SchedulerHasNow<S>) {
      // The Scheduler concept asks for now() on a non-const scheduler, so call it on one.
      state_->now_fn = [](const void* s) { return static_cast<S*>(const_cast<void*>(s))->now(); };
    }
  }

  void on_next(const T& v) const {
    Lock lock(state_->mutex());
    if (state_->is_stopped()) return;
    state_->buffer.push_back(Entry{v, state_->now_fn ? state_->now() : TimePoint{}});
    state_->trim();
    state_->next(v);
  }
  void on_error(std::exception_ptr e) const {
    Lock lock(state_->mutex());
    state_->fail(std::move(e));
  }
  void on_completed() const {
    Lock lock(state_->mutex());
    state_->complete();
  }
  std::size_t observer_count() const {
    Lock lock(state_->mutex());
    return state_->observer_count();
  }

  template <class O>
  void subscribe_observer(O obs) const {
    Lock lock(state_->mutex());
    state_->trim();
    // A copy: an observer may call on_next re-entrantly, which changes the buffer.
    std::vector<T> replay;
    replay.reserve(state_->buffer.size());
    for (const auto& e : state_->buffer) replay.push_back(e.value);
    if (state_->is_stopped()) {
      for (const T& v : replay) {
        if (obs.is_disposed()) return;
        obs.on_next(v);
      }
      if (!obs.is_disposed()) state_->deliver_terminal(obs);
      return;
    }
    if (obs.is_disposed()) return;
    auto node = state_->add_node(std::move(obs));
    for (const T& v : replay) {
      if (node->is_disposed()) return;  // also once the subject ended re-entrantly
      node->on_next(v);
    }
  }

 private:
  std::shared_ptr<State> state_;
};

template <class T>
using SynchronizedReplaySubject = ReplaySubject<T, Synchronized>;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
