// rxsync/resilience/task_queue.hpp - a bounded priority work queue with load shedding.
//
// The seeds' adaptive queue as a reusable type: four priorities, a cap on tasks running at once,
// a cap on tasks waiting, shedding of low-priority work when full, and a queue timeout, all on
// an injected Scheduler (tasks start through scheduler.schedule, timeouts use its clock).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/function.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class Priority { critical = 0, high = 1, normal = 2, low = 3 };

inline const char* to_string(Priority p) noexcept {
  switch (p) {
    case Priority::critical:
      return "critical";
    case Priority::high:
      return "high";
    case Priority::normal:
      return "normal";
    case Priority::low:
      return "low";
  }
  return "?";
}

struct TaskQueueOptions {
  std::size_t max_concurrent = 4;                     // tasks running at once (>= 1)
  std::size_t max_queue_size = 1000;                  // tasks waiting (>= 1)
  Duration queue_timeout = std::chrono::seconds(30);  // longest wait before starting; 0 = none
};

enum class TaskQueueErrc { shed, queue_full, timed_out, stopped };

// The error a task's callback receives when the queue did not run it.
class TaskQueueError : public std::runtime_error {
 public:
  TaskQueueError(TaskQueueErrc code, const std::string& what)
      : std::runtime_error(what), code_(code) {}
  TaskQueueErrc code() const noexcept { return code_; }

 private:
  TaskQueueErrc code_;
};

struct TaskQueueStats {
  std::size_t queued = 0;   // waiting now
  std::size_t running = 0;  // started and not finished now
  std::uint64_t submitted = 0;
  std::uint64_t completed = 0;  // finished without error
  std::uint64_t failed = 0;     // finished with an error
  std::uint64_t shed = 0;       // refused or dropped for room (shed and queue_full)
  std::uint64_t timed_out = 0;
  std::uint64_t escalated = 0;  // normal submitted while full, queued as high
};

// Tells the queue that a task finished (pass an exception for a failure). Copyable; only the
// first call counts; may be called from any thread.
class TaskDone {
 public:
  void operator()(std::exception_ptr error = nullptr) const {
    if (owner_) finish_(owner_, slot_, generation_, std::move(error));
  }

 private:
  template <class>
  friend class TaskQueue;
  using Finish = void (*)(const std::shared_ptr<void>&, std::size_t, std::uint64_t,
                          std::exception_ptr);
  TaskDone(std::shared_ptr<void> owner, std::size_t slot, std::uint64_t generation, Finish f)
      : owner_(std::move(owner)), slot_(slot), generation_(generation), finish_(f) {}
  std::shared_ptr<void> owner_;
  std::size_t slot_;
  std::uint64_t generation_;  // which use of the slot this is: a second call finds it moved on
  Finish finish_;
};

// When full: a low task is shed; a normal task is escalated to high; a task
// then takes the place of the newest queued task of the lowest original priority below its own
// (which is shed), or is refused with queue_full. A task waiting longer than queue_timeout fails
// with timed_out. Every task's on_done is called exactly once (nullptr = success). Thread-safe;
// callbacks run outside the queue's lock, on the thread that caused them. on_done should not
// throw; if one does, the queue still tells every other task and moves on, and the exception
// reaches whoever caused the call (submit, stop, TaskDone, or the scheduler's run).
template <class Sched>
class TaskQueue {
  static_assert(check_scheduler<Sched>());

 public:
  using Task = MoveOnlyFunction<void(TaskDone)>;
  using OnDone = MoveOnlyFunction<void(std::exception_ptr)>;

  explicit TaskQueue(Sched& scheduler, TaskQueueOptions options = {})
      : state_(std::make_shared<State>(scheduler, options)) {
    if (options.max_concurrent == 0) {
      throw std::invalid_argument("TaskQueueOptions.max_concurrent must be >= 1, got 0");
    }
    if (options.max_queue_size == 0) {
      throw std::invalid_argument("TaskQueueOptions.max_queue_size must be >= 1, got 0");
    }
    if (options.queue_timeout < Duration::zero()) {
      throw std::invalid_argument("TaskQueueOptions.queue_timeout must be >= 0, got " +
                                  detail::duration_text(options.queue_timeout));
    }
  }
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;
  // Fails what is still queued with `stopped`; running tasks may still call their TaskDone.
  // Every on_done is called; an exception one throws here is discarded (a destructor cannot
  // report it).
  ~TaskQueue() {
    try {
      stop();
    } catch (...) {
    }
  }

  // Queues an asynchronous task: it receives a TaskDone to call when finished. Returns false if
  // it was refused at once (on_done has then already been called with the error).
  bool submit(Priority priority, Task task, OnDone on_done) {
    if (static_cast<unsigned>(priority) > static_cast<unsigned>(Priority::low)) {
      throw std::invalid_argument(
          "TaskQueue::submit: priority must be critical, high, normal or "
          "low, got " +
          std::to_string(static_cast<int>(priority)));
    }
    return state_->submit(state_, priority, std::move(task), std::move(on_done));
  }
  // Queues a synchronous function: returning is success, throwing is failure.
  template <class F>
  bool submit_fn(Priority priority, F fn, OnDone on_done) {
    return submit(
        priority,
        [fn = std::move(fn)](TaskDone done) mutable {
          fn();
          done();
        },
        std::move(on_done));
  }

