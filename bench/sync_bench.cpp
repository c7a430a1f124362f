// Sync engine benchmarks: enqueue into a BatchOrchestrator against the same work on a plain map,
// and durable Outbox puts against raw storage puts.
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>
#include <rxsync/sync/outbox.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace {

std::vector<std::string> make_keys(std::size_t n) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back("conversation-" + std::to_string(i));
  return keys;
}

struct NoopTransport {
  void send(std::vector<rxsync::BatchItem<std::string, std::string>> batch,
            rxsync::BatchDone<std::string, std::string> done) {
    done(std::vector<rxsync::ItemOutcome>(batch.size(), rxsync::ItemOutcome::ok));
  }
};

// Enqueue cycling over 1024 keys: after the first lap every call merges into a queued item. The
// window never closes (virtual time stands still), as in a burst of edits.
void BM_BatchEnqueueMerge(benchmark::State& state) {
  const auto keys = make_keys(1024);
  const std::string value = "pinned=1";
  rxsync::VirtualTimeScheduler sched;
  NoopTransport transport;
  rxsync::BatchOptions options;
  options.max_batch = 4096;  // never full: measures enqueue + merge, not sends
  rxsync::BatchOrchestrator<std::string, std::string, NoopTransport, rxsync::VirtualTimeScheduler>
      orch(sched, transport, options);
  std::size_t i = 0;
  for (auto _ : state) {
    orch.enqueue(keys[i], value);
    i = (i + 1) & 1023;
  }
  benchmark::DoNotOptimize(orch.pending());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BatchEnqueueMerge);

void BM_Baseline_UnorderedMapInsert(benchmark::State& state) {
  const auto keys = make_keys(1024);
  const std::string value = "pinned=1";
  std::unordered_map<std::string, std::string> map;
  std::size_t i = 0;
  for (auto _ : state) {
    map.insert_or_assign(keys[i], value);
    i = (i + 1) & 1023;
  }
  benchmark::DoNotOptimize(map.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_UnorderedMapInsert);

// Durable put of one record (MemoryStorage: measures the Outbox's own cost - encoding, checksum,
// index - on top of the storage's).
void BM_OutboxPut(benchmark::State& state) {
  const auto keys = make_keys(1024);
  const std::string value(200, 'm');  // a chat message
  rxsync::MemoryStorage storage;
  rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage> box(storage);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(box.put(keys[i], value));
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OutboxPut);

void BM_Baseline_MemoryStoragePut(benchmark::State& state) {
  const auto keys = make_keys(1024);
  const std::string value(200, 'm');
  rxsync::MemoryStorage storage;
  std::size_t i = 0;
  for (auto _ : state) {
    storage.put(keys[i], value);
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_MemoryStoragePut);

}  // namespace

// ---- end to end: SyncService -> SimNetwork -> server -> acknowledgement ------------------------

#include <rxsync/storage/file_storage.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/testing/sim_network.hpp>

#include <unistd.h>
#include <algorithm>
#include <filesystem>

namespace {

// A max register (e.g. a conversation's read position): constant-size state, so the benchmark
// measures the pipeline, not the growth of a document.
struct ReadPosition {
  std::uint64_t position = 0;
  void merge(const ReadPosition& o) { position = std::max(position, o.position); }
  friend bool operator==(const ReadPosition&, const ReadPosition&) = default;
  void encode_to(rxsync::BinaryWriter& w) const { w.put_varint(position); }
  static ReadPosition decode_from(rxsync::BinaryReader& r) { return ReadPosition{r.get_varint()}; }
};

template <class Store>
void sync_end_to_end(benchmark::State& state, Store& storage) {
  using Net = rxsync::SimNetwork<std::string, ReadPosition, rxsync::VirtualTimeScheduler>;
  rxsync::VirtualTimeScheduler sched;
  rxsync::SimNetworkOptions no_faults;
  no_faults.min_delay = std::chrono::milliseconds(1);
  no_faults.max_delay = std::chrono::milliseconds(1);
  Net net(sched, no_faults);
  rxsync::SyncServiceOptions options;
  options.origin = "bench";
  rxsync::SyncService<std::string, ReadPosition, Net::Client, Store, rxsync::VirtualTimeScheduler>
      service(sched, net.client("bench"), storage, options);
  service.start();
  const auto keys = make_keys(256);
  std::uint64_t op = 0;
  for (auto _ : state) {
    // One operation: an edit made durable, batched, pushed, applied by the server, acknowledged.
    const std::string& key = keys[op % keys.size()];
    service.queue_for_sync(key, ReadPosition{op});
    if (++op % 1000 == 0) {
      while (service.pending() > 0) sched.advance_by(std::chrono::milliseconds(50));
    }
  }
  while (service.pending() > 0) sched.advance_by(std::chrono::milliseconds(50));
  state.SetItemsProcessed(state.iterations());
  state.counters["acked"] = static_cast<double>(service.stats().succeeded);
}

void BM_SyncEndToEnd(benchmark::State& state) {
  rxsync::MemoryStorage storage;
  sync_end_to_end(state, storage);
}
BENCHMARK(BM_SyncEndToEnd);

void BM_SyncEndToEnd_File(benchmark::State& state) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("rxsync-bench-" + std::to_string(::getpid()) + ".log");
  {
    rxsync::FileStorageOptions group_commit;
    group_commit.sync_every_writes = 256;
    rxsync::FileStorage storage(path, group_commit);
    sync_end_to_end(state, storage);
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_SyncEndToEnd_File);

}  // namespace
