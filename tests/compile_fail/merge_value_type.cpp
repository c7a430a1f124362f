// merge of an int source with a std::string source.
// expected-first-error: rxsync::ops::merge\(others...\): every observable must have the source's value_type
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::just(1) | rxsync::ops::merge(rxsync::just(std::string("a")));
  out.subscribe([](int) {});
}
