// Smoke test for a packaged rxsync: schedule, cancel and run actions in virtual time.
#include <rxsync/core/subscription.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  rxsync::VirtualTimeScheduler sched;
  int fired = 0;
  rxsync::CompositeSubscription timers;
  timers.add(sched.schedule_after(1s, [&] { ++fired; }));
  auto late = sched.schedule_after(5s, [&] { fired += 100; });
  timers.add(late);
  sched.advance_by(2s);
  timers.unsubscribe();  // cancels the 5 s timer before it is due
  sched.run();
  std::printf("rxsync test_package: fired=%d (expected 1), pending=%zu\n", fired, sched.pending());
  return fired == 1 && sched.pending() == 0 ? 0 : 1;
}
