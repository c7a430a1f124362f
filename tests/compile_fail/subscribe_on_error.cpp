// subscribe's on_error takes a std::exception instead of std::exception_ptr.
// expected-first-error: rxsync: subscribe\(on_next, on_error, ...\): on_error must accept .std::exception_ptr.
// expected-error-count: 1
#include <exception>

#include <rxsync/rx/sources.hpp>

int main() {
  rxsync::just(1, 2).subscribe([](int) {}, [](const std::exception& e) { (void)e; });
}
