// rxsync/fwd/crdt/sets.hpp - the templates <rxsync/crdt/sets.hpp> defines, declared with their
// default template arguments. C++ allows a default in one declaration only, and both that header
// and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <string>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class T, class Actor = std::string>
class OrSet;
template <class T, class Actor = std::string>
class RemoveWinsSet;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
