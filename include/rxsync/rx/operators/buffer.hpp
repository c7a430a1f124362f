// rxsync/rx/operators/buffer.hpp - collect values into std::vector batches: buffer(count),
// buffer(count, start_every), buffer_time(duration, scheduler).
//
// Both emit what they hold when the source completes and drop it on error (RxJS bufferCount /
// bufferTime). buffer_time emits every period, empty batches included, as RxJS does; its timers
// go through the scheduler, which must outlive the subscription, and its state is guarded by a
// mutex so the scheduler may run on another thread (never held while the downstream runs).
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/rx/detail/serial_emitter.hpp>
#include <rxsync/rx/detail/timed_operator.hpp>
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

// RxJS bufferCount(size, startBufferEvery): a buffer opens at every `every`-th value; each one
// is emitted once it holds `count` values, and every open one on completion (oldest first).
template <class Down, class T>
class SlidingBufferSink : public ForwardingSink<Down> {
 public:
  SlidingBufferSink(Down d, std::size_t n, std::size_t every)
      : ForwardingSink<Down>(std::move(d)), count_(n), every_(every) {}
  void on_next(const T& v) {
    if (seen_++ % every_ == 0) open_.emplace_back();
    for (auto& b : open_) b.push_back(v);
    // Buffers fill in the order they opened: only the oldest can be full.
    if (!open_.empty() && open_.front().size() >= count_) {
      std::vector<T> out = std::move(open_.front());
      open_.erase(open_.begin());
      this->down_.on_next(out);
    }
  }
  void on_completed() {
    std::vector<std::vector<T>> rest = std::move(open_);
    open_.clear();
    for (auto& b : rest) {
      if (this->down_.is_disposed()) return;
      this->down_.on_next(b);
    }
    if (!this->down_.is_disposed()) this->down_.on_completed();
  }

 private:
  std::size_t count_;
  std::size_t every_;
  std::size_t seen_ = 0;
  std::vector<std::vector<T>> open_;
};

// The periods are absolute (start + k * period), so they do not drift. Each period's action
// is re-armed after the previous batch was delivered, as RxJS starts its next buffer after
// emitting one.
template <class O, class T, class S>
struct BufferTimeState : TimedStateBase<BufferTimeState<O, T, S>, std::vector<T>, O, S> {
  using Base = TimedStateBase<BufferTimeState, std::vector<T>, O, S>;
  using Token = typename Base::Token;
  using Base::Base;
  TimePoint start_time{};
  Duration::rep ticks = 0;
  std::vector<T> buf;

  void start() {
    Base::start();
    Token token;
    TimePoint due;
    {
      auto l = this->em.lock();
      start_time = this->sched->now();
      token = this->timer.arm();
      due = next_tick();
    }
    this->arm(token, due);
  }
  TimePoint next_tick() {  // under the lock
    ++ticks;
    return add_saturated(start_time, times_saturated(this->duration, ticks));
  }
  // Releasing the lock on return delivers the batch; the scheduler re-arms only after that.
  std::optional<TimePoint> on_timer(Token token) {
    auto l = this->em.lock();
    if (!this->timer.fire(token)) return std::nullopt;
    l.next(std::exchange(buf, std::vector<T>()));
    this->timer.rearm(token);
    return next_tick();
  }
  void on_next(const T& v) {
    auto l = this->em.lock();
    if (!l.ended()) buf.push_back(v);
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    l.cancel_after(this->timer.disarm());
    buf.clear();
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    l.cancel_after(this->timer.disarm());
    l.next(std::exchange(buf, std::vector<T>()));
    l.complete();
  }
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
    if (state->em.is_disposed()) return;
    state->start();  // the first period is armed before the source subscribes, as in RxJS
    src.subscribe_observer(StateSink<State, T>(std::move(state)));
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

struct SlidingBufferOperator : OperatorBase {
  std::size_t count;
  std::size_t every;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return wrap_observable<std::vector<T>>(std::forward<Src>(src),
                                           [n = count, e = every]<class O>(O down) {
                                             return SlidingBufferSink<O, T>(std::move(down), n, e);
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

// RxJS bufferCount(count, start_every): a new buffer starts at every `start_every`-th value
// (the first included); each is emitted once it holds `count` values, the unfinished ones on
// completion, oldest first. start_every < count gives overlapping buffers, > count skips values.
inline detail::SlidingBufferOperator buffer(std::size_t count, std::size_t start_every) {
  if (count == 0) throw std::invalid_argument("rxsync::ops::buffer: count must be > 0, got 0");
  if (start_every == 0) {
    throw std::invalid_argument("rxsync::ops::buffer: start_every must be > 0, got 0");
  }
  return {{}, count, start_every};
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
