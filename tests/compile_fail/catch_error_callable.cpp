// catch_error's handler takes a std::exception (by reference) instead of std::exception_ptr.
// expected-first-error: rxsync::ops::catch_error\(f\): f cannot be called with the error: it must accept .std::exception_ptr.
// expected-error-count: 1
#include <exception>

#include <rxsync/rx/operators/catch_error.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto safe = rxsync::just(1) |
              rxsync::ops::catch_error([](const std::exception&) { return rxsync::just(0); });
  safe.subscribe([](int) {});
}
