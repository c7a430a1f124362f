// filter's predicate returns a std::string, which does not convert to bool.
// expected-first-error: rxsync::ops::filter\(pred\): pred must return bool
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1, 2) | rxsync::ops::filter([](int n) { return std::to_string(n); });
  out.subscribe([](int) {});
}
