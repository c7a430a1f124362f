// rxsync/fwd/crdt/or_map.hpp - the templates <rxsync/crdt/or_map.hpp> defines, declared with their
// default template arguments. C++ allows a default in one declaration only, and both that header
// and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <string>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class K, class V, class Actor = std::string>
class OrMap;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
