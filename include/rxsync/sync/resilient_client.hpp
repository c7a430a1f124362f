// rxsync/sync/resilient_client.hpp - asynchronous calls that wait for the network, time out,
// and retry retryable errors with a backoff policy; connectivity as a BehaviorSubject<bool>.
//
// Public calls are thread-safe (one mutex, never held while user code runs). Operations,
// timeouts, retries, probes and on_result callbacks run on the scheduler; an operation's reply
// may come from any thread. The scheduler must outlive the client.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/fwd/sync/resilient_client.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/sync/call_result.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct ResilientClientOptions {
  Duration call_timeout = std::chrono::seconds(10);    // per attempt
  Duration probe_interval = std::chrono::seconds(30);  // while offline, with a probe set
  std::size_t max_queued = 1000;  // new calls waiting for the network; more fail with queue_full
  bool start_online = true;
  std::function<bool(const CallError&)> is_retryable;  // empty: default_is_retryable
};

struct ResilientClientStats {
  std::uint64_t calls = 0;  // accepted by call(), rejected ones included
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;   // final errors (permanent, retries exhausted, cancelled)
  std::uint64_t retries = 0;  // attempts after the first
  std::uint64_t timeouts = 0;
  std::uint64_t rejected = 0;      // queue_full (also counted in failed)
  std::uint64_t late_replies = 0;  // replies after a timeout, or a second reply: ignored
  std::uint64_t probes = 0;
};

inline void validate_resilient_client_options(const ResilientClientOptions& o) {
  if (o.call_timeout <= Duration::zero()) {
    throw std::invalid_argument("ResilientClientOptions.call_timeout must be > 0, got " +
                                detail::duration_text(o.call_timeout));
  }
  if (o.probe_interval <= Duration::zero()) {
    throw std::invalid_argument("ResilientClientOptions.probe_interval must be > 0, got " +
                                detail::duration_text(o.probe_interval));
  }
  if (o.max_queued == 0) {
    throw std::invalid_argument("ResilientClientOptions.max_queued must be >= 1, got 0");
  }
}

namespace detail {
template <class B>
B default_client_backoff() {  // 1, 2, 5, 10, 30 s
  using std::chrono::seconds;
  if constexpr (std::is_same_v<B, FixedDelays>) {
    return FixedDelays({seconds(1), seconds(2), seconds(5), seconds(10), seconds(30)});
  } else {
    return B{};
  }
}
}  // namespace detail

// Runs asynchronous calls so that a flaky network costs waiting, never lost calls. Public calls
// are thread-safe; operations, timeouts, retries and on_result run on the scheduler.
// Default template arguments: in <rxsync/fwd/sync/resilient_client.hpp>.
template <class Sched, class Backoff>
class ResilientClient {
  static_assert(check_scheduler<Sched>());
  static_assert(check_backoff_policy<Backoff>());

 public:
  // probe(done): check connectivity, then done(true) if the server is reachable.
  using ProbeFn = std::function<void(std::function<void(bool)>)>;

  explicit ResilientClient(Sched& scheduler, ResilientClientOptions options = {},
                           Backoff backoff = detail::default_client_backoff<Backoff>())
      : core_(std::make_shared<Core>(scheduler, checked(std::move(options)), std::move(backoff))) {}
  ResilientClient(const ResilientClient&) = delete;
  ResilientClient& operator=(const ResilientClient&) = delete;
  // Unresolved calls get a `cancelled` error (on this thread); late replies are ignored.
  ~ResilientClient() { core_->shutdown(); }

  // operation(done) starts the request and calls done(CallResult<T>) once, from any thread.
  // on_result(CallResult<T>) runs once on the scheduler with the value or the final error. T is
  // deduced from on_result when it is not a generic lambda. Returns the call's id.
  template <class T = detail::DeduceCallResult, class Op, class OnResult>
  std::uint64_t call(Op operation, OnResult on_result) {
    using V = detail::CallValueType<T, OnResult>;
    static_assert(std::is_invocable_v<Op&, std::function<void(CallResult<V>)>>,
                  "rxsync: ResilientClient::call's operation must be callable as "
                  "op(std::function<void(CallResult<T>)> done)");
    static_assert(std::is_invocable_v<OnResult&, CallResult<V>>,
                  "rxsync: ResilientClient::call's on_result must be callable with CallResult<T>");
    auto c = std::make_shared<CallImpl<V>>(std::move(operation), std::move(on_result));
    return core_->submit(std::move(c));
  }

  Observable<bool> online() const { return core_->online_subject.as_observable(); }
  bool is_online() const { return core_->is_online(); }
  // The platform's connectivity signal. Going online starts every waiting call in FIFO order.
  void set_online(bool online) { core_->set_online(online); }
  // Probed every probe_interval while offline; a success sets the client online.
  void set_probe(ProbeFn probe) { core_->set_probe(std::move(probe)); }

  std::size_t pending() const { return core_->count(false); }  // calls without a final result
  std::size_t waiting() const { return core_->count(true); }   // of those, parked for the network
  ResilientClientStats stats() const { return core_->stats_snapshot(); }

