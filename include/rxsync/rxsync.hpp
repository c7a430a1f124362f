// rxsync/rxsync.hpp - everything in rxsync except the adapters (which need third-party
// libraries: include <rxsync/adapters/...> and link rxsync::sqlite) and the test helpers
// (<rxsync/testing/marbles.hpp>, <rxsync/testing/sim_network.hpp>).
//
// Convenient, but each component also has its own header, which compiles faster; see
// docs/architecture.md for the layers.
#pragma once

#include <rxsync/cache/lru_cache.hpp>
#include <rxsync/cache/tiered_cache.hpp>
#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/fwd.hpp>
#include <rxsync/codec/record.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/core/function.hpp>
#include <rxsync/core/lifetime_guard.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/record.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/fwd.hpp>
#include <rxsync/models/chat_thread.hpp>
#include <rxsync/models/conversation_state.hpp>
#include <rxsync/models/demo_document.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/resilience/circuit_breaker.hpp>
#include <rxsync/resilience/perf_monitor.hpp>
#include <rxsync/resilience/resource_pool.hpp>
#include <rxsync/resilience/retry.hpp>
#include <rxsync/resilience/task_queue.hpp>
#include <rxsync/rx/rx.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/storage/file_storage.hpp>
#include <rxsync/storage/file_storage_options.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/storage/periodic_sync.hpp>
#include <rxsync/storage/serialized_storage.hpp>
#include <rxsync/sync/adaptive_poller.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/sync/call_result.hpp>
#include <rxsync/sync/digest.hpp>
#include <rxsync/sync/optimistic.hpp>
#include <rxsync/sync/outbox.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>
#include <rxsync/sync/resilient_client.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/sync/sync_status.hpp>
#include <rxsync/sync/sync_types.hpp>
#include <rxsync/version.hpp>
