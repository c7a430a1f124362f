// rxsync/sync/detail/sync_pull.hpp - one pull at a time, however many are asked for (internal).
//
// A sync service is asked to pull by its poller, by pokes from the server, by reconnects and by
// the app. Overlapping pulls would only fetch the same changes twice, so requests made while a
// pull runs fold into one more pull after it. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

class PullCoalescer {
 public:
  // Records a request; true when the caller must start a pull now. `done` (may be empty) is
  // called once a pull that started at or after this request has finished.
  bool request(std::function<void()> done) {
    std::lock_guard lock(mutex_);
    if (done) waiters_.push_back(std::move(done));
    if (running_) {
      again_ = true;
      return false;
    }
    running_ = true;
    return true;
  }

  // After a pull: true when another must start now (the server has more, or a request came
  // in meanwhile). Otherwise the waiters are called, outside the lock, and false is returned.
  bool finish(bool more) {
    std::vector<std::function<void()>> waiters;
    {
      std::lock_guard lock(mutex_);
      if (more || again_) {
        again_ = false;
        return true;
      }
      running_ = false;
      waiters.swap(waiters_);
    }
    for (auto& w : waiters) w();
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<std::function<void()>> waiters_;
  bool running_ = false;
  bool again_ = false;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
