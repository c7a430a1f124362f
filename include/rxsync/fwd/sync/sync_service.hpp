// rxsync/fwd/sync/sync_service.hpp - the templates <rxsync/sync/sync_service.hpp> defines, declared
// with their default template arguments. C++ allows a default in one declaration only, and both
// that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct CrdtMerge;
struct DefaultCodec;
template <class Key, class Value, class Transport, class Store, class Sched,
          class Merge = CrdtMerge, class Codec = DefaultCodec, class Hash = std::hash<Key>>
class SyncService;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
