// rxsync/testing/marble_expectations.hpp - what expect_observable / expect_subscriptions return,
// and the MarbleResult that TestScheduler::flush() hands back.
//
// An expectation records what actually happened while the scheduler runs and holds the
// expected diagram given to to_be(); flush() compares the two. Single-threaded, like the
// TestScheduler that owns them.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/subscription.hpp>
#include <rxsync/testing/marble_diagram.hpp>
#include <rxsync/testing/marble_parser.hpp>
#include <rxsync/testing/test_observables.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace testing {

// The outcome of TestScheduler::flush(): every expectation registered since the previous flush.
// A plain value: copy it and read it anywhere.
class MarbleResult {
 public:
  bool ok() const noexcept { return failures_.empty(); }
  explicit operator bool() const noexcept { return ok(); }
  std::size_t checked() const noexcept { return checked_; }
  // One entry per failed expectation: its title, both diagrams, both event lists.
  const std::vector<std::string>& failures() const noexcept { return failures_; }
  std::string message() const {
    if (ok()) return "all " + std::to_string(checked_) + " marble expectation(s) passed";
    std::string out = std::to_string(failures_.size()) + " of " + std::to_string(checked_) +
                      " marble expectation(s) failed";
    for (const auto& f : failures_) out += "\n" + f;
    return out;
  }

  // So that test frameworks print the message: REQUIRE(ts.flush()) shows it on failure.
  friend std::ostream& operator<<(std::ostream& os, const MarbleResult& r) {
    return os << r.message();
  }

  void add(const std::string& title, const std::optional<std::string>& failure) {
    ++checked_;
    if (failure) failures_.push_back(title + " failed:\n" + *failure);
  }

 private:
  std::size_t checked_ = 0;
  std::vector<std::string> failures_;
};

namespace detail {

class PendingCheck {
 public:
  PendingCheck() = default;
  PendingCheck(const PendingCheck&) = delete;
  PendingCheck& operator=(const PendingCheck&) = delete;
  virtual ~PendingCheck() = default;
  virtual std::string title() const = 0;
  // Empty when the expectation holds.
  virtual std::optional<std::string> check() const = 0;
};

template <class T>
class ObservableCheck final : public PendingCheck {
 public:
  ObservableCheck(std::size_t number, std::string subscription_marble)
      : number_(number), subscription_marble_(std::move(subscription_marble)) {}

  std::string title() const override {
    std::string t = "expectation #" + std::to_string(number_) + " expect_observable(obs";
    if (!subscription_marble_.empty()) t += ", \"" + subscription_marble_ + "\"";
    t += ")";
    if (expected_) t += ".to_be(\"" + expected_marble_ + "\")";
    return t;
  }
  std::optional<std::string> check() const override {
    if (subscribe_error) {
      return "  subscribe() threw: " + *subscribe_error +
             "\n  (an exception in subscribe should reach on_error instead)";
    }
    if (!expected_) return std::string("  to_be() was never called on it");
    ValueFormat<T> format{values_.empty() ? nullptr : &values_, printer};
    return compare_recorded(*expected_, actual, format);
  }

  void set_expected(std::string_view marble, std::map<char, T> values, std::exception_ptr error) {
    if (expected_) {
      throw std::logic_error("rxsync::testing: to_be() called twice on expectation #" +
                             std::to_string(number_));
    }
    auto tokens = parse_marbles(marble, MarbleContext::expected);
    expected_ = resolve_marbles<T>(marble, tokens, &values, error);
    expected_marble_ = std::string(marble);
    values_ = std::move(values);
  }

  std::vector<Recorded<T>> actual;
  Subscription subscription;
  std::optional<std::string> subscribe_error;
  std::function<std::string(const T&)> printer;

 private:
  std::size_t number_;
  std::string subscription_marble_;
  std::string expected_marble_;
  std::map<char, T> values_;
  std::optional<std::vector<Recorded<T>>> expected_;
};

class SubscriptionCheck final : public PendingCheck {
 public:
  SubscriptionCheck(std::size_t number, std::shared_ptr<const LogBook> actual)
      : number_(number), actual_(std::move(actual)) {}