 private:
  static ResilientClientOptions checked(ResilientClientOptions o) {
    validate_resilient_client_options(o);
    if (!o.is_retryable) o.is_retryable = default_is_retryable;
    return o;
  }

  struct Core;
  enum class State { launching, parked, in_flight, waiting_retry, done };

  struct CallBase : std::enable_shared_from_this<CallBase> {
    virtual ~CallBase() = default;
    // Runs the operation; its reply is handed to core->settle on the scheduler.
    virtual void invoke(const std::shared_ptr<Core>& core, std::uint64_t attempt) = 0;
    virtual void fail(CallError e) = 0;

    std::uint64_t id = 0;
    std::uint64_t attempts = 0;  // started so far; the last one is the one whose reply counts
    State state = State::launching;
    std::optional<Backoff> backoff;
    Subscription timer;  // timeout or retry delay
    // The latest attempt whose operation has handed over a reply (from any thread). An
    // exception the operation throws after that does not override the reply.
    std::atomic<std::uint64_t> replied_attempt{0};
  };

  template <class V>
  struct CallImpl final : CallBase {
    CallImpl(std::function<void(std::function<void(CallResult<V>)>)> o,
             std::function<void(CallResult<V>)> r)
        : op(std::move(o)), on_result(std::move(r)) {}

    void invoke(const std::shared_ptr<Core>& core, std::uint64_t attempt) override {
      auto self = std::static_pointer_cast<CallImpl>(this->shared_from_this());
      std::weak_ptr<Core> weak = core;
      // A second reply, or one after a timeout, finds the attempt settled and is counted late.
      op([weak, self, attempt](CallResult<V> r) {
        self->replied_attempt.store(attempt, std::memory_order_release);
        if (auto c = weak.lock())
          c->sched.schedule([weak, self, attempt, r = std::move(r)]() mutable {
            auto c2 = weak.lock();
            if (!c2) return;
            std::optional<CallError> err;
            if (!r.ok()) err = r.error();
            c2->settle(
                self, attempt, std::move(err), [&] { self->on_result(std::move(r)); }, false);
          });
      });
    }
    void fail(CallError e) override { on_result(CallResult<V>(std::move(e))); }

    std::function<void(std::function<void(CallResult<V>)>)> op;
    std::function<void(CallResult<V>)> on_result;
  };

  struct Core : std::enable_shared_from_this<Core> {
    Core(Sched& s, ResilientClientOptions o, Backoff b)
        : sched(s),
          options(std::move(o)),
          backoff(std::move(b)),
          online_subject(options.start_online),
          online(options.start_online) {}

    std::uint64_t submit(std::shared_ptr<CallBase> c) {
      bool reject = false;
      {
        std::lock_guard lock(mutex);
        c->id = ++next_id;
        ++stats.calls;
        if (!online && parked_new >= options.max_queued) {
          reject = true;
          ++stats.rejected;
          c->state = State::done;
          live.emplace(c->id, c);  // unresolved until the rejection runs, so shutdown() sees it
        } else {
          c->backoff.emplace(backoff);
          c->backoff->reset();
          live.emplace(c->id, c);
          online ? launch_locked(c) : park_locked(c);
        }
      }
      if (reject) {
        // Reported on the scheduler like every result, unless the client is destroyed first:
        // then shutdown() has already told on_result `cancelled`, and its state may be gone.
        sched.schedule([weak = this->weak_from_this(), c, n = std::to_string(options.max_queued)] {
          auto self = weak.lock();
          if (!self) return;
          {
            std::lock_guard lock(self->mutex);
            if (self->live.erase(c->id) == 0) return;
            ++self->stats.failed;
          }
          c->fail({CallErrorKind::queue_full, 0,
                   "ResilientClient queue is full (max_queued = " + n + " calls waiting)"});
        });
      }
      return c->id;
    }

    void launch_locked(const std::shared_ptr<CallBase>& c) {
      c->state = State::launching;
      sched.schedule([weak = this->weak_from_this(), c] {
        if (auto self = weak.lock()) self->run_attempt(c);
      });
    }
    void park_locked(const std::shared_ptr<CallBase>& c) {
      c->state = State::parked;
      parked.emplace(c->id, c);
      if (c->attempts == 0) ++parked_new;
    }

    void run_attempt(const std::shared_ptr<CallBase>& c) {
      std::uint64_t attempt = 0;
      {
        std::lock_guard lock(mutex);
        if (c->state != State::launching && c->state != State::waiting_retry) return;
        if (!online) {
          park_locked(c);
          return;
        }
        if (c->attempts > 0) ++stats.retries;
        attempt = ++c->attempts;
        c->state = State::in_flight;
        c->timer =
            sched.schedule_after(options.call_timeout, [weak = this->weak_from_this(), c, attempt] {
              if (auto self = weak.lock())
                self->settle(c, attempt, self->timeout_error(), [] {}, true);
            });
      }
      try {
        c->invoke(this->shared_from_this(), attempt);
      } catch (...) {
        if (c->replied_attempt.load(std::memory_order_acquire) == attempt) return;
        settle(
            c, attempt, CallError::from_exception(std::current_exception(), "operation threw: "),
            [] {}, false);
      }
    }

