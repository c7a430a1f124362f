// switch_map's function returns a plain value, not an observable.
// expected-first-error: rxsync::ops::switch_map\(f\): f must return an observable
// expected-error-count: 1
#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1, 2) | rxsync::ops::switch_map([](int v) { return v * 2; });
  out.subscribe([](int) {});
}
