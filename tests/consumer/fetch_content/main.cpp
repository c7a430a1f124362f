// Consumer (f): FetchContent. Cancels one of two timers and prints which one ran.
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  rxsync::VirtualTimeScheduler sched;
  int ran = 0;
  sched.schedule_after(1s, [&] { ran += 1; });
  auto cancelled = sched.schedule_after(2s, [&] { ran += 10; });
  cancelled.unsubscribe();
  sched.run();
  std::printf("FetchContent consumer: ran=%d (expected 1), pending=%zu\n", ran, sched.pending());
  return ran == 1 ? 0 : 1;
}
