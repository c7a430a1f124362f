// concat of an int source with a std::string source.
// expected-first-error: rxsync::ops::concat\(others...\): every observable must have the source's value_type
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/concat.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1) | rxsync::ops::concat(rxsync::just(std::string("a")));
  out.subscribe([](int) {});
}
