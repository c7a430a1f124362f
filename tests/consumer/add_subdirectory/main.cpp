// Consumer (a): add_subdirectory. Runs a timer in virtual time and prints when it fired.
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  rxsync::VirtualTimeScheduler sched;
  long long fired_ms = -1;
  sched.schedule_after(250ms, [&] {
    fired_ms = std::chrono::duration_cast<std::chrono::milliseconds>(sched.now().time_since_epoch())
                   .count();
  });
  sched.advance_by(1s);
  std::printf("add_subdirectory consumer: timer fired at t=%lld ms\n", fired_ms);
  return fired_ms == 250 ? 0 : 1;
}
