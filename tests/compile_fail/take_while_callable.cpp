// take_while's predicate takes a pointer.
// expected-first-error: rxsync::ops::take_while\(pred\): pred cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out =
      rxsync::just(1, 2) | rxsync::ops::take_while([](const int* p) { return p != nullptr; });
  out.subscribe([](int) {});
}
