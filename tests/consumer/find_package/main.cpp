// Consumer (b): find_package. Uses an EventLoopThread, so linking rxsync::rxsync must bring the
// thread library along.
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/version.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <string_view>

static_assert(std::string_view(RXSYNC_VERSION_STRING) == RXSYNC_PACKAGE_VERSION,
              "the installed headers and rxsyncConfigVersion.cmake disagree on the version");

int main() {
  using namespace std::chrono_literals;
  rxsync::VirtualTimeScheduler virtual_time;
  int ticks = 0;
  for (int i = 1; i <= 3; ++i) virtual_time.schedule_after(i * 1s, [&] { ++ticks; });
  virtual_time.advance_by(3s);

  std::promise<bool> on_loop;
  auto result = on_loop.get_future();
  {
    rxsync::EventLoopThread loop;
    loop.schedule([&] { on_loop.set_value(loop.is_current_thread()); });
    if (result.wait_for(10s) != std::future_status::ready) return 1;
  }
  const bool ok = result.get() && ticks == 3;
  std::printf("find_package consumer: rxsync %s, %d virtual ticks, event loop thread %s\n",
              RXSYNC_VERSION_STRING, ticks, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
