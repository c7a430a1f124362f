// subscribe's on_next takes a std::string, the observable emits int.
// expected-first-error: rxsync: subscribe\(on_next, ...\): on_next cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <string>

#include <rxsync/rx/sources.hpp>

int main() {
  rxsync::just(1, 2).subscribe([](const std::string& s) { (void)s; });
}
