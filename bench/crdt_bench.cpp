// Conflict-resolution benchmarks, each beside a hand-written baseline doing the same work.
#include <rxsync/crdt/sets.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/models/chat_thread.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using IntClock = rxsync::VectorClock<std::uint64_t>;
using Pairs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// Same actors (10, 20, ...), counters interleaved so that neither clock dominates.
std::pair<IntClock, IntClock> concurrent_clocks(std::size_t n) {
  IntClock a, b;
  for (std::uint64_t i = 0; i < n; ++i) {
    a.advance((i + 1) * 10, i % 2 == 0 ? 5 + i : 3 + i);
    b.advance((i + 1) * 10, i % 2 == 0 ? 3 + i : 5 + i);
  }
  return {a, b};
}
Pairs as_pairs(const IntClock& c) { return Pairs(c.entries().begin(), c.entries().end()); }

void BM_VectorClockMerge(benchmark::State& state) {
  const auto [a, b] = concurrent_clocks(static_cast<std::size_t>(state.range(0)));
  IntClock c = a;
  for (auto _ : state) {
    c = a;  // reuses c's buffer
    c.merge(b);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_VectorClockMerge)->Arg(16);

// Pointwise max of two sorted vectors into a reused output vector.
void BM_Baseline_SortedVectorMax(benchmark::State& state) {
  const auto [ca, cb] = concurrent_clocks(static_cast<std::size_t>(state.range(0)));
  const Pairs a = as_pairs(ca), b = as_pairs(cb);
  Pairs out;
  out.reserve(a.size() + b.size());
  for (auto _ : state) {
    out.clear();
    auto x = a.begin();
    auto y = b.begin();
    while (x != a.end() && y != b.end()) {
      if (x->first < y->first) {
        out.push_back(*x++);
      } else if (y->first < x->first) {
        out.push_back(*y++);
      } else {
        out.emplace_back(x->first, std::max(x->second, y->second));
        ++x;
        ++y;
      }
    }
    out.insert(out.end(), x, a.end());
    out.insert(out.end(), y, b.end());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Baseline_SortedVectorMax)->Arg(16);

// Worst case for compare: equal except the last actor, so the whole clock is walked.
std::pair<IntClock, IntClock> almost_equal_clocks(std::size_t n) {
  IntClock a, b;
  for (std::uint64_t i = 0; i < n; ++i) {
    a.advance((i + 1) * 10, i + 1);
    b.advance((i + 1) * 10, i + 1 + (i + 1 == n ? 1 : 0));
  }
  return {a, b};
}

void BM_VectorClockCompare(benchmark::State& state) {
  const auto [a, b] = almost_equal_clocks(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(a.compare(b));
}
BENCHMARK(BM_VectorClockCompare)->Arg(4)->Arg(16)->Arg(64);

void BM_Baseline_SortedVectorCompare(benchmark::State& state) {
  const auto [ca, cb] = almost_equal_clocks(static_cast<std::size_t>(state.range(0)));
  const Pairs a = as_pairs(ca), b = as_pairs(cb);
  for (auto _ : state) {
    bool less = false, greater = false;
    for (std::size_t i = 0; i < a.size(); ++i) {  // same actors: a plain zip
      less |= a[i].second < b[i].second;
      greater |= b[i].second < a[i].second;
    }
    benchmark::DoNotOptimize(less);
    benchmark::DoNotOptimize(greater);
  }
}
BENCHMARK(BM_Baseline_SortedVectorCompare)->Arg(4)->Arg(16)->Arg(64);

// Two replicas of n elements, half shared, each with a few removals the other has not seen.
std::pair<rxsync::OrSet<std::uint64_t>, rxsync::OrSet<std::uint64_t>> or_sets(std::size_t n) {
  rxsync::OrSet<std::uint64_t> common;
  for (std::uint64_t i = 0; i < n / 2; ++i) common.add("base", i);
  auto a = common, b = common;
  for (std::uint64_t i = n / 2; i < n; ++i) {
    a.add("a", i);
    b.add("b", i + n);
  }
  for (std::uint64_t i = 0; i < n / 20; ++i) {
    a.erase(i);
    b.erase(i + n / 4);
  }
  return {a, b};
}

void BM_OrSetMerge(benchmark::State& state) {
  const auto [a, b] = or_sets(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto c = a;
    c.merge(b);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_OrSetMerge)->Arg(1000);

// The naive alternative: copy one std::set and insert the other (no removals, no causality).
void BM_Baseline_StdSetUnion(benchmark::State& state) {
  const auto [oa, ob] = or_sets(static_cast<std::size_t>(state.range(0)));
  const std::set<std::uint64_t> a = oa.values(), b = ob.values();
  for (auto _ : state) {
    auto c = a;
    c.insert(b.begin(), b.end());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_Baseline_StdSetUnion)->Arg(1000);

// Two threads of n messages sharing 10% (the tail of a, the head of b).
std::pair<std::vector<rxsync::ChatMessage>, std::vector<rxsync::ChatMessage>> threads(
    std::size_t n) {
  std::vector<rxsync::ChatMessage> a, b;
  const std::size_t shared = n / 10;
  const auto message = [](std::size_t i) {
    return rxsync::ChatMessage{"msg-" + std::to_string(i),
                               rxsync::TimePoint{rxsync::Duration{static_cast<std::int64_t>(i)}},
                               "user", "hello"};
  };
  for (std::size_t i = 0; i < n; ++i) a.push_back(message(i));
  for (std::size_t i = n - shared; i < 2 * n - shared; ++i) b.push_back(message(i));
  return {a, b};
}

void BM_MergeSequences(benchmark::State& state) {
  const auto [a, b] = threads(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(rxsync::merge_messages(a, b));
}
BENCHMARK(BM_MergeSequences)->Arg(10000);

// Assumes what merge_sequences does not: both inputs sorted, a shared id at the same position.
void BM_Baseline_MergeSortedUnique(benchmark::State& state) {
  const auto [a, b] = threads(static_cast<std::size_t>(state.range(0)));
  const auto less = [](const rxsync::ChatMessage& x, const rxsync::ChatMessage& y) {
    return x.timestamp != y.timestamp ? x.timestamp < y.timestamp : x.id < y.id;
  };
  for (auto _ : state) {
    std::vector<rxsync::ChatMessage> out;
    out.reserve(a.size() + b.size());
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), less);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Baseline_MergeSortedUnique)->Arg(10000);

}  // namespace
