// merge_map's function returns a plain value instead of an observable.
// expected-first-error: rxsync::ops::merge_map\(f\): f must return an observable \(rxsync::just\(v\), an Observable<U>, a subject...\), not a plain value; for a plain value use ops::map
// expected-error-count: 1
#include <rxsync/rx/operators/merge_map.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto doubled = rxsync::just(1, 2) | rxsync::ops::merge_map([](int n) { return n * 2; });
  doubled.subscribe([](int) {});
}
