// rxsync/testing/marbles.hpp - RxJS-style marble testing: TestScheduler.
//
// TestScheduler is a VirtualTimeScheduler (1 frame = 1 ms) that builds hot and cold observables
// from marble diagrams, subscribes to the observable under test at a chosen frame, and on
// flush() runs virtual time and compares what happened with the expected diagrams. Pass it to
// time-based operators like any scheduler. Single-threaded. See docs/testing.md.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/testing/marble_diagram.hpp>
#include <rxsync/testing/marble_expectations.hpp>
#include <rxsync/testing/marble_parser.hpp>
#include <rxsync/testing/test_observables.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace testing {

namespace detail {
template <class O>
struct ObservableValue {
  using type = void;
};
template <class O>
  requires requires { typename O::value_type; }
struct ObservableValue<O> {
  using type = typename O::value_type;
};
}  // namespace detail

// Virtual time plus marble diagrams: build sources with hot() / cold(), register expectations,
// then flush() and check the MarbleResult. Not thread-safe: one test thread creates, runs and
// checks it (operators given this scheduler must run on that thread too).
class TestScheduler : public VirtualTimeScheduler {
 public:
  TestScheduler()
      : clock_(std::make_shared<detail::MarbleClock>(detail::MarbleClock{this, now()})) {}
  TestScheduler(const TestScheduler&) = delete;
  TestScheduler& operator=(const TestScheduler&) = delete;
  ~TestScheduler() { clock_->scheduler = nullptr; }

  // ---- sources ----------------------------------------------------------------------------

  // A hot observable of the diagram's letters; '#' errors with `error` (default_error()).
  HotObservable<char> hot(std::string_view marble, std::exception_ptr error = nullptr) {
    return make_hot<char>(marble, nullptr, std::move(error));
  }
  template <class T>
  HotObservable<T> hot(std::string_view marble, const std::map<char, T>& values,
                       std::exception_ptr error = nullptr) {
    return make_hot<T>(marble, &values, std::move(error));
  }
  // A cold observable: the diagram restarts at frame 0 for each subscriber. No '^'.
  ColdObservable<char> cold(std::string_view marble, std::exception_ptr error = nullptr) {
    return make_cold<char>(marble, nullptr, std::move(error));
  }
  template <class T>
  ColdObservable<T> cold(std::string_view marble, const std::map<char, T>& values,
                         std::exception_ptr error = nullptr) {
    return make_cold<T>(marble, &values, std::move(error));
  }
  // The time of the diagram's '|': time("---|") == 3ms.
  static Duration time(std::string_view marble) { return parse_time(marble); }

  // ---- expectations -------------------------------------------------------------------------

  // Subscribes to `observable` at frame 0, or at the '^' of `subscription_marble`, and
  // unsubscribes at its '!' ("---!" : unsubscribe at frame 3). The value type is the
  // observable's value_type; give T explicitly for observables that have none.
  template <class T = void, class O>
  auto expect_observable(O&& observable, std::string_view subscription_marble = {}) {
    using Obs = std::remove_cvref_t<O>;
    using V = std::conditional_t<std::is_void_v<T>, typename detail::ObservableValue<Obs>::type, T>;
    static_assert(!std::is_void_v<V>,
                  "rxsync::testing: this observable has no value_type; "
                  "call expect_observable<T>(observable) with its value type");
    const auto marble = parse_subscription_marbles(subscription_marble);
    auto check = std::make_shared<detail::ObservableCheck<V>>(checks_.size() + 1,
                                                              std::string(subscription_marble));
    checks_.push_back(check);
    const TimePoint start = clock_->origin + marble.subscribed.value_or(Duration::zero());
    schedule_at(start, [this, check, obs = Obs(std::forward<O>(observable))]() mutable {
      using Kind = MarbleKind;
      try {
        check->subscription = obs.subscribe(
            [this, check](const V& v) {
              check->actual.push_back(Recorded<V>{elapsed(), Kind::next, v, nullptr});
            },
            [this, check](std::exception_ptr e) {
              check->actual.push_back(Recorded<V>{elapsed(), Kind::error, std::nullopt, e});
            },
            [this, check] {
              check->actual.push_back(
                  Recorded<V>{elapsed(), Kind::completed, std::nullopt, nullptr});
            });
      } catch (...) {
        check->subscribe_error = rxsync::testing::detail::describe_error(std::current_exception());
      }
    });
    if (marble.unsubscribed) {
      schedule_at(clock_->origin + *marble.unsubscribed,
                  [check] { check->subscription.unsubscribe(); });
    }
    return ObservableExpectation<V>(std::move(check));
  }

