// Sync over a real wire, on loopback: an in-process SyncServer on SQLite, clients on
// NetTransport (WebSocket).
//
// BM_NetPushAck: 4 client connections (on one client io thread) each push batches of 500 new
// keys, one in flight per connection (the next when the ack arrives); items = acknowledged changes.
// Beside it BM_Baseline_SqliteInsertTx writes the same 4 x 500 (key, value) rows straight into one
// SQLite table in transactions of 500, with the same synchronous level: the ratio is what the
// network, the protocol and the server's bookkeeping (idempotency rows, sequence numbers) cost over
// the bare inserts; BM_ServerCorePushSqlite (the same pushes straight into ServerCore, no network)
// splits that cost between the server's bookkeeping and the wire. BM_NetEditToPeer: the time from
// an edit on device A (batch window 0) until device B's replica shows it (the server pokes B, B
// pulls); p50 and p99 are reported as counters. Arg 0: durable commits off (synchronous=NORMAL), 1:
// on (FULL).
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rxsync/adapters/sqlite_server_store.hpp>
#include <rxsync/net/net_transport.hpp>
#include <rxsync/net/server.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/sync_service.hpp>

#include "bench_support.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kClients = 4;
constexpr int kBatch = 500;
constexpr int kBatchesEach = 4;  // per client and iteration
const std::string kValue(100, 'v');

// The benchmark's value type: a string whose merge keeps the greater one (a join).
struct MaxMerge {
  std::string operator()(const std::string& a, const std::string& b) const {
    return std::max(a, b);
  }
};

// A server on 127.0.0.1 and an ephemeral port over a SqliteServerStore in a scratch directory.
struct LocalServer {
  explicit LocalServer(bool durable)
      : store(dir.file("server.db"), {.durable = durable}),
        core(store, rxsync::typed_merger<std::string, MaxMerge>(),
             rxsync::typed_validator<std::string>()),
        server(core, options()) {
    server.start();
  }
  static rxsync::net::ServerOptions options() {
    rxsync::net::ServerOptions o;
    o.allow_anonymous = true;
    o.log = nullptr;
    return o;
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server.port()); }

  rxsync_bench::BenchDir dir;
  rxsync::SqliteServerStore store;
  rxsync::ServerCore core;
  rxsync::net::SyncServer server;
};

using Transport = rxsync::net::NetTransport<std::string, std::string, rxsync::EventLoopThread>;

// Built with append rather than operator+: g++ 12 at -O2 warns falsely (-Wrestrict) about
// "k" + std::to_string(n).
std::string key_name(std::uint64_t n) {
  std::string key = "k";
  key += std::to_string(n);
  return key;
}
std::string client_name(int c) {
  std::string name = "c";
  name += std::to_string(c);
  return name;
}

rxsync::net::NetTransportOptions client_options(const std::string& url, const std::string& origin) {
  rxsync::net::NetTransportOptions o;
  o.servers = {url};
  o.origin = origin;
  return o;
}

template <class F>
void wait_for(std::mutex& m, std::condition_variable& cv, F done) {
  std::unique_lock lock(m);
  if (!cv.wait_for(lock, 60s, done)) throw std::runtime_error("net bench: no answer in 60 s");
}

