// rxsync/rx/detail/operator_timer.hpp - the one scheduler action a timed operator keeps queued
// at a time (internal).
//
// debounce and timeout move a deadline on every value; throttle, buffer_time and observe_on arm
// one action per window, period or delivery. None of them cancels and reschedules per value:
// they arm an action when none is queued and, when it runs early, re-arm it for what remains
// (RxJS debounceTime's technique), so a value costs a store, not a scheduler round trip.
//
// The decision to arm is taken under the operator's lock; the scheduler is called after the
// lock is released (a scheduler may run code on the spot, and a cancelled action's captures are
// destroyed inside unsubscribe()), and the handle is kept afterwards only if no newer arm or
// cancel happened in between. Tokens tell an action that runs after it was cancelled or
// replaced (it may already have been taken off the queue by another thread) that it is stale.
// Every member must be called with the operator's lock held.
#pragma once

#include <cstdint>
#include <utility>

#include <rxsync/core/subscription.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

class OperatorTimer {
 public:
  using Token = std::uint64_t;  // never 0 for an armed action

  bool armed() const noexcept { return armed_; }

  // Starts an arming: the caller schedules an action for the returned token once unlocked,
  // then hands its handle to attach().
  Token arm() noexcept {
    armed_ = true;
    return ++token_;
  }

  // Keeps `handle` if `token` is still the current arming; otherwise returns it, for the caller
  // to cancel once unlocked.
  [[nodiscard]] Subscription attach(Token token, Subscription handle) noexcept {
    if (token != token_) return handle;
    handle_ = std::move(handle);
    return {};
  }

  // The action armed for `token` runs: true if it is still current, and then it is spent.
  bool fire(Token token) noexcept {
    if (token != token_ || !armed_) return false;
    armed_ = false;
    return true;
  }

  // The action for `token`, which fire() just accepted, will run again: armed again, same
  // token (and, on a re-arming scheduler, same handle).
  void rearm(Token token) noexcept {
    if (token == token_) armed_ = true;
  }

  // Makes every armed action stale; returns the handle to cancel once unlocked.
  [[nodiscard]] Subscription disarm() noexcept {
    armed_ = false;
    ++token_;
    return std::exchange(handle_, {});
  }

 private:
  Token token_ = 0;
  bool armed_ = false;
  Subscription handle_;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
