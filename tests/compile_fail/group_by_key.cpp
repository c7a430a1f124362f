// group_by's key must be hashable or ordered.
// expected-first-error: rxsync::ops::group_by\(key\): the key type needs std::hash and ==, or <
// expected-error-count: 1
#include <rxsync/rx/operators/group_by.hpp>
#include <rxsync/rx/sources.hpp>

struct Opaque {
  int v;
};

int main() {
  auto groups = rxsync::just(1, 2) | rxsync::ops::group_by([](int v) { return Opaque{v}; });
  groups.subscribe([](const auto&) {});
}
