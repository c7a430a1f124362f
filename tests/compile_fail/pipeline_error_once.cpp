// A mistake early in a long pipeline that is then erased to Observable<T>: one error, no cascade.
// expected-first-error: rxsync::ops::map\(f\): f cannot be called with the element type
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  rxsync::Observable<std::size_t> out =
      rxsync::just(1, 2) | rxsync::ops::map([](const std::string& s) { return s; }) |
      rxsync::ops::filter([](const std::string& s) { return !s.empty(); }) |
      rxsync::ops::switch_map([](const std::string& s) { return rxsync::just(s.size()); }) |
      rxsync::ops::distinct_until_changed();
  out.subscribe([](std::size_t) {});
}
