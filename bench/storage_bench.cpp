// Durable puts per second: FileStorage with an fdatasync per write and with group commit, beside
// a raw append + fdatasync loop of the same bytes (the disk's physical limit), and SqliteStorage.
// All cases use real time: waiting for the disk costs no CPU time.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <rxsync/storage/file_storage.hpp>

#include "bench_support.hpp"
#if RXSYNC_BENCH_SQLITE
#include <rxsync/adapters/sqlite_storage.hpp>
#endif

namespace {

using rxsync_bench::BenchDir;

constexpr std::size_t kKeys = 1024;  // puts cycle over these, so compaction runs as in real use
constexpr std::size_t kValueSize = 100;

std::vector<std::string> make_keys() {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < kKeys; ++i) {
    keys.push_back("outbox/record-" + std::to_string(i));
  }
  return keys;
}

// Arg: sync_every_writes (1 = fdatasync per put, 64 = group commit, 0 = never by itself).
void BM_FileStoragePut(benchmark::State& state) {
  BenchDir dir;
  rxsync::FileStorageOptions options;
  options.sync_every_writes = static_cast<std::size_t>(state.range(0));
  rxsync::FileStorage storage(dir.file("log"), options);
  const auto keys = make_keys();
  const std::string value(kValueSize, 'v');
  std::size_t i = 0;
  for (auto _ : state) {
    storage.put(keys[i++ % kKeys], value);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["compactions"] = static_cast<double>(storage.stats().compactions);
}
BENCHMARK(BM_FileStoragePut)->ArgName("sync_every")->Arg(1)->Arg(64)->Arg(0)->UseRealTime();

// The same record bytes appended with write() and fdatasync'ed every Arg writes (0: never).
void BM_Baseline_WriteFdatasync(benchmark::State& state) {
  BenchDir dir;
  const auto path = dir.file("raw");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  const auto sync_every = static_cast<std::size_t>(state.range(0));
  const std::string record(13 + make_keys()[0].size() + kValueSize, 'r');
  std::size_t n = 0;
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
      state.SkipWithError("write failed");
      break;
    }
    if (sync_every != 0 && ++n % sync_every == 0 && ::fdatasync(fd) != 0) {
      state.SkipWithError("fdatasync failed");
      break;
    }
  }
  ::close(fd);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Baseline_WriteFdatasync)
    ->ArgName("sync_every")
    ->Arg(1)
    ->Arg(64)
    ->Arg(0)
    ->UseRealTime();

#if RXSYNC_BENCH_SQLITE
// Arg: puts per transaction (1 = put(), N > 1 = put_batch of N). WAL, synchronous=FULL.
void BM_SqliteStoragePut(benchmark::State& state) {
  BenchDir dir;
  rxsync::SqliteStorage storage(dir.file("db"));
  const auto keys = make_keys();
  const std::string value(kValueSize, 'v');
  const auto batch = static_cast<std::size_t>(state.range(0));
  std::vector<std::pair<std::string_view, std::string_view>> items(batch);
  std::size_t i = 0;
  for (auto _ : state) {
    if (batch == 1) {
      storage.put(keys[i++ % kKeys], value);
    } else {
      for (auto& item : items) {
        item = {keys[i++ % kKeys], value};
      }
      storage.put_batch(items);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}
BENCHMARK(BM_SqliteStoragePut)->ArgName("batch")->Arg(1)->Arg(64)->UseRealTime();
#endif

}  // namespace
