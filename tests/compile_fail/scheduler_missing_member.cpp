// A scheduler without schedule_after, given to debounce.
// expected-first-error: rxsync: this Scheduler type needs .rxsync::Subscription schedule_after\(rxsync::Duration, F&& action\).
// expected-error-count: 1
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/sources.hpp>

// Has everything a Scheduler needs but schedule_after.
struct Clock {
  rxsync::TimePoint now() { return {}; }
  template <class F>
  rxsync::Subscription schedule(F&&) {
    return {};
  }
  template <class F>
  rxsync::Subscription schedule_at(rxsync::TimePoint, F&&) {
    return {};
  }
};

int main() {
  Clock clock;
  auto out = rxsync::just(1) | rxsync::ops::debounce(std::chrono::milliseconds(10), clock);
  out.subscribe([](int) {});
}