  std::string title() const override {
    std::string t = "expectation #" + std::to_string(number_) + " expect_subscriptions(...)";
    if (expected_) {
      t += ".to_be(";
      for (std::size_t i = 0; i < marbles_.size(); ++i) {
        t += (i > 0 ? ", \"" : "\"") + marbles_[i] + "\"";
      }
      t += ")";
    }
    return t;
  }
  std::optional<std::string> check() const override {
    if (!expected_) return std::string("  to_be() was never called on it");
    return compare_subscriptions(*expected_, *actual_);
  }

  void set_expected(const std::vector<std::string_view>& marbles) {
    if (expected_) {
      throw std::logic_error("rxsync::testing: to_be() called twice on expectation #" +
                             std::to_string(number_));
    }
    std::vector<SubscriptionLog> logs;
    for (auto marble : marbles) {
      auto parsed = parse_subscription_marbles(marble);
      if (!parsed.subscribed) {
        throw std::invalid_argument("rxsync::testing: subscription diagram \"" +
                                    std::string(marble) + "\" needs a subscription point '^'");
      }
      logs.push_back(SubscriptionLog{*parsed.subscribed, parsed.unsubscribed});
      marbles_.emplace_back(marble);
    }
    expected_ = std::move(logs);
  }

 private:
  std::size_t number_;
  std::shared_ptr<const LogBook> actual_;
  std::vector<std::string> marbles_;
  std::optional<std::vector<SubscriptionLog>> expected_;
};

}  // namespace detail

// Returned by TestScheduler::expect_observable. Call to_be() once, before flush(). Used on the
// TestScheduler's thread.
template <class T>
class ObservableExpectation {
 public:
  explicit ObservableExpectation(std::shared_ptr<detail::ObservableCheck<T>> check)
      : check_(std::move(check)) {}

  // How failure messages show values that have no letter in the values map.
  ObservableExpectation& with_printer(std::function<std::string(const T&)> printer) {
    check_->printer = std::move(printer);
    return *this;
  }

  // Char observables: letters are the values. `error` is what '#' must match (default_error()
  // when null; any_error() accepts every error).
  void to_be(std::string_view marble, std::exception_ptr error = nullptr) {
    check_->set_expected(marble, {}, std::move(error));
  }
  void to_be(std::string_view marble, const std::map<char, T>& values,
             std::exception_ptr error = nullptr) {
    check_->set_expected(marble, values, std::move(error));
  }
  // A values map of another type, converted to T (e.g. const char* for std::string).
  template <class V>
    requires(!std::is_same_v<V, T> && std::is_constructible_v<T, const V&>)
  void to_be(std::string_view marble, const std::map<char, V>& values,
             std::exception_ptr error = nullptr) {
    std::map<char, T> converted;
    for (const auto& [key, value] : values) converted.emplace(key, T(value));
    check_->set_expected(marble, std::move(converted), std::move(error));
  }

 private:
  std::shared_ptr<detail::ObservableCheck<T>> check_;
};

// Returned by TestScheduler::expect_subscriptions: one subscription diagram per subscription,
// in the order they were made. Used on the TestScheduler's thread.
class SubscriptionExpectation {
 public:
  explicit SubscriptionExpectation(std::shared_ptr<detail::SubscriptionCheck> check)
      : check_(std::move(check)) {}

  void to_be(std::string_view marble) { check_->set_expected({marble}); }
  void to_be(std::initializer_list<std::string_view> marbles) {
    check_->set_expected(std::vector<std::string_view>(marbles));
  }
  void to_be(const std::vector<std::string>& marbles) {
    check_->set_expected(std::vector<std::string_view>(marbles.begin(), marbles.end()));
  }

 private:
  std::shared_ptr<detail::SubscriptionCheck> check_;
};

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
