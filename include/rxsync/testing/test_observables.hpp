// rxsync/testing/test_observables.hpp - the hot and cold observables a TestScheduler builds.
//
// Both are ordinary rxsync observables (they pipe into operators and convert to Observable<T>)
// that play a marble diagram in virtual time and log every subscription. A hot observable plays
// once for everybody from the scheduler's start; a cold one plays afresh for each subscriber
// from the moment it subscribes. resolve_marbles() gives a diagram's letters their values.
// Single-threaded: use them on the thread that runs the scheduler.
#pragma once

#include <cstddef>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/testing/marble_diagram.hpp>
#include <rxsync/testing/marble_parser.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace testing {

// Lets `hot | ops::map(f)` find rxsync's pipe operator by argument-dependent lookup.
using rxsync::operator|;

namespace detail {

// Where test observables read the time. The TestScheduler clears `scheduler` when it is
// destroyed, so a subscription that outlives it cannot touch freed memory.
struct MarbleClock {
  VirtualTimeScheduler* scheduler = nullptr;
  TimePoint origin{};
  Duration elapsed() const { return scheduler != nullptr ? scheduler->now() - origin : Duration{}; }
};

using LogBook = std::vector<SubscriptionLog>;

// One subscriber of a test observable.
template <class T>
struct TestSubscriber {
  explicit TestSubscriber(AnyObserver<T> o) : observer(std::move(o)) {}
  AnyObserver<T> observer;
  std::size_t log_index = 0;
  bool active = true;
  std::vector<Subscription> timers;  // a cold observable's pending events for this subscriber
};

// Ends one subscription: logs the unsubscription frame (once) and cancels pending events.
// Runs from a teardown, so it must not throw.
template <class T>
void end_subscription(const std::shared_ptr<MarbleClock>& clock, LogBook& logs, std::size_t index,
                      TestSubscriber<T>* sub) noexcept {
  // After the TestScheduler is gone there is no time to log (and nobody to read it).
  if (!logs[index].unsubscribed && clock->scheduler != nullptr) {
    logs[index].unsubscribed = clock->elapsed();
  }
  if (sub == nullptr) return;
  sub->active = false;
  for (auto& timer : sub->timers) timer.unsubscribe();
}

template <class T>
void deliver(const Recorded<T>& event, AnyObserver<T>& observer) {
  switch (event.kind) {
    case MarbleKind::next:
      observer.on_next(*event.value);
      break;
    case MarbleKind::error:
      observer.on_error(event.error);
      break;
    case MarbleKind::completed:
      observer.on_completed();
      break;
  }
}

// Shared by hot and cold: the diagram, the subscription log, and the subscribe bookkeeping.
template <class T>
struct TestSourceState {
  TestSourceState(std::shared_ptr<MarbleClock> c, std::vector<Recorded<T>> m)
      : clock(std::move(c)), messages(std::move(m)) {}

  std::shared_ptr<MarbleClock> clock;
  std::vector<Recorded<T>> messages;
  std::shared_ptr<LogBook> logs = std::make_shared<LogBook>();

  // Logs the subscription and ties its end (unsubscribe, or the subscriber's terminal event)
  // to end_subscription. The teardown holds the subscriber weakly: the subscriber holds the
  // observer, whose chain holds the teardown.
  std::shared_ptr<TestSubscriber<T>> attach(AnyObserver<T> observer) {
    auto sub = std::make_shared<TestSubscriber<T>>(std::move(observer));
    sub->log_index = logs->size();
    logs->push_back(SubscriptionLog{clock->elapsed(), std::nullopt});
    sub->observer.add(
        Subscription::create([clock = clock, logs = logs, index = sub->log_index,
                              weak = std::weak_ptr<TestSubscriber<T>>(sub)]() noexcept {
          auto strong = weak.lock();
          end_subscription(clock, *logs, index, strong.get());
        }));
    return sub;
  }
  // Hands one event to one subscriber; a terminal event ends its subscription first, as RxJS
  // logs the unsubscription in the frame of the terminal event.
  void play(const Recorded<T>& event, TestSubscriber<T>& sub) {
    if (!sub.active || sub.observer.is_disposed()) return;
    if (event.kind != MarbleKind::next) end_subscription(clock, *logs, sub.log_index, &sub);
    deliver(event, sub.observer);
  }
};

}  // namespace detail

// Gives parsed tokens their values: the letter's entry in `values`, or the letter itself for
// char observables without a map. '#' becomes `error` (default_error() when null).
template <class T>
std::vector<Recorded<T>> resolve_marbles(std::string_view marble,
                                         const std::vector<MarbleToken>& tokens,
                                         const std::map<char, T>* values,
                                         const std::exception_ptr& error) {
  std::vector<Recorded<T>> out;
  out.reserve(tokens.size());
  for (const auto& token : tokens) {
    Recorded<T> event{token.time, token.kind, std::nullopt, nullptr};
    if (token.kind == MarbleKind::error) event.error = error ? error : default_error();
    if (token.kind == MarbleKind::next) {
      if (values != nullptr && !values->empty()) {
        auto it = values->find(token.symbol);
        if (it == values->end()) {
          detail::marble_error(
              marble, token.position,
              std::string("value '") + token.symbol + "' is not in the values map");
        }
        event.value.emplace(it->second);
      } else if constexpr (std::is_same_v<T, char>) {
        event.value.emplace(token.symbol);
      } else {
        detail::marble_error(marble, token.position,
                             std::string("value '") + token.symbol +
                                 "' needs a values map (only char observables use the letters "
                                 "themselves)");
      }
    }
    out.push_back(std::move(event));
  }
  return out;
}