  // Fails every queued task with `stopped` and refuses later submissions the same way.
  void stop() { state_->stop(); }
  TaskQueueStats stats() const {
    std::lock_guard lock(state_->mutex);
    TaskQueueStats s = state_->stats;
    s.queued = state_->queued;
    s.running = state_->running;
    return s;
  }

 private:
  struct Item {
    Task task;
    OnDone on_done;
    Priority original;
    TimePoint deadline;
    std::uint64_t seq;
  };
  using Failure = std::pair<OnDone, std::exception_ptr>;

  struct State {
    State(Sched& s, TaskQueueOptions o) : sched(s), opt(o) {}
    Sched& sched;
    TaskQueueOptions opt;
    std::mutex mutex;
    std::array<std::deque<Item>, 4> levels;
    std::size_t queued = 0;
    std::size_t running = 0;
    // Running tasks by slot, so TaskDone and the scheduled action carry only an index (and the
    // action fits the scheduler's small buffer).
    struct Running {
      Task task;
      OnDone on_done;
      std::uint64_t generation = 0;  // bumped when the slot's task finishes
    };
    std::vector<Running> running_slots;
    std::vector<std::size_t> free_slots;
    TaskQueueStats stats;
    bool stopped = false;
    std::uint64_t next_seq = 0;
    std::optional<TimePoint> timer_at;
    Subscription timer;

    static std::exception_ptr error(TaskQueueErrc c, const std::string& what) {
      return std::make_exception_ptr(TaskQueueError(c, what));
    }

    bool submit(const std::shared_ptr<State>& self, Priority p, Task task, OnDone on_done) {
      std::vector<Failure> failures;
      bool accepted = true;
      {
        std::lock_guard lock(mutex);
        ++stats.submitted;
        const Priority original = p;
        if (stopped) {
          failures.emplace_back(std::move(on_done),
                                error(TaskQueueErrc::stopped, "TaskQueue: stopped"));
          accepted = false;
        } else if (queued >= opt.max_queue_size) {
          if (p == Priority::low) {
            ++stats.shed;
            failures.emplace_back(
                std::move(on_done),
                error(TaskQueueErrc::shed, "TaskQueue: shed low-priority task, queue full (" +
                                               std::to_string(opt.max_queue_size) + ")"));
            accepted = false;
          } else {
            const bool escalate = p == Priority::normal;
            if (escalate) p = Priority::high;
            if (make_room(original, failures)) {
              if (escalate) ++stats.escalated;  // counted only for a task that got in
            } else {
              ++stats.shed;
              failures.emplace_back(
                  std::move(on_done),
                  error(TaskQueueErrc::queue_full, std::string("TaskQueue: queue full (") +
                                                       std::to_string(opt.max_queue_size) +
                                                       "), no lower-priority task to shed for a " +
                                                       to_string(original) + " task"));
              accepted = false;
            }
          }
        }
        if (accepted) {
          const TimePoint deadline = opt.queue_timeout > Duration::zero()
                                         ? detail::add_saturated(sched.now(), opt.queue_timeout)
                                         : TimePoint::max();
          levels[static_cast<std::size_t>(p)].push_back(
              Item{std::move(task), std::move(on_done), original, deadline, next_seq++});
          ++queued;
          arm_timer(self);
        }
      }
      if (accepted) dispatch(self);
      fail_all(failures);
      return accepted;
    }

    // Sheds the newest of the queued tasks with the lowest original priority, if that is below
    // `incoming`. O(queued): only reached when the queue is full.
    bool make_room(Priority incoming, std::vector<Failure>& failures) {
      std::deque<Item>* victim_q = nullptr;
      std::size_t victim_i = 0;
      for (auto& q : levels) {
        for (std::size_t i = 0; i < q.size(); ++i) {
          const Item& it = q[i];
          if (it.original <= incoming) continue;
          if (victim_q == nullptr || it.original > (*victim_q)[victim_i].original ||
              (it.original == (*victim_q)[victim_i].original &&
               it.seq > (*victim_q)[victim_i].seq)) {
            victim_q = &q;
            victim_i = i;
          }
        }
      }
      if (victim_q == nullptr) return false;
      Item& v = (*victim_q)[victim_i];
      ++stats.shed;
      failures.emplace_back(
          std::move(v.on_done),
          error(TaskQueueErrc::shed,
                std::string("TaskQueue: shed queued ") + to_string(v.original) +
                    "-priority task to make room for a " + to_string(incoming) + " task"));
      victim_q->erase(victim_q->begin() + static_cast<std::ptrdiff_t>(victim_i));
      --queued;
      return true;
    }

