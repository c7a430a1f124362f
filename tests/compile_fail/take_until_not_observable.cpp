// take_until given a plain value (a count) instead of a notifier observable.
// expected-first-error: rxsync::ops::take_until\(notifier\): notifier must be an observable
// expected-error-count: 1
#include <rxsync/rx/operators/take_until.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto first = rxsync::just(1, 2, 3) | rxsync::ops::take_until(2);
  first.subscribe([](int) {});
}
