// tap's function takes two arguments.
// expected-first-error: rxsync::ops::tap\(f\): f cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1, 2) | rxsync::ops::tap([](int, int) {});
  out.subscribe([](int) {});
}
