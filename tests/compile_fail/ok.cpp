// The positive control: what each of the other files here does, written correctly. It must
// compile (with rxsync's warning flags), so the include path, the flags and the compiler that
// the compile-fail tests use are known to work, and their failures come from the one mistake.
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <rxsync/cache/lru_cache.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/resilience/perf_monitor.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/operators/catch_error.hpp>
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/concat.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/finalize.hpp>
#include <rxsync/rx/operators/merge_map.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/operators/share.hpp>
#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/operators/take_until.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>
#include <rxsync/sync/outbox.hpp>
#include <rxsync/sync/sync_service.hpp>

namespace {

struct Point {
  int x, y;
  friend bool operator==(const Point&, const Point&) = default;
};
void rxsync_encode(rxsync::BinaryWriter& w, const Point& p) {
  rxsync::write_value(w, p.x);
  rxsync::write_value(w, p.y);
}
Point rxsync_decode(rxsync::BinaryReader& r, std::type_identity<Point>) {
  const int x = rxsync::read_value<int>(r);
  return Point{x, rxsync::read_value<int>(r)};
}

struct Policy {
  std::optional<rxsync::Duration> next_delay() { return std::nullopt; }
  void reset() {}
};

struct KvStore {
  void put(std::string_view, std::string_view) {}
  std::optional<std::string> get(std::string_view) const { return std::nullopt; }
  bool erase(std::string_view) { return false; }
  template <class F>
  void for_each(F&&) const {}
};

struct TextCodec {
  static std::string encode(const std::string& s) { return s; }
  static std::string decode(std::string_view s, std::string*) { return std::string(s); }
};

struct BatchTransport {
  void send(std::vector<rxsync::BatchItem<std::string, int>>, rxsync::BatchDone<std::string, int>) {
  }
};
struct Sum {
  void operator()(int& existing, int&& incoming) const { existing += incoming; }
};

struct SyncTransport {
  void send(std::vector<rxsync::BatchItem<std::string, rxsync::Change<std::string>>>,
            rxsync::BatchDone<std::string, rxsync::Change<std::string>>) {}
  void pull(std::uint64_t, rxsync::PullDone<std::string, std::string>) {}
};
struct Longest {
  std::string operator()(const std::string& a, const std::string& b) const {
    return a.size() >= b.size() ? a : b;
  }
};

void operators() {
  namespace ops = rxsync::ops;
  auto src = rxsync::just(1, 2);
  (src | ops::map([](int n) { return std::to_string(n); })).subscribe([](const std::string&) {});
  (src | ops::map([](int n) { return n; })).subscribe([](int) {});
  (src | ops::filter([](int n) { return n > 0; })).subscribe([](int) {});
  (src | ops::filter([](int n) { return std::optional<int>(n); })).subscribe([](int) {});
  (src | ops::tap([](int) {})).subscribe([](int) {});
  (src | ops::scan(0, [](int acc, int v) { return acc + v; })).subscribe([](int) {});
  (src | ops::scan(std::vector<int>{}, [](std::vector<int> all, int v) {
     all.push_back(v);
     return all;
   })).subscribe([](const std::vector<int>&) {});
  (src | ops::take_while([](const int& n) { return n < 2; })).subscribe([](int) {});
  (src | ops::distinct_until_changed([](int a, int b) { return a == b; })).subscribe([](int) {});
  (rxsync::just(Point{1, 2}) | ops::distinct_until_changed()).subscribe([](const Point&) {});
  (src | ops::switch_map([](int n) {
     return rxsync::just(std::size_t(n));
   })).subscribe([](std::size_t) {});
  (src | ops::combine_latest(rxsync::just(2))).subscribe([](const auto&) {});
  (src | ops::with_latest_from(rxsync::just(2))).subscribe([](const auto&) {});
  (src | ops::merge(rxsync::just(3))).subscribe([](int) {});
  (src | ops::finalize([] {})).subscribe([](int) {});
  (src | ops::merge_map([](int n) { return rxsync::just(n * 2); })).subscribe([](int) {});
  (src | ops::concat_map([](const int& n) {
     return rxsync::just(std::size_t(n));
   })).subscribe([](std::size_t) {});
  (src | ops::catch_error([](std::exception_ptr) { return rxsync::just(0); })).subscribe([](int) {
  });
  (src | ops::take_until(rxsync::just(std::string("stop")))).subscribe([](int) {});
  (src | ops::concat(rxsync::just(3))).subscribe([](int) {});
  (src | ops::share(ops::ShareConfig{}, [] {
     return rxsync::PublishSubject<int>();
   })).subscribe([](int) {});
  rxsync::VirtualTimeScheduler scheduler;
  (src | ops::retry_with_backoff(Policy{}, scheduler)).subscribe([](int) {});
  (src | ops::retry_with_backoff(rxsync::ExponentialBackoff<>(rxsync::BackoffOptions{}), scheduler))
      .subscribe([](int) {});
  (src | ops::debounce(std::chrono::milliseconds(10), scheduler)).subscribe([](int) {});
  rxsync::create<int>([](rxsync::Subscriber<int> s) { s.on_completed(); }).subscribe([](int) {});
  rxsync::defer([] { return rxsync::just(42); }).subscribe([](int) {});
  rxsync::Observable<std::size_t> erased =
      src | ops::map([](int n) { return std::to_string(n); }) |
      ops::filter([](const std::string& s) { return !s.empty(); }) |
      ops::switch_map([](const std::string& s) { return rxsync::just(s.size()); }) |
      ops::distinct_until_changed();
  erased.subscribe([](std::size_t) {});
  // A hand-written operator: any callable taking the observable composes with `|`.
  (src | [](const auto& o) { return o | ops::take(1); }).subscribe([](int) {});
}

void subscribe() {
  auto src = rxsync::just(1, 2);
  src.subscribe([](const int&) {});
  src.subscribe([](int) {}, [](std::exception_ptr) {});
  src.subscribe([](int) {}, [](const std::exception_ptr&) {}, [] {});
  src.subscribe(rxsync::make_observer<int>([](int) {}));
}

void policies() {
  rxsync::VirtualTimeScheduler scheduler;
  rxsync::MemoryStorage storage;
  rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage> with_clock(storage, scheduler);
  rxsync::LruCache<std::string, int> cache(16, rxsync::CacheTtl{std::chrono::seconds(5), {}},
                                           scheduler);
  rxsync::PerfMonitor monitor(scheduler);
  KvStore kv;
  rxsync::Outbox<std::string, std::string, KvStore> on_kv(kv);
  on_kv.put("k", "v");
  rxsync::MemoryStorage storage2;
  rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage, TextCodec> text(storage2);
  text.put("k", "v");
  rxsync::MemoryStorage storage4;
  rxsync::Outbox<std::string, Point, rxsync::MemoryStorage> points(storage4);
  points.put("k", Point{1, 2});
  BatchTransport batch_transport;
  rxsync::BatchOrchestrator<std::string, int, BatchTransport, rxsync::VirtualTimeScheduler, Sum>
      batches(scheduler, batch_transport);
  batches.enqueue("k", 1);
  SyncTransport sync_transport;
  rxsync::MemoryStorage storage3;
  rxsync::SyncService<std::string, std::string, SyncTransport, rxsync::MemoryStorage,
                      rxsync::VirtualTimeScheduler, Longest>
      service(scheduler, sync_transport, storage3, {.origin = "phone"});
}

}  // namespace

int main() {
  operators();
  subscribe();
  policies();
}
