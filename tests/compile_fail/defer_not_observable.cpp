// defer's factory returns a plain value.
// expected-first-error: rxsync::defer\(factory\): factory\(\) must return an observable
// expected-error-count: 1
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::defer([] { return 42; });
  out.subscribe([](int) {});
}
