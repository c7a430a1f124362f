// rxsync/resilience/retry.hpp - asynchronous retry with backoff, a deadline and a retry budget.
//
// retry<R>(operation, policy, scheduler, classify, on_done) runs `operation(complete)`; the
// operation reports its result R through `complete`; `classify(result)` says success, retryable
// (optionally with a server's retry-after delay) or permanent. Retries wait on the scheduler.
// A shared RetryBudget (gRPC retry throttling) stops a fleet of calls from causing a retry storm.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class Verdict { success, retryable, permanent };

// What classify() returns. `retry_after` (a server's Retry-After / pushback) replaces the
// policy's delay for the next attempt; the attempt still counts against the policy.
struct Classification {
  Verdict verdict = Verdict::success;
  std::optional<Duration> retry_after;

  static Classification success() { return {Verdict::success, std::nullopt}; }
  static Classification retryable(std::optional<Duration> after = std::nullopt) {
    return {Verdict::retryable, after};
  }
  static Classification permanent() { return {Verdict::permanent, std::nullopt}; }
};

// HTTP-like statuses: 1xx-3xx success; 429 and 5xx retryable (honouring retry_after); other 4xx
// permanent; anything below 100 (e.g. 0 for "no response": a transport error) retryable.
inline Classification classify_http_status(int status, std::optional<Duration> retry_after = {}) {
  if (status == 429 || (status >= 500 && status <= 599) || status < 100) {
    return Classification::retryable(retry_after);
  }
  if (status >= 400) return Classification::permanent();
  return Classification::success();
}

// A classify functor for any response type with an integral `status` member and, optionally, a
// `retry_after` member convertible to std::optional<Duration>.
struct HttpClassifier {
  template <class R>
    requires requires(const R& r) { static_cast<int>(r.status); }
  Classification operator()(const R& r) const {
    if constexpr (requires { std::optional<Duration>(r.retry_after); }) {
      return classify_http_status(static_cast<int>(r.status),
                                  std::optional<Duration>(r.retry_after));
    } else {
      return classify_http_status(static_cast<int>(r.status));
    }
  }
};

// Token bucket shared by every call to one service, as in gRPC retry throttling: each retryable
// failure spends one token, each success refills `token_ratio`; retries are allowed only while
// more than half the bucket is left. Thread-safe (lock-free).
class RetryBudget {
 public:
  explicit RetryBudget(double max_tokens = 10, double token_ratio = 0.1) {
    // The bucket counts milli-tokens, so smaller values would round to nothing.
    if (!(max_tokens >= 0.001 && max_tokens <= 1000)) {
      throw std::invalid_argument("RetryBudget.max_tokens must be in [0.001, 1000], got " +
                                  detail::double_text(max_tokens));
    }
    if (!(token_ratio >= 0.001 && token_ratio <= 1)) {
      throw std::invalid_argument("RetryBudget.token_ratio must be in [0.001, 1], got " +
                                  detail::double_text(token_ratio));
    }
    // Milli-tokens, as gRPC does, so the arithmetic is exact and atomic.
    max_milli_ = static_cast<std::int64_t>(max_tokens * 1000 + 0.5);
    ratio_milli_ = static_cast<std::int64_t>(token_ratio * 1000 + 0.5);
    milli_.store(max_milli_);
  }
  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  void on_failure() noexcept { update(-1000); }
  void on_success() noexcept { update(ratio_milli_); }
  bool allow_retry() const noexcept {
    return milli_.load(std::memory_order_relaxed) * 2 > max_milli_;
  }
  double tokens() const noexcept { return static_cast<double>(milli_.load()) / 1000.0; }
  double max_tokens() const noexcept { return static_cast<double>(max_milli_) / 1000.0; }

 private:
  void update(std::int64_t delta) noexcept {
    std::int64_t cur = milli_.load(std::memory_order_relaxed);
    while (!milli_.compare_exchange_weak(cur, std::clamp<std::int64_t>(cur + delta, 0, max_milli_),
                                         std::memory_order_relaxed)) {
    }
  }
  std::int64_t max_milli_ = 0;
  std::int64_t ratio_milli_ = 0;
  std::atomic<std::int64_t> milli_{0};
};

struct RetryOptions {
  // Total time from the first attempt; a retry that would start later is not made. Attempts in
  // flight are not interrupted (give the operation its own timeout).
  std::optional<Duration> deadline;
  RetryBudget* budget = nullptr;  // optional, shared; must outlive the call
};

// Why a retry sequence ended.
enum class RetryStop { succeeded, permanent, exhausted, deadline, throttled };

struct RetryReport {
  RetryStop stop = RetryStop::succeeded;
  std::size_t attempts = 0;  // operation calls, the first included
  Duration elapsed{0};       // scheduler time from the first attempt to the last result
};