  // Compares a test observable's subscription log (read at flush time) with diagrams.
  SubscriptionExpectation expect_subscriptions(const SubscriptionLogs& logs) {
    return add_subscription_check(logs.shared());
  }
  // Compares a fixed list of logs (a copy taken now).
  SubscriptionExpectation expect_subscriptions(std::vector<SubscriptionLog> logs) {
    return add_subscription_check(std::make_shared<const detail::LogBook>(std::move(logs)));
  }

  // Plays the hot observables, runs every action due within max_time() of the start, then
  // checks every expectation registered since the previous flush.
  MarbleResult flush() {
    schedule_hot();
    const TimePoint limit = clock_->origin + max_time_;
    while (auto due = next_due()) {
      if (*due > limit) break;
      VirtualTimeScheduler::advance_to(*due);
    }
    MarbleResult result;
    auto checks = std::move(checks_);
    checks_.clear();
    for (const auto& check : checks) result.add(check->title(), check->check());
    return result;
  }

  // Moving time by hand also starts the hot observables first.
  void advance_by(Duration delta) {
    schedule_hot();
    VirtualTimeScheduler::advance_by(delta);
  }
  void advance_to(TimePoint target) {
    schedule_hot();
    VirtualTimeScheduler::advance_to(target);
  }
  std::size_t run(std::size_t max_actions = std::numeric_limits<std::size_t>::max()) {
    schedule_hot();
    return VirtualTimeScheduler::run(max_actions);
  }

  // Virtual time since the scheduler was created: the frame clock of every diagram.
  Duration elapsed() const { return now() - clock_->origin; }
  // flush() stops before actions due later than this (an interval never lets the queue empty).
  Duration max_time() const noexcept { return max_time_; }
  void set_max_time(Duration limit) {
    if (limit < Duration::zero()) {
      throw std::invalid_argument("TestScheduler.max_time must be >= 0, got " + format_time(limit));
    }
    max_time_ = limit;
  }

 private:
  template <class T>
  HotObservable<T> make_hot(std::string_view marble, const std::map<char, T>* values,
                            std::exception_ptr error) {
    auto tokens = parse_marbles(marble, MarbleContext::hot);
    HotObservable<T> hot(clock_, resolve_marbles<T>(marble, tokens, values, error));
    hot_to_schedule_.push_back([hot] { hot.schedule_messages(); });
    return hot;
  }
  template <class T>
  ColdObservable<T> make_cold(std::string_view marble, const std::map<char, T>* values,
                              std::exception_ptr error) {
    auto tokens = parse_marbles(marble, MarbleContext::cold);
    return ColdObservable<T>(clock_, resolve_marbles<T>(marble, tokens, values, error));
  }
  void schedule_hot() {
    auto pending = std::move(hot_to_schedule_);
    hot_to_schedule_.clear();
    for (auto& f : pending) f();
  }
  SubscriptionExpectation add_subscription_check(std::shared_ptr<const detail::LogBook> book) {
    auto check = std::make_shared<detail::SubscriptionCheck>(checks_.size() + 1, std::move(book));
    checks_.push_back(check);
    return SubscriptionExpectation(std::move(check));
  }

  std::shared_ptr<detail::MarbleClock> clock_;
  std::vector<std::function<void()>> hot_to_schedule_;
  std::vector<std::shared_ptr<detail::PendingCheck>> checks_;
  Duration max_time_ = std::chrono::minutes(20);
};

static_assert(Scheduler<TestScheduler>);

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
