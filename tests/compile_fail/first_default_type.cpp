// first's default must be of the element type.
// expected-first-error: rxsync::ops::first\(pred, default\) / last\(pred, default\): the element type cannot be made from the default
// expected-error-count: 1
#include <rxsync/rx/operators/reduce.hpp>
#include <rxsync/rx/sources.hpp>

#include <string>

int main() {
  auto firsts =
      rxsync::just(1, 2) | rxsync::ops::first([](int v) { return v > 5; }, std::string("none"));
  firsts.subscribe([](int) {});
}
