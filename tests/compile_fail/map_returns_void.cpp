// map's function returns nothing.
// expected-first-error: rxsync::ops::map\(f\): f returns void.*use ops::tap
// expected-error-count: 1
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1, 2) | rxsync::ops::map([](int) {});
  out.subscribe([](int) {});
}
