// schedule_rearming(): an action that returns when to run again goes back into the queue as
// the same entry, behind one handle, until it returns std::nullopt or is cancelled.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include "rxsync_catch.hpp"

using namespace rxsync;
using namespace std::chrono_literals;

static_assert(SchedulerCanRearm<VirtualTimeScheduler>);
static_assert(SchedulerCanRearm<RunLoop>);
static_assert(SchedulerCanRearm<EventLoopThread>);

namespace {
long ms(TimePoint t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}
}  // namespace

TEST_CASE("VirtualTimeScheduler: a re-arming action runs at each time it returns") {
  VirtualTimeScheduler vts;
  std::vector<long> runs;
  auto handle = vts.schedule_rearming(TimePoint(10ms), [&]() -> std::optional<TimePoint> {
    runs.push_back(ms(vts.now()));
    if (runs.size() == 3) return std::nullopt;
    return vts.now() + 15ms;
  });
  CHECK(vts.pending() == 1);
  vts.advance_by(30ms);
  CHECK(runs == std::vector<long>{10, 25});
  CHECK(vts.pending() == 1);  // the same entry, queued again
  CHECK(handle.is_subscribed());
  vts.advance_by(30ms);
  CHECK(runs == std::vector<long>{10, 25, 40});
  CHECK(vts.pending() == 0);
  CHECK_FALSE(handle.is_subscribed());
}

TEST_CASE("VirtualTimeScheduler: a re-armed action queues behind what was scheduled before") {
  VirtualTimeScheduler vts;
  std::vector<std::string> log;
  vts.schedule_rearming(TimePoint(5ms), [&]() -> std::optional<TimePoint> {
    log.push_back("rearm@" + std::to_string(ms(vts.now())));
    if (vts.now() == TimePoint(5ms)) {
      vts.schedule_at(TimePoint(20ms), [&] { log.push_back("after@20"); });
      return TimePoint(20ms);
    }
    return std::nullopt;
  });
  vts.schedule_at(TimePoint(20ms), [&] { log.push_back("before@20"); });
  int past_runs = 0;
  vts.schedule_rearming(TimePoint(1ms), [&]() -> std::optional<TimePoint> {
    log.push_back("past@" + std::to_string(ms(vts.now())));
    if (++past_runs == 1) return TimePoint(0ms);  // in the past: due now
    return std::nullopt;
  });
  vts.advance_by(50ms);
  CHECK(log == std::vector<std::string>{"past@1", "past@1", "rearm@5", "before@20", "after@20",
                                        "rearm@20"});
}

TEST_CASE("VirtualTimeScheduler: cancelling a re-arming action stops it and frees its captures") {
  VirtualTimeScheduler vts;
  auto witness = std::make_shared<int>(0);
  std::weak_ptr<int> weak = witness;
  int runs = 0;
  Subscription handle;
  handle = vts.schedule_rearming(TimePoint(1ms), [&, witness]() -> std::optional<TimePoint> {
    ++runs;
    if (runs == 2) handle.unsubscribe();  // from inside: not re-armed
    return vts.now() + 1ms;
  });
  witness.reset();
  vts.advance_by(10ms);
  CHECK(runs == 2);
  CHECK(vts.pending() == 0);
  CHECK(weak.expired());

  auto second = std::make_shared<int>(0);
  weak = second;
  auto outside = vts.schedule_rearming(
      vts.now() + 1ms, [&vts, second]() -> std::optional<TimePoint> { return vts.now() + 1ms; });
  second.reset();
  vts.advance_by(5ms);
  CHECK(vts.pending() == 1);
  outside.unsubscribe();  // while queued
  CHECK(vts.pending() == 0);
  CHECK(weak.expired());
}

TEST_CASE("RunLoop: a re-arming action runs again until it says it is done") {
  RunLoop loop;
  int runs = 0;
  auto handle = loop.schedule_rearming(loop.now(), [&]() -> std::optional<TimePoint> {
    if (++runs == 5) return std::nullopt;
    return loop.now() + 1ms;
  });
  loop.run_until_idle();
  CHECK(runs == 5);
  CHECK(loop.pending() == 0);
  CHECK_FALSE(handle.is_subscribed());

  // After shutdown, the loop drops a re-arming action instead of queueing it again.
  int later = 0;
  loop.schedule_rearming(loop.now(), [&]() -> std::optional<TimePoint> {
    ++later;
    loop.shutdown();
    return loop.now();
  });
  loop.run();
  CHECK(later == 1);
  CHECK(loop.pending() == 0);
}
