// with_latest_from given a plain value.
// expected-first-error: rxsync::ops::with_latest_from\(other\): other must be an observable
// expected-error-count: 1
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1) | rxsync::ops::with_latest_from(2);
  out.subscribe([](const auto&) {});
}
