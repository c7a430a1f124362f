// create's function takes the value type instead of the subscriber.
// expected-first-error: rxsync::create<T>\(fn\): fn cannot be called with the subscriber: it must accept .rxsync::Subscriber<T>.
// expected-error-count: 1
#include <rxsync/rx/sources.hpp>

int main() {
  auto out = rxsync::create<int>([](int v) { (void)v; });
  out.subscribe([](int) {});
}
