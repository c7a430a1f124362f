// rxsync/resilience/resource_pool.hpp - a bounded pool of expensive resources (connections).
//
// The seeds' connection pool as a template: a Factory creates, validates and destroys resources;
// the pool keeps between min_size and max_size of them, hands them out as RAII leases, queues
// acquirers first-come first-served with a timeout, and destroys idle ones above min_size after
// idle_timeout. Timers run on an injected Scheduler.
#pragma once

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

// create() may throw (the acquirer gets the exception); validate() says whether a resource may
// be handed out; destroy() releases it. Calls are serialised by the pool.
template <class F, class T>
concept ResourceFactory = requires(F& f, T& r) {
  { f.create() } -> std::convertible_to<T>;
  { f.validate(r) } -> std::convertible_to<bool>;
  f.destroy(r);
};

struct ResourcePoolOptions {
  std::size_t min_size = 0;  // created at construction and kept through idle timeouts
  std::size_t max_size = 8;  // >= 1, >= min_size
  Duration acquire_timeout = std::chrono::seconds(30);  // waiting acquirers fail after this; > 0
  Duration idle_timeout = std::chrono::minutes(5);      // idle resources above min_size; 0 = never
};

enum class PoolErrc { timeout, closed };

class PoolError : public std::runtime_error {
 public:
  PoolError(PoolErrc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  PoolErrc code() const noexcept { return code_; }

 private:
  PoolErrc code_;
};

struct ResourcePoolStats {
  std::size_t total = 0;  // alive: idle + leased + being created or validated
  std::size_t idle = 0;
  std::size_t waiting = 0;  // queued acquirers
  std::uint64_t created = 0;
  std::uint64_t destroyed = 0;
  std::uint64_t invalid = 0;  // failed validation
  std::uint64_t factory_failures = 0;
  std::uint64_t timeouts = 0;
};

// Thread-safe. Callbacks run outside the pool's lock on the thread that made the resource
// available (an acquirer, a returning lease, or the scheduler for timeouts). Leases may outlive
// the pool: a resource returned after close() is destroyed.
template <class T, class Factory>
class ResourcePool {
  static_assert(ResourceFactory<Factory, T>,
                "rxsync: ResourcePool's Factory needs `T create()`, `bool validate(T&)` and "
                "`void destroy(T&)`");
  struct State;

