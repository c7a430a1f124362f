// rxsync/rx/operators/buffer.hpp - collect values into std::vector batches: buffer(count),
// buffer_time(duration, scheduler).
//
// Both emit what they hold when the source completes and drop it on error (RxJS bufferCount /
// bufferTime). buffer_time emits every period, empty batches included, as RxJS does; its timers
// go through the scheduler, which must outlive the subscription, and its state is guarded by a
// mutex so the scheduler may run on another thread.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class Down, class T>
class BufferSink : public ForwardingSink<Down> {
 public:
  BufferSink(Down d, std::size_t n) : ForwardingSink<Down>(std::move(d)), count_(n) {
    buf_.reserve(n);
  }
  void on_next(const T& v) {
    buf_.push_back(v);
    if (buf_.size() == count_) {
      std::vector<T> out = std::move(buf_);
      buf_ = std::vector<T>();
      buf_.reserve(count_);
      this->down_.on_next(out);
    }
  }
  void on_completed() {
    if (!buf_.empty()) {
      std::vector<T> out = std::move(buf_);
      buf_.clear();
      this->down_.on_next(out);
    }
    if (!this->down_.is_disposed()) this->down_.on_completed();
  }

 private:
  std::size_t count_;
  std::vector<T> buf_;
};

template <class O, class T, class S>
struct BufferTimeState : std::enable_shared_from_this<BufferTimeState<O, T, S>> {
  BufferTimeState(O d, S* s, Duration p) : down(std::move(d)), sched(s), period(p) {}

  void start() {
    down.add(Subscription(timer));
    start_time = sched->now();
    schedule_next();
  }
  void schedule_next() {
    auto self = this->shared_from_this();
    ++ticks;
    timer->set(sched->schedule_at(
        detail::add_saturated(start_time,
                              detail::times_saturated(period, static_cast<Duration::rep>(ticks))),
        [self] { self->tick(); }));
  }
  void tick() {
    std::lock_guard lock(mutex);
    if (done || down.is_disposed()) return;
    std::vector<T> out = std::exchange(buf, std::vector<T>());
    down.on_next(out);
    if (!done && !down.is_disposed()) schedule_next();
  }

  std::recursive_mutex mutex;
  O down;
  S* sched;
  Duration period;
  TimePoint start_time{};
  Duration::rep ticks = 0;
  std::vector<T> buf;
  bool done = false;
  std::shared_ptr<SerialSubscription> timer = std::make_shared<SerialSubscription>();
};

template <class State, class T>
class BufferTimeSink {
 public:
  explicit BufferTimeSink(std::shared_ptr<State> s) : st_(std::move(s)) {}
  void on_next(const T& v) {
    std::lock_guard lock(st_->mutex);
    if (!st_->done) st_->buf.push_back(v);
  }
  void on_error(std::exception_ptr e) {
    std::lock_guard lock(st_->mutex);
    if (std::exchange(st_->done, true)) return;
    st_->timer->unsubscribe();
    st_->buf.clear();
    st_->down.on_error(std::move(e));
  }
  void on_completed() {
    std::lock_guard lock(st_->mutex);
    if (std::exchange(st_->done, true)) return;
    st_->timer->unsubscribe();
    std::vector<T> out = std::exchange(st_->buf, std::vector<T>());
    st_->down.on_next(out);
    if (!st_->down.is_disposed()) st_->down.on_completed();
  }
  bool is_disposed() const noexcept { return st_->down.is_disposed(); }
  void add(Subscription s) { st_->down.add(std::move(s)); }

 private:
  std::shared_ptr<State> st_;
};

template <class Src, class S>
struct BufferTimeStrategy {
  Src src;
  S* sched;
  Duration period;
  template <class O>
  void subscribe(O obs) const {
    using T = typename Src::value_type;
    using State = BufferTimeState<O, T, S>;
    auto state = std::make_shared<State>(std::move(obs), sched, period);
    state->start();
    if (!state->down.is_disposed())
      src.subscribe_observer(BufferTimeSink<State, T>(std::move(state)));
  }
};

struct BufferOperator : OperatorBase {
  std::size_t count;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return wrap_observable<std::vector<T>>(std::forward<Src>(src), [n = count]<class O>(O down) {
      return BufferSink<O, T>(std::move(down), n);
    });
  }
};

template <class S>
struct BufferTimeOperator : OperatorBase {
  Duration period;
  S* sched;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using St = BufferTimeStrategy<std::remove_cvref_t<Src>, S>;
    return make_static_observable<std::vector<T>>(St{std::forward<Src>(src), sched, period});
  }
};

}  // namespace detail

namespace ops {

// Emits a std::vector of every `count` values (and the remainder, if any, on completion).
inline detail::BufferOperator buffer(std::size_t count) {
  if (count == 0) throw std::invalid_argument("rxsync::ops::buffer: count must be > 0, got 0");
  return {{}, count};
}

// Emits the values received in each `period` (possibly none) at subscription + k * period.
template <class S>
auto buffer_time(Duration period, S& scheduler) {
  static_assert(check_scheduler<S>());
  if (period <= Duration::zero()) {
    throw std::invalid_argument("rxsync::ops::buffer_time: period must be > 0, got " +
                                std::to_string(period.count()) + "ns");
  }
  if constexpr (!Scheduler<S>) {
    return detail::InvalidOperator{};
  } else {
    return detail::BufferTimeOperator<S>{{}, period, &scheduler};
  }
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
