// rxsync/rx/operators/buffer.hpp - collect values into std::vector batches: buffer(count),
// buffer(count, start_every), buffer_time(duration, scheduler), buffer_time(span, scheduler,
// BufferTimeConfig).
//
// All emit what they hold when the source completes and drop it on error (RxJS bufferCount /
// bufferTime). buffer_time emits every period, empty batches included, as RxJS does; its timers
// go through the scheduler, which must outlive the subscription, and its state is guarded by a
// mutex so the scheduler may run on another thread (never held while the downstream runs).
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <limits>
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

// RxJS bufferTime(span, creationInterval, maxBufferSize). Buffers open at the subscription and
// then every creation interval (or, without one, whenever a buffer is emitted), each closing
// `span` after it opened or once it holds max_size values. All spans are equal, so buffers close
// in the order they opened, and the one timer only has to run at the earlier of the next opening
// and the oldest buffer's closing; a full buffer emitted early leaves it armed for a time that is
// then passed over (it re-arms for what is due next).
template <class O, class T, class S>
struct BufferWindowsState : TimedStateBase<BufferWindowsState<O, T, S>, std::vector<T>, O, S> {
  using Base = TimedStateBase<BufferWindowsState, std::vector<T>, O, S>;
  using Token = typename Base::Token;
  BufferWindowsState(O d, S* s, Duration span, std::optional<Duration> creation, std::size_t max)
      : Base(std::move(d), s, span), creation_interval(creation), max_size(max) {}
  struct Window {
    std::vector<T> values;
    TimePoint closes;
  };
  std::optional<Duration> creation_interval;
  std::size_t max_size;
  TimePoint next_opening{};
  std::deque<Window> open;  // oldest first

  void open_window(TimePoint at) {  // under the lock
    open.push_back(Window{{}, add_saturated(at, this->duration)});
  }
  TimePoint next_due() const {  // under the lock; something is always due
    if (!creation_interval) return open.front().closes;
    return open.empty() ? next_opening : std::min(next_opening, open.front().closes);
  }
  void start() {  // before the source is subscribed, as RxJS opens its first buffer
    Base::start();
    Token token = 0;
    TimePoint due;
    {
      auto l = this->em.lock();
      const TimePoint now = this->sched->now();
      if (creation_interval) next_opening = add_saturated(now, *creation_interval);
      open_window(now);
      token = this->timer.arm();
      due = next_due();
    }
    this->arm(token, due);
  }
  std::optional<TimePoint> on_timer(Token token) {
    auto l = this->em.lock();
    if (!this->timer.fire(token)) return std::nullopt;
    const TimePoint now = this->sched->now();
    // An opening due now comes first: RxJS schedules the creation before the first buffer's end.
    // (Which of the two goes first changes no output: an opening emits nothing.)
    while (creation_interval && next_opening <= now) {
      open_window(next_opening);
      next_opening = add_saturated(next_opening, *creation_interval);
    }
    while (!open.empty() && open.front().closes <= now) {
      l.next(std::move(open.front().values));
      open.pop_front();
      if (!creation_interval) open_window(now);
    }
    this->timer.rearm(token);
    return next_due();
  }
  void on_next(const T& v) {
    auto l = this->em.lock();
    if (l.ended()) return;
    std::size_t emitted = 0;
    for (auto it = open.begin(); it != open.end();) {
      it->values.push_back(v);
      if (it->values.size() < max_size) {
        ++it;
        continue;
      }
      l.next(std::move(it->values));
      it = open.erase(it);
      ++emitted;
    }
    // Without a creation interval an emitted buffer is replaced at once (after the value was
    // added to the others, as RxJS iterates over a copy of its buffers).
    if (!creation_interval) {
      const TimePoint now = this->sched->now();
      for (; emitted > 0; --emitted) open_window(now);
    }
  }
  void on_error(std::exception_ptr e) {
    auto l = this->em.lock();
    if (l.ended()) return;
    l.cancel_after(this->timer.disarm());
    open.clear();
    l.error(std::move(e));
  }
  void on_completed() {
    auto l = this->em.lock();
    if (l.ended()) return;
    l.cancel_after(this->timer.disarm());
    for (auto& w : open) l.next(std::move(w.values));
    open.clear();
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
    return plain_wrap_observable<std::vector<T>>(
        std::forward<Src>(src),
        [n = count]<class O>(O down) { return BufferSink<O, T>(std::move(down), n); });
  }
};

struct SlidingBufferOperator : OperatorBase {
  std::size_t count;
  std::size_t every;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    return plain_wrap_observable<std::vector<T>>(
        std::forward<Src>(src), [n = count, e = every]<class O>(O down) {
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

template <class S>
struct BufferWindowsOperator : OperatorBase {
  S* sched;
  Duration span;
  std::optional<Duration> creation_interval;
  std::size_t max_size;
  template <class Src>
  auto operator()(Src&& src) const {
    using T = ValueOf<Src>;
    using St = TimedStrategy<BufferWindowsState, std::remove_cvref_t<Src>, S,
                             std::optional<Duration>, std::size_t>;
    return make_static_observable<std::vector<T>>(
        St{std::forward<Src>(src), sched, span, {creation_interval, max_size}});
  }
};

}  // namespace detail

namespace ops {

// RxJS bufferTime's other arguments: open a buffer every `creation_interval` (unset: a new one
// when one is emitted), and emit a buffer early once it holds `max_size` values.
struct BufferTimeConfig {
  std::optional<Duration> creation_interval;
  std::size_t max_size = std::numeric_limits<std::size_t>::max();
};

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

// RxJS bufferTime(span, creation_interval, max_size): each buffer opens at the subscription, at
// every creation_interval after it or, without one, when the previous buffer is emitted; it is
// emitted `span` after it opened (possibly empty) or as soon as it holds max_size values.
// Buffers may overlap (creation_interval < span) or leave gaps (>). On completion the open ones
// are emitted, oldest first; on error they are dropped. span, creation_interval and max_size
// must be > 0 (std::invalid_argument otherwise).
template <class S>
auto buffer_time(Duration span, S& scheduler, BufferTimeConfig config) {
  static_assert(check_scheduler<S>());
  if (span <= Duration::zero()) {
    throw std::invalid_argument("rxsync::ops::buffer_time: span must be > 0, got " +
                                std::to_string(span.count()) + "ns");
  }
  if (config.creation_interval && *config.creation_interval <= Duration::zero()) {
    throw std::invalid_argument("rxsync::ops::buffer_time: creation_interval must be > 0, got " +
                                std::to_string(config.creation_interval->count()) + "ns");
  }
  if (config.max_size == 0) {
    throw std::invalid_argument("rxsync::ops::buffer_time: max_size must be > 0, got 0");
  }
  if constexpr (!Scheduler<S>) {
    return detail::InvalidOperator{};
  } else {
    return detail::BufferWindowsOperator<S>{
        {}, &scheduler, span, config.creation_interval, config.max_size};
  }
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
