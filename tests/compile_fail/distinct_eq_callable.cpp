// distinct_until_changed's comparison takes one argument.
// expected-first-error: rxsync::ops::distinct_until_changed\(eq\): eq cannot be called as eq\(previous, current\)
// expected-error-count: 1
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1, 1, 2) | rxsync::ops::distinct_until_changed([](int) { return true; });
  out.subscribe([](int) {});
}
