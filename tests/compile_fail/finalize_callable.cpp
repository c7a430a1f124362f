// finalize's function takes an argument.
// expected-first-error: rxsync::ops::finalize\(f\): f must be callable with no arguments
// expected-error-count: 1
#include <rxsync/rx/operators/finalize.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1) | rxsync::ops::finalize([](int) {});
  out.subscribe([](int) {});
}