// The clients' sockets run on one thread, as a load generator's would: four transports that each
// owned an io thread would add three threads competing for the machine's cores with the server.
struct ClientIo {
  ClientIo() : thread([this] { ioc.run(); }) {}
  ~ClientIo() {
    work.reset();
    thread.join();
  }
  boost::asio::io_context ioc{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;
};

void BM_NetPushAck(benchmark::State& state) {
  LocalServer server(state.range(0) != 0);
  rxsync::EventLoopThread loop;
  ClientIo io;
  std::vector<std::unique_ptr<Transport>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(
        std::make_unique<Transport>(loop, io.ioc, client_options(server.url(), client_name(c))));
  }
  for (auto& c : clients) {
    while (c->status().state != rxsync::net::ConnectionState::online) std::this_thread::yield();
  }
  std::mutex m;
  std::condition_variable cv;
  int acked = 0;
  bool all_ok = true;
  std::atomic<std::uint64_t> next_key{0};
  // Each client keeps one batch in flight, as a BatchOrchestrator does (max_in_flight 1): the
  // next goes out when the ack of the last one arrives.
  std::function<void(int, int)> push = [&](int c, int left) {
    std::vector<Transport::Item> batch;
    batch.reserve(kBatch);
    const std::string origin = client_name(c);
    for (int i = 0; i < kBatch; ++i) {
      const std::uint64_t k = next_key++;
      batch.push_back({key_name(k), {kValue, k + 1, origin}, 0});
    }
    clients[static_cast<std::size_t>(c)]->send(
        std::move(batch), [&, c, left](std::vector<rxsync::ItemOutcome> outcomes) {
          {
            std::lock_guard lock(m);
            all_ok = all_ok && outcomes.size() == kBatch &&
                     std::all_of(outcomes.begin(), outcomes.end(),
                                 [](auto o) { return o == rxsync::ItemOutcome::ok; });
            ++acked;
          }
          cv.notify_all();
          if (left > 1) push(c, left - 1);
        });
  };
  for (auto _ : state) {
    {
      std::lock_guard lock(m);
      acked = 0;
    }
    for (int c = 0; c < kClients; ++c) push(c, kBatchesEach);
    wait_for(m, cv, [&] { return acked == kClients * kBatchesEach; });
  }
  if (!all_ok) state.SkipWithError("a push was not acknowledged ok");
  state.SetItemsProcessed(state.iterations() * kClients * kBatchesEach * kBatch);
}
BENCHMARK(BM_NetPushAck)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Baseline_SqliteInsertTx(benchmark::State& state) {
  rxsync_bench::BenchDir dir;
  sqlite3* db = nullptr;
  if (sqlite3_open(dir.file("baseline.db").c_str(), &db) != SQLITE_OK) {
    state.SkipWithError("cannot open sqlite");
    return;
  }
  auto exec = [&](const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); };
  exec("PRAGMA journal_mode=WAL");
  exec(state.range(0) != 0 ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO kv (k, v) VALUES (?1, ?2)", -1, &insert, nullptr);
  std::uint64_t next_key = 0;
  for (auto _ : state) {
    for (int c = 0; c < kClients * kBatchesEach; ++c) {
      exec("BEGIN IMMEDIATE");
      for (int i = 0; i < kBatch; ++i) {
        const std::string key = key_name(next_key++);
        sqlite3_bind_blob(insert, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 2, kValue.data(), static_cast<int>(kValue.size()), SQLITE_STATIC);
        sqlite3_step(insert);
        sqlite3_reset(insert);
      }
      exec("COMMIT");
    }
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations() * kClients * kBatchesEach * kBatch);
}
BENCHMARK(BM_Baseline_SqliteInsertTx)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// The server's logic alone, no network: ServerCore::push over a SqliteServerStore from one
// thread, the same 4 x 4 pushes of 500 new keys per iteration. Beside BM_Baseline_SqliteInsertTx
// it shows what the server's bookkeeping costs over the bare inserts; beside BM_NetPushAck, what
// the network, the protocol and the threads cost on top.
void BM_ServerCorePushSqlite(benchmark::State& state) {
  rxsync_bench::BenchDir dir;
  rxsync::SqliteServerStore store(dir.file("core.db"), {.durable = state.range(0) != 0});
  rxsync::ServerCore core(store, rxsync::typed_merger<std::string, MaxMerge>(),
                          rxsync::typed_validator<std::string>());
  const std::string value = rxsync::DefaultCodec::encode(kValue);
  std::uint64_t next_key = 0;
  bool all_ok = true;
  for (auto _ : state) {
    for (int p = 0; p < kClients * kBatchesEach; ++p) {
      std::vector<rxsync::ServerChange> push;
      push.reserve(kBatch);
      for (int i = 0; i < kBatch; ++i) {
        const std::uint64_t k = next_key++;
        push.push_back({key_name(k), value, "c0", k + 1, 0});
      }
      const auto outcomes = core.push(push);
      all_ok = all_ok && std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) {
                 return o.kind == rxsync::ItemOutcome::ok;
               });
    }
  }
  if (!all_ok) state.SkipWithError("a change was not applied");
  state.SetItemsProcessed(state.iterations() * kClients * kBatchesEach * kBatch);
}
BENCHMARK(BM_ServerCorePushSqlite)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same pushes in two stages, as SyncServer runs them: a second thread builds each push and
// reads its rows ahead (ServerCore::read_ahead) while this thread applies the one before. Beside
// BM_ServerCorePushSqlite it shows how much of a push leaves the serialized path.
void BM_ServerCorePushSqliteReadAhead(benchmark::State& state) {
  rxsync_bench::BenchDir dir;
  rxsync::SqliteServerStore store(dir.file("core.db"), {.durable = state.range(0) != 0});
  rxsync::ServerCore core(store, rxsync::typed_merger<std::string, MaxMerge>(),
                          rxsync::typed_validator<std::string>());
  const std::string value = rxsync::DefaultCodec::encode(kValue);
  struct Prepared {
    std::vector<rxsync::ServerChange> push;
    std::unique_ptr<rxsync::ServerReadAhead> ahead;
  };
  std::mutex m;
  std::condition_variable cv;
  std::optional<Prepared> ready;  // one push prepared ahead of the one being applied
  bool stop = false;
  std::thread reader([&] {
    std::uint64_t next_key = 0;
    for (;;) {
      Prepared p;
      p.push.reserve(kBatch);
      for (int i = 0; i < kBatch; ++i) {
        const std::uint64_t k = next_key++;
        p.push.push_back({key_name(k), value, "c0", k + 1, 0});
      }
      p.ahead = core.read_ahead(p.push);
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return !ready || stop; });
      if (stop) return;
      ready.emplace(std::move(p));
      cv.notify_all();
    }
  });
  bool all_ok = true;
  for (auto _ : state) {
    for (int p = 0; p < kClients * kBatchesEach; ++p) {
      Prepared next;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return ready.has_value(); });
        next = std::move(*ready);
        ready.reset();
        cv.notify_all();
      }
      const auto outcomes = core.push(next.push, std::move(next.ahead));
      all_ok = all_ok && std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) {
                 return o.kind == rxsync::ItemOutcome::ok;
               });
    }
  }
  {
    std::lock_guard lock(m);
    stop = true;
    cv.notify_all();
  }
  reader.join();
  if (!all_ok) state.SkipWithError("a change was not applied");
  state.SetItemsProcessed(state.iterations() * kClients * kBatchesEach * kBatch);
}
BENCHMARK(BM_ServerCorePushSqliteReadAhead)
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

