// rxsync/schedulers/event_loop_thread.hpp - a RunLoop on a thread of its own.
//
// The usual way to give a component (an orchestrator, a sync service) a real-time scheduler:
// every action runs on the owned thread, schedule*() may be called from any thread. The
// destructor runs the actions already due, drops later ones, and joins.
#pragma once

#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// EventLoopThread's members, in a class template so that they (the thread start, the loop's
// run) are compiled only in a program that starts such a thread, not in every one that includes
// this header.
template <class V = void>
class EventLoopThreadImpl {
 public:
  EventLoopThreadImpl() : thread_([this] { loop_.run(); }) {}
  EventLoopThreadImpl(const EventLoopThreadImpl&) = delete;
  EventLoopThreadImpl& operator=(const EventLoopThreadImpl&) = delete;

  // Must not run on the loop's own thread (it would join itself): that is a programming error
  // and terminates, as std::thread::join would.
  ~EventLoopThreadImpl() { join(); }

  TimePoint now() const noexcept { return loop_.now(); }

  // After shutdown (join() or destruction) these return an empty Subscription and drop the action.
  template <class F>
  Subscription schedule(F&& action) {
    return loop_.schedule(std::forward<F>(action));
  }
  template <class F>
  Subscription schedule_at(TimePoint due, F&& action) {
    return loop_.schedule_at(due, std::forward<F>(action));
  }
  template <class F>
  Subscription schedule_after(Duration delay, F&& action) {
    return loop_.schedule_after(delay, std::forward<F>(action));
  }
  // See RunLoop::schedule_rearming.
  template <class F>
  Subscription schedule_rearming(TimePoint due, F&& action) {
    return loop_.schedule_rearming(due, std::forward<F>(action));
  }

  // Shuts the loop down (actions already due still run, later ones are dropped) and waits for
  // the thread. Idempotent.
  void join() {
    std::lock_guard lock(join_mutex_);  // two threads may race to join
    if (!thread_.joinable()) return;
    if (is_current_thread()) std::terminate();
    loop_.shutdown();
    thread_.join();
  }

  bool is_current_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }
  std::thread::id thread_id() const noexcept { return thread_.get_id(); }
  std::size_t pending() const { return loop_.pending(); }

 private:
  RunLoopImpl<V> loop_;
  std::mutex join_mutex_;
  std::thread thread_;  // declared last: starts after loop_ exists
};

}  // namespace detail

class EventLoopThread : public detail::EventLoopThreadImpl<> {};

static_assert(Scheduler<EventLoopThread>);

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
