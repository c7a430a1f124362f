// concat_map's function takes a std::string, the source emits int.
// expected-first-error: rxsync::ops::concat_map\(f\): f cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/merge_map.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto sizes = rxsync::just(1, 2) |
               rxsync::ops::concat_map([](const std::string& s) { return rxsync::just(s.size()); });
  sizes.subscribe([](std::size_t) {});
}
