// reduce's function without a seed must take two elements.
// expected-first-error: rxsync::ops::reduce\(f\): f cannot be called as f\(acc, value\): without a seed
// expected-error-count: 1
#include <rxsync/rx/operators/reduce.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto total = rxsync::just(1, 2) | rxsync::ops::reduce([](int acc) { return acc; });
  total.subscribe([](int) {});
}