 public:
  // Owns one resource while alive and returns it to the pool when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept
        : state_(std::move(o.state_)), value_(std::move(o.value_)), broken_(o.broken_) {
      o.value_.reset();
    }
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        give_back();
        state_ = std::move(o.state_);
        value_ = std::move(o.value_);
        broken_ = o.broken_;
        o.value_.reset();
      }
      return *this;
    }
    ~Lease() { give_back(); }

    explicit operator bool() const noexcept { return value_.has_value(); }
    T& operator*() { return *value_; }
    T* operator->() { return &*value_; }
    // Marks the resource broken: it is destroyed instead of returned.
    void invalidate() noexcept { broken_ = true; }
    // Returns the resource now.
    void reset() { give_back(); }

   private:
    friend class ResourcePool;
    Lease(std::shared_ptr<State> s, T v) : state_(std::move(s)), value_(std::move(v)) {}
    void give_back() {
      if (value_ && state_) State::give_back(state_, std::move(*value_), broken_);
      value_.reset();
      state_.reset();
    }
    std::shared_ptr<State> state_;
    std::optional<T> value_;
    bool broken_ = false;
  };

  using Callback = MoveOnlyFunction<void(Lease, std::exception_ptr)>;

  template <class Sched>
  ResourcePool(Sched& scheduler, Factory factory, ResourcePoolOptions options = {})
      : state_(std::make_shared<State>(std::move(factory), options)) {
    static_assert(check_scheduler<Sched>());
    const auto& o = options;
    if (o.max_size == 0)
      throw std::invalid_argument("ResourcePoolOptions.max_size must be >= 1, got 0");
    if (o.min_size > o.max_size) {
      throw std::invalid_argument("ResourcePoolOptions.min_size must be <= max_size (" +
                                  std::to_string(o.max_size) + "), got " +
                                  std::to_string(o.min_size));
    }
    if (o.acquire_timeout <= Duration::zero()) {
      throw std::invalid_argument("ResourcePoolOptions.acquire_timeout must be > 0, got " +
                                  detail::duration_text(o.acquire_timeout));
    }
    if (o.idle_timeout < Duration::zero()) {
      throw std::invalid_argument("ResourcePoolOptions.idle_timeout must be >= 0, got " +
                                  detail::duration_text(o.idle_timeout));
    }
    state_->sched = &scheduler;
    state_->now = [](void* s) { return static_cast<Sched*>(s)->now(); };
    state_->schedule_at = [](void* s, TimePoint t, MoveOnlyFunction<void()> f) {
      return static_cast<Sched*>(s)->schedule_at(t, std::move(f));
    };
    try {
      for (std::size_t i = 0; i < o.min_size; ++i) {
        T v = state_->factory.create();
        std::lock_guard lock(state_->mutex);
        ++state_->total;
        ++state_->stats.created;
        state_->idle.push_back(Idle{std::move(v), state_->now(state_->sched)});
      }
    } catch (...) {
      close();  // destroys what was created
      throw;
    }
  }
  ResourcePool(const ResourcePool&) = delete;
  ResourcePool& operator=(const ResourcePool&) = delete;
  ~ResourcePool() { close(); }

  // Calls `cb(lease, nullptr)` once a resource is available (maybe at once, on this thread), or
  // `cb({}, error)`: the factory's exception, PoolError timeout, or PoolError closed.
  void acquire(Callback cb) { State::acquire(state_, std::move(cb)); }

  // A lease now if one is idle or may be created (factory exceptions propagate); never waits.
  std::optional<Lease> try_acquire() { return State::try_acquire(state_); }

  // Fails waiting acquirers with `closed`, destroys idle resources; leased ones are destroyed
  // when returned. Later acquires fail with `closed`.
  void close() { State::close(state_); }

  ResourcePoolStats stats() const {
    std::lock_guard lock(state_->mutex);
    ResourcePoolStats s = state_->stats;
    s.total = state_->total;
    s.idle = state_->idle.size();
    s.waiting = state_->waiters.size();
    return s;
  }

 private:
  struct Idle {
    T value;
    TimePoint since;
  };
  struct Waiter {
    std::uint64_t id;
    Callback cb;
    Subscription timer;
    TimePoint deadline;
  };

  struct State {
    State(Factory f, ResourcePoolOptions o) : factory(std::move(f)), opt(o) {}
    Factory factory;
    ResourcePoolOptions opt;
    void* sched = nullptr;
    TimePoint (*now)(void*) = nullptr;
    Subscription (*schedule_at)(void*, TimePoint, MoveOnlyFunction<void()>) = nullptr;

    std::mutex mutex;          // pool state
    std::mutex factory_mutex;  // serialises factory calls (taken without `mutex` held)
    std::deque<Idle> idle;     // back = most recently returned (reused first)
    std::deque<Waiter> waiters;
    std::size_t total = 0;
    std::size_t serving = 0;  // waiters taken off the queue, resource not yet obtained
    bool closed = false;
    std::uint64_t next_waiter = 0;
    std::optional<TimePoint> idle_timer_at;
    Subscription idle_timer;
    ResourcePoolStats stats;

    static std::exception_ptr error(PoolErrc c, const std::string& w) {
      return std::make_exception_ptr(PoolError(c, w));
    }

    bool valid(T& v) {
      std::lock_guard lock(factory_mutex);
      return factory.validate(v);
    }
    // The slot is given back even if the factory's destroy throws (the exception propagates).
    void destroy(T& v) {
      struct Release {
        State* s;
        ~Release() {
          std::lock_guard lock(s->mutex);
          --s->total;
          ++s->stats.destroyed;
        }
      } release{this};
      std::lock_guard lock(factory_mutex);
      factory.destroy(v);
    }

    void done_serving() {
      std::lock_guard lock(mutex);
      --serving;
    }
    void discard_invalid(T& v) {
      {
        std::lock_guard lock(mutex);
        ++stats.invalid;
      }
      destroy(v);
    }

    // Gets a resource for one acquirer without waiting: an idle one that validates, or a new
    // one if there is room. nullopt when none (a caller may then wait). Factory errors throw.
    static std::optional<T> obtain(const std::shared_ptr<State>& s) {
      for (;;) {
        std::optional<T> v;
        {
          std::lock_guard lock(s->mutex);
          if (s->closed) throw PoolError(PoolErrc::closed, "ResourcePool: closed");
          if (!s->idle.empty()) {
            v.emplace(std::move(s->idle.back().value));
            s->idle.pop_back();
          } else if (s->total < s->opt.max_size) {
            ++s->total;  // reserve the slot while creating
          } else {
            return std::nullopt;
          }
        }
        if (v) {
          bool ok = false;
          try {
            ok = s->valid(*v);
          } catch (...) {  // reported to this acquirer like a factory failure
            s->discard_invalid(*v);
            throw;
          }
          if (ok) return v;
          s->discard_invalid(*v);
          continue;
        }
        try {
          std::lock_guard lock(s->factory_mutex);
          v.emplace(s->factory.create());
        } catch (...) {
          std::lock_guard lock(s->mutex);
          --s->total;
          ++s->stats.factory_failures;
          throw;
        }
        std::lock_guard lock(s->mutex);
        ++s->stats.created;
        return v;
      }
    }

    static std::optional<Lease> try_acquire(const std::shared_ptr<State>& s) {
      if (auto v = obtain(s)) return Lease(s, std::move(*v));
      return std::nullopt;
    }

    static void acquire(const std::shared_ptr<State>& s, Callback cb) {
      {
        // First come, first served: a newcomer may not overtake queued acquirers, nor one that
        // serve_waiters has taken off the queue and is getting a resource for.
        std::lock_guard lock(s->mutex);
        if ((!s->waiters.empty() || s->serving > 0) && !s->closed) {
          enqueue(s, std::move(cb), detail::add_saturated(s->now(s->sched), s->opt.acquire_timeout),
                  false);
          return;
        }
      }
      std::optional<T> v;
      try {
        v = obtain(s);
      } catch (...) {
        cb(Lease(), std::current_exception());
        return;
      }
      if (v) {
        cb(Lease(s, std::move(*v)), nullptr);
        return;
      }
      bool kick = false;
      {
        std::lock_guard lock(s->mutex);
        enqueue(s, std::move(cb), detail::add_saturated(s->now(s->sched), s->opt.acquire_timeout),
                false);
        // A lease may have come back between obtain() and enqueue(), finding nobody waiting.
        kick = !s->idle.empty() || s->total < s->opt.max_size;
      }
      if (kick) serve_waiters(s);
    }

    // Caller holds s->mutex.
    static void enqueue(const std::shared_ptr<State>& s, Callback cb, TimePoint deadline,
                        bool front) {
      const std::uint64_t id = s->next_waiter++;
      Subscription timer = s->schedule_at(s->sched, deadline, [w = std::weak_ptr<State>(s), id] {
        if (auto p = w.lock()) p->timeout(id);
      });
      Waiter w{id, std::move(cb), std::move(timer), deadline};
      if (front) {
        s->waiters.push_front(std::move(w));
      } else {
        s->waiters.push_back(std::move(w));
      }
    }

    void timeout(std::uint64_t id) {
      Callback cb;
      {
        std::lock_guard lock(mutex);
        for (auto it = waiters.begin(); it != waiters.end(); ++it) {
          if (it->id == id) {
            cb = std::move(it->cb);
            waiters.erase(it);
            ++stats.timeouts;
            break;
          }
        }
      }
      if (cb) {
        cb(Lease(), error(PoolErrc::timeout, "ResourcePool: acquire timed out after " +
                                                 detail::duration_text(opt.acquire_timeout)));
      }
    }

    // Hands resources to queued acquirers in order while any can be had.
    static void serve_waiters(const std::shared_ptr<State>& s) {
      for (;;) {
        Callback cb;
        TimePoint deadline;
        {
          std::lock_guard lock(s->mutex);
          if (s->waiters.empty() || s->closed) return;
          if (s->idle.empty() && s->total >= s->opt.max_size) return;
          deadline = s->waiters.front().deadline;
          cb = std::move(s->waiters.front().cb);
          s->waiters.front().timer.unsubscribe();
          s->waiters.pop_front();
          ++s->serving;
        }
        std::optional<T> v;
        try {
          v = obtain(s);
        } catch (...) {
          s->done_serving();
          cb(Lease(), std::current_exception());
          continue;
        }
        if (!v) {
          // try_acquire (which does not queue) took it first: back to the head of the line.
          std::lock_guard lock(s->mutex);
          --s->serving;
          enqueue(s, std::move(cb), deadline, true);
          return;
        }
        s->done_serving();
        cb(Lease(s, std::move(*v)), nullptr);
      }
    }

    static void give_back(const std::shared_ptr<State>& s, T v, bool broken) {
      bool drop = broken;
      {
        std::lock_guard lock(s->mutex);
        if (s->closed) drop = true;
        if (!drop) {
          s->idle.push_back(Idle{std::move(v), s->now(s->sched)});
          s->arm_idle_timer(s);
        }
      }
      if (drop) s->destroy(v);
      serve_waiters(s);
    }

    // Caller holds `mutex`. `leaving` resources are about to be destroyed.
    void arm_idle_timer(const std::shared_ptr<State>& self, std::size_t leaving = 0) {
      if (opt.idle_timeout == Duration::zero() || idle.empty() || total - leaving <= opt.min_size)
        return;
      const TimePoint due = detail::add_saturated(idle.front().since, opt.idle_timeout);
      if (idle_timer_at && *idle_timer_at <= due) return;
      idle_timer.unsubscribe();
      idle_timer_at = due;
      idle_timer = schedule_at(sched, due, [w = std::weak_ptr<State>(self)] {
        if (auto p = w.lock()) p->expire_idle(p);
      });
    }
    void expire_idle(const std::shared_ptr<State>& self) {
      std::vector<T> doomed;
      {
        std::lock_guard lock(mutex);
        idle_timer_at.reset();
        const TimePoint t = now(sched);
        std::size_t keep_total = total;
        while (!idle.empty() && keep_total > opt.min_size &&
               detail::add_saturated(idle.front().since, opt.idle_timeout) <= t) {
          doomed.push_back(std::move(idle.front().value));
          idle.pop_front();
          --keep_total;
        }
        arm_idle_timer(self, doomed.size());
      }
      for (auto& v : doomed) destroy(v);
    }

    static void close(const std::shared_ptr<State>& s) {
      std::deque<Waiter> waiting;
      std::deque<Idle> idle_now;
      {
        std::lock_guard lock(s->mutex);
        if (s->closed) return;
        s->closed = true;
        waiting.swap(s->waiters);
        idle_now.swap(s->idle);
        s->idle_timer.unsubscribe();
      }
      for (auto& w : waiting) {
        w.timer.unsubscribe();
        w.cb(Lease(), error(PoolErrc::closed, "ResourcePool: closed"));
      }
      for (auto& i : idle_now) s->destroy(i.value);
    }
  };

  std::shared_ptr<State> state_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
