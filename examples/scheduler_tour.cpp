// A tour of rxsync's schedulers: the placeholder demo until the multi-device sync demo lands.
//
// Part 1 runs a retry-like timeline in virtual time (deterministic output, no waiting).
// Part 2 hands work to an EventLoopThread from two threads and waits for it in real time.
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

namespace {

long long ms(rxsync::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

int virtual_time_part() {
  std::puts("== virtual time: a sync attempt that fails twice, retried after 1 s and 2 s");
  rxsync::VirtualTimeScheduler sched;
  int attempts = 0;
  // A recursive lambda through a pointer: each failed attempt schedules the next one.
  std::function<void()> attempt;
  attempt = [&] {
    ++attempts;
    const bool ok = attempts == 3;
    std::printf("  t=%5lld ms  attempt %d -> %s\n", ms(sched.now()), attempts,
                ok ? "synced" : "network error");
    if (!ok) sched.schedule_after(std::chrono::seconds(attempts), attempt);
  };
  sched.schedule(attempt);

  // A timeout that the successful sync cancels before it fires.
  auto timeout =
      sched.schedule_after(10s, [&] { std::puts("  timeout fired (should not happen)"); });
  sched.schedule_after(3500ms, [&] {
    std::printf("  t=%5lld ms  sync confirmed, cancelling the 10 s timeout\n", ms(sched.now()));
    timeout.unsubscribe();
  });

  std::printf("  queued: %zu action(s) at t=0\n", sched.pending());
  sched.run();
  std::printf("  done at t=%lld ms, %d attempts, %zu action(s) left\n", ms(sched.now()), attempts,
              sched.pending());
  return attempts == 3 && sched.pending() == 0 ? 0 : 1;
}

int event_loop_part() {
  std::puts("== real time: two threads post 1000 actions each to one EventLoopThread");
  std::mutex mutex;
  std::condition_variable done;
  int ran = 0;
  bool all_on_loop_thread = true;
  {
    rxsync::EventLoopThread loop;
    auto post = [&] {
      for (int i = 0; i < 1000; ++i) {
        loop.schedule([&] {
          std::lock_guard lock(mutex);
          all_on_loop_thread = all_on_loop_thread && loop.is_current_thread();
          if (++ran == 2000) done.notify_all();
        });
      }
    };
    std::thread a(post), b(post);
    a.join();
    b.join();
    std::unique_lock lock(mutex);
    done.wait_for(lock, 10s, [&] { return ran == 2000; });
  }  // the loop thread is joined here
  std::printf("  %d actions ran, all on the loop thread: %s\n", ran,
              all_on_loop_thread ? "yes" : "no");
  return ran == 2000 && all_on_loop_thread ? 0 : 1;
}

}  // namespace

int main() {
  const int failures = virtual_time_part() + event_loop_part();
  std::puts(failures == 0 ? "scheduler tour: ok" : "scheduler tour: FAILED");
  return failures == 0 ? 0 : 1;
}
