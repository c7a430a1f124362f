// timeout's fallback must emit the source's element type.
// expected-first-error: rxsync::ops::timeout\(\.\.\., fallback\): the fallback must emit the source's value_type
// expected-error-count: 1
#include <rxsync/rx/operators/timeout.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <string>

int main() {
  rxsync::VirtualTimeScheduler vts;
  auto values = rxsync::just(1, 2) | rxsync::ops::timeout(std::chrono::milliseconds(5), vts,
                                                          rxsync::just(std::string("late")));
  values.subscribe([](int) {});
}
