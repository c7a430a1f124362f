// rxsync/fwd/crdt/dot_context.hpp - the templates <rxsync/crdt/dot_context.hpp> defines, declared
// with their default template arguments. C++ allows a default in one declaration only, and both
// that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <string>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class Actor = std::string>
struct Dot;
template <class Key, class Payload, class Actor = std::string>
class DotMap;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
