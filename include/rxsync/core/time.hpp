// rxsync/core/time.hpp - the library's units of time.
//
// Every timer in rxsync is expressed in these two types so that virtual-time and real-time
// schedulers are interchangeable. TimePoint is on steady_clock's epoch with nanosecond ticks:
// a VirtualTimeScheduler starts at TimePoint{} and a RunLoop reads steady_clock::now().
#pragma once

// libstdc++'s <chrono> in C++20 also declares the calendar, time zones and their formatting,
// and for those includes <sstream>: the iostreams, several times what everything else in rx.hpp
// costs to parse. Durations, time points, clocks and the literals are all in <bits/chrono.h>.
#include <version>  // defines __GLIBCXX__ for the test below
#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

namespace detail {
// t + d clamped to [TimePoint::min(), TimePoint::max()]: a delay of Duration::max() means
// "never", not a wrap into the past.
constexpr TimePoint add_saturated(TimePoint t, Duration d) noexcept {
  const Duration since = t.time_since_epoch();
  if (d > Duration::zero() && since > Duration::max() - d) return TimePoint::max();
  if (d < Duration::zero() && since < Duration::min() - d) return TimePoint::min();
  return t + d;
}
// d * n for n >= 0, clamped to Duration::max(): the n-th tick of a long period is "never", not
// a wrap into the past.
constexpr Duration times_saturated(Duration d, Duration::rep n) noexcept {
  if (n <= 0 || d <= Duration::zero()) return d * (n > 0 ? n : 0);
  if (d.count() > Duration::max().count() / n) return Duration::max();
  return d * n;
}
}  // namespace detail

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
