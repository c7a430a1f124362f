// Consumer (d): compiled with the flags from `pkg-config --cflags --libs rxsync` only.
#include <rxsync/core/subscription.hpp>
#include <rxsync/schedulers/run_loop.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  rxsync::RunLoop loop;
  int ran = 0;
  // Another thread schedules onto this loop: needs -pthread from the .pc file.
  std::thread producer([&] {
    loop.schedule([&] { ++ran; });
    loop.schedule([&] { loop.stop(); });
  });
  producer.join();
  loop.schedule_after(1ms, [&] { ++ran; });  // queued after the stop: runs in the next call
  loop.run();
  loop.run_until_idle();
  std::printf("pkg-config consumer: RunLoop ran %d actions (expected 2)\n", ran);
  return ran == 2 ? 0 : 1;
}
