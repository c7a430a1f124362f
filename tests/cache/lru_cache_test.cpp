#include <rxsync/cache/lru_cache.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rxsync_catch.hpp"

// Counts allocations made while armed, to prove that a get hit never allocates. Replacing the
// global operator new affects this whole test executable, which is harmless: it forwards to malloc.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

namespace {
void* counted_alloc(std::size_t size) noexcept {
  if (g_counting.load(std::memory_order_relaxed))
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// g++ 12 with optimization inlines these into the library code and then flags new[]'s malloc
// meeting delete[]'s free as a mismatch: the pair is exactly right, the warning is not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Every non-aligned form, so that allocation and release always pair up (sanitizers check).
void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_alloc(size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace std::chrono_literals;
using rxsync::CacheTtl;
using rxsync::EvictionReason;
using rxsync::LruCache;
using rxsync::VirtualTimeScheduler;

namespace {
using Event = std::tuple<int, int, EvictionReason>;

template <class C>
std::vector<int> keys_in_order(const C& c) {
  std::vector<int> out;
  for (const auto& kv : c) out.push_back(kv.first);
  return out;
}
}  // namespace

TEST_CASE("LruCache capacity 0 is rejected") {
  REQUIRE_THROWS_WITH((LruCache<int, int>(0)),
                      rxsync_test::contains("LruCache.capacity must be >= 1, got 0"));
  VirtualTimeScheduler s;
  REQUIRE_THROWS_WITH((LruCache<int, int>(2, CacheTtl{-1ns, 0ns}, s)),
                      rxsync_test::contains("CacheTtl durations must be >= 0"));
}

TEST_CASE("LruCache evicts the least recently used and promotes on get and put") {
  LruCache<int, int> c(3);
  std::vector<Event> events;
  c.set_eviction_listener(
      [&](const int& k, int& v, EvictionReason r) { events.emplace_back(k, v, r); });
  c.put(1, 10);
  c.put(2, 20);
  c.put(3, 30);
  CHECK(keys_in_order(c) == std::vector<int>{3, 2, 1});
  REQUIRE(c.get(1) != nullptr);  // 1 becomes most recent
  CHECK(keys_in_order(c) == std::vector<int>{1, 3, 2});
  c.put(4, 40);  // evicts 2
  CHECK(keys_in_order(c) == std::vector<int>{4, 1, 3});
  CHECK(events == std::vector<Event>{{2, 20, EvictionReason::capacity}});
  CHECK_FALSE(c.contains(2));
  CHECK(c.get(2) == nullptr);

  c.put(3, 33);  // overwrite promotes and reports replaced
  CHECK(*c.peek(3) == 33);
  CHECK(keys_in_order(c) == std::vector<int>{3, 4, 1});
  CHECK(events.back() == Event{3, 30, EvictionReason::replaced});

  CHECK(*c.peek(1) == 10);  // peek does not promote
  CHECK(keys_in_order(c) == std::vector<int>{3, 4, 1});
  CHECK(c.erase(4));
  CHECK_FALSE(c.erase(4));
  CHECK(events.back() == Event{4, 40, EvictionReason::erased});
  CHECK(c.size() == 2);
  c.clear();
  CHECK(c.empty());
  CHECK(events.size() == 5);

  const auto st = c.stats();
  CHECK(st.hits == 1);
  CHECK(st.misses == 1);
  CHECK(st.evictions == 1);
  CHECK(st.hit_rate() == Approx(0.5));
}

TEST_CASE("LruCache statistics") {
  LruCache<int, int> c(2);
  CHECK(c.stats().hit_rate() == 0.0);
  c.put(1, 1);
  c.get(1);
  c.get(1);
  c.get(1);
  c.get(2);
  c.peek(2);
  c.contains(1);
  CHECK(c.stats().hits == 3);
  CHECK(c.stats().misses == 1);
  CHECK(c.stats().hit_rate() == Approx(0.75));
  c.reset_stats();
  CHECK(c.stats().hits == 0);
}

TEST_CASE("LruCache returns stable references and lets put's result be modified") {
  LruCache<int, std::string> c(100);
  std::string& first = c.put(0, "zero");
  for (int i = 1; i < 99; ++i) c.put(i, std::to_string(i));  // grows the index several times
  CHECK(&first == c.get(0));
  *c.get(0) += "!";
  CHECK(*c.peek(0) == "zero!");
}

TEST_CASE("LruCache looks up std::string keys by string_view and C strings without copying") {
  LruCache<std::string, int> c(4);
  c.put("alpha", 1);
  c.put(std::string("beta"), 2);
  std::string_view sv = "alpha";
  REQUIRE(c.get(sv) != nullptr);
  CHECK(*c.get("beta") == 2);
  CHECK(c.contains(std::string_view("beta")));
  CHECK(c.peek(std::string_view("gamma")) == nullptr);
  CHECK(c.erase(std::string_view("alpha")));
  CHECK_FALSE(c.contains("alpha"));

  g_allocations = 0;
  g_counting = true;
  const int* hit = c.get(std::string_view("beta"));
  g_counting = false;
  CHECK(hit != nullptr);
  CHECK(g_allocations == 0);
}

namespace {
struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct TransparentEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
}  // namespace

TEST_CASE("LruCache uses a transparent hash for heterogeneous lookup") {
  LruCache<std::string, int, TransparentHash, TransparentEq> c(2);
  c.put("k", 7);
  CHECK(*c.get(std::string_view("k")) == 7);
  CHECK(c.erase(std::string_view("k")));
}

TEST_CASE("LruCache expire-after-write runs on the scheduler's clock") {
  VirtualTimeScheduler s;
  LruCache<int, int> c(4, CacheTtl{10s, 0s}, s);
  std::vector<Event> events;
  c.set_eviction_listener(
      [&](const int& k, int& v, EvictionReason r) { events.emplace_back(k, v, r); });
  c.put(1, 1);
  s.advance_by(5s);
  c.put(2, 2);
  s.advance_by(4s);
  CHECK(c.get(1) != nullptr);  // access does not extend a write TTL
  s.advance_by(1s);            // t = 10 s: entry 1 expires exactly now
  CHECK(c.peek(1) == nullptr);
  CHECK_FALSE(c.contains(1));
  CHECK(c.size() == 2);  // still held until dropped
  CHECK(c.get(1) == nullptr);
  CHECK(events == std::vector<Event>{{1, 1, EvictionReason::expired}});
  CHECK(c.stats().expirations == 1);
  CHECK(c.stats().misses == 1);
  CHECK(c.size() == 1);
  s.advance_by(5s);
  CHECK(c.purge_expired() == 1);
  CHECK(c.empty());

  SECTION("put refreshes the write deadline; put over an expired entry reports expired") {
    c.put(3, 3);
    s.advance_by(9s);
    c.put(3, 4);
    s.advance_by(9s);
    CHECK(*c.get(3) == 4);
    s.advance_by(1s);
    c.put(3, 5);
    CHECK(events.back() == Event{3, 4, EvictionReason::expired});
    CHECK_FALSE(c.erase(99));
  }
  SECTION("erase of an expired entry reports expired and returns false") {
    c.put(5, 5);
    s.advance_by(10s);
    CHECK_FALSE(c.erase(5));
    CHECK(events.back() == Event{5, 5, EvictionReason::expired});
  }
  SECTION("a full cache drops an expired tail as expired, not as a capacity eviction") {
    for (int i = 0; i < 4; ++i) c.put(10 + i, i);
    s.advance_by(10s);
    c.put(20, 0);
    CHECK(events.back() == Event{10, 0, EvictionReason::expired});
    CHECK(c.stats().evictions == 0);
  }
  SECTION("put_until caps the entry's life") {
    c.put_until(7, 7, s.now() + 2s);
    s.advance_by(2s);
    CHECK(c.get(7) == nullptr);
  }
}

TEST_CASE("LruCache expire-after-access is extended by hits, capped by expire-after-write") {
  VirtualTimeScheduler s;
  LruCache<int, int> c(4, CacheTtl{10s, 3s}, s);
  c.put(1, 1);
  for (int i = 0; i < 3; ++i) {
    s.advance_by(2s);
    REQUIRE(c.get(1) != nullptr);  // t = 2, 4, 6
  }
  s.advance_by(2s);
  CHECK(c.peek(1) != nullptr);  // t = 8, last access at 6
  s.advance_by(1s);
  CHECK(c.peek(1) == nullptr);  // t = 9: 3 s since the last access (peek does not count)

  c.put(2, 2);  // t = 9
  for (int i = 0; i < 4; ++i) {
    s.advance_by(2s);
    REQUIRE(c.get(2) != nullptr);  // t = 11, 13, 15, 17
  }
  // t = 17: the write deadline is 19 s even though accesses keep it fresh.
  s.advance_by(2s);
  CHECK(c.get(2) == nullptr);
}

TEST_CASE("LruCache without TTL and put_until") {
  LruCache<int, int> c(1);
  REQUIRE_THROWS_AS(c.put_until(1, 1, rxsync::TimePoint{}), std::logic_error);
  CHECK(c.purge_expired() == 0);
}

TEST_CASE("LruCache is movable") {
  LruCache<int, std::string> a(2);
  a.put(1, "one");
  LruCache<int, std::string> b(std::move(a));
  CHECK(*b.get(1) == "one");
  LruCache<int, std::string> c(5);
  c.put(9, "nine");
  c = std::move(b);
  CHECK(c.capacity() == 2);
  CHECK_FALSE(c.contains(9));
  CHECK(c.contains(1));
}

TEST_CASE("LruCache get hit does not allocate") {
  LruCache<std::uint64_t, std::string> c(1024);
  for (std::uint64_t i = 0; i < 2000; ++i) c.put(i, "a value long enough to be heap allocated");
  g_allocations = 0;
  g_counting = true;
  std::size_t found = 0;
  for (std::uint64_t i = 1000; i < 2000; ++i)
    if (c.get(i) != nullptr) ++found;
  g_counting = false;
  CHECK(found == 1000);
  CHECK(g_allocations == 0);
}

namespace {
// The obvious O(n) model: a vector ordered most to least recent.
struct ModelEntry {
  int key;
  int value;
  rxsync::TimePoint write_deadline;
  rxsync::TimePoint expires_at;
};
struct Model {
  std::size_t capacity;
  CacheTtl ttl;
  std::vector<ModelEntry> entries;
  std::vector<Event> events;
  rxsync::CacheStats stats;

  auto find(int k) {
    return std::find_if(entries.begin(), entries.end(),
                        [&](const ModelEntry& e) { return e.key == k; });
  }
  void stamp(ModelEntry& e, rxsync::TimePoint now) {
    e.write_deadline = now + ttl.after_write;
    e.expires_at = std::min(e.write_deadline, now + ttl.after_access);
  }
  std::optional<int> get(int k, rxsync::TimePoint now) {
    auto it = find(k);
    if (it == entries.end()) {
      ++stats.misses;
      return std::nullopt;
    }
    if (it->expires_at <= now) {
      ++stats.misses;
      ++stats.expirations;
      events.emplace_back(it->key, it->value, EvictionReason::expired);
      entries.erase(it);
      return std::nullopt;
    }
    ++stats.hits;
    it->expires_at = std::min(it->write_deadline, now + ttl.after_access);
    ModelEntry e = *it;
    entries.erase(it);
    entries.insert(entries.begin(), e);
    return e.value;
  }
  void put(int k, int v, rxsync::TimePoint now) {
    auto it = find(k);
    if (it != entries.end()) {
      const bool dead = it->expires_at <= now;
      if (dead) ++stats.expirations;
      events.emplace_back(it->key, it->value,
                          dead ? EvictionReason::expired : EvictionReason::replaced);
      ModelEntry e = *it;
      entries.erase(it);
      e.value = v;
      stamp(e, now);
      entries.insert(entries.begin(), e);
      return;
    }
    if (entries.size() == capacity) {
      const bool dead = entries.back().expires_at <= now;
      ++(dead ? stats.expirations : stats.evictions);
      events.emplace_back(entries.back().key, entries.back().value,
                          dead ? EvictionReason::expired : EvictionReason::capacity);
      entries.pop_back();
    }
    ModelEntry e{k, v, {}, {}};
    stamp(e, now);
    entries.insert(entries.begin(), e);
  }
  bool erase(int k, rxsync::TimePoint now) {
    auto it = find(k);
    if (it == entries.end()) return false;
    const bool dead = it->expires_at <= now;
    if (dead) ++stats.expirations;
    events.emplace_back(it->key, it->value,
                        dead ? EvictionReason::expired : EvictionReason::erased);
    entries.erase(it);
    return !dead;
  }
  std::optional<int> peek(int k, rxsync::TimePoint now) {
    auto it = find(k);
    if (it == entries.end() || it->expires_at <= now) return std::nullopt;
    return it->value;
  }
  std::size_t purge(rxsync::TimePoint now) {
    std::size_t n = 0;
    for (auto it = entries.begin(); it != entries.end();) {
      if (it->expires_at <= now) {
        ++stats.expirations;
        events.emplace_back(it->key, it->value, EvictionReason::expired);
        it = entries.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }
  void clear() {
    while (!entries.empty()) {
      events.emplace_back(entries.back().key, entries.back().value, EvictionReason::erased);
      entries.pop_back();
    }
  }
};
}  // namespace

// Int keys take the inline-key index path, std::string keys the out-of-line one; both run the
// same operations against the model. Small capacities make the index probe chains long, so
// backward-shift deletion moves slots (and the recency links they carry) often.
TEST_CASE("LruCache matches a reference model over 20000 random operations") {
  const auto seed = GENERATE(1u, 2u, 3u);
  const bool with_ttl = GENERATE(false, true);
  const std::size_t capacity = GENERATE(std::size_t{50}, std::size_t{3});
  CAPTURE(seed, with_ttl, capacity);
  std::mt19937 rng(seed);
  VirtualTimeScheduler s;
  const CacheTtl ttl = with_ttl ? CacheTtl{40ms, 15ms} : CacheTtl{1000h, 1000h};
  LruCache<int, int> c(capacity, ttl, s);
  LruCache<std::string, int> cs(capacity, ttl, s);
  Model m{capacity, ttl, {}, {}, {}};
  std::vector<Event> events;
  std::vector<Event> string_events;
  c.set_eviction_listener(
      [&](const int& k, int& v, EvictionReason r) { events.emplace_back(k, v, r); });
  cs.set_eviction_listener([&](const std::string& k, int& v, EvictionReason r) {
    string_events.emplace_back(std::stoi(k), v, r);
  });
  std::uniform_int_distribution<int> key(0, static_cast<int>(capacity) * 2 - 1), op(0, 999),
      value(0, 1'000'000),
      step(0, capacity < 10 ? 30 : 3);  // a small cache turns over faster: let time run faster
  for (int i = 0; i < 20000; ++i) {
    const int k = key(rng);
    const std::string ks = std::to_string(k);
    const int o = op(rng);
    const auto now = s.now();
    if (o < 400) {
      const int* got = c.get(k);
      const int* got_s = cs.get(ks);
      const auto want = m.get(k, now);
      REQUIRE((got == nullptr) == !want.has_value());
      REQUIRE((got_s == nullptr) == !want.has_value());
      if (got != nullptr) REQUIRE((*got == *want && *got_s == *want));
    } else if (o < 750) {
      const int v = value(rng);
      REQUIRE(c.put(k, v) == v);
      REQUIRE(cs.put(ks, v) == v);
      m.put(k, v, now);
    } else if (o < 850) {
      const bool want = m.erase(k, now);
      REQUIRE(c.erase(k) == want);
      REQUIRE(cs.erase(ks) == want);
    } else if (o < 920) {
      const int* got = c.peek(k);
      const int* got_s = cs.peek(ks);
      const auto want = m.peek(k, now);
      REQUIRE((got == nullptr) == !want.has_value());
      REQUIRE((got_s == nullptr) == !want.has_value());
      if (got != nullptr) REQUIRE((*got == *want && *got_s == *want));
      REQUIRE(c.contains(k) == want.has_value());
    } else if (o < 930) {
      const std::size_t want = m.purge(now);
      REQUIRE(c.purge_expired() == want);
      REQUIRE(cs.purge_expired() == want);
    } else if (o < 932) {
      m.clear();
      c.clear();
      cs.clear();
    } else {
      s.advance_by(std::chrono::milliseconds(step(rng)));
    }
    REQUIRE(c.size() == m.entries.size());
    REQUIRE(cs.size() == m.entries.size());
    if (i % 97 == 0) {
      std::vector<int> model_keys;
      for (const auto& e : m.entries) model_keys.push_back(e.key);
      REQUIRE(keys_in_order(c) == model_keys);
      std::vector<int> string_keys;
      for (const auto& kv : cs) string_keys.push_back(std::stoi(kv.first));
      REQUIRE(string_keys == model_keys);
    }
  }
  CHECK(events == m.events);
  CHECK(string_events == m.events);
  CHECK(c.stats().hits == m.stats.hits);
  CHECK(c.stats().misses == m.stats.misses);
  CHECK(c.stats().evictions == m.stats.evictions);
  CHECK(c.stats().expirations == m.stats.expirations);
  CHECK(m.stats.hits > 1000);
  if (with_ttl) CHECK(m.stats.expirations > 100);
}
