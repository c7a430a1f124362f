// rxsync/core/time.hpp - the library's units of time.
//
// Every timer in rxsync is expressed in these two types so that virtual-time and real-time
// schedulers are interchangeable. TimePoint is on steady_clock's epoch with nanosecond ticks:
// a VirtualTimeScheduler starts at TimePoint{} and a RunLoop reads steady_clock::now().
#pragma once

#include <chrono>

namespace rxsync {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

}  // namespace rxsync