namespace detail {

template <class R, class Op, class Policy, class Sched, class Classify, class Done>
class RetryCall
    : public std::enable_shared_from_this<RetryCall<R, Op, Policy, Sched, Classify, Done>> {
 public:
  RetryCall(Op op, Policy policy, Sched& sched, Classify classify, Done done, RetryOptions opts)
      : op_(std::move(op)),
        policy_(std::move(policy)),
        sched_(sched),
        classify_(std::move(classify)),
        done_(std::move(done)),
        opts_(opts) {}

  void start() {
    start_ = sched_.now();
    attempt();
  }

  void cancel() {
    Subscription timer;
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      timer = timer_;
    }
    timer.unsubscribe();
  }

 private:
  // The completion handed to the operation. Copyable; only its first call counts.
  struct Complete {
    std::shared_ptr<RetryCall> call;
    std::size_t attempt;
    void operator()(R result) const { call->on_result(attempt, std::move(result)); }
  };

  void attempt() {
    std::size_t n;
    {
      std::lock_guard lock(mutex_);
      if (finished_) return;
      n = ++attempts_;
    }
    op_(Complete{this->shared_from_this(), n});
  }

  void on_result(std::size_t attempt, R result) {
    const Classification c = classify_(std::as_const(result));
    std::optional<RetryStop> stop;
    Duration delay{0};
    {
      std::lock_guard lock(mutex_);
      if (finished_ || attempt != attempts_ || reported_ == attempt) return;
      reported_ = attempt;
      if (c.verdict == Verdict::success) {
        if (opts_.budget != nullptr) opts_.budget->on_success();
        stop = RetryStop::succeeded;
      } else if (c.verdict == Verdict::permanent) {
        stop = RetryStop::permanent;
      } else {
        if (opts_.budget != nullptr) opts_.budget->on_failure();
        const auto next = policy_.next_delay();  // counts the attempt even if the server says when
        if (!next) {
          stop = RetryStop::exhausted;
        } else if (opts_.budget != nullptr && !opts_.budget->allow_retry()) {
          stop = RetryStop::throttled;
        } else {
          delay = c.retry_after ? std::max(*c.retry_after, Duration::zero()) : *next;
          if (opts_.deadline && detail::add_saturated(sched_.now(), delay) >
                                    detail::add_saturated(start_, *opts_.deadline)) {
            stop = RetryStop::deadline;
          }
        }
      }
      if (stop) finished_ = true;
    }
    if (stop) {
      done_(std::move(result), RetryReport{*stop, attempt, sched_.now() - start_});
      return;
    }
    auto self = this->shared_from_this();
    Subscription timer = sched_.schedule_after(delay, [self] { self->attempt(); });
    std::lock_guard lock(mutex_);
    timer_ = std::move(timer);
  }

  Op op_;
  Policy policy_;
  Sched& sched_;
  Classify classify_;
  Done done_;
  RetryOptions opts_;
  std::mutex mutex_;
  TimePoint start_{};
  std::size_t attempts_ = 0;
  std::size_t reported_ = 0;
  bool finished_ = false;
  Subscription timer_;
};

}  // namespace detail

// Runs `operation(complete)` and retries it on the scheduler until classify() says success or
// permanent, the policy runs out, the deadline would pass, or the budget is below half. Calls
// `on_done(last_result, RetryReport)` exactly once, unless the returned Subscription is
// unsubscribed first (then never). The policy is copied, so each call starts a fresh sequence.
// The operation must report failures through `complete` (an exception thrown by it propagates
// to the caller of retry() or of the scheduler). Later calls of a stale `complete` are ignored.
// Thread-safe: `complete` may be called from any thread.
template <class R, class Op, class Policy, class Sched, class Classify, class Done>
Subscription retry(Op operation, Policy policy, Sched& scheduler, Classify classify, Done on_done,
                   RetryOptions options = {}) {
  static_assert(check_backoff_policy<Policy>());
  static_assert(check_scheduler<Sched>());
  static_assert(std::is_invocable_r_v<Classification, Classify&, const R&>,
                "rxsync::retry: classify must be callable as Classification(const R&)");
  static_assert(std::is_invocable_v<Done&, R, RetryReport>,
                "rxsync::retry: on_done must be callable as void(R, RetryReport)");
  if (options.deadline && *options.deadline < Duration::zero()) {
    throw std::invalid_argument("RetryOptions.deadline must be >= 0, got " +
                                detail::duration_text(*options.deadline));
  }
  policy.reset();
  using Call = detail::RetryCall<R, Op, Policy, Sched, Classify, Done>;
  auto call = std::make_shared<Call>(std::move(operation), std::move(policy), scheduler,
                                     std::move(classify), std::move(on_done), options);
  Subscription handle = Subscription::create([call] { call->cancel(); });
  call->start();
  return handle;
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
