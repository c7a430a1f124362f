// rxsync/rx/detail/serial_emitter.hpp - serializes an operator's calls to its downstream
// without holding a lock while the downstream runs (internal).
//
// A timed operator is fed from two sides, its source and its scheduler (which may run on another
// thread), and the Rx contract says the calls it makes downstream never overlap. Holding the
// operator's mutex across the downstream call would serialize them, but a downstream that waits
// for another thread feeding the same chain would then deadlock, and a downstream that feeds the
// chain itself would need a recursive mutex and be called back depth-first in the middle of its
// own call. Instead, every event is queued under the operator's mutex, so the queue's order is
// the order of the operator's decisions, and whoever finds nobody delivering becomes the
// deliverer: it releases the mutex, calls downstream, and takes whatever was queued meanwhile,
// until the queue is empty. A call that finds a delivery in progress (from another thread, or
// re-entrant from inside the downstream) only queues and returns; the delivering frame sends
// its events after the current downstream call returns.
//
// The mutex also guards the operator's own state: SerialEmitter::Lock is the operator's lock
// guard. Its destructor unlocks, then cancels what cancel_after() collected (cancelling a
// scheduler action runs code that must not run under the lock), then delivers.
#pragma once

#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <rxsync/core/subscription.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

struct CompletedEvent {};

// The address of a thread_local is distinct for every running thread: it identifies the
// delivering thread without std::thread::id, whose header is costly to parse.
inline const void* current_thread_token() noexcept {
  static thread_local const char token = 0;
  return &token;
}

// A step the deliverer runs after the events queued before it have been delivered, without the
// lock: e.g. throttle opens its window only once its leading value's downstream call returned.
struct DeferredStep {
  void (*run)(void*);
  void* context;
};

template <class T, class Down>
class SerialEmitter {
  using Event = std::variant<T, std::exception_ptr, CompletedEvent, DeferredStep>;

 public:
  explicit SerialEmitter(Down down) : down_(std::move(down)) {}
  SerialEmitter(const SerialEmitter&) = delete;
  SerialEmitter& operator=(const SerialEmitter&) = delete;

  class Lock {
   public:
    explicit Lock(SerialEmitter& emitter) : em_(&emitter) { em_->mutex_.lock(); }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    [[gnu::always_inline]] ~Lock() {
      // Most calls only update state: keep that path small enough to inline.
      if ((em_->draining_ || em_->queue_.empty()) && !em_->cancel_) {
        em_->mutex_.unlock();
      } else {
        em_->release();
      }
    }

    // A terminal event was queued, or close() was called: later events are dropped.
    bool ended() const noexcept { return em_->ended_; }
    // The calling thread is the one delivering: this call comes from inside the downstream.
    bool reentrant() const noexcept {
      return em_->draining_ && em_->drainer_ == current_thread_token();
    }

    void next(T v) {
      if (!em_->ended_) em_->queue_.emplace_back(std::in_place_index<0>, std::move(v));
    }
    void error(std::exception_ptr e) {
      if (std::exchange(em_->ended_, true)) return;
      em_->queue_.emplace_back(std::in_place_index<1>, std::move(e));
    }
    void complete() {
      if (std::exchange(em_->ended_, true)) return;
      em_->queue_.emplace_back(std::in_place_index<2>);
    }
    // Ends the emitter without an event (the subscriber went away).
    void close() noexcept { em_->ended_ = true; }
    // `run(context)` runs on the delivering thread, in queue order, once the downstream has
    // returned from the events queued before it. Skipped once the downstream is disposed.
    void then(void (*run)(void*), void* context) {
      if (!em_->ended_)
        em_->queue_.emplace_back(std::in_place_index<3>, DeferredStep{run, context});
    }
    // Leaves what is queued for a later deliver_reserved() call instead of delivering it when
    // this lock is released; events queued until then join it. True when the caller must make
    // that call (nobody was delivering or had reserved).
    bool reserve() noexcept { return !std::exchange(em_->draining_, true); }

    // Cancels `s` once the lock is released (at most one per lock: an operator has one timer).
    void cancel_after(Subscription s) noexcept {
      if (s.is_subscribed()) {
        em_->cancel_ = std::move(s);
      }
    }

   private:
    SerialEmitter* em_;
  };

  Lock lock() { return Lock(*this); }

  // Delivers what a Lock::reserve() that returned true kept back.
  void deliver_reserved() {
    std::unique_lock<std::mutex> lock(mutex_);
    drain(lock);
  }

  // Thread-safe members of the downstream sink.
  bool is_disposed() const noexcept { return down_.is_disposed(); }
  void add(Subscription s) { down_.add(std::move(s)); }

 private:
  // With the lock held; returns with it released. Kept out of line so that ~Lock()'s common
  // path inlines into every operator call.
  [[gnu::noinline]] void release() {
    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    const bool deliver = !draining_ && !queue_.empty();
    if (deliver) draining_ = true;
    if (cancel_) {
      const Subscription cancel = std::exchange(cancel_, std::nullopt).value();
      lock.unlock();
      cancel.unsubscribe();
      if (!deliver) return;
      lock.lock();
    }
    if (deliver) {
      drain(lock);
    } else {
      lock.unlock();
    }
  }

  // With the lock held and draining_ owned by the caller; returns with the lock released.
  void drain(std::unique_lock<std::mutex>& lock) {
    drainer_ = current_thread_token();
    struct Unwind {  // a throwing downstream must not leave the emitter stuck "draining"
      SerialEmitter* self;
      std::unique_lock<std::mutex>* lock;
      bool done = false;
      ~Unwind() {
        if (done) return;
        if (!lock->owns_lock()) lock->lock();
        self->batch_.clear();
        self->draining_ = false;
        self->drainer_ = nullptr;
      }
    } unwind{this, &lock};
    while (!queue_.empty()) {
      batch_.swap(queue_);
      lock.unlock();
      for (auto& ev : batch_) {
        if (down_.is_disposed()) break;
        dispatch(ev);
      }
      batch_.clear();  // outside the lock: destroys the delivered values
      lock.lock();
    }
    draining_ = false;
    drainer_ = nullptr;
    unwind.done = true;
    lock.unlock();
  }

  void dispatch(Event& ev) {
    switch (ev.index()) {
      case 0:
        down_.on_next(std::get<0>(ev));
        break;
      case 1:
        down_.on_error(std::get<1>(ev));
        break;
      case 2:
        down_.on_completed();
        break;
      default: {
        const DeferredStep step = std::get<3>(ev);
        step.run(step.context);
      }
    }
  }

  std::mutex mutex_;
  Down down_;
  std::vector<Event> queue_;            // guarded by mutex_
  std::vector<Event> batch_;            // owned by the deliverer
  std::optional<Subscription> cancel_;  // guarded by mutex_: set by cancel_after()
  bool draining_ = false;               // guarded by mutex_
  bool ended_ = false;                  // guarded by mutex_
  const void* drainer_ = nullptr;       // guarded by mutex_
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
