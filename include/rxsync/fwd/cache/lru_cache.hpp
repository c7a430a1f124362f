// rxsync/fwd/cache/lru_cache.hpp - the templates <rxsync/cache/lru_cache.hpp> defines, declared
// with their default template arguments. C++ allows a default in one declaration only, and both
// that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class K, class V, class Hash = std::hash<K>, class Eq = std::equal_to<K>>
class LruCache;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
