// subscribe's on_completed takes an argument.
// expected-first-error: rxsync: subscribe\(on_next, on_error, on_completed\): on_completed must be callable with no arguments
// expected-error-count: 1
#include <exception>

#include <rxsync/rx/sources.hpp>

int main() {
  rxsync::just(1, 2).subscribe([](int) {}, [](std::exception_ptr) {},
                               [](bool done) { (void)done; });
}
