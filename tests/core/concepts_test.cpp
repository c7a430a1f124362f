// The concepts are compile-time contracts, so most checks are static_asserts: this file failing to
// compile is the test failing. The runtime cases only make the results visible in the report.
#include <rxsync/core/concepts.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "rxsync_catch.hpp"

namespace {

using rxsync::Duration;
using rxsync::Subscription;
using rxsync::TimePoint;

// A complete minimal scheduler, and copies of it that each miss or break one member.
struct FullScheduler {
  TimePoint now() { return {}; }
  template <class F>
  Subscription schedule(F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_at(TimePoint, F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_after(Duration, F&&) {
    return {};
  }
};

struct NoNow {
  template <class F>
  Subscription schedule(F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_at(TimePoint, F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_after(Duration, F&&) {
    return {};
  }
};

struct WrongClockNow : FullScheduler {
  std::chrono::system_clock::time_point now() { return {}; }  // hides the right one
};

struct NoSchedule {
  TimePoint now() { return {}; }
  template <class F>
  Subscription schedule_at(TimePoint, F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_after(Duration, F&&) {
    return {};
  }
};

struct ScheduleReturnsVoid : NoSchedule {
  template <class F>
  void schedule(F&&) {}
};

struct NoScheduleAt {
  TimePoint now() { return {}; }
  template <class F>
  Subscription schedule(F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_after(Duration, F&&) {
    return {};
  }
};

struct NoScheduleAfter {
  TimePoint now() { return {}; }
  template <class F>
  Subscription schedule(F&&) {
    return {};
  }
  template <class F>
  Subscription schedule_at(TimePoint, F&&) {
    return {};
  }
};

// Only accepts function pointers, so a lambda or functor action does not fit.
struct OnlyFunctionPointers {
  TimePoint now() { return {}; }
  Subscription schedule(void (*)()) { return {}; }
  Subscription schedule_at(TimePoint, void (*)()) { return {}; }
  Subscription schedule_after(Duration, void (*)()) { return {}; }
};

}  // namespace

// The built-in schedulers.
static_assert(rxsync::Scheduler<rxsync::VirtualTimeScheduler>);
static_assert(rxsync::Scheduler<rxsync::RunLoop>);
static_assert(rxsync::Scheduler<rxsync::EventLoopThread>);
static_assert(rxsync::check_scheduler<rxsync::VirtualTimeScheduler>());
static_assert(rxsync::check_scheduler<rxsync::RunLoop>());
static_assert(rxsync::check_scheduler<rxsync::EventLoopThread>());

static_assert(rxsync::Scheduler<FullScheduler>);
static_assert(!rxsync::Scheduler<int>);

// Each sub-concept rejects exactly the type that misses its member, and only that one.
static_assert(!rxsync::SchedulerHasNow<NoNow>);
static_assert(rxsync::SchedulerHasSchedule<NoNow> && rxsync::SchedulerHasScheduleAt<NoNow> &&
              rxsync::SchedulerHasScheduleAfter<NoNow>);
static_assert(!rxsync::Scheduler<NoNow>);

static_assert(!rxsync::SchedulerHasNow<WrongClockNow>);
static_assert(!rxsync::Scheduler<WrongClockNow>);

static_assert(!rxsync::SchedulerHasSchedule<NoSchedule>);
static_assert(rxsync::SchedulerHasNow<NoSchedule> && rxsync::SchedulerHasScheduleAt<NoSchedule> &&
              rxsync::SchedulerHasScheduleAfter<NoSchedule>);
static_assert(!rxsync::Scheduler<NoSchedule>);

static_assert(!rxsync::SchedulerHasSchedule<ScheduleReturnsVoid>);
static_assert(!rxsync::Scheduler<ScheduleReturnsVoid>);

static_assert(!rxsync::SchedulerHasScheduleAt<NoScheduleAt>);
static_assert(rxsync::SchedulerHasNow<NoScheduleAt> && rxsync::SchedulerHasSchedule<NoScheduleAt> &&
              rxsync::SchedulerHasScheduleAfter<NoScheduleAt>);
static_assert(!rxsync::Scheduler<NoScheduleAt>);

static_assert(!rxsync::SchedulerHasScheduleAfter<NoScheduleAfter>);
static_assert(rxsync::SchedulerHasNow<NoScheduleAfter> &&
              rxsync::SchedulerHasSchedule<NoScheduleAfter> &&
              rxsync::SchedulerHasScheduleAt<NoScheduleAfter>);
static_assert(!rxsync::Scheduler<NoScheduleAfter>);

static_assert(!rxsync::SchedulerHasSchedule<OnlyFunctionPointers>);
static_assert(!rxsync::Scheduler<OnlyFunctionPointers>);

// ---- the other policy concepts: one complete model and one miss each -----------------------

namespace {

struct GoodStorage {
  void put(std::string_view, std::string_view) {}
  std::optional<std::string> get(std::string_view) const { return std::nullopt; }
  bool erase(std::string_view) { return false; }
  template <class F>
  void for_each(F&&) const {}
};
struct StorageWithoutErase {
  void put(std::string_view, std::string_view) {}
  std::optional<std::string> get(std::string_view) const { return std::nullopt; }
  template <class F>
  void for_each(F&&) const {}
};
struct StorageWithNonConstGet {
  void put(std::string_view, std::string_view) {}
  std::optional<std::string> get(std::string_view) { return std::nullopt; }
  bool erase(std::string_view) { return false; }
  template <class F>
  void for_each(F&&) const {}
};

struct IntCodec {
  static std::string encode(int v) { return std::to_string(v); }
  static int decode(std::string_view s, int*) { return static_cast<int>(s.size()); }
};
struct EncodeOnlyCodec {
  static std::string encode(int v) { return std::to_string(v); }
};

struct GoodBackoff {
  std::optional<Duration> next_delay() { return std::nullopt; }
  void reset() {}
};
struct BackoffWithoutReset {
  std::optional<Duration> next_delay() { return std::nullopt; }
};
struct MoveOnlyBackoff : GoodBackoff {
  MoveOnlyBackoff() = default;
  MoveOnlyBackoff(MoveOnlyBackoff&&) = default;
  MoveOnlyBackoff(const MoveOnlyBackoff&) = delete;
};

}  // namespace

static_assert(rxsync::Storage<GoodStorage> && rxsync::check_storage<GoodStorage>());
static_assert(!rxsync::StorageHasErase<StorageWithoutErase> &&
              !rxsync::Storage<StorageWithoutErase>);
static_assert(!rxsync::StorageHasGet<StorageWithNonConstGet>);

static_assert(rxsync::Codec<IntCodec, int> && rxsync::check_codec<IntCodec, int>());
static_assert(rxsync::CodecHasEncode<EncodeOnlyCodec, int> &&
              !rxsync::CodecHasDecode<EncodeOnlyCodec, int>);
static_assert(!rxsync::Codec<IntCodec, std::string>);  // it only encodes and decodes int

static_assert(rxsync::BackoffPolicy<GoodBackoff> && rxsync::check_backoff_policy<GoodBackoff>());
static_assert(!rxsync::BackoffPolicyHasReset<BackoffWithoutReset>);
static_assert(!rxsync::BackoffPolicy<MoveOnlyBackoff>);

// A template constrained on Scheduler accepts the built-in ones and picks the right overload.
namespace {
template <class S>
constexpr int kind(const S&) {
  return 0;
}
template <rxsync::Scheduler S>
constexpr int kind(const S&) {
  return 1;
}
}  // namespace

TEST_CASE("Scheduler concept: constrained overloads select schedulers", "[core][concepts]") {
  rxsync::VirtualTimeScheduler vts;
  rxsync::RunLoop loop;
  CHECK(kind(vts) == 1);
  CHECK(kind(loop) == 1);
  CHECK(kind(NoScheduleAfter{}) == 0);
  CHECK(kind(42) == 0);
}
