// rxsync/fwd.hpp - declarations of rxsync's classes and class templates, without definitions:
// those of <rxsync/rxsync.hpp> and of the adapters. The networking and the test helpers have
// theirs in <rxsync/net/fwd.hpp> and <rxsync/testing/fwd.hpp>: like their headers, they are
// opt-in, so that this file adds no namespace rxsync::net or rxsync::testing to a program (with
// `using namespace rxsync;`, rxsync::testing would clash with googletest's ::testing).
//
// For headers of your own that only name rxsync types (pointers, references, parameters of
// function declarations, friend declarations): including this instead of the component headers
// keeps their compile time and their dependencies down. Include the component's header where
// the type is used.
//
// C++ allows a default template argument in one declaration only, so the templates that have
// defaults are declared in rxsync/fwd/, one file per header that defines them: that header and
// this one both include it, and a component header declares no more names than it defines.
//
// Declaring rxsync's names yourself (namespace rxsync { class Subscription; }) does not work:
// they live in an inline namespace (see <rxsync/version.hpp>), so such a declaration names
// another class. Use this header.
#pragma once

#include <rxsync/fwd/cache/lru_cache.hpp>
#include <rxsync/fwd/cache/tiered_cache.hpp>
#include <rxsync/fwd/codec/serializer.hpp>
#include <rxsync/fwd/crdt/counters.hpp>
#include <rxsync/fwd/crdt/dot_context.hpp>
#include <rxsync/fwd/crdt/flags.hpp>
#include <rxsync/fwd/crdt/merge.hpp>
#include <rxsync/fwd/crdt/or_map.hpp>
#include <rxsync/fwd/crdt/registers.hpp>
#include <rxsync/fwd/crdt/sets.hpp>
#include <rxsync/fwd/crdt/vector_clock.hpp>
#include <rxsync/fwd/models/conversation_state.hpp>
#include <rxsync/fwd/resilience/backoff.hpp>
#include <rxsync/fwd/rx/subjects/behavior_subject.hpp>
#include <rxsync/fwd/rx/subjects/publish_subject.hpp>
#include <rxsync/fwd/rx/subjects/replay_subject.hpp>
#include <rxsync/fwd/rx/subjects/set_subject.hpp>
#include <rxsync/fwd/sync/batch_orchestrator.hpp>
#include <rxsync/fwd/sync/optimistic.hpp>
#include <rxsync/fwd/sync/outbox.hpp>
#include <rxsync/fwd/sync/resilient_client.hpp>
#include <rxsync/fwd/sync/sync_service.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// core/
class Subscription;
class ScopedSubscription;
class CompositeSubscription;
class LifetimeGuard;
template <class Signature>
class MoveOnlyFunction;

// schedulers/
class VirtualTimeScheduler;
class RunLoop;
class EventLoopThread;

// rx/
template <class T>
class Observable;
template <class T, class Strategy>
class StaticObservable;
template <class T>
class AnyObserver;
template <class T>
class Subscriber;
struct SingleThreaded;
struct Synchronized;
class TimeoutError;
class EmptyError;
template <class K, class T>
class GroupedObservable;
namespace ops {
struct RepeatConfig;
struct ShareConfig;
struct ThrottleConfig;
struct TimeoutConfig;
struct BufferTimeConfig;
}  // namespace ops

// resilience/
struct BackoffOptions;
class DefaultRandom;
class FixedDelays;
struct RetryOptions;
struct RetryReport;
class RetryBudget;
struct Classification;
struct HttpClassifier;
struct CircuitBreakerOptions;
class CircuitOpenError;
template <class Sched>
class CircuitBreaker;
struct ResourcePoolOptions;
struct ResourcePoolStats;
class PoolError;
template <class T, class Factory>
class ResourcePool;
struct TaskQueueOptions;
struct TaskQueueStats;
class TaskQueueError;
class TaskDone;
template <class Sched>
class TaskQueue;
struct PerfMonitorOptions;
struct PerfStats;
struct PerfAnomaly;
class PerfMonitor;

// codec/ (Serializer: in <rxsync/fwd/codec/serializer.hpp>)
class BinaryWriter;
class BinaryReader;
struct DecodeError;
struct DefaultCodec;

// storage/
class MemoryStorage;
class FileStorage;
struct FileStorageOptions;
struct FileStorageStats;
struct RecoveryReport;
struct DroppedRecord;
struct DamagedRange;
class FileStorageError;
template <class Store>
class SerializedStorage;

// cache/
struct CacheStats;
struct CacheTtl;
struct CacheEntryInfo;
struct PersistAlways;
struct PersistHotOrExpensive;
struct TieredCacheOptions;
struct StorageTierStats;
struct TieredCacheStats;

// crdt/
template <class T>
class MaxRegister;
template <class T>
struct MergeResult;

// models/
struct Conversation;
struct ChatMessage;
struct ChatThread;
struct PreferLongerTitle;
struct DemoDocument;

// sync/
template <class Key, class Req>
struct BatchItem;
template <class Key, class Req>
struct BatchEvent;
struct ReplaceMerge;
struct AppendMerge;
struct BatchOptions;
struct BatchStats;
struct OutboxOptions;
struct OutboxCorruptRecord;
struct OutboxRecoveryReport;
struct SweeperOptions;
template <class OutboxT, class Sched>
class OutboxSweeper;
template <class Value>
struct Change;
template <class Key, class Value>
struct PullResult;
struct CrdtMerge;
template <class FieldMerge>
struct VersionedMerge;
struct SyncStatus;
struct SyncServiceOptions;
struct SyncStats;
template <class Key, class Value>
struct FailedEdit;
struct AdaptivePollerOptions;
template <class Sched>
class AdaptivePoller;
struct CallError;
template <class T>
class CallResult;
struct ResilientClientOptions;
struct ResilientClientStats;
template <class Key, class Value>
struct Rollback;
struct OptimisticStats;
class StateDigest;
struct ServerChange;
struct ServerOutcome;
struct ServerPage;
struct ServerCoreOptions;
struct ServerCoreStats;
class ServerCore;
struct StoredValue;
struct StoredChange;
class ServerReadAhead;
class ServerTransaction;
class ServerStore;
class MemoryServerStore;

// adapters/ (target rxsync::sqlite)
struct SqliteStorageOptions;
class SqliteStorage;
struct SqliteServerStoreOptions;
struct SqliteServerStoreStats;
class SqliteServerStore;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
