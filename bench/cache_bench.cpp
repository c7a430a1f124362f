// Cache benchmarks: LruCache against the hand-written equivalents on the same keys.
#include <rxsync/cache/lru_cache.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <list>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t kEntries = 64 * 1024;

// A fixed random visiting order over the 64k present keys, shared by both get benchmarks.
const std::vector<std::uint64_t>& lookup_order() {
  static const std::vector<std::uint64_t> order = [] {
    std::vector<std::uint64_t> v(1 << 20);
    std::mt19937_64 rng(42);
    for (auto& k : v) k = rng() % kEntries;
    return v;
  }();
  return order;
}

void BM_LruGetHit(benchmark::State& state) {
  rxsync::LruCache<std::uint64_t, std::uint64_t> cache(kEntries);
  for (std::uint64_t k = 0; k < kEntries; ++k) cache.put(k, k * 3);
  const auto& order = lookup_order();
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint64_t* v = cache.get(order[i]);
    benchmark::DoNotOptimize(v);
    i = (i + 1) & (order.size() - 1);
  }
}
BENCHMARK(BM_LruGetHit);

void BM_Baseline_UnorderedMapFind(benchmark::State& state) {
  std::unordered_map<std::uint64_t, std::uint64_t> map;
  for (std::uint64_t k = 0; k < kEntries; ++k) map.emplace(k, k * 3);
  const auto& order = lookup_order();
  std::size_t i = 0;
  for (auto _ : state) {
    auto it = map.find(order[i]);
    benchmark::DoNotOptimize(it);
    i = (i + 1) & (order.size() - 1);
  }
}
BENCHMARK(BM_Baseline_UnorderedMapFind);

// Every put inserts a new key into a full cache, evicting the least recent.
void BM_LruPutEvict(benchmark::State& state) {
  rxsync::LruCache<std::uint64_t, std::uint64_t> cache(kEntries);
  std::uint64_t k = 0;
  for (; k < kEntries; ++k) cache.put(k, k);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.put(k, k));
    ++k;
  }
  state.counters["evictions"] = static_cast<double>(cache.stats().evictions);
}
BENCHMARK(BM_LruPutEvict);

// The textbook LRU: std::list for recency plus std::unordered_map of list iterators.
void BM_Baseline_ListMapPutEvict(benchmark::State& state) {
  std::list<std::pair<std::uint64_t, std::uint64_t>> order;
  std::unordered_map<std::uint64_t, std::list<std::pair<std::uint64_t, std::uint64_t>>::iterator>
      index;
  auto put = [&](std::uint64_t key, std::uint64_t value) {
    if (auto it = index.find(key); it != index.end()) {
      it->second->second = value;
      order.splice(order.begin(), order, it->second);
      return;
    }
    if (order.size() == kEntries) {
      index.erase(order.back().first);
      order.pop_back();
    }
    order.emplace_front(key, value);
    index.emplace(key, order.begin());
  };
  std::uint64_t k = 0;
  for (; k < kEntries; ++k) put(k, k);
  for (auto _ : state) {
    put(k, k);
    benchmark::ClobberMemory();
    ++k;
  }
}
BENCHMARK(BM_Baseline_ListMapPutEvict);

// Zipf(s = 0.99) over 1M keys through a 10k-entry cache, get-or-put: the hit rate is the point.
const std::vector<std::uint64_t>& zipf_keys() {
  static const std::vector<std::uint64_t> keys = [] {
    constexpr std::size_t n = 1'000'000;
    std::vector<double> cdf(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), 0.99);
      cdf[i] = sum;
    }
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0.0, sum);
    std::vector<std::uint64_t> out(1 << 20);
    for (auto& k : out) {
      k = static_cast<std::uint64_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) -
                                     cdf.begin());
    }
    return out;
  }();
  return keys;
}

void BM_LruZipf(benchmark::State& state) {
  rxsync::LruCache<std::uint64_t, std::uint64_t> cache(10'000);
  const auto& keys = zipf_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint64_t k = keys[i];
    if (std::uint64_t* v = cache.get(k)) {
      benchmark::DoNotOptimize(v);
    } else {
      cache.put(k, k);
    }
    i = (i + 1) & (keys.size() - 1);
  }
  state.counters["hit_rate"] = cache.stats().hit_rate();
}
BENCHMARK(BM_LruZipf);

void BM_Baseline_ListMapZipf(benchmark::State& state) {
  constexpr std::size_t cap = 10'000;
  std::list<std::uint64_t> order;
  std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> index;
  const auto& keys = zipf_keys();
  std::size_t i = 0;
  std::uint64_t hits = 0, lookups = 0;
  for (auto _ : state) {
    const std::uint64_t k = keys[i];
    ++lookups;
    if (auto it = index.find(k); it != index.end()) {
      ++hits;
      order.splice(order.begin(), order, it->second);
    } else {
      if (order.size() == cap) {
        index.erase(order.back());
        order.pop_back();
      }
      order.push_front(k);
      index.emplace(k, order.begin());
    }
    i = (i + 1) & (keys.size() - 1);
  }
  state.counters["hit_rate"] =
      lookups == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(lookups);
}
BENCHMARK(BM_Baseline_ListMapZipf);

}  // namespace