    void dispatch(const std::shared_ptr<State>& self) {
      for (;;) {
        std::size_t slot = 0;
        {
          std::lock_guard lock(mutex);
          if (stopped || running >= opt.max_concurrent || queued == 0) return;
          for (auto& q : levels) {
            if (q.empty()) continue;
            Item& item = q.front();
            if (free_slots.empty()) {
              slot = running_slots.size();
              running_slots.emplace_back();
            } else {
              slot = free_slots.back();
              free_slots.pop_back();
            }
            running_slots[slot].task = std::move(item.task);
            running_slots[slot].on_done = std::move(item.on_done);
            q.pop_front();
            break;
          }
          --queued;
          ++running;
        }
        sched.schedule([self, slot] { self->start(self, slot); });
      }
    }

    void start(const std::shared_ptr<State>& self, std::size_t slot) {
      Task task;
      std::uint64_t generation;
      {
        std::lock_guard lock(mutex);
        task = std::move(running_slots[slot].task);
        generation = running_slots[slot].generation;
      }
      TaskDone done(self, slot, generation, &State::finish_erased);
      try {
        task(done);
      } catch (...) {
        // Thrown after the task had reported (by its on_done, say): not the task's failure, and
        // not to be swallowed by the already-used TaskDone.
        if (finished(slot, generation)) throw;
        done(std::current_exception());
      }
    }
    bool finished(std::size_t slot, std::uint64_t generation) {
      std::lock_guard lock(mutex);
      return running_slots[slot].generation != generation;
    }

    static void finish_erased(const std::shared_ptr<void>& owner, std::size_t slot,
                              std::uint64_t generation, std::exception_ptr e) {
      auto self = std::static_pointer_cast<State>(owner);
      self->finish(self, slot, generation, std::move(e));
    }
    void finish(const std::shared_ptr<State>& self, std::size_t slot, std::uint64_t generation,
                std::exception_ptr e) {
      OnDone cb;
      {
        std::lock_guard lock(mutex);
        Running& r = running_slots[slot];
        if (r.generation != generation) return;  // this TaskDone was already called
        ++r.generation;
        cb = std::move(r.on_done);
        free_slots.push_back(slot);
        --running;
        ++(e ? stats.failed : stats.completed);
      }
      try {
        if (cb) cb(std::move(e));
      } catch (...) {
        dispatch(self);  // the next task must not wait on a callback's failure
        throw;
      }
      dispatch(self);
    }

    // One timer for the earliest deadline: each level is FIFO with one timeout, so its front
    // has its earliest deadline.
    void arm_timer(const std::shared_ptr<State>& self) {
      std::optional<TimePoint> earliest;
      for (auto& q : levels) {
        if (!q.empty() && q.front().deadline != TimePoint::max() &&
            (!earliest || q.front().deadline < *earliest)) {
          earliest = q.front().deadline;
        }
      }
      if (!earliest || (timer_at && *timer_at <= *earliest)) return;
      timer.unsubscribe();
      timer_at = earliest;
      std::weak_ptr<State> weak = self;
      timer = sched.schedule_at(*earliest, [weak] {
        if (auto s = weak.lock()) s->expire(s);
      });
    }
    void expire(const std::shared_ptr<State>& self) {
      std::vector<Failure> failures;
      {
        std::lock_guard lock(mutex);
        timer_at.reset();
        const TimePoint now = sched.now();
        for (auto& q : levels) {
          while (!q.empty() && q.front().deadline <= now) {
            ++stats.timed_out;
            failures.emplace_back(std::move(q.front().on_done),
                                  error(TaskQueueErrc::timed_out,
                                        std::string("TaskQueue: ") + to_string(q.front().original) +
                                            "-priority task timed out after waiting " +
                                            detail::duration_text(opt.queue_timeout)));
            q.pop_front();
            --queued;
          }
        }
        arm_timer(self);
      }
      fail_all(failures);
    }

    void stop() {
      std::vector<Failure> failures;
      {
        std::lock_guard lock(mutex);
        stopped = true;
        timer.unsubscribe();
        timer_at.reset();
        for (auto& q : levels) {
          for (auto& item : q) {
            failures.emplace_back(std::move(item.on_done),
                                  error(TaskQueueErrc::stopped, "TaskQueue: stopped"));
          }
          q.clear();
        }
        queued = 0;
      }
      fail_all(failures);
    }

    // Calls every callback even if one throws; the first exception is rethrown at the end.
    static void fail_all(std::vector<Failure>& failures) {
      std::exception_ptr first;
      for (auto& [cb, e] : failures) {
        if (!cb) continue;
        try {
          cb(e);
        } catch (...) {
          if (!first) first = std::current_exception();
        }
      }
      if (first) std::rethrow_exception(first);
    }
  };

  std::shared_ptr<State> state_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
