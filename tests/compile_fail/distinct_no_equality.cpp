// distinct_until_changed() on a type without operator==.
// expected-first-error: rxsync::ops::distinct_until_changed\(\): the element type has no .==.
// expected-error-count: 1
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/sources.hpp>

struct Point {
  int x, y;
};

int main() {
  auto out = rxsync::just(Point{1, 2}) | rxsync::ops::distinct_until_changed();
  out.subscribe([](const Point&) {});
}
