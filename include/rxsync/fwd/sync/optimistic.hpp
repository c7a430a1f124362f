// rxsync/fwd/sync/optimistic.hpp - the templates <rxsync/sync/optimistic.hpp> defines, declared
// with their default template arguments. C++ allows a default in one declaration only, and both
// that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class Key, class Value, class Hash = std::hash<Key>>
class OptimisticUpdates;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
