// filter's predicate takes a std::string, the source emits int.
// expected-first-error: rxsync::ops::filter\(pred\): pred cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out =
      rxsync::just(1, 2) | rxsync::ops::filter([](const std::string& s) { return !s.empty(); });
  out.subscribe([](int) {});
}