    CallError timeout_error() const {
      return CallError::timeout("no reply within " + detail::duration_text(options.call_timeout));
    }
    // The one place an attempt ends: success, timeout or error.
    template <class DeliverOk>
    void settle(const std::shared_ptr<CallBase>& c, std::uint64_t attempt,
                std::optional<CallError> err, DeliverOk&& deliver_ok, bool timed_out) {
      const bool retryable = err && options.is_retryable(*err);  // user code: outside the lock
      {
        std::lock_guard lock(mutex);
        if (c->state != State::in_flight || c->attempts != attempt) {
          if (!timed_out) ++stats.late_replies;  // e.g. a reply after its attempt timed out
          return;
        }
        if (timed_out) ++stats.timeouts;
        c->timer.unsubscribe();
        if (err && retryable) {
          if (!online) {
            park_locked(c);  // the network is down: wait for it without spending a retry delay
            return;
          }
          if (auto delay = c->backoff->next_delay()) {
            c->state = State::waiting_retry;
            c->timer = sched.schedule_after(*delay, [weak = this->weak_from_this(), c] {
              if (auto self = weak.lock()) self->run_attempt(c);
            });
            return;
          }
        }
        c->state = State::done;
        live.erase(c->id);
        ++(err ? stats.failed : stats.succeeded);
      }
      if (err) {
        c->fail(std::move(*err));
      } else {
        deliver_ok();
      }
    }

    bool is_online() const {
      std::lock_guard lock(mutex);
      return online;
    }

    // With `in_epoch`, only if the state has not changed since then (a probe's answer).
    void set_online(bool value, std::optional<std::uint64_t> in_epoch = std::nullopt) {
      std::lock_guard signal(signal_mutex);  // keeps emissions in the order of the changes
      {
        std::lock_guard lock(mutex);
        if (online == value || (in_epoch && *in_epoch != epoch)) return;
        online = value;
        ++epoch;
        cancel_probe_locked();
        if (value) {
          for (auto& [id, c] : parked) launch_locked(c);
          parked.clear();
          parked_new = 0;
        } else {
          arm_probe_locked();
        }
      }
      online_subject.on_next(value);
    }

    void set_probe(ProbeFn fn) {
      std::lock_guard lock(mutex);
      probe = fn ? std::make_shared<ProbeFn>(std::move(fn)) : nullptr;
      cancel_probe_locked();
      if (!online) arm_probe_locked();
    }

    void cancel_probe_locked() {
      probe_timer.unsubscribe();
      ++probe_gen;
    }
    void arm_probe_locked() {
      if (!probe) return;
      probe_timer = sched.schedule_after(options.probe_interval,
                                         [weak = this->weak_from_this(), gen = ++probe_gen] {
                                           if (auto self = weak.lock()) self->run_probe(gen);
                                         });
    }

    void run_probe(std::uint64_t gen) {
      std::shared_ptr<ProbeFn> fn;
      std::uint64_t e = 0;
      {
        std::lock_guard lock(mutex);
        if (online || !probe || gen != probe_gen) return;  // cancelled as it started
        ++stats.probes;
        fn = probe;
        e = epoch;
        arm_probe_locked();  // the next probe does not wait for this one's answer
      }
      (*fn)([weak = this->weak_from_this(), e](bool reachable) {
        if (auto self = weak.lock(); self && reachable) self->set_online(true, e);
      });
    }

    std::size_t count(bool parked_only) const {
      std::lock_guard lock(mutex);
      return parked_only ? parked.size() : live.size();
    }
    ResilientClientStats stats_snapshot() const {
      std::lock_guard lock(mutex);
      return stats;
    }

    void shutdown() {
      std::vector<std::shared_ptr<CallBase>> orphans;
      {
        std::lock_guard lock(mutex);
        cancel_probe_locked();
        for (auto& [id, c] : live) {
          c->timer.unsubscribe();
          c->state = State::done;
          orphans.push_back(c);
          ++stats.failed;
        }
        live.clear();
        parked.clear();
        parked_new = 0;
      }
      for (auto& c : orphans)
        c->fail(CallError{CallErrorKind::cancelled, 0, "ResilientClient destroyed"});
    }

    Sched& sched;
    const ResilientClientOptions options;
    const Backoff backoff;  // each call starts from a copy
    BehaviorSubject<bool, Synchronized> online_subject;

    std::recursive_mutex signal_mutex;
    mutable std::mutex mutex;
    bool online;
    std::uint64_t epoch = 0;  // changes of the online state, to drop stale probe answers
    std::uint64_t next_id = 0;
    std::map<std::uint64_t, std::shared_ptr<CallBase>> live;  // unresolved calls by id
    std::map<std::uint64_t, std::shared_ptr<CallBase>>
        parked;                  // waiting for the network, FIFO by id
    std::size_t parked_new = 0;  // parked calls that never ran (what max_queued bounds)
    std::shared_ptr<ProbeFn> probe;
    Subscription probe_timer;
    std::uint64_t probe_gen = 0;
    ResilientClientStats stats;
  };

  std::shared_ptr<Core> core_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
