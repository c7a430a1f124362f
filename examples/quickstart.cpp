// The 30-second example: push values into a subject and shape them with a pipeline.
#include <cstdio>
#include <exception>

#include <rxsync/rx/rx.hpp>

int main() {
  using namespace rxsync;
  PublishSubject<int> clicks;
  auto sub = (clicks | ops::filter([](int n) { return n % 2 == 0; })  // even clicks only
              | ops::map([](int n) { return n * 10; })                // worth 10 points each
              | ops::scan(0, [](int total, int pts) { return total + pts; }))
                 .subscribe([](int total) { std::printf("score: %d\n", total); },
                            [](std::exception_ptr) { std::puts("failed"); },
                            [] { std::puts("game over"); });
  for (int n = 1; n <= 6; ++n) clicks.on_next(n);  // prints 20, 60, 120
  clicks.on_completed();
}
