// rxsync/fwd/sync/batch_orchestrator.hpp - the templates <rxsync/sync/batch_orchestrator.hpp>
// defines, declared with their default template arguments. C++ allows a default in one declaration
// only, and both that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct ReplaceMerge;
template <class Key, class Req, class Transport, class Sched, class Merge = ReplaceMerge,
          class Hash = std::hash<Key>>
class BatchOrchestrator;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
