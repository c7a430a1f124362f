// make_observer's on_next takes a pointer, the observable emits int.
// expected-first-error: rxsync::make_observer<T>\(on_next, ...\): on_next cannot be called with the element type: it must accept .const T&.
// expected-error-count: 1
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/sources.hpp>

int main() {
  auto observer = rxsync::make_observer<int>([](const int* p) { (void)p; });
  rxsync::just(1, 2).subscribe(observer);
}
