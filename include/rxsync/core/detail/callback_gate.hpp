// rxsync/core/detail/callback_gate.hpp - lets an object's destructor wait for its callbacks that
// are running on other threads (internal).
//
// A component that schedules work on a threaded scheduler (an EventLoopThread) can be destroyed
// on the app's thread while one of its actions runs on the loop's: that action may then call the
// transport or the storage, which the app destroys next. Every scheduled action passes the gate
// first; close() refuses new ones and waits for those still inside on other threads. An action
// that destroys its own component (a callback on the same thread) is not waited for, so that is
// no deadlock. Thread-safe.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

class CallbackGate {
 public:
  // While it lives, the gate does not close behind the caller's back. False when closed.
  class Pass {
   public:
    explicit Pass(CallbackGate& gate) : gate_(gate.enter() ? &gate : nullptr) {}
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass() {
      if (gate_ != nullptr) gate_->leave();
    }
    explicit operator bool() const noexcept { return gate_ != nullptr; }

   private:
    CallbackGate* gate_;
  };

  // Refuses every later pass and waits until the passes held on other threads are gone.
  void close() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    const auto me = std::this_thread::get_id();
    left_.wait(lock, [&] {
      return std::all_of(inside_.begin(), inside_.end(), [&](auto id) { return id == me; });
    });
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  bool enter() {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    inside_.push_back(std::this_thread::get_id());
    return true;
  }
  void leave() {
    {
      std::lock_guard lock(mutex_);
      inside_.erase(std::find(inside_.begin(), inside_.end(), std::this_thread::get_id()));
    }
    left_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable left_;
  std::vector<std::thread::id> inside_;  // one entry per pass held (a thread may hold several)
  bool closed_ = false;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
