// The declaration headers in one translation unit with every definition: each declaration must
// match its definition (template parameters and class-key: this file is also built with
// -Wmismatched-tags), and each default template argument must be given once.
#include <rxsync/fwd.hpp>
#include <rxsync/net/fwd.hpp>
#include <rxsync/testing/fwd.hpp>
// After the declarations, on purpose: they come first, as in a user's program.
#include <rxsync/rxsync.hpp>
#include <rxsync/testing/convergence.hpp>
#include <rxsync/testing/marbles.hpp>
#include <rxsync/testing/sim_network.hpp>
#if RXSYNC_TEST_SQLITE
#include <rxsync/adapters/sqlite_server_store.hpp>
#include <rxsync/adapters/sqlite_storage.hpp>
#endif
#if RXSYNC_TEST_NET
#include <rxsync/net/net_transport.hpp>
#include <rxsync/net/server.hpp>
#endif

#include <string>
#include <type_traits>

#include "rxsync_catch.hpp"

namespace {

template <class T>
concept Complete = requires { sizeof(T); };

}  // namespace

// Every class the fwd.hpp headers declare is defined by some header: a class renamed or removed
// must not leave a declaration behind that names nothing.
#define RXSYNC_TEST_DEFINED(T) \
  static_assert(Complete<T>, #T " is declared in a fwd.hpp but no header defines it")
RXSYNC_TEST_DEFINED(rxsync::Subscription);
RXSYNC_TEST_DEFINED(rxsync::ScopedSubscription);
RXSYNC_TEST_DEFINED(rxsync::CompositeSubscription);
RXSYNC_TEST_DEFINED(rxsync::LifetimeGuard);
RXSYNC_TEST_DEFINED(rxsync::VirtualTimeScheduler);
RXSYNC_TEST_DEFINED(rxsync::RunLoop);
RXSYNC_TEST_DEFINED(rxsync::EventLoopThread);
RXSYNC_TEST_DEFINED(rxsync::SingleThreaded);
RXSYNC_TEST_DEFINED(rxsync::Synchronized);
RXSYNC_TEST_DEFINED(rxsync::TimeoutError);
RXSYNC_TEST_DEFINED(rxsync::EmptyError);
RXSYNC_TEST_DEFINED(rxsync::ops::RepeatConfig);
RXSYNC_TEST_DEFINED(rxsync::ops::ShareConfig);
RXSYNC_TEST_DEFINED(rxsync::ops::ThrottleConfig);
RXSYNC_TEST_DEFINED(rxsync::ops::TimeoutConfig);
RXSYNC_TEST_DEFINED(rxsync::ops::BufferTimeConfig);
RXSYNC_TEST_DEFINED(rxsync::BackoffOptions);
RXSYNC_TEST_DEFINED(rxsync::DefaultRandom);
RXSYNC_TEST_DEFINED(rxsync::FixedDelays);
RXSYNC_TEST_DEFINED(rxsync::RetryOptions);
RXSYNC_TEST_DEFINED(rxsync::RetryReport);
RXSYNC_TEST_DEFINED(rxsync::RetryBudget);
RXSYNC_TEST_DEFINED(rxsync::Classification);
RXSYNC_TEST_DEFINED(rxsync::HttpClassifier);
RXSYNC_TEST_DEFINED(rxsync::CircuitBreakerOptions);
RXSYNC_TEST_DEFINED(rxsync::CircuitOpenError);
RXSYNC_TEST_DEFINED(rxsync::ResourcePoolOptions);
RXSYNC_TEST_DEFINED(rxsync::ResourcePoolStats);
RXSYNC_TEST_DEFINED(rxsync::PoolError);
RXSYNC_TEST_DEFINED(rxsync::TaskQueueOptions);
RXSYNC_TEST_DEFINED(rxsync::TaskQueueStats);
RXSYNC_TEST_DEFINED(rxsync::TaskQueueError);
RXSYNC_TEST_DEFINED(rxsync::TaskDone);
RXSYNC_TEST_DEFINED(rxsync::PerfMonitorOptions);
RXSYNC_TEST_DEFINED(rxsync::PerfStats);
RXSYNC_TEST_DEFINED(rxsync::PerfAnomaly);
RXSYNC_TEST_DEFINED(rxsync::PerfMonitor);
RXSYNC_TEST_DEFINED(rxsync::MemoryStorage);
RXSYNC_TEST_DEFINED(rxsync::FileStorage);
RXSYNC_TEST_DEFINED(rxsync::FileStorageOptions);
RXSYNC_TEST_DEFINED(rxsync::FileStorageStats);
RXSYNC_TEST_DEFINED(rxsync::RecoveryReport);
RXSYNC_TEST_DEFINED(rxsync::DroppedRecord);
RXSYNC_TEST_DEFINED(rxsync::DamagedRange);
RXSYNC_TEST_DEFINED(rxsync::FileStorageError);
RXSYNC_TEST_DEFINED(rxsync::DefaultCodec);
RXSYNC_TEST_DEFINED(rxsync::BinaryWriter);
RXSYNC_TEST_DEFINED(rxsync::BinaryReader);
RXSYNC_TEST_DEFINED(rxsync::DecodeError);
RXSYNC_TEST_DEFINED(rxsync::CacheStats);
RXSYNC_TEST_DEFINED(rxsync::CacheTtl);
RXSYNC_TEST_DEFINED(rxsync::CacheEntryInfo);
RXSYNC_TEST_DEFINED(rxsync::PersistAlways);
RXSYNC_TEST_DEFINED(rxsync::PersistHotOrExpensive);
RXSYNC_TEST_DEFINED(rxsync::TieredCacheOptions);
RXSYNC_TEST_DEFINED(rxsync::StorageTierStats);
RXSYNC_TEST_DEFINED(rxsync::TieredCacheStats);
RXSYNC_TEST_DEFINED(rxsync::Conversation);
RXSYNC_TEST_DEFINED(rxsync::ChatMessage);
RXSYNC_TEST_DEFINED(rxsync::ChatThread);
RXSYNC_TEST_DEFINED(rxsync::PreferLongerTitle);
RXSYNC_TEST_DEFINED(rxsync::DemoDocument);
RXSYNC_TEST_DEFINED(rxsync::ReplaceMerge);
RXSYNC_TEST_DEFINED(rxsync::AppendMerge);
RXSYNC_TEST_DEFINED(rxsync::BatchOptions);
RXSYNC_TEST_DEFINED(rxsync::BatchStats);
RXSYNC_TEST_DEFINED(rxsync::OutboxOptions);
RXSYNC_TEST_DEFINED(rxsync::OutboxCorruptRecord);
RXSYNC_TEST_DEFINED(rxsync::OutboxRecoveryReport);
RXSYNC_TEST_DEFINED(rxsync::SweeperOptions);
RXSYNC_TEST_DEFINED(rxsync::CrdtMerge);
RXSYNC_TEST_DEFINED(rxsync::SyncStatus);
RXSYNC_TEST_DEFINED(rxsync::SyncServiceOptions);
RXSYNC_TEST_DEFINED(rxsync::SyncStats);
RXSYNC_TEST_DEFINED(rxsync::AdaptivePollerOptions);
RXSYNC_TEST_DEFINED(rxsync::CallError);
RXSYNC_TEST_DEFINED(rxsync::ResilientClientOptions);
RXSYNC_TEST_DEFINED(rxsync::ResilientClientStats);
RXSYNC_TEST_DEFINED(rxsync::OptimisticStats);
RXSYNC_TEST_DEFINED(rxsync::StateDigest);
RXSYNC_TEST_DEFINED(rxsync::ServerChange);
RXSYNC_TEST_DEFINED(rxsync::ServerOutcome);
RXSYNC_TEST_DEFINED(rxsync::ServerPage);
RXSYNC_TEST_DEFINED(rxsync::ServerCoreOptions);
RXSYNC_TEST_DEFINED(rxsync::ServerCoreStats);
RXSYNC_TEST_DEFINED(rxsync::ServerCore);
RXSYNC_TEST_DEFINED(rxsync::StoredValue);
RXSYNC_TEST_DEFINED(rxsync::StoredChange);
RXSYNC_TEST_DEFINED(rxsync::ServerReadAhead);
RXSYNC_TEST_DEFINED(rxsync::ServerTransaction);
RXSYNC_TEST_DEFINED(rxsync::ServerStore);
RXSYNC_TEST_DEFINED(rxsync::MemoryServerStore);
RXSYNC_TEST_DEFINED(rxsync::SimNetworkOptions);
RXSYNC_TEST_DEFINED(rxsync::SimNetworkStats);
RXSYNC_TEST_DEFINED(rxsync::testing::TestScheduler);
RXSYNC_TEST_DEFINED(rxsync::testing::MarbleResult);
RXSYNC_TEST_DEFINED(rxsync::testing::MarbleError);
RXSYNC_TEST_DEFINED(rxsync::testing::ConvergenceResult);
#if RXSYNC_TEST_SQLITE
RXSYNC_TEST_DEFINED(rxsync::SqliteStorageOptions);
RXSYNC_TEST_DEFINED(rxsync::SqliteStorage);
RXSYNC_TEST_DEFINED(rxsync::SqliteServerStoreOptions);
RXSYNC_TEST_DEFINED(rxsync::SqliteServerStoreStats);
RXSYNC_TEST_DEFINED(rxsync::SqliteServerStore);
#endif
#if RXSYNC_TEST_NET
RXSYNC_TEST_DEFINED(rxsync::net::NetTransportOptions);
RXSYNC_TEST_DEFINED(rxsync::net::ServerUrl);
RXSYNC_TEST_DEFINED(rxsync::net::ConnectionStatus);
RXSYNC_TEST_DEFINED(rxsync::net::ChannelMessage);
RXSYNC_TEST_DEFINED(rxsync::net::ChannelReply);
RXSYNC_TEST_DEFINED(rxsync::net::RequestError);
RXSYNC_TEST_DEFINED(rxsync::net::SyncServer);
RXSYNC_TEST_DEFINED(rxsync::net::ServerOptions);
RXSYNC_TEST_DEFINED(rxsync::net::ServerStats);
RXSYNC_TEST_DEFINED(rxsync::net::ServerLogEvent);
#endif

static_assert(Complete<rxsync::Observable<int>>);
static_assert(Complete<rxsync::GroupedObservable<int, int>>);
static_assert(Complete<rxsync::PublishSubject<int>>);
static_assert(Complete<rxsync::VectorClock<>>);

static_assert(std::is_same_v<rxsync::PublishSubject<int>,
                             rxsync::PublishSubject<int, rxsync::SingleThreaded>>);
static_assert(std::is_same_v<rxsync::OrSet<int>, rxsync::OrSet<int, std::string>>);

TEST_CASE("fwd.hpp with the definitions: the defaults declared there work") {
  rxsync::PublishSubject<int> subject;
  int last = 0;
  auto subscription = subject.subscribe([&](int v) { last = v; });
  subject.on_next(7);
  CHECK(last == 7);

  rxsync::LruCache<std::string, int> cache(2);
  cache.put("a", 1);
  REQUIRE(cache.get("a") != nullptr);
  CHECK(*cache.get("a") == 1);

  rxsync::VectorClock<> clock;
  clock.tick("phone");
  CHECK(clock.get("phone") == 1);
}
