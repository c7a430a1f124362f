// rxsync/core/concepts.hpp - the policy concepts every layer is parameterised on.
//
// Each concept is a conjunction of small named concepts, so a compiler's "constraint not
// satisfied" note names the part that is missing. Class templates additionally call the
// check_*() functions below, whose static_asserts say in plain words what to add.
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <string_view>

#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {
struct NoopAction {
  void operator()() const noexcept {}
};
}  // namespace detail

// ---- Scheduler -------------------------------------------------------------------------------

template <class S>
concept SchedulerHasNow = requires(S& s) {
  { s.now() } -> std::same_as<TimePoint>;
};
template <class S>
concept SchedulerHasSchedule = requires(S& s) {
  { s.schedule(detail::NoopAction{}) } -> std::same_as<Subscription>;
};
template <class S>
concept SchedulerHasScheduleAt = requires(S& s, TimePoint t) {
  { s.schedule_at(t, detail::NoopAction{}) } -> std::same_as<Subscription>;
};
template <class S>
concept SchedulerHasScheduleAfter = requires(S& s, Duration d) {
  { s.schedule_after(d, detail::NoopAction{}) } -> std::same_as<Subscription>;
};

// Runs actions now, at a time point, or after a delay, and tells the time. All timed behaviour
// in rxsync goes through one, so tests can swap in a VirtualTimeScheduler.
template <class S>
concept Scheduler = SchedulerHasNow<S> && SchedulerHasSchedule<S> && SchedulerHasScheduleAt<S> &&
                    SchedulerHasScheduleAfter<S>;

namespace detail {
struct NoopRearmingAction {
  std::optional<TimePoint> operator()() const noexcept { return std::nullopt; }
};
}  // namespace detail

// Optional: `schedule_rearming(TimePoint, action)`, where the action returns
// std::optional<TimePoint>, the time to run it again through the same handle (or std::nullopt
// when done). Timed operators (debounce, timeout, throttle, buffer_time) then keep one queued
// action per subscription instead of scheduling a new one each time their deadline moves; any
// other Scheduler works too, through schedule_at(). The built-in schedulers have it.
template <class S>
concept SchedulerCanRearm = requires(S& s, TimePoint t) {
  { s.schedule_rearming(t, detail::NoopRearmingAction{}) } -> std::same_as<Subscription>;
};

template <class S>
consteval bool check_scheduler() {
  static_assert(SchedulerHasNow<S>,
                "rxsync: this Scheduler type needs `rxsync::TimePoint now()` "
                "(the return type must be exactly rxsync::TimePoint)");
  static_assert(SchedulerHasSchedule<S>,
                "rxsync: this Scheduler type needs `rxsync::Subscription schedule(F&& action)`");
  static_assert(SchedulerHasScheduleAt<S>,
                "rxsync: this Scheduler type needs "
                "`rxsync::Subscription schedule_at(rxsync::TimePoint, F&& action)`");
  static_assert(SchedulerHasScheduleAfter<S>,
                "rxsync: this Scheduler type needs "
                "`rxsync::Subscription schedule_after(rxsync::Duration, F&& action)`");
  return true;
}

// What a cache or a monitor needs of a clock: now() alone (every Scheduler is a clock).
template <class S>
consteval bool check_clock() {
  static_assert(SchedulerHasNow<S>,
                "rxsync: this clock type needs `rxsync::TimePoint now()` (the return type must be "
                "exactly rxsync::TimePoint; every Scheduler is a clock)");
  return true;
}

// ---- Storage ---------------------------------------------------------------------------------

namespace detail {
struct NoopVisitor {
  void operator()(std::string_view, std::string_view) const noexcept {}
};
}  // namespace detail

template <class S>
concept StorageHasPut = requires(S& s, std::string_view k, std::string_view v) { s.put(k, v); };
template <class S>
concept StorageHasGet = requires(const S& s, std::string_view k) {
  { s.get(k) } -> std::same_as<std::optional<std::string>>;
};
template <class S>
concept StorageHasErase = requires(S& s, std::string_view k) {
  { s.erase(k) } -> std::same_as<bool>;
};
template <class S>
concept StorageHasForEach = requires(const S& s) { s.for_each(detail::NoopVisitor{}); };

// A byte-string key/value store. put() is durable when it returns (for durable stores).
template <class S>
concept Storage =
    StorageHasPut<S> && StorageHasGet<S> && StorageHasErase<S> && StorageHasForEach<S>;

template <class S>
consteval bool check_storage() {
  static_assert(
      StorageHasPut<S>,
      "rxsync: this Storage type needs `put(std::string_view key, std::string_view value)`");
  static_assert(StorageHasGet<S>,
                "rxsync: this Storage type needs "
                "`std::optional<std::string> get(std::string_view key) const`");
  static_assert(StorageHasErase<S>,
                "rxsync: this Storage type needs `bool erase(std::string_view key)`");
  static_assert(
      StorageHasForEach<S>,
      "rxsync: this Storage type needs "
      "`for_each(F&& visit) const` calling visit(std::string_view key, std::string_view value)");
  return true;
}

// ---- Codec -----------------------------------------------------------------------------------

template <class C, class T>
concept CodecHasEncode = requires(const T& v) {
  { C::encode(v) } -> std::convertible_to<std::string>;
};
template <class C, class T>
concept CodecHasDecode = requires(std::string_view bytes) {
  { C::decode(bytes, static_cast<T*>(nullptr)) } -> std::same_as<T>;
};

// Turns values of T into bytes and back. decode() throws rxsync::DecodeError on malformed input.
// The T* tag argument lets one codec type serve many value types.
template <class C, class T>
concept Codec = CodecHasEncode<C, T> && CodecHasDecode<C, T>;

template <class C, class T>
consteval bool check_codec() {
  static_assert(
      CodecHasEncode<C, T>,
      "rxsync: this Codec needs `static std::string encode(const T&)` for the value type");
  static_assert(
      CodecHasDecode<C, T>,
      "rxsync: this Codec needs `static T decode(std::string_view, T*)` for the value type "
      "(the T* argument is a tag and is always null)");
  return true;
}

// ---- Backoff ---------------------------------------------------------------------------------

template <class P>
concept BackoffPolicyHasNextDelay = requires(P& p) {
  { p.next_delay() } -> std::same_as<std::optional<Duration>>;
};
template <class P>
concept BackoffPolicyHasReset = requires(P& p) { p.reset(); };

// Produces successive retry delays, then nullopt when retries are exhausted.
template <class P>
concept BackoffPolicy =
    std::copy_constructible<P> && BackoffPolicyHasNextDelay<P> && BackoffPolicyHasReset<P>;

template <class P>
consteval bool check_backoff_policy() {
  static_assert(BackoffPolicyHasNextDelay<P>,
                "rxsync: this BackoffPolicy needs `std::optional<rxsync::Duration> next_delay()`");
  static_assert(BackoffPolicyHasReset<P>, "rxsync: this BackoffPolicy needs `void reset()`");
  static_assert(
      std::copy_constructible<P>,
      "rxsync: a BackoffPolicy must be copyable (each retry sequence starts from a copy)");
  return true;
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