// A live handle on a test observable's subscription log: read it after flush(). Shares the log
// with the observable, so it is single-threaded like the observable.
class SubscriptionLogs {
 public:
  explicit SubscriptionLogs(std::shared_ptr<const detail::LogBook> logs) : logs_(std::move(logs)) {}
  const std::vector<SubscriptionLog>& get() const noexcept { return *logs_; }
  std::size_t size() const noexcept { return logs_->size(); }
  const SubscriptionLog& operator[](std::size_t i) const { return logs_->at(i); }
  auto begin() const noexcept { return logs_->begin(); }
  auto end() const noexcept { return logs_->end(); }
  // The log itself, shared with the observable (it outlives the observable).
  std::shared_ptr<const detail::LogBook> shared() const noexcept { return logs_; }

 private:
  std::shared_ptr<const detail::LogBook> logs_;
};

// Plays its diagram once, from the scheduler's start ('^' is frame 0), to whoever is subscribed
// at each event; events before '^' happen before any test subscription. A subscriber arriving
// after the terminal event gets just that event. Copies share one stream.
template <class T>
class HotObservable : public rxsync::detail::ObservableMixin<HotObservable<T>, T> {
  struct State : detail::TestSourceState<T> {
    using detail::TestSourceState<T>::TestSourceState;
    std::vector<std::shared_ptr<detail::TestSubscriber<T>>> subscribers;
    std::optional<std::size_t> terminal;  // index in messages, once played
    bool scheduled = false;

    void emit(std::size_t index) {
      const auto& event = this->messages[index];
      if (terminal) return;
      if (event.kind != MarbleKind::next) terminal = index;
      // Iterate over a snapshot: subscribers added during an emission wait for the next one.
      auto snapshot = subscribers;
      if (terminal) subscribers.clear();
      for (auto& sub : snapshot) this->play(event, *sub);
      std::erase_if(subscribers, [](const auto& s) { return !s->active; });
    }
  };

 public:
  HotObservable(std::shared_ptr<detail::MarbleClock> clock, std::vector<Recorded<T>> messages)
      : state_(std::make_shared<State>(std::move(clock), std::move(messages))) {}

  template <class O>
  void subscribe_observer(O obs) const {
    auto sub = state_->attach(AnyObserver<T>(std::move(obs)));
    if (state_->terminal) {
      state_->play(state_->messages[*state_->terminal], *sub);
    } else if (sub->active) {
      state_->subscribers.push_back(std::move(sub));
    }
  }

  SubscriptionLogs subscriptions() const { return SubscriptionLogs(state_->logs); }
  const std::vector<Recorded<T>>& messages() const noexcept { return state_->messages; }

  // Queues the diagram on the scheduler (TestScheduler does this when time first moves, so
  // that test subscriptions made at frame 0 come first). Idempotent. Events before '^' are
  // played at once.
  void schedule_messages() const {
    if (std::exchange(state_->scheduled, true) || state_->clock->scheduler == nullptr) return;
    auto& scheduler = *state_->clock->scheduler;
    for (std::size_t i = 0; i < state_->messages.size(); ++i) {
      const Duration at = state_->messages[i].time;
      if (at < Duration::zero()) {
        state_->emit(i);
      } else {
        scheduler.schedule_at(state_->clock->origin + at, [state = state_, i] { state->emit(i); });
      }
    }
  }

 private:
  std::shared_ptr<State> state_;
};

// Plays its diagram for each subscriber, with frame 0 at the moment it subscribes. Events are
// scheduled (never delivered inside subscribe()), so a frame-0 event follows what is already
// queued for that frame. Unsubscribing cancels the subscriber's pending events.
template <class T>
class ColdObservable : public rxsync::detail::ObservableMixin<ColdObservable<T>, T> {
  using State = detail::TestSourceState<T>;

 public:
  ColdObservable(std::shared_ptr<detail::MarbleClock> clock, std::vector<Recorded<T>> messages)
      : state_(std::make_shared<State>(std::move(clock), std::move(messages))) {}

  template <class O>
  void subscribe_observer(O obs) const {
    auto sub = state_->attach(AnyObserver<T>(std::move(obs)));
    auto* scheduler = state_->clock->scheduler;
    if (!sub->active || scheduler == nullptr) return;
    const TimePoint start = scheduler->now();
    sub->timers.reserve(state_->messages.size());
    for (std::size_t i = 0; i < state_->messages.size(); ++i) {
      sub->timers.push_back(scheduler->schedule_at(
          start + state_->messages[i].time,
          [state = state_, sub, i] { state->play(state->messages[i], *sub); }));
    }
  }

  SubscriptionLogs subscriptions() const { return SubscriptionLogs(state_->logs); }
  const std::vector<Recorded<T>>& messages() const noexcept { return state_->messages; }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
