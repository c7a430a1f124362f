// map's function takes a std::string, the source emits int.
// expected-first-error: rxsync::ops::map\(f\): f cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto lengths =
      rxsync::just(1, 2) | rxsync::ops::map([](const std::string& s) { return s.size(); });
  lengths.subscribe([](std::size_t) {});
}
