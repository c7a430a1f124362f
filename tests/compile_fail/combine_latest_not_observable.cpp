// combine_latest given a combiner function, which it does not take.
// expected-first-error: rxsync::ops::combine_latest\(others...\): every argument must be an observable
// expected-error-count: 1
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1) | rxsync::ops::combine_latest([](int a, int b) { return a + b; });
  out.subscribe([](const auto&) {});
}
