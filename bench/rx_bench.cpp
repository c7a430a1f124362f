// Reactive layer benchmarks, each beside a hand-written baseline doing the same work, so a
// single run gives the ratios (docs/performance.md has the targets).
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <numeric>
#include <optional>
#include <span>
#include <vector>

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

namespace {

using namespace std::chrono_literals;

std::vector<int> make_data() {
  std::vector<int> data(1024);
  std::iota(data.begin(), data.end(), 0);
  return data;
}

inline int map_fn(int x) { return x * 3 + 1; }
inline bool filter_fn(int x) { return x % 2 == 0; }
// The operators get lambdas (as user code does), so the call is resolved at compile time.
constexpr auto map_op = [](int x) { return map_fn(x); };
constexpr auto filter_op = [](int x) { return filter_fn(x); };

// ---- fan-out: one on_next to N observers --------------------------------------------------

void BM_SubjectFanout(benchmark::State& state) {
  rxsync::PublishSubject<int> subject;
  std::vector<std::int64_t> sinks(static_cast<std::size_t>(state.range(0)));
  std::vector<rxsync::Subscription> subs;
  for (auto& sink : sinks) subs.push_back(subject.subscribe([&sink](int v) { sink += v; }));
  int i = 0;
  for (auto _ : state) subject.on_next(++i);
  benchmark::DoNotOptimize(sinks.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SubjectFanout)->Arg(100);

void BM_Baseline_FunctionFanout(benchmark::State& state) {
  std::vector<std::int64_t> sinks(static_cast<std::size_t>(state.range(0)));
  std::vector<std::function<void(int)>> observers;
  for (auto& sink : sinks) observers.emplace_back([&sink](int v) { sink += v; });
  int i = 0;
  for (auto _ : state) {
    ++i;
    for (auto& f : observers) f(i);
  }
  benchmark::DoNotOptimize(sinks.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Baseline_FunctionFanout)->Arg(100);

// ---- fan-out: 100 values to 100 observers --------------------------------------------------

void BM_SubjectFanout100x100(benchmark::State& state) {
  rxsync::PublishSubject<int> subject;
  std::vector<std::int64_t> sinks(100);
  std::vector<rxsync::Subscription> subs;
  for (auto& sink : sinks) subs.push_back(subject.subscribe([&sink](int v) { sink += v; }));
  for (auto _ : state) {
    for (int v = 0; v < 100; ++v) subject.on_next(v);
  }
  benchmark::DoNotOptimize(sinks.data());
  state.SetItemsProcessed(state.iterations() * 100 * 100);
}
BENCHMARK(BM_SubjectFanout100x100);

void BM_Baseline_FunctionFanout100x100(benchmark::State& state) {
  std::vector<std::int64_t> sinks(100);
  std::vector<std::function<void(int)>> observers;
  for (auto& sink : sinks) observers.emplace_back([&sink](int v) { sink += v; });
  for (auto _ : state) {
    for (int v = 0; v < 100; ++v) {
      for (auto& f : observers) f(v);
    }
  }
  benchmark::DoNotOptimize(sinks.data());
  state.SetItemsProcessed(state.iterations() * 100 * 100);
}
BENCHMARK(BM_Baseline_FunctionFanout100x100);

// ---- building and subscribing a short synchronous chain ------------------------------------
// just of 7 chars | take_while | filter | map | subscribe, built anew each time; the chars come
// from a value the compiler cannot see in each iteration, so neither side folds to a constant.

void BM_ShortChain(benchmark::State& state) {
  const char base = 'a';
  for (auto _ : state) {
    int sum = 0;
    char b = base;
    benchmark::DoNotOptimize(b);  // every iteration does the work
    (rxsync::just(b, char(b + 1), char(b + 2), char(b + 3), char(b + 4), char(b + 5), char(b + 6)) |
     rxsync::ops::take_while([b](char c) { return c != b + 5; }) |
     rxsync::ops::filter([b](char c) { return c != b + 1; }) | rxsync::ops::map([b](char c) {
       return c - b;
     })).subscribe([&sum](int v) { sum += v; });
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_ShortChain);

void BM_Baseline_ShortChainLoop(benchmark::State& state) {
  const char base = 'a';
  for (auto _ : state) {
    int sum = 0;
    char b = base;
    benchmark::DoNotOptimize(b);  // every iteration does the work
    const std::array<char, 7> chars{b,           char(b + 1), char(b + 2), char(b + 3),
                                    char(b + 4), char(b + 5), char(b + 6)};
    for (char c : chars) {
      if (c == b + 5) break;
      if (c == b + 1) continue;
      sum += c - b;
    }
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_Baseline_ShortChainLoop);

// ---- 1024 ints through map then filter, summed ---------------------------------------------

void BM_StaticChain_MapFilter(benchmark::State& state) {
  const auto data = make_data();
  auto chain = rxsync::from(std::span<const int>(data)) | rxsync::ops::map(map_op) |
               rxsync::ops::filter(filter_op);
  for (auto _ : state) {
    std::int64_t sum = 0;
    chain.subscribe([&sum](int v) { sum += v; });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_StaticChain_MapFilter);

void BM_ErasedChain_MapFilter(benchmark::State& state) {
  const auto data = make_data();
  rxsync::Observable<int> chain = rxsync::from(std::span<const int>(data)) |
                                  rxsync::ops::map(map_op) | rxsync::ops::filter(filter_op);
  for (auto _ : state) {
    std::int64_t sum = 0;
    chain.subscribe([&sum](int v) { sum += v; });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_ErasedChain_MapFilter);

void BM_Baseline_Loop_MapFilter(benchmark::State& state) {
  const auto data = make_data();
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (int x : data) {
      const int y = map_fn(x);
      if (filter_fn(y)) sum += y;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_Baseline_Loop_MapFilter);

// ---- subscription costs ----------------------------------------------------------------------

void BM_SubjectSubscribe(benchmark::State& state) {
  std::int64_t sink = 0;
  for (auto _ : state) {
    rxsync::PublishSubject<int> subject;
    for (std::int64_t i = 0; i < state.range(0); ++i)
      subject.subscribe([&sink](int v) { sink += v; });
    subject.on_next(1);
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_SubjectSubscribe)->Arg(100);

void BM_Baseline_FunctionSubscribe(benchmark::State& state) {
  std::int64_t sink = 0;
  for (auto _ : state) {
    std::vector<std::function<void(int)>> observers;
    for (std::int64_t i = 0; i < state.range(0); ++i)
      observers.emplace_back([&sink](int v) { sink += v; });
    for (auto& f : observers) f(1);
    benchmark::DoNotOptimize(observers.data());
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_Baseline_FunctionSubscribe)->Arg(100);

void BM_SubjectOnNext(benchmark::State& state) {
  rxsync::PublishSubject<int> subject;
  std::int64_t sink = 0;
  for (std::int64_t i = 0; i < state.range(0); ++i)
    subject.subscribe([&sink](int v) { sink += v; });
  int i = 0;
  for (auto _ : state) subject.on_next(++i);
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_SubjectOnNext)->Arg(1);

void BM_Baseline_FunctionOnNext(benchmark::State& state) {
  std::int64_t sink = 0;
  std::function<void(int)> f = [&sink](int v) { sink += v; };
  benchmark::DoNotOptimize(&f);
  int i = 0;
  for (auto _ : state) {
    f(++i);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_Baseline_FunctionOnNext);

void BM_SubscribeUnsubscribe(benchmark::State& state) {
  rxsync::PublishSubject<int> subject;
  std::int64_t sink = 0;
  for (auto _ : state) {
    auto sub = subject.subscribe([&sink](int v) { sink += v; });
    sub.unsubscribe();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_SubscribeUnsubscribe);

void BM_Baseline_FunctionAddRemove(benchmark::State& state) {
  std::int64_t sink = 0;
  std::vector<std::shared_ptr<std::function<void(int)>>> observers;
  for (auto _ : state) {
    observers.push_back(std::make_shared<std::function<void(int)>>([&sink](int v) { sink += v; }));
    observers.pop_back();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_Baseline_FunctionAddRemove);

// ---- debounce: 1M events, each restarting the quiet period, in virtual time ------------------

constexpr int kDebounceEvents = 1'000'000;

void BM_DebounceVirtualTime(benchmark::State& state) {
  for (auto _ : state) {
    rxsync::VirtualTimeScheduler vts;
    rxsync::PublishSubject<int> subject;
    std::int64_t last = 0;
    auto sub = (subject | rxsync::ops::debounce(10us, vts)).subscribe([&last](int v) { last = v; });
    for (int i = 0; i < kDebounceEvents; ++i) {
      subject.on_next(i);
      vts.advance_by(1us);
    }
    vts.advance_by(1ms);
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(state.iterations() * kDebounceEvents);
}
BENCHMARK(BM_DebounceVirtualTime)->Unit(benchmark::kMillisecond);

void BM_Baseline_DebounceLoop(benchmark::State& state) {
  for (auto _ : state) {
    std::int64_t now = 0;
    std::int64_t last = 0;
    std::optional<int> pending;
    std::int64_t due = 0;
    for (int i = 0; i < kDebounceEvents; ++i) {
      pending = i;  // each event restarts the quiet period, as debounce's timer does
      due = now + 10'000;
      now += 1'000;
      benchmark::DoNotOptimize(pending);
      benchmark::DoNotOptimize(due);
      if (pending && due <= now) {
        last = *pending;
        pending.reset();
      }
    }
    if (pending) last = *pending;
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(state.iterations() * kDebounceEvents);
}
BENCHMARK(BM_Baseline_DebounceLoop)->Unit(benchmark::kMillisecond);

// ---- debounce on a real-time RunLoop --------------------------------------------------------
//
// The events come from the loop thread itself, as input events reach a UI or network event loop:
// each loop action emits a chunk of values and queues the next chunk, so the debounce timer runs
// on the same thread, between chunks, whenever its deadline has passed (about every 20 us of
// real time, i.e. every few hundred values). Emitting from another thread instead would mostly
// measure the two threads taking turns on the cache lines, and the hand-written baseline would
// need the same locks to be the same work. Each run ends when the loop is idle: the last value
// has been emitted 20 us after it was sent.
constexpr int kRunLoopChunk = 1000;
constexpr auto kRunLoopQuiet = 20us;

// Sends 0 .. kDebounceEvents - 1 through send() from the loop's own thread, kRunLoopChunk values
// per loop action, and runs the loop until nothing is left: the same driver for the case and its
// baseline.
template <class Send>
void feed_from_loop(rxsync::RunLoop& loop, Send send) {
  int next = 0;
  std::function<void()> chunk = [&] {
    for (int k = 0; k < kRunLoopChunk; ++k) send(next++);
    if (next < kDebounceEvents) loop.schedule(chunk);
  };
  loop.schedule(chunk);
  loop.run_until_idle();
}

void BM_DebounceRunLoop(benchmark::State& state) {
  for (auto _ : state) {
    rxsync::RunLoop loop;
    rxsync::PublishSubject<int> subject;
    std::int64_t last = -1;
    auto sub = (subject | rxsync::ops::debounce(kRunLoopQuiet, loop)).subscribe([&last](int v) {
      last = v;
    });
    feed_from_loop(loop, [&](int v) { subject.on_next(v); });
    if (last != kDebounceEvents - 1) state.SkipWithError("the last value was not emitted");
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(state.iterations() * kDebounceEvents);
}
BENCHMARK(BM_DebounceRunLoop)->Unit(benchmark::kMillisecond);

// The same timeline written by hand on the same loop: each value stores itself and the clock;
// one timer, armed by the first value of a burst, re-arms for the rest of the quiet period
// when it runs early (RxJS debounceTime's algorithm, without subject, operator or lock).
void BM_Baseline_DebounceRunLoop(benchmark::State& state) {
  for (auto _ : state) {
    rxsync::RunLoop loop;
    std::int64_t last = -1;
    std::optional<int> pending;
    rxsync::TimePoint last_time{};
    bool armed = false;
    std::function<void()> fire = [&] {
      const rxsync::TimePoint due = last_time + kRunLoopQuiet;
      if (loop.now() < due) {
        loop.schedule_at(due, fire);
        return;
      }
      armed = false;
      last = *pending;
      pending.reset();
    };
    auto on_value = [&](int v) {
      pending = v;
      last_time = loop.now();
      if (!armed) {
        armed = true;
        loop.schedule_at(last_time + kRunLoopQuiet, fire);
      }
    };
    feed_from_loop(loop, on_value);
    if (last != kDebounceEvents - 1) state.SkipWithError("the last value was not emitted");
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(state.iterations() * kDebounceEvents);
}
BENCHMARK(BM_Baseline_DebounceRunLoop)->Unit(benchmark::kMillisecond);

}  // namespace