using Service = rxsync::SyncService<std::string, std::string, Transport, rxsync::MemoryStorage,
                                    rxsync::EventLoopThread, MaxMerge>;

void BM_NetEditToPeer(benchmark::State& state) {
  LocalServer server(state.range(0) != 0);
  rxsync::EventLoopThread loop_a, loop_b;
  Transport ta(loop_a, client_options(server.url(), "a"));
  Transport tb(loop_b, client_options(server.url(), "b"));
  rxsync::MemoryStorage sa, sb;
  rxsync::SyncServiceOptions oa;
  oa.origin = "a";
  oa.batch.window = 0ms;
  rxsync::SyncServiceOptions ob = oa;
  ob.origin = "b";
  Service a(loop_a, ta, sa, oa);
  Service b(loop_b, tb, sb, ob);
  a.start();
  b.start();
  while (ta.status().state != rxsync::net::ConnectionState::online ||
         tb.status().state != rxsync::net::ConnectionState::online)
    std::this_thread::yield();

  std::mutex m;
  std::condition_variable cv;
  std::string seen;
  auto sub = b.observe_value("doc").subscribe([&](const std::optional<std::string>& v) {
    std::lock_guard lock(m);
    if (v) seen = *v;
    cv.notify_all();
  });
  std::vector<double> micros;
  std::uint64_t n = 0;
  for (auto _ : state) {
    char text[32];
    std::snprintf(text, sizeof text, "%020llu", static_cast<unsigned long long>(++n));
    const std::string value = text;  // increasing: each edit wins the max merge
    const auto start = Clock::now();
    a.queue_for_sync("doc", value);
    wait_for(m, cv, [&] { return seen == value; });
    const auto took = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    micros.push_back(took);
    state.SetIterationTime(took / 1e6);
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros.empty()
               ? 0.0
               : micros[std::min(micros.size() - 1,
                                 static_cast<std::size_t>(p * static_cast<double>(micros.size())))];
  };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
}
BENCHMARK(BM_NetEditToPeer)
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Iterations(500)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
