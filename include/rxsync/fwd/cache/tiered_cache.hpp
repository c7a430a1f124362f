// rxsync/fwd/cache/tiered_cache.hpp - the templates <rxsync/cache/tiered_cache.hpp> defines,
// declared with their default template arguments. C++ allows a default in one declaration only, and
// both that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct DefaultCodec;
struct PersistAlways;
template <class K, class V, class Store, class Sched, class Codec = DefaultCodec,
          class Persist = PersistAlways, class Hash = std::hash<K>>
class TieredCache;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
