// rxsync/testing/convergence.hpp - advance virtual time until sync services agree.
//
// Tests of offline-first code all need the same loop: run the scheduler until every replica has
// delivered its edits and holds the same state, but not forever. run_until_converged is that
// loop, bounded, with a reason when it gives up. Single-threaded: call it from the thread that
// drives the scheduler (a VirtualTimeScheduler or rxsync::testing::TestScheduler).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include <rxsync/core/time.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace testing {

struct ConvergenceResult {
  bool converged = false;
  Duration elapsed{};   // virtual time advanced
  std::string why_not;  // empty when converged: which replica still differs, and how

  explicit operator bool() const noexcept { return converged; }
};

// Whether every service has no unsynced edit and all hold the same keys with equal values.
// (Services are anything with pending(), values() and value(key), such as SyncService.)
template <class First, class... Rest>
std::string convergence_gap(const First& first, const Rest&... rest) {
  std::string why;
  std::size_t index = 0;
  auto check_pending = [&](const auto& s) {
    if (why.empty() && s.pending() != 0) {
      why = "service " + std::to_string(index) + " has " + std::to_string(s.pending()) +
            " unsynced edit(s)";
    }
    ++index;
  };
  check_pending(first);
  (check_pending(rest), ...);
  if (!why.empty()) return why;

  const auto reference = first.values();
  index = 1;
  auto check_values = [&](const auto& s) {
    if (why.empty()) {
      const auto mine = s.values();
      std::size_t differ = mine.size() == reference.size() ? 0 : 1;
      for (const auto& [key, value] : reference) {
        const auto other = s.value(key);
        if (!other || !(*other == value)) ++differ;
      }
      if (differ != 0) {
        why = "services 0 and " + std::to_string(index) + " differ (" +
              std::to_string(reference.size()) + " vs " + std::to_string(mine.size()) + " keys)";
      }
    }
    ++index;
  };
  (check_values(rest), ...);
  (void)check_values;  // unused with a single service
  return why;
}

// A SimNetwork's server seen as one more replica, so that convergence also means "the server
// has it": run_until_converged(sched, 10s, phone, laptop, server_of(net)).
template <class Net>
class ServerView {
 public:
  explicit ServerView(const Net& net) : net_(net) {}
  std::size_t pending() const noexcept { return 0; }
  auto values() const { return net_.server_state(); }
  template <class Key>
  auto value(const Key& key) const {
    return net_.server_value(key);
  }

 private:
  const Net& net_;
};
template <class Net>
ServerView<Net> server_of(const Net& net) {
  return ServerView<Net>(net);
}

// Advances `sched` by `step` at a time until convergence_gap() is empty or `limit` of virtual
// time has passed. Checks before the first step, so services already in agreement cost nothing.
template <class Sched, class... Services>
ConvergenceResult run_until_converged(Sched& sched, Duration limit, Duration step,
                                      const Services&... services) {
  static_assert(sizeof...(Services) >= 1, "rxsync: run_until_converged needs a service");
  ConvergenceResult result;
  const TimePoint start = sched.now();
  for (;;) {
    result.why_not = convergence_gap(services...);
    result.elapsed = sched.now() - start;
    if (result.why_not.empty()) {
      result.converged = true;
      return result;
    }
    if (result.elapsed >= limit) {
      result.why_not +=
          " after " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(result.elapsed).count()) +
          " ms of virtual time";
      return result;
    }
    sched.advance_by(step < limit - result.elapsed ? step : limit - result.elapsed);
  }
}

// The same with 10 ms steps.
template <class Sched, class... Services>
  requires(!std::is_convertible_v<const Services&, Duration> && ...)
ConvergenceResult run_until_converged(Sched& sched, Duration limit, const Services&... services) {
  return run_until_converged(sched, limit, std::chrono::milliseconds(10), services...);
}

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
