// scan's function takes only the accumulator.
// expected-first-error: rxsync::ops::scan\(seed, f\): f cannot be called as f\(acc, value\): it must accept .\(const Acc&, const T&\).
// expected-error-count: 1
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto sums = rxsync::just(1, 2) | rxsync::ops::scan(0, [](int acc) { return acc; });
  sums.subscribe([](int) {});
}
