// Proves that on_next allocates nothing on a static chain, through Observable<T>, or through a
// subject. This translation unit replaces the global operator new to count allocations made
// while a CountScope is alive (only this test executable sees the replacement's effect).
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/subjects/set_subject.hpp>

#include "rxsync_catch.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};

struct CountScope {
  CountScope() {
    allocations = 0;
    counting = true;
  }
  ~CountScope() { counting = false; }
  std::size_t count() const { return allocations.load(); }
};

void* counted_alloc(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace rxsync;

TEST_CASE("the counter sees allocations (the test can fail)") {
  std::size_t n = 0;
  {
    CountScope scope;
    auto* v = new std::vector<int>(10);
    n = scope.count();
    delete v;
  }
  CHECK(n == 2);
}

TEST_CASE("no allocation per on_next: subject into a static chain") {
  PublishSubject<int> s;
  long sum = 0;
  auto sub =
      (s | ops::map([](int v) { return v * 2; }) | ops::filter([](int v) { return v % 3 != 0; }) |
       ops::scan(0L, [](long a, int v) { return a + v; }) | ops::distinct_until_changed() |
       ops::skip(1) | ops::pairwise() | ops::take(1'000'000))
          .subscribe([&](const std::pair<long, long>& p) { sum += p.second - p.first; });
  for (int i = 0; i < 3; ++i) s.on_next(i);  // warm up
  CountScope scope;
  for (int i = 0; i < 1000; ++i) s.on_next(i);
  CHECK(scope.count() == 0);
  CHECK(sum > 0);
}

TEST_CASE("no allocation per on_next: subject fan-out and BehaviorSubject") {
  PublishSubject<int> s;
  BehaviorSubject<int> b{0};
  int hits = 0;
  std::vector<Subscription> subs;
  for (int i = 0; i < 10; ++i) {
    subs.push_back(s.subscribe([&](int) { ++hits; }));
    subs.push_back(b.subscribe([&](int) { ++hits; }));
  }
  CountScope scope;
  for (int i = 0; i < 100; ++i) {
    s.on_next(i);
    b.on_next(i);
  }
  CHECK(scope.count() == 0);
  CHECK(hits == 10 + 2000);
}

TEST_CASE("no allocation per on_next through Observable<T>") {
  PublishSubject<int> s;
  Observable<int> erased = s | ops::map([](int v) { return v + 1; });
  int last = 0;
  auto sub =
      (erased | ops::filter([](int v) { return v > 0; })).subscribe([&](int v) { last = v; });
  CountScope scope;
  for (int i = 0; i < 1000; ++i) s.on_next(i);
  CHECK(scope.count() == 0);
  CHECK(last == 1000);
}

TEST_CASE("a synchronous source allocates per subscription, not per value") {
  std::vector<int> data(10'000, 1);
  auto chain = from(std::move(data)) | ops::map([](int v) { return v * 2; }) |
               ops::filter([](int v) { return v > 0; });
  long sum = 0;
  std::size_t n = 0;
  {
    CountScope scope;
    chain.subscribe([&](int v) { sum += v; });
    n = scope.count();
  }
  CHECK(sum == 20'000);
  CHECK(n == 0);  // over before subscribe() returns: the subscriber's state is on the stack
}

TEST_CASE("subscribing a static chain to a synchronous source allocates nothing") {
  long sum = 0;
  std::size_t n = 0;
  Subscription sub;
  {
    CountScope scope;
    sub = (just('r', 'x', 's', 'y', 'n', 'c', '!') |
           ops::take_while([](char c) { return c != 'c'; }) |
           ops::filter([](char c) { return c != 'x'; }) | ops::map([](char c) { return c - 'a'; }) |
           ops::start_with(100) | ops::scan(0L, [](long a, int v) { return a + v; }) |
           ops::take(5) | ops::skip(1) | ops::pairwise() | ops::distinct_until_changed())
              .subscribe([&](const std::pair<long, long>& p) { sum += p.second - p.first; });
    n = scope.count();
  }
  CHECK(n == 0);
  CHECK(sum == ('s' - 'a') + ('y' - 'a') + ('n' - 'a'));
  CHECK_FALSE(sub.is_subscribed());
}

TEST_CASE("a chain that outlives subscribe() keeps an allocated state") {
  PublishSubject<int> s;
  int last = 0;
  auto sub =
      (s | ops::take_while([](int v) { return v < 10; })).subscribe([&](int v) { last = v; });
  CHECK(sub.is_subscribed());  // the subscription can still be cancelled
  s.on_next(3);
  sub.unsubscribe();
  s.on_next(4);
  CHECK(last == 3);
  CHECK(s.observer_count() == 0);
}
