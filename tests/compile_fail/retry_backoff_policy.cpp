// retry_with_backoff's policy has reset() but no next_delay().
// expected-first-error: rxsync: this BackoffPolicy needs .std::optional<rxsync::Duration> next_delay\(\).
// expected-error-count: 1
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

struct Policy {
  void reset() {}
};

int main() {
  rxsync::VirtualTimeScheduler scheduler;
  auto out = rxsync::just(1) | rxsync::ops::retry_with_backoff(Policy{}, scheduler);
  out.subscribe([](int) {});
}
