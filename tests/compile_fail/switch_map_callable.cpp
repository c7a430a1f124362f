// switch_map's function takes a std::string, the source emits int.
// expected-first-error: rxsync::ops::switch_map\(f\): f cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1, 2) |
             rxsync::ops::switch_map([](const std::string& q) { return rxsync::just(q.size()); });
  out.subscribe([](std::size_t) {});
}
