// scan's function returns an int, but the accumulator (the seed) is a vector.
// expected-first-error: rxsync::ops::scan\(seed, f\): f must return the new accumulator
// expected-error-count: 1
#include <vector>

#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto all = rxsync::just(1, 2) | rxsync::ops::scan(std::vector<int>{}, [](const std::vector<int>&,
                                                                           int v) { return v; });
  all.subscribe([](const std::vector<int>&) {});
}
